//! PII redaction on SEC filings, ECTSum, Reuters and web text.

use curate_filters::pii::{PiiConfig, PiiHit, PiiKind, PiiRedactor};
use regex::Regex;

use crate::docs::pii_sets;

fn all_kinds() -> PiiRedactor {
    PiiRedactor::new(PiiConfig {
        phone: true,
        credit_card: true,
        iban: true,
        ..PiiConfig::default()
    })
    .expect("valid config")
}

/// `text[range]` with `width` bytes of context each side (cut to char boundaries), on one line.
fn context(text: &str, s: usize, e: usize, width: usize) -> String {
    let mut a = s.saturating_sub(width);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (e + width).min(text.len());
    while !text.is_char_boundary(b) {
        b += 1;
    }
    format!("{}[[{}]]{}", &text[a..s], &text[s..e], &text[e..b]).replace(['\n', '\r', '\t'], " ")
}

/// Loose patterns of the kind other tools use: what a candidate looks like before
/// validation. Candidates not covered by a hit are the near misses.
fn loose_patterns() -> Vec<(PiiKind, Regex)> {
    let re = |s: &str| Regex::new(s).expect("regex");
    vec![
        (PiiKind::Email, re(r"[^\s@]+@[^\s@]+\.[^\s@]+")),
        (
            PiiKind::Ip,
            re(
                r"(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)",
            ),
        ),
        (
            PiiKind::Phone,
            re(r"\+?\(?\d{1,4}\)?[-. ]?\(?\d{2,4}\)?[-. ]?\d{3,4}[-. ]?\d{3,4}"),
        ),
        (PiiKind::CreditCard, re(r"\d(?:[ -]?\d){12,18}")),
        (PiiKind::Iban, re(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}")),
    ]
}

/// Shapes that are never PII in these corpora; no hit may overlap one.
fn clean_patterns() -> Vec<(&'static str, Regex)> {
    let re = |s: &str| Regex::new(s).expect("regex");
    vec![
        ("iso_date", re(r"\b\d{4}-\d{2}-\d{2}\b")),
        ("us_date", re(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")),
        ("time", re(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")),
        ("accession", re(r"\b\d{10}-\d{2}-\d{6}\b")),
        ("percentage", re(r"\d[\d.,]*\s?%")),
        ("price", re(r"[$€£]\s?\d[\d.,]*")),
        ("thousands", re(r"\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b")),
        (
            "section",
            re(r"(?i)\b(?:section|item|rule|note|exhibit)s?\s+\d+(?:\.\d+)+"),
        ),
        (
            "fiscal_year",
            re(r"(?i)\b(?:FY|fiscal(?: year)?)\s?'?\d{2,4}\b"),
        ),
        ("cusip", re(r"\b\d{3}[0-9A-Z]{5}\d\b")),
        ("file_number", re(r"\b\d{3}-\d{5,6}\b")),
        ("ticker", re(r"\$[A-Z]{1,5}\b")),
    ]
}

/// Hits per kind on SEC filings, ECTSum, Reuters and web text, as hand-checked (every hit
/// of these four sets is a real address or phone number: company switchboards on filing
/// cover pages and EDGAR headers, SEC contact addresses, toll-free numbers in Reuters
/// 1987 and a web ad). No hit may overlap a known-clean shape (dates, times, accession
/// numbers, percentages, prices, grouped amounts, section numbers, fiscal years, CUSIPs,
/// file numbers, tickers).
#[test]
fn pii_corpora_counts_and_no_false_hits_on_clean_patterns() {
    let r = all_kinds();
    let clean = clean_patterns();
    // (set, [email, ip, phone, credit_card, iban])
    let expected: [(&str, [usize; 5]); 4] = [
        ("sec", [10, 0, 53, 0, 0]),
        ("ectsum", [0, 0, 0, 0, 0]),
        ("reuters", [0, 0, 2, 0, 0]),
        ("web", [0, 0, 4, 0, 0]),
    ];
    let mut clean_seen = vec![0usize; clean.len()];
    for ((name, docs), (exp_name, exp)) in pii_sets().into_iter().zip(expected) {
        assert_eq!(name, exp_name);
        let mut counts = [0usize; 5];
        let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
        for d in &docs {
            let out = r.redact(&d.text);
            for (k, kind) in PiiKind::ALL.iter().enumerate() {
                counts[k] += out.counts.get(*kind);
            }
            for (c, (cname, re)) in clean.iter().enumerate() {
                for m in re.find_iter(&d.text) {
                    clean_seen[c] += 1;
                    if let Some(h) = out
                        .hits
                        .iter()
                        .find(|h| h.range.start < m.end() && m.start() < h.range.end)
                    {
                        panic!(
                            "{}: {:?} hit overlaps clean {cname} {:?}: {}",
                            d.id,
                            h.kind,
                            m.as_str(),
                            context(&d.text, h.range.start, h.range.end, 40)
                        );
                    }
                }
            }
            if let Some(t) = &out.text {
                assert!(
                    r.find(t).is_empty(),
                    "{}: redaction is not idempotent",
                    d.id
                );
            }
        }
        println!(
            "{name}: {} docs, {:.1} MB; email {} ip {} phone {} credit_card {} iban {}",
            docs.len(),
            bytes as f64 / 1e6,
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts[4]
        );
        assert_eq!(
            counts, exp,
            "{name}: hits per kind changed; hand-check the new ones"
        );
    }
    for ((cname, _), n) in clean.iter().zip(&clean_seen) {
        println!("clean {cname}: {n} occurrences, 0 hits");
        assert!(
            *n > 0,
            "clean pattern {cname} never occurs: the check is vacuous"
        );
    }
}

/// The defaults (e-mail and IP only, as in FineWeb) on the finance sets: only the
/// hand-checked addresses.
#[test]
fn pii_defaults_on_finance_text() {
    let r = PiiRedactor::default();
    for (name, docs) in pii_sets() {
        let total: usize = docs.iter().map(|d| r.redact(&d.text).counts.total()).sum();
        let want = if name == "sec" { 10 } else { 0 };
        assert_eq!(total, want, "{name}");
    }
}

#[test]
#[ignore = "prints every hit and a sample of near misses for hand checking"]
fn pii_print_hits_and_near_misses() {
    print_hits_and_near_misses(pii_sets());
}

#[test]
#[ignore = "prints hits and near misses on more web text (WARC, HTML benchmarks, 4chan, DCLM)"]
fn pii_print_extra_web() {
    print_hits_and_near_misses(crate::docs::extra_web());
}

fn print_hits_and_near_misses(sets: Vec<(&str, Vec<crate::load::Doc>)>) {
    let r = all_kinds();
    let loose = loose_patterns();
    for (name, docs) in sets {
        let mut misses_shown = [0usize; 5];
        for d in &docs {
            let hits = r.find(&d.text);
            for h in &hits {
                println!(
                    "HIT {name} {:?} {}",
                    h.kind,
                    context(&d.text, h.range.start, h.range.end, 40)
                );
            }
            for (k, (kind, re)) in loose.iter().enumerate() {
                for m in re.find_iter(&d.text) {
                    let covered = hits
                        .iter()
                        .any(|h: &PiiHit| h.range.start < m.end() && m.start() < h.range.end);
                    if !covered && misses_shown[k] < 400 {
                        misses_shown[k] += 1;
                        println!(
                            "MISS {name} {:?} {}",
                            kind,
                            context(&d.text, m.start(), m.end(), 40)
                        );
                    }
                }
            }
        }
    }
}
