//! Throughput of the dedup algorithms on real text (ECTSum earnings-call transcripts,
//! 30 MB): exact hashing, MinHash signatures + LSH clustering, and line counting.
//!
//! Run with `cargo bench -p curate-filters --bench dedup`; MB/s are of UTF-8 text bytes.

use std::io::Read;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use curate_filters::dedup::{
    ExactDeduper, LineCounter, LineDedupConfig, MinHashConfig, MinHasher, NearDupDeduper, Scratch,
    TextNorm,
};

fn texts() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora/ectsum_earnings_calls/ectsum_train.jsonl.gz");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut raw = String::new();
    flate2::read::MultiGzDecoder::new(file)
        .read_to_string(&mut raw)
        .unwrap();
    raw.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let texts = texts();
    let bytes: usize = texts.iter().map(String::len).sum();

    // The index size per document, printed once for the record.
    let mut d = NearDupDeduper::new(MinHashConfig::default()).unwrap();
    d.reserve(texts.len());
    for t in &texts {
        d.add(t, 0).unwrap();
    }
    let held = d.memory_bytes();
    let out = d.finish().unwrap();
    eprintln!(
        "minhash index: {} docs, {} bytes of band records ({} per doc), {} bytes with priorities ({} per doc), removed {}",
        texts.len(),
        out.index_bytes,
        out.index_bytes / texts.len(),
        held,
        held / texts.len(),
        out.removed()
    );

    let mut g = c.benchmark_group("dedup");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("exact_xxh3_128_whitespace", |b| {
        b.iter(|| {
            let mut d = ExactDeduper::new(TextNorm::Whitespace);
            texts
                .iter()
                .filter(|t| d.observe(t).unwrap().is_first_seen())
                .count()
        })
    });
    g.bench_function("exact_xxh3_128_raw", |b| {
        b.iter(|| {
            let mut d = ExactDeduper::new(TextNorm::None);
            texts
                .iter()
                .filter(|t| d.observe(t).unwrap().is_first_seen())
                .count()
        })
    });
    g.bench_function("minhash_signature_only", |b| {
        let h = MinHasher::new(MinHashConfig::default()).unwrap();
        let mut s = Scratch::default();
        let mut bands = Vec::new();
        b.iter(|| {
            texts
                .iter()
                .filter(|t| h.band_hashes(t, &mut s, &mut bands))
                .count()
        })
    });
    g.bench_function("minhash_signature_lsh_cluster", |b| {
        b.iter(|| {
            let mut d = NearDupDeduper::new(MinHashConfig::default()).unwrap();
            for t in &texts {
                d.add(t, 0).unwrap();
            }
            d.finish().unwrap().removed()
        })
    });
    g.bench_function("line_counter_observe", |b| {
        b.iter(|| {
            let mut c = LineCounter::new(LineDedupConfig::default());
            for t in &texts {
                c.observe(t);
            }
            c.distinct_lines()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
