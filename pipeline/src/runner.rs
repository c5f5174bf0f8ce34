//! Running a job: its stages in order, each skipped when its output is up to date.

use anyhow::{Context, Result};

use crate::job::ResolvedJob;
use crate::run::atomic::write_atomic;
use crate::stages::upstream::Upstream;
use crate::stages::{
    Stage, StageContext, StageOutcome, count, dedup, filter, ingest, mix, shard, tokenizer,
};

/// The file in the run directory that records the resolved job.
pub const RESOLVED_JOB_FILE: &str = "job.resolved.toml";

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
}

/// One line per stage, as printed at the end of a run.
#[derive(Debug, Clone)]
pub struct StageReport {
    pub stage: Stage,
    pub outcome: StageOutcome,
}

/// Runs the job's stages in order; returns what each did.
pub fn run_job(job: &ResolvedJob, options: &RunOptions) -> Result<Vec<StageReport>> {
    std::fs::create_dir_all(&job.run_dir)
        .with_context(|| format!("cannot create run directory {}", job.run_dir.display()))?;
    let _lock = crate::run::lock::RunLock::acquire(&job.run_dir)?;
    let resolved = job.to_toml().context("cannot write the resolved job")?;
    write_atomic(&job.run_dir.join(RESOLVED_JOB_FILE), resolved.as_bytes())
        .with_context(|| format!("cannot write {}", job.run_dir.display()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .thread_name(|i| format!("curate-worker-{i}"))
        .build()
        .context("cannot start worker threads")?;

    let mut reports = Vec::new();
    // The stage whose output the next document stage reads.
    let mut upstream_dir = None;
    for stage in Stage::ALL {
        if options.until.is_some_and(|until| stage > until) {
            break;
        }
        if !stage.is_enabled(job) {
            continue;
        }
        let context = StageContext {
            job,
            pool: &pool,
            force: options.force.is_some_and(|force| stage >= force),
            show_progress: options.show_progress,
        };
        let outcome = match stage {
            Stage::Ingest => ingest::run(&context),
            Stage::Filter => {
                read_upstream(upstream_dir.as_deref()).and_then(|up| filter::run(&context, &up))
            }
            Stage::Dedup => {
                read_upstream(upstream_dir.as_deref()).and_then(|up| dedup::run(&context, &up))
            }
            Stage::Tokenizer => {
                read_upstream(upstream_dir.as_deref()).and_then(|up| tokenizer::run(&context, &up))
            }
            Stage::Count => {
                read_upstream(upstream_dir.as_deref()).and_then(|up| count::run(&context, &up))
            }
            Stage::Mix => mix::run(&context),
            Stage::Shard => shard::run(&context),
        }
        .with_context(|| format!("stage {} failed", stage.name()))?;
        if stage.produces_documents() {
            upstream_dir = Some(context.stage_dir(stage.name()));
        }
        reports.push(StageReport { stage, outcome });
    }
    Ok(reports)
}

fn read_upstream(dir: Option<&std::path::Path>) -> Result<Upstream> {
    let dir = dir.context("no stage before this one produced documents")?;
    Upstream::read(dir)
}
