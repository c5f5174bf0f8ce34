//! Decontamination against the finance_sentiment references (Financial PhraseBank, FiQA,
//! SemEval-2017 headlines): injected sentences are all found, the real corpora are clean.

use curate_filters::decontaminate::{
    DecontaminationConfig, ReferenceIndex, normalized_words, remove_spans,
};

use crate::load::{self, Doc};

/// The 6,663 reference examples, named by benchmark.
fn references() -> Vec<(&'static str, String)> {
    let mut refs = Vec::new();
    for (name, docs) in [
        ("phrasebank", load::phrasebank()),
        ("fiqa", load::fiqa()),
        ("semeval", load::semeval()),
    ] {
        refs.extend(docs.into_iter().map(|d| (name, d.text)));
    }
    refs
}

/// The uncontaminated documents: ECTSum, Reuters, web text and SEC filings.
fn corpora() -> Vec<(&'static str, Vec<Doc>)> {
    vec![
        ("ectsum", load::ectsum()),
        ("reuters", load::reuters()),
        ("web", load::web_text()),
        ("sec", crate::docs::sec_all()),
    ]
}

/// A char boundary at a line or word break near the middle of `text`.
fn middle_break(text: &str) -> usize {
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid += 1;
    }
    text[mid..]
        .find(['\n', ' '])
        .map_or(text.len(), |i| mid + i)
}

/// 13-gram matches of the references in the real corpora. The false positives are
/// recorded exactly: each is printed with its document, and the count is asserted.
#[test]
fn decontamination_finds_no_benchmark_text_in_clean_corpora() {
    let config = DecontaminationConfig::default();
    let refs = references();
    let index =
        ReferenceIndex::build(&config, refs.iter().map(|(n, t)| (*n, t.as_str()))).expect("index");
    let s = index.stats();
    println!(
        "index: {} references, {} by 13-grams, {} whole (8-12 words), {} skipped (<8 words); \
         {} distinct hashes, {} bytes ({:.1} bytes per n-gram)",
        s.references,
        s.long,
        s.short_whole,
        s.skipped,
        s.ngrams,
        index.memory_bytes(),
        index.memory_bytes() as f64 / s.ngrams as f64
    );
    assert_eq!(s.references, 6663);
    let mut total = 0usize;
    for (name, docs) in corpora() {
        let mut docs_hit = 0usize;
        let mut matches = 0usize;
        for d in &docs {
            let m = index.find(&d.text);
            if !m.is_empty() {
                docs_hit += 1;
                matches += m.len();
                for x in &m {
                    println!("  FP {name} {} [{}] {:?}", d.id, x.reference, x.ngram);
                }
            }
        }
        println!(
            "{name}: {} docs, {docs_hit} with matches, {matches} matches",
            docs.len()
        );
        total += matches;
    }
    assert_eq!(total, EXPECTED_FALSE_POSITIVES, "false positives changed");
}

/// Matches of the finance references in the four clean corpora at the defaults: none by
/// 13-grams; one by a short reference matched whole, the 8-word PhraseBank sentence "The
/// name of the buyer was not disclosed." in a 1987 Reuters report
/// (`reut2-009.sgm.gz#225`) — a real textual overlap of news boilerplate, the price of
/// matching short references whole.
const EXPECTED_FALSE_POSITIVES: usize = 1;

/// Every 5th reference is injected into a real document (ECTSum, Reuters and web text in
/// turn), between two lines near its middle. Each injected reference of at least
/// `short_min_words` words must be found inside the injected range (recall 1.0), and
/// removing the matched spans must leave a document with no match.
#[test]
fn decontamination_finds_every_injected_reference() {
    let config = DecontaminationConfig::default();
    let refs = references();
    let index =
        ReferenceIndex::build(&config, refs.iter().map(|(n, t)| (*n, t.as_str()))).expect("index");
    let hosts: Vec<Doc> = [load::ectsum(), load::reuters(), load::web_text()]
        .into_iter()
        .flat_map(|docs| docs.into_iter().step_by(7))
        .collect();
    let (mut eligible, mut long, mut found, mut short_skipped) = (0, 0, 0, 0);
    for (k, (name, r)) in refs.iter().enumerate().step_by(5) {
        let host = &hosts[k % hosts.len()];
        let at = middle_break(&host.text);
        let doc = format!("{}\n{r}\n{}", &host.text[..at], &host.text[at..]);
        let injected = at + 1..at + 1 + r.len();
        let words = normalized_words(r).len();
        let m = index.find(&doc);
        let inside = m
            .iter()
            .filter(|x| x.span.start >= injected.start && x.span.end <= injected.end)
            .count();
        if words < config.short_min_words {
            short_skipped += 1;
            continue;
        }
        eligible += 1;
        long += usize::from(words >= config.n);
        assert!(
            inside > 0,
            "{name} reference {k} ({words} words) injected into {} not found: {r:?}",
            host.id
        );
        let expected = if words >= config.n {
            words - config.n + 1
        } else {
            1
        };
        assert!(
            inside >= expected,
            "{name} #{k}: {inside} of {expected} n-grams"
        );
        found += 1;
        let cleaned = remove_spans(&doc, &m);
        assert!(
            index.find(&cleaned).is_empty(),
            "{name} #{k}: matches left after removing spans"
        );
    }
    println!(
        "injected {} references: {eligible} of >= {} words ({long} of >= {} words), \
         found {found} (recall {:.3}); {short_skipped} shorter ones not indexed",
        eligible + short_skipped,
        config.short_min_words,
        config.n,
        found as f64 / eligible as f64
    );
    assert_eq!(found, eligible);
}
