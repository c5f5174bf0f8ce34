//! `curate run`: execute a job.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Args;

use crate::cluster::Step;
use crate::cluster::task::resolve;
use crate::job::load_job;
use crate::logging::{CONSOLE, LogFormat};
use crate::runner::{AfterStage, RunOptions, run_job};
use crate::stages::Stage;
use crate::storage::run_lease::RunLease;
use crate::storage::run_mirror::{PushMode, RunMirror, working_copy};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The job file (TOML).
    pub job: PathBuf,
    /// Stop after this stage.
    #[arg(long, value_enum)]
    pub until: Option<Stage>,
    /// Rerun this stage and every stage after it, even if up to date.
    #[arg(long, value_enum)]
    pub force: Option<Stage>,
    /// Worker threads (0: one per core). The output is the same whatever the number.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bars (they are drawn only on a terminal anyway).
    #[arg(long, short)]
    pub quiet: bool,
    /// Put the run directory under DIR instead of the job's `output_dir`.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// When stderr is not a terminal (or logs are JSON), report the running stage every N
    /// seconds: partitions done, MB/s, ETA. 0 turns it off.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub heartbeat_seconds: u64,
    /// Run one step of a planned run (`curate plan`) as one task of many: a map step
    /// (ingest-filter-sign, dedup-write, count, shard-scatter, ...) runs this rank's
    /// partitions, a reduce step (dedup, tokenizer, mix, shard) runs on rank 0; the job's
    /// last step (or `seal`) finishes the run. See "Running on a cluster" in the README.
    #[arg(long, value_enum, value_name = "STEP")]
    pub step: Option<Step>,
    /// This task's rank, 0-based (else CURATE_RANK, SLURM_ARRAY_TASK_ID or
    /// JOB_COMPLETION_INDEX).
    #[arg(long, requires = "step")]
    pub rank: Option<usize>,
    /// How many tasks run the step (else CURATE_WORLD_SIZE or SLURM_ARRAY_TASK_COUNT).
    #[arg(long, requires = "step")]
    pub world_size: Option<usize>,
    /// Spill files (dedup index runs, shard buckets) go under DIR, e.g. node-local disk,
    /// instead of the stage directories. Cluster steps keep the shuffle's spills in the run
    /// directory: other tasks read them.
    #[arg(long, value_name = "DIR")]
    pub scratch: Option<PathBuf>,
}

pub fn run(args: RunArgs, log_format: LogFormat) -> Result<()> {
    if args.step.is_some() && (args.until.is_some() || args.force.is_some()) {
        anyhow::bail!(
            "--step runs one step of a planned run: --until and --force apply to `curate run` \
             of the whole job"
        );
    }
    let task = args
        .step
        .map(|step| {
            resolve(step, args.rank, args.world_size, |name| {
                std::env::var(name).ok()
            })
        })
        .transpose()?;
    let mut job = load_job(&args.job)?;
    if let Some(dir) = &args.output_dir {
        job.set_output_dir(dir);
    }
    // A run in a bucket runs in a local working copy, pulled first and pushed after every
    // stage (see `storage::run_mirror`), under the bucket's lease (`storage::run_lease`).
    // What people are told the run is: its URL for a run in a bucket.
    let shown_run = job.run_dir.display().to_string();
    let (mirror, _lease) = match job.remote_run() {
        None => (None, None),
        Some(url) => {
            // The whole job has one writer and holds the lease; the tasks of a cluster
            // step write side by side, each in a working copy of its own.
            let (lease, local, mode) = match task {
                None => (
                    Some(RunLease::acquire(&url)?),
                    working_copy(&url, args.scratch.as_deref()),
                    PushMode::Full,
                ),
                Some(task) => {
                    let copy = working_copy(&url, args.scratch.as_deref());
                    let mut name = copy.file_name().unwrap_or_default().to_owned();
                    name.push(format!("-{}-{}", task.step.name(), task.rank));
                    let mode = if task.step.kind() == crate::cluster::StepKind::Map {
                        PushMode::Additions
                    } else {
                        PushMode::Full
                    };
                    (None, copy.with_file_name(name), mode)
                }
            };
            let mirror = RunMirror::new(url, local);
            let pulled = mirror.pull()?;
            tracing::info!(
                event = "run_pulled",
                url = %mirror.url,
                local = %mirror.local.display(),
                objects = pulled.transferred,
                bytes = pulled.bytes,
                "{}: working copy {} ({} objects pulled)",
                mirror.url,
                mirror.local.display(),
                pulled.transferred
            );
            job.run_dir = mirror.local.clone();
            (Some((mirror, mode)), lease)
        }
    };
    let after_stage = mirror.clone().map(|(mirror, mode)| {
        AfterStage(std::sync::Arc::new(move |_stage| {
            push(&mirror, mode)?;
            Ok(())
        }))
    });
    let on_terminal = std::io::stderr().is_terminal();
    // Bars and JSON lines would share stderr: JSON logs get heartbeats instead.
    let bars = !args.quiet && log_format == LogFormat::Human;
    let heartbeat = if on_terminal && bars {
        Duration::ZERO
    } else {
        Duration::from_secs(args.heartbeat_seconds)
    };
    let options = RunOptions {
        until: args.until,
        force: args.force,
        threads: args.threads,
        show_progress: bars,
        heartbeat,
        command: std::env::args().collect(),
        task,
        scratch: args.scratch.clone(),
        after_stage,
    };
    let result = run_job(&job, &options);
    tracing::info!(
        target: CONSOLE,
        event = "run_finished",
        label = "run",
        ok = result.is_ok(),
        run_dir = %shown_run,
        "{shown_run}"
    );
    // The report is derived from the run directory, also of a failed run (it shows the
    // failure): failing to write it loses nothing. Of a cluster run, its last step does.
    if !options.ends_run(&job) {
        if let Some((mirror, mode)) = &mirror {
            let pushed = push(mirror, *mode);
            result?;
            return pushed;
        }
        return result.map(|_| ());
    }
    let result = result.map(|_| ());
    match crate::report::write_reports(&job.run_dir) {
        Ok(_) => tracing::info!(
            target: CONSOLE,
            event = "report_written",
            label = "report",
            path = %job.run_dir.join(crate::report::REPORT_HTML).display(),
            "{}",
            job.run_dir.join(crate::report::REPORT_HTML).display()
        ),
        Err(error) => tracing::warn!(
            event = "report_failed",
            "cannot write the report: {error:#}"
        ),
    }
    // The final push carries run.json and the report, also of a failed run.
    if let Some((mirror, mode)) = &mirror {
        let pushed = push(mirror, *mode);
        result?;
        pushed?;
        return Ok(());
    }
    result
}

/// Uploads what changed in the working copy of a run kept in a bucket.
fn push(mirror: &RunMirror, mode: PushMode) -> Result<()> {
    let counts = mirror.push_with(mode)?;
    tracing::info!(
        event = "run_pushed",
        url = %mirror.url,
        objects = counts.transferred,
        bytes = counts.bytes,
        removed = counts.removed,
        "{}: {} objects uploaded ({} bytes), {} removed",
        mirror.url,
        counts.transferred,
        counts.bytes,
        counts.removed
    );
    Ok(())
}
