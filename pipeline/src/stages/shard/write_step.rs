//! The shard stage's last parts on a cluster. The `shard` step (rank 0) packs: it gathers
//! the document buckets into per-shard sequence spills in the run directory
//! (`shards/.work/`, not node-local scratch: other nodes read them) and writes
//! `gathered.json` last, with the fingerprints it was made for. The `shard-write` map step
//! then writes each shard `s % N == rank` from its spills, with a completion marker; the
//! seal checks every shard's marker and writes the manifest and `_stage.json`, exactly as
//! one machine writes them.

use std::path::Path;

use anyhow::{Context, Result};

use super::write::{ShardFile, write_shard};
use super::{GATHERED_FILE, GatheredFile};
use crate::stages::partitioned::{PartitionPlan, PartitionStats, collect_markers, run_rank};
use crate::stages::{StageContext, StageOutcome};

impl PartitionStats for ShardFile {
    fn outputs(&self) -> Vec<String> {
        vec![self.file.clone()]
    }
}

/// `gathered.json` when it was made for these fingerprints.
pub fn read_gathered(work_dir: &Path, (config, input): (&str, &str)) -> Option<GatheredFile> {
    let bytes = std::fs::read(work_dir.join(GATHERED_FILE)).ok()?;
    let gathered: GatheredFile = serde_json::from_slice(&bytes).ok()?;
    (gathered.config_fingerprint == config && gathered.input_fingerprint == input)
        .then_some(gathered)
}

/// The number of shards the `shard` step packed for, when it has (what `curate status`
/// and `curate launch` count the `shard-write` step's partitions by).
pub fn packed_shards(work_dir: &Path) -> Option<usize> {
    let bytes = std::fs::read(work_dir.join(GATHERED_FILE)).ok()?;
    serde_json::from_slice::<GatheredFile>(&bytes)
        .ok()
        .map(|g| g.shards)
}

fn plan<'a>(
    stage_dir: &'a Path,
    (config, input): (&str, &str),
    gathered: &GatheredFile,
) -> PartitionPlan<'a> {
    PartitionPlan {
        stage: "shard",
        stage_dir,
        config_fingerprint: config.to_owned(),
        input_fingerprint: input.to_owned(),
        inputs: Vec::new(),
        partitions: (0..gathered.shards).collect(),
    }
}

/// One rank's share of pass 3: its shards without a valid marker, each written from its
/// spills and marked. The spills stay until the seal: a shard redone later needs them.
pub fn write_rank(
    context: &StageContext<'_>,
    (stage_dir, work_dir): (&Path, &Path),
    fingerprints: (&str, &str),
    pad: bool,
    (rank, world_size): (usize, usize),
) -> Result<StageOutcome> {
    let gathered = read_gathered(work_dir, fingerprints).with_context(|| {
        format!(
            "the shard step has not packed this input in {}: run step shard first \
             (`curate run JOB --step shard`, or `curate launch` again)",
            work_dir.display()
        )
    })?;
    let section = &context.job.shard;
    let threads = context.pool.current_num_threads().max(1) as u64;
    let memory = section.memory_mb.max(16) << 20;
    run_rank(
        context,
        plan(stage_dir, fingerprints, &gathered),
        |index, _progress| {
            let spec = gathered.shard_spec(
                index,
                (work_dir, stage_dir),
                (section.seq_len, pad),
                memory / threads,
            );
            write_shard(&spec).with_context(|| format!("cannot write shard {index}"))
        },
        rank,
        world_size,
    )
}

/// What the seal finds: the packing, and every shard from its marker with their seconds
/// summed; fails naming each shard without a valid marker.
pub fn sealed_shards(
    stage_dir: &Path,
    work_dir: &Path,
    fingerprints: (&str, &str),
) -> Result<(
    GatheredFile,
    std::collections::BTreeMap<String, ShardFile>,
    f64,
)> {
    let gathered = read_gathered(work_dir, fingerprints).with_context(|| {
        format!(
            "stage shard is not complete: nothing is packed for this input in {} (run step \
             shard, then shard-write)",
            work_dir.display()
        )
    })?;
    let (done, seconds) = collect_markers::<ShardFile>(&plan(stage_dir, fingerprints, &gathered))?;
    Ok((gathered, done, seconds))
}
