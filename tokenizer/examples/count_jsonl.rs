//! Counts tokens of the `text` field of a JSON Lines file, one thread, and prints the totals,
//! wall and CPU seconds as one JSON line; with a third argument also writes
//! `{"id", "tokens"}` per document (the format of the peer benchmark's `token_counts.jsonl`).
//!
//! `PIECE_BYTES=N` sets the piece size (`18446744073709551615` encodes documents whole).
//!
//! `cargo run --release -p curate-tokenizer --example count_jsonl -- TOKENIZER.json IN.jsonl [OUT.jsonl]`

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use curate_tokenizer::BpeTokenizer;

/// User + system CPU seconds of this process, from /proc/self/stat (Linux), if readable.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(tok), Some(input)) = (args.get(1), args.get(2)) else {
        return Err("usage: count_jsonl TOKENIZER.json IN.jsonl [OUT.jsonl]".into());
    };
    let mut tok = BpeTokenizer::from_file(Path::new(tok))?;
    // Piece size override, to compare with whole-document encoding (`usize::MAX`).
    if let Ok(p) = std::env::var("PIECE_BYTES") {
        tok = tok.with_piece_bytes(p.parse()?);
    }
    let mut ids = Vec::new();
    let mut texts = Vec::new();
    for line in std::fs::read_to_string(input)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        ids.push(v["id"].to_string());
        texts.push(v["text"].as_str().unwrap_or_default().to_string());
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let counts: Vec<usize> = texts
        .iter()
        .map(|t| tok.count(t))
        .collect::<Result<_, _>>()?;
    let seconds = wall.elapsed().as_secs_f64();
    let cpu = cpu.zip(cpu_seconds()).map(|(a, b)| b - a);
    let tokens: usize = counts.iter().sum();
    println!(
        "{}",
        serde_json::json!({
            "task": "tokenize", "docs": texts.len(), "text_bytes": bytes, "tokens": tokens,
            "seconds": seconds, "cpu_seconds": cpu,
            "text_mb_per_s": bytes as f64 / 1e6 / seconds,
            "text_mb_per_s_cpu": cpu.map(|c| bytes as f64 / 1e6 / c),
        })
    );
    if let Some(out) = args.get(3) {
        let mut f = std::io::BufWriter::new(std::fs::File::create(out)?);
        for (id, n) in ids.iter().zip(&counts) {
            writeln!(f, "{{\"id\": {id}, \"tokens\": {n}}}")?;
        }
    }
    Ok(())
}
