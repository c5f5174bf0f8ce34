//! The shard stage's map part on a cluster (`--step shard-scatter`): pass 1 of the
//! shuffle split over ranks by count part. Each rank reads its count parts and spills
//! every selected copy to its document bucket in `shards/_scatter/`, with a completion
//! marker per part listing the spill files it wrote. The shard step (rank 0) then gathers
//! from there instead of reading every count part itself. The spill files are the ones
//! pass 1 writes on one machine (same keys, same buckets, named by part), so the shards are
//! the same bytes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::scatter::{ScatterPlan, part_infix, scatter_part};
use crate::run::marker::PartitionMarker;
use crate::stages::partitioned::{PartitionPlan, PartitionStats, run_rank};
use crate::stages::{StageContext, StageOutcome};

/// The scatter step's directory inside the shard directory.
pub const SCATTER_DIR: &str = "_scatter";

pub fn scatter_dir(stage_dir: &Path) -> PathBuf {
    stage_dir.join(SCATTER_DIR)
}

/// What a scattered part's marker records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScatteredPart {
    /// The spill files written, in the scatter directory.
    pub files: Vec<String>,
    pub copies: u64,
    pub packed_tokens: u64,
}

impl PartitionStats for ScatteredPart {
    fn outputs(&self) -> Vec<String> {
        self.files.clone()
    }
}

/// One rank's share of pass 1: the count parts `p % world_size == rank` without a valid
/// marker, each scattered and marked.
pub fn scatter_rank(
    context: &StageContext<'_>,
    (config_fingerprint, input_fingerprint): (&str, &str),
    count_parts: &[PathBuf],
    plan: &ScatterPlan<'_>,
    (rank, world_size): (usize, usize),
) -> Result<StageOutcome> {
    let dir = plan.work_dir;
    let partition_plan = PartitionPlan {
        stage: "shard-scatter",
        stage_dir: dir,
        config_fingerprint: config_fingerprint.to_owned(),
        input_fingerprint: input_fingerprint.to_owned(),
        inputs: Vec::new(),
        partitions: (0..count_parts.len()).collect(),
    };
    run_rank(
        context,
        partition_plan,
        |index, _progress| {
            let part = count_parts
                .get(index)
                .with_context(|| format!("no count part {index}"))?;
            // An attempt killed midway may have left spills of this part, perhaps more
            // of them than this attempt writes: they go first.
            remove_part_spills(dir, index)?;
            let scattered = scatter_part(plan, index, part)
                .with_context(|| format!("shard pass 1 failed on {}", part.display()))?;
            Ok(ScatteredPart {
                files: scattered.files,
                copies: scattered.copies,
                packed_tokens: scattered.packed_tokens,
            })
        },
        rank,
        world_size,
    )
}

/// The copies every part's marker records, when every part of the plan has a valid marker
/// (else `None`: pass 1 runs here, as on one machine). Files no marker lists (spills of a
/// killed attempt) are removed, so the gather reads exactly what the markers vouch for.
pub fn load_scattered(
    dir: &Path,
    (config_fingerprint, input_fingerprint): (&str, &str),
    parts: usize,
) -> Result<Option<u64>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut listed = BTreeSet::new();
    let mut copies = 0;
    for index in 0..parts {
        match PartitionMarker::<ScatteredPart>::read_valid(
            dir,
            index,
            config_fingerprint,
            input_fingerprint,
        ) {
            Ok(marker) => {
                copies += marker.stats.copies;
                listed.extend(marker.stats.files);
            }
            Err(_) => return Ok(None),
        }
    }
    remove_files_where(dir, |name| !listed.contains(name))?;
    Ok(Some(copies))
}

/// Removes the spill files of one count part (`doc-bNNNNN-pPPPPP-c*.arrow`).
fn remove_part_spills(dir: &Path, index: usize) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let infix = format!("-{}", part_infix(index));
    remove_files_where(dir, |name| {
        name.starts_with("doc-b") && name.contains(&infix)
    })
}

/// Removes the files (not the directories) of `dir` whose names `remove` picks.
fn remove_files_where(dir: &Path, remove: impl Fn(&str) -> bool) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_file() && remove(&name) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}
