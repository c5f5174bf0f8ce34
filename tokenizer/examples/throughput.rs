//! Single-thread encode and count throughput of the fast path and of HF `tokenizers` on the
//! `text` field of a JSON Lines file (plain or `.gz`), one JSON line per measurement.
//!
//! `taskset -c 0 cargo run --profile dist -p curate-tokenizer --example throughput -- \
//!     TOKENIZER.json[.gz] IN.jsonl[.gz] [fast-encode fast-count hf-encode hf-count]`
//!
//! Each measurement runs over all texts (read into memory first) `REPEAT` times (default 3)
//! and reports the best pass in MB (10^6 bytes) of UTF-8 text per second of wall time, and
//! the mean pass per second of the thread's CPU time.

use std::io::Read;
use std::time::Instant;

use curate_tokenizer::BpeTokenizer;

fn read(path: &str) -> std::io::Result<Vec<u8>> {
    let raw = std::fs::read(path)?;
    if !path.ends_with(".gz") {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut out)?;
    Ok(out)
}

/// CPU time of this thread in seconds, from `/proc/thread-self/schedstat` (Linux, in
/// nanoseconds): on a shared machine wall time overstates the cost.
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(tok_path), Some(input)) = (args.get(1), args.get(2)) else {
        return Err("usage: throughput TOKENIZER.json IN.jsonl [MODE...]".into());
    };
    let modes: Vec<&str> = if args.len() > 3 {
        args[3..].iter().map(String::as_str).collect()
    } else {
        vec!["fast-encode", "fast-count", "hf-encode", "hf-count"]
    };
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let json = read(tok_path)?;
    let mut texts = Vec::new();
    for line in String::from_utf8(read(input)?)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        texts.push(v["text"].as_str().unwrap_or_default().to_string());
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    for mode in modes {
        let (path, op) = mode.split_once('-').ok_or("mode is PATH-OP")?;
        let tok = BpeTokenizer::from_json_bytes(json.clone())?.with_fast_path(path == "fast");
        let mut best = f64::INFINITY;
        let mut tokens = 0;
        let cpu = thread_cpu_seconds();
        for _ in 0..repeat {
            let start = Instant::now();
            tokens = 0;
            for t in &texts {
                tokens += match op {
                    "encode" => tok.encode(t)?.len(),
                    _ => tok.count(t)?,
                };
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        // The scheduler updates the CPU clock at ticks, so short passes are timed together.
        let cpu = cpu
            .zip(thread_cpu_seconds())
            .map(|(a, b)| (b - a) / repeat as f64);
        println!(
            "{}",
            serde_json::json!({
                "mode": mode, "encoder_path": tok.encoder_path(), "input": input,
                "docs": texts.len(), "text_bytes": bytes, "tokens": tokens,
                "seconds": best, "mb_per_s": bytes as f64 / 1e6 / best,
                "cpu_seconds": cpu, "mb_per_cpu_s": cpu.map(|c| bytes as f64 / 1e6 / c),
            })
        );
    }
    Ok(())
}
