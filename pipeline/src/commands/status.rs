//! `curate status`: what a planned (cluster) run has done, step by step.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::output::print_stdout;
use crate::cluster::slurm::queued_jobs;
use crate::cluster::status::{render, run_status};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The run directory (`<output_dir>/<job name>`).
    pub run: PathBuf,
    /// Print the status as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: StatusArgs) -> Result<()> {
    let (run, _mirror) = crate::storage::run_mirror::open_run(
        &args.run,
        crate::storage::run_mirror::PullScope::AllButShardData,
    )?;
    let report = run_status(&run, queued_jobs)?;
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&report)?)
    } else {
        render(&report)
    };
    print_stdout(&text)
}
