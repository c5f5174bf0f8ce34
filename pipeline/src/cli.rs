//! The command line: `curate run`, `curate check`.

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands;

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
    Run(commands::run::RunArgs),
    /// Validate a job file and print the resolved plan, without running anything.
    Check(commands::check::CheckArgs),
    /// Run every filter independently on documents and write each one's decision and
    /// signals per document (Parquet or JSONL), to study thresholds with SQL.
    Tag(commands::tag::TagArgs),
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => commands::run::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Tag(args) => commands::tag::run(args),
    }
}
