//! The shared driver of partitioned stages: skip when up to date, keep the partitions an
//! interrupted run finished, run the rest in parallel, record each one as it completes.
//!
//! Every finished partition gets a completion marker (`run::marker`). On one machine the
//! stage's `_stage.json` is also kept current as partitions finish. On a cluster, each
//! rank runs its share of the partitions and writes only their outputs and markers; the
//! seal (the first step after the map step, on whichever process needs the stage) builds
//! `_stage.json` from the markers once every planned partition has one. The record is a
//! function of the markers, so concurrent seals write the same bytes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, anyhow};
use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Execution, StageContext, StageOutcome, prepare_stage_dir, remove_outputs_except};
use crate::progress::StageProgress;
use crate::run::fingerprint::{InputFile, fingerprint_config};
use crate::run::marker::{
    MarkerProblem, MarkerWriter, PartitionMarker, marker_path, remove_markers_except, this_writer,
    write_marker,
};
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
    match context.execution {
        Execution::Whole => {}
        Execution::Seal => return seal(plan, summarize).map(Ok),
        Execution::Rank { rank, world_size } => {
            return run_rank(context, plan, process, rank, world_size).map(Err);
        }
    }
    let resumable = previous
        .filter(|r| !context.force && r.matches(&plan.config_fingerprint, &plan.input_fingerprint));
    // The interrupted run's time up to its last finished partition (kept current in its
    // record), so a resumed stage's `seconds` covers the kept partitions' work too.
    let previous_seconds = resumable.as_ref().map_or(0.0, |r| r.seconds);
    let mut kept: BTreeMap<String, P> = resumable
        .map(|r| r.partitions_done)
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, stats)| {
            plan.partitions.iter().any(|&p| &partition_key(p) == key)
                && stats.outputs().iter().all(|o| stage_dir.join(o).is_file())
        })
        .collect();
    // Partitions finished by cluster ranks (or after the record was last written) have a
    // valid marker.
    if !context.force {
        for &partition in &plan.partitions {
            let key = partition_key(partition);
            if !kept.contains_key(&key)
                && let Ok(marker) = PartitionMarker::<P>::read_valid(
                    stage_dir,
                    partition,
                    &plan.config_fingerprint,
                    &plan.input_fingerprint,
                )
            {
                kept.insert(key, marker.stats);
            }
        }
    }
    let kept_seconds = if kept.is_empty() {
        0.0
    } else {
        previous_seconds
    };
    let keep_files: Vec<String> = kept.values().flat_map(|s| s.outputs()).collect();
    prepare_stage_dir(stage_dir, &keep_files)?;
    let kept_partitions: Vec<usize> = plan
        .partitions
        .iter()
        .copied()
        .filter(|p| kept.contains_key(&partition_key(*p)))
        .collect();
    remove_markers_except(stage_dir, &kept_partitions)
        .with_context(|| format!("cannot clean the markers of {}", stage_dir.display()))?;
    let writer = this_writer(None);
    let finished_here = AtomicUsize::new(0);

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
    let (config_fingerprint, input_fingerprint) = (
        plan.config_fingerprint.clone(),
        plan.input_fingerprint.clone(),
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
            let stats = run_and_mark(
                (plan.stage, stage_dir),
                (&config_fingerprint, &input_fingerprint),
                partition,
                &process,
                &part_progress,
                &writer,
            )?;
            let finished = finished_here.fetch_add(1, Ordering::Relaxed) + 1;
            crate::run::fault::abort_at(&format!("abort:{}:{finished}", plan.stage));
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

/// Runs one partition and writes its completion marker once its outputs are in place.
fn run_and_mark<P>(
    (stage, stage_dir): (&str, &Path),
    fingerprints: (&str, &str),
    partition: usize,
    process: &(impl Fn(usize, &StageProgress) -> Result<P> + Sync),
    progress: &StageProgress,
    writer: &MarkerWriter,
) -> Result<P>
where
    P: Serialize + PartitionStats,
{
    let stats = process(partition, progress)?;
    write_marker(
        stage_dir,
        stage,
        partition,
        fingerprints,
        &stats.outputs(),
        &stats,
        progress.elapsed().as_secs_f64(),
        writer.clone(),
    )
    .with_context(|| format!("cannot write the marker of {}", stage_dir.display()))?;
    Ok(stats)
}

/// One rank's share of a map step: the planned partitions `p % world_size == rank` that
/// have no valid marker, each written and then marked. Nothing else in the stage directory
/// is touched: other ranks write there at the same time.
pub fn run_rank<P>(
    context: &StageContext<'_>,
    plan: PartitionPlan<'_>,
    process: impl Fn(usize, &StageProgress) -> Result<P> + Sync,
    rank: usize,
    world_size: usize,
) -> Result<StageOutcome>
where
    P: Serialize + DeserializeOwned + PartitionStats + Send,
{
    let stage_dir = plan.stage_dir;
    std::fs::create_dir_all(stage_dir)
        .with_context(|| format!("cannot create {}", stage_dir.display()))?;
    let fingerprints = (
        plan.config_fingerprint.as_str(),
        plan.input_fingerprint.as_str(),
    );
    let mine: Vec<usize> = plan
        .partitions
        .iter()
        .copied()
        .filter(|p| p % world_size == rank)
        .collect();
    let todo: Vec<usize> = mine
        .iter()
        .copied()
        .filter(|&p| {
            PartitionMarker::<P>::read_valid(stage_dir, p, fingerprints.0, fingerprints.1).is_err()
        })
        .collect();
    let already = mine.len() - todo.len();
    let writer = this_writer(Some((rank, world_size)));
    let progress = StageProgress::new(plan.stage, mine.len() as u64, context.show_progress);
    for _ in 0..already {
        progress.finish_unit();
    }
    let span = tracing::Span::current();
    context.pool.install(|| {
        todo.par_iter().try_for_each(|&partition| -> Result<()> {
            let _entered = span.enter();
            // A marker that no longer vouches (other configuration, changed output) goes
            // first: the partition is redone.
            let stale = marker_path(stage_dir, partition);
            if stale.exists() {
                std::fs::remove_file(&stale)
                    .with_context(|| format!("cannot remove {}", stale.display()))?;
            }
            let part_progress = progress.partition();
            run_and_mark(
                (plan.stage, stage_dir),
                fingerprints,
                partition,
                &process,
                &part_progress,
                &writer,
            )?;
            progress.finish_unit();
            let (rows, bytes) = part_progress.counts();
            let seconds = part_progress.elapsed().as_secs_f64();
            tracing::info!(
                event = "partition_done",
                stage = plan.stage,
                partition,
                rows,
                bytes,
                seconds,
                rank,
                world_size,
                "{} partition {partition} done: {rows} rows, {bytes} bytes in {seconds:.2} s",
                plan.stage
            );
            Ok(())
        })
    })?;
    Ok(StageOutcome::Ran {
        fingerprint: fingerprint_config(&fingerprints),
        summary: format!(
            "rank {rank} of {world_size}: {} of the stage's {} partitions are this rank's; {} \
             done now, {already} already done",
            mine.len(),
            plan.partitions.len(),
            todo.len()
        ),
    })
}

/// The statistics of every planned partition from its valid marker, and their seconds
/// summed; fails naming each partition without one. A marker that cannot vouch (another
/// configuration or version, a changed output) goes, so that the next launch, which
/// submits the ranks of unmarked partitions, redoes its partition.
pub fn collect_markers<P>(plan: &PartitionPlan<'_>) -> Result<(BTreeMap<String, P>, f64)>
where
    P: DeserializeOwned,
{
    let stage_dir = plan.stage_dir;
    let mut done = BTreeMap::new();
    let mut seconds = 0.0;
    let mut problems: Vec<(usize, MarkerProblem)> = Vec::new();
    for &partition in &plan.partitions {
        match PartitionMarker::<P>::read_valid(
            stage_dir,
            partition,
            &plan.config_fingerprint,
            &plan.input_fingerprint,
        ) {
            Ok(marker) => {
                seconds += marker.seconds;
                done.insert(partition_key(partition), marker.stats);
            }
            Err(problem) => problems.push((partition, problem)),
        }
    }
    if !problems.is_empty() {
        for (partition, problem) in &problems {
            if *problem != MarkerProblem::Missing {
                let _ = std::fs::remove_file(marker_path(stage_dir, *partition));
            }
        }
        return Err(IncompleteStage {
            stage: plan.stage.to_owned(),
            total: plan.partitions.len(),
            problems,
        }
        .into());
    }
    Ok((done, seconds))
}

/// Builds `_stage.json` from the markers of every planned partition, after removing the
/// outputs and markers of partitions the plan does not have. Fails naming each partition
/// without a valid marker.
fn seal<P, S>(
    plan: PartitionPlan<'_>,
    summarize: impl FnOnce(&BTreeMap<String, P>) -> S,
) -> Result<Finished<P, S>>
where
    P: Serialize + DeserializeOwned + PartitionStats,
    S: Serialize + DeserializeOwned,
{
    let stage_dir = plan.stage_dir;
    let (done, seconds) = collect_markers::<P>(&plan)?;
    let keep_files: Vec<String> = done.values().flat_map(|s: &P| s.outputs()).collect();
    remove_outputs_except(stage_dir, &keep_files, false)?;
    remove_markers_except(stage_dir, &plan.partitions)
        .with_context(|| format!("cannot clean the markers of {}", stage_dir.display()))?;
    let summary = summarize(&done);
    let record = StageRecord {
        stage: plan.stage.to_owned(),
        format_version: FORMAT_VERSION,
        status: StageStatus::Complete,
        config_fingerprint: plan.config_fingerprint,
        input_fingerprint: plan.input_fingerprint,
        inputs: plan.inputs,
        partitions_total: plan.partitions.len(),
        partitions_done: done,
        summary: Some(summary),
        // Partition seconds summed: the record is the same whichever process seals it.
        seconds,
    };
    record
        .write(stage_dir)
        .with_context(|| format!("cannot write {}", stage_dir.display()))?;
    tracing::info!(
        event = "stage_sealed",
        stage = plan.stage,
        partitions = plan.partitions.len(),
        "{}: {} partitions sealed",
        plan.stage,
        plan.partitions.len()
    );
    // Sealed, not resumed: the partitions were done by this run's tasks.
    Ok(Finished { record, resumed: 0 })
}

/// A stage that cannot be sealed: partitions without a valid completion marker, by name.
#[derive(Debug, thiserror::Error)]
pub struct IncompleteStage {
    pub stage: String,
    pub total: usize,
    pub problems: Vec<(usize, MarkerProblem)>,
}

impl std::fmt::Display for IncompleteStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 20;
        write!(
            f,
            "stage {} is not complete: {} of its {} partitions have no valid completion \
             marker (not run, failed or killed): ",
            self.stage,
            self.problems.len(),
            self.total
        )?;
        for (i, (partition, problem)) in self.problems.iter().take(SHOWN).enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{} ({problem})", partition_key(*partition))?;
        }
        if self.problems.len() > SHOWN {
            write!(f, ", and {} more", self.problems.len() - SHOWN)?;
        }
        write!(
            f,
            "; run the step again (`curate launch` resubmits only what is missing) or \
             `curate run` the job"
        )
    }
}
