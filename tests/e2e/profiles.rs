//! Filter profiles: each source runs its own chain, the drops name the profile and their
//! evidence, every filter setting is checked when the job loads; decontamination and PII
//! redaction as filters of a chain, on real finance text.

use std::path::Path;

use arrow::array::AsArray;

use crate::support::{
    corpora, read_batches, read_documents, repo_root, run_err, run_job, run_ok, stage_record,
    write_job,
};

/// The fixtures job's sources, each with a profile: finance text curated, web text through
/// the FineWeb chain and the blocklist.
fn profiles_job(dir: &Path) -> std::path::PathBuf {
    let fixtures = repo_root().join("fixtures");
    let f = fixtures.display();
    write_job(
        dir,
        &format!(
            r#"[job]
name = "profiles"

[[source]]
name = "filings"
domain = "finance"
format = "text"
paths = ["{f}/finance/filings/*.txt"]
filters = "curated"

[[source]]
name = "finance-news"
domain = "finance"
format = "jsonl"
paths = ["{f}/finance/news.jsonl"]
filters = "curated"

[[source]]
name = "web-text"
domain = "general"
format = "jsonl"
paths = ["{f}/general/web.jsonl"]
filters = "web"

[[source]]
name = "web-crawl"
domain = "general"
format = "warc"
paths = ["{f}/general/crawl.warc.gz"]
filters = "web"

[filter.profile.web]
preset = "fineweb"

[filter.profile.web.url]
block_domain_files = ["{f}/lists/blocked_domains.txt"]
"#
        ),
    )
}

#[test]
fn each_source_runs_its_profile_and_drops_name_profile_and_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let job = profiles_job(dir.path());
    let check = run_ok(&["check", job.to_str().unwrap()]);
    let printed = String::from_utf8_lossy(&check.stdout);
    assert!(
        printed.contains(
            "web (preset fineweb): url -> language -> gopher_repetition -> gopher_quality -> c4 -> fineweb"
        ),
        "{printed}"
    );
    assert!(
        printed.contains("curated (preset curated): integrity"),
        "{printed}"
    );
    assert!(
        printed.contains("sources: filings, finance-news"),
        "{printed}"
    );

    let out = dir.path().join("out");
    let run = run_job(&job, &out, "profiles", &["--until", "filter"]);
    let ingested = read_documents(&run.join("01-ingest"));
    let kept = read_documents(&run.join("02-filter"));
    // Every finance document is kept: the web heuristics never see them.
    let finance =
        |docs: &[crate::support::Doc]| docs.iter().filter(|d| d.domain == "finance").count();
    assert_eq!(finance(&kept), finance(&ingested));
    assert_eq!(finance(&kept), 9, "3 filings and 6 news articles");
    // The web sources lose what the FineWeb chain and the blocklist drop.
    let web_in = ingested.len() - finance(&ingested);
    let web_kept = kept.len() - finance(&kept);
    assert!(web_kept < web_in, "{web_kept} of {web_in}");

    let record = stage_record(&run.join("02-filter"));
    let profiles = &record["summary"]["profiles"];
    assert_eq!(profiles["filings"], "curated");
    assert_eq!(profiles["web-crawl"], "web");

    let rejected = read_batches(&run.join("02-filter/rejected"));
    let mut rows = 0;
    for batch in &rejected {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let (sources, profile, filter, evidence) = (
            column("source"),
            column("profile"),
            column("filter"),
            column("evidence"),
        );
        for row in 0..batch.num_rows() {
            rows += 1;
            assert!(sources.value(row).starts_with("web-"));
            assert_eq!(profile.value(row), "web");
            let evidence: serde_json::Value = serde_json::from_str(evidence.value(row)).unwrap();
            let object = evidence.as_object().unwrap();
            let filter = filter.value(row);
            if filter != "url" {
                assert!(
                    object.keys().any(|k| k.starts_with(&format!("{filter}."))
                        || (filter == "language" && k.starts_with("lang"))),
                    "{filter}: {evidence}"
                );
            }
        }
    }
    assert_eq!(rows, web_in - web_kept);
}

#[test]
fn profile_and_filter_mistakes_fail_at_load_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let job = profiles_job(dir.path());
    let good = std::fs::read_to_string(&job).unwrap();
    let cases = [
        (
            good.replacen("filters = \"curated\"", "filters = \"curatd\"", 1),
            "job.toml:9: `source[0].filters`: no profile `curatd`",
        ),
        (
            good.replace("[filter.profile.web.url]", "[filter.profile.web.urls]"),
            "`filter.profile.web.urls`: unknown filter `urls`",
        ),
        (
            good.replace("blocked_domains.txt", "missing_list.txt"),
            "`filter.profile.web.url.block_domain_files`: cannot read",
        ),
        (
            format!("{good}\n[filter.profile.web.gopher_repetition]\ndup_line_frac = 3.0\n"),
            "`filter.profile.web.gopher_repetition.dup_line_frac`: 3 is not between 0 and 1",
        ),
        (
            format!("{good}\n[filter.profile.web.language]\nmin_score = 7.5\n"),
            "`filter.profile.web.language.min_score`: min_score must be between 0 and 1",
        ),
    ];
    for (body, expected) in cases {
        let job = write_job(dir.path(), &body);
        let stderr = run_err(&["check", job.to_str().unwrap()]);
        assert!(
            stderr.contains(expected),
            "expected {expected:?} in\n{stderr}"
        );
    }
    // The missing list names its table's line.
    let body = good.replace("blocked_domains.txt", "missing_list.txt");
    let line = body
        .lines()
        .position(|l| l.starts_with("block_domain_files"))
        .unwrap()
        + 1;
    let job = write_job(dir.path(), &body);
    let stderr = run_err(&["run", job.to_str().unwrap(), "--quiet"]);
    assert!(stderr.contains(&format!("job.toml:{line}:")), "{stderr}");
    assert!(stderr.contains("missing_list.txt"), "{stderr}");
}

/// Financial PhraseBank sentences (Latin-1, `sentence@label` lines) as plain references.
fn phrasebank() -> Vec<String> {
    let bytes = std::fs::read(
        corpora().join("finance_sentiment/FinancialPhraseBank_Sentences_50Agree.txt"),
    )
    .unwrap();
    let text: String = bytes.iter().map(|&b| b as char).collect();
    text.lines()
        .filter_map(|l| {
            l.trim_end()
                .rsplit_once('@')
                .map(|(s, _)| s.trim().to_owned())
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn decontamination_and_pii_run_as_filters_on_earnings_calls() {
    let dir = tempfile::tempdir().unwrap();
    let references = phrasebank();
    assert!(references.len() > 4000);
    std::fs::write(dir.path().join("fpb.txt"), references.join("\n")).unwrap();
    // 40 earnings calls; five of them quote a long PhraseBank sentence; one gives contacts.
    let calls: Vec<serde_json::Value> = {
        use std::io::BufRead;
        let file =
            std::fs::File::open(corpora().join("ectsum_earnings_calls/ectsum_train.jsonl.gz"))
                .unwrap();
        std::io::BufReader::new(flate2::read::GzDecoder::new(file))
            .lines()
            .take(40)
            .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
            .collect()
    };
    let quoted: Vec<&String> = references
        .iter()
        .filter(|s| s.split_whitespace().count() >= 20)
        .step_by(97)
        .take(5)
        .collect();
    let mut lines = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        let mut text = call["text"].as_str().unwrap().to_owned();
        if i % 8 == 3 {
            let at = text.len() / 2;
            let at = (at..text.len())
                .find(|&j| text.is_char_boundary(j))
                .unwrap();
            text.insert_str(at, &format!(" {} ", quoted[i / 8]));
        }
        if i == 0 {
            text.push_str(
                "\nFor questions, contact ir@harborline-freight.com or call (415) 901-7000.",
            );
        }
        lines.push(serde_json::json!({"id": format!("call-{i}"), "text": text}).to_string());
    }
    std::fs::write(dir.path().join("calls.jsonl"), lines.join("\n")).unwrap();
    let job = write_job(
        dir.path(),
        r#"[job]
name = "decon"

[[source]]
name = "calls"
domain = "finance"
format = "jsonl"
paths = ["calls.jsonl"]

[filter.decontaminate]
references = ["fpb.txt"]

[filter.pii]
phone = true
"#,
    );
    let out = dir.path().join("out");
    let run = run_job(&job, &out, "decon", &["--until", "filter"]);
    let mut dropped: Vec<String> = Vec::new();
    for batch in read_batches(&run.join("02-filter/rejected")) {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let (ids, reasons, evidence) = (column("id"), column("reason"), column("evidence"));
        for row in 0..batch.num_rows() {
            assert_eq!(reasons.value(row), "decontaminate_benchmark_overlap");
            let evidence: serde_json::Value = serde_json::from_str(evidence.value(row)).unwrap();
            assert_eq!(evidence["decontaminate.reference"], "fpb.txt");
            dropped.push(ids.value(row).to_owned());
        }
    }
    dropped.sort();
    assert_eq!(
        dropped,
        ["call-11", "call-19", "call-27", "call-3", "call-35"]
    );
    let kept = read_documents(&run.join("02-filter"));
    assert_eq!(kept.len(), 35);
    let first = kept.iter().find(|d| d.id == "call-0").unwrap();
    assert!(
        first
            .text
            .ends_with("contact <EMAIL_ADDRESS> or call <PHONE_NUMBER>."),
        "{}",
        &first.text[first.text.len() - 120..]
    );
    let record = stage_record(&run.join("02-filter"));
    assert_eq!(record["summary"]["edits"]["pii.edits.email"], 1);
    assert_eq!(record["summary"]["edits"]["pii.edits.phone"], 1);
}

#[test]
fn init_writes_a_starter_job_that_checks_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = repo_root().join("fixtures");
    let job = dir.path().join("jobs/starter.toml");
    let crawl = format!("{}/general/crawl.warc.gz", fixtures.display());
    let news = format!("{}/finance/news.jsonl=finance", fixtures.display());
    run_ok(&[
        "init",
        &crawl,
        &news,
        "-o",
        job.to_str().unwrap(),
        "--name",
        "starter",
    ]);
    let text = std::fs::read_to_string(&job).unwrap();
    assert!(text.contains("filters = \"web\""), "{text}");
    assert!(text.contains("filters = \"curated\""), "{text}");
    assert!(text.contains("finance = 0.5\ngeneral = 0.5"), "{text}");
    // It refuses to overwrite without --force.
    let stderr = run_err(&["init", &crawl, "-o", job.to_str().unwrap()]);
    assert!(stderr.contains("exists"), "{stderr}");
    let run = run_job(
        &job,
        &dir.path().join("out"),
        "starter",
        &["--until", "filter"],
    );
    let record = stage_record(&run.join("02-filter"));
    assert_eq!(record["summary"]["profiles"]["news"], "curated");
    assert_eq!(record["summary"]["profiles"]["crawl"], "web");
}

/// The `strict` preset on the raw web samples (Common Crawl WARC/ARC, the web JSONL
/// samples, the extraction benchmarks' 1,565 pages): the FineWeb chain, then the built-in
/// quality classifier, keeps 1-3% of the ingested tokens, every kept document at or above
/// the preset's threshold.
#[test]
fn the_strict_preset_keeps_one_to_three_percent_of_raw_web_tokens() {
    let corpora = corpora();
    let c = corpora.display();
    let dir = tempfile::tempdir().unwrap();
    let job = write_job(
        dir.path(),
        &format!(
            r#"
[job]
name = "strict"
output_dir = "runs"

[[source]]
name = "crawl"
domain = "web"
format = "warc"
paths = ["{c}/web_warc_samples/*/*.warc.gz", "{c}/web_warc_samples/*/*.arc.gz"]
filters = "strict"

[[source]]
name = "web-text"
domain = "web"
format = "jsonl"
paths = ["{c}/web_text_jsonl/*.gz"]
filters = "strict"

[[source]]
name = "web-pages"
domain = "web"
format = "html"
paths = ["{c}/html_extraction_benchmarks/wcxb/html/*.html.gz",
         "{c}/html_extraction_benchmarks/scrapinghub_aeb/html/*.html.gz",
         "{c}/html_extraction_benchmarks/trafilatura_eval/pages/*.html.gz"]
filters = "strict"

[tokenizer]
path = "{c}/reference_tokenizers/gpt-neo-test-tokenizer.json.gz"
"#
        ),
    );
    let run = run_job(&job, &dir.path().join("out"), "strict", &[]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("report.json")).unwrap()).unwrap();
    let tokens = |stage: &str| {
        report["funnel"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == stage)
            .unwrap()["total"]["output"]["tokens"]
            .as_u64()
            .unwrap()
    };
    let (ingested, kept) = (tokens("ingest"), tokens("filter"));
    let share = kept as f64 / ingested as f64;
    assert!(
        (0.01..=0.03).contains(&share),
        "strict kept {kept} of {ingested} tokens ({:.2}%)",
        share * 100.0
    );
    let scores: Vec<f32> = read_batches(&run.join("02-filter"))
        .iter()
        .flat_map(|batch| {
            let column = batch
                .column_by_name("quality_score")
                .expect("the filter output has the classifier's score")
                .as_primitive::<arrow::datatypes::Float32Type>()
                .clone();
            column.values().to_vec()
        })
        .collect();
    assert!(scores.len() > 20, "{} documents kept", scores.len());
    assert!(scores.iter().all(|s| *s >= 0.23), "{scores:?}");
}
