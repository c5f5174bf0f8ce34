//! `curate launch slurm`: run a job on a Slurm cluster as chained job arrays.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};

use crate::cluster::slurm::{SlurmOptions, launch, wait_for};
use crate::cluster::status::render;
use crate::job::load_job;

#[derive(Debug, Args)]
pub struct LaunchArgs {
    #[command(subcommand)]
    pub scheduler: Scheduler,
}

#[derive(Debug, Subcommand)]
pub enum Scheduler {
    /// Submit the job's steps with sbatch: map steps as arrays of --tasks tasks, reduce
    /// steps as one task, each step after the previous one succeeded. Launching again
    /// submits only what has no valid completion marker.
    Slurm(SlurmArgs),
}

#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// The job file (TOML).
    pub job: PathBuf,
    /// Tasks per map step (ingest, filter, count): the world size.
    #[arg(long)]
    pub tasks: usize,
    /// At most W tasks of a step at once (`--array=...%W`).
    #[arg(long, value_name = "W")]
    pub max_parallel: Option<usize>,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task (`--time`).
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs per task; each task uses that many threads.
    #[arg(long)]
    pub cpus_per_task: Option<usize>,
    /// Memory per task (`--mem`, e.g. 8G).
    #[arg(long)]
    pub mem: Option<String>,
    /// Another `#SBATCH` line for every script, e.g. `--sbatch-arg=--account=lab`.
    #[arg(long = "sbatch-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub sbatch_args: Vec<String>,
    /// Put the run directory under DIR (a filesystem every node mounts).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Spill files go under DIR on each node (node-local disk).
    #[arg(long, value_name = "DIR")]
    pub scratch: Option<PathBuf>,
    /// Write the scripts and print them with their sbatch lines; submit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Block until the last step ends; exit non-zero unless the run is complete.
    #[arg(long)]
    pub wait: bool,
}

pub fn run(args: LaunchArgs) -> Result<()> {
    let Scheduler::Slurm(args) = args.scheduler;
    // Tasks run on other machines from other directories: every path absolute.
    let job_file = std::path::absolute(&args.job)?;
    let mut job = load_job(&job_file)?;
    match &args.output_dir {
        Some(dir) if crate::storage::is_url(&dir.to_string_lossy()) => job.set_output_dir(dir),
        Some(dir) => job.set_output_dir(&std::path::absolute(dir)?),
        None if job.remote_run().is_none() && job.run_dir.is_relative() => {
            let absolute = std::path::absolute(&job.output_dir)?;
            job.set_output_dir(&absolute);
        }
        None => {}
    }
    // A run directory in a bucket: the tasks get its URL, this machine a working copy
    // (the plan is pushed before any task starts).
    let bucket_output = job.remote_run().map(|_| job.output_dir.clone());
    let shown = job.run_dir.display().to_string();
    let mirror = crate::cluster::plan::attach_bucket_copy(&mut job)?;
    if let Some(mirror) = &mirror
        && !args.dry_run
    {
        crate::cluster::plan::plan_run(&job, false)?;
        mirror.push()?;
    }
    let options = SlurmOptions {
        tasks: args.tasks,
        max_parallel: args.max_parallel,
        partition: args.partition,
        time: args.time,
        cpus_per_task: args.cpus_per_task,
        mem: args.mem,
        sbatch_args: args.sbatch_args,
        scratch: args.scratch.map(std::path::absolute).transpose()?,
        dry_run: args.dry_run,
        command: std::env::args().collect(),
        output_dir: bucket_output,
    };
    let record = launch(&job, &options)?;
    if options.dry_run {
        return Ok(());
    }
    if let Some(mirror) = &mirror {
        mirror.push()?;
    }
    if record.steps.is_empty() {
        println!("{shown}: every step is complete, nothing submitted");
    }
    for step in &record.steps {
        println!(
            "{:<13} job {} ({} task{})",
            step.step,
            step.job_ids.join(", "),
            step.ranks.len(),
            if step.ranks.len() == 1 { "" } else { "s" }
        );
    }
    if args.wait {
        // The tasks' work is in the bucket: pull it before reading the status.
        let refresh = || -> Result<()> {
            if let Some(mirror) = &mirror {
                mirror.pull()?;
            }
            Ok(())
        };
        let status = wait_for(&job.run_dir, &record, Duration::from_secs(2), &refresh)?;
        print!("{}", render(&status));
        if !status.complete {
            bail!("the run is not complete: see `curate status {shown}`");
        }
    }
    Ok(())
}
