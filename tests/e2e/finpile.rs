//! `jobs/finpile.toml` as shipped, on the real corpora: what a lab would check of a
//! finance + web mix.

use crate::support::{read_json, repo_root, run_job, run_ok, stage_record};

#[test]
fn finpile_job_keeps_finance_text_and_hits_the_mix() {
    let out = tempfile::tempdir().unwrap();
    let job = repo_root().join("jobs/finpile.toml");
    let run = run_job(&job, out.path(), "finpile", &[]);

    // The filter stage: curated finance sources lose only broken documents, the
    // uuencoded attachments of the EDGAR submissions.
    let filter = stage_record(&run.join("02-filter"));
    let sources = &filter["summary"]["by_source"];
    for source in ["earnings-calls", "reuters", "sec-filings", "wikipedia"] {
        let funnel = &sources[source];
        assert_eq!(
            funnel["input"]["documents"], funnel["output"]["documents"],
            "{source} lost documents: {funnel}"
        );
    }
    let submissions = &sources["sec-submissions"];
    assert_eq!(
        submissions["dropped"]["integrity_encoded_payload"]["documents"], 10,
        "{submissions}"
    );
    assert_eq!(filter["summary"]["profiles"]["reuters"], "curated");
    assert_eq!(filter["summary"]["profiles"]["web-crawl"], "web");
    // Finance keeps at least 95% of its tokens through filter and dedup, less exact copies.
    let tokens = |stage: &str| stage_record(&run.join(stage))["tokens"].clone();
    let ingest_tokens = tokens("01-ingest");
    let dedup = tokens("03-dedup");
    let finance = [
        "earnings-calls",
        "reuters",
        "sec-filings",
        "sec-submissions",
    ];
    let sum = |value: &serde_json::Value| -> u64 {
        finance
            .iter()
            .map(|s| value["output"][s].as_u64().unwrap())
            .sum()
    };
    let exact: u64 = finance
        .iter()
        .filter_map(|s| dedup["dropped"][s]["dedup_exact"].as_u64())
        .sum();
    let (before, after) = (sum(&ingest_tokens), sum(&dedup));
    assert!(
        after as f64 >= 0.95 * (before - exact) as f64,
        "finance kept {after} of {before} tokens ({exact} exact copies)"
    );

    // The tokenizer reached the vocabulary it was asked for.
    let tokenizer = stage_record(&run.join("tokenizer"));
    assert_eq!(tokenizer["summary"]["vocab_size"], 32000);
    assert_eq!(tokenizer["summary"]["requested_vocab_size"], 32000);

    // 51/49 by tokens, no source past 4 epochs, and the shard directory is self-contained.
    let manifest = read_json(&run.join("shards/manifest.json"));
    let shares = &manifest["mix"]["by_domain"];
    let finance_share = shares["finance"]["share"].as_f64().unwrap();
    assert!(
        (finance_share - 0.51).abs() < 0.005,
        "finance share {finance_share}"
    );
    assert_eq!(manifest["tokenizer"]["path"], "tokenizer.json");
    assert!(run.join("shards/tokenizer.json").is_file());
    assert_eq!(manifest["requested_vocab_size"], 32000);
    let plan = read_json(&run.join("05-mix/plan.json"));
    for source in plan["plan"]["sources"].as_array().unwrap() {
        assert!(source["rate"].as_f64().unwrap() <= 4.0 + 1e-9, "{source}");
    }
    run_ok(&["verify", run.to_str().unwrap()]);
}

#[test]
fn fineweb_recipe_runs_as_shipped() {
    let out = tempfile::tempdir().unwrap();
    let job = repo_root().join("jobs/fineweb.toml");
    let run = run_job(&job, out.path(), "fineweb", &[]);
    let filter = stage_record(&run.join("02-filter"));
    let dropped_by = filter["summary"]["total"]["dropped_by"]
        .as_object()
        .unwrap();
    for step in ["language", "gopher_quality", "gopher_repetition", "fineweb"] {
        assert!(dropped_by.contains_key(step), "{step}: {dropped_by:?}");
    }
    let plan = read_json(&run.join("05-mix/plan.json"));
    for source in plan["plan"]["sources"].as_array().unwrap() {
        assert!(source["rate"].as_f64().unwrap() <= 1.0 + 1e-9, "{source}");
    }
    run_ok(&["verify", run.to_str().unwrap()]);
}
