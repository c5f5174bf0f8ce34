//! Readers for the shared corpora, just enough for the filter tests. A missing file panics
//! with its path: a test that needs a corpus must fail loudly, never skip.

use std::io::Read;
use std::path::PathBuf;

use flate2::read::{DeflateDecoder, MultiGzDecoder};

/// A document of a corpus: an identifier for messages and its text.
pub struct Doc {
    pub id: String,
    pub text: String,
}

/// Path of a file under the shared corpora folder.
pub fn corpus_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora")
        .join(rel)
}

/// Raw bytes of a corpus file, gunzipped when its name ends in `.gz`.
pub fn read_bytes(rel: &str) -> Vec<u8> {
    let path = corpus_path(rel);
    let raw = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("corpus file {} missing: {e}", path.display()));
    if rel.ends_with(".gz") {
        let mut out = Vec::new();
        MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("cannot gunzip {}: {e}", path.display()));
        out
    } else {
        raw
    }
}

/// A corpus file as text (UTF-8, invalid bytes replaced).
pub fn read_text(rel: &str) -> String {
    String::from_utf8_lossy(&read_bytes(rel)).into_owned()
}

/// A Latin-1 corpus file as text.
pub fn read_latin1(rel: &str) -> String {
    read_bytes(rel).iter().map(|&b| char::from(b)).collect()
}

/// The records of a JSON Lines file.
pub fn jsonl(rel: &str) -> Vec<serde_json::Value> {
    read_text(rel)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{rel}: bad JSON line: {e}")))
        .collect()
}

/// Documents from a JSONL file's string field `field`.
pub fn jsonl_docs(rel: &str, field: &str) -> Vec<Doc> {
    jsonl(rel)
        .into_iter()
        .enumerate()
        .map(|(i, v)| Doc {
            id: format!("{rel}#{i}"),
            text: v[field]
                .as_str()
                .unwrap_or_else(|| panic!("{rel}#{i}: no string field {field}"))
                .to_owned(),
        })
        .collect()
}

/// The five web JSONL files (C4, CCNet, Paloma), 60 documents.
pub fn web_text() -> Vec<Doc> {
    let mut docs = Vec::new();
    for f in [
        "web_text_jsonl/c4-sample.01.json.gz",
        "web_text_jsonl/c4-sample.02.json.gz",
        "web_text_jsonl/c4-sample.03.json.gz",
        "web_text_jsonl/c4_100_domains_5_www.theguardian.com_00000000.jsonl.gz",
        "web_text_jsonl/cc_en_head-0091.jsonl.gz",
    ] {
        docs.extend(jsonl_docs(f, "text"));
    }
    docs
}

/// URLs of the web JSONL files (`url`, or `metadata.url`); the Paloma file has none.
pub fn web_text_urls() -> Vec<String> {
    let mut urls = Vec::new();
    for f in [
        "web_text_jsonl/c4-sample.01.json.gz",
        "web_text_jsonl/c4-sample.02.json.gz",
        "web_text_jsonl/c4-sample.03.json.gz",
        "web_text_jsonl/c4_100_domains_5_www.theguardian.com_00000000.jsonl.gz",
        "web_text_jsonl/cc_en_head-0091.jsonl.gz",
    ] {
        for v in jsonl(f) {
            if let Some(u) = v["url"].as_str().or(v["metadata"]["url"].as_str()) {
                urls.push(u.to_owned());
            }
        }
    }
    urls
}

/// ECTSum earnings-call transcripts, 1,681 documents.
pub fn ectsum() -> Vec<Doc> {
    jsonl_docs("ectsum_earnings_calls/ectsum_train.jsonl.gz", "text")
}

/// FOMC documents, their kept sentences joined by newlines: 871 documents.
pub fn fomc() -> Vec<Doc> {
    jsonl("fomc_fed_communications/fomc_filtered_sentences.jsonl.gz")
        .into_iter()
        .map(|v| Doc {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            text: v["sentences"]
                .as_array()
                .expect("sentences array")
                .iter()
                .filter_map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .collect()
}

/// Financial PhraseBank sentences (label removed), 4,846 documents.
pub fn phrasebank() -> Vec<Doc> {
    read_latin1("finance_sentiment/FinancialPhraseBank_Sentences_50Agree.txt")
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| Doc {
            id: format!("phrasebank#{i}"),
            text: l.rsplit_once('@').map_or(l, |(s, _)| s).to_owned(),
        })
        .collect()
}

/// FiQA posts, 675 documents (sorted by post id for a stable order).
pub fn fiqa() -> Vec<Doc> {
    let v: serde_json::Value =
        serde_json::from_str(&read_text("finance_sentiment/FiQA_task1_posts.json"))
            .expect("FiQA JSON");
    let mut docs: Vec<Doc> = v
        .as_object()
        .expect("FiQA object")
        .iter()
        .map(|(id, post)| Doc {
            id: format!("fiqa#{id}"),
            text: post["sentence"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    docs
}

/// SemEval-2017 headlines, 1,142 documents.
pub fn semeval() -> Vec<Doc> {
    let v: serde_json::Value = serde_json::from_str(&read_text(
        "finance_sentiment/SemEval2017_task5_headlines.json",
    ))
    .expect("SemEval JSON");
    v.as_array()
        .expect("SemEval array")
        .iter()
        .map(|h| Doc {
            id: format!("semeval#{}", h["id"]),
            text: h["title"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Reuters-21578 bodies (files 000-014), 13,186 non-empty documents, entities decoded.
pub fn reuters() -> Vec<Doc> {
    let mut docs = Vec::new();
    for n in 0..15 {
        let rel = format!("reuters21578/reut2-{n:03}.sgm.gz");
        let sgml = read_text(&rel);
        for (i, chunk) in sgml.split("<BODY>").skip(1).enumerate() {
            let body = chunk.split("</BODY>").next().unwrap_or_default();
            let text = decode_entities(body);
            if !text.trim().is_empty() {
                docs.push(Doc {
                    id: format!("{rel}#{i}"),
                    text,
                });
            }
        }
    }
    docs
}

/// WikiText-103 test and valid articles (split at ` = Title = ` lines): 124 documents.
pub fn wikitext() -> Vec<Doc> {
    let mut docs = Vec::new();
    for rel in [
        "wikitext103_wikipedia/wiki.test.tokens.gz",
        "wikitext103_wikipedia/wiki.valid.tokens.gz",
    ] {
        let text = read_text(rel);
        let mut current: Option<Doc> = None;
        for line in text.lines() {
            let t = line.trim();
            let is_title = t.starts_with("= ") && t.ends_with(" =") && !t.starts_with("= =");
            if is_title {
                docs.extend(current.take());
                current = Some(Doc {
                    id: format!("{rel}#{t}"),
                    text: String::new(),
                });
            }
            if let Some(doc) = current.as_mut() {
                doc.text.push_str(line);
                doc.text.push('\n');
            }
        }
        docs.extend(current);
    }
    docs
}

/// The six Project Gutenberg plain-text books.
pub fn gutenberg() -> Vec<Doc> {
    ["pg972", "pg3261", "pg9198", "pg16215", "pg14263", "pg16351"]
        .iter()
        .map(|b| Doc {
            id: (*b).to_owned(),
            text: read_text(&format!("gutenberg_books/{b}.txt.gz")),
        })
        .collect()
}

/// The 20 10-K/10-Q iXBRL filings of `sec_edgar_filings/html`, with tags crudely stripped
/// (the hidden XBRL header removed first): enough for word-level checks.
pub fn sec_html() -> Vec<Doc> {
    let mut files: Vec<String> = Vec::new();
    let root = corpus_path("sec_edgar_filings/html");
    for company in std::fs::read_dir(&root).expect("sec_edgar_filings/html missing") {
        let company = company.expect("dir entry").path();
        for form in std::fs::read_dir(&company).expect("company dir") {
            for file in std::fs::read_dir(form.expect("form dir").path()).expect("form dir") {
                let p = file.expect("file").path();
                let rel = p.strip_prefix(corpus_path("")).expect("under corpora");
                files.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|rel| Doc {
            text: strip_tags(&read_text(&rel)),
            id: rel,
        })
        .collect()
}

/// Removes `<ix:header>…</ix:header>` and every tag, decodes the common entities.
pub fn strip_tags(html: &str) -> String {
    let mut html = html.to_owned();
    while let (Some(a), Some(b)) = (html.find("<ix:header>"), html.find("</ix:header>")) {
        if b < a {
            break;
        }
        html.replace_range(a..b + "</ix:header>".len(), " ");
    }
    let mut out = String::with_capacity(html.len() / 4);
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
    decode_entities(&out)
}

/// Decodes `&lt; &gt; &amp; &quot; &#N;` (enough for Reuters SGML and EDGAR HTML).
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix('#')
                    .and_then(|n| n.parse::<u32>().ok())
                    .and_then(char::from_u32),
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(if c.is_control() && c != '\n' { ' ' } else { c });
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The files of a ZIP archive (stored or deflated entries, sizes in the local headers, as
/// in the NLTK packages), in archive order, directories left out.
pub fn zip_entries(rel: &str) -> Vec<(String, Vec<u8>)> {
    let data = read_bytes(rel);
    let u16_at = |p: usize| u16::from_le_bytes([data[p], data[p + 1]]) as usize;
    let u32_at =
        |p: usize| u32::from_le_bytes([data[p], data[p + 1], data[p + 2], data[p + 3]]) as usize;
    let mut entries = Vec::new();
    let mut pos = 0;
    while pos + 30 <= data.len() && u32_at(pos) == 0x0403_4b50 {
        let flags = u16_at(pos + 6);
        assert_eq!(flags & 8, 0, "{rel}: data descriptors are not supported");
        let method = u16_at(pos + 8);
        let compressed = u32_at(pos + 18);
        let name_len = u16_at(pos + 26);
        let extra_len = u16_at(pos + 28);
        let name = String::from_utf8_lossy(&data[pos + 30..pos + 30 + name_len]).into_owned();
        let start = pos + 30 + name_len + extra_len;
        let raw = &data[start..start + compressed];
        let content = match method {
            0 => raw.to_vec(),
            8 => {
                let mut out = Vec::new();
                DeflateDecoder::new(raw)
                    .read_to_end(&mut out)
                    .unwrap_or_else(|e| panic!("{rel}/{name}: bad deflate: {e}"));
                out
            }
            m => panic!("{rel}/{name}: unsupported compression method {m}"),
        };
        if !name.ends_with('/') {
            entries.push((name, content));
        }
        pos = start + compressed;
    }
    assert!(!entries.is_empty(), "{rel}: no ZIP entries read");
    entries
}

/// Documents of an NLTK corpus zip whose names end in `.txt` (README excluded).
pub fn nltk_txt(zip: &str) -> Vec<Doc> {
    zip_entries(&format!("nltk_corpora/{zip}"))
        .into_iter()
        .filter(|(name, _)| name.ends_with(".txt") && !name.ends_with("README"))
        .map(|(name, bytes)| Doc {
            id: name,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
        .collect()
}

/// Records of a CSV file (header skipped).
pub fn csv_records(rel: &str) -> Vec<csv::StringRecord> {
    let bytes = read_bytes(rel);
    csv::Reader::from_reader(&bytes[..])
        .records()
        .map(|r| r.unwrap_or_else(|e| panic!("{rel}: bad CSV record: {e}")))
        .collect()
}

/// Target URIs of the WARC records of a gzipped WARC file.
pub fn warc_target_uris(rel: &str) -> Vec<String> {
    read_text(rel)
        .lines()
        .filter_map(|l| l.strip_prefix("WARC-Target-URI:"))
        .map(|u| u.trim().trim_matches(['<', '>']).to_owned())
        .collect()
}

/// Every finance corpus, by name: what false-positive rates on finance text are measured on.
pub fn finance_sets() -> Vec<(&'static str, Vec<Doc>)> {
    vec![
        ("ectsum", ectsum()),
        ("sec_html", sec_html()),
        ("phrasebank", phrasebank()),
        ("fiqa", fiqa()),
        ("semeval", semeval()),
        ("fomc", fomc()),
        ("reuters", reuters()),
    ]
}
