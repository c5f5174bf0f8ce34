//! The heuristic filters agree with the reference implementation on the text that our own
//! ingest extracts from real web archives.
//!
//! The job below ingests every WARC, WET and ARC sample of `web_warc_samples` (not the WAT,
//! which holds no documents) and resiliparse's `clueweb-quirk.warc.gz`. `curate tag` then
//! decides on every ingested document with the Gopher repetition, Gopher quality, C4 and
//! FineWeb filters at their default settings. `tests/data/warc_datatrove_decisions.jsonl`
//! holds, per document id (the WARC-Record-ID, or `<source>/<file>@<offset>` for ARC
//! records), what datatrove 0.10.1 (library defaults, English, spaCy word splitting)
//! decided for each filter run alone on the same extracted text, through
//! `shared/bench/peers/decisions.py`: `"keep"` or its drop reason, plus `chars`, the length
//! of that text in characters. No text is stored: the expectations hold only as long as
//! the extraction gives the same text, which `chars` lets a failure tell apart from a
//! filter change. The texts are multilingual (Chinese, Japanese, Russian, German, Dutch,
//! Spanish, Aragonese, English); like the reference without a language tag, our filters
//! split them with the English rules.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use crate::support::*;

const MIN_AGREEMENT: f64 = 0.995;

/// `(reference key, curate tag key)` of each compared filter.
const FILTERS: [(&str, &str); 4] = [
    ("gopher_rep", "gopher_repetition"),
    ("gopher_quality", "gopher_quality"),
    ("c4", "c4"),
    ("fineweb", "fineweb"),
];

/// `(source name, path below corpora/)`; the source name is part of ARC document ids.
const SOURCES: [(&str, &str); 8] = [
    (
        "cc2020",
        "web_warc_samples/resiliparse_cc2020/warcfile.warc.gz",
    ),
    (
        "whirlwind-warc",
        "web_warc_samples/whirlwind_cc2024/whirlwind.warc.gz",
    ),
    (
        "whirlwind-wet",
        "web_warc_samples/whirlwind_cc2024/whirlwind.warc.wet.gz",
    ),
    ("jwarc-cc2019", "web_warc_samples/jwarc_cc2019/cc.warc.gz"),
    (
        "dolma-wget",
        "web_warc_samples/dolma_wget2024/sample-0000.warc.gz",
    ),
    (
        "iah-wget",
        "web_warc_samples/ia_web_commons_wget/IAH-urls-wget.warc.gz",
    ),
    (
        "cc-arc-2008",
        "web_warc_samples/commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz",
    ),
    (
        "clueweb-quirk",
        "warc_format_fixtures/resiliparse/clueweb-quirk.warc.gz",
    ),
];

fn job() -> String {
    let root = corpora();
    let mut job = String::from("[job]\nname = \"warc-agree\"\n");
    for (name, path) in SOURCES {
        let path = root.join(path);
        assert!(path.is_file(), "corpus file {} is missing", path.display());
        job.push_str(&format!(
            "\n[[source]]\nname = \"{name}\"\ndomain = \"general\"\nformat = \"warc\"\npaths = [{:?}]\n",
            path.to_string_lossy()
        ));
    }
    job
}

struct Expected {
    decisions: [String; 4],
    chars: usize,
}

fn expectations() -> BTreeMap<String, Expected> {
    let path = repo_root().join("tests/data/warc_datatrove_decisions.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is missing: {e}", path.display()));
    text.lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |k: &str| row[k].as_str().unwrap().to_owned();
            let expected = Expected {
                decisions: FILTERS.map(|(k, _)| field(k)),
                chars: row["chars"].as_u64().unwrap() as usize,
            };
            (field("id"), expected)
        })
        .collect()
}

#[test]
fn heuristic_filters_agree_with_datatrove_on_extracted_web_archive_text() {
    let expected = expectations();
    assert_eq!(expected.len(), 184, "expectation file rows");

    let dir = tempfile::tempdir().unwrap();
    let job = write_job(dir.path(), &job());
    run_ok(&["run", job.to_str().unwrap(), "--until", "ingest", "--quiet"]);
    let docs = read_documents(&dir.path().join("runs/warc-agree/01-ingest"));

    let ids: BTreeSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), docs.len(), "document ids are unique");
    let missing: Vec<&str> = expected
        .keys()
        .map(String::as_str)
        .filter(|id| !ids.contains(id))
        .collect();
    let unexpected: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !expected.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "ingest no longer yields the documents the expectations were made on\n\
         missing: {missing:?}\nnot in the expectations: {unexpected:?}"
    );
    let text_chars: BTreeMap<&str, usize> = docs
        .iter()
        .map(|d| (d.id.as_str(), d.text.chars().count()))
        .collect();

    let input = dir.path().join("documents.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    for doc in &docs {
        let row = serde_json::json!({"id": doc.id, "text": doc.text});
        writeln!(file, "{row}").unwrap();
    }
    file.into_inner().unwrap().sync_all().unwrap();
    let tags = dir.path().join("tags.jsonl");
    let filters = FILTERS.map(|(_, ours)| ours).join(",");
    run_ok(&[
        "tag",
        "--filters",
        &filters,
        "--format",
        "jsonl",
        input.to_str().unwrap(),
        "-o",
        tags.to_str().unwrap(),
    ]);
    let ours: BTreeMap<String, serde_json::Value> = std::fs::read_to_string(&tags)
        .unwrap()
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            (row["id"].as_str().unwrap().to_owned(), row)
        })
        .collect();
    assert_eq!(ours.len(), docs.len(), "one tag row per document");

    let n = expected.len() as f64;
    let mut failures = Vec::new();
    for (k, (theirs_key, ours_key)) in FILTERS.iter().enumerate() {
        let mut disagreeing = Vec::new();
        let (mut both_drop, mut same_reason) = (0usize, 0usize);
        for (id, exp) in &expected {
            let theirs = exp.decisions[k].as_str();
            let row = &ours[id];
            let mine = row[*ours_key]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: no {ours_key} decision in {row}"));
            if (theirs == "keep") != (mine == "keep") {
                let drift = if text_chars[id.as_str()] == exp.chars {
                    String::new()
                } else {
                    format!(
                        "; extracted text changed: {} chars, expectations made on {}",
                        text_chars[id.as_str()],
                        exp.chars
                    )
                };
                disagreeing.push(format!("{id} (datatrove {theirs}, ours {mine}{drift})"));
            } else if theirs != "keep" {
                both_drop += 1;
                same_reason += usize::from(theirs == mine);
            }
        }
        let agreement = 1.0 - disagreeing.len() as f64 / n;
        eprintln!(
            "{theirs_key:15} agreement {agreement:.4} ({} docs), same reason {same_reason}/{both_drop}",
            expected.len()
        );
        if agreement < MIN_AGREEMENT {
            failures.push(format!(
                "{theirs_key}: {agreement:.4} < {MIN_AGREEMENT}; disagreeing: {disagreeing:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
