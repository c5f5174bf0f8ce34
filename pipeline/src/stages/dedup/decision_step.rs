//! Dedup's reduce step and its writing step on a cluster.
//!
//! The `dedup` step (rank 0) decides every document as on one machine, then writes the
//! decisions to `_decisions/`: one file per partition (each document's removal and group,
//! and the ids of the keepers its removed documents name), one file of line dedupers, and
//! `decisions.json` last, which vouches for them (fingerprints, sizes, checksums, the
//! global step's counters). The `dedup-write` map step then writes each partition's kept
//! and removed documents from its own decision file: a rank reads only the decisions of
//! its partitions and the line dedupers, never the whole index.
//!
//! The decisions are the same bytes as the ones pass 2 uses on one machine, so the parts
//! are too. `_decisions/` stays until the run's final seal: a rank that has to redo a
//! partition (its output damaged, its task killed) still finds them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use curate_filters::dedup::{LineDedupConfig, LineDeduper};
use serde::{Deserialize, Serialize};

use super::decide::{DecisionStats, Decisions, Reason, Removal};
use super::scan::PartInput;
use super::write::PartDecisions;
use crate::run::atomic::write_atomic;
use crate::run::marker::MarkedOutput;
use crate::run::stage_record::partition_key;

/// The directory of the decision files inside the dedup stage directory.
pub const DECISIONS_DIR: &str = "_decisions";
/// Written last: what vouches for the decision files.
const RECORD_FILE: &str = "decisions.json";
const LINES_FILE: &str = "lines.bin";
const PART_MAGIC: &[u8; 8] = b"CURDEC01";
const LINES_MAGIC: &[u8; 8] = b"CURLIN01";

pub fn decisions_dir(stage_dir: &Path) -> PathBuf {
    stage_dir.join(DECISIONS_DIR)
}

/// `decisions.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionsRecord {
    pub config_fingerprint: String,
    pub input_fingerprint: String,
    pub documents: u64,
    /// By partition key.
    /// By partition key: each file with its size and xxh3, as a marker lists an output.
    pub partitions: BTreeMap<String, MarkedOutput>,
    pub lines: Option<MarkedOutput>,
    pub stats: DecisionStats,
    /// Seconds of pass 1 and the global step.
    pub index_seconds: f64,
}

impl DecisionsRecord {
    /// The record in `stage_dir` when it was made for these fingerprints.
    pub fn read_for(stage_dir: &Path, (config, input): (&str, &str)) -> Option<Self> {
        let record = Self::read(stage_dir)?;
        (record.config_fingerprint == config && record.input_fingerprint == input).then_some(record)
    }

    fn read(stage_dir: &Path) -> Option<Self> {
        let bytes = std::fs::read(decisions_dir(stage_dir).join(RECORD_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Whether the record and every file it lists are in place with their sizes (what
    /// `curate status` can tell without the job).
    pub fn is_in_place(stage_dir: &Path) -> bool {
        let dir = decisions_dir(stage_dir);
        Self::read(stage_dir).is_some_and(|record| {
            record
                .partitions
                .values()
                .chain(&record.lines)
                .all(|f| std::fs::metadata(dir.join(&f.path)).is_ok_and(|m| m.len() == f.bytes))
        })
    }
}

/// Writes every partition's decisions, the line dedupers, then the record. Whatever was
/// there before goes first, so no old record vouches for a mix of old and new files.
pub fn save(
    stage_dir: &Path,
    (config, input): (&str, &str),
    parts: &[PartInput],
    decisions: &Decisions,
    keeper_ids: &HashMap<u32, String>,
    index_seconds: f64,
) -> Result<DecisionsRecord> {
    let dir = decisions_dir(stage_dir);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut partitions = BTreeMap::new();
    for part in parts {
        let range = part.start as usize..(part.start + part.rows) as usize;
        let (Some(removed), Some(groups)) = (
            decisions.removed.get(range.clone()),
            decisions.groups.get(range),
        ) else {
            bail!(
                "{}: documents {}..{} are beyond the {} decided",
                part.path.display(),
                part.start,
                part.start + part.rows,
                decisions.removed.len()
            );
        };
        let bytes = encode_part(part, removed, groups, keeper_ids);
        let key = partition_key(part.partition);
        let file = save_file(&dir, &format!("part-{key}.dec"), &bytes)?;
        partitions.insert(key, file);
    }
    let lines = match decisions.line_dedupers.is_empty() {
        true => None,
        false => Some(save_file(
            &dir,
            LINES_FILE,
            &encode_lines(&decisions.line_dedupers),
        )?),
    };
    let record = DecisionsRecord {
        config_fingerprint: config.to_owned(),
        input_fingerprint: input.to_owned(),
        documents: decisions.removed.len() as u64,
        partitions,
        lines,
        stats: decisions.stats.clone(),
        index_seconds,
    };
    let mut json = serde_json::to_vec_pretty(&record)?;
    json.push(b'\n');
    write_atomic(&dir.join(RECORD_FILE), &json)
        .with_context(|| format!("cannot write {}", dir.join(RECORD_FILE).display()))?;
    Ok(record)
}

fn save_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<MarkedOutput> {
    let path = dir.join(name);
    write_atomic(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(MarkedOutput::of_bytes(name, bytes))
}

/// Reads a listed file and checks it is the one the record vouches for.
fn load_file(stage_dir: &Path, listed: &MarkedOutput) -> Result<Vec<u8>> {
    let path = decisions_dir(stage_dir).join(&listed.path);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if let Err(differs) = listed.check(&bytes) {
        // The record no longer vouches: without it, the next launch decides again instead
        // of sending ranks to the same damaged file.
        let record = decisions_dir(stage_dir).join(RECORD_FILE);
        if let Err(error) = std::fs::remove_file(&record)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {error}", record.display());
        }
        bail!(
            "{} is not the file {RECORD_FILE} vouched for ({differs}); the record is removed: \
             launch again, or run step dedup, to decide again",
            path.display()
        );
    }
    Ok(bytes)
}

/// One partition's decisions, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionDecisions {
    pub start: u32,
    pub removed: Vec<Option<Removal>>,
    pub groups: Vec<u32>,
    pub keeper_ids: HashMap<u32, String>,
}

impl PartitionDecisions {
    /// The view pass 2 writes the partition from.
    pub fn as_part(&self) -> PartDecisions<'_> {
        PartDecisions {
            removed: &self.removed,
            groups: &self.groups,
            keeper_ids: &self.keeper_ids,
        }
    }

    pub fn load(stage_dir: &Path, record: &DecisionsRecord, part: &PartInput) -> Result<Self> {
        let key = partition_key(part.partition);
        let listed = record.partitions.get(&key).with_context(|| {
            format!("the dedup decisions name no partition {key}: run step dedup again")
        })?;
        let bytes = load_file(stage_dir, listed)?;
        let decoded = decode_part(&bytes).with_context(|| {
            format!(
                "{} is damaged",
                decisions_dir(stage_dir).join(&listed.path).display()
            )
        })?;
        if decoded.start != part.start || decoded.removed.len() != part.rows as usize {
            bail!(
                "the dedup decisions of partition {key} are for documents {}..{}, its part \
                 holds {}..{}: run step dedup again",
                decoded.start,
                decoded.start as usize + decoded.removed.len(),
                part.start,
                part.start + part.rows
            );
        }
        Ok(decoded)
    }
}

/// The line dedupers the record lists (none without `[dedup.lines]`).
pub fn load_line_dedupers(
    stage_dir: &Path,
    record: &DecisionsRecord,
    config: Option<&LineDedupConfig>,
) -> Result<BTreeMap<u32, LineDeduper>> {
    let (Some(listed), Some(config)) = (&record.lines, config) else {
        return Ok(BTreeMap::new());
    };
    let bytes = load_file(stage_dir, listed)?;
    decode_lines(&bytes, config).with_context(|| {
        format!(
            "{} is damaged",
            decisions_dir(stage_dir).join(&listed.path).display()
        )
    })
}

fn reason_code(removal: Option<Removal>) -> (u8, u32) {
    match removal {
        None => (0, 0),
        Some(Removal { reason, keeper }) => match reason {
            Reason::Exact => (1, keeper),
            Reason::MinHash => (2, keeper),
            Reason::LinesAllRepeated => (3, keeper),
        },
    }
}

fn removal_of(code: u8, keeper: u32) -> Result<Option<Removal>> {
    let reason = match code {
        0 => return Ok(None),
        1 => Reason::Exact,
        2 => Reason::MinHash,
        3 => Reason::LinesAllRepeated,
        other => bail!("unknown removal reason {other}"),
    };
    Ok(Some(Removal { reason, keeper }))
}

/// `PART_MAGIC`, first document, documents, then per document its reason code (u8) and
/// keeper (u32), its group (u32), then the keepers named (sorted) with their ids.
fn encode_part(
    part: &PartInput,
    removed: &[Option<Removal>],
    groups: &[u32],
    keeper_ids: &HashMap<u32, String>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + removed.len() * 9);
    out.extend_from_slice(PART_MAGIC);
    out.extend_from_slice(&part.start.to_le_bytes());
    out.extend_from_slice(&(removed.len() as u32).to_le_bytes());
    for removal in removed {
        let (code, keeper) = reason_code(*removal);
        out.push(code);
        out.extend_from_slice(&keeper.to_le_bytes());
    }
    groups
        .iter()
        .for_each(|g| out.extend_from_slice(&g.to_le_bytes()));
    let mut named: Vec<u32> = removed.iter().flatten().map(|r| r.keeper).collect();
    named.sort_unstable();
    named.dedup();
    let named: Vec<(u32, &str)> = named
        .into_iter()
        .filter_map(|k| keeper_ids.get(&k).map(|id| (k, id.as_str())))
        .collect();
    out.extend_from_slice(&(named.len() as u32).to_le_bytes());
    for (keeper, id) in named {
        out.extend_from_slice(&keeper.to_le_bytes());
        out.extend_from_slice(&(id.len() as u32).to_le_bytes());
        out.extend_from_slice(id.as_bytes());
    }
    out
}

fn decode_part(bytes: &[u8]) -> Result<PartitionDecisions> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(PART_MAGIC.len())? != PART_MAGIC {
        bail!("not a dedup decision file");
    }
    let start = reader.u32()?;
    let documents = reader.u32()? as usize;
    let mut removed = Vec::with_capacity(documents.min(bytes.len() / 5));
    for _ in 0..documents {
        let code = reader.take(1)?[0];
        let keeper = reader.u32()?;
        removed.push(removal_of(code, keeper)?);
    }
    let mut groups = Vec::with_capacity(documents.min(bytes.len() / 4));
    for _ in 0..documents {
        groups.push(reader.u32()?);
    }
    let named = reader.u32()?;
    let mut keeper_ids = HashMap::with_capacity((named as usize).min(bytes.len() / 8));
    for _ in 0..named {
        let keeper = reader.u32()?;
        let len = reader.u32()? as usize;
        let id = std::str::from_utf8(reader.take(len)?).context("a keeper id is not UTF-8")?;
        keeper_ids.insert(keeper, id.to_owned());
    }
    reader.finish()?;
    Ok(PartitionDecisions {
        start,
        removed,
        groups,
        keeper_ids,
    })
}

/// `LINES_MAGIC`, groups, then per group: its number, its lines, and each line's hash
/// (u64) and keeping document (u32), sorted by hash.
fn encode_lines(dedupers: &BTreeMap<u32, LineDeduper>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(LINES_MAGIC);
    out.extend_from_slice(&(dedupers.len() as u32).to_le_bytes());
    for (group, deduper) in dedupers {
        let lines = deduper.sorted_lines();
        out.extend_from_slice(&group.to_le_bytes());
        out.extend_from_slice(&(lines.len() as u64).to_le_bytes());
        for (hash, doc) in lines {
            out.extend_from_slice(&hash.to_le_bytes());
            out.extend_from_slice(&doc.to_le_bytes());
        }
    }
    out
}

fn decode_lines(bytes: &[u8], config: &LineDedupConfig) -> Result<BTreeMap<u32, LineDeduper>> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(LINES_MAGIC.len())? != LINES_MAGIC {
        bail!("not a line dedup file");
    }
    let groups = reader.u32()?;
    let mut dedupers = BTreeMap::new();
    for _ in 0..groups {
        let group = reader.u32()?;
        let count = reader.u64()?;
        let mut lines = Vec::with_capacity((count as usize).min(bytes.len() / 12));
        for _ in 0..count {
            lines.push((reader.u64()?, reader.u32()?));
        }
        dedupers.insert(group, LineDeduper::from_lines(config.clone(), lines));
    }
    reader.finish()?;
    Ok(dedupers)
}

/// Little-endian fields read one after another, every length checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).context("length out of range")?;
        let out = self
            .bytes
            .get(self.at..end)
            .with_context(|| format!("truncated at byte {}", self.at))?;
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32> {
        let raw: [u8; 4] = self.take(4)?.try_into()?;
        Ok(u32::from_le_bytes(raw))
    }

    fn u64(&mut self) -> Result<u64> {
        let raw: [u8; 8] = self.take(8)?.try_into()?;
        Ok(u64::from_le_bytes(raw))
    }

    fn finish(self) -> Result<()> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            left => bail!("{left} bytes after the last record"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curate_filters::dedup::lines::LineDedupMode;

    #[test]
    fn a_partition_file_reads_back_and_damage_is_caught() {
        let part = PartInput {
            partition: 3,
            path: PathBuf::from("part-00003.parquet"),
            start: 10,
            rows: 3,
        };
        let removed = vec![
            None,
            Some(Removal {
                reason: Reason::MinHash,
                keeper: 2,
            }),
            Some(Removal {
                reason: Reason::Exact,
                keeper: 11,
            }),
        ];
        let keeper_ids: HashMap<u32, String> =
            [(2, "doc-2".into()), (11, "doc-11".into()), (99, "x".into())]
                .into_iter()
                .collect();
        let bytes = encode_part(&part, &removed, &[0, 1, 1], &keeper_ids);
        let back = decode_part(&bytes).unwrap();
        assert_eq!(back.start, 10);
        assert_eq!(back.removed, removed);
        assert_eq!(back.groups, vec![0, 1, 1]);
        // Only the keepers this partition names travel with it.
        assert_eq!(back.keeper_ids.len(), 2);
        assert_eq!(back.keeper_ids[&11], "doc-11");
        assert!(decode_part(&bytes[..bytes.len() - 1]).is_err());
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode_part(&extra).is_err());
    }

    #[test]
    fn line_dedupers_read_back_in_any_hash_order() {
        let config = LineDedupConfig {
            mode: LineDedupMode::KeepFirst,
            ..LineDedupConfig::default()
        };
        let deduper = LineDeduper::from_lines(config.clone(), [(9, 1), (3, 0), (7, 4)]);
        let dedupers: BTreeMap<u32, LineDeduper> = [(5, deduper)].into_iter().collect();
        let bytes = encode_lines(&dedupers);
        let back = decode_lines(&bytes, &config).unwrap();
        assert_eq!(back[&5].sorted_lines(), vec![(3, 0), (7, 4), (9, 1)]);
        assert_eq!(encode_lines(&back), bytes);
    }
}
