//! The document sets these tests run on: every SEC filing of the shared folder (not only
//! the iXBRL 10-K/10-Q that `load::sec_html` reads), ECTSum, Reuters and the web samples.

use crate::load::{self, Doc};

/// Every file of `sec_edgar_filings` (html, misc_html, parity_gate, sgml_submissions), tags
/// stripped: 51 documents.
pub fn sec_all() -> Vec<Doc> {
    files_under("sec_edgar_filings", ".gz")
        .into_iter()
        .map(|rel| Doc {
            text: load::strip_tags(&load::read_text(&rel)),
            id: rel,
        })
        .collect()
}

/// Paths (relative to the corpora folder) of the files under `folder` whose names end in
/// `suffix`, sorted.
pub fn files_under(folder: &str, suffix: &str) -> Vec<String> {
    let root = load::corpus_path(folder);
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("sec_edgar_filings folder") {
            let p = entry.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                let rel = p
                    .strip_prefix(load::corpus_path(""))
                    .expect("under corpora")
                    .to_string_lossy()
                    .into_owned();
                files.push(rel);
            }
        }
    }
    files.sort();
    files
}

/// Extra web text for sampling PII by hand (more addresses than the four sets have):
/// the WARC samples as raw text (their headers carry server IPs), the HTML extraction
/// benchmarks' pages with tags stripped, 4chan threads and DCLM-labelled pages.
pub fn extra_web() -> Vec<(&'static str, Vec<Doc>)> {
    let raw = |folder: &str| -> Vec<Doc> {
        files_under(folder, "")
            .into_iter()
            .filter(|f| !f.ends_with(".md"))
            .map(|rel| Doc {
                text: load::read_text(&rel),
                id: rel,
            })
            .collect()
    };
    let html: Vec<Doc> = files_under("html_extraction_benchmarks", ".html.gz")
        .into_iter()
        .chain(files_under("html_extraction_benchmarks", ".html"))
        .map(|rel| Doc {
            text: strip_tags_lossy(&load::read_text(&rel)),
            id: rel,
        })
        .collect();
    vec![
        ("warc", raw("web_warc_samples")),
        ("html_bench", html),
        (
            "4chan",
            load::jsonl_docs("toxic_web_4chan/4chan_00000000.jsonl.gz", "text"),
        ),
        (
            "dclm",
            load::jsonl_docs(
                "dclm_quality_labels/dclm_human_quality_labels.jsonl",
                "text",
            ),
        ),
    ]
}

/// The four corpora of the PII and decontamination checks, by name.
pub fn pii_sets() -> Vec<(&'static str, Vec<Doc>)> {
    vec![
        ("sec", sec_all()),
        ("ectsum", load::ectsum()),
        ("reuters", load::reuters()),
        ("web", load::web_text()),
    ]
}

/// Tags removed and the common named entities decoded; unlike `load::strip_tags` it
/// accepts any non-ASCII text (the multilingual benchmark pages).
fn strip_tags_lossy(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    for (e, c) in [
        ("&nbsp;", " "),
        ("&#160;", " "),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ] {
        out = out.replace(e, c);
    }
    out
}
