//! `curate extract`: main text of hand-written pages and of web archive pages, benchmark
//! scores, and inline-XBRL filings whose hidden XBRL facts must not leak into the text.

use std::collections::HashMap;

use crate::support::*;

const PAGE: &str = r#"<html lang="fr"><head><title>Le titre</title></head><body>
<div id="cookie-consent">Nous utilisons des cookies.</div>
<nav><a href="/">Accueil</a></nav>
<article><h1>Le titre</h1><p>Premier paragraphe de l'article, assez long pour compter.</p>
<ul><li>un</li><li>deux</li></ul></article>
<footer>Mentions légales</footer></body></html>"#;

#[test]
fn jsonl_output_has_title_lang_and_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.html");
    std::fs::write(&path, PAGE).unwrap();
    let path_str = path.to_str().unwrap();
    let out = run_ok(&["extract", "--format", "jsonl", path_str]);
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["path"], path_str);
    assert_eq!(line["title"], "Le titre");
    assert_eq!(line["lang"], "fr");
    assert_eq!(
        line["text"],
        "Le titre\nPremier paragraphe de l'article, assez long pour compter.\nun\ndeux"
    );
    let text = run_ok(&["extract", path_str]);
    assert_eq!(
        String::from_utf8(text.stdout).unwrap(),
        "Le titre\nPremier paragraphe de l'article, assez long pour compter.\nun\ndeux\n"
    );
}

/// F1 per benchmark from `curate extract --eval` on the first pages of each benchmark.
fn eval_f1(max_pages: &str) -> HashMap<String, f64> {
    let dir = corpora().join("html_extraction_benchmarks");
    let out = run_ok(&[
        "extract",
        "--eval",
        dir.to_str().unwrap(),
        "--engine",
        "curate",
        "--max-pages",
        max_pages,
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols[2], max_pages, "{line}");
            assert_eq!(cols[3], "0", "no page may fail: {line}");
            (cols[0].to_string(), cols[6].parse::<f64>().unwrap())
        })
        .collect()
}

#[test]
fn benchmark_f1_stays_above_the_measured_level() {
    let f1 = eval_f1("40");
    assert_eq!(f1.len(), 4, "{f1:?}");
    // Measured F1 on these 40 pages each: 0.928, 0.971, 0.957, 0.895; the bars sit a
    // little below.
    for (bench, bar) in [
        ("wcxb", 0.90),
        ("scrapinghub_aeb", 0.95),
        ("mozilla_readability", 0.93),
        ("trafilatura_eval", 0.87),
    ] {
        assert!(f1[bench] >= bar, "{bench}: F1 {} < {bar}", f1[bench]);
    }
}

#[test]
fn inline_xbrl_filing_keeps_text_and_tables_without_hidden_facts() {
    let filing = corpora().join("sec_edgar_filings/html/ko/10k/ko-10-k-2025-02-20.html.gz");
    assert!(filing.is_file(), "{} is missing", filing.display());
    let path = filing.to_str().unwrap();
    let main = String::from_utf8(run_ok(&["extract", path]).stdout).unwrap();
    let all = String::from_utf8(run_ok(&["extract", "--all-text", path]).stdout).unwrap();
    // The hidden `ix:header` holds contexts, units and namespace URIs.
    for leak in ["fasb.org", "xbrli:", "iso4217"] {
        assert!(!main.contains(leak) && !all.contains(leak), "{leak} leaked");
    }
    assert!(main.contains("Risk Factors"));
    assert!(
        main.lines()
            .any(|l| l == "3.500% Notes Due 2044 | KO44 | New York Stock Exchange"),
        "a table row renders as one line of cells"
    );
    // Measured: 86,808 of 95,661 visible words (90.7 %) are kept.
    let (kept, visible) = (
        main.split_whitespace().count(),
        all.split_whitespace().count(),
    );
    assert!(kept * 100 >= visible * 88, "{kept} of {visible} words kept");
}

fn jsonl_pages(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn web_archive_pages_are_extracted_like_ingest_with_their_urls() {
    let arc =
        corpora().join("web_warc_samples/commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz");
    assert!(arc.is_file(), "{} is missing", arc.display());
    let arc_str = arc.to_str().unwrap();
    let out = run_ok(&["extract", "--format", "jsonl", arc_str]);
    let pages = jsonl_pages(&out.stdout);
    // The same pages ingest makes documents of: 139 HTML records less 14 non-2xx
    // responses and 13 without main text.
    assert_eq!(pages.len(), 112);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("pages 112; records skipped: empty_text 13, non_document_record 1, non_html_payload 6, non_success_status 14"),
        "{stderr}"
    );
    assert!(pages.iter().all(|p| p["path"] == arc_str));
    let cine = pages
        .iter()
        .find(|p| p["url"] == "http://cineciudad.com/pelicula/index/502")
        .unwrap();
    assert_eq!(cine["title"], "Unión Cine Ciudad - CASI 300");
    assert_eq!(cine["lang"], "es");
    assert!(
        cine["text"]
            .as_str()
            .unwrap()
            .starts_with("CASI 300\nEL HEROICO LEÓNIDAS"),
        "{cine}"
    );
}

#[test]
fn web_archives_are_recognised_by_content_and_wet_text_is_not_html() {
    let samples = corpora().join("web_warc_samples/whirlwind_cc2024");
    let warc = samples.join("whirlwind.warc.gz");
    let wet = samples.join("whirlwind.warc.wet.gz");
    assert!(warc.is_file() && wet.is_file(), "whirlwind samples missing");
    // The same bytes under a name that says nothing: the content tells.
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("capture.bin");
    std::fs::copy(&warc, &renamed).unwrap();
    let out = run_ok(&["extract", "--format", "jsonl", renamed.to_str().unwrap()]);
    let pages = jsonl_pages(&out.stdout);
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["url"], "https://an.wikipedia.org/wiki/Escopete");
    assert_eq!(
        pages[0]["title"],
        "Escopete - Biquipedia, a enciclopedia libre"
    );
    assert_eq!(pages[0]["lang"], "an");
    let text = pages[0]["text"].as_str().unwrap();
    assert!(text.contains("Escopete ye un municipio d'a provincia de Guadalachara"));
    assert!(!text.contains("Menú principal"), "navigation is left out");

    // A WET holds text conversions, not HTML: no page. In text format, pages of several
    // inputs are separated by an empty line, and an HTML file has no URL.
    let html = dir.path().join("page.html");
    std::fs::write(&html, PAGE).unwrap();
    let out = run_ok(&[
        "extract",
        wet.to_str().unwrap(),
        html.to_str().unwrap(),
        warc.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let first_page =
        "Le titre\nPremier paragraphe de l'article, assez long pour compter.\nun\ndeux\n\n";
    assert!(stdout.starts_with(first_page), "{stdout}");
    assert_eq!(&stdout[first_page.len()..], format!("{text}\n"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("whirlwind.warc.wet.gz: pages 0; records skipped: non_document_record 1, text_conversion 1"),
        "{stderr}"
    );
    let out = run_ok(&["extract", "--format", "jsonl", html.to_str().unwrap()]);
    assert_eq!(jsonl_pages(&out.stdout)[0]["url"], serde_json::Value::Null);
}
