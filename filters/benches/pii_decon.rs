//! Throughput of PII redaction (FineWeb defaults: e-mail + IP; and every kind) and of
//! decontamination lookups (13-grams of the 6,663 finance_sentiment references) on
//! earnings-call transcripts (ECTSum, 30 MB) and web text (C4/CCNet samples), one thread.
//! Reported in bytes of text per second. Also prints the index's memory per million
//! reference n-grams, measured on a synthetic million-n-gram reference set.

use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use curate_filters::decontaminate::{DecontaminationConfig, ReferenceIndex};
use curate_filters::pii::{PiiConfig, PiiRedactor};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora")
        .join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    let path = corpus(rel);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{} is missing: {e}", path.display()));
    if !rel.ends_with(".gz") {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn jsonl_texts(rel: &str) -> Vec<String> {
    String::from_utf8_lossy(&read(rel))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

fn ectsum() -> Vec<String> {
    jsonl_texts("ectsum_earnings_calls/ectsum_train.jsonl.gz")
}

fn web() -> Vec<String> {
    [
        "web_text_jsonl/c4-sample.01.json.gz",
        "web_text_jsonl/c4-sample.02.json.gz",
        "web_text_jsonl/c4-sample.03.json.gz",
        "web_text_jsonl/c4_100_domains_5_www.theguardian.com_00000000.jsonl.gz",
        "web_text_jsonl/cc_en_head-0091.jsonl.gz",
    ]
    .iter()
    .flat_map(|f| jsonl_texts(f))
    .collect()
}

/// Financial PhraseBank sentences, FiQA posts and SemEval headlines.
fn references() -> Vec<(&'static str, String)> {
    let mut refs: Vec<(&'static str, String)> = Vec::new();
    let pb = read("finance_sentiment/FinancialPhraseBank_Sentences_50Agree.txt");
    let pb: String = pb.iter().map(|&b| char::from(b)).collect();
    for l in pb.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        refs.push((
            "phrasebank",
            l.rsplit_once('@').map_or(l, |(s, _)| s).to_owned(),
        ));
    }
    let fiqa: serde_json::Value =
        serde_json::from_slice(&read("finance_sentiment/FiQA_task1_posts.json")).unwrap();
    for post in fiqa.as_object().unwrap().values() {
        refs.push(("fiqa", post["sentence"].as_str().unwrap().to_owned()));
    }
    let semeval: serde_json::Value =
        serde_json::from_slice(&read("finance_sentiment/SemEval2017_task5_headlines.json"))
            .unwrap();
    for h in semeval.as_array().unwrap() {
        refs.push(("semeval", h["title"].as_str().unwrap().to_owned()));
    }
    refs
}

/// A reference set of about a million distinct 13-grams: 40,000 pseudo-random 37-word
/// examples over a 50,000-word vocabulary.
fn million_ngram_index() -> ReferenceIndex {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let examples: Vec<String> = (0..40_000)
        .map(|_| {
            (0..37)
                .map(|_| format!("w{}", next() % 50_000))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    ReferenceIndex::build(
        &DecontaminationConfig::default(),
        examples.iter().map(|e| ("synthetic", e.as_str())),
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let sets = [("ectsum", ectsum()), ("web", web())];
    let fineweb = PiiRedactor::default();
    let all = PiiRedactor::new(PiiConfig {
        phone: true,
        credit_card: true,
        iban: true,
        ..PiiConfig::default()
    })
    .unwrap();
    let refs = references();
    let index = ReferenceIndex::build(
        &DecontaminationConfig::default(),
        refs.iter().map(|(n, t)| (*n, t.as_str())),
    )
    .unwrap();
    let big = million_ngram_index();
    eprintln!(
        "finance_sentiment index: {} n-grams, {} bytes; synthetic: {} n-grams, {:.1} MB \
         ({:.1} MB per million n-grams)",
        index.stats().ngrams,
        index.memory_bytes(),
        big.stats().ngrams,
        big.memory_bytes() as f64 / 1e6,
        big.memory_bytes() as f64 / big.stats().ngrams as f64
    );
    let mut group = c.benchmark_group("pii_decon");
    group.sample_size(10);
    for (name, texts) in &sets {
        let bytes: usize = texts.iter().map(String::len).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("{name}_pii_email_ip"), |b| {
            b.iter(|| {
                for t in texts {
                    black_box(fineweb.redact(t));
                }
            })
        });
        group.bench_function(format!("{name}_pii_all_kinds"), |b| {
            b.iter(|| {
                for t in texts {
                    black_box(all.redact(t));
                }
            })
        });
        group.bench_function(format!("{name}_decontaminate_finance_refs"), |b| {
            b.iter(|| {
                for t in texts {
                    black_box(index.find(t));
                }
            })
        });
        group.bench_function(format!("{name}_decontaminate_1m_ngrams"), |b| {
            b.iter(|| {
                for t in texts {
                    black_box(big.find(t));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
