//! Every JSONL and web archive corpus in `../shared/corpora` ingests with the document
//! counts its PROVENANCE.md gives.

use crate::support::*;

/// One source of the corpora job: name, format, glob below `corpora/`, extra keys, and the
/// number of documents PROVENANCE.md gives.
struct Expected {
    name: &'static str,
    format: &'static str,
    paths: &'static [&'static str],
    extra: &'static str,
    documents: u64,
}

const JSONL: &[Expected] = &[
    Expected {
        name: "ccnet-head",
        format: "jsonl",
        paths: &["web_text_jsonl/cc_en_head-0091.jsonl.gz"],
        extra: "fields = { text = \"text\", id = \"id\", url = \"metadata.url\" }",
        documents: 10,
    },
    Expected {
        name: "c4",
        format: "jsonl",
        paths: &["web_text_jsonl/c4-sample.*.json.gz"],
        extra: "",
        documents: 30,
    },
    Expected {
        name: "paloma-guardian",
        format: "jsonl",
        paths: &["web_text_jsonl/c4_100_domains_*.jsonl.gz"],
        extra: "",
        documents: 10,
    },
    Expected {
        name: "ectsum",
        format: "jsonl",
        paths: &["ectsum_earnings_calls/ectsum_train.jsonl.gz"],
        extra: "",
        documents: 1681,
    },
    Expected {
        name: "dclm-labels",
        format: "jsonl",
        paths: &["dclm_quality_labels/dclm_human_quality_labels.jsonl"],
        extra: "",
        documents: 333,
    },
    Expected {
        name: "fomc",
        format: "jsonl",
        paths: &["fomc_fed_communications/fomc_filtered_sentences.jsonl.gz"],
        // Each document is a list of sentences; they become its lines. 871 records, 35
        // of them with an empty list (skipped as empty_text).
        extra: "fields = { text = \"sentences\" }",
        documents: 836,
    },
    Expected {
        name: "4chan",
        format: "jsonl",
        paths: &["toxic_web_4chan/4chan_00000000.jsonl.gz"],
        extra: "",
        documents: 424,
    },
    Expected {
        name: "copycat-pairs",
        format: "jsonl",
        paths: &["near_duplicate_pairs_copycat/canonical_link_pairs_judged.jsonl.gz"],
        extra: "fields = { text = \"src_text\", id = \"pair_id\", url = \"canonical_link\" }",
        documents: 480,
    },
    Expected {
        name: "dolma-documents",
        format: "jsonl",
        paths: &["dolma_test_fixtures/tests/data/provided/documents/000.json.gz"],
        extra: "fields = { text = \"text\", id = \"id\", url = \"metadata.url\" }",
        documents: 10,
    },
    Expected {
        name: "dolma-deduper",
        format: "jsonl",
        paths: &["dolma_test_fixtures/tests/data/provided/deduper/documents/000.json.gz"],
        extra: "",
        documents: 10,
    },
    Expected {
        name: "dolma-formats",
        format: "jsonl",
        paths: &["dolma_test_fixtures/tests/data/formats/test.jsonl*"],
        extra: "fields = { text = \"message\", id = \"id\", url = \"url\" }",
        documents: 3,
    },
    Expected {
        name: "wcxb-truth",
        format: "jsonl",
        paths: &["html_extraction_benchmarks/wcxb/ground_truth.jsonl.gz"],
        extra: "fields = { text = \"ground_truth.main_content\", id = \"file_id\", url = \"url\" }",
        // 777 pages; 9 have an empty expected main text and are skipped as empty_text.
        documents: 768,
    },
];

fn corpora_job(expected: &[Expected]) -> String {
    let root = corpora();
    let mut job = String::from("[job]\nname = \"corpora\"\n");
    for source in expected {
        let paths: Vec<String> = source
            .paths
            .iter()
            .map(|p| format!("{:?}", root.join(p).to_string_lossy()))
            .collect();
        job.push_str(&format!(
            "\n[[source]]\nname = \"{}\"\ndomain = \"general\"\nformat = \"{}\"\npaths = [{}]\n{}\n",
            source.name,
            source.format,
            paths.join(", "),
            source.extra
        ));
    }
    job
}

fn assert_counts(expected: &[Expected]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let job = write_job(dir.path(), &corpora_job(expected));
    run_ok(&["run", job.to_str().unwrap(), "--quiet"]);
    let record = stage_record(&dir.path().join("runs/corpora/01-ingest"));
    let summary = record["summary"].clone();
    let mut wrong = Vec::new();
    for source in expected {
        let counts = &summary["by_source"][source.name];
        if counts["documents"] != source.documents {
            wrong.push(format!(
                "{}: {} documents, expected {} ({counts})",
                source.name, counts["documents"], source.documents
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    summary
}

#[test]
fn every_jsonl_corpus_ingests_with_its_document_count() {
    let summary = assert_counts(JSONL);
    // Clean JSONL corpora: nothing skipped but the records without text.
    assert_eq!(
        summary["total"]["skipped"],
        serde_json::json!({"empty_text": 44}),
        "{summary}"
    );
    assert_eq!(summary["by_source"]["wcxb-truth"]["records"], 777);
    assert_eq!(summary["by_source"]["fomc"]["records"], 871);
}

const WEB_ARCHIVES: &[Expected] = &[
    Expected {
        name: "cc2020",
        format: "warc",
        paths: &["web_warc_samples/resiliparse_cc2020/warcfile.warc.gz"],
        extra: "",
        documents: 16,
    },
    Expected {
        name: "whirlwind-warc",
        format: "warc",
        paths: &["web_warc_samples/whirlwind_cc2024/whirlwind.warc.gz"],
        extra: "",
        documents: 1,
    },
    Expected {
        name: "whirlwind-wet",
        format: "warc",
        paths: &["web_warc_samples/whirlwind_cc2024/whirlwind.warc.wet.gz"],
        extra: "",
        documents: 1,
    },
    Expected {
        name: "whirlwind-wat",
        format: "warc",
        paths: &["web_warc_samples/whirlwind_cc2024/whirlwind.warc.wat.gz"],
        extra: "",
        documents: 0,
    },
    Expected {
        name: "jwarc-cc2019",
        format: "warc",
        paths: &["web_warc_samples/jwarc_cc2019/cc.warc.gz"],
        extra: "",
        documents: 1,
    },
    Expected {
        name: "dolma-wget",
        format: "warc",
        paths: &["web_warc_samples/dolma_wget2024/sample-0000.warc.gz"],
        extra: "",
        documents: 22,
    },
    Expected {
        name: "iah-wget",
        format: "warc",
        paths: &["web_warc_samples/ia_web_commons_wget/IAH-urls-wget.warc.gz"],
        extra: "",
        // 11 text/html responses, of which 9 are 301/302 redirects: 2 pages with a 200.
        documents: 2,
    },
    Expected {
        name: "cc-arc-2008",
        format: "warc",
        paths: &["web_warc_samples/commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz"],
        extra: "",
        // 139 text/html records: 14 are 3xx/4xx responses, 13 have no main text to extract.
        documents: 112,
    },
];

#[test]
fn every_web_archive_sample_ingests_with_its_document_count() {
    let summary = assert_counts(WEB_ARCHIVES);
    // Real crawl files are well formed: nothing is counted as damage.
    let skipped = summary["total"]["skipped"].as_object().unwrap();
    let damage: Vec<_> = skipped
        .keys()
        .filter(|reason| {
            !matches!(
                reason.as_str(),
                "non_document_record" | "non_html_payload" | "non_success_status" | "empty_text"
            )
        })
        .collect();
    assert!(damage.is_empty(), "{summary}");
    // The ARC: the filedesc record and 145 fetches, 6 of them PDFs.
    assert_eq!(
        summary["by_source"]["cc-arc-2008"]["skipped"],
        serde_json::json!({"non_document_record": 1, "non_html_payload": 6, "non_success_status": 14, "empty_text": 13}),
        "{summary}"
    );
    assert_eq!(
        summary["by_source"]["cc-arc-2008"]["records"], 146,
        "{summary}"
    );
}

#[test]
fn ingest_html_settings_reach_the_extractor_and_rerun_ingest() {
    let warc = corpora().join("web_warc_samples/whirlwind_cc2024/whirlwind.warc.gz");
    assert!(warc.is_file(), "{} is missing", warc.display());
    let base = format!(
        "[job]\nname = \"html\"\n\n[[source]]\nname = \"wiki\"\ndomain = \"general\"\nformat = \"warc\"\npaths = [{:?}]\n",
        warc.to_string_lossy()
    );
    let dir = tempfile::tempdir().unwrap();
    let job = write_job(dir.path(), &base);
    let job = job.to_str().unwrap();
    let run_dir = dir.path().join("runs/html");
    let text = || {
        let docs = read_documents(&run_dir.join("01-ingest"));
        assert_eq!(docs.len(), 1);
        docs[0].text.clone()
    };
    run_ok(&["run", job, "--until", "ingest"]);
    // The article's infobox is a table: one row per line, cells joined by ` | `.
    let with_tables = text();
    assert!(
        with_tables.contains("\nCodigo postal | 19119\n"),
        "{with_tables}"
    );
    let again = run_ok(&["run", job, "--until", "ingest"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("ingest  up to date"));

    write_job(
        dir.path(),
        &format!("{base}\n[ingest.html]\ntables = false\n"),
    );
    let changed = run_ok(&["run", job, "--until", "ingest"]);
    let stderr = String::from_utf8_lossy(&changed.stderr);
    assert!(stderr.contains("ingest  1 documents"), "{stderr}");
    let without = text();
    assert!(!without.contains("Codigo postal"), "{without}");
    assert!(without.contains("Escopete ye un municipio d'a provincia de Guadalachara"));
    let resolved = std::fs::read_to_string(run_dir.join("job.resolved.toml")).unwrap();
    assert!(
        resolved.contains("[ingest.html]\nfavor = \"balanced\"\ntables = false\n"),
        "{resolved}"
    );
}
