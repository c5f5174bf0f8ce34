//! `curate check`: validate a job and print the resolved plan.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::output::print_stdout;
use crate::job::load_job;
use crate::progress::human_bytes;
use crate::stages::Stage;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The job file (TOML).
    pub job: PathBuf,
}

pub fn run(args: CheckArgs) -> Result<()> {
    let job = load_job(&args.job)?;
    // Written at once at the end: a closed pipe (`| head`) then ends the command quietly.
    let mut out = String::new();
    writeln!(
        out,
        "job {} (seed {}{})",
        job.name,
        job.seed,
        if job.strict { ", strict" } else { "" }
    )?;
    writeln!(out, "run directory {}", job.run_dir.display())?;
    writeln!(out)?;
    writeln!(out, "sources:")?;
    for source in &job.sources {
        let bytes: u64 = source
            .files
            .iter()
            .filter_map(|f| crate::storage::input_size(f))
            .sum();
        let limit = source
            .max_docs
            .map(|m| format!(", at most {m} documents"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:<20} {:<10} {:<8} {:>4} files {:>10}{limit}",
            source.name,
            source.domain,
            source.format.as_str(),
            source.files.len(),
            human_bytes(bytes),
        )?;
    }
    if job.filter.is_enabled() {
        writeln!(out)?;
        writeln!(out, "filter profiles:")?;
        for (name, profile) in &job.filter.profile {
            let sources: Vec<&str> = job
                .sources
                .iter()
                .filter(|s| &s.filters == name)
                .map(|s| s.name.as_str())
                .collect();
            let preset = profile
                .preset
                .as_ref()
                .map(|p| format!(" (preset {p})"))
                .unwrap_or_default();
            let chain = if profile.order.is_empty() {
                "no filters".to_owned()
            } else {
                profile.order.join(" -> ")
            };
            writeln!(out, "  {name}{preset}: {chain}")?;
            writeln!(out, "      sources: {}", sources.join(", "))?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "stages: {}",
        Stage::ALL
            .iter()
            .filter(|s| s.is_enabled(&job))
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(" -> ")
    )?;
    writeln!(out)?;
    out.push_str(&job.to_toml()?);
    print_stdout(&out)
}
