//! Prints the ids curate gives each text, for comparison with Python `tokenizers`
//! (`tests/python/tokenizer_identity.py`).
//!
//! Reads `{"text": ...}` JSON lines from standard input and writes `{"ids": [...]}` lines;
//! the first line written is `{"encoder_path": ..., "reason": ...}`.
//!
//! `cargo run --release -p curate-tokenizer --example encode_ids -- TOKENIZER.json < IN.jsonl`

use std::io::{BufRead, Write};
use std::path::Path;

use curate_tokenizer::BpeTokenizer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: encode_ids TOKENIZER.json < IN.jsonl > OUT.jsonl".into());
    };
    let tok = BpeTokenizer::from_file(Path::new(&path))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let head = serde_json::json!({
        "encoder_path": tok.encoder_path(),
        "reason": tok.encoder_path_reason(),
    });
    writeln!(out, "{head}")?;
    for line in std::io::stdin().lock().lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let text = v["text"].as_str().ok_or("a line without a text field")?;
        let ids = tok.encode(text)?;
        writeln!(out, "{}", serde_json::json!({ "ids": ids }))?;
    }
    Ok(())
}
