//! `curate run jobs/finance.toml` on the bundled fixtures: exact counts, ids, text, and
//! byte-identical output whatever the number of threads.

use std::collections::BTreeMap;

use crate::support::*;

fn run_finance(threads: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    run_finance_job(&["--threads", threads])
}

#[test]
fn ingest_counts_are_exact_for_the_fixtures() {
    let (_out, run_dir) = run_finance("2");
    assert!(run_dir.join("job.resolved.toml").is_file());
    let record = stage_record(&run_dir.join("01-ingest"));
    assert_eq!(record["status"], "complete");
    let summary = &record["summary"];
    let by_source = |name: &str| summary["by_source"][name].clone();

    assert_eq!(by_source("filings")["documents"], 3);
    assert_eq!(by_source("finance-news")["documents"], 6);
    assert_eq!(by_source("web-text")["documents"], 6);
    let crawl = by_source("web-crawl");
    assert_eq!(crawl["records"], 8, "{crawl}");
    assert_eq!(crawl["documents"], 3, "{crawl}");
    assert_eq!(
        crawl["skipped"],
        serde_json::json!({"non_document_record": 3, "non_html_payload": 1, "non_success_status": 1})
    );
    assert_eq!(summary["total"]["documents"], 18);
    assert_eq!(summary["by_domain"]["finance"]["documents"], 9);
    assert_eq!(summary["by_domain"]["general"]["documents"], 9);
    assert_eq!(
        record["partitions_total"], 6,
        "one partition per input file"
    );

    let docs = read_documents(&run_dir.join("01-ingest"));
    assert_eq!(docs.len(), 18);
    let per_source: BTreeMap<&str, usize> = docs.iter().fold(BTreeMap::new(), |mut m, d| {
        *m.entry(d.source.as_str()).or_default() += 1;
        m
    });
    assert_eq!(
        per_source,
        BTreeMap::from([
            ("filings", 3),
            ("finance-news", 6),
            ("web-crawl", 3),
            ("web-text", 6)
        ])
    );
    let ids: Vec<&str> = docs
        .iter()
        .filter(|d| d.source == "filings")
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "filings/harborline-freight-10k.txt:1",
            "filings/meridian-bank-10q.txt:1",
            "filings/solstice-energy-8k.txt:1"
        ]
    );
    let news_ids: Vec<&str> = docs
        .iter()
        .filter(|d| d.source == "finance-news")
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(
        news_ids,
        ["fn-001", "fn-002", "fn-003", "fn-004", "fn-005", "fn-006"]
    );
    assert!(docs.iter().all(
        |d| (d.domain == "finance") == ["filings", "finance-news"].contains(&d.source.as_str())
    ));

    let by_url = |url: &str| {
        docs.iter()
            .find(|d| d.url.as_deref() == Some(url))
            .unwrap_or_else(|| panic!("no document with url {url}"))
    };
    // Chunked body de-chunked, HTML extracted, boilerplate navigation and footer dropped.
    let garden = by_url("https://citydaily.example.com/city/community-gardens");
    assert_eq!(garden.id, "urn:uuid:00000000-0000-4000-8000-000000000003");
    assert!(
        garden.text.contains("forty households grow tomatoes"),
        "{}",
        garden.text
    );
    assert!(garden.text.contains("water connections"), "{}", garden.text);
    assert!(!garden.text.contains("Cookie settings"), "{}", garden.text);
    // windows-1252 declared only in a <meta> tag.
    let museum = by_url("https://ville.example.fr/actualites/musee");
    assert!(
        museum.text.contains("Après deux années de travaux"),
        "{}",
        museum.text
    );
}

#[test]
fn output_is_byte_identical_across_thread_counts_and_reruns() {
    let (_a, one) = run_finance("1");
    let (_b, two) = run_finance("2");
    let parts_one = part_files(&one.join("01-ingest"));
    let parts_two = part_files(&two.join("01-ingest"));
    assert_eq!(parts_one.len(), 6);
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

#[test]
fn check_prints_the_resolved_plan_without_running() {
    let job = repo_root().join("jobs/finance.toml");
    let output = run_ok(&["check", job.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("job finance (seed 42)"), "{stdout}");
    assert!(stdout.contains("web-crawl"), "{stdout}");
    assert!(stdout.contains("[mix.shares]"), "{stdout}");
    assert!(stdout.contains("finance = 0.51"), "{stdout}");
    assert!(stdout.contains("batch_docs = 4096"), "{stdout}");
}

#[test]
fn filter_stage_keeps_and_drops_the_right_documents() {
    let (_out, run_dir) = run_finance("2");
    let stage = run_dir.join("02-filter");
    let record = stage_record(&stage);
    assert_eq!(record["status"], "complete");
    let total = &record["summary"]["total"];
    assert_eq!(total["input"]["documents"], 18);
    assert_eq!(total["output"]["documents"], 9);
    assert_eq!(
        total["dropped_by"],
        serde_json::json!({
            "url": {"documents": 2, "bytes": 737},
            "language": {"documents": 1, "bytes": 730},
            "gopher_quality": {"documents": 2, "bytes": 1460},
            "c4": {"documents": 4, "bytes": 2112},
        })
    );

    let kept: Vec<String> = read_documents(&stage).into_iter().map(|d| d.id).collect();
    assert_eq!(
        kept,
        [
            "filings/harborline-freight-10k.txt:1",
            "filings/solstice-energy-8k.txt:1",
            "fn-001",
            "fn-003",
            "gw-001",
            "gw-002",
            "gw-004",
            "gw-005",
            "urn:uuid:00000000-0000-4000-8000-000000000003",
        ]
    );
    let rejected = read_rejected(&stage.join("rejected"));
    let reasons: Vec<(String, String, String)> = rejected;
    assert_eq!(
        reasons,
        [
            (
                "filings/meridian-bank-10q.txt:1",
                "gopher_quality",
                "gopher_below_alpha_threshold"
            ),
            ("fn-002", "c4", "too_few_sentences"),
            ("fn-004", "c4", "too_few_sentences"),
            ("fn-005", "c4", "too_few_sentences"),
            ("fn-006", "c4", "too_few_sentences"),
            // The spam page's domain is in fixtures/lists/blocked_domains.txt.
            ("gw-003", "url", "url_blocklist_domain"),
            ("gw-006", "gopher_quality", "gopher_short_doc"),
            // The French museum page.
            (
                "urn:uuid:00000000-0000-4000-8000-000000000004",
                "language",
                "lang_not_allowed"
            ),
            (
                "urn:uuid:00000000-0000-4000-8000-000000000005",
                "url",
                "url_blocklist_domain"
            ),
        ]
        .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );
}

/// `(id, filter, reason)` of every rejected document.
fn read_rejected(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for batch in read_batches(dir) {
        let (ids, filters, reasons) = (
            utf8_column(&batch, "id"),
            utf8_column(&batch, "filter"),
            utf8_column(&batch, "reason"),
        );
        for row in 0..batch.num_rows() {
            rows.push((
                ids.value(row).to_owned(),
                filters.value(row).to_owned(),
                reasons.value(row).to_owned(),
            ));
        }
    }
    rows
}
