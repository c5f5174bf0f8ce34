//! `curate launch slurm` on a real single-node Slurm cluster (`tests/slurm/cluster.sh
//! start`; `.ci/run` starts and stops it). These tests run when `CURATE_SLURM_TESTS=1`:
//! CI sets it, and then any Slurm problem fails them.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use curate::cluster::slurm::LaunchRecord;

use crate::cluster::{assert_same_outputs, corpora_job};
use crate::support::{curate, repo_root, run_job, run_ok};

fn slurm_enabled(test: &str) -> bool {
    let enabled = std::env::var("CURATE_SLURM_TESTS").is_ok_and(|v| v == "1");
    if !enabled {
        eprintln!(
            "{test}: skipped; start Slurm (tests/slurm/cluster.sh start, export SLURM_CONF) \
             and set CURATE_SLURM_TESTS=1"
        );
    }
    enabled
}

fn launch(job: &Path, out: &Path, tasks: usize, wait: bool, fault: Option<&str>) -> Output {
    launch_with(job, out, tasks, wait, fault, &[])
}

fn launch_with(
    job: &Path,
    out: &Path,
    tasks: usize,
    wait: bool,
    fault: Option<&str>,
    extra: &[&str],
) -> Output {
    let mut command = curate();
    command
        .args(["launch", "slurm", job.to_str().unwrap()])
        .args(["--tasks", &tasks.to_string()])
        .args(["--output-dir", out.to_str().unwrap()])
        .args(extra);
    if wait {
        command.arg("--wait");
    }
    match fault {
        Some(fault) => command.env("CURATE_TEST_FAULT", fault),
        None => command.env_remove("CURATE_TEST_FAULT"),
    };
    command.output().expect("curate starts")
}

fn launch_ok(job: &Path, out: &Path, tasks: usize) {
    launch_ok_with(job, out, tasks, &[]);
}

fn launch_ok_with(job: &Path, out: &Path, tasks: usize, extra: &[&str]) {
    let output = launch_with(job, out, tasks, true, None, extra);
    assert!(
        output.status.success(),
        "launch --tasks {tasks} failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn status(run_dir: &Path) -> String {
    String::from_utf8_lossy(&run_ok(&["status", run_dir.to_str().unwrap()]).stdout).into_owned()
}

/// The job run by `curate run` on this machine, the reference the launches must match.
fn single_run(job: &Path, out: &Path) {
    run_job(job, out, "", &[]);
}

/// A map step of 7 tasks on the test cluster (`MaxArraySize=5`) went as two arrays, ranks
/// 0-4 and 5-6 (`CURATE_RANK_OFFSET=5`), each throttled to 2 tasks at once; and the log of
/// rank 6 shows the rank it ran as.
fn assert_split_and_throttled(run_dir: &Path) {
    let ids = step_jobs(run_dir, "ingest-filter-sign");
    assert_eq!(ids.len(), 2, "{ids:?}");
    for id in &ids {
        let output = std::process::Command::new("scontrol")
            .args(["show", "job", id])
            .output()
            .expect("scontrol runs");
        let shown = String::from_utf8_lossy(&output.stdout);
        assert!(shown.contains("ArrayTaskThrottle=2"), "job {id}:\n{shown}");
    }
    let log = run_dir.join(format!("slurm/logs/ingest-filter-sign-{}_1.out", ids[1]));
    let log = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    assert!(log.contains("rank 6 of 7"), "{log}");
}

/// The run's last launch, as `curate launch` recorded it.
fn last_launch(run_dir: &Path) -> LaunchRecord {
    LaunchRecord::read(run_dir).expect("slurm/launch.json reads")
}

/// The Slurm job ids of a step in the run's last launch.
fn step_jobs(run_dir: &Path, step: &str) -> Vec<String> {
    last_launch(run_dir)
        .steps
        .into_iter()
        .find(|s| s.step == step)
        .map(|s| s.job_ids)
        .unwrap_or_default()
}

fn squeue(ids: &[String]) -> String {
    let output = std::process::Command::new("squeue")
        .args(["-h", "-o", "%i %T", "-j", &ids.join(",")])
        .output()
        .expect("squeue runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn slurm_arrays_of_1_3_and_7_tasks_give_the_bytes_of_curate_run() {
    if !slurm_enabled("slurm_arrays_of_1_3_and_7_tasks_give_the_bytes_of_curate_run") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let job = corpora_job(dir.path());
    let single = dir.path().join("single");
    single_run(&job, &single);
    for tasks in [1, 3, 7] {
        let out = dir.path().join(format!("slurm-{tasks}"));
        // 7 tasks: above the test cluster's MaxArraySize of 5, and at most 2 at once.
        let throttle: &[&str] = if tasks == 7 {
            &["--max-parallel", "2"]
        } else {
            &[]
        };
        launch_ok_with(&job, &out, tasks, throttle);
        if tasks == 7 {
            assert_split_and_throttled(&out.join("webfin"));
        }
        assert_same_outputs(&single.join("webfin"), &out.join("webfin"));
        let text = status(&out.join("webfin"));
        assert!(
            text.contains("next: nothing: the run is complete"),
            "{text}"
        );
        // Launching a complete run submits nothing.
        let again = launch(&job, &out, tasks, true, None);
        assert!(
            String::from_utf8_lossy(&again.stdout).contains("every step is complete"),
            "{}",
            String::from_utf8_lossy(&again.stdout)
        );
    }
    // The shipped fixtures job: `--tasks 3 --wait` as the README shows.
    let fixtures = repo_root().join("jobs/finance.toml");
    let single = dir.path().join("fixtures-single");
    single_run(&fixtures, &single);
    let out = dir.path().join("fixtures-slurm");
    launch_ok(&fixtures, &out, 3);
    assert_same_outputs(&single.join("finance"), &out.join("finance"));
}

#[test]
fn a_failed_task_cancels_the_steps_after_it_and_a_relaunch_redoes_only_its_partitions() {
    if !slurm_enabled("a_failed_task_cancels_the_steps_after_it") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let job = corpora_job(dir.path());
    let single = dir.path().join("single");
    single_run(&job, &single);
    let out = dir.path().join("slurm");
    let run_dir = out.join("webfin");

    let failed = launch(&job, &out, 3, true, Some("ingest-filter-sign:1:abort"));
    assert!(!failed.status.success(), "a failed task fails --wait");
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("the run is not complete"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let text = status(&run_dir);
    let filter_job = &step_jobs(&run_dir, "ingest-filter-sign")[0];
    assert!(
        text.contains("ingest-filter-sign map     10/15 partitions")
            && text.contains("missing partitions: 00001, 00004, 00007, 00010, 00013")
            && text.contains(&format!("slurm/logs/ingest-filter-sign-{filter_job}_1.out"))
            && text.contains(
                "dedup              reduce                     not run: a step before it did not complete"
            )
            && text.contains("next: launch again"),
        "{text}"
    );
    let log = std::fs::read_to_string(
        run_dir.join(format!("slurm/logs/ingest-filter-sign-{filter_job}_1.out")),
    )
    .unwrap();
    assert!(
        log.contains("step ingest-filter-sign rank 1 aborted by CURATE_TEST_FAULT"),
        "{log}"
    );
    // Nothing of the run is left in the queue: the dependent steps were cancelled.
    let all = last_launch(&run_dir).job_ids();
    assert_eq!(squeue(&all).trim(), "");

    launch_ok(&job, &out, 3);
    let relaunch = last_launch(&run_dir);
    // Of the fused ingest, filter and signing step, only rank 1 was submitted again.
    assert_eq!(relaunch.steps[0].step, "ingest-filter-sign");
    assert_eq!(relaunch.steps[0].ranks, vec![1]);
    assert_same_outputs(&single.join("webfin"), &run_dir);
}

#[test]
fn a_task_killed_with_scancel_is_named_and_a_relaunch_finishes_the_run() {
    if !slurm_enabled("a_task_killed_with_scancel_is_named") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let job = corpora_job(dir.path());
    let single = dir.path().join("single");
    single_run(&job, &single);
    let out = dir.path().join("slurm");
    let run_dir = out.join("webfin");

    let submitted = launch(&job, &out, 3, false, Some("count:2:hang"));
    assert!(submitted.status.success());
    // A second launch while this one's jobs are queued is refused.
    let twice = launch(&job, &out, 3, false, None);
    let error = String::from_utf8_lossy(&twice.stderr);
    assert!(
        !twice.status.success() && error.contains("are still in the queue"),
        "{error}"
    );
    let count_job = step_jobs(&run_dir, "count")[0].clone();
    let task = format!("{count_job}_2");
    wait_until("count task 2 to run", Duration::from_secs(300), || {
        squeue(std::slice::from_ref(&count_job)).contains(&format!("{task} RUNNING"))
    });
    // The other count tasks finish; then task 2 is killed in the middle of its step.
    wait_until(
        "count tasks 0 and 1 to end",
        Duration::from_secs(300),
        || {
            let queue = squeue(std::slice::from_ref(&count_job));
            !queue.contains(&format!("{count_job}_0 "))
                && !queue.contains(&format!("{count_job}_1 "))
        },
    );
    let scancel = std::process::Command::new("scancel")
        .arg(&task)
        .status()
        .expect("scancel runs");
    assert!(scancel.success());
    let all = last_launch(&run_dir).job_ids();
    wait_until(
        "the launch to leave the queue",
        Duration::from_secs(120),
        || squeue(&all).trim().is_empty(),
    );
    let text = status(&run_dir);
    assert!(
        text.contains("count              map     10/15 partitions")
            && text.contains("missing partitions: 00002, 00005, 00008, 00011, 00014")
            && text.contains("mix                reduce                     not run"),
        "{text}"
    );
    launch_ok(&job, &out, 3);
    assert_same_outputs(&single.join("webfin"), &run_dir);
}

#[test]
fn slurm_tasks_with_the_run_directory_in_a_bucket_share_no_filesystem_and_give_the_same_bytes() {
    if !slurm_enabled("slurm_with_a_bucket_run_directory")
        || !crate::object_store::s3_enabled("slurm_with_a_bucket_run_directory")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let job = repo_root().join("jobs/finance.toml");
    let single = dir.path().join("single");
    single_run(&job, &single);
    let runs = crate::object_store::unique_prefix("slurm-bucket").join("runs");
    let runs_text = runs.to_string();
    let runs_path = Path::new(&runs_text);
    launch_ok(&job, runs_path, 3);
    let run = runs.join("finance");
    let report = status(Path::new(&run.to_string()));
    assert!(report.contains("complete"), "{report}");
    // Every task worked in a copy of its own and pushed to the bucket: what the bucket
    // holds is what `curate run` writes.
    let pulled = crate::object_store::pull_fresh(&run);
    assert_same_outputs(&single.join("finance"), pulled.path());
    let again = launch(&job, runs_path, 3, true, None);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("nothing submitted"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}
