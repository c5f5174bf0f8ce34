//! Encode and count throughput, one thread, of the fast path and of HF `tokenizers` (the
//! same tokenizer with the fast path switched off), with the GPT-NeoX tokenizer on
//! earnings-call transcripts (ECTSum) and on the web text samples (C4, CCNet).
//!
//! `taskset -c 0 cargo bench -p curate-tokenizer --bench count`; throughput is in bytes of
//! UTF-8 text. For figures beside Python HF and tiktoken on the same input, see
//! `examples/throughput.rs` and `benches/peers_tokenize.py`.

use std::io::Read;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use curate_tokenizer::BpeTokenizer;

/// Number of transcripts measured (about 3.6 MB of text).
const DOCS: usize = 200;

fn gunzip(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora")
        .join(rel);
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("corpus file {} is required: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn texts(files: &[&str], docs: usize) -> Vec<String> {
    files
        .iter()
        .flat_map(|f| {
            String::from_utf8(gunzip(f))
                .unwrap()
                .lines()
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    v["text"].as_str().unwrap().to_string()
                })
                .collect::<Vec<_>>()
        })
        .take(docs)
        .collect()
}

fn bench(c: &mut Criterion) {
    let json = gunzip("reference_tokenizers/gpt-neo-test-tokenizer.json.gz");
    let inputs = [
        (
            "ectsum",
            texts(&["ectsum_earnings_calls/ectsum_train.jsonl.gz"], DOCS),
        ),
        (
            "web",
            texts(
                &[
                    "web_text_jsonl/c4-sample.01.json.gz",
                    "web_text_jsonl/c4-sample.02.json.gz",
                    "web_text_jsonl/c4-sample.03.json.gz",
                    "web_text_jsonl/c4_100_domains_5_www.theguardian.com_00000000.jsonl.gz",
                    "web_text_jsonl/cc_en_head-0091.jsonl.gz",
                ],
                usize::MAX,
            ),
        ),
    ];
    let fast = BpeTokenizer::from_json_bytes(json.clone()).unwrap();
    assert_eq!(fast.encoder_path(), "fast");
    let hf = BpeTokenizer::from_json_bytes(json)
        .unwrap()
        .with_fast_path(false);
    for (name, texts) in &inputs {
        let bytes: usize = texts.iter().map(String::len).sum();
        let mut group = c.benchmark_group(format!("neox_{name}"));
        group.throughput(Throughput::Bytes(bytes as u64));
        group.sample_size(10);
        for (path, tok) in [("fast", &fast), ("huggingface", &hf)] {
            group.bench_function(format!("{path}_encode"), |b| {
                b.iter(|| {
                    texts
                        .iter()
                        .map(|t| tok.encode(t).unwrap().len())
                        .sum::<usize>()
                })
            });
            group.bench_function(format!("{path}_count"), |b| {
                b.iter(|| texts.iter().map(|t| tok.count(t).unwrap()).sum::<usize>())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
