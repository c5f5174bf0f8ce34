//! The command line: `curate run`, `curate check`.

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands;
use crate::logging::LogFormat;

/// Turn raw web scrape and domain corpora into pretraining data.
///
/// A job file (TOML) names the sources and configures each stage; `curate run` executes the
/// stages in order and writes every stage's output, statistics and the resolved
/// configuration into the run directory, so a run can be resumed, audited and queried.
#[derive(Debug, Parser)]
#[command(name = "curate", version, about, long_about)]
pub struct Cli {
    /// How events go to stderr: `human` lines, or `json` (one object per line, for batch
    /// jobs). `CURATE_LOG=info` (or `debug`) shows more of them.
    #[arg(long, value_enum, global = true, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
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
    /// Fix a run's resolved job and steps in its run directory, before cluster tasks run
    /// its steps (`curate run --step`); `curate launch` does it itself.
    Plan(commands::plan::PlanArgs),
    /// Run a job on a cluster: its steps as chained job arrays (Slurm), each task a rank
    /// of `curate run --step`. Launching again submits only what is missing.
    Launch(commands::launch::LaunchArgs),
    /// Show what a planned run has done: each step's partitions done, the missing ones by
    /// name, its Slurm jobs, and the next command to run.
    Status(commands::status::StatusArgs),
    /// Validate a job file and print the resolved plan, without running anything.
    Check(commands::check::CheckArgs),
    /// Write a commented starter job for inputs (`PATH[=DOMAIN]`), checked by loading it.
    Init(commands::init::InitArgs),
    /// Remove exact and near-duplicate documents (and repeated lines) from JSONL or
    /// Parquet files, outside a job; writes the kept documents and `removed.jsonl`.
    Dedup(commands::dedup::DedupArgs),
    /// Run every filter independently on documents and write each one's decision and
    /// signals per document (Parquet or JSONL), to study thresholds with SQL.
    Tag(commands::tag::TagArgs),
    /// Print the Chinchilla budget for a model (target tokens, FLOPs, shortfall against
    /// the tokens on hand), without a run.
    Budget(commands::budget::BudgetArgs),
    /// Train a byte-level BPE tokenizer on JSONL or Parquet files.
    TrainTokenizer(commands::train_tokenizer::TrainTokenizerArgs),
    /// Count tokens per document of JSONL or Parquet files with a tokenizer.json.
    Count(commands::count::CountArgs),
    /// Train a linear text classifier (quality, toxicity, domain) on labelled JSONL,
    /// Parquet or text files; evaluates it on held-out documents (`MODEL.eval.json`).
    TrainClassifier(commands::train_classifier::TrainClassifierArgs),
    /// Re-read every shard of a run and check it against `shards/manifest.json`: sizes,
    /// checksums, schema, sequence lengths, counts and that every id is in the vocabulary.
    /// Exits non-zero on any mismatch.
    Verify(commands::verify::VerifyArgs),
    /// Copy a run's shards, tokenizer, HF metadata and manifest (last) to object storage,
    /// reading every object back to check its checksum. Resumable: what is already there
    /// with the right checksum is kept.
    Publish(commands::publish::PublishArgs),
    /// Write a run's report (report.json, report.md, report.html: funnel, drop reasons,
    /// dedup, mix, budget, timing), of a finished or partial run; compare two runs.
    Report(commands::report::ReportArgs),
    /// Run SQL over a run directory with DataFusion: every stage's Parquet output is a
    /// table named after the stage, with `rejected`, `removed`, `drops`, `selection` and
    /// `shards`.
    Query(commands::query::QueryArgs),
    /// Print the main text of HTML pages (boilerplate removed), or evaluate the extractor
    /// on the HTML extraction benchmarks with `--eval DIR`.
    Extract(commands::extract::ExtractArgs),
}

pub fn run(cli: Cli) -> Result<()> {
    let result = match cli.command {
        Command::Run(args) => commands::run::run(args, cli.log_format),
        Command::Plan(args) => commands::plan::run(args),
        Command::Launch(args) => commands::launch::run(args),
        Command::Status(args) => commands::status::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::Dedup(args) => commands::dedup::run(args),
        Command::Tag(args) => commands::tag::run(args),
        Command::Budget(args) => commands::budget::run(args),
        Command::TrainTokenizer(args) => commands::train_tokenizer::run(args),
        Command::Count(args) => commands::count::run(args),
        Command::TrainClassifier(args) => commands::train_classifier::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Publish(args) => commands::publish::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Query(args) => commands::query::run(args),
        Command::Extract(args) => commands::extract::run(args),
    };
    match result {
        // `curate query ... | head`: the reader has what it wanted.
        Err(error) if commands::output::is_broken_pipe(&error) => Ok(()),
        result => result,
    }
}
