//! Holds the heuristic filters to the reference implementation's decisions.
//!
//! `tests/data/datatrove_decisions/<corpus>.jsonl` holds, per document, what datatrove
//! 0.10.1 (library defaults, English, spaCy word splitting) decided for each filter run
//! alone on the original text: `"keep"` or its drop reason, and the length in characters
//! of the text C4's line rules keep. The documents themselves are read in place from the
//! shared corpora, with ids derived from the corpus files:
//!
//! * JSON Lines files: `"<file name>:<0-based line index>"` (blank lines skipped), text
//!   from the `text` field (FOMC: its `sentences` joined by `\n`);
//! * Project Gutenberg: one document per `.txt.gz` file, id = file name;
//! * WikiText-103: one document per article, starting at each ` = Title = ` line, id =
//!   `"<file name>:<title line index>"`.
//!
//! Each filter must agree with the reference on at least 99.5% of every corpus' documents
//! (keep vs drop); failures list the disagreeing ids.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use curate_filters::c4::{C4BadWords, C4BadWordsConfig, C4Quality};
use curate_filters::filter::{Document, Filter};
use curate_filters::fineweb::FineWebQuality;
use curate_filters::gopher_quality::GopherQuality;
use curate_filters::gopher_repetition::GopherRepetition;

const MIN_AGREEMENT: f64 = 0.995;
const FILTERS: [&str; 4] = ["gopher_rep", "gopher_quality", "c4", "fineweb"];

fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora")
}

fn read_bytes(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path)
        .unwrap_or_else(|e| panic!("corpus file {} is missing: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

fn read_text(path: &Path) -> String {
    String::from_utf8(read_bytes(path)).unwrap()
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// `(id, text)` of every record of JSON Lines files; `field` picks the text.
fn jsonl(
    files: &[PathBuf],
    field: fn(&serde_json::Value) -> Option<String>,
) -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for path in files {
        let name = file_name(path);
        for (i, line) in read_text(path).split('\n').enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let rec: serde_json::Value = serde_json::from_str(line).unwrap();
            if let Some(text) = field(&rec) {
                docs.push((format!("{name}:{i}"), text));
            }
        }
    }
    docs
}

fn text_field(rec: &serde_json::Value) -> Option<String> {
    rec["text"].as_str().map(str::to_string)
}

fn joined_sentences(rec: &serde_json::Value) -> Option<String> {
    let sentences = rec["sentences"].as_array()?;
    Some(
        sentences
            .iter()
            .filter_map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn gutenberg() -> Vec<(String, String)> {
    let dir = corpora().join("gutenberg_books");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} is missing: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| file_name(p).ends_with(".txt.gz"))
        .collect();
    files.sort();
    files.iter().map(|p| (file_name(p), read_text(p))).collect()
}

fn is_wikitext_title(line: &str) -> bool {
    line.len() > 6
        && line.starts_with(" = ")
        && !line[3..].starts_with('=')
        && line.ends_with(" = ")
}

fn wikitext() -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for name in ["wiki.test.tokens.gz", "wiki.valid.tokens.gz"] {
        let text = read_text(&corpora().join("wikitext103_wikipedia").join(name));
        let lines: Vec<&str> = text.split('\n').collect();
        let mut cur: Option<(String, String)> = None;
        for (i, line) in lines.iter().enumerate() {
            if is_wikitext_title(line) {
                docs.extend(cur.take());
                cur = Some((format!("{name}:{i}"), String::new()));
            }
            if let Some((_, body)) = cur.as_mut() {
                body.push_str(line);
                if i + 1 < lines.len() {
                    body.push('\n');
                }
            }
        }
        docs.extend(cur);
    }
    docs
}

fn documents(corpus: &str) -> Vec<(String, String)> {
    let c = corpora();
    match corpus {
        "web_text_jsonl" => {
            let dir = c.join(corpus);
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{} is missing: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| file_name(p).ends_with(".gz"))
                .collect();
            files.sort();
            jsonl(&files, text_field)
        }
        "ectsum_earnings_calls" => {
            jsonl(&[c.join(corpus).join("ectsum_train.jsonl.gz")], text_field)
        }
        "toxic_web_4chan" => jsonl(
            &[c.join(corpus).join("4chan_00000000.jsonl.gz")],
            text_field,
        ),
        "dclm_quality_labels" => jsonl(
            &[c.join(corpus).join("dclm_human_quality_labels.jsonl")],
            text_field,
        ),
        "dolma_test_fixtures" => jsonl(
            &[
                c.join(corpus)
                    .join("tests/data/provided/documents/000.json.gz"),
                c.join(corpus).join("tests/data/formats/test.jsonl"),
            ],
            text_field,
        ),
        "fomc_fed_communications" => jsonl(
            &[c.join(corpus).join("fomc_filtered_sentences.jsonl.gz")],
            joined_sentences,
        ),
        "gutenberg_books" => gutenberg(),
        "wikitext103_wikipedia" => wikitext(),
        other => panic!("no reader for corpus {other}"),
    }
}

struct Expected {
    decisions: [String; 4],
    c4_chars_after: usize,
}

fn expectations(corpus: &str) -> Vec<(String, Expected)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/datatrove_decisions")
        .join(format!("{corpus}.jsonl"));
    read_text(&path)
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            let d = |k: &str| r[k].as_str().unwrap().to_string();
            let id = d("id");
            let c4_chars_after = r["c4_chars_after"].as_u64().unwrap() as usize;
            (
                id,
                Expected {
                    decisions: FILTERS.map(d),
                    c4_chars_after,
                },
            )
        })
        .collect()
}

fn check_corpus(corpus: &str) {
    let expected = expectations(corpus);
    let docs: HashMap<String, String> = documents(corpus).into_iter().collect();
    assert_eq!(
        docs.len(),
        expected.len(),
        "{corpus}: document count differs from the expectations"
    );
    let (rep, quality, c4, fineweb) = (
        GopherRepetition::default(),
        GopherQuality::default(),
        C4Quality::default(),
        FineWebQuality::default(),
    );
    let mut disagreements: [Vec<String>; 4] = Default::default();
    let mut same_reason = [0usize; 4];
    let mut both_drop = [0usize; 4];
    let mut c4_text_mismatch = Vec::new();
    for (id, exp) in &expected {
        let text = docs
            .get(id)
            .unwrap_or_else(|| panic!("{corpus}: no document with id {id}"));
        let doc = Document::new(text, None);
        let (c4_verdict, c4_text) = c4.apply(&doc);
        let ours = [
            rep.check(&doc).drop_reason,
            quality.check(&doc).drop_reason,
            c4_verdict.drop_reason,
            fineweb.check(&doc).drop_reason,
        ];
        for k in 0..4 {
            let theirs = exp.decisions[k].as_str();
            let ours_s = ours[k].unwrap_or("keep");
            if (theirs == "keep") != (ours_s == "keep") {
                disagreements[k].push(format!("{id} (datatrove {theirs}, ours {ours_s})"));
            } else if theirs != "keep" {
                both_drop[k] += 1;
                same_reason[k] += usize::from(theirs == ours_s);
            }
        }
        if let Some(t) = c4_text
            && exp.decisions[2] == "keep"
            && t.chars().count() != exp.c4_chars_after
        {
            c4_text_mismatch.push(id.clone());
        }
    }
    let n = expected.len() as f64;
    let mut failures = Vec::new();
    for k in 0..4 {
        let agreement = 1.0 - disagreements[k].len() as f64 / n;
        eprintln!(
            "{corpus:28} {:15} agreement {agreement:.4} ({} docs), same reason {}/{}",
            FILTERS[k],
            expected.len(),
            same_reason[k],
            both_drop[k]
        );
        if agreement < MIN_AGREEMENT {
            failures.push(format!(
                "{}: {agreement:.4} < {MIN_AGREEMENT}; disagreeing: {:?}",
                FILTERS[k], disagreements[k]
            ));
        }
    }
    let c4_text_agreement = 1.0 - c4_text_mismatch.len() as f64 / n;
    if c4_text_agreement < MIN_AGREEMENT {
        failures.push(format!(
            "c4 kept-text length: {c4_text_agreement:.4}; differing: {c4_text_mismatch:?}"
        ));
    }
    assert!(failures.is_empty(), "{corpus}:\n{}", failures.join("\n"));
}

#[test]
fn web_text_jsonl() {
    check_corpus("web_text_jsonl");
}

#[test]
fn ectsum_earnings_calls() {
    check_corpus("ectsum_earnings_calls");
}

#[test]
fn toxic_web_4chan() {
    check_corpus("toxic_web_4chan");
}

#[test]
fn dclm_quality_labels() {
    check_corpus("dclm_quality_labels");
}

#[test]
fn dolma_test_fixtures() {
    check_corpus("dolma_test_fixtures");
}

#[test]
fn fomc_fed_communications() {
    check_corpus("fomc_fed_communications");
}

#[test]
fn gutenberg_books() {
    check_corpus("gutenberg_books");
}

#[test]
fn wikitext103_wikipedia() {
    check_corpus("wikitext103_wikipedia");
}

/// Documents the C4 bad-words rule flags with the English LDNOOBW list, counted with the
/// reference's own pattern (`(?:\W|^)(w1|w2|…)(?:\W|$)` over the lower-cased text, same
/// allow-list) on the same list file.
#[test]
fn c4_badwords_english_counts() {
    let list_path = corpora().join("badwords_lists/ldnoobw/en.txt");
    let list = read_text(&list_path);
    let filter = C4BadWords::new("en", &list, C4BadWordsConfig::default()).unwrap();
    for (corpus, expected) in [
        ("toxic_web_4chan", 284),
        ("dclm_quality_labels", 28),
        ("web_text_jsonl", 1),
    ] {
        let docs = documents(corpus);
        let flagged: Vec<&str> = docs
            .iter()
            .filter(|(_, text)| {
                filter
                    .check(&Document::new(text, None))
                    .drop_reason
                    .is_some()
            })
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(flagged.len(), expected, "{corpus}: flagged {flagged:?}");
    }
}
