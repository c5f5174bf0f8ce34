//! Token counting throughput with the GPT-NeoX tokenizer on real earnings-call transcripts,
//! single thread, for several piece sizes (the default, smaller, larger, and whole
//! documents).
//!
//! `cargo bench -p curate-tokenizer --bench count`; throughput is in bytes of UTF-8 text.

use std::io::Read;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use curate_tokenizer::{BpeTokenizer, DEFAULT_PIECE_BYTES};

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

fn bench(c: &mut Criterion) {
    let json = gunzip("reference_tokenizers/gpt-neo-test-tokenizer.json.gz");
    let texts: Vec<String> =
        String::from_utf8(gunzip("ectsum_earnings_calls/ectsum_train.jsonl.gz"))
            .unwrap()
            .lines()
            .take(DOCS)
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["text"].as_str().unwrap().to_string()
            })
            .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("count_neox_ectsum");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    for (name, piece) in [
        ("default", DEFAULT_PIECE_BYTES),
        ("pieces_512", 512),
        ("pieces_8k", 8 * 1024),
        ("pieces_32k", 32 * 1024),
        ("whole", usize::MAX),
    ] {
        let tok = BpeTokenizer::from_json_bytes(json.clone())
            .unwrap()
            .with_piece_bytes(piece);
        group.bench_function(name, |b| {
            b.iter(|| texts.iter().map(|t| tok.count(t).unwrap()).sum::<usize>())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
