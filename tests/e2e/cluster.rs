//! The rank contract without a scheduler: `curate plan`, then `curate run --step` tasks by
//! hand, as any scheduler that sets a task index would run them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{corpora, curate, run_err, run_job, run_ok, write_job};

/// A job over real corpora with 15 partitions: Common Crawl WARC/ARC samples and web JSONL
/// through the FineWeb chain, four Reuters files through the curated chain, MinHash dedup,
/// C4's first-copy line dedup, the GPT-NeoX tokenizer, a 50/50 mix and packed shards.
pub fn corpora_job(dir: &Path) -> PathBuf {
    let corpora = corpora();
    let c = corpora.display();
    write_job(
        dir,
        &format!(
            r#"
[job]
name = "webfin"
output_dir = "runs"
seed = 7

[[source]]
name = "crawl"
domain = "web"
format = "warc"
paths = ["{c}/web_warc_samples/*/*.warc.gz", "{c}/web_warc_samples/*/*.arc.gz"]
filters = "web"

[[source]]
name = "web-jsonl"
domain = "web"
format = "jsonl"
paths = ["{c}/web_text_jsonl/*.json*.gz"]
filters = "web"

[[source]]
name = "reuters"
domain = "finance"
format = "sgml"
tags = {{ record = "REUTERS", text = "BODY", title = "TITLE" }}
paths = ["{c}/reuters21578/reut2-00[0-3].sgm.gz"]
filters = "finance"

[filter.profile.web]
preset = "fineweb"

[filter.profile.finance]
preset = "curated"

[dedup]
scope = "global"

[dedup.minhash]

[dedup.lines]
mode = "keep_first"

[tokenizer]
path = "{c}/reference_tokenizers/gpt-neo-test-tokenizer.json.gz"

[mix]
shares = {{ finance = 0.5, web = 0.5 }}

[shard]
seq_len = 256
"#
        ),
    )
}

/// Every output a user or a trainer reads, by path relative to the run directory: stage
/// parts, the mix plan and selection, the tokenizer, the shards and their manifest.
/// Records (`_stage.json`, markers, `run.json`, reports, launch files) hold timings and
/// hosts and are left out.
pub fn outputs(run_dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("run directory lists") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(name.as_str(), "_partitions" | "slurm" | ".work") {
                    walk(&path, root, out);
                }
                continue;
            }
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            // Top level: run.json, reports, the plan and resolved job (which name the
            // output directory), the lock.
            let top_level = !relative.contains('/');
            if top_level || name == "_stage.json" {
                continue;
            }
            out.insert(relative, std::fs::read(&path).expect("output reads"));
        }
    }
    let mut out = BTreeMap::new();
    walk(run_dir, run_dir, &mut out);
    out
}

/// Asserts that two runs wrote the same outputs, naming the first that differs.
pub fn assert_same_outputs(expected: &Path, actual: &Path) {
    let (a, b) = (outputs(expected), outputs(actual));
    let names_a: Vec<&String> = a.keys().collect();
    let names_b: Vec<&String> = b.keys().collect();
    assert_eq!(names_a, names_b, "the runs wrote different files");
    assert!(
        a.keys().any(|k| k.starts_with("shards/")) && a.len() > 20,
        "too few outputs to compare: {names_a:?}"
    );
    for (name, bytes) in &a {
        assert!(
            &b[name] == bytes,
            "{name} differs between {} and {}",
            expected.display(),
            actual.display()
        );
    }
}

/// Runs a reduce step with `CURATE_LOG=info`; returns its log (it must succeed).
fn reduce_step_log(job: &Path, out: &Path, step: &str) -> String {
    let output = curate()
        .env("CURATE_LOG", "info")
        .args(["run", job.to_str().unwrap(), "--output-dir"])
        .arg(out)
        .args(["--step", step, "--quiet"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "step {step} failed: {log}");
    log
}

fn step(job: &Path, out: &Path, step: &str, rank: usize, world: usize) -> std::process::Output {
    curate()
        .args([
            "run",
            job.to_str().unwrap(),
            "--output-dir",
            out.to_str().unwrap(),
        ])
        .args(["--step", step, "--rank", &rank.to_string()])
        .args([
            "--world-size",
            &world.to_string(),
            "--quiet",
            "--threads",
            "1",
        ])
        .output()
        .expect("curate starts")
}

fn step_ok(job: &Path, out: &Path, name: &str, rank: usize, world: usize) {
    let output = step(job, out, name, rank, world);
    assert!(
        output.status.success(),
        "step {name} rank {rank}/{world} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn ranks_run_by_hand_give_the_bytes_of_curate_run_and_a_changed_world_size_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let job = corpora_job(dir.path());
    let single = dir.path().join("single");
    run_job(&job, &single, "webfin", &[]);

    let out = dir.path().join("ranks");
    let out_str = out.to_str().unwrap();
    // A step before the plan is refused.
    let error = String::from_utf8_lossy(&step(&job, &out, "ingest", 0, 3).stderr).into_owned();
    assert!(error.contains("has not been planned"), "{error}");
    run_ok(&["plan", job.to_str().unwrap(), "--output-dir", out_str]);
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("webfin/plan.json")).unwrap()).unwrap();
    assert_eq!(plan["partitions"], 15);

    // Ingest with 3 ranks, but rank 2 never runs; filter then runs with a world size of 2.
    step_ok(&job, &out, "ingest", 0, 3);
    step_ok(&job, &out, "ingest", 1, 3);
    let output = step(&job, &out, "filter", 0, 2);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains(
            "stage ingest is not complete: 5 of its 15 partitions have no valid completion marker"
        ) && error.contains("00002 (no completion marker)")
            && error.contains("00014 (no completion marker)"),
        "{error}"
    );
    // Nothing done is lost: rank 2 of 3 finishes ingest, and the rest runs with other
    // world sizes per step.
    let ingest_markers = std::fs::read_dir(out.join("webfin/01-ingest/_partitions")).unwrap();
    assert_eq!(ingest_markers.count(), 10);
    step_ok(&job, &out, "ingest", 2, 3);
    // A part damaged after its marker: the seal names it, drops the marker, and the rank
    // that owns it redoes it.
    let part = out.join("webfin/01-ingest/part-00004.parquet");
    let bytes = std::fs::read(&part).unwrap();
    std::fs::write(&part, &bytes[..bytes.len() / 2]).unwrap();
    let error = String::from_utf8_lossy(&step(&job, &out, "filter", 0, 2).stderr).into_owned();
    assert!(
        error.contains("1 of its 15 partitions") && error.contains("its marker says"),
        "{error}"
    );
    assert!(!out.join("webfin/01-ingest/_partitions/00004.json").exists());
    step_ok(&job, &out, "ingest", 1, 3);
    assert_eq!(std::fs::read(&part).unwrap(), bytes);
    for rank in 0..2 {
        step_ok(&job, &out, "filter", rank, 2);
    }
    // Dedup's pass 1 over 3 ranks, its decisions on rank 0, its writing over 4 ranks.
    for rank in 0..3 {
        step_ok(&job, &out, "dedup-sign", rank, 3);
    }
    let signed = out.join("webfin/03-dedup/_signatures");
    assert_eq!(
        std::fs::read_dir(signed.join("_partitions"))
            .unwrap()
            .count(),
        15
    );
    // A reduce step runs on rank 0; other ranks have nothing to do.
    step_ok(&job, &out, "dedup", 1, 4);
    assert!(!out.join("webfin/03-dedup/_stage.json").exists());
    // A signature file changed after its marker (same size): the dedup step names it and
    // drops its marker, and the rank that owns it signs it again.
    let sig = signed.join("part-00004.sig");
    let good = std::fs::read(&sig).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    std::fs::write(&sig, &bad).unwrap();
    let error = String::from_utf8_lossy(&step(&job, &out, "dedup", 0, 1).stderr).into_owned();
    assert!(
        error.contains("part-00004.sig is not the file its completion marker vouched for")
            && error.contains("to sign partition 00004 again"),
        "{error}"
    );
    assert!(!signed.join("_partitions/00004.json").exists());
    assert!(!out.join("webfin/03-dedup/_decisions").exists());
    step_ok(&job, &out, "dedup-sign", 1, 3);
    assert_eq!(std::fs::read(&sig).unwrap(), good);
    let log = reduce_step_log(&job, &out, "dedup");
    assert!(
        log.contains("pass 1 read from the dedup-sign step: 15 partitions"),
        "{log}"
    );
    // The decisions go to one file per partition; the signatures have served.
    let decided = out.join("webfin/03-dedup/_decisions");
    assert!(decided.join("decisions.json").is_file());
    assert_eq!(
        std::fs::read_dir(&decided)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".dec"))
            .count(),
        15
    );
    assert!(
        !signed.exists(),
        "the signatures go once the decisions are made"
    );
    // A step after dedup before its parts are written names what is missing.
    let error = String::from_utf8_lossy(&step(&job, &out, "tokenizer", 0, 1).stderr).into_owned();
    assert!(
        error.contains("stage dedup is not complete: 15 of its 15 partitions"),
        "{error}"
    );
    // A decision file damaged after the record: the rank that reads it fails naming it and
    // removes the record, so the dedup step decides again (and nothing else is redone).
    let damaged = decided.join("part-00005.dec");
    let good = std::fs::read(&damaged).unwrap();
    std::fs::write(&damaged, &good[..good.len() - 3]).unwrap();
    let error = String::from_utf8_lossy(&step(&job, &out, "dedup-write", 1, 4).stderr).into_owned();
    assert!(
        error.contains("part-00005.dec is not the file decisions.json vouched for"),
        "{error}"
    );
    assert!(!decided.join("decisions.json").exists());
    step_ok(&job, &out, "dedup", 0, 1);
    assert_eq!(std::fs::read(&damaged).unwrap(), good);
    // dedup-write over 4 ranks, one of them twice: the second run has nothing to do.
    for rank in [0, 1, 2, 3, 2] {
        step_ok(&job, &out, "dedup-write", rank, 4);
    }
    step_ok(&job, &out, "tokenizer", 0, 1);
    for rank in 0..5 {
        step_ok(&job, &out, "count", rank, 5);
    }
    step_ok(&job, &out, "mix", 0, 1);
    // The shuffle's pass 1 over 3 ranks, spilled into the run directory for the shard step.
    for rank in 0..3 {
        step_ok(&job, &out, "shard-scatter", rank, 3);
    }
    let scattered = out.join("webfin/shards/_scatter");
    assert_eq!(
        std::fs::read_dir(scattered.join("_partitions"))
            .unwrap()
            .count(),
        15
    );
    let log = reduce_step_log(&job, &out, "shard");
    assert!(
        log.contains("pass 1 read from the shard-scatter step: 15 partitions"),
        "{log}"
    );
    assert!(!scattered.exists(), "the scatter spills go once packed");
    assert!(!out.join("webfin/shards/manifest.json").exists());
    // A step before the shards are written is refused by name, then 2 ranks write them and
    // the seal writes the manifest and finishes the run.
    let error = String::from_utf8_lossy(&step(&job, &out, "seal", 0, 1).stderr).into_owned();
    assert!(error.contains("stage shard is not complete"), "{error}");
    for rank in 0..2 {
        step_ok(&job, &out, "shard-write", rank, 2);
    }
    step_ok(&job, &out, "seal", 0, 1);
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("webfin/run.json")).unwrap()).unwrap();
    assert_eq!(run["status"], "complete", "{run}");
    assert!(out.join("webfin/report.html").is_file());
    assert!(
        !decided.exists() && !out.join("webfin/shards/.work").exists(),
        "what the steps leave for each other goes with the run's last step"
    );
    assert_same_outputs(&single.join("webfin"), &out.join("webfin"));
    let status = run_ok(&["status", out.join("webfin").to_str().unwrap()]);
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("next: nothing: the run is complete"),
        "{status}"
    );
    assert_eq!(status.matches(" complete").count(), 10 + 1, "{status}");
    run_ok(&["verify", out.join("webfin").to_str().unwrap()]);
}

#[test]
fn bad_task_indices_and_a_run_directory_of_another_job_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let job = corpora_job(dir.path());
    let out = dir.path().join("out");
    let out_str = out.to_str().unwrap();
    let job_str = job.to_str().unwrap();
    let error = run_err(&[
        "run",
        job_str,
        "--output-dir",
        out_str,
        "--step",
        "ingest",
        "--rank",
        "3",
        "--world-size",
        "3",
    ]);
    assert!(
        error.contains("rank 3 is not below the world size 3"),
        "{error}"
    );
    let error = run_err(&["run", job_str, "--rank", "0"]);
    assert!(error.contains("--step"), "{error}");

    run_ok(&["plan", job_str, "--output-dir", out_str]);
    // The same job with another seed is another resolved job.
    let other_dir = dir.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = std::fs::read_to_string(&job)
        .unwrap()
        .replace("seed = 7", "seed = 8");
    let other = write_job(&other_dir, &other);
    let error = run_err(&[
        "run",
        other.to_str().unwrap(),
        "--output-dir",
        out_str,
        "--step",
        "ingest",
    ]);
    assert!(
        error.contains("was planned for another job or other inputs")
            && error.contains("planned `seed = 7`, now `seed = 8`"),
        "{error}"
    );
    let error = run_err(&["plan", other.to_str().unwrap(), "--output-dir", out_str]);
    assert!(error.contains("--replace"), "{error}");
    run_ok(&[
        "plan",
        other.to_str().unwrap(),
        "--output-dir",
        out_str,
        "--replace",
    ]);

    // `launch` without sbatch on the PATH says so and submits nothing.
    let empty = tempfile::tempdir().unwrap();
    let output = curate()
        .env("PATH", empty.path())
        .args(["launch", "slurm", job_str, "--tasks", "2"])
        .args([
            "--output-dir",
            dir.path().join("nosbatch").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && error.contains("sbatch is not on the PATH"),
        "{error}"
    );
    // --dry-run writes and prints the scripts without sbatch.
    let output = curate()
        .env("PATH", empty.path())
        .args(["launch", "slurm", job_str, "--tasks", "4", "--dry-run"])
        .args(["--max-parallel", "2", "--cpus-per-task", "2", "--mem", "4G"])
        .args(["--output-dir", dir.path().join("dry").to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("--array=0-3%2")
            && stdout.contains("#SBATCH --cpus-per-task=2")
            && stdout.contains("#SBATCH --mem=4G")
            && stdout.contains("--step ingest-filter-sign --world-size 4")
            && stdout.contains(
                "--dependency=afterok:dry-run-ingest-filter-sign --kill-on-invalid-dep=yes"
            ),
        "{stdout}"
    );
    assert!(dir.path().join("dry/webfin/slurm/count.sbatch").is_file());
}
