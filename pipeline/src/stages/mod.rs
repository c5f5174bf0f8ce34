//! The stages of a job, in order, and what they share.

pub mod count;
pub mod dedup;
pub mod filter;
pub mod funnel_tokens;
pub mod ingest;
pub mod mix;
pub mod partitioned;
pub mod parts;
pub mod shard;
pub mod tokenizer;
pub mod upstream;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ValueEnum;

use crate::job::ResolvedJob;
use crate::run::atomic::{TEMP_SUFFIX, remove_stale_temp_files};

/// The stages a job runs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Stage {
    /// Read every source into Parquet parts of the document schema.
    Ingest,
    /// Run the configured filters; kept documents go on, dropped ones are counted.
    Filter,
    /// Remove exact and near-duplicate documents and repeated lines (a reduce step).
    Dedup,
    /// Train a BPE tokenizer on a sample in the target mix, or copy the job's one.
    Tokenizer,
    /// Encode every document once: token counts per source and domain, ids for the shards.
    Count,
    /// Plan the per-domain token shares and the budget; select document copies (a reduce
    /// step).
    Mix,
    /// Pack the selected copies into fixed-length sequences, shuffle them on disk, and
    /// write Arrow shards with a manifest (a reduce step).
    Shard,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Ingest,
        Stage::Filter,
        Stage::Dedup,
        Stage::Tokenizer,
        Stage::Count,
        Stage::Mix,
        Stage::Shard,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Filter => "filter",
            Stage::Dedup => "dedup",
            Stage::Tokenizer => "tokenizer",
            Stage::Count => "count",
            Stage::Mix => "mix",
            Stage::Shard => "shard",
        }
    }

    /// The directory of the stage inside the run directory.
    pub fn dir_name(self) -> &'static str {
        match self {
            Stage::Ingest => "01-ingest",
            Stage::Filter => "02-filter",
            Stage::Dedup => "03-dedup",
            Stage::Tokenizer => "tokenizer",
            Stage::Count => "04-count",
            Stage::Mix => "05-mix",
            Stage::Shard => "shards",
        }
    }

    /// Whether the stage writes document parts that the next document stage reads (the
    /// tokenizer and the mix plan are side outputs).
    pub fn produces_documents(self) -> bool {
        !matches!(self, Stage::Tokenizer | Stage::Mix | Stage::Shard)
    }

    /// Whether the job asks for this stage (a stage without configuration is skipped).
    pub fn is_enabled(self, job: &ResolvedJob) -> bool {
        match self {
            Stage::Ingest => true,
            Stage::Filter => job.filter.is_enabled(),
            Stage::Dedup => job.dedup.is_enabled(),
            Stage::Tokenizer | Stage::Count => job.tokenizer.enabled,
            Stage::Mix => mix::is_enabled(job),
            Stage::Shard => shard::is_enabled(job),
        }
    }
}

/// What a stage needs to run.
pub struct StageContext<'a> {
    pub job: &'a ResolvedJob,
    pub pool: &'a rayon::ThreadPool,
    /// Rerun even if the output is up to date.
    pub force: bool,
    pub show_progress: bool,
    /// The whole stage, one rank's partitions of it, or only its seal.
    pub execution: Execution,
    /// Where spill files go (node-local disk on a cluster); `None`: inside the stage
    /// directory.
    pub scratch: Option<&'a Path>,
    /// The cluster step this process is one task of (`None`: `curate run` of the whole
    /// job). Stages split into several steps (dedup, shard) do the step's part only.
    pub step: Option<crate::cluster::Step>,
    /// This process finishes the run (`curate run`, or a cluster run's last step): what
    /// the steps leave for each other can go once the stages are complete.
    pub ends_run: bool,
}

/// How a stage runs in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    /// The whole stage (`curate run`, or rank 0 of a reduce step).
    Whole,
    /// The partitions `p` with `p % world_size == rank` of a map step, each with its
    /// completion marker; the stage's `_stage.json` is left to the seal.
    Rank { rank: usize, world_size: usize },
    /// Only build `_stage.json` from the markers of every planned partition (or say which
    /// are missing); nothing is processed.
    Seal,
}

impl StageContext<'_> {
    /// The directory for a stage's spill files: under `--scratch` when given (one per job
    /// and stage), else `default` inside the stage directory.
    pub fn work_dir(&self, stage: &str, default: PathBuf) -> PathBuf {
        match self.scratch {
            Some(scratch) => scratch.join(format!("{}-{stage}", self.job.name)),
            None => default,
        }
    }

    pub fn stage_dir(&self, stage: &str) -> PathBuf {
        let dir = Stage::ALL
            .iter()
            .find(|s| s.name() == stage)
            .map(|s| s.dir_name())
            .unwrap_or(stage);
        self.job.run_dir.join(dir)
    }
}

/// How a stage ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageOutcome {
    /// Its output was complete for this configuration and input: nothing was done.
    UpToDate { fingerprint: String },
    /// It ran (or finished an interrupted run); `summary` is the line to print.
    Ran {
        fingerprint: String,
        summary: String,
    },
}

/// Makes a stage directory ready for a (re)run: creates it, removes temporary files a crash
/// left, and removes every output file not in `keep` (output of another configuration).
pub fn prepare_stage_dir(dir: &Path, keep: &[String]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    remove_stale_temp_files(dir).with_context(|| format!("cannot clean {}", dir.display()))?;
    remove_outputs_except(dir, keep, true)
}

/// Removes every output file of a stage directory not in `keep`, and with `temps` the
/// temporary files in its subdirectories. The seal of a cluster step leaves temporary
/// files alone: other ranks may be writing theirs.
pub fn remove_outputs_except(dir: &Path, keep: &[String], temps: bool) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if is_output_part(&path, &name) && !keep.contains(&name) {
            remove_if_present(&path)?;
        }
    }
    // Dropped documents live in subdirectories (`rejected/`, `removed/`): a part a rerun
    // does not write again (a source left the job, `write_rejected` turned off) would
    // otherwise still be read by the report, `curate query` and the funnel.
    for sub in OUTPUT_SUBDIRS {
        let sub_dir = dir.join(sub);
        if !sub_dir.is_dir() {
            continue;
        }
        if temps {
            remove_stale_temp_files(&sub_dir)
                .with_context(|| format!("cannot clean {}", sub_dir.display()))?;
        }
        for entry in std::fs::read_dir(&sub_dir)
            .with_context(|| format!("cannot list {}", sub_dir.display()))?
        {
            let path = entry?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if is_output_part(&path, &name) && !keep.contains(&format!("{sub}/{name}")) {
                remove_if_present(&path)?;
            }
        }
    }
    Ok(())
}

/// A finished part (not one being written under its temporary name).
fn is_output_part(path: &Path, name: &str) -> bool {
    name.starts_with("part-") && !name.ends_with(TEMP_SUFFIX) && path.is_file()
}

/// Removes a file another process may have removed first.
fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// The subdirectories of a stage that hold parts of dropped documents.
const OUTPUT_SUBDIRS: [&str; 2] = ["rejected", "removed"];

/// Removes a stage's record before the stage rewrites its output, so that a crash between
/// the output and the new record leaves no record that vouches for the new output under
/// the old configuration.
pub fn invalidate_record(dir: &Path) -> Result<()> {
    let path = dir.join(crate::run::stage_record::STAGE_RECORD_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}
