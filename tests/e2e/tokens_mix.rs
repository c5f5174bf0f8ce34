//! The tokenizer, count and mix stages: a tokenizer that reloads with the same ids, token
//! totals equal to encoding the surviving documents independently, and mix plans whose
//! realised shares and shortfalls are what the counts imply.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use curate_tokenizer::BpeTokenizer;

use crate::support::*;

/// The document stage the count stage read: the last of dedup and filter that ran.
fn counted_upstream(run_dir: &Path) -> PathBuf {
    ["03-dedup", "02-filter", "01-ingest"]
        .iter()
        .map(|d| run_dir.join(d))
        .find(|d| d.join("_stage.json").is_file())
        .unwrap()
}

/// Realised token shares per domain when each document is repeated `copies` times.
fn realised_shares(
    counted: &[Counted],
    selection: &BTreeMap<(String, String), u32>,
) -> (BTreeMap<String, u64>, u64) {
    let mut by_domain: BTreeMap<String, u64> = BTreeMap::new();
    for doc in counted {
        let copies = selection
            .get(&(doc.source.clone(), doc.id.clone()))
            .copied()
            .unwrap_or(0);
        *by_domain.entry(doc.domain.clone()).or_default() += u64::from(copies) * doc.token_count;
    }
    let total = by_domain.values().sum();
    (by_domain, total)
}

#[test]
fn fixtures_tokenizer_counts_and_mix() {
    let (_out, run_dir) = run_finance_job(&[]);

    // The trained tokenizer reloads and encodes every surviving document to the ids stored.
    let tokenizer_file = run_dir.join("tokenizer/tokenizer.json");
    let record = stage_record(&run_dir.join("tokenizer"));
    assert_eq!(record["status"], "complete");
    assert_eq!(record["summary"]["origin"], "trained");
    let tokenizer = BpeTokenizer::from_file(&tokenizer_file)
        .unwrap()
        .with_special_tokens_as_text(true);
    assert_eq!(
        record["summary"]["fingerprint"],
        tokenizer.fingerprint_hex()
    );
    assert_eq!(
        tokenizer.eos_id(),
        Some(0),
        "<|endoftext|> is the first special token"
    );
    assert!(tokenizer.vocab_size() > 256 && tokenizer.vocab_size() <= 4096);
    let sample = &record["summary"]["sample"];
    assert!(sample["documents"].as_u64().unwrap() > 0, "{sample}");

    let upstream = read_documents(&counted_upstream(&run_dir));
    let counted = read_counted(&run_dir.join("04-count"));
    assert_eq!(counted.len(), upstream.len());
    let mut expected_by_source: BTreeMap<String, u64> = BTreeMap::new();
    for (doc, row) in upstream.iter().zip(&counted) {
        assert_eq!((&doc.id, &doc.text), (&row.id, &row.text));
        let ids = tokenizer.encode(&doc.text).unwrap();
        assert_eq!(ids, row.input_ids, "{}", doc.id);
        assert_eq!(ids.len() as u64, row.token_count);
        assert!(!ids.contains(&0), "no document injects the separator");
        *expected_by_source.entry(doc.source.clone()).or_default() += ids.len() as u64;
    }
    let counts = stage_record(&run_dir.join("04-count"));
    let by_source = &counts["summary"]["by_source"];
    for (source, tokens) in &expected_by_source {
        assert_eq!(by_source[source]["tokens"], *tokens, "{source}");
    }
    let finance_tokens = expected_by_source["filings"] + expected_by_source["finance-news"];
    let general_tokens: u64 = expected_by_source
        .iter()
        .filter(|(s, _)| s.starts_with("web-"))
        .map(|(_, t)| t)
        .sum();
    assert_eq!(
        counts["summary"]["by_domain"]["finance"]["tokens"],
        finance_tokens
    );
    assert_eq!(
        counts["summary"]["by_domain"]["general"]["tokens"],
        general_tokens
    );

    // The mix: total "all" at 4 epochs is bounded by the domain with the fewer tokens per
    // share point; that domain repeats exactly 4 times.
    let plan = read_json(&run_dir.join("05-mix/plan.json"));
    let total = plan["plan"]["total_tokens"].as_u64().unwrap();
    let bound = (4.0 * finance_tokens as f64 / 0.51).min(4.0 * general_tokens as f64 / 0.49);
    assert!(
        total as f64 <= bound && total as f64 > bound - 3.0,
        "{total} vs {bound}"
    );
    let limiting = if 4.0 * finance_tokens as f64 / 0.51 <= 4.0 * general_tokens as f64 / 0.49 {
        "finance"
    } else {
        "general"
    };
    let domains = plan["plan"]["domains"].as_array().unwrap();
    let limited = domains.iter().find(|d| d["domain"] == limiting).unwrap();
    let limited_tokens = if limiting == "finance" {
        finance_tokens
    } else {
        general_tokens
    };
    assert!(limited["planned_tokens"].as_u64().unwrap() <= 4 * limited_tokens);
    assert!(limited["planned_tokens"].as_u64().unwrap() + 2 >= 4 * limited_tokens);
    assert!(
        plan["plan"]["shortfall"].is_null(),
        "\"all\" asks for no more than exists"
    );

    // The budget: 125M parameters want 2.5B tokens; the fixtures are far short and the
    // summary says so.
    assert_eq!(plan["budget"]["target_tokens"], 2.5e9);
    let mix_record = stage_record(&run_dir.join("05-mix"));
    let budget_line = mix_record["summary"]["budget"].as_str().unwrap();
    assert!(budget_line.contains("target 2.50B tokens"), "{budget_line}");
    assert!(budget_line.contains("short"), "{budget_line}");

    // The selection realises the shares the summary reports.
    let selection = read_selection(&run_dir.join("05-mix"));
    let (by_domain, realised_total) = realised_shares(&counted, &selection);
    assert_eq!(mix_record["summary"]["realised_tokens"], realised_total);
    for (domain, tokens) in &by_domain {
        assert_eq!(
            mix_record["summary"]["by_domain"][domain]["realised_tokens"],
            *tokens
        );
    }
    assert_eq!(by_domain[limiting], 4 * limited_tokens);
}

/// A job on the shared corpora with the GPT-NeoX tokenizer: earnings calls as finance,
/// Wikipedia paragraphs as general.
fn corpora_job(dir: &Path, extra_mix: &str) -> PathBuf {
    let corpora = corpora();
    let tokenizer = corpora.join("reference_tokenizers/gpt-neo-test-tokenizer.json.gz");
    assert!(tokenizer.is_file(), "{} is missing", tokenizer.display());
    write_job(
        dir,
        &format!(
            r#"[job]
name = "mix"
seed = 7

[[source]]
name = "ectsum"
domain = "finance"
format = "jsonl"
paths = ["{corpora}/ectsum_earnings_calls/ectsum_train.jsonl.gz"]
max_docs = 100

[[source]]
name = "wikitext"
domain = "general"
format = "text"
text_unit = "line"
paths = ["{corpora}/wikitext103_wikipedia/wiki.valid.tokens.gz"]

[tokenizer]
path = "{tokenizer}"

[budget]
params = 1e6

[mix]
max_epochs = 1.0
{extra_mix}

[mix.shares]
finance = 0.51
general = 0.49
"#,
            corpora = corpora.display(),
            tokenizer = tokenizer.display(),
        ),
    )
}

#[test]
fn corpora_mix_hits_51_49_and_reports_a_shortfall() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs");
    let job = corpora_job(dir.path(), "total = \"all\"");
    let run = |job: &Path| {
        let output = run_ok(&[
            "run",
            job.to_str().unwrap(),
            "--output-dir",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        String::from_utf8(output.stderr).unwrap()
    };
    run(&job);
    let run_dir = out.join("mix");
    let record = stage_record(&run_dir.join("tokenizer"));
    assert_eq!(record["summary"]["origin"], "file");
    assert_eq!(record["summary"]["vocab_size"], 50_280);
    assert_eq!(record["summary"]["eos_id"], 50_279);

    // Counts agree with the reference counts made with Python `tokenizers`.
    let counted = read_counted(&run_dir.join("04-count"));
    let reference = std::fs::read_to_string(
        corpora().join("reference_tokenizers/gpt-neo-test-tokenizer.expected_counts.jsonl"),
    )
    .unwrap();
    let expected: BTreeMap<String, u64> = reference
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["corpus_file"].as_str().unwrap().contains("ectsum"))
        .map(|v| {
            (
                v["doc"].as_str().unwrap().to_owned(),
                v["n_tokens"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut matched = 0;
    for doc in counted.iter().filter(|d| d.source == "ectsum") {
        if let Some((_, &n)) = expected
            .iter()
            .find(|(id, _)| doc.id.ends_with(id.as_str()))
        {
            assert_eq!(doc.token_count, n, "{}", doc.id);
            matched += 1;
        }
    }
    assert!(
        matched > 0,
        "no reference earnings call among the first 100"
    );

    // Shares within 0.1 percentage point of 51/49; the smaller domain is taken once, whole.
    let selection = read_selection(&run_dir.join("05-mix"));
    let (by_domain, total) = realised_shares(&counted, &selection);
    let finance_share = by_domain["finance"] as f64 / total as f64;
    assert!(
        (finance_share - 0.51).abs() < 0.001,
        "finance share {finance_share}"
    );
    let plan = read_json(&run_dir.join("05-mix/plan.json"));
    assert!(plan["plan"]["shortfall"].is_null());
    let summary = &stage_record(&run_dir.join("05-mix"))["summary"];
    assert_eq!(summary["realised_tokens"], total);
    let available: BTreeMap<&str, u64> = ["finance", "general"]
        .iter()
        .map(|d| {
            (
                *d,
                summary["by_domain"][d]["available_tokens"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    let limiting = if available["finance"] as f64 / 0.51 < available["general"] as f64 / 0.49 {
        "finance"
    } else {
        "general"
    };
    assert_eq!(
        by_domain[limiting], available[limiting],
        "taken whole, once"
    );

    // Asking for the budget (1M parameters: 20M tokens) at one epoch: both domains are short,
    // the shares are kept and the total shrinks to what "all" gave. Only the mix reruns.
    let job = corpora_job(dir.path(), "total = \"budget\"");
    let stderr = run(&job);
    assert!(stderr.contains("SHORTFALL"), "{stderr}");
    let plan = read_json(&run_dir.join("05-mix/plan.json"));
    let shortfall = &plan["plan"]["shortfall"];
    assert_eq!(shortfall["requested_total"], 20_000_000);
    assert_eq!(shortfall["achieved_total"], plan["plan"]["total_tokens"]);
    for d in shortfall["domains"].as_array().unwrap() {
        let domain = d["domain"].as_str().unwrap();
        let needed = if domain == "finance" {
            10_200_000
        } else {
            9_800_000
        };
        assert_eq!(d["needed_tokens"], needed);
        assert_eq!(
            d["missing_tokens"].as_u64().unwrap(),
            needed - available[domain]
        );
    }
    let message = shortfall["message"].as_str().unwrap();
    assert!(
        message.contains("domain \"finance\" needs 10,200,000 tokens"),
        "{message}"
    );
    assert!(message.contains("Kept the target shares"), "{message}");
    let selection = read_selection(&run_dir.join("05-mix"));
    let (by_domain, total) = realised_shares(&counted, &selection);
    assert!((by_domain["finance"] as f64 / total as f64 - 0.51).abs() < 0.001);
    assert!(stderr.contains("ingest  up to date"), "{stderr}");
    assert!(stderr.contains("count  up to date"), "{stderr}");
}

#[test]
fn token_stages_are_byte_identical_across_thread_counts() {
    let job = repo_root().join("jobs/finance.toml");
    let runs: Vec<(tempfile::TempDir, PathBuf)> = ["1", "2"]
        .iter()
        .map(|threads| {
            let out = tempfile::tempdir().unwrap();
            run_ok(&[
                "run",
                job.to_str().unwrap(),
                "--output-dir",
                out.path().to_str().unwrap(),
                "--threads",
                threads,
                "--quiet",
            ]);
            let run_dir = out.path().join("finance");
            (out, run_dir)
        })
        .collect();
    let (one, two) = (&runs[0].1, &runs[1].1);
    let mut files = vec![
        PathBuf::from("tokenizer/tokenizer.json"),
        PathBuf::from("05-mix/plan.json"),
        PathBuf::from("05-mix/selection.parquet"),
    ];
    let parts = part_files(&one.join("04-count"));
    assert_eq!(parts.len(), 6, "one count part per upstream part");
    files.extend(
        parts
            .iter()
            .map(|p| Path::new("04-count").join(p.file_name().unwrap())),
    );
    for file in files {
        assert_eq!(
            std::fs::read(one.join(&file)).unwrap(),
            std::fs::read(two.join(&file)).unwrap(),
            "{} differs",
            file.display()
        );
    }
}

/// A small job on two fixture files, with a trained tokenizer of `vocab_size` ids.
fn small_job(dir: &Path, vocab_size: usize) -> PathBuf {
    let fixtures = repo_root().join("fixtures");
    write_job(
        dir,
        &format!(
            r#"[job]
name = "small"

[[source]]
name = "news"
domain = "finance"
format = "jsonl"
paths = ["{news}"]

[[source]]
name = "web"
domain = "general"
format = "jsonl"
paths = ["{web}"]

[tokenizer]
vocab_size = {vocab_size}

[mix.shares]
finance = 0.5
general = 0.5
"#,
            news = fixtures.join("finance/news.jsonl").display(),
            web = fixtures.join("general/web.jsonl").display(),
        ),
    )
}

#[test]
fn changed_tokenizer_reruns_count_and_mix_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs");
    let run = |job: &Path| {
        let output = run_ok(&[
            "run",
            job.to_str().unwrap(),
            "--output-dir",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        String::from_utf8(output.stderr).unwrap()
    };
    let first = run(&small_job(dir.path(), 300));
    assert!(first.contains("trained tokenizer"), "{first}");
    assert!(!first.contains("up to date"), "{first}");
    let again = run(&small_job(dir.path(), 300));
    for stage in ["ingest", "tokenizer", "count", "mix"] {
        assert!(again.contains(&format!("{stage}  up to date")), "{again}");
    }
    let changed = run(&small_job(dir.path(), 320));
    assert!(changed.contains("ingest  up to date"), "{changed}");
    for stage in ["tokenizer", "count", "mix"] {
        assert!(
            !changed.contains(&format!("{stage}  up to date")),
            "{changed}"
        );
    }
    let run_dir = out.join("small");
    let tokenizer = BpeTokenizer::from_file(&run_dir.join("tokenizer/tokenizer.json")).unwrap();
    assert_eq!(
        stage_record(&run_dir.join("04-count"))["summary"]["tokenizer"],
        tokenizer.fingerprint_hex()
    );
    // The job has no [budget]: the plan says nothing about one.
    let plan = read_json(&run_dir.join("05-mix/plan.json"));
    assert!(plan["budget"].is_null());
    assert!(stage_record(&run_dir.join("05-mix"))["summary"]["budget"].is_null());
}

/// The funnel in tokens: every stage's output plus what it dropped is what it was given,
/// per source; only the filter's line removal (C4) takes tokens out of kept documents.
#[test]
fn every_stage_records_the_tokens_it_kept_and_dropped() {
    let (_out, run) = run_finance_job(&[]);
    let tokens = |stage: &str| stage_record(&run.join(stage))["tokens"].clone();
    let (ingest, filter, dedup) = (tokens("01-ingest"), tokens("02-filter"), tokens("03-dedup"));
    let count = stage_record(&run.join("04-count"))["summary"]["total"]["tokens"].clone();
    assert_eq!(
        dedup["total_output"], count,
        "dedup keeps what count counts"
    );
    assert_eq!(ingest["total_dropped"], 0);
    let filter_record = stage_record(&run.join("02-filter"));
    let dropped = |stage: &serde_json::Value, source: &str| -> u64 {
        stage["dropped"][source]
            .as_object()
            .map(|reasons| reasons.values().map(|v| v.as_u64().unwrap()).sum())
            .unwrap_or(0)
    };
    for source in ["filings", "finance-news", "web-text", "web-crawl"] {
        let given = ingest["output"][source].as_u64().unwrap();
        let kept = filter["output"][source].as_u64().unwrap();
        let edited = given - kept - dropped(&filter, source);
        let bytes_edited = filter_record["summary"]["by_source"][source]["bytes_edited_out"]
            .as_u64()
            .unwrap();
        assert_eq!(
            edited == 0,
            bytes_edited == 0,
            "{source}: {edited} tokens edited out"
        );
        let after_dedup = dedup["output"][source].as_u64().unwrap();
        assert_eq!(kept, after_dedup + dropped(&dedup, source), "{source}");
    }
    // The exact copies dedup removed cost as many tokens as the copies it kept.
    assert_eq!(
        dedup["dropped"]["finance-news"]["dedup_exact"],
        dedup["output"]["finance-news"]
    );
    assert!(
        filter["dropped"]["web-crawl"]["lang_not_allowed"]
            .as_u64()
            .unwrap()
            > 0
    );
}
