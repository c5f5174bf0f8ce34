//! The command line: `curate run`, `curate check`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::job::load_job;
use crate::progress::human_bytes;
use crate::runner::{RunOptions, run_job};
use crate::stages::{Stage, StageOutcome};

/// Turn raw web scrape and domain corpora into pretraining data.
///
/// A job file (TOML) names the sources and configures each stage; `curate run` executes the
/// stages in order and writes every stage's output, statistics and the resolved
/// configuration into the run directory, so a run can be resumed, audited and queried.
#[derive(Debug, Parser)]
#[command(name = "curate", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a job: every stage in order, skipping those whose output is up to date.
    ///
    /// An interrupted run resumes where it stopped: finished partitions are kept, the rest
    /// is redone. A stage whose configuration or input changed reruns, with every stage
    /// after it.
    Run(RunArgs),
    /// Validate a job file and print the resolved plan, without running anything.
    Check(CheckArgs),
}

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

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The job file (TOML).
    pub job: PathBuf,
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run_command(args),
        Command::Check(args) => check_command(args),
    }
}

fn run_command(args: RunArgs) -> Result<()> {
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
    Ok(())
}

fn check_command(args: CheckArgs) -> Result<()> {
    let job = load_job(&args.job)?;
    println!(
        "job {} (seed {}{})",
        job.name,
        job.seed,
        if job.strict { ", strict" } else { "" }
    );
    println!("run directory {}", job.run_dir.display());
    println!();
    println!("sources:");
    for source in &job.sources {
        let bytes: u64 = source
            .files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let limit = source
            .max_docs
            .map(|m| format!(", at most {m} documents"))
            .unwrap_or_default();
        println!(
            "  {:<20} {:<10} {:<8} {:>4} files {:>10}{limit}",
            source.name,
            source.domain,
            source.format.as_str(),
            source.files.len(),
            human_bytes(bytes),
        );
    }
    println!();
    println!(
        "stages: {}",
        Stage::ALL
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(" -> ")
    );
    println!();
    print!("{}", job.to_toml()?);
    Ok(())
}
