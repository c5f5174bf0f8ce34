//! Throughput of the four heuristic filters together (Gopher repetition, Gopher quality,
//! C4 quality with its rewritten text, FineWeb quality) on real earnings-call transcripts,
//! one shared analysis per document, single thread. Reported in bytes of text per second.

use std::hint::black_box;
use std::io::Read;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use curate_filters::c4::C4Quality;
use curate_filters::filter::{Document, Filter};
use curate_filters::fineweb::FineWebQuality;
use curate_filters::gopher_quality::GopherQuality;
use curate_filters::gopher_repetition::GopherRepetition;

fn load_texts() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora/ectsum_earnings_calls/ectsum_train.jsonl.gz");
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{} is missing: {e}", path.display()));
    let mut jsonl = String::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_string(&mut jsonl)
        .unwrap();
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

fn heuristics(c: &mut Criterion) {
    let texts = load_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let (rep, quality, c4, fineweb) = (
        GopherRepetition::default(),
        GopherQuality::default(),
        C4Quality::default(),
        FineWebQuality::default(),
    );
    let mut group = c.benchmark_group("heuristics");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("ectsum_four_filters", |b| {
        b.iter(|| {
            let mut kept = 0usize;
            for t in &texts {
                let doc = Document::new(t, None);
                let r = rep.check(&doc);
                let q = quality.check(&doc);
                let (c, text) = c4.apply(&doc);
                let f = fineweb.check(&doc);
                kept += usize::from(r.is_keep() && q.is_keep() && c.is_keep() && f.is_keep());
                black_box(text);
            }
            black_box(kept)
        })
    });
    group.bench_function("ectsum_analysis_only", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(Document::new(t, None).analysis().words().len());
            }
        })
    });
    // Each filter alone on documents whose analysis is already computed: the cost a
    // filter adds on top of the shared analysis.
    let docs: Vec<Document<'_>> = texts.iter().map(|t| Document::new(t, None)).collect();
    for d in &docs {
        black_box(d.analysis());
    }
    let filters: [(&str, &dyn Filter); 4] = [
        ("gopher_rep", &rep),
        ("gopher_quality", &quality),
        ("c4", &c4),
        ("fineweb", &fineweb),
    ];
    for (name, f) in filters {
        group.bench_function(format!("ectsum_{name}_after_analysis"), |b| {
            b.iter(|| {
                for d in &docs {
                    black_box(f.check(d));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, heuristics);
criterion_main!(benches);
