//! The shared driver of partitioned stages: skip when up to date, keep the partitions an
//! interrupted run finished, run the rest in parallel, record each one as it completes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow};
use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{StageContext, StageOutcome, prepare_stage_dir};
use crate::progress::StageProgress;
use crate::run::fingerprint::{InputFile, fingerprint_config};
use crate::run::stage_record::{FORMAT_VERSION, StageRecord, StageStatus, partition_key};

/// What identifies a stage's work: its fingerprints and its partitions.
pub struct PartitionPlan<'a> {
    pub stage: &'static str,
    pub stage_dir: &'a Path,
    pub config_fingerprint: String,
    pub input_fingerprint: String,
    pub inputs: Vec<InputFile>,
    /// Partition indices, each written to `part-NNNNN.parquet` (and optionally files in
    /// sub-directories named by the stage).
    pub partitions: Vec<usize>,
}

/// Statistics every partition reports: the file(s) it wrote, relative to the stage dir.
pub trait PartitionStats {
    fn outputs(&self) -> Vec<String>;
}

/// How a partitioned stage ended, with its record.
pub struct Finished<P, S> {
    pub record: StageRecord<P, S>,
    /// Partitions kept from an interrupted run.
    pub resumed: usize,
}

impl<P, S: Default> Finished<P, S> {
    /// How the stage ran, with its one-line summary made by `line(summary, seconds,
    /// partitions resumed)`.
    pub fn outcome(&self, line: impl FnOnce(&S, f64, usize) -> String) -> StageOutcome {
        let default = S::default();
        let summary = self.record.summary.as_ref().unwrap_or(&default);
        StageOutcome::Ran {
            fingerprint: record_fingerprint(&self.record),
            summary: line(summary, self.record.seconds, self.resumed),
        }
    }
}

/// The fingerprint downstream stages take as their input fingerprint.
pub fn record_fingerprint<P, S>(record: &StageRecord<P, S>) -> String {
    fingerprint_config(&(&record.config_fingerprint, &record.input_fingerprint))
}

/// Runs `process` on every partition not already done, then `summarize`s all of them.
/// Returns `None` when the stage was up to date.
pub fn run_partitioned<P, S>(
    context: &StageContext<'_>,
    plan: PartitionPlan<'_>,
    process: impl Fn(usize, &StageProgress) -> Result<P> + Sync,
    summarize: impl FnOnce(&BTreeMap<String, P>) -> S,
) -> Result<std::result::Result<Finished<P, S>, StageOutcome>>
where
    P: Serialize + DeserializeOwned + PartitionStats + Send,
    S: Serialize + DeserializeOwned + Send,
{
    let stage_dir = plan.stage_dir;
    let previous = StageRecord::<P, S>::read(stage_dir);
    if !context.force
        && let Some(record) = &previous
        && record.is_complete_for(&plan.config_fingerprint, &plan.input_fingerprint)
    {
        return Ok(Err(StageOutcome::UpToDate {
            fingerprint: record_fingerprint(record),
        }));
    }
    let resumable = previous
        .filter(|r| !context.force && r.matches(&plan.config_fingerprint, &plan.input_fingerprint));
    // The interrupted run's time up to its last finished partition (kept current in its
    // record), so a resumed stage's `seconds` covers the kept partitions' work too.
    let previous_seconds = resumable.as_ref().map_or(0.0, |r| r.seconds);
    let kept: BTreeMap<String, P> = resumable
        .map(|r| r.partitions_done)
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, stats)| {
            plan.partitions.iter().any(|&p| &partition_key(p) == key)
                && stats.outputs().iter().all(|o| stage_dir.join(o).is_file())
        })
        .collect();
    let kept_seconds = if kept.is_empty() {
        0.0
    } else {
        previous_seconds
    };
    let keep_files: Vec<String> = kept.values().flat_map(|s| s.outputs()).collect();
    prepare_stage_dir(stage_dir, &keep_files)?;

    let todo: Vec<usize> = plan
        .partitions
        .iter()
        .copied()
        .filter(|p| !kept.contains_key(&partition_key(*p)))
        .collect();
    let resumed = plan.partitions.len() - todo.len();
    tracing::debug!(
        event = "partitions_planned",
        stage = plan.stage,
        partitions_total = plan.partitions.len(),
        partitions_kept = resumed,
        config_fingerprint = plan.config_fingerprint.as_str(),
        input_fingerprint = plan.input_fingerprint.as_str(),
        "{}: {} partitions, {resumed} kept from an interrupted run",
        plan.stage,
        plan.partitions.len()
    );
    let record = Mutex::new(StageRecord::<P, S> {
        stage: plan.stage.to_owned(),
        format_version: FORMAT_VERSION,
        status: StageStatus::Running,
        config_fingerprint: plan.config_fingerprint,
        input_fingerprint: plan.input_fingerprint,
        inputs: plan.inputs,
        partitions_total: plan.partitions.len(),
        partitions_done: kept,
        summary: None,
        seconds: kept_seconds,
    });
    let write = |record: &StageRecord<P, S>| {
        record
            .write(stage_dir)
            .with_context(|| format!("cannot write {}", stage_dir.display()))
    };
    write(
        &*record
            .lock()
            .map_err(|_| anyhow!("stage record lock poisoned"))?,
    )?;

    let progress = StageProgress::new(
        plan.stage,
        plan.partitions.len() as u64,
        context.show_progress,
    );
    for _ in 0..resumed {
        progress.finish_unit();
    }
    // Workers run outside the stage's span unless they enter it: their events (damaged
    // records, partitions done) then carry the stage.
    let span = tracing::Span::current();
    context.pool.install(|| {
        todo.par_iter().try_for_each(|&partition| -> Result<()> {
            let _entered = span.enter();
            let part_progress = progress.partition();
            let stats = process(partition, &part_progress)?;
            let mut record = record
                .lock()
                .map_err(|_| anyhow!("stage record lock poisoned"))?;
            record
                .partitions_done
                .insert(partition_key(partition), stats);
            record.seconds = kept_seconds + progress.elapsed().as_secs_f64();
            write(&record)?;
            progress.finish_unit();
            let done = record.partitions_done.len();
            drop(record);
            let (rows, bytes) = part_progress.counts();
            let seconds = part_progress.elapsed().as_secs_f64();
            tracing::info!(
                event = "partition_done",
                stage = plan.stage,
                partition,
                rows,
                bytes,
                seconds,
                partitions_done = done,
                partitions_total = plan.partitions.len(),
                "{} partition {partition} done: {rows} rows, {bytes} bytes in {seconds:.2} s ({done}/{})",
                plan.stage,
                plan.partitions.len()
            );
            Ok(())
        })
    })?;

    let mut record = record
        .into_inner()
        .map_err(|_| anyhow!("stage record lock poisoned"))?;
    record.summary = Some(summarize(&record.partitions_done));
    record.seconds = kept_seconds + progress.elapsed().as_secs_f64();
    record.status = StageStatus::Complete;
    write(&record)?;
    Ok(Ok(Finished { record, resumed }))
}
