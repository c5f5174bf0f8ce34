//! A process that dies (abort: no destructor, no flush, as `kill -9`) at a point of every
//! stage, then the same command again: the same bytes and the same report numbers as a run
//! that was never interrupted.

use std::path::Path;

use crate::cluster::{assert_same_outputs, outputs};
use crate::support::{curate, repo_root, run_job, run_ok};

/// Where the first run dies (`CURATE_TEST_FAULT`, see `run::fault`): in the middle of each
/// partitioned stage (a partition's output and marker written, the record not yet), just
/// before each stage's complete record, and in the middle of the funnel annotation.
const POINTS: [&str; 14] = [
    "abort:ingest:2",
    "abort:ingest",
    "abort:filter:3",
    "abort:filter",
    "abort:dedup:1",
    "abort:dedup",
    "abort:tokenizer",
    "abort:count:4",
    "abort:count",
    "abort:funnel",
    "abort:mix",
    "abort:shard",
    // Two kills in a row: the first run's leftovers are met by a run that dies too.
    "abort:filter:1,abort:dedup",
    "abort:count:1,abort:mix",
];

/// The parts of `report.json` that are numbers about the data, not about the process.
const REPORT_SECTIONS: [&str; 8] = [
    "funnel",
    "retained",
    "drop_reasons",
    "dedup",
    "tokenizer",
    "mix",
    "budget",
    "shards",
];

fn report_numbers(run_dir: &Path) -> Vec<(String, serde_json::Value)> {
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("report.json")).unwrap()).unwrap();
    REPORT_SECTIONS
        .iter()
        .map(|section| {
            (
                section.to_string(),
                without_timings(report[*section].clone()),
            )
        })
        .collect()
}

/// Drops timing fields (`seconds`, `*_seconds`), which differ between any two runs.
fn without_timings(mut value: serde_json::Value) -> serde_json::Value {
    match &mut value {
        serde_json::Value::Object(map) => {
            map.retain(|key, _| key != "seconds" && !key.ends_with("_seconds"));
            for child in map.values_mut() {
                *child = without_timings(child.take());
            }
        }
        serde_json::Value::Array(items) => {
            for item in items.iter_mut() {
                *item = without_timings(item.take());
            }
        }
        _ => {}
    }
    value
}

#[test]
fn a_run_killed_at_any_stage_and_rerun_gives_the_same_bytes_and_report() {
    let job = repo_root().join("jobs/finance.toml");
    let job = job.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    let reference_run = run_job(Path::new(job), &reference, "finance", &[]);
    let expected_report = report_numbers(&reference_run);
    assert!(outputs(&reference_run).len() > 20);

    for (index, point) in POINTS.iter().enumerate() {
        let out = dir.path().join(format!("killed-{index}"));
        let out_str = out.to_str().unwrap();
        let killed = curate()
            .env("CURATE_TEST_FAULT", point)
            .args([
                "run",
                job,
                "--output-dir",
                out_str,
                "--quiet",
                "--threads",
                "2",
            ])
            .output()
            .unwrap();
        assert!(
            !killed.status.success(),
            "{point}: the run was not killed: {}",
            String::from_utf8_lossy(&killed.stderr)
        );
        assert!(
            String::from_utf8_lossy(&killed.stderr).contains("aborting at abort:"),
            "{point}: {}",
            String::from_utf8_lossy(&killed.stderr)
        );
        // A second point of the same fault list kills the rerun too.
        if point.contains(',') {
            let second = point.split(',').nth(1).unwrap();
            let again = curate()
                .env("CURATE_TEST_FAULT", second)
                .args(["run", job, "--output-dir", out_str, "--quiet"])
                .output()
                .unwrap();
            assert!(
                !again.status.success(),
                "{point}: the second run was not killed"
            );
        }
        run_ok(&["run", job, "--output-dir", out_str, "--quiet"]);
        let run = out.join("finance");
        assert_same_outputs(&reference_run, &run);
        assert_eq!(
            report_numbers(&run),
            expected_report,
            "{point}: the report differs"
        );
        run_ok(&["verify", run.to_str().unwrap()]);
    }
}
