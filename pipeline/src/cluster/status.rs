//! What a planned run has done, step by step, from its files alone: the plan, each stage's
//! record and partition markers, and the Slurm jobs the last launch submitted.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::plan::RunPlan;
use super::slurm::LaunchRecord;
use super::{Step, StepKind};
use crate::run::marker::PartitionMarker;
use crate::run::run_record::{RUN_RECORD_FILE, RunRecord, RunStatus};
use crate::run::stage_record::{is_complete, partition_key};
use crate::stages::dedup::decision_step::DecisionsRecord;

/// The state of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepStatus {
    pub step: String,
    pub kind: String,
    /// Its stage record says complete (for `seal`: `run.json` says complete).
    pub complete: bool,
    /// Map steps: partitions with a completion marker whose outputs are in place.
    pub partitions_done: usize,
    pub partitions_total: usize,
    /// Map steps: partitions without a usable marker, by key (`00003`).
    pub missing: Vec<String>,
    /// Slurm jobs of the last launch for this step, and which of them are still queued or
    /// running (`ID STATE`).
    pub slurm_jobs: Vec<String>,
    pub slurm_active: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunStatusReport {
    pub run_dir: String,
    pub job: String,
    pub partitions: usize,
    pub steps: Vec<StepStatus>,
    pub complete: bool,
    /// Tasks per map step of the last launch, if launched.
    pub tasks: Option<usize>,
    /// What to do next, as a command or a sentence.
    pub next: String,
}

/// Reads the state of a planned run. `queued` lists the Slurm jobs still in the queue
/// (`ID STATE` lines from squeue), or `None` when squeue cannot be asked.
pub fn run_status(
    run_dir: &Path,
    queued: impl Fn(&[String]) -> Option<Vec<String>>,
) -> Result<RunStatusReport> {
    let plan = RunPlan::read(run_dir)?;
    let launch = LaunchRecord::read(run_dir);
    let mut steps = Vec::new();
    for (index, planned) in plan.steps.iter().enumerate() {
        let step = parse_step(&planned.step)?;
        // The last step finishes the run: it is done once `run.json` says so.
        let ends_run = index + 1 == plan.steps.len();
        let slurm_jobs: Vec<String> = launch
            .as_ref()
            .and_then(|l| l.steps.iter().find(|s| s.step == planned.step))
            .map(|s| s.job_ids.clone())
            .unwrap_or_default();
        let slurm_active = if slurm_jobs.is_empty() {
            Vec::new()
        } else {
            queued(&slurm_jobs).unwrap_or_default()
        };
        let mut status = StepStatus {
            step: planned.step.clone(),
            kind: planned.kind.clone(),
            complete: false,
            partitions_done: 0,
            partitions_total: 0,
            missing: Vec::new(),
            slurm_jobs,
            slurm_active,
        };
        match step.stage() {
            Some(_) => {
                status.complete = step_done(run_dir, step, plan.partitions)
                    && (!ends_run || run_record_complete(run_dir));
                if step.kind() == StepKind::Map {
                    let total = step_partitions(run_dir, step, plan.partitions).unwrap_or(0);
                    status.partitions_total = total;
                    let usable = partitions_done(run_dir, step, total);
                    status.partitions_done = usable.iter().filter(|ok| **ok).count();
                    if !status.complete {
                        status.missing = usable
                            .iter()
                            .enumerate()
                            .filter(|(_, ok)| !**ok)
                            .map(|(p, _)| partition_key(p))
                            .collect();
                    } else {
                        status.partitions_done = total;
                    }
                }
            }
            None => status.complete = run_record_complete(run_dir),
        }
        steps.push(status);
    }
    let complete = steps.iter().all(|s| s.complete);
    let next = next_step(run_dir, &plan, &steps, launch.as_ref(), complete);
    Ok(RunStatusReport {
        run_dir: run_dir.display().to_string(),
        job: plan.job,
        partitions: plan.partitions,
        steps,
        complete,
        tasks: launch.as_ref().map(|l| l.tasks),
        next,
    })
}

/// Whether a step's work is done, from the run's files alone: its stage is complete; for
/// `dedup-sign` and `dedup`, the decisions they lead to are in place (the signatures go
/// once the decisions are made); for the map steps whose outputs are not the stage's
/// (`dedup-sign`, `shard-scatter`) or not all of it (`shard-write`), every partition has
/// its marker. `ingest-filter-sign` is done when filter is and its signing is too.
pub fn step_done(run_dir: &Path, step: Step, partitions: usize) -> bool {
    let Some(stage) = step.stage() else {
        return false;
    };
    let every_partition = || {
        step_partitions(run_dir, step, partitions)
            .is_some_and(|n| partitions_done(run_dir, step, n).iter().all(|ok| *ok))
    };
    match step {
        // Its last part, the signing, counts too.
        Step::IngestFilterSign => {
            is_complete(&run_dir.join(stage.dir_name())) && signed_or_decided(run_dir)
                || every_partition()
        }
        _ if is_complete(&run_dir.join(stage.dir_name())) => true,
        Step::DedupSign => signed_or_decided(run_dir) || every_partition(),
        Step::Dedup => DecisionsRecord::is_in_place(&dedup_dir(run_dir)),
        Step::ShardScatter | Step::ShardWrite => every_partition(),
        _ => false,
    }
}

/// For each planned partition, whether the map step is done with it: its marker is there
/// with its outputs; for `ingest-filter-sign`, the filter's marker and the signature's (or
/// dedup has decided already).
pub fn partitions_done(run_dir: &Path, step: Step, partitions: usize) -> Vec<bool> {
    let usable = usable_markers(&step_markers_dir(run_dir, step), partitions);
    if step != Step::IngestFilterSign || signed_or_decided(run_dir) {
        return usable;
    }
    let signed = usable_markers(&step_markers_dir(run_dir, Step::DedupSign), partitions);
    usable.iter().zip(signed).map(|(a, b)| *a && b).collect()
}

/// How many partitions a map step has: the plan's (one per input partition), or for
/// `shard-write` the shards the shard step packed for (`None` until it has).
pub fn step_partitions(run_dir: &Path, step: Step, planned: usize) -> Option<usize> {
    if step != Step::ShardWrite {
        return Some(planned);
    }
    let dir = run_dir.join(crate::stages::Stage::Shard.dir_name());
    crate::stages::shard::ShardRecord::read(&dir)
        .filter(|record| record.status == crate::run::stage_record::StageStatus::Complete)
        .map(|record| record.partitions_total)
        .or_else(|| {
            crate::stages::shard::write_step::packed_shards(
                &dir.join(crate::stages::shard::WORK_DIR),
            )
        })
}

/// Dedup needs no more signatures: it is complete or has made its decisions.
fn signed_or_decided(run_dir: &Path) -> bool {
    let dir = dedup_dir(run_dir);
    is_complete(&dir) || DecisionsRecord::is_in_place(&dir)
}

fn dedup_dir(run_dir: &Path) -> PathBuf {
    run_dir.join(crate::stages::Stage::Dedup.dir_name())
}

/// Whether `run.json` says the run is complete.
pub fn run_record_complete(run_dir: &Path) -> bool {
    RunRecord::read(run_dir).is_some_and(|record| record.status == RunStatus::Complete)
        && run_dir.join(RUN_RECORD_FILE).is_file()
}

fn parse_step(name: &str) -> Result<Step> {
    use clap::ValueEnum;
    Step::from_str(name, false)
        .map_err(|_| anyhow::anyhow!("plan.json names an unknown step {name:?}"))
}

/// Where a map step's completion markers are: its stage directory, dedup's
/// `_signatures/` for `dedup-sign`, the shard directory's `_scatter/` for `shard-scatter`.
pub fn step_markers_dir(run_dir: &Path, step: Step) -> PathBuf {
    let dir = run_dir.join(step.stage().map_or("", |s| s.dir_name()));
    match step {
        Step::DedupSign => crate::stages::dedup::sign_step::signatures_dir(&dir),
        Step::ShardScatter => crate::stages::shard::scatter_step::scatter_dir(&dir),
        _ => dir,
    }
}

/// For each planned partition: a marker whose outputs exist with their recorded sizes.
/// (Whether its fingerprints match the job is checked by the step that seals the stage.)
fn usable_markers(dir: &Path, partitions: usize) -> Vec<bool> {
    (0..partitions)
        .map(|index| PartitionMarker::<serde_json::Value>::read_in_place(dir, index).is_ok())
        .collect()
}

fn next_step(
    run_dir: &Path,
    plan: &RunPlan,
    steps: &[StepStatus],
    launch: Option<&LaunchRecord>,
    complete: bool,
) -> String {
    if complete {
        return format!(
            "nothing: the run is complete (check the shards with `curate verify {}`)",
            run_dir.display()
        );
    }
    if steps.iter().any(|s| !s.slurm_active.is_empty()) {
        return "wait: Slurm jobs of this run are still queued or running (`squeue`)".to_owned();
    }
    match launch {
        Some(launch) => format!(
            "launch again to run only what is missing: {}",
            launch.command.join(" ")
        ),
        None => {
            let output_dir = run_dir
                .parent()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."));
            format!(
                "curate launch slurm {} --tasks N --output-dir {} (or `curate run` it on one \
                 machine)",
                plan.job_file,
                output_dir.display()
            )
        }
    }
}

/// The report as people read it. Missing partitions are listed for the first incomplete
/// step, the one to look at: the steps after it wait for it (or were cancelled with it).
pub fn render(report: &RunStatusReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "run {} ({}): {} partitions per map step",
        report.run_dir, report.job, report.partitions
    );
    let first_incomplete = report.steps.iter().position(|s| !s.complete);
    for (index, step) in report.steps.iter().enumerate() {
        let waiting = first_incomplete.is_some_and(|first| index > first);
        let state = if step.complete {
            "complete".to_owned()
        } else if !step.slurm_active.is_empty() {
            format!("in Slurm: {}", step.slurm_active.join(", "))
        } else if step.kind == "map"
            && step.partitions_total > 0
            && step.partitions_done == step.partitions_total
        {
            "partitions done, sealed by the next step".to_owned()
        } else if waiting {
            if step.slurm_jobs.is_empty() {
                "waiting for the steps before it".to_owned()
            } else {
                "not run: a step before it did not complete".to_owned()
            }
        } else if step.slurm_jobs.is_empty() {
            "not done".to_owned()
        } else {
            "failed or cancelled".to_owned()
        };
        let partitions = if step.kind == "map" {
            format!(
                "{}/{} partitions",
                step.partitions_done, step.partitions_total
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:<18} {:<7} {:<18} {}{}",
            step.step,
            step.kind,
            partitions,
            state,
            if step.slurm_jobs.is_empty() {
                String::new()
            } else {
                format!("  (Slurm job {})", step.slurm_jobs.join(", "))
            }
        );
        if Some(index) == first_incomplete && step.slurm_active.is_empty() {
            if !step.missing.is_empty() && step.partitions_done < step.partitions_total {
                const SHOWN: usize = 20;
                let shown: Vec<&str> = step
                    .missing
                    .iter()
                    .take(SHOWN)
                    .map(String::as_str)
                    .collect();
                let more = step.missing.len().saturating_sub(SHOWN);
                let _ = writeln!(
                    out,
                    "                     missing partitions: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                );
            }
            if let Some(logs) = failed_task_logs(report, step) {
                let _ = writeln!(out, "                     task logs: {logs}");
            }
        }
    }
    let _ = writeln!(out, "next: {}", report.next);
    out
}

/// The log files of the tasks that owned the missing partitions of a step (or of its one
/// task for a reduce step), as `curate launch` named them.
fn failed_task_logs(report: &RunStatusReport, step: &StepStatus) -> Option<String> {
    let job = step.slurm_jobs.first()?;
    let logs = format!("{}/slurm/logs", report.run_dir);
    if step.kind != "map" {
        return Some(format!("{logs}/{}-{job}.out", step.step));
    }
    let tasks = report.tasks?;
    let mut ranks: Vec<usize> = step
        .missing
        .iter()
        .filter_map(|key| key.parse::<usize>().ok())
        .map(|p| p % tasks)
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    if step.slurm_jobs.len() > 1 || ranks.is_empty() {
        return Some(format!("{logs}/{}-*.out", step.step));
    }
    let files: Vec<String> = ranks
        .iter()
        .take(5)
        .map(|rank| format!("{logs}/{}-{job}_{rank}.out", step.step))
        .collect();
    Some(files.join(" "))
}

/// Whether every enabled stage's step is complete.
pub fn run_is_complete(run_dir: &Path) -> bool {
    run_status(run_dir, |_| None).is_ok_and(|report| report.complete)
}
