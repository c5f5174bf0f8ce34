//! Prints the words of each document of a JSONL file as one JSON array per line, to check
//! the word splitter against a reference tokenizer.
//!
//! Usage: `cargo run -p curate-filters --example split_words -- IN.jsonl > OUT.jsonl`

use std::io::{BufRead, BufWriter, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: split_words IN.jsonl")?;
    let file = std::io::BufReader::new(std::fs::File::open(&path)?);
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    for line in file.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: serde_json::Value = serde_json::from_str(&line)?;
        let text = rec["text"].as_str().ok_or("record without text")?;
        let words = curate_filters::word_split::words(text);
        writeln!(
            out,
            "{}",
            serde_json::json!({"id": rec["id"], "words": words})
        )?;
    }
    Ok(())
}
