//! A killed run resumes where it stopped and ends with the same output as an uninterrupted
//! one; a rerun with nothing changed does nothing; a changed config reruns.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;

const FILES: usize = 24;

/// A corpus of many JSONL files, so a run can be killed between partitions.
fn write_corpus(dir: &Path) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for file in 0..FILES {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(data.join(format!("shard-{file:03}.jsonl"))).unwrap(),
        );
        for line in 0..4000 {
            let text = format!(
                "Document {line} of file {file}. {}",
                "Markets moved on the news of the day while traders watched yields. "
                    .repeat(1 + line % 7)
            );
            writeln!(
                out,
                "{}",
                serde_json::json!({"id": format!("f{file}-{line}"), "text": text})
            )
            .unwrap();
        }
    }
}

fn job_text(batch_docs: usize) -> String {
    format!(
        "[job]\nname = \"big\"\n\n[[source]]\nname = \"bulk\"\ndomain = \"general\"\nformat = \"jsonl\"\npaths = [\"data/*.jsonl\"]\n\n[ingest]\nbatch_docs = {batch_docs}\n"
    )
}

fn partitions_done(stage: &Path) -> usize {
    std::fs::read(stage.join("_stage.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["partitions_done"].as_object().map(|o| o.len()))
        .unwrap_or(0)
}

#[test]
fn killed_run_resumes_to_identical_output() {
    let dir = tempfile::tempdir().unwrap();
    write_corpus(dir.path());
    let job = write_job(dir.path(), &job_text(1000));
    let stage = dir.path().join("runs/big/01-ingest");

    let mut child = curate()
        .args(["run", job.to_str().unwrap(), "--threads", "1", "--quiet"])
        .spawn()
        .unwrap();
    let started = Instant::now();
    while partitions_done(&stage) < 3 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no cleanup runs.
    child.wait().unwrap();
    let done_at_kill = partitions_done(&stage);
    assert!(done_at_kill >= 3, "the run never got going");
    let interrupted = done_at_kill < FILES;

    let output = run_ok(&["run", job.to_str().unwrap(), "--threads", "2"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if interrupted {
        assert!(
            stderr.contains("partitions kept from an interrupted run"),
            "{stderr}"
        );
    }
    assert!(
        std::fs::read_dir(&stage).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")),
        "a temporary file was left behind"
    );

    // The same job, never interrupted, in another directory.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::rename(dir.path().join("data"), fresh.path().join("data")).unwrap();
    let fresh_job = write_job(fresh.path(), &job_text(1000));
    run_ok(&["run", fresh_job.to_str().unwrap(), "--quiet"]);
    let fresh_stage = fresh.path().join("runs/big/01-ingest");
    let resumed_parts = part_files(&stage);
    let fresh_parts = part_files(&fresh_stage);
    assert_eq!(resumed_parts.len(), FILES);
    assert_eq!(fresh_parts.len(), FILES);
    for (a, b) in resumed_parts.iter().zip(&fresh_parts) {
        assert_eq!(
            std::fs::read(a).unwrap(),
            std::fs::read(b).unwrap(),
            "{} differs",
            a.display()
        );
    }
    let docs = read_documents(&stage);
    assert_eq!(docs.len(), FILES * 4000);
    assert_eq!(
        stage_record(&stage)["summary"]["total"]["documents"],
        FILES * 4000
    );
}

#[test]
fn unchanged_job_is_up_to_date_and_changed_config_reruns() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("data/a.jsonl"),
        "{\"text\": \"one\"}\n{\"text\": \"two\"}\n",
    )
    .unwrap();
    let job = write_job(dir.path(), &job_text(1000));
    let first = run_ok(&["run", job.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&first.stderr).contains("2 documents"));

    let again = run_ok(&["run", job.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("ingest  up to date"));

    let forced = run_ok(&["run", job.to_str().unwrap(), "--force", "ingest"]);
    assert!(String::from_utf8_lossy(&forced.stderr).contains("2 documents"));

    write_job(dir.path(), &job_text(1));
    let changed = run_ok(&["run", job.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&changed.stderr).contains("2 documents"));

    // A stray temporary file from a crash is cleaned up by the next run that writes.
    let stage = dir.path().join("runs/big/01-ingest");
    std::fs::write(stage.join("part-00007.parquet.tmp"), b"half a file").unwrap();
    write_job(dir.path(), &job_text(2));
    run_ok(&["run", job.to_str().unwrap()]);
    assert!(!stage.join("part-00007.parquet.tmp").exists());
}
