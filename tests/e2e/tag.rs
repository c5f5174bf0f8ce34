//! `curate tag`: every filter's decision and signals per document.

use crate::support::*;

fn tag_jsonl(args: &[&str]) -> Vec<serde_json::Value> {
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("tags.jsonl");
    let mut full = vec!["tag", "--format", "jsonl", "-o", output.to_str().unwrap()];
    full.extend_from_slice(args);
    run_ok(&full);
    std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn tag_runs_every_filter_independently() {
    let job = repo_root().join("jobs/finance.toml");
    let news = repo_root().join("fixtures/finance/news.jsonl");
    let rows = tag_jsonl(&["--job", job.to_str().unwrap(), news.to_str().unwrap()]);
    assert_eq!(rows.len(), 6);
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["fn-001", "fn-002", "fn-003", "fn-004", "fn-005", "fn-006"]
    );
    // Not short-circuited: every filter has a decision for every document, including the
    // ones C4 drops.
    for row in &rows {
        for filter in [
            "url",
            "language",
            "gopher_repetition",
            "gopher_quality",
            "c4",
            "fineweb",
            "toxicity",
        ] {
            assert!(row[filter].is_string(), "{filter} missing in {row}");
            assert!(row[format!("{filter}_signals")].is_object(), "{row}");
        }
    }
    let c4: Vec<&str> = rows.iter().map(|r| r["c4"].as_str().unwrap()).collect();
    assert_eq!(
        c4,
        [
            "keep",
            "too_few_sentences",
            "keep",
            "too_few_sentences",
            "too_few_sentences",
            "too_few_sentences"
        ]
    );
    assert_eq!(rows[4]["c4_signals"]["c4.sentences"], 4.0);
    assert_eq!(rows[0]["language"], "keep");
    assert_eq!(rows[0]["language_signals"]["language.lang_score"], 1.0);
}

#[test]
fn tag_without_a_job_uses_default_heuristics() {
    let web = repo_root().join("fixtures/general/web.jsonl");
    let rows = tag_jsonl(&[
        "--filters",
        "gopher_quality,gopher_repetition",
        web.to_str().unwrap(),
    ]);
    let decisions: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["gopher_quality"].as_str().unwrap().to_owned(),
                r["gopher_repetition"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(decisions.len(), 6);
    assert_eq!(decisions[0], ("keep".to_owned(), "keep".to_owned()));
    // The spam page repeats itself; the insult is too short.
    assert_ne!(decisions[2].1, "keep", "{:?}", rows[2]);
    assert_eq!(decisions[5].0, "gopher_short_doc");
    assert!(rows[0].get("c4").is_none(), "only the named filters run");

    let stderr = run_err(&[
        "tag",
        "--filters",
        "gopher",
        web.to_str().unwrap(),
        "-o",
        "/dev/null",
    ]);
    assert!(stderr.contains("unknown filter `gopher`"), "{stderr}");
    assert!(stderr.contains("gopher_quality"), "{stderr}");
}
