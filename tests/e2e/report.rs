//! `report.json`, `report.md` and `report.html` of the fixtures run: every number equal to
//! what the Parquet outputs give when read independently, funnels that add up, partial
//! runs shown as such, two runs compared, and the HTML rendered by headless Chromium.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::AsArray;
use arrow::datatypes::{UInt32Type, UInt64Type};
use curate::report::model::{Flow, GroupFunnel, Report, StageFunnel, StageState};
use curate_tokenizer::BpeTokenizer;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::support::*;

pub fn read_report(run_dir: &Path) -> Report {
    let bytes = std::fs::read(run_dir.join("report.json")).expect("report.json exists");
    serde_json::from_slice(&bytes).expect("report.json is a report")
}

fn stage<'a>(report: &'a Report, name: &str) -> &'a StageFunnel {
    report
        .funnel
        .iter()
        .find(|f| f.stage == name)
        .unwrap_or_else(|| panic!("no funnel for {name}"))
}

fn tokenizer(run_dir: &Path) -> BpeTokenizer {
    BpeTokenizer::from_file(&run_dir.join("tokenizer/tokenizer.json"))
        .unwrap()
        .with_special_tokens_as_text(true)
}

/// Documents, text bytes and tokens per source of the documents in `dir`'s parts.
fn measure(dir: &Path, tokenizer: &BpeTokenizer) -> BTreeMap<String, Flow> {
    let mut flows: BTreeMap<String, Flow> = BTreeMap::new();
    for doc in read_documents(dir) {
        let flow = flows.entry(doc.source.clone()).or_insert(Flow {
            documents: 0,
            bytes: Some(0),
            tokens: Some(0),
        });
        *flow = flow.plus(Flow {
            documents: 1,
            bytes: Some(doc.text.len() as u64),
            tokens: Some(tokenizer.count(&doc.text).unwrap() as u64),
        });
    }
    flows
}

/// Rows of the Parquet parts in `dir` with `text` (when stored) per reason.
fn dropped_rows(dir: &Path) -> Vec<(String, String, String, Option<String>)> {
    let mut rows = Vec::new();
    for batch in read_batches(dir) {
        let (ids, sources, reasons) = (
            utf8_column(&batch, "id"),
            utf8_column(&batch, "source"),
            utf8_column(&batch, "reason"),
        );
        let texts = batch
            .column_by_name("text")
            .map(|c| c.as_string::<i64>().clone());
        for row in 0..batch.num_rows() {
            rows.push((
                ids.value(row).to_owned(),
                sources.value(row).to_owned(),
                reasons.value(row).to_owned(),
                texts.as_ref().map(|t| t.value(row).to_owned()),
            ));
        }
    }
    rows
}

fn outputs(funnel: &StageFunnel) -> BTreeMap<String, Flow> {
    funnel
        .by_source
        .iter()
        .filter(|(_, g)| g.output.documents > 0)
        .map(|(s, g)| (s.clone(), g.output))
        .collect()
}

#[test]
fn report_numbers_equal_the_parquet_outputs() {
    let (_out, run_dir) = run_finance_job(&[]);
    for file in ["report.json", "report.md", "report.html"] {
        assert!(run_dir.join(file).is_file(), "{file} written by curate run");
    }
    let report = read_report(&run_dir);
    assert_eq!(report.job.as_deref(), Some("finance"));
    let tok = tokenizer(&run_dir);

    // Documents, bytes and tokens out of every document stage, per source.
    for (name, dir) in [
        ("ingest", "01-ingest"),
        ("filter", "02-filter"),
        ("dedup", "03-dedup"),
        ("count", "04-count"),
    ] {
        let measured = measure(&run_dir.join(dir), &tok);
        assert_eq!(outputs(stage(&report, name)), measured, "{name}");
    }
    let count = stage(&report, "count");
    assert_eq!(count.total.output.documents, 7);
    assert_eq!(count.total.output.tokens, Some(2363));
    assert_eq!(stage(&report, "ingest").total.output.tokens, Some(5477));
    assert_eq!(stage(&report, "ingest").total.input.documents, 23);

    // The count parts' own token_count column, per domain.
    let mut per_domain: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for batch in read_batches(&run_dir.join("04-count")) {
        let (domains, texts) = (
            utf8_column(&batch, "domain"),
            batch
                .column_by_name("text")
                .unwrap()
                .as_string::<i64>()
                .clone(),
        );
        let counts = primitive_column::<UInt64Type>(&batch, "token_count");
        for row in 0..batch.num_rows() {
            let entry = per_domain.entry(domains.value(row).to_owned()).or_default();
            entry.0 += counts.value(row);
            entry.1 += texts.value(row).len() as u64;
        }
    }
    let tokenizer_report = report.tokenizer.as_ref().unwrap();
    for (domain, (tokens, bytes)) in &per_domain {
        assert_eq!(count.by_domain[domain].output.tokens, Some(*tokens));
        let fit = &tokenizer_report.by_domain[domain];
        assert_eq!((fit.tokens, fit.bytes), (*tokens, *bytes));
        assert_eq!(fit.bytes_per_token, *bytes as f64 / *tokens as f64);
    }
    assert_eq!(tokenizer_report.vocab_size, Some(tok.vocab_size() as u64));

    // Drop reasons of filter and dedup against the rows they stored.
    let rejected = dropped_rows(&run_dir.join("02-filter/rejected"));
    let removed = dropped_rows(&run_dir.join("03-dedup/removed"));
    for (name, rows) in [("filter", &rejected), ("dedup", &removed)] {
        let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
        for (_, _, reason, _) in rows.iter() {
            *by_reason.entry(reason.clone()).or_default() += 1;
        }
        let reported: BTreeMap<String, u64> = stage(&report, name)
            .total
            .reasons
            .iter()
            .map(|(r, f)| (r.clone(), f.documents))
            .collect();
        assert_eq!(reported, by_reason, "{name}");
    }
    let mut rejected_tokens: BTreeMap<String, u64> = BTreeMap::new();
    for (_, _, reason, text) in &rejected {
        *rejected_tokens.entry(reason.clone()).or_default() +=
            tok.count(text.as_deref().unwrap()).unwrap() as u64;
    }
    for (reason, tokens) in &rejected_tokens {
        assert_eq!(
            stage(&report, "filter").total.reasons[reason].tokens,
            Some(*tokens),
            "{reason}"
        );
    }

    // Dedup: duplicates per source from removed/, clusters as recorded.
    let dedup = report.dedup.as_ref().unwrap();
    let mut removed_per_source: BTreeMap<String, u64> = BTreeMap::new();
    for (_, source, _, _) in &removed {
        *removed_per_source.entry(source.clone()).or_default() += 1;
    }
    for (source, share) in &dedup.by_source {
        let n = removed_per_source.get(source).copied().unwrap_or(0);
        assert_eq!(share.removed.documents, n, "{source}");
        assert_eq!(
            share.document_share,
            n as f64 / share.input.documents as f64
        );
    }
    assert_eq!(dedup.by_source["finance-news"].document_share, 0.5);
    assert_eq!(dedup.cluster_sizes, BTreeMap::from([(2, 2)]));
    assert_eq!(dedup.exact_removed, 2);

    // Retained tokens: the count stage's against the ingest stage's.
    let retained = report.retained.as_ref().unwrap();
    assert_eq!(
        (retained.from_stage.as_str(), retained.to_stage.as_str()),
        ("ingest", "count")
    );
    assert_eq!(retained.total.token_share, Some(2363.0 / 5477.0));

    // The mix against selection.parquet, the budget against the job's model.
    let mut selected: BTreeMap<String, u64> = BTreeMap::new();
    for batch in selection_batches(&run_dir) {
        let sources = utf8_column(&batch, "source");
        let copies = primitive_column::<UInt32Type>(&batch, "copies");
        let counts = primitive_column::<UInt64Type>(&batch, "token_count");
        for row in 0..batch.num_rows() {
            *selected.entry(sources.value(row).to_owned()).or_default() +=
                u64::from(copies.value(row)) * counts.value(row);
        }
    }
    let mix = report.mix.as_ref().unwrap();
    let selected_total: u64 = selected.values().sum();
    assert_eq!(mix.realised_tokens, selected_total);
    for (source, tokens) in &selected {
        assert_eq!(mix.by_source[source].realised_tokens, *tokens, "{source}");
    }
    let finance: u64 = ["filings", "finance-news"]
        .iter()
        .map(|s| selected[*s])
        .sum();
    assert_eq!(mix.by_domain["finance"].realised_tokens, finance);
    assert_eq!(
        mix.by_domain["finance"].realised_share,
        finance as f64 / selected_total as f64
    );
    assert_eq!(mix.by_domain["finance"].target_share, 0.51);
    assert_eq!(mix.by_source["filings"].full_repeats, 4);

    let budget = report.budget.as_ref().unwrap();
    assert_eq!(budget.params, 125e6);
    assert_eq!(budget.target_tokens, 2.5e9);
    assert_eq!(budget.target_flops, 6.0 * 125e6 * 2.5e9);
    assert_eq!(budget.available_tokens, 2363.0);
    assert_eq!(budget.surplus_tokens, 2363.0 - 2.5e9);
    // The output is the shards' tokens once they are written, else the selection's.
    let manifest = std::fs::read(run_dir.join("shards/manifest.json"))
        .ok()
        .map(|b| serde_json::from_slice::<serde_json::Value>(&b).unwrap());
    let output = manifest
        .as_ref()
        .map_or(selected_total, |m| m["tokens"].as_u64().unwrap());
    assert_eq!(budget.output_tokens, output);
    assert_eq!(budget.output_flops, 6.0 * 125e6 * output as f64);
    assert_eq!(budget.output_tokens_per_param, output as f64 / 125e6);
    assert!((budget.target_pf_days - 1.875e18 / 8.64e19).abs() < 1e-12);

    // Every stage is listed; the shard stage has not run, so it has no section.
    let states: Vec<(&str, StageState)> = report
        .stages
        .iter()
        .map(|s| (s.stage.as_str(), s.state))
        .collect();
    assert_eq!(
        &states[..6],
        &[
            ("ingest", StageState::Complete),
            ("filter", StageState::Complete),
            ("dedup", StageState::Complete),
            ("tokenizer", StageState::Complete),
            ("count", StageState::Complete),
            ("mix", StageState::Complete),
        ]
    );
    let markdown = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    match &manifest {
        Some(manifest) => {
            let shards = report.shards.as_ref().unwrap();
            assert_eq!(shards.sequences, manifest["sequences"].as_u64().unwrap());
            assert!(markdown.contains("## Shards"));
        }
        None => {
            assert!(report.shards.is_none());
            assert!(!markdown.contains("## Shards"));
        }
    }
    assert!(markdown.contains("| count | 7 | 7 | 0 |"), "{markdown}");
}

fn selection_batches(run_dir: &Path) -> Vec<arrow::array::RecordBatch> {
    let file = File::open(run_dir.join("05-mix/selection.parquet")).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// `input = output + dropped (+ edits)` in documents, bytes and tokens.
fn assert_adds_up(what: &str, g: &GroupFunnel) {
    assert_eq!(
        g.input.documents,
        g.output.documents + g.dropped.documents,
        "{what}: documents"
    );
    let reasons = g
        .reasons
        .values()
        .fold(Flow::counted(0, 0), |s, f| s.plus(*f));
    assert_eq!(reasons.documents, g.dropped.documents, "{what}: reasons");
    if let (Some(input), Some(output), Some(dropped)) =
        (g.input.bytes, g.output.bytes, g.dropped.bytes)
    {
        assert_eq!(input, output + dropped + g.edited_bytes, "{what}: bytes");
    }
    if let (Some(input), Some(output), Some(dropped), Some(edited)) = (
        g.input.tokens,
        g.output.tokens,
        g.dropped.tokens,
        g.edited_tokens,
    ) {
        assert_eq!(
            input as i64,
            output as i64 + dropped as i64 + edited,
            "{what}: tokens"
        );
    }
}

#[test]
fn every_funnel_adds_up() {
    let (_out, run_dir) = run_finance_job(&[]);
    let report = read_report(&run_dir);
    assert_eq!(report.funnel.len(), 4);
    let mut previous: Option<&StageFunnel> = None;
    for funnel in &report.funnel {
        assert!(funnel.total.input.tokens.is_some(), "{}", funnel.stage);
        assert_adds_up(&funnel.stage, &funnel.total);
        for (source, g) in &funnel.by_source {
            assert_adds_up(&format!("{} {source}", funnel.stage), g);
        }
        for (domain, g) in &funnel.by_domain {
            assert_adds_up(&format!("{} {domain}", funnel.stage), g);
        }
        // What a stage reads is what the one before it wrote.
        if let Some(previous) = previous {
            for (source, g) in &funnel.by_source {
                let before = previous.by_source[source].output;
                assert_eq!(g.input.documents, before.documents, "{source}");
                assert_eq!(g.input.bytes, before.bytes, "{source}");
                assert_eq!(g.input.tokens, before.tokens, "{source}");
            }
        }
        // Steps hand on what they keep; the last one's output is the stage's, before edits.
        if let Some(last) = funnel.steps.last() {
            assert_eq!(last.output.documents, funnel.total.output.documents);
            assert_eq!(
                last.output.bytes,
                funnel
                    .total
                    .output
                    .bytes
                    .map(|b| b + funnel.total.edited_bytes)
            );
        }
        previous = Some(funnel);
    }
    // Line edits of C4 are the filter stage's only edits here: 13 bytes of filings.
    let filter = stage(&report, "filter");
    assert_eq!(filter.total.edited_bytes, 13);
    assert_eq!(filter.by_source["filings"].edited_bytes, 13);
    let steps: Vec<(&str, u64)> = filter
        .steps
        .iter()
        .map(|s| (s.step.as_str(), s.dropped.documents))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("url", 2),
            ("language", 1),
            ("gopher_repetition", 0),
            ("gopher_quality", 2),
            ("c4", 4),
            ("fineweb", 0),
            ("toxicity", 0),
        ]
    );
    let c4 = filter.steps.iter().find(|s| s.step == "c4").unwrap();
    assert_eq!(
        c4.dropped.tokens,
        filter.total.reasons["too_few_sentences"].tokens
    );
}

#[test]
fn drop_reasons_come_with_stored_ids() {
    let (_out, run_dir) = run_finance_job(&[]);
    let report = read_report(&run_dir);
    let rejected = dropped_rows(&run_dir.join("02-filter/rejected"));
    let removed = dropped_rows(&run_dir.join("03-dedup/removed"));
    let documents: Vec<u64> = report
        .drop_reasons
        .iter()
        .map(|r| r.dropped.documents)
        .collect();
    let mut sorted = documents.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(documents, sorted, "most documents first");
    let top = &report.drop_reasons[0];
    assert_eq!(
        (top.stage.as_str(), top.step.as_deref(), top.reason.as_str()),
        ("filter", Some("c4"), "too_few_sentences")
    );
    assert_eq!(top.examples.len(), 3);
    for reason in &report.drop_reasons {
        let rows = match reason.stage.as_str() {
            "filter" => &rejected,
            "dedup" => &removed,
            _ => {
                assert!(reason.examples.is_empty());
                assert!(
                    reason
                        .examples_note
                        .as_deref()
                        .unwrap()
                        .contains("skipped records")
                );
                continue;
            }
        };
        let stored: Vec<&String> = rows
            .iter()
            .filter(|(_, _, r, _)| *r == reason.reason)
            .map(|(id, _, _, _)| id)
            .take(3)
            .collect();
        assert_eq!(
            reason.examples.iter().collect::<Vec<_>>(),
            stored,
            "{}",
            reason.reason
        );
    }
    let dedup = report
        .drop_reasons
        .iter()
        .find(|r| r.reason == "dedup_exact")
        .unwrap();
    assert_eq!(dedup.step.as_deref(), Some("exact"));
    assert_eq!(dedup.examples.len(), 2);
}

#[test]
fn partial_and_interrupted_runs_are_shown_as_such() {
    let (_out, run_dir) = run_finance_job(&["--until", "dedup"]);
    let report = read_report(&run_dir);
    let state = |name: &str| {
        report
            .stages
            .iter()
            .find(|s| s.stage == name)
            .unwrap()
            .state
    };
    assert_eq!(state("dedup"), StageState::Complete);
    assert_eq!(state("count"), StageState::Absent);
    assert_eq!(state("mix"), StageState::Absent);
    assert!(report.mix.is_none() && report.budget.is_none());
    assert_eq!(stage(&report, "dedup").total.output.tokens, None);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n == "not run: tokenizer, count, mix, shard"),
        "{:?}",
        report.notes
    );

    // A dedup stage stopped after five of its six partitions.
    let record_path = run_dir.join("03-dedup/_stage.json");
    let mut record = stage_record(&run_dir.join("03-dedup"));
    record["status"] = "running".into();
    record["summary"] = serde_json::Value::Null;
    record["partitions_done"]
        .as_object_mut()
        .unwrap()
        .remove("00003");
    std::fs::write(&record_path, serde_json::to_vec(&record).unwrap()).unwrap();
    run_ok(&["report", run_dir.to_str().unwrap()]);
    let report = read_report(&run_dir);
    let dedup = stage(&report, "dedup");
    assert!(!dedup.complete);
    // Partition 00003 is finance-news, whose duplicate is no longer counted.
    assert_eq!(dedup.total.input.documents, 7);
    assert_eq!(dedup.total.output.documents, 6);
    assert!(!dedup.by_source.contains_key("finance-news"));
    assert!(
        report
            .notes
            .iter()
            .any(|n| n == "dedup is incomplete: 5 of 6 partitions done; its numbers cover those"),
        "{:?}",
        report.notes
    );
    let markdown = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(markdown.contains("| dedup (incomplete) |"), "{markdown}");
}

/// `jobs/finance.toml` with other target shares, written where `dir` says (paths made
/// absolute so they still find the fixtures).
fn finance_job_with_shares(dir: &Path, finance: f64, general: f64) -> PathBuf {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("jobs/finance.toml"))
        .unwrap()
        .replace("\"../", &format!("\"{}/", root.display()))
        .replace("finance = 0.51", &format!("finance = {finance}"))
        .replace("general = 0.49", &format!("general = {general}"));
    write_job(dir, &text)
}

#[test]
fn two_runs_compare_side_by_side() {
    let (_a_out, run_a) = run_finance_job(&[]);
    let b_out = tempfile::tempdir().unwrap();
    let job = finance_job_with_shares(b_out.path(), 0.6, 0.4);
    let runs = b_out.path().join("runs");
    run_ok(&[
        "run",
        job.to_str().unwrap(),
        "--output-dir",
        runs.to_str().unwrap(),
        "--quiet",
    ]);
    let run_b = runs.join("finance");
    let output = run_ok(&[
        "report",
        run_a.to_str().unwrap(),
        "--compare",
        run_b.to_str().unwrap(),
    ]);
    let printed = String::from_utf8(output.stdout).unwrap();
    let written = std::fs::read_to_string(run_a.join("compare.md")).unwrap();
    assert_eq!(printed, written);
    let (a, b) = (read_report(&run_a), read_report(&run_b));
    let share = |r: &Report| r.mix.as_ref().unwrap().by_domain["finance"].realised_share;
    let expected = format!(
        "| finance | 51.00% | 60.00% | {:.2}% | {:.2}% | {:+.2} pp |",
        share(&a) * 100.0,
        share(&b) * 100.0,
        (share(&b) - share(&a)) * 100.0
    );
    assert!(written.contains(&expected), "{expected}\n{written}");
    // The funnels are the same job's up to the mix: no change.
    // The same documents up to the mix (the tokenizer's sample, hence tokens, follows the
    // shares).
    assert!(
        written.contains("| count | 7 | 7 | +0 | 6,959 | 6,959 | +0 |"),
        "{written}"
    );
}

#[test]
fn shards_manifest_adds_its_section() {
    let (_out, run_dir) = run_finance_job(&[]);
    // The shard stage's own manifest, read here as plain JSON.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("shards/manifest.json")).unwrap())
            .unwrap();
    let files = manifest["shards"].as_array().unwrap();
    assert!(files.len() > 1, "the fixtures fill several shards");
    let number = |v: &serde_json::Value| v.as_u64().unwrap();
    run_ok(&["report", run_dir.to_str().unwrap()]);
    let report = read_report(&run_dir);
    let section = report.shards.as_ref().unwrap();
    assert_eq!(
        (
            section.sequences,
            section.tokens,
            section.files,
            section.bytes
        ),
        (
            number(&manifest["sequences"]),
            number(&manifest["tokens"]),
            files.len() as u64,
            files.iter().map(|f| number(&f["bytes"])).sum::<u64>()
        )
    );
    let mix = report.mix.as_ref().unwrap();
    assert_eq!(
        mix.by_domain["finance"].shard_tokens,
        Some(number(&manifest["mix"]["by_domain"]["finance"]["tokens"]))
    );
    assert_eq!(
        mix.by_source["filings"].shard_tokens,
        Some(number(&manifest["mix"]["by_source"]["filings"]["tokens"]))
    );
    assert_eq!(
        report.budget.as_ref().unwrap().output_tokens,
        number(&manifest["tokens"])
    );
    let markdown = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(markdown.contains("## Shards"));
}

/// Headless Chromium, which the CI installs; a missing browser fails the test.
fn chromium() -> PathBuf {
    let path = PathBuf::from("/usr/bin/chromium");
    assert!(
        path.is_file(),
        "{} is missing: install it (apt-get install chromium) to test the HTML report",
        path.display()
    );
    path
}

pub fn chromium_command(profile: &Path) -> Command {
    let mut command = Command::new(chromium());
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let (out, run_dir) = run_finance_job(&[]);
    let page = format!("file://{}", run_dir.join("report.html").display());
    let profile = out.path().join("chromium-profile");

    let dom = chromium_command(&profile)
        .arg("--dump-dom")
        .arg(&page)
        .output()
        .expect("chromium starts");
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let html = String::from_utf8_lossy(&dom.stdout);
    let stderr = String::from_utf8_lossy(&dom.stderr);
    for line in stderr.lines() {
        assert!(
            !line.contains("Uncaught") && !line.contains("ERROR:CONSOLE"),
            "console error: {line}"
        );
    }
    assert_eq!(html.matches("<svg").count(), 3, "three charts");
    for text in [
        "Run report: finance",
        "Funnel: tokens out of each stage",
        "Mix: share of tokens per domain",
        "Budget: tokens against the target",
        "count: 2,363",
        "too_few_sentences",
        "finance-news",
    ] {
        assert!(html.contains(text), "{text} missing from the page");
    }
    // Self-contained: nothing to load, nothing to run.
    for needle in ["src=\"http", "href=\"http", "<script", "<link"] {
        assert!(!html.contains(needle), "the page has {needle}");
    }

    let png = out.path().join("report.png");
    let shot = chromium_command(&profile)
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,2000")
        .arg(&page)
        .output()
        .expect("chromium starts");
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        bytes.len() > 20_000,
        "a blank page would be tiny: {} bytes",
        bytes.len()
    );
}
