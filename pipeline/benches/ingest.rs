//! Ingest throughput on one core: read, decompress, parse (and for WARC extract HTML),
//! build Arrow batches and encode them as zstd Parquet, as the ingest stage does.
//!
//! `cargo bench -p curate --bench ingest`. Throughput is reported in MB of input as it
//! is on disk (compressed) and, in the printed summary, of decompressed text.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use curate::document::{DOCUMENT_SCHEMA, DocumentBatchBuilder};
use curate::ingest::ReadItem;
use curate::ingest::fields::FieldMap;
use curate::ingest::jsonl::JsonlReader;
use curate::ingest::warc::{WebReaderOptions, open_web_archive};
use parquet::arrow::ArrowWriter;

fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora")
}

/// Builds batches of 4096 documents and writes them as Parquet into memory; returns text bytes.
fn ingest(items: impl Iterator<Item = ReadItem>) -> usize {
    let mut writer = ArrowWriter::try_new(Vec::new(), DOCUMENT_SCHEMA.clone(), None).unwrap();
    let mut builder = DocumentBatchBuilder::with_capacity(4096);
    let mut text_bytes = 0;
    for item in items {
        if let ReadItem::Document { document, .. } = item {
            text_bytes += document.text.len();
            builder.push(
                "id",
                "bench",
                "general",
                document.url.as_deref(),
                &document.text,
            );
            if builder.rows() == 4096 {
                writer.write(&builder.finish().unwrap()).unwrap();
            }
        }
    }
    writer.write(&builder.finish().unwrap()).unwrap();
    writer.close().unwrap();
    text_bytes
}

fn bench_ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);

    let jsonl = corpora().join("ectsum_earnings_calls/ectsum_train.jsonl.gz");
    group.throughput(Throughput::Bytes(std::fs::metadata(&jsonl).unwrap().len()));
    group.bench_function("jsonl_gz_ectsum", |b| {
        b.iter(|| ingest(JsonlReader::open(&jsonl, FieldMap::default()).unwrap()))
    });

    let warc_files: Vec<PathBuf> = [
        "web_warc_samples/resiliparse_cc2020/warcfile.warc.gz",
        "web_warc_samples/dolma_wget2024/sample-0000.warc.gz",
        "web_warc_samples/commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz",
    ]
    .iter()
    .map(|p| corpora().join(p))
    .collect();
    let warc_bytes: u64 = warc_files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    group.throughput(Throughput::Bytes(warc_bytes));
    let options = WebReaderOptions::default();
    group.bench_function("warc_html_extraction", |b| {
        b.iter(|| {
            warc_files
                .iter()
                .map(|f| ingest(open_web_archive(f, &options).unwrap()))
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_ingest);
criterion_main!(benches);
