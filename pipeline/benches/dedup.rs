//! Dedup stage throughput on one core: pass 1 (read the parts, hash every document), the
//! global step and pass 2 (re-read, write kept and removed parts), as `curate run` does
//! it, on the ECTSum earnings-call transcripts (30 MB of text, 1,681 documents).
//!
//! `cargo bench -p curate --bench dedup`. Throughput is in MB of document text; the index
//! bytes per document of each method are printed from the stage record.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use curate::job::load_job;
use curate::runner::{RunOptions, run_job};
use curate::stages::Stage;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora/ectsum_earnings_calls/ectsum_train.jsonl.gz")
        .canonicalize()
        .expect("the ECTSum corpus is beside the repository")
}

/// Writes a job with one `[dedup.<method>]` table and runs it once; returns the job file
/// and the text bytes the stage reads.
fn prepare(dir: &Path, method: &str) -> (PathBuf, u64) {
    let job = dir.join(format!("{method}.toml"));
    std::fs::write(
        &job,
        format!(
            "[job]\nname = \"{method}\"\n\n[[source]]\nname = \"ectsum\"\ndomain = \"finance\"\n\
             format = \"jsonl\"\npaths = [{:?}]\n\n[dedup.{method}]\n",
            corpus().to_string_lossy()
        ),
    )
    .unwrap();
    run_job(&load_job(&job).unwrap(), &options()).unwrap();
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("runs/{method}/03-dedup/_stage.json"))).unwrap(),
    )
    .unwrap();
    let summary = &record["summary"];
    println!(
        "dedup {method}: index {} bytes/document ({})",
        summary["dedup"]["memory"]["bytes_per_document"], summary["dedup"]["memory"]
    );
    let bytes = summary["total"]["input"]["bytes"].as_u64().unwrap();
    (job, bytes)
}

fn options() -> RunOptions {
    RunOptions {
        until: Some(Stage::Dedup),
        force: Some(Stage::Dedup),
        threads: 1,
        show_progress: false,
        ..RunOptions::default()
    }
}

fn bench_dedup(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("dedup_stage");
    group.sample_size(10);
    for method in ["exact", "minhash", "lines"] {
        let (job, bytes) = prepare(dir.path(), method);
        let job = load_job(&job).unwrap();
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(method, |b| b.iter(|| run_job(&job, &options()).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench_dedup);
criterion_main!(benches);
