//! Running a job: its stages in order, each skipped when its output is up to date.
//!
//! Around every stage the runner emits the events people and log collectors follow
//! (`stage_started`, `stage_finished` with the summary line, `stage_failed`), measures
//! what the stage cost (CPU, wall, peak memory, into its `_stage.json` as `cost`), and
//! keeps `run.json` (identity, failure) up to date, so a failed run still leaves the
//! evidence its report shows.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use tracing::{info, info_span, warn};

use crate::cluster::task::{StepTask, injected_fault};
use crate::cluster::{StepKind, stage_ends_in_map};
use crate::heartbeat::Heartbeat;
use crate::job::ResolvedJob;
use crate::logging::CONSOLE;
use crate::progress::{human_bytes, set_current_stage};
use crate::run::atomic::write_atomic;
use crate::run::cost::{CostMeter, StepCost, record_cost};
use crate::run::run_record::{
    GIT_REVISION, RunFailure, RunIdentity, RunRecord, RunStatus, host_name,
};
use crate::stages::upstream::Upstream;
use crate::stages::{
    Execution, Stage, StageContext, StageOutcome, count, dedup, filter, ingest, mix, shard,
    tokenizer,
};

/// The file in the run directory that records the resolved job.
pub const RESOLVED_JOB_FILE: &str = "job.resolved.toml";

/// The key of the funnel counting's cost in the count stage's `_stage.json`.
pub const FUNNEL_COST_KEY: &str = "funnel_cost";

/// How `curate run` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Stop after this stage.
    pub until: Option<Stage>,
    /// Rerun this stage and every stage after it, even if up to date.
    pub force: Option<Stage>,
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    /// Draw progress bars (only when stderr is a terminal).
    pub show_progress: bool,
    /// Report the running stage this often (zero: never).
    pub heartbeat: Duration,
    /// The command line, for the run's identity.
    pub command: Vec<String>,
    /// One task of one step of a cluster run; `None`: the whole job here.
    pub task: Option<StepTask>,
    /// Where spill files go instead of the stage directories (node-local disk).
    pub scratch: Option<PathBuf>,
    /// Called after every stage that ended well (a run in a bucket uploads it).
    pub after_stage: Option<AfterStage>,
}

impl RunOptions {
    /// Whether this process finishes the run (the whole job, or a cluster run's last
    /// step): it keeps `run.json`, and its stages may remove what the steps left for each
    /// other.
    pub fn ends_run(&self, job: &ResolvedJob) -> bool {
        self.task.is_none_or(|task| task.step.ends_run(job))
    }
}

/// What to do after each stage that ended well.
#[derive(Clone)]
pub struct AfterStage(pub std::sync::Arc<dyn Fn(Stage) -> Result<()> + Send + Sync>);

impl std::fmt::Debug for AfterStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AfterStage")
    }
}

/// One line per stage, as printed when it ends.
#[derive(Debug, Clone)]
pub struct StageReport {
    pub stage: Stage,
    pub outcome: StageOutcome,
    pub cost: StepCost,
}

/// Runs the job's stages in order; returns what each did. When a stage fails, the stages
/// before it keep their records, `run.json` names the failed stage and its error, and the
/// error is returned.
///
/// With `options.task`, runs one task of one step of a planned run instead (see
/// `cluster`): no lock (many tasks share the run directory, each partition is owned through
/// its marker), the resolved job must be the planned one, and only the seal step writes
/// `run.json`.
pub fn run_job(job: &ResolvedJob, options: &RunOptions) -> Result<Vec<StageReport>> {
    let _lock = match options.task {
        None => {
            std::fs::create_dir_all(&job.run_dir).with_context(|| {
                format!("cannot create run directory {}", job.run_dir.display())
            })?;
            let lock = crate::run::lock::RunLock::acquire(&job.run_dir)?;
            let resolved = job.to_toml().context("cannot write the resolved job")?;
            write_atomic(&job.run_dir.join(RESOLVED_JOB_FILE), resolved.as_bytes())
                .with_context(|| format!("cannot write {}", job.run_dir.display()))?;
            Some(lock)
        }
        Some(task) => {
            crate::cluster::plan::check_planned(job)?;
            let lock = crate::run::lock::RunLock::acquire_shared(&job.run_dir)?;
            if task.step.kind() == StepKind::Reduce && task.rank != 0 {
                info!(
                    target: CONSOLE,
                    event = "step_skipped",
                    step = task.step.name(),
                    rank = task.rank,
                    "step {} is a reduce step: rank 0 does it, rank {} has nothing to do",
                    task.step.name(),
                    task.rank
                );
                return Ok(Vec::new());
            }
            injected_fault(&task, |name| std::env::var(name).ok())?;
            Some(lock)
        }
    };
    let keeps_run_record = options.ends_run(job);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .thread_name(|i| format!("curate-worker-{i}"))
        .build()
        .context("cannot start worker threads")?;

    let mut record = RunRecord::new(identity(job, pool.current_num_threads(), options));
    record.setup = Some(CostMeter::since_process_start().finish());
    if keeps_run_record {
        write_run_record(&record, &job.run_dir)?;
    }
    info!(
        event = "run_started",
        job = job.name.as_str(),
        run_dir = %job.run_dir.display(),
        curate_version = record.identity.curate_version.as_str(),
        git_revision = GIT_REVISION,
        threads = record.identity.threads,
        input_files = record.identity.input_files,
        input_bytes = record.identity.input_bytes,
        "run {} started: {} input files, {}",
        job.name,
        record.identity.input_files,
        human_bytes(record.identity.input_bytes)
    );
    let _heartbeat = Heartbeat::start(options.heartbeat);

    let result = run_stages(job, options, &pool, &mut record);
    set_current_stage(None);
    record.finished_at = Some(crate::timestamp::now());
    record.process = Some(CostMeter::since_process_start().finish());
    if record.status == RunStatus::Running {
        record.status = RunStatus::Complete;
    }
    if keeps_run_record {
        write_run_record(&record, &job.run_dir)?;
    }
    result
}

/// What a process does with a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StageRole {
    /// Run it (whole, one rank's partitions, or its seal).
    Run(Execution),
    /// A reduce stage an earlier step did: it must be complete.
    RequireComplete,
    /// After this task's step: stop.
    Stop,
}

fn stage_role(stage: Stage, task: Option<StepTask>) -> StageRole {
    let Some(task) = task else {
        return StageRole::Run(Execution::Whole);
    };
    let earlier = if stage_ends_in_map(stage) {
        StageRole::Run(Execution::Seal)
    } else {
        StageRole::RequireComplete
    };
    match task.step.stages() {
        None => earlier,
        Some((first, _)) if stage < first => earlier,
        Some((_, last)) if stage <= last => StageRole::Run(if task.step.kind() == StepKind::Map {
            Execution::Rank {
                rank: task.rank,
                world_size: task.world_size,
            }
        } else {
            Execution::Whole
        }),
        Some(_) => StageRole::Stop,
    }
}

/// A reduce stage done by an earlier step: its record must say complete.
fn require_complete(stage: Stage, dir: &Path) -> Result<()> {
    if !crate::run::stage_record::is_complete(dir) {
        anyhow::bail!(
            "step {} has not completed in {}: run it first (`curate run JOB --step {}`, or \
             `curate launch` again)",
            stage.name(),
            dir.parent().unwrap_or(dir).display(),
            stage.name()
        );
    }
    Ok(())
}

fn run_stages(
    job: &ResolvedJob,
    options: &RunOptions,
    pool: &rayon::ThreadPool,
    record: &mut RunRecord,
) -> Result<Vec<StageReport>> {
    let mut reports = Vec::new();
    // The stage whose output the next document stage reads.
    let mut upstream_dir: Option<PathBuf> = None;
    // Set after a stage ran as one rank of a fused map step (its record is not sealed).
    let mut planned: Option<Upstream> = None;
    for stage in Stage::ALL {
        if options.until.is_some_and(|until| stage > until) {
            break;
        }
        if !stage.is_enabled(job) {
            continue;
        }
        let execution = match stage_role(stage, options.task) {
            StageRole::Stop => break,
            StageRole::RequireComplete => {
                let dir = job.run_dir.join(stage.dir_name());
                require_complete(stage, &dir)?;
                if stage.produces_documents() {
                    upstream_dir = Some(dir);
                }
                continue;
            }
            StageRole::Run(execution) => execution,
        };
        let context = StageContext {
            job,
            pool,
            force: options.force.is_some_and(|force| stage >= force),
            show_progress: options.show_progress,
            execution,
            scratch: options.scratch.as_deref(),
            step: options.task.map(|task| task.step),
            ends_run: options.ends_run(job),
        };
        let name = stage.name();
        let stage_dir = context.stage_dir(name);
        let span = info_span!("stage", stage = name);
        let _entered = span.enter();
        info!(
            event = "stage_started",
            stage = name,
            "stage {name} started"
        );
        set_current_stage(Some(name));
        crate::run::fault::wait_at(&format!("wait:{name}"));
        let meter = CostMeter::start();
        let result = run_stage(stage, &context, upstream_dir.as_deref(), planned.take());
        let cost = meter.finish();
        // An up-to-date stage keeps its record untouched: its cost stays that of the run
        // that made its output. A rank's or a seal's process cost is not the stage's.
        if execution == Execution::Whole
            && !matches!(result, Ok(StageOutcome::UpToDate { .. }))
            && let Err(error) = record_cost(&stage_dir, "cost", &cost)
        {
            warn!(
                event = "cost_not_recorded",
                stage = name,
                "cannot record the cost of {name}: {error}"
            );
        }
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(error) => {
                let message = format!("{error:#}");
                record.status = RunStatus::Failed;
                record.failure = Some(RunFailure {
                    stage: name.to_owned(),
                    error: message.clone(),
                    cost: Some(cost),
                });
                tracing::error!(
                    target: CONSOLE,
                    event = "stage_failed",
                    stage = name,
                    wall_seconds = cost.wall_seconds,
                    cpu_seconds = cost.cpu_seconds,
                    error = message.as_str(),
                    "failed: {message}"
                );
                return Err(error.context(format!("stage {name} failed")));
            }
        };
        stage_finished(stage, &outcome, &cost);
        // The funnel reads every earlier stage: done by the one process that has them all.
        if stage == Stage::Count && !matches!(execution, Execution::Rank { .. }) {
            count_funnel(&context)?;
        }
        if stage.produces_documents() {
            if matches!(execution, Execution::Rank { .. }) {
                // The next stage of a fused map step reads this rank's fresh parts.
                let fingerprint = match &outcome {
                    StageOutcome::UpToDate { fingerprint }
                    | StageOutcome::Ran { fingerprint, .. } => fingerprint.clone(),
                };
                planned = Some(Upstream::planned(
                    name,
                    &stage_dir,
                    fingerprint,
                    ingest::partition_count(job),
                ));
            } else {
                explain_if_empty(&job.run_dir, name);
                upstream_dir = Some(stage_dir);
            }
        }
        reports.push(StageReport {
            stage,
            outcome,
            cost,
        });
        if let Some(AfterStage(after)) = &options.after_stage {
            after(stage)?;
        }
    }
    Ok(reports)
}

fn run_stage(
    stage: Stage,
    context: &StageContext<'_>,
    upstream_dir: Option<&Path>,
    planned: Option<Upstream>,
) -> Result<StageOutcome> {
    let read_upstream = |dir: Option<&Path>| match planned {
        Some(upstream) => Ok(upstream),
        None => read_upstream(dir),
    };
    match stage {
        Stage::Ingest => ingest::run(context),
        Stage::Filter => read_upstream(upstream_dir).and_then(|up| filter::run(context, &up)),
        Stage::Dedup => read_upstream(upstream_dir).and_then(|up| dedup::run(context, &up)),
        Stage::Tokenizer => read_upstream(upstream_dir).and_then(|up| tokenizer::run(context, &up)),
        Stage::Count => read_upstream(upstream_dir).and_then(|up| count::run(context, &up)),
        Stage::Mix => mix::run(context),
        Stage::Shard => shard::run(context),
    }
}

/// The line people see when a stage ends, and the event log collectors read.
fn stage_finished(stage: Stage, outcome: &StageOutcome, cost: &StepCost) {
    let (status, line) = match outcome {
        StageOutcome::UpToDate { .. } => ("up_to_date", "up to date".to_owned()),
        StageOutcome::Ran { summary, .. } => ("ran", summary.clone()),
    };
    info!(
        target: CONSOLE,
        event = "stage_finished",
        stage = stage.name(),
        status,
        wall_seconds = cost.wall_seconds,
        cpu_seconds = cost.cpu_seconds,
        peak_rss_bytes = cost.peak_rss_bytes,
        "{line}"
    );
}

/// Counts the tokens of the earlier stages for the funnel (see `count::annotate_funnel`),
/// measured as its own step, `count.funnel`.
fn count_funnel(context: &StageContext<'_>) -> Result<()> {
    let meter = CostMeter::start();
    let counted = count::annotate_funnel(context)?;
    if !counted {
        return Ok(());
    }
    let cost = meter.finish();
    let dir = context.stage_dir(Stage::Count.name());
    if let Err(error) = record_cost(&dir, FUNNEL_COST_KEY, &cost) {
        warn!(
            event = "cost_not_recorded",
            stage = "count",
            "cannot record the cost of count.funnel: {error}"
        );
    }
    info!(
        event = "funnel_counted",
        stage = "count",
        wall_seconds = cost.wall_seconds,
        cpu_seconds = cost.cpu_seconds,
        "tokens of the earlier stages counted in {:.1} s",
        cost.wall_seconds
    );
    Ok(())
}

/// A document stage that left nothing says which step removed everything.
fn explain_if_empty(run_dir: &Path, stage: &str) {
    match crate::report::empty_stage_cause(run_dir, stage) {
        Ok(Some(cause)) => warn!(
            target: CONSOLE,
            event = "stage_output_empty",
            stage,
            cause = cause.as_str(),
            "left no documents: {cause}"
        ),
        Ok(None) => {}
        Err(error) => warn!(
            event = "stage_output_unread",
            stage, "cannot read what {stage} kept: {error:#}"
        ),
    }
}

fn read_upstream(dir: Option<&Path>) -> Result<Upstream> {
    let dir = dir.context("no stage before this one produced documents")?;
    Upstream::read(dir)
}

fn write_run_record(record: &RunRecord, run_dir: &Path) -> Result<()> {
    record
        .write(run_dir)
        .with_context(|| format!("cannot write {}", run_dir.display()))
}

fn identity(job: &ResolvedJob, threads: usize, options: &RunOptions) -> RunIdentity {
    let files: Vec<&PathBuf> = job.sources.iter().flat_map(|s| &s.files).collect();
    let input_bytes = files
        .iter()
        .filter_map(|f| crate::storage::input_size(f))
        .sum();
    RunIdentity {
        job: job.name.clone(),
        job_file: job.job_file.display().to_string(),
        curate_version: env!("CARGO_PKG_VERSION").to_owned(),
        git_revision: GIT_REVISION.to_owned(),
        started_at: crate::timestamp::now(),
        seed: job.seed,
        host: host_name(),
        threads,
        input_files: files.len() as u64,
        input_bytes,
        command: options.command.clone(),
    }
}
