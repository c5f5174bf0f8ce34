//! Per-partition completion markers: `<stage>/_partitions/<key>.json`.
//!
//! A marker is written (atomically) after every output file of its partition has been
//! renamed into place, and names each output with its size and xxh3 checksum, the stage's
//! fingerprints and the partition's statistics. It is the unit of ownership when many
//! processes write one run directory (ranks of a cluster step): each partition has exactly
//! one, so no process rewrites a file another one writes, the number of processes may
//! change between attempts, and the stage's `_stage.json` is built from the markers once
//! every planned partition has one (see `stages::partitioned`, seal mode).

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use super::stage_record::{FORMAT_VERSION, partition_key};

/// The directory of a stage's markers.
pub const MARKERS_DIR: &str = "_partitions";

/// One output file of a partition, as it was when the marker was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkedOutput {
    /// Relative to the stage directory.
    pub path: String,
    pub bytes: u64,
    /// xxh3-64 of the file, hex.
    pub xxh3: String,
}

impl MarkedOutput {
    /// The entry of `bytes` written at `path`.
    pub fn of_bytes(path: &str, bytes: &[u8]) -> Self {
        let (size, xxh3) = digest(bytes);
        MarkedOutput {
            path: path.to_owned(),
            bytes: size,
            xxh3,
        }
    }

    /// Whether `bytes` (read back whole) are what this entry vouches for; else what
    /// differs, for an error message.
    pub fn check(&self, bytes: &[u8]) -> Result<(), String> {
        let (size, xxh3) = digest(bytes);
        if size == self.bytes && xxh3 == self.xxh3 {
            return Ok(());
        }
        Err(format!(
            "{size} bytes, xxh3 {xxh3}; recorded {} bytes, xxh3 {}",
            self.bytes, self.xxh3
        ))
    }
}

fn digest(mut bytes: &[u8]) -> (u64, String) {
    // Reading a slice cannot fail.
    super::fingerprint::stream_digest(&mut bytes).unwrap_or_default()
}

/// Who wrote a marker: for `curate status` and for a person reading a failed run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkerWriter {
    pub host: String,
    pub pid: u32,
    /// `rank/world_size` of a cluster task; absent for `curate run` on one machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<String>,
    /// The Slurm job (`JOBID_TASK`) when run under Slurm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm_job: Option<String>,
}

/// The completion marker of one partition. `P` is the stage's per-partition statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartitionMarker<P> {
    pub stage: String,
    pub format_version: u32,
    pub partition: usize,
    pub config_fingerprint: String,
    pub input_fingerprint: String,
    pub outputs: Vec<MarkedOutput>,
    pub stats: P,
    /// Wall-clock seconds the partition took.
    pub seconds: f64,
    pub written_by: MarkerWriter,
}

/// Why a partition's marker cannot vouch for its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerProblem {
    /// No marker: never run, still running, failed or killed.
    Missing,
    /// A marker from another configuration, input or version of curate.
    Stale,
    /// The marker is there but an output it names is missing or has another size.
    OutputChanged(String),
    /// The marker cannot be read.
    Unreadable(String),
}

impl std::fmt::Display for MarkerProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MarkerProblem::Missing => write!(f, "no completion marker"),
            MarkerProblem::Stale => write!(f, "a marker of another configuration or input"),
            MarkerProblem::OutputChanged(detail) => write!(f, "{detail}"),
            MarkerProblem::Unreadable(detail) => write!(f, "unreadable marker: {detail}"),
        }
    }
}

/// The marker file of partition `index` of a stage.
pub fn marker_path(stage_dir: &Path, index: usize) -> PathBuf {
    stage_dir
        .join(MARKERS_DIR)
        .join(format!("{}.json", partition_key(index)))
}

/// Describes a partition's outputs (size and checksum, read back once) and writes its
/// marker, after the outputs are in place.
#[allow(clippy::too_many_arguments)]
pub fn write_marker<Q: Serialize>(
    stage_dir: &Path,
    stage: &str,
    partition: usize,
    fingerprints: (&str, &str),
    outputs: &[String],
    stats: &Q,
    seconds: f64,
    written_by: MarkerWriter,
) -> std::io::Result<Vec<MarkedOutput>> {
    let outputs = outputs
        .iter()
        .map(|path| describe_output(stage_dir, path))
        .collect::<std::io::Result<Vec<_>>>()?;
    let marker = PartitionMarker {
        stage: stage.to_owned(),
        format_version: FORMAT_VERSION,
        partition,
        config_fingerprint: fingerprints.0.to_owned(),
        input_fingerprint: fingerprints.1.to_owned(),
        outputs,
        stats,
        seconds,
        written_by,
    };
    let mut bytes = serde_json::to_vec_pretty(&marker).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    std::fs::create_dir_all(stage_dir.join(MARKERS_DIR))?;
    write_atomic(&marker_path(stage_dir, partition), &bytes)?;
    Ok(marker.outputs)
}

impl<P: DeserializeOwned> PartitionMarker<P> {
    /// The marker of partition `index` if it vouches for its outputs under these
    /// fingerprints: same configuration and input, every output present with its size.
    pub fn read_valid(
        stage_dir: &Path,
        index: usize,
        config_fingerprint: &str,
        input_fingerprint: &str,
    ) -> Result<PartitionMarker<P>, MarkerProblem> {
        Self::read_checked(
            stage_dir,
            index,
            Some((config_fingerprint, input_fingerprint)),
        )
    }

    /// The marker of partition `index` if its outputs are in place with their sizes,
    /// whatever configuration wrote it (`curate status`, which has no job to compare).
    pub fn read_in_place(
        stage_dir: &Path,
        index: usize,
    ) -> Result<PartitionMarker<P>, MarkerProblem> {
        Self::read_checked(stage_dir, index, None)
    }

    fn read_checked(
        stage_dir: &Path,
        index: usize,
        fingerprints: Option<(&str, &str)>,
    ) -> Result<PartitionMarker<P>, MarkerProblem> {
        let path = marker_path(stage_dir, index);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(MarkerProblem::Missing);
            }
            Err(e) => return Err(MarkerProblem::Unreadable(e.to_string())),
        };
        let marker: PartitionMarker<P> = serde_json::from_slice(&bytes)
            .map_err(|e| MarkerProblem::Unreadable(format!("{}: {e}", path.display())))?;
        let other_job = fingerprints.is_some_and(|(config, input)| {
            marker.config_fingerprint != config || marker.input_fingerprint != input
        });
        if marker.format_version != FORMAT_VERSION || marker.partition != index || other_job {
            return Err(MarkerProblem::Stale);
        }
        for output in &marker.outputs {
            let file = stage_dir.join(&output.path);
            match std::fs::metadata(&file) {
                Ok(meta) if meta.len() == output.bytes => {}
                Ok(meta) => {
                    return Err(MarkerProblem::OutputChanged(format!(
                        "{} has {} bytes, its marker says {}",
                        file.display(),
                        meta.len(),
                        output.bytes
                    )));
                }
                Err(_) => {
                    return Err(MarkerProblem::OutputChanged(format!(
                        "{} is missing",
                        file.display()
                    )));
                }
            }
        }
        Ok(marker)
    }
}

/// Size and xxh3 of an output file, relative to the stage directory.
pub fn describe_output(stage_dir: &Path, relative: &str) -> std::io::Result<MarkedOutput> {
    let (bytes, xxh3) = super::fingerprint::file_digest(&stage_dir.join(relative))?;
    Ok(MarkedOutput {
        path: relative.to_owned(),
        bytes,
        xxh3,
    })
}

/// Who this process is, for the markers it writes.
pub fn this_writer(rank: Option<(usize, usize)>) -> MarkerWriter {
    let slurm_job = std::env::var("SLURM_ARRAY_JOB_ID")
        .ok()
        .map(|job| match std::env::var("SLURM_ARRAY_TASK_ID") {
            Ok(task) => format!("{job}_{task}"),
            Err(_) => job,
        })
        .or_else(|| std::env::var("SLURM_JOB_ID").ok());
    MarkerWriter {
        host: crate::run::run_record::host_name(),
        pid: std::process::id(),
        rank: rank.map(|(rank, world)| format!("{rank}/{world}")),
        slurm_job,
    }
}

/// The partition indices that have a marker file (valid or not), in order.
pub fn marked_partitions(stage_dir: &Path) -> Vec<usize> {
    let Ok(entries) = std::fs::read_dir(stage_dir.join(MARKERS_DIR)) else {
        return Vec::new();
    };
    let mut found: Vec<usize> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json")?.parse().ok()
        })
        .collect();
    found.sort_unstable();
    found
}

/// Removes the markers of partitions not in `keep` (another configuration's, or
/// partitions a smaller plan no longer has).
pub fn remove_markers_except(stage_dir: &Path, keep: &[usize]) -> std::io::Result<()> {
    for index in marked_partitions(stage_dir) {
        if !keep.contains(&index) {
            match std::fs::remove_file(marker_path(stage_dir, index)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_vouches_only_for_its_fingerprints_and_unchanged_outputs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("part-00003.parquet"), b"twelve bytes").unwrap();
        let outputs = vec!["part-00003.parquet".to_owned()];
        let written = write_marker(
            dir.path(),
            "filter",
            3,
            ("cfg", "inp"),
            &outputs,
            &7u64,
            0.5,
            MarkerWriter::default(),
        )
        .unwrap();
        assert_eq!(written[0].bytes, 12);
        let read = PartitionMarker::<u64>::read_valid(dir.path(), 3, "cfg", "inp").unwrap();
        assert_eq!(read.stats, 7);
        assert_eq!(
            PartitionMarker::<u64>::read_valid(dir.path(), 3, "other", "inp").unwrap_err(),
            MarkerProblem::Stale
        );
        assert_eq!(
            PartitionMarker::<u64>::read_valid(dir.path(), 4, "cfg", "inp").unwrap_err(),
            MarkerProblem::Missing
        );
        std::fs::write(dir.path().join("part-00003.parquet"), b"short").unwrap();
        let changed = PartitionMarker::<u64>::read_valid(dir.path(), 3, "cfg", "inp").unwrap_err();
        assert!(
            matches!(changed, MarkerProblem::OutputChanged(_)),
            "{changed:?}"
        );
        assert_eq!(marked_partitions(dir.path()), vec![3]);
        remove_markers_except(dir.path(), &[]).unwrap();
        assert!(marked_partitions(dir.path()).is_empty());
    }
}
