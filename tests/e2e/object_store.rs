//! Sources and run directories in a bucket, against a real S3 server (SeaweedFS,
//! `tests/s3/server.sh start`; `.ci/run` starts and stops it). These tests run when
//! `CURATE_S3_TESTS=1` and the `AWS_*` variables the script writes are set: CI sets them,
//! and then any problem with the store fails them.

use std::path::{Path, PathBuf};
use std::process::Output;

use curate::storage::run_mirror::RunMirror;
use curate::storage::{ObjectUrl, put_file};

use crate::cluster::outputs;
use crate::support::{curate, repo_root, run_job, write_job};

pub fn s3_enabled(test: &str) -> bool {
    let enabled = std::env::var("CURATE_S3_TESTS").is_ok_and(|v| v == "1");
    if !enabled {
        eprintln!(
            "{test}: skipped; start the S3 server (eval \"$(tests/s3/server.sh start | tail -n \
             1)\") and set CURATE_S3_TESTS=1"
        );
    }
    enabled
}

fn bucket() -> String {
    std::env::var("CURATE_S3_BUCKET").unwrap_or_else(|_| "curate-test".to_owned())
}

/// A prefix of the bucket no other test uses.
fn unique_prefix(test: &str) -> ObjectUrl {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let text = format!("s3://{}/{test}-{}-{nanos}", bucket(), std::process::id());
    ObjectUrl::parse(&text).unwrap().unwrap()
}

/// Uploads every file below `dir` to `prefix`, keeping relative names.
fn upload_tree(dir: &Path, prefix: &ObjectUrl) {
    fn walk(dir: &Path, root: &Path, prefix: &ObjectUrl) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, prefix);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                put_file(&path, &prefix.join(&relative)).expect("upload");
            }
        }
    }
    walk(dir, dir, prefix);
}

/// `jobs/finance.toml` with its sources read from `sources` (a copy of `fixtures/` in the
/// bucket); the filter lists stay local files.
fn finance_job_reading(sources: &ObjectUrl, dir: &Path) -> PathBuf {
    let fixtures = repo_root().join("fixtures");
    let text = std::fs::read_to_string(repo_root().join("jobs/finance.toml")).unwrap();
    let mut body = String::new();
    for line in text.lines() {
        let line = if line.starts_with("paths") {
            line.replace("../fixtures", &sources.to_string())
        } else {
            line.replace("../fixtures", fixtures.to_str().unwrap())
        };
        body.push_str(&line);
        body.push('\n');
    }
    write_job(dir, &body)
}

fn curate_in_bucket(args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut command = curate();
    command.args(args).env_remove("CURATE_TEST_FAULT");
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.output().expect("curate starts")
}

fn assert_ok(output: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{what} failed\nstdout:\n{}\nstderr:\n{stderr}",
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

/// Asserts that a run from bucket sources wrote the bytes of the local run: every part and
/// shard. The manifest and HF `state.json` differ only in the job fingerprint, which covers
/// the inputs' identity (URLs and ETags here, paths and dates there).
fn assert_same_bytes_but_fingerprint(local: &Path, bucket: &Path) {
    let (a, b) = (outputs(local), outputs(bucket));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the runs wrote different files"
    );
    assert!(a.keys().filter(|k| k.starts_with("shards/data-")).count() >= 1);
    for (name, bytes) in &a {
        if name == "shards/manifest.json" || name == "shards/state.json" {
            let strip = |bytes: &[u8]| {
                let mut value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                let fingerprint =
                    value
                        .as_object_mut()
                        .unwrap()
                        .remove(if name.ends_with("manifest.json") {
                            "job_fingerprint"
                        } else {
                            "_fingerprint"
                        });
                assert!(fingerprint.is_some(), "{name} has a fingerprint");
                value
            };
            assert_eq!(
                strip(bytes),
                strip(&b[name]),
                "{name} differs beyond its fingerprint"
            );
        } else {
            assert!(&b[name] == bytes, "{name} differs");
        }
    }
}

/// Downloads a run from the bucket into a fresh directory, as a user would read it.
fn pull_fresh(run: &ObjectUrl) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    RunMirror::new(run.clone(), dir.path().to_owned())
        .pull()
        .expect("the run pulls");
    dir
}

#[test]
fn fixtures_job_with_sources_and_run_in_a_bucket_gives_the_local_bytes() {
    if !s3_enabled("fixtures_job_in_a_bucket") {
        return;
    }
    let prefix = unique_prefix("fixtures-job");
    upload_tree(&repo_root().join("fixtures"), &prefix.join("fixtures"));
    let work = tempfile::tempdir().unwrap();
    let job = finance_job_reading(&prefix.join("fixtures"), work.path());
    let reference = run_job(
        &repo_root().join("jobs/finance.toml"),
        &work.path().join("local"),
        "finance",
        &[],
    );

    let runs = prefix.join("runs").to_string();
    let scratch = work.path().join("scratch");
    let args = [
        "run",
        job.to_str().unwrap(),
        "--output-dir",
        &runs,
        "--scratch",
        scratch.to_str().unwrap(),
        "--quiet",
    ];
    assert_ok(&curate_in_bucket(&args, &[]), "the run into the bucket");
    let run = prefix.join("runs/finance");
    let pulled = pull_fresh(&run);
    assert_same_bytes_but_fingerprint(&reference, pulled.path());
    for name in [
        "run.json",
        "report.html",
        "job.resolved.toml",
        "shards/manifest.json",
    ] {
        assert!(
            pulled.path().join(name).is_file(),
            "{name} is in the bucket"
        );
    }
    let resolved = std::fs::read_to_string(pulled.path().join("job.resolved.toml")).unwrap();
    assert!(resolved.contains(&format!("{}/finance/filings/", prefix.join("fixtures"))));
    assert!(
        !resolved.contains("curate-test-secret"),
        "no secret in the resolved job"
    );

    // Run again: everything is up to date and nothing is uploaded.
    let stderr = assert_ok(
        &curate_in_bucket(&args[..args.len() - 1], &[]),
        "the second run",
    );
    assert!(
        stderr.matches("up to date").count() >= 6,
        "every stage is up to date:\n{stderr}"
    );

    // verify, query and report read the run in the bucket.
    let run_url = run.to_string();
    let verified = assert_ok(&curate_in_bucket(&["verify", &run_url], &[]), "verify");
    let _ = verified;
    let query = curate_in_bucket(
        &[
            "query",
            &run_url,
            "SELECT count(*) AS documents FROM count",
            "--format",
            "csv",
        ],
        &[],
    );
    assert_ok(&query, "query");
    let local_query = curate_in_bucket(
        &[
            "query",
            reference.to_str().unwrap(),
            "SELECT count(*) AS documents FROM count",
            "--format",
            "csv",
        ],
        &[],
    );
    assert_eq!(
        String::from_utf8_lossy(&query.stdout),
        String::from_utf8_lossy(&local_query.stdout)
    );
    assert_ok(&curate_in_bucket(&["report", &run_url], &[]), "report");

    // publish copies the local run's shards, reads them back, and resumes.
    let dest = prefix.join("published").to_string();
    let published = curate_in_bucket(&["publish", reference.to_str().unwrap(), &dest], &[]);
    assert_ok(&published, "publish");
    let text = String::from_utf8_lossy(&published.stdout).into_owned();
    assert!(text.contains("0 already there"), "{text}");
    let again = curate_in_bucket(&["publish", reference.to_str().unwrap(), &dest], &[]);
    assert_ok(&again, "publish again");
    let text = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(text.contains("(0 uploaded"), "{text}");
}
