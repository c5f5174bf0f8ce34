//! `curate plan`: fix a run's resolved job and steps before its tasks run.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::cluster::plan::plan_run;
use crate::job::load_job;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The job file (TOML).
    pub job: PathBuf,
    /// Put the run directory under DIR instead of the job's `output_dir`.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Replan a run directory planned for another resolved job (changed settings or
    /// inputs); stages whose configuration or input changed then redo their work.
    #[arg(long)]
    pub replace: bool,
}

pub fn run(args: PlanArgs) -> Result<()> {
    let mut job = load_job(&args.job)?;
    if let Some(dir) = &args.output_dir {
        if crate::storage::is_url(&dir.to_string_lossy()) {
            job.set_output_dir(dir);
        } else {
            job.set_output_dir(&std::path::absolute(dir)?);
        }
    }
    let shown = job.run_dir.display().to_string();
    let mirror = crate::cluster::plan::attach_bucket_copy(&mut job)?;
    let plan = plan_run(&job, args.replace)?;
    if let Some(mirror) = &mirror {
        mirror.push()?;
    }
    println!(
        "planned {shown}: {} partitions per map step",
        plan.partitions
    );
    for step in &plan.steps {
        println!("  {:<13} {}", step.step, step.kind);
    }
    Ok(())
}
