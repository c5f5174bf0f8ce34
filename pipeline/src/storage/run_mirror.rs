//! A run directory kept in a bucket.
//!
//! The stages read and write a local working copy of the run (on `--scratch`, else the
//! system's temporary directory), exactly as they do a run on local disk; this module
//! keeps the bucket and that copy in step:
//!
//! - **pull**, before a run (and before `verify`, `report`, `query` or `status` of a run in a
//!   bucket): every object whose ETag differs from the one last synced is downloaded, so a
//!   run resumes on any machine from what the bucket holds. Local files of the run that the
//!   bucket no longer has, and that came from it, are removed.
//! - **push**, after every stage and at the end: what changed locally is uploaded, each
//!   object written whole. Within a stage directory the completion records go last:
//!   partition markers after the outputs they vouch for, and `_stage.json` after the
//!   markers, created only if absent (a conditional create) after the old one was removed
//!   first. A crash in the middle of a push therefore leaves a stage that looks incomplete
//!   in the bucket, never one that looks complete with missing or stale parts; the next
//!   run, here or elsewhere, redoes or re-uploads what is missing.
//!
//! What was synced is remembered in `.curate-mirror.json` in the working copy (the
//! relative name, ETag, and the local size and modification time at that moment).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::StorageError;
use super::list::{ObjectInfo, list_prefix};
use super::read::download_to_file;
use super::url::ObjectUrl;
use super::write::{delete_object, put_file, put_file_if_absent};

/// The state file in the working copy (never uploaded).
pub const MIRROR_STATE_FILE: &str = ".curate-mirror.json";

/// Files that are not synced: the local lock, temporary files, the state file, and the
/// bucket's lease.
fn is_local_only(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    relative == super::run_lease::LEASE_FILE
        || name == MIRROR_STATE_FILE
        || name == crate::run::lock::LOCK_FILE
        || name.ends_with(".tmp")
}

/// A file and the object it was last synced with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Synced {
    etag: Option<String>,
    size: u64,
    modified_ns: u128,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct MirrorState {
    url: String,
    objects: BTreeMap<String, Synced>,
}

/// What a pull or push did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncCounts {
    pub transferred: u64,
    pub bytes: u64,
    pub removed: u64,
    pub unchanged: u64,
    /// Objects the bucket holds under the run (a pull's listing).
    pub listed: u64,
}

/// What of a run a command reads, and so pulls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullScope {
    /// Everything: a run resumes from it.
    Everything,
    /// The shard directory: `curate verify`, `curate publish`.
    Shards,
    /// All but the shards' token data (parts, records, the manifest): `report`, `query`,
    /// `status` (a partition marker counts only with its outputs in place).
    AllButShardData,
}

impl PullScope {
    fn wants(self, relative: &str) -> bool {
        // The scatter step's spills are not shard data: `status` counts them as that
        // step's outputs.
        let shard_data = relative.starts_with("shards/")
            && !relative.starts_with("shards/_scatter/")
            && (relative.ends_with(".arrow") || relative.starts_with("shards/megatron/"));
        match self {
            PullScope::Everything => true,
            PullScope::Shards => relative.starts_with("shards/"),
            PullScope::AllButShardData => !shard_data,
        }
    }
}

/// What a push may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMode {
    /// The one writer of the run: uploads, and removes what the run removed.
    Full,
    /// One of many tasks of a cluster step writing at once: uploads its new files (its
    /// partitions' outputs and markers, and records of stages it sealed) and removes
    /// nothing; a stage record another task created first is left as it is.
    Additions,
}

/// A run in a bucket and its local working copy.
#[derive(Debug, Clone)]
pub struct RunMirror {
    pub url: ObjectUrl,
    pub local: PathBuf,
}

/// The local working copy of the run at `url`: below `work_root` (the `--scratch`
/// directory), else below the system's temporary directory; one per URL.
pub fn working_copy(url: &ObjectUrl, work_root: Option<&Path>) -> PathBuf {
    let root = work_root
        .map(Path::to_owned)
        .unwrap_or_else(|| std::env::temp_dir().join("curate-runs"));
    let digest = crate::run::fingerprint::hex_digest(url.to_string().as_bytes());
    let name = url.key.rsplit('/').next().unwrap_or("run");
    root.join(format!("{name}-{digest}"))
}

fn local_stamp(path: &Path) -> std::io::Result<(u64, u128)> {
    let metadata = std::fs::metadata(path)?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok((metadata.len(), modified))
}

fn local_error(path: &Path) -> impl Fn(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::Local {
        path: path.display().to_string(),
        source,
    }
}

impl RunMirror {
    pub fn new(url: ObjectUrl, local: PathBuf) -> RunMirror {
        RunMirror { url, local }
    }

    fn load_state(&self) -> MirrorState {
        let path = self.local.join(MIRROR_STATE_FILE);
        let state: Option<MirrorState> = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        match state {
            Some(state) if state.url == self.url.to_string() => state,
            _ => MirrorState {
                url: self.url.to_string(),
                objects: BTreeMap::new(),
            },
        }
    }

    fn save_state(&self, state: &MirrorState) -> Result<(), StorageError> {
        let path = self.local.join(MIRROR_STATE_FILE);
        let bytes = serde_json::to_vec_pretty(state).unwrap_or_default();
        crate::run::atomic::write_atomic(&path, &bytes).map_err(local_error(&path))
    }

    /// Brings the working copy up to what the bucket holds.
    pub fn pull(&self) -> Result<SyncCounts, StorageError> {
        self.pull_scope(PullScope::Everything)
    }

    /// Brings the part of the working copy a command reads up to what the bucket holds.
    pub fn pull_scope(&self, scope: PullScope) -> Result<SyncCounts, StorageError> {
        std::fs::create_dir_all(&self.local).map_err(local_error(&self.local))?;
        let mut state = self.load_state();
        let mut counts = SyncCounts::default();
        let remote: Vec<(String, ObjectInfo)> = list_prefix(&self.url)?
            .into_iter()
            .filter_map(|info| Some((info.url.relative_to(&self.url)?, info)))
            .filter(|(relative, _)| !is_local_only(relative))
            .collect();
        counts.listed = remote.len() as u64;
        let remote_names: std::collections::BTreeSet<&str> = remote
            .iter()
            .map(|(relative, _)| relative.as_str())
            .collect();
        // Files that came from the bucket and are gone from it.
        let gone: Vec<String> = state
            .objects
            .keys()
            .filter(|relative| !remote_names.contains(relative.as_str()))
            .cloned()
            .collect();
        for relative in gone {
            let path = self.local.join(&relative);
            match std::fs::remove_file(&path) {
                Ok(()) => counts.removed += 1,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(local_error(&path)(error)),
            }
            state.objects.remove(&relative);
        }
        // Records last, so a pull cut short leaves no record without its outputs.
        let mut ordered: Vec<&(String, ObjectInfo)> = remote.iter().collect();
        ordered.sort_by_key(|(relative, _)| (record_rank(relative), relative.clone()));
        for (relative, info) in ordered {
            if !scope.wants(relative) {
                continue;
            }
            let path = self.local.join(relative);
            let current = state.objects.get(relative);
            let up_to_date = current.is_some_and(|synced| {
                synced.etag == info.etag
                    && local_stamp(&path).is_ok_and(|(size, modified)| {
                        (size, modified) == (synced.size, synced.modified_ns)
                    })
            });
            if up_to_date {
                counts.unchanged += 1;
                continue;
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(local_error(parent))?;
            }
            let temp = crate::run::atomic::temp_path(&path);
            let mut file = std::fs::File::create(&temp).map_err(local_error(&temp))?;
            let bytes = download_to_file(info, &mut file)?;
            drop(file);
            std::fs::rename(&temp, &path).map_err(local_error(&path))?;
            let (size, modified_ns) = local_stamp(&path).map_err(local_error(&path))?;
            state.objects.insert(
                relative.clone(),
                Synced {
                    etag: info.etag.clone(),
                    size,
                    modified_ns,
                },
            );
            counts.transferred += 1;
            counts.bytes += bytes;
        }
        self.save_state(&state)?;
        Ok(counts)
    }

    /// Uploads what changed in the working copy since the last sync (see the module
    /// documentation for the order), removing what the run removed.
    pub fn push(&self) -> Result<SyncCounts, StorageError> {
        self.push_with(PushMode::Full)
    }

    /// Uploads what changed in the working copy since the last sync, in the same order.
    pub fn push_with(&self, mode: PushMode) -> Result<SyncCounts, StorageError> {
        let mut state = self.load_state();
        let mut counts = SyncCounts::default();
        let mut local: BTreeMap<String, (u64, u128)> = BTreeMap::new();
        walk(&self.local, &self.local, &mut local)?;
        let changed: Vec<String> = local
            .iter()
            .filter(|(relative, (size, modified))| {
                state
                    .objects
                    .get(*relative)
                    .is_none_or(|synced| (synced.size, synced.modified_ns) != (*size, *modified))
            })
            .map(|(relative, _)| relative.clone())
            .collect();
        let removed: Vec<String> = match mode {
            PushMode::Full => state
                .objects
                .keys()
                .filter(|relative| !local.contains_key(*relative))
                .cloned()
                .collect(),
            PushMode::Additions => Vec::new(),
        };
        counts.unchanged = (local.len() - changed.len()) as u64;
        // A directory about to change loses its completion record first.
        let touched_dirs: std::collections::BTreeSet<&str> = changed
            .iter()
            .chain(&removed)
            .map(|relative| stage_dir_of(relative))
            .collect();
        let stale_records: Vec<String> = state
            .objects
            .keys()
            .filter(|relative| {
                mode == PushMode::Full
                    && is_stage_record(relative)
                    && touched_dirs.contains(stage_dir_of(relative))
            })
            .cloned()
            .collect();
        for relative in stale_records.iter().chain(&removed) {
            delete_object(&self.url.join(relative))?;
            state.objects.remove(relative);
        }
        counts.removed = removed.len() as u64;
        self.save_state(&state)?;
        let mut ordered: Vec<&String> = changed
            .iter()
            .chain(stale_records.iter().filter(|r| local.contains_key(*r)))
            .collect();
        ordered.sort_by_key(|relative| (record_rank(relative), relative.as_str()));
        ordered.dedup();
        let mut uploaded_in: BTreeMap<&str, u64> = BTreeMap::new();
        for relative in ordered {
            let path = self.local.join(relative);
            let url = self.url.join(relative);
            let uploaded = if is_stage_record(relative) {
                match put_file_if_absent(&path, &url) {
                    // Tasks of one step seal the stages before it alike (a seal writes the
                    // same bytes whoever does it): the first one's record stands.
                    Err(StorageError::AlreadyExists { .. }) if mode == PushMode::Additions => {
                        continue;
                    }
                    Err(StorageError::AlreadyExists { url }) => {
                        return Err(StorageError::Request {
                            url,
                            detail: "another process completed this stage in the bucket while \
                                     this one was uploading it: one run directory has one \
                                     writer at a time"
                                .to_owned(),
                        });
                    }
                    other => other?,
                }
            } else {
                put_file(&path, &url)?
            };
            let (size, modified_ns) = local[relative];
            state.objects.insert(
                relative.clone(),
                Synced {
                    etag: uploaded.etag,
                    size,
                    modified_ns,
                },
            );
            counts.transferred += 1;
            counts.bytes += uploaded.bytes;
            let dir = stage_dir_of(relative);
            let in_dir = uploaded_in.entry(dir).or_default();
            *in_dir += 1;
            crate::run::fault::abort_at(&format!("abort:upload:{dir}:{in_dir}"));
            if counts.transferred % 32 == 0 {
                self.save_state(&state)?;
            }
        }
        self.save_state(&state)?;
        Ok(counts)
    }
}

/// A run named on the command line: a local directory as it is, or a run in a bucket
/// pulled into its working copy first (the part `scope` names) (`curate verify`, `report`, `query`, `status`).
/// Returns the local directory, and the mirror when there is one (to push back what the
/// command wrote).
pub fn open_run(
    run: &Path,
    scope: PullScope,
) -> Result<(PathBuf, Option<RunMirror>), StorageError> {
    let text = run.to_string_lossy();
    let Some(url) = ObjectUrl::parse(&text) else {
        return Ok((PathBuf::from(super::local_path_of(&text)), None));
    };
    let url = url?;
    let mirror = RunMirror::new(url.clone(), working_copy(&url, None));
    let counts = mirror.pull_scope(scope)?;
    if counts.listed == 0 {
        return Err(StorageError::NoMatch {
            url: url.to_string(),
            pattern: format!("{url}/*"),
        });
    }
    tracing::info!(
        event = "run_pulled",
        url = %url,
        local = %mirror.local.display(),
        objects = counts.transferred,
        bytes = counts.bytes,
        "{url}: {} objects ({} bytes) pulled into {}",
        counts.transferred,
        counts.bytes,
        mirror.local.display()
    );
    Ok((mirror.local.clone(), Some(mirror)))
}

/// The stage directory (or `""` for the run's top level) a relative name belongs to.
fn stage_dir_of(relative: &str) -> &str {
    relative.split_once('/').map_or("", |(dir, _)| dir)
}

/// `_stage.json` of a stage directory.
fn is_stage_record(relative: &str) -> bool {
    relative.ends_with("/_stage.json")
}

/// Upload (and download) order: outputs, then partition markers, then stage records, then
/// the run's own files, `run.json` last of all.
fn record_rank(relative: &str) -> u8 {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    if relative == crate::run::run_record::RUN_RECORD_FILE {
        4
    } else if !relative.contains('/') {
        3
    } else if is_stage_record(relative) {
        2
    } else if relative.contains("/_partitions/")
        || name == crate::stages::shard::manifest::MANIFEST_FILE
    {
        // Trainers find shards through the manifest: it goes after every shard.
        1
    } else {
        0
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    out: &mut BTreeMap<String, (u64, u128)>,
) -> Result<(), StorageError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(local_error(dir)(error)),
    };
    for entry in entries {
        let entry = entry.map_err(local_error(dir))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(local_error(&path))?;
        if file_type.is_dir() {
            walk(root, &path, out)?;
        } else if file_type.is_file() {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            if is_local_only(&relative) {
                continue;
            }
            let stamp = local_stamp(&path).map_err(local_error(&path))?;
            out.insert(relative, stamp);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_go_after_what_they_vouch_for() {
        let mut names = vec![
            "run.json",
            "01-ingest/_stage.json",
            "report.html",
            "01-ingest/_partitions/00000.json",
            "01-ingest/part-00000.parquet",
        ];
        names.sort_by_key(|name| (record_rank(name), *name));
        assert_eq!(
            names,
            [
                "01-ingest/part-00000.parquet",
                "01-ingest/_partitions/00000.json",
                "01-ingest/_stage.json",
                "report.html",
                "run.json"
            ]
        );
        assert!(PullScope::Shards.wants("shards/data-00000-of-00001.arrow"));
        assert!(!PullScope::Shards.wants("04-count/part-00000.parquet"));
        assert!(!PullScope::AllButShardData.wants("shards/data-00000-of-00001.arrow"));
        assert!(!PullScope::AllButShardData.wants("shards/megatron/data.bin"));
        assert!(PullScope::AllButShardData.wants("shards/manifest.json"));
        assert!(PullScope::AllButShardData.wants("04-count/part-00000.parquet"));
        assert!(PullScope::AllButShardData.wants("shards/_scatter/doc-b00000-p00001-c00000.arrow"));
        assert!(is_local_only(".lock"));
        assert!(is_local_only("01-ingest/part-00000.parquet.123-4.tmp"));
        assert!(!is_local_only("01-ingest/part-00000.parquet"));
    }
}
