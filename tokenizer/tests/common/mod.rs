//! Text samples from the shared corpora and generated stress strings, for the identity
//! tests of the fast encoder.

#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;

use serde_json::Value;

pub fn corpora() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora")
}

fn read(rel: &str) -> Vec<u8> {
    let path = corpora().join(rel);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("corpus file {} is required: {e}", path.display()))
}

/// A corpus file's bytes, gunzipped when its name ends in `.gz`.
pub fn bytes(rel: &str) -> Vec<u8> {
    let raw = read(rel);
    if !rel.ends_with(".gz") {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Text of a corpus file; invalid UTF-8 is repaired with U+FFFD, as an ingest would.
pub fn text(rel: &str) -> String {
    String::from_utf8_lossy(&bytes(rel)).into_owned()
}

/// The members of a zip archive (stored or deflated, no data descriptors: the NLTK zips).
pub fn zip_members(rel: &str) -> Vec<(String, Vec<u8>)> {
    let data = read(rel);
    let u16_at = |i: usize| u16::from_le_bytes([data[i], data[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().unwrap()) as usize;
    let mut out = Vec::new();
    let mut i = 0;
    while i + 30 <= data.len() && u32_at(i) == 0x0403_4b50 {
        let (method, size) = (u16_at(i + 8), u32_at(i + 18));
        let (name_len, extra_len) = (u16_at(i + 26), u16_at(i + 28));
        let name = String::from_utf8_lossy(&data[i + 30..i + 30 + name_len]).into_owned();
        let start = i + 30 + name_len + extra_len;
        let raw = &data[start..start + size];
        let body = match method {
            0 => raw.to_vec(),
            8 => {
                let mut v = Vec::new();
                flate2::read::DeflateDecoder::new(raw)
                    .read_to_end(&mut v)
                    .unwrap();
                v
            }
            m => panic!("zip method {m} in {rel}"),
        };
        out.push((name, body));
        i = start + size;
    }
    assert!(!out.is_empty(), "no members read from {rel}");
    out
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `field` of every JSON line of a file.
pub fn jsonl_field(rel: &str, field: &str) -> Vec<String> {
    text(rel)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v[field].as_str().map(str::to_string))
        .collect()
}

/// Every `step`-th element, at most `n`.
pub fn every<T: Clone>(v: &[T], n: usize) -> Vec<T> {
    let step = (v.len() / n.max(1)).max(1);
    v.iter().step_by(step).take(n).cloned().collect()
}

/// Cuts `s` into chunks of about `size` bytes (character boundaries), at most `n` of them.
pub fn chunks(s: &str, size: usize, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() && out.len() < n {
        let head = prefix(rest, size);
        let head = if head.is_empty() {
            prefix(rest, size + 4)
        } else {
            head
        };
        out.push(head.to_string());
        rest = &rest[head.len()..];
    }
    out
}

/// A sample of every text corpus, labelled, each text at most `cap` bytes; about 2 MB in
/// all with the default cap.
pub fn corpus_samples(cap: usize) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |label: &str, texts: Vec<String>| {
        for (i, t) in texts.into_iter().enumerate() {
            out.push((format!("{label}#{i}"), prefix(&t, cap).to_string()));
        }
    };
    for f in [
        "web_text_jsonl/c4-sample.01.json.gz",
        "web_text_jsonl/c4-sample.02.json.gz",
        "web_text_jsonl/c4-sample.03.json.gz",
        "web_text_jsonl/c4_100_domains_5_www.theguardian.com_00000000.jsonl.gz",
        "web_text_jsonl/cc_en_head-0091.jsonl.gz",
    ] {
        add(f, jsonl_field(f, "text"));
    }
    let ect = jsonl_field("ectsum_earnings_calls/ectsum_train.jsonl.gz", "text");
    add("ectsum", every(&ect, 24));
    add(
        "4chan",
        every(
            &jsonl_field("toxic_web_4chan/4chan_00000000.jsonl.gz", "text"),
            24,
        ),
    );
    let fomc = jsonl_field(
        "fomc_fed_communications/fomc_filtered_sentences.jsonl.gz",
        "text",
    );
    add("fomc", chunks(&every(&fomc, 400).join("\n"), 8_000, 4));
    for f in [
        "finance_sentiment/FinancialPhraseBank_Sentences_50Agree.txt",
        "finance_sentiment/FiQA_task1_posts.json",
        "finance_sentiment/SemEval2017_task5_headlines.json",
    ] {
        add(f, chunks(&text(f), 8_000, 4));
    }
    for f in [
        "gutenberg_books/pg14263.txt.gz",
        "gutenberg_books/pg16215.txt.gz",
        "gutenberg_books/pg16351.txt.gz",
        "gutenberg_books/pg3261.txt.gz",
        "gutenberg_books/pg9198.txt.gz",
        "gutenberg_books/pg3261-h.htm.gz",
    ] {
        add(f, chunks(&text(f), 12_000, 3));
    }
    for f in [
        "wikitext103_wikipedia/wiki.test.tokens.gz",
        "wikitext103_wikipedia/wiki.valid.tokens.gz",
    ] {
        add(f, chunks(&text(f), 12_000, 4));
    }
    for f in [
        "reuters21578/reut2-000.sgm.gz",
        "reuters21578/reut2-014.sgm.gz",
    ] {
        add(f, chunks(&text(f), 12_000, 3));
    }
    add(
        "davidson_tweets",
        chunks(
            &text("toxicity_labeled/davidson_hate_offensive/labeled_data.csv.gz"),
            8_000,
            5,
        ),
    );
    add(
        "jigsaw",
        chunks(
            &text("toxicity_labeled/jigsaw_toxic_sample/train.csv"),
            8_000,
            5,
        ),
    );
    add(
        "dclm_labels",
        chunks(
            &text("dclm_quality_labels/dclm_human_quality_labels.jsonl"),
            8_000,
            5,
        ),
    );
    add(
        "copycat_pairs",
        chunks(
            &text("near_duplicate_pairs_copycat/canonical_link_pairs_judged.jsonl.gz"),
            8_000,
            4,
        ),
    );
    add(
        "wcxb_ground_truth",
        chunks(
            &text("html_extraction_benchmarks/wcxb/ground_truth.jsonl.gz"),
            8_000,
            6,
        ),
    );
    for f in ["0002", "0003", "0004"] {
        let rel = format!("html_extraction_benchmarks/wcxb/html/{f}.html.gz");
        add(&rel, chunks(&text(&rel), 8_000, 2));
    }
    for f in [
        "warc_format_fixtures/copycat/clueweb09-en0000-00.warc.gz",
        "warc_format_fixtures/ia_web_commons/text-extraction-test.warc",
    ] {
        // Raw WARC bytes: binary payloads repaired to U+FFFD, control characters.
        add(f, chunks(&text(f), 8_000, 4));
    }
    for (name, body) in zip_members("nltk_corpora/udhr2.zip") {
        if !body.is_empty() {
            let t = String::from_utf8_lossy(&body).into_owned();
            add(&format!("udhr/{name}"), vec![prefix(&t, 1_200).to_string()]);
        }
    }
    for (name, body) in zip_members("nltk_corpora/nps_chat.zip").into_iter().take(3) {
        add(
            &format!("nps_chat/{name}"),
            chunks(&String::from_utf8_lossy(&body), 8_000, 1),
        );
    }
    out
}

/// Hand-made stress texts: runs of whitespace and digits, very long words, emoji,
/// control characters, special-token text.
pub fn stress_texts() -> Vec<(String, String)> {
    let mut v: Vec<(&str, String)> = vec![
        ("spaces", " ".repeat(3_000)),
        (
            "spaces_word",
            format!("a{}b{}c ", " ".repeat(57), " ".repeat(25)),
        ),
        (
            "mixed_ws",
            " \t \n\r\n \u{a0}\u{3000} \u{2028}x\u{85} \u{1680}\n\n\n  y".repeat(50),
        ),
        ("tabs", "\t\t\tcode\t\t= 1;\n".repeat(100)),
        ("digits", "1234567890".repeat(500)),
        ("digits_spaced", "12 345 6789 0 00000 ".repeat(100)),
        (
            "long_word",
            "pneumonoultramicroscopicsilicovolcanoconiosis".repeat(600),
        ),
        ("long_a", "a".repeat(20_000)),
        ("long_cjk", "中文字符测试日本語テキスト한국어".repeat(300)),
        ("emoji", "👍🏽🇫🇷👨‍👩‍👧‍👦🙂 ❤️ 🎉🎉🎉 x🙂y".repeat(80)),
        (
            "controls",
            (0u8..32).map(char::from).collect::<String>().repeat(40),
        ),
        (
            "del_c1",
            "\u{7f}\u{80}\u{9f}\u{ad}\u{200b}\u{feff}\u{fffd}".repeat(100),
        ),
        (
            "contractions",
            "it's I'M we'LL they're 'S 'ſ 'Ve 'd 'x''s '' ' s".repeat(60),
        ),
        (
            "special",
            "end<|endoftext|>start <|endoftext|> <|padding|>|||IP_ADDRESS|||x".repeat(30),
        ),
        (
            "base64",
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123+/=".repeat(200),
        ),
        ("url", "https://example.com/a/b?c=d&e=f#g ".repeat(100)),
        (
            "combining",
            "e\u{301} a\u{308}o\u{302} \u{1e9b}\u{323} Å".repeat(50),
        ),
        ("rtl", "مرحبا بالعالم שלום עולם ".repeat(100)),
        ("indic", "नमस्ते दुनिया வணக்கம் ".repeat(100)),
        ("math", "∑∫√∞≠≤≥ 𝔸𝔹ℂ 𝟘𝟙𝟚 ⅠⅡⅢ ½¾ ²³".repeat(100)),
        ("empty", String::new()),
    ];
    v.push((
        "crlf_lines",
        "line one\r\nline two\r\n\r\n  indented\r\n".repeat(100),
    ));
    v.into_iter().map(|(k, s)| (k.to_string(), s)).collect()
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Fragments that stress the split rules, added-token matching and NFC.
const FRAGMENTS: &[&str] = &[
    " ",
    "  ",
    "   ",
    "    ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\u{a0}",
    "\u{3000}",
    "\u{2009}",
    "\u{85}",
    "\u{b}",
    "\u{c}",
    "'",
    "'s",
    "'S",
    "'t",
    "'re",
    "'RE",
    "'ve",
    "'m",
    "'ll",
    "'LL",
    "'d",
    "'ſ",
    "s",
    "ll",
    "a",
    "Z",
    "é",
    "e\u{301}",
    "\u{301}",
    "ſ",
    "1",
    "23",
    "456",
    "٣",
    "Ⅻ",
    "½",
    ".",
    ",",
    "!",
    "?",
    "\"",
    "(",
    "-",
    "_",
    "$",
    "%",
    "&",
    "*",
    "…",
    "—",
    "“",
    "€",
    "日本",
    "中",
    "한",
    "ก",
    "ا",
    "🙂",
    "👍🏽",
    "\u{200d}",
    "\u{fe0f}",
    "\u{feff}",
    "\u{0}",
    "\u{7f}",
    "\u{fffd}",
    "<|endoftext|>",
    "<|padding|>",
    "|||IP_ADDRESS|||",
    "<|",
    "|>",
    "word",
    " the",
    "The",
    "HTML",
    "x",
    "y",
];

/// A random string: fragments, random code points from every plane (unassigned and
/// private-use included), and ASCII.
pub fn random_text(rng: &mut Rng) -> String {
    let len = 1 + rng.below(24);
    let mut s = String::new();
    for _ in 0..len {
        match rng.below(10) {
            0..=5 => s.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]),
            6 => s.push(char::from(32 + rng.below(95) as u8)),
            7 => {
                // Any scalar value.
                let c = loop {
                    if let Some(c) = char::from_u32(rng.below(0x11_0000) as u32) {
                        break c;
                    }
                };
                s.push(c);
            }
            8 => {
                // The BMP, where most scripts are.
                if let Some(c) = char::from_u32(0x80 + rng.below(0xff80) as u32) {
                    s.push(c);
                }
            }
            _ => {
                let n = 1 + rng.below(6);
                s.push_str(&" ".repeat(n));
            }
        }
    }
    s
}

/// A byte soup: random bytes (ASCII-heavy) repaired to UTF-8 with U+FFFD.
pub fn random_bytes_text(rng: &mut Rng) -> String {
    let len = 1 + rng.below(48);
    let bytes: Vec<u8> = (0..len)
        .map(|_| match rng.below(4) {
            0 => rng.below(256) as u8,
            1 => b" \t\n\r'"[rng.below(5)],
            _ => 32 + rng.below(95) as u8,
        })
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Texts to train small tokenizers on: a mix of corpora, so the vocabulary holds merges of
/// several scripts.
pub fn training_texts() -> Vec<String> {
    let mut v = every(
        &jsonl_field("ectsum_earnings_calls/ectsum_train.jsonl.gz", "text"),
        40,
    );
    v.extend(jsonl_field("web_text_jsonl/c4-sample.01.json.gz", "text"));
    v.extend(every(
        &jsonl_field("toxic_web_4chan/4chan_00000000.jsonl.gz", "text"),
        20,
    ));
    for (_, body) in zip_members("nltk_corpora/udhr2.zip").into_iter().step_by(4) {
        v.push(prefix(&String::from_utf8_lossy(&body), 3_000).to_string());
    }
    v.push("\u{a0}\u{3000}\t\t\n\n\r\n  1234 5678 🙂🙂 'll 'S".repeat(20));
    v
}
