//! `curate launch slurm`: one sbatch script per step, submitted as job arrays chained with
//! `afterok` dependencies.
//!
//! The scripts are written into `<run>/slurm/` before anything is submitted, readable so a
//! person can edit and resubmit them by hand. A launch submits only what has no valid
//! completion marker: steps already complete are skipped, and a map step's array holds
//! only the ranks that still own a missing partition. Slurm's accounting is not needed:
//! what is done is read from the markers (`cluster::status`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::plan::{RunPlan, plan_run};
use super::status::{
    RunStatusReport, partitions_done, run_record_complete, run_status, step_done, step_partitions,
};
use super::{Step, StepKind};
use crate::job::ResolvedJob;
use crate::run::atomic::write_atomic;

/// The directory of the scripts, logs and launch records inside the run directory.
pub const SLURM_DIR: &str = "slurm";
/// The last launch: which Slurm jobs run which step.
pub const LAUNCH_FILE: &str = "launch.json";

/// How to submit.
#[derive(Debug, Clone, Default)]
pub struct SlurmOptions {
    /// Tasks per map step (the world size).
    pub tasks: usize,
    /// At most this many tasks of an array at once (`%W`).
    pub max_parallel: Option<usize>,
    pub partition: Option<String>,
    pub time: Option<String>,
    pub cpus_per_task: Option<usize>,
    pub mem: Option<String>,
    /// More `#SBATCH` lines, as given (`--account=x`, `--qos=y`).
    pub sbatch_args: Vec<String>,
    /// Spill directory on the compute nodes.
    pub scratch: Option<PathBuf>,
    /// Write and print the scripts, submit nothing.
    pub dry_run: bool,
    /// The command line of this launch, for `curate status`'s advice.
    pub command: Vec<String>,
    /// The `--output-dir` the tasks get when it is not the run directory's parent here (a
    /// bucket URL: this machine works on a copy).
    pub output_dir: Option<String>,
}

/// What one launch submitted, per step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchRecord {
    pub launched_at: String,
    pub command: Vec<String>,
    pub tasks: usize,
    pub steps: Vec<LaunchedStep>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchedStep {
    pub step: String,
    pub script: String,
    /// The ranks submitted (all of a reduce step is rank 0).
    pub ranks: Vec<usize>,
    /// One id per sbatch call (an array above `MaxArraySize` is split).
    pub job_ids: Vec<String>,
}

impl LaunchRecord {
    pub fn read(run_dir: &Path) -> Option<LaunchRecord> {
        let bytes = std::fs::read(run_dir.join(SLURM_DIR).join(LAUNCH_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Every job id, in submission order.
    pub fn job_ids(&self) -> Vec<String> {
        self.steps
            .iter()
            .flat_map(|s| s.job_ids.iter().cloned())
            .collect()
    }
}

/// Plans the run and submits (or, with `dry_run`, only writes) its missing steps.
pub fn launch(job: &ResolvedJob, options: &SlurmOptions) -> Result<LaunchRecord> {
    if options.tasks == 0 {
        bail!("--tasks must be at least 1");
    }
    let sbatch = if options.dry_run {
        None
    } else {
        Some(find_on_path("sbatch").context(
            "sbatch is not on the PATH: `curate launch slurm` submits through Slurm's sbatch; \
             run it where Slurm's client tools are installed, or add --dry-run to see the \
             scripts",
        )?)
    };
    // A second launch while the last one's jobs are queued would run their tasks twice.
    if !options.dry_run
        && let Some(last) = LaunchRecord::read(&job.run_dir)
        && let Some(active) = queued_jobs(&last.job_ids())
        && !active.is_empty()
    {
        bail!(
            "jobs of the last launch of {} are still in the queue ({}): wait for them \
             (`curate status {}`) or cancel them with scancel before launching again",
            job.run_dir.display(),
            active.join(", "),
            job.run_dir.display()
        );
    }
    let plan = plan_run(job, false)?;
    if super::status::run_is_complete(&job.run_dir) {
        return Ok(LaunchRecord {
            launched_at: crate::timestamp::now(),
            command: options.command.clone(),
            tasks: options.tasks,
            steps: Vec::new(),
        });
    }
    let exe = std::env::current_exe().context("cannot find the curate executable")?;
    let slurm_dir = job.run_dir.join(SLURM_DIR);
    std::fs::create_dir_all(slurm_dir.join("logs"))
        .with_context(|| format!("cannot create {}", slurm_dir.display()))?;
    let max_array = if options.dry_run {
        DEFAULT_MAX_ARRAY_SIZE
    } else {
        max_array_size()
    };

    let mut record = LaunchRecord {
        launched_at: crate::timestamp::now(),
        command: options.command.clone(),
        tasks: options.tasks,
        steps: Vec::new(),
    };
    let mut previous_ids: Vec<String> = Vec::new();
    // Once a step is submitted, every step after it is too: each of its tasks finds what
    // is already done and skips it.
    let mut submitting = false;
    for step in Step::all_for(job) {
        let ranks = ranks_to_submit(job, &plan, step, options.tasks, &mut submitting);
        if ranks.is_empty() {
            continue;
        }
        let script_path = slurm_dir.join(format!("{}.sbatch", step.name()));
        let script = sbatch_script(job, step, options, &exe);
        write_atomic(&script_path, script.as_bytes())
            .with_context(|| format!("cannot write {}", script_path.display()))?;
        let mut launched = LaunchedStep {
            step: step.name().to_owned(),
            script: script_path.display().to_string(),
            ranks: ranks.clone(),
            job_ids: Vec::new(),
        };
        let chunks = array_chunks(&ranks, step.kind(), max_array);
        for chunk in &chunks {
            let mut args: Vec<String> = vec!["--parsable".into()];
            if let Some(array) = &chunk.array {
                let throttle = options
                    .max_parallel
                    .map(|w| format!("%{w}"))
                    .unwrap_or_default();
                args.push(format!("--array={array}{throttle}"));
                args.push(format!("--export=ALL,CURATE_RANK_OFFSET={}", chunk.offset));
            }
            if !previous_ids.is_empty() {
                args.push(format!("--dependency=afterok:{}", previous_ids.join(":")));
                args.push("--kill-on-invalid-dep=yes".into());
            }
            args.push(script_path.display().to_string());
            match &sbatch {
                None => {
                    println!("sbatch {}", args.join(" "));
                    launched.job_ids.push(format!("dry-run-{}", step.name()));
                }
                Some(sbatch) => {
                    let id = submit(sbatch, &args)
                        .with_context(|| format!("cannot submit step {}", step.name()))?;
                    launched.job_ids.push(id);
                }
            }
        }
        if options.dry_run {
            println!("# {}\n{script}", script_path.display());
        }
        previous_ids = launched.job_ids.clone();
        record.steps.push(launched);
    }
    if !options.dry_run {
        let mut bytes = serde_json::to_vec_pretty(&record)?;
        bytes.push(b'\n');
        write_atomic(&slurm_dir.join(LAUNCH_FILE), &bytes)
            .with_context(|| format!("cannot write {}", slurm_dir.display()))?;
        let mut history = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(slurm_dir.join("launches.jsonl"))
            .with_context(|| format!("cannot write {}", slurm_dir.display()))?;
        use std::io::Write as _;
        writeln!(history, "{}", serde_json::to_string(&record)?)?;
    }
    Ok(record)
}

/// The ranks of `step` to submit: none while every step so far is complete; for a map
/// step, the ranks owning a partition without a marker (all ranks with partitions when
/// earlier steps are resubmitted and the stage has none yet); rank 0 of a reduce step.
fn ranks_to_submit(
    job: &ResolvedJob,
    plan: &RunPlan,
    step: Step,
    tasks: usize,
    submitting: &mut bool,
) -> Vec<usize> {
    let complete = step_done(&job.run_dir, step, plan.partitions)
        && (!step.ends_run(job) || run_record_complete(&job.run_dir));
    if complete && !*submitting {
        return Vec::new();
    }
    *submitting = true;
    match step.kind() {
        StepKind::Reduce => vec![0],
        // Everything it leaves is there (for `dedup-sign`, perhaps as the decisions).
        StepKind::Map if complete => Vec::new(),
        StepKind::Map => {
            // `shard-write` before anything is packed: every rank (each finds its shards).
            let Some(partitions) = step_partitions(&job.run_dir, step, plan.partitions) else {
                return (0..tasks).collect();
            };
            let done = partitions_done(&job.run_dir, step, partitions);
            let mut ranks: Vec<usize> = (0..partitions)
                .filter(|&p| !done[p])
                .map(|p| p % tasks)
                .collect();
            ranks.sort_unstable();
            ranks.dedup();
            ranks
        }
    }
}

/// Slurm's default `MaxArraySize`: array indices go up to 1000.
const DEFAULT_MAX_ARRAY_SIZE: usize = 1001;

/// One sbatch call: array indices `rank - offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ArrayChunk {
    offset: usize,
    /// `--array` value, `None` for a reduce step (a plain job).
    array: Option<String>,
}

/// Splits ranks into arrays whose indices stay below `max_array`.
fn array_chunks(ranks: &[usize], kind: StepKind, max_array: usize) -> Vec<ArrayChunk> {
    if kind == StepKind::Reduce {
        return vec![ArrayChunk {
            offset: 0,
            array: None,
        }];
    }
    let width = max_array.max(1);
    let mut chunks: Vec<ArrayChunk> = Vec::new();
    let mut current: Option<(usize, Vec<usize>)> = None;
    for &rank in ranks {
        let offset = rank / width * width;
        match &mut current {
            Some((o, indices)) if *o == offset => indices.push(rank - offset),
            _ => {
                if let Some((o, indices)) = current.take() {
                    chunks.push(ArrayChunk {
                        offset: o,
                        array: Some(compact_ranges(&indices)),
                    });
                }
                current = Some((offset, vec![rank - offset]));
            }
        }
    }
    if let Some((o, indices)) = current {
        chunks.push(ArrayChunk {
            offset: o,
            array: Some(compact_ranges(&indices)),
        });
    }
    chunks
}

/// `0,1,2,5,7,8` as `0-2,5,7-8`.
fn compact_ranges(sorted: &[usize]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{end}");
        }
        i += 1;
    }
    out
}

/// The script of one step.
fn sbatch_script(job: &ResolvedJob, step: Step, options: &SlurmOptions, exe: &Path) -> String {
    let run_dir = &job.run_dir;
    let output_dir = options
        .output_dir
        .clone()
        .unwrap_or_else(|| run_dir.parent().unwrap_or(run_dir).display().to_string());
    let mut s = String::new();
    let _ = writeln!(s, "#!/bin/bash");
    let what = match step.kind() {
        StepKind::Map => format!(
            "map step: task I of {} runs the partitions p with p % {} == I",
            options.tasks, options.tasks
        ),
        StepKind::Reduce => "reduce step: one task".to_owned(),
    };
    let _ = writeln!(
        s,
        "# curate: step `{}` of job `{}` ({what}).",
        step.name(),
        job.name
    );
    let _ = writeln!(
        s,
        "# Written by `curate launch slurm`; edit and resubmit with sbatch if needed."
    );
    let _ = writeln!(s, "#SBATCH --job-name=curate-{}-{}", job.name, step.name());
    let log = match step.kind() {
        StepKind::Map => format!("{}-%A_%a.out", step.name()),
        StepKind::Reduce => format!("{}-%j.out", step.name()),
    };
    let _ = writeln!(
        s,
        "#SBATCH --output={}",
        run_dir.join(SLURM_DIR).join("logs").join(log).display()
    );
    if let Some(cpus) = options.cpus_per_task {
        let _ = writeln!(s, "#SBATCH --cpus-per-task={cpus}");
    }
    if let Some(mem) = &options.mem {
        let _ = writeln!(s, "#SBATCH --mem={mem}");
    }
    if let Some(time) = &options.time {
        let _ = writeln!(s, "#SBATCH --time={time}");
    }
    if let Some(partition) = &options.partition {
        let _ = writeln!(s, "#SBATCH --partition={partition}");
    }
    for arg in &options.sbatch_args {
        let _ = writeln!(s, "#SBATCH {arg}");
    }
    let _ = writeln!(s, "set -euo pipefail");
    let (rank, world) = match step.kind() {
        // The rank is SLURM_ARRAY_TASK_ID + CURATE_RANK_OFFSET (see `cluster::task`).
        StepKind::Map => (String::new(), options.tasks),
        StepKind::Reduce => (" --rank 0".to_owned(), 1),
    };
    let scratch = options
        .scratch
        .as_ref()
        .map(|dir| format!(" --scratch {}", shell_quote(&dir.display().to_string())))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "exec {} run {} --output-dir {} --step {}{rank} --world-size {world} \
         --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet{scratch}",
        shell_quote(&exe.display().to_string()),
        shell_quote(&job.job_file.display().to_string()),
        shell_quote(&output_dir),
        step.name(),
    );
    s
}

fn shell_quote(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// `MaxArraySize` from `scontrol show config` (Slurm's default when it cannot be read).
fn max_array_size() -> usize {
    Command::new("scontrol")
        .args(["show", "config"])
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|line| {
                    let (key, value) = line.split_once('=')?;
                    (key.trim() == "MaxArraySize")
                        .then(|| value.trim().parse().ok())
                        .flatten()
                })
        })
        .unwrap_or(DEFAULT_MAX_ARRAY_SIZE)
}

/// Runs `sbatch --parsable ...` and returns the job id.
fn submit(sbatch: &Path, args: &[String]) -> Result<String> {
    let output = Command::new(sbatch)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", sbatch.display()))?;
    if !output.status.success() {
        bail!(
            "sbatch {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    // `--parsable` prints `ID` or `ID;CLUSTER`.
    let id = stdout.trim().split(';').next().unwrap_or("").to_owned();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!("sbatch printed no job id: {:?}", stdout.trim());
    }
    Ok(id)
}

/// The `ID STATE` of each of `job_ids` (and their array tasks) still in the queue, or
/// `None` when squeue cannot be run.
pub fn queued_jobs(job_ids: &[String]) -> Option<Vec<String>> {
    let ids: Vec<&String> = job_ids
        .iter()
        .filter(|id| id.chars().all(|c| c.is_ascii_digit()))
        .collect();
    if ids.is_empty() {
        return Some(Vec::new());
    }
    let list = ids.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    let output = Command::new("squeue")
        .args(["-h", "-o", "%i %T", "-j", &list])
        .output()
        .ok()?;
    // A job that left the queue long ago is an "Invalid job id": nothing queued. Any other
    // failure (the controller unreachable) means the queue is unknown.
    if !output.status.success()
        && !String::from_utf8_lossy(&output.stderr).contains("Invalid job id")
    {
        return None;
    }
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// Blocks until none of the launch's jobs is queued or running, then reads the run's
/// status.
pub fn wait_for(
    run_dir: &Path,
    record: &LaunchRecord,
    poll: Duration,
    refresh: &dyn Fn() -> Result<()>,
) -> Result<RunStatusReport> {
    // The controller may be unreachable for a while (a restart): up to five minutes.
    const UNKNOWN_FOR: Duration = Duration::from_secs(300);
    let ids = record.job_ids();
    let mut unknown_since: Option<std::time::Instant> = None;
    loop {
        match queued_jobs(&ids) {
            Some(active) if active.is_empty() => break,
            Some(_) => unknown_since = None,
            None => {
                let since = *unknown_since.get_or_insert_with(std::time::Instant::now);
                if since.elapsed() > UNKNOWN_FOR {
                    bail!(
                        "squeue has not answered for {} s: cannot follow the launched jobs \
                         (`curate status {}` reads what is done)",
                        UNKNOWN_FOR.as_secs(),
                        run_dir.display()
                    );
                }
            }
        }
        std::thread::sleep(poll);
    }
    refresh()?;
    run_status(run_dir, queued_jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_written_as_ranges_and_split_below_the_array_limit() {
        assert_eq!(compact_ranges(&[0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
        assert_eq!(compact_ranges(&[3]), "3");
        let chunks = array_chunks(&[0, 1, 999, 1000, 1001, 2500], StepKind::Map, 1000);
        assert_eq!(
            chunks,
            vec![
                ArrayChunk {
                    offset: 0,
                    array: Some("0-1,999".into())
                },
                ArrayChunk {
                    offset: 1000,
                    array: Some("0-1".into())
                },
                ArrayChunk {
                    offset: 2000,
                    array: Some("500".into())
                },
            ]
        );
        assert_eq!(array_chunks(&[0], StepKind::Reduce, 1000)[0].array, None);
    }

    #[test]
    fn paths_with_spaces_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("/a/b.toml"), "/a/b.toml");
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
