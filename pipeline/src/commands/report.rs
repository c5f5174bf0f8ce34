//! `curate report`: write a run's report (again), and compare two runs.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::report::{COMPARE_MARKDOWN, REPORT_HTML, collect, compare_markdown, write_reports};
use crate::run::atomic::write_atomic;
use crate::storage::run_mirror::{PullScope, open_run};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run directory (`runs/<job>`, or `s3://bucket/runs/<job>`).
    pub run: PathBuf,
    /// A second run to compare with: prints both funnels and mixes side by side and writes
    /// them to `compare.md` in the first run directory.
    #[arg(long, value_name = "RUN_B")]
    pub compare: Option<PathBuf>,
}

pub fn run(args: ReportArgs) -> Result<()> {
    let (run, mirror) = open_run(&args.run, PullScope::AllButShardData)?;
    // Writing into a run in a bucket takes its lease, as a run does.
    let _lease = mirror
        .as_ref()
        .map(|mirror| crate::storage::run_lease::RunLease::acquire(&mirror.url))
        .transpose()?;
    let a = write_reports(&run)?;
    eprintln!("{:>10}  {}", "report", args.run.join(REPORT_HTML).display());
    if let Some(other) = &args.compare {
        let (other_dir, _) = open_run(other, PullScope::AllButShardData)?;
        let b = collect(&other_dir)
            .with_context(|| format!("cannot read the run in {}", other.display()))?;
        let markdown = compare_markdown(
            &args.run.display().to_string(),
            &a,
            &other.display().to_string(),
            &b,
        );
        let path = run.join(COMPARE_MARKDOWN);
        write_atomic(&path, markdown.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        print!("{markdown}");
        eprintln!(
            "{:>10}  {}",
            "compare",
            args.run.join(COMPARE_MARKDOWN).display()
        );
    }
    // A run in a bucket gets its new report there.
    if let Some(mirror) = mirror {
        mirror.push()?;
    }
    Ok(())
}
