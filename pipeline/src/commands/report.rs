//! `curate report`: write a run's report (again), and compare two runs.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::report::{COMPARE_MARKDOWN, REPORT_HTML, collect, compare_markdown, write_reports};
use crate::run::atomic::write_atomic;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run directory (`runs/<job>`).
    pub run: PathBuf,
    /// A second run to compare with: prints both funnels and mixes side by side and writes
    /// them to `compare.md` in the first run directory.
    #[arg(long, value_name = "RUN_B")]
    pub compare: Option<PathBuf>,
}

pub fn run(args: ReportArgs) -> Result<()> {
    let a = write_reports(&args.run)?;
    eprintln!("{:>10}  {}", "report", args.run.join(REPORT_HTML).display());
    if let Some(other) = &args.compare {
        let b = collect(other)
            .with_context(|| format!("cannot read the run in {}", other.display()))?;
        let markdown = compare_markdown(
            &args.run.display().to_string(),
            &a,
            &other.display().to_string(),
            &b,
        );
        let path = args.run.join(COMPARE_MARKDOWN);
        write_atomic(&path, markdown.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        print!("{markdown}");
        eprintln!("{:>10}  {}", "compare", path.display());
    }
    Ok(())
}
