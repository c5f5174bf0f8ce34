//! Errors a user sees: bad job files, damaged input, strict jobs.

use crate::support::*;

#[test]
fn job_errors_name_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let job = write_job(
        dir.path(),
        "[job]\nname = \"t\"\n\n[[source]]\nname = \"a\"\ndomain = \"general\"\nformat = \"jsonl\"\npaths = [\"missing/*.jsonl\"]\n",
    );
    let stderr = run_err(&["check", job.to_str().unwrap()]);
    assert!(stderr.contains("job.toml:8: `source.paths`"), "{stderr}");
    assert!(
        stderr.contains("`missing/*.jsonl` matches no file"),
        "{stderr}"
    );

    let job = write_job(dir.path(), "[job]\nname = \"t\"\nthreads = 4\n");
    let stderr = run_err(&["run", job.to_str().unwrap()]);
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("unknown field `threads`"), "{stderr}");
}

fn damaged_job(dir: &std::path::Path, strict: bool) -> std::path::PathBuf {
    std::fs::write(
        dir.join("docs.jsonl"),
        "{\"id\": \"a\", \"text\": \"first document\"}\n{\"id\": \"b\", \"text\": \n{\"id\": \"c\", \"text\": \"third document\"}\n",
    )
    .unwrap();
    write_job(
        dir,
        &format!(
            "[job]\nname = \"t\"\nstrict = {strict}\n\n[[source]]\nname = \"docs\"\ndomain = \"general\"\nformat = \"jsonl\"\npaths = [\"docs.jsonl\"]\n"
        ),
    )
}

#[test]
fn damaged_records_are_skipped_counted_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let job = damaged_job(dir.path(), false);
    let output = run_ok(&["run", job.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("docs.jsonl: line 2: invalid_json"),
        "{stderr}"
    );
    let record = stage_record(&dir.path().join("runs/t/01-ingest"));
    assert_eq!(record["summary"]["total"]["documents"], 2);
    assert_eq!(record["summary"]["total"]["skipped"]["invalid_json"], 1);
    let ids: Vec<String> = read_documents(&dir.path().join("runs/t/01-ingest"))
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, ["a", "c"]);
}

#[test]
fn a_strict_job_fails_on_the_first_damaged_record() {
    let dir = tempfile::tempdir().unwrap();
    let job = damaged_job(dir.path(), true);
    let stderr = run_err(&["run", job.to_str().unwrap()]);
    assert!(
        stderr.contains("docs.jsonl: line 2: invalid_json"),
        "{stderr}"
    );
    assert!(stderr.contains("strict"), "{stderr}");
    // No part that looks complete is left behind.
    let stage = dir.path().join("runs/t/01-ingest");
    assert!(part_files(&stage).is_empty());
    assert_ne!(stage_record(&stage)["status"], "complete");
}
