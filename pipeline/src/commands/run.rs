//! `curate run`: execute a job.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::job::load_job;
use crate::runner::{RunOptions, run_job};
use crate::stages::{Stage, StageOutcome};

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
}

pub fn run(args: RunArgs) -> Result<()> {
    let mut job = load_job(&args.job)?;
    if let Some(dir) = &args.output_dir {
        job.set_output_dir(dir);
    }
    let options = RunOptions {
        until: args.until,
        force: args.force,
        threads: args.threads,
        show_progress: !args.quiet,
    };
    let reports = run_job(&job, &options)?;
    for report in reports {
        let line = match &report.outcome {
            StageOutcome::UpToDate { .. } => "up to date".to_owned(),
            StageOutcome::Ran { summary, .. } => summary.clone(),
        };
        eprintln!("{:>10}  {line}", report.stage.name());
    }
    eprintln!("{:>10}  {}", "run", job.run_dir.display());
    // The report is derived from the run directory: failing to write it loses nothing.
    match crate::report::write_reports(&job.run_dir) {
        Ok(_) => eprintln!(
            "{:>10}  {}",
            "report",
            job.run_dir.join(crate::report::REPORT_HTML).display()
        ),
        Err(error) => eprintln!("warning: cannot write the report: {error:#}"),
    }
    Ok(())
}
