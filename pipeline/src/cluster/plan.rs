//! `curate plan`: fix a run's inputs and resolved job once, before any task runs.
//!
//! The resolved job (every glob expanded) is written to `job.resolved.toml` and the steps
//! with their partition counts to `plan.json`. A step task resolves the job again and must
//! find the same text, so no rank ever works from another listing of the inputs, and a run
//! directory made by another job is refused instead of mixed.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::{Step, StepKind};
use crate::job::ResolvedJob;
use crate::run::atomic::write_atomic;
use crate::runner::RESOLVED_JOB_FILE;

/// The file of the plan in the run directory.
pub const PLAN_FILE: &str = "plan.json";

/// The steps of a planned run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPlan {
    pub job: String,
    pub job_file: String,
    /// Partitions of every map step (one per input file, or per source with `max_docs`).
    pub partitions: usize,
    pub steps: Vec<PlannedStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub step: String,
    /// `map` (partitions over ranks) or `reduce` (rank 0).
    pub kind: String,
}

impl RunPlan {
    pub fn of(job: &ResolvedJob) -> RunPlan {
        RunPlan {
            job: job.name.clone(),
            job_file: job.job_file.display().to_string(),
            partitions: crate::stages::ingest::partition_count(job),
            steps: Step::all_for(job)
                .into_iter()
                .map(|step| PlannedStep {
                    step: step.name().to_owned(),
                    kind: match step.kind() {
                        StepKind::Map => "map",
                        StepKind::Reduce => "reduce",
                    }
                    .to_owned(),
                })
                .collect(),
        }
    }

    pub fn read(run_dir: &Path) -> Result<RunPlan> {
        let path = run_dir.join(PLAN_FILE);
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read {}: the run was not planned (`curate plan` or `curate launch`)",
                path.display()
            )
        })?;
        serde_json::from_slice(&bytes).with_context(|| format!("{} is damaged", path.display()))
    }
}

/// Plans `job` in its run directory: writes `job.resolved.toml` and `plan.json`. A run
/// directory planned for another resolved job is an error unless `replace`, which replans
/// it (stages whose configuration or input changed then redo their work).
pub fn plan_run(job: &ResolvedJob, replace: bool) -> Result<RunPlan> {
    std::fs::create_dir_all(&job.run_dir)
        .with_context(|| format!("cannot create run directory {}", job.run_dir.display()))?;
    let resolved = job.to_toml().context("cannot write the resolved job")?;
    if !replace {
        check_same_job(&job.run_dir, &resolved, &job.job_file)?;
    }
    write_atomic(&job.run_dir.join(RESOLVED_JOB_FILE), resolved.as_bytes())
        .with_context(|| format!("cannot write {}", job.run_dir.display()))?;
    let plan = RunPlan::of(job);
    let mut bytes = serde_json::to_vec_pretty(&plan)?;
    bytes.push(b'\n');
    write_atomic(&job.run_dir.join(PLAN_FILE), &bytes)
        .with_context(|| format!("cannot write {}", job.run_dir.display()))?;
    Ok(plan)
}

/// A step task's check: the run directory was planned for this very resolved job.
pub fn check_planned(job: &ResolvedJob) -> Result<()> {
    let path = job.run_dir.join(RESOLVED_JOB_FILE);
    if !path.is_file() {
        bail!(
            "{} has not been planned: run `curate plan {}` (or `curate launch`) before its \
             steps",
            job.run_dir.display(),
            job.job_file.display()
        );
    }
    let resolved = job.to_toml().context("cannot write the resolved job")?;
    check_same_job(&job.run_dir, &resolved, &job.job_file)
}

/// Fails when `run_dir` holds the resolved job of another job, or of the same job over
/// other inputs; passes when it holds none yet.
fn check_same_job(run_dir: &Path, resolved: &str, job_file: &Path) -> Result<()> {
    let path = run_dir.join(RESOLVED_JOB_FILE);
    let planned = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    // The comment header names the job file as it was given; the body is what counts.
    let body = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    let (planned_body, resolved_body) = (body(&planned), body(resolved));
    if planned_body == resolved_body {
        return Ok(());
    }
    let difference = planned_body
        .iter()
        .zip(&resolved_body)
        .find(|(a, b)| a != b)
        .map(|(planned, now)| format!("planned `{planned}`, now `{now}`"))
        .unwrap_or_else(|| "one is longer than the other".to_owned());
    bail!(
        "{} was planned for another job or other inputs: {} differs from {} resolved now \
         ({difference}); use another --output-dir, or `curate plan --replace` to replan it",
        run_dir.display(),
        path.display(),
        job_file.display()
    )
}

/// For a run directory in a bucket: pulls it into the working copy commands on this
/// machine use (`curate plan`, `launch`, `status`) and points the job there. The tasks
/// then pull and push through their own copies, so no filesystem is shared.
pub fn attach_bucket_copy(
    job: &mut ResolvedJob,
) -> anyhow::Result<Option<crate::storage::run_mirror::RunMirror>> {
    let Some(url) = job.remote_run() else {
        return Ok(None);
    };
    let local = crate::storage::run_mirror::working_copy(&url, None);
    let mirror = crate::storage::run_mirror::RunMirror::new(url, local);
    mirror.pull()?;
    job.run_dir = mirror.local.clone();
    Ok(Some(mirror))
}
