//! The dedup stage and `curate dedup`: what is removed and why, which copy each cluster
//! keeps, and output that does not depend on the number of threads.

use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::UInt64Type;

use crate::support::*;

/// One row of `03-dedup/removed/`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Removed {
    id: String,
    source: String,
    reason: String,
    cluster: Option<u64>,
    kept_id: Option<String>,
}

fn removed(stage: &Path) -> Vec<Removed> {
    let mut rows = Vec::new();
    for batch in read_batches(&stage.join("removed")) {
        let text = |name: &str| utf8_column(&batch, name);
        let (ids, sources, reasons, kept) =
            (text("id"), text("source"), text("reason"), text("kept_id"));
        let clusters = primitive_column::<UInt64Type>(&batch, "cluster");
        for row in 0..batch.num_rows() {
            rows.push(Removed {
                id: ids.value(row).to_owned(),
                source: sources.value(row).to_owned(),
                reason: reasons.value(row).to_owned(),
                cluster: clusters.is_valid(row).then(|| clusters.value(row)),
                kept_id: kept.is_valid(row).then(|| kept.value(row).to_owned()),
            });
        }
    }
    rows
}

/// The bytes of every kept and removed part of a dedup stage, in part order.
fn stage_outputs(stage: &Path) -> Vec<Vec<u8>> {
    part_files(stage)
        .into_iter()
        .chain(part_files(&stage.join("removed")))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn removal(
    id: &str,
    source: &str,
    reason: &str,
    cluster: Option<u64>,
    kept: Option<&str>,
) -> Removed {
    Removed {
        id: id.to_owned(),
        source: source.to_owned(),
        reason: reason.to_owned(),
        cluster,
        kept_id: kept.map(str::to_owned),
    }
}

fn run_finance(threads: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    run_finance_job(&["--threads", threads, "--until", "dedup"])
}

#[test]
fn fixtures_dedup_removes_the_exact_copies_that_survive_the_filters() {
    let (_out, run_dir) = run_finance("2");
    let stage = run_dir.join("03-dedup");
    let record = stage_record(&stage);
    assert_eq!(record["status"], "complete");
    let summary = &record["summary"];
    assert_eq!(summary["total"]["input"]["documents"], 9);
    assert_eq!(summary["total"]["output"]["documents"], 7);
    // fn-001 and fn-003 are the same text; gw-001 and gw-004 too. The near-duplicate
    // fn-002/fn-004 pair never reaches dedup: the C4 filter drops both.
    assert_eq!(
        summary["total"]["dropped"],
        serde_json::json!({"dedup_exact": {"documents": 2, "bytes": 1451}})
    );
    assert_eq!(
        summary["by_source"]["finance-news"]["dropped_by"],
        serde_json::json!({"exact": {"documents": 1, "bytes": 677}})
    );
    assert_eq!(summary["total"]["bytes_edited_out"], 0);
    assert_eq!(
        summary["dedup"]["cluster_sizes"],
        serde_json::json!({"2": 2})
    );
    assert_eq!(summary["dedup"]["exact_removed"], 2);
    assert_eq!(summary["dedup"]["minhash_removed"], 0);
    assert_eq!(summary["dedup"]["documents"], 9);
    // Fixed-size records per document: group and priority (8), exact hash (16) and the
    // signature flag (1); 14 band records of 16 bytes; 8 bytes of union-find; the exact
    // table on top. All in memory: nothing spilled at the default budget.
    let memory = &summary["dedup"]["memory"];
    let per_doc = memory["bytes_per_document"].as_f64().unwrap();
    assert!((257.0..1024.0).contains(&per_doc), "{per_doc}");
    assert_eq!(memory["records"], 9 * 25);
    assert_eq!(memory["lsh_index"], 9 * 14 * 16);
    assert_eq!(memory["union_find"], 9 * 8);
    assert_eq!(
        (&memory["runs"], &memory["spilled_bytes"]),
        (&0.into(), &0.into())
    );

    // Global indices follow the filter's parts: harborline 0, solstice 1, fn-001 2,
    // fn-003 3, gw-001 4, gw-002 5, gw-004 6.
    assert_eq!(
        removed(&stage),
        [
            removal(
                "fn-003",
                "finance-news",
                "dedup_exact",
                Some(2),
                Some("fn-001")
            ),
            removal("gw-004", "web-text", "dedup_exact", Some(4), Some("gw-001")),
        ]
    );
    let kept: Vec<String> = read_documents(&stage).into_iter().map(|d| d.id).collect();
    assert_eq!(
        kept,
        [
            "filings/harborline-freight-10k.txt:1",
            "filings/solstice-energy-8k.txt:1",
            "fn-001",
            "gw-001",
            "gw-002",
            "gw-005",
            "urn:uuid:00000000-0000-4000-8000-000000000003",
        ]
    );
    let resolved = std::fs::read_to_string(run_dir.join("job.resolved.toml")).unwrap();
    assert!(resolved.contains("[dedup.minhash]"), "{resolved}");
    assert!(resolved.contains("bands = 14"), "{resolved}");
}

#[test]
fn fixtures_dedup_is_byte_identical_across_thread_counts() {
    let (_a, one) = run_finance("1");
    let (_b, two) = run_finance("2");
    for dir in ["03-dedup", "03-dedup/removed"] {
        let parts_one = part_files(&one.join(dir));
        let parts_two = part_files(&two.join(dir));
        assert_eq!(parts_one.len(), 6, "{dir}");
        for (a, b) in parts_one.iter().zip(&parts_two) {
            assert_eq!(a.file_name(), b.file_name());
            assert_eq!(
                std::fs::read(a).unwrap(),
                std::fs::read(b).unwrap(),
                "{} differs",
                a.display()
            );
        }
    }
}

/// `n` words, a different vocabulary per `topic`, with word `change` replaced.
fn article(topic: usize, change: Option<usize>) -> String {
    (0..150)
        .map(|i| {
            if Some(i) == change {
                "altered".to_owned()
            } else {
                format!("t{topic}w{}", (i * 31 + topic) % 211)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_jsonl(path: &Path, docs: &[(&str, &str)]) {
    let body: String = docs
        .iter()
        .map(|(id, text)| format!("{}\n", serde_json::json!({"id": id, "text": text})))
        .collect();
    std::fs::write(path, body).unwrap();
}

/// Two sources: `wire` (priority 1) listed first, `desk` (priority 0) second.
fn priority_job(dir: &Path, scope: &str) -> std::path::PathBuf {
    let a = article(1, None);
    let a_near = article(1, Some(70));
    let b = article(2, None);
    write_jsonl(
        &dir.join("wire.jsonl"),
        &[
            ("w1", &a),
            ("w2", &b),
            (
                "w3",
                "Footer: all rights reserved.\nA note on interest rates, the yield curve and the dollar.",
            ),
            ("w4", "Footer: all rights reserved."),
        ],
    );
    write_jsonl(
        &dir.join("desk.jsonl"),
        &[
            ("d1", &a_near),
            ("d2", &format!("  {b}\n")),
            (
                "d3",
                "Footer: all rights reserved.\nA note on corporate bonds in emerging markets this week.",
            ),
        ],
    );
    write_job(
        dir,
        &format!(
            "[job]\nname = \"prio\"\n\n\
             [[source]]\nname = \"wire\"\ndomain = \"finance\"\nformat = \"jsonl\"\npaths = [\"wire.jsonl\"]\npriority = 1\n\n\
             [[source]]\nname = \"desk\"\ndomain = \"finance\"\nformat = \"jsonl\"\npaths = [\"desk.jsonl\"]\npriority = 0\n\n\
             [dedup]\nscope = \"{scope}\"\n[dedup.exact]\n[dedup.minhash]\n[dedup.lines]\nmax_docs = 2\n"
        ),
    )
}

#[test]
fn clusters_keep_the_lowest_priority_source_then_the_first_seen() {
    let dir = tempfile::tempdir().unwrap();
    let job = priority_job(dir.path(), "global");
    run_ok(&["run", job.to_str().unwrap(), "--threads", "2"]);
    let stage = dir.path().join("runs/prio/03-dedup");
    // Parts in source order: wire (w1..w4 = 0..3), desk (d1..d3 = 4..6).
    assert_eq!(
        removed(&stage),
        [
            // The desk's near-copy of w1 wins on priority although it comes later.
            removal("w1", "wire", "dedup_minhash", Some(4), Some("d1")),
            // d2 is w2 with other whitespace: the desk's copy is kept.
            removal("w2", "wire", "dedup_exact", Some(5), Some("d2")),
            // The footer is in 3 documents, more than max_docs = 2: w4 had nothing else.
            removal("w4", "wire", "dedup_lines_all_repeated", None, None),
        ]
    );
    let kept = read_documents(&stage);
    let texts: Vec<(&str, &str)> = kept
        .iter()
        .map(|d| (d.id.as_str(), d.text.as_str()))
        .filter(|(id, _)| ["w3", "d3"].contains(id))
        .collect();
    assert_eq!(
        texts,
        [
            (
                "w3",
                "A note on interest rates, the yield curve and the dollar."
            ),
            (
                "d3",
                "A note on corporate bonds in emerging markets this week."
            )
        ]
    );
    let record = stage_record(&stage);
    assert_eq!(record["summary"]["total"]["bytes_edited_out"], 58);
    assert_eq!(
        record["summary"]["dedup"]["cluster_sizes"],
        serde_json::json!({"2": 2})
    );

    // A rerun with nothing changed does not touch the stage.
    let before = std::fs::read(stage.join("_stage.json")).unwrap();
    run_ok(&["run", job.to_str().unwrap()]);
    assert_eq!(std::fs::read(stage.join("_stage.json")).unwrap(), before);
}

#[test]
fn per_source_scope_keeps_copies_in_different_sources() {
    let dir = tempfile::tempdir().unwrap();
    let job = priority_job(dir.path(), "per_source");
    run_ok(&["run", job.to_str().unwrap()]);
    let stage = dir.path().join("runs/prio/03-dedup");
    // No cross-source clusters; the footer is in 2 documents of wire and 1 of desk.
    assert_eq!(removed(&stage), []);
    assert_eq!(read_documents(&stage).len(), 7);
}

#[test]
fn dedup_command_writes_kept_documents_and_removed_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("docs.jsonl");
    let a = article(3, None);
    let a_near = article(3, Some(20));
    write_jsonl(
        &input,
        &[
            ("x1", &a),
            ("x2", "Short unique text."),
            ("x3", &a),
            ("x4", &a_near),
            ("x5", "Another short text."),
        ],
    );
    let out = dir.path().join("out");
    let output = run_ok(&[
        "dedup",
        "--exact",
        "--minhash",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("kept 3 of 5 documents; removed dedup_exact 1, dedup_minhash 1"),
        "{stdout}"
    );
    let removed = std::fs::read_to_string(out.join("removed.jsonl")).unwrap();
    assert_eq!(
        removed,
        "{\"cluster\":0,\"id\":\"x3\",\"kept_id\":\"x1\",\"reason\":\"dedup_exact\"}\n\
         {\"cluster\":0,\"id\":\"x4\",\"kept_id\":\"x1\",\"reason\":\"dedup_minhash\"}\n"
    );
    let kept: Vec<String> = std::fs::read_to_string(out.join("docs.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(kept, ["\"x1\"", "\"x2\"", "\"x5\""]);

    // Exact only: the near-duplicate stays.
    let out_exact = dir.path().join("out-exact");
    run_ok(&[
        "dedup",
        "--exact",
        input.to_str().unwrap(),
        "-o",
        out_exact.to_str().unwrap(),
    ]);
    let removed = std::fs::read_to_string(out_exact.join("removed.jsonl")).unwrap();
    assert_eq!(removed.lines().count(), 1, "{removed}");
}

#[test]
fn dedup_command_on_the_news_fixture_follows_the_number_setting() {
    let news = repo_root().join("fixtures/finance/news.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let removed_with = |numbers: &str| {
        let out = dir.path().join(numbers);
        run_ok(&[
            "dedup",
            "--minhash",
            "--numbers",
            numbers,
            "--verify-threshold",
            "0.8",
            news.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        std::fs::read_to_string(out.join("removed.jsonl")).unwrap()
    };
    // fn-002 and fn-004 differ in their figures (and one word): their 5-gram Jaccard is
    // 0.71 with figures kept and 0.87 with numbers normalised, as FineWeb does. Verified
    // at 0.8 they are near-duplicates only when normalised (without verification a 0.71
    // pair shares a band of 14 x 8 with probability 0.6: a coin flip, not a rule).
    // fn-003 is a copy of fn-001.
    assert_eq!(
        removed_with("keep"),
        "{\"cluster\":0,\"id\":\"fn-003\",\"kept_id\":\"fn-001\",\"reason\":\"dedup_minhash\"}\n"
    );
    assert_eq!(
        removed_with("normalize"),
        "{\"cluster\":0,\"id\":\"fn-003\",\"kept_id\":\"fn-001\",\"reason\":\"dedup_minhash\"}\n\
         {\"cluster\":1,\"id\":\"fn-004\",\"kept_id\":\"fn-002\",\"reason\":\"dedup_minhash\"}\n"
    );
}

#[test]
fn an_interrupted_dedup_resumes_to_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let job = priority_job(dir.path(), "global");
    run_ok(&["run", job.to_str().unwrap()]);
    let stage = dir.path().join("runs/prio/03-dedup");
    let complete = stage_record(&stage);
    let before = stage_outputs(&stage);

    // As a crash after partition 0 leaves it: partition 1 unrecorded and unwritten.
    let mut record = complete.clone();
    record["status"] = "running".into();
    record["summary"] = serde_json::Value::Null;
    record["partitions_done"]
        .as_object_mut()
        .unwrap()
        .remove("00001");
    std::fs::write(
        stage.join("_stage.json"),
        serde_json::to_vec_pretty(&record).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(stage.join("part-00001.parquet")).unwrap();
    std::fs::remove_file(stage.join("removed/part-00001.parquet")).unwrap();

    let output = run_ok(&["run", job.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1 partitions kept from an interrupted run"),
        "{stderr}"
    );
    assert_eq!(stage_outputs(&stage), before);
    let resumed = stage_record(&stage);
    assert_eq!(resumed["status"], "complete");
    assert_eq!(resumed["summary"]["total"], complete["summary"]["total"]);
    assert_eq!(resumed["summary"]["dedup"], complete["summary"]["dedup"]);
}

#[test]
fn dedup_command_reads_and_writes_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let job = priority_job(dir.path(), "global");
    run_ok(&["run", job.to_str().unwrap(), "--until", "ingest"]);
    let ingest = dir.path().join("runs/prio/01-ingest");
    let parts = part_files(&ingest);
    assert_eq!(parts.len(), 2);
    let out = dir.path().join("out");
    let output = run_ok(&[
        "dedup",
        "--exact",
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("kept 6 of 7 documents; removed dedup_exact 1"),
        "{stdout}"
    );
    // Without a job there are no priorities: the first seen (wire's w2) is kept.
    assert_eq!(
        std::fs::read_to_string(out.join("removed.jsonl")).unwrap(),
        "{\"cluster\":1,\"id\":\"d2\",\"kept_id\":\"w2\",\"reason\":\"dedup_exact\"}\n"
    );
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(out.join("part-00001.parquet")).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let ids: Vec<String> = reader
        .flat_map(|batch| {
            let batch = batch.unwrap();
            let ids = batch
                .column_by_name("id")
                .unwrap()
                .as_string::<i32>()
                .clone();
            (0..ids.len())
                .map(|i| ids.value(i).to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ids, ["d1", "d3"]);
}

/// A job over 3,000 documents in families of five near-copies (one word changed), split
/// over two sources, with the given `[dedup]` memory budget.
fn spill_job(dir: &Path, memory_mb: u64) -> std::path::PathBuf {
    let texts: Vec<(String, String)> = (0..3_000)
        .map(|i| {
            let family = i / 5;
            let words: Vec<String> = (0..200)
                .map(|j| match j == i % 5 * 7 + 2 {
                    true => format!("edit{i}"),
                    false => format!("f{family}w{j}"),
                })
                .collect();
            (format!("doc{i}"), words.join(" "))
        })
        .collect();
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(id, t)| (id.as_str(), t.as_str()))
        .collect();
    write_jsonl(&dir.join("a.jsonl"), &refs[..1_500]);
    write_jsonl(&dir.join("b.jsonl"), &refs[1_500..]);
    write_job(
        dir,
        &format!(
            "[job]\nname = \"spill\"\n\n\
             [[source]]\nname = \"a\"\ndomain = \"general\"\nformat = \"jsonl\"\npaths = [\"a.jsonl\"]\n\n\
             [[source]]\nname = \"b\"\ndomain = \"general\"\nformat = \"jsonl\"\npaths = [\"b.jsonl\"]\n\n\
             [dedup]\nmemory_mb = {memory_mb}\n[dedup.exact]\n[dedup.minhash]\n"
        ),
    )
}

#[test]
fn an_index_over_its_memory_budget_spills_to_disk_with_the_same_output() {
    let in_memory = tempfile::tempdir().unwrap();
    let job = spill_job(in_memory.path(), 4096);
    run_ok(&["run", job.to_str().unwrap(), "--until", "dedup"]);
    let spilled = tempfile::tempdir().unwrap();
    // 1 MiB holds 32,768 band records per run; 3,000 documents have 42,000.
    let job = spill_job(spilled.path(), 1);
    run_ok(&["run", job.to_str().unwrap(), "--until", "dedup"]);

    let stage = |dir: &Path| dir.join("runs/spill/03-dedup");
    assert_eq!(
        stage_outputs(&stage(spilled.path())),
        stage_outputs(&stage(in_memory.path()))
    );
    let memory = |dir: &Path| stage_record(&stage(dir))["summary"]["dedup"].clone();
    let (kept, spilt) = (memory(in_memory.path()), memory(spilled.path()));
    assert_eq!(kept["minhash_removed"], 2_400);
    assert_eq!(spilt["minhash_removed"], 2_400);
    assert_eq!(spilt["cluster_sizes"], serde_json::json!({"5": 600}));
    assert_eq!(kept["memory"]["runs"], 0);
    // Two runs of band records (the second written at the end), none of pairs.
    assert_eq!(spilt["memory"]["runs"], 2);
    assert_eq!(spilt["memory"]["spilled_bytes"], 3_000 * 14 * 16);
    // The run files are gone.
    assert!(!stage(spilled.path()).join(".work").exists());
}
