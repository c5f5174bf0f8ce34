//! Prints the heuristic filters' decision on every document of a JSONL file, one JSON line
//! per document: `{"id", "gopher_rep", "gopher_quality", "c4", "c4_chars_after", "fineweb"}`
//! with `"keep"` or the drop reason (the shape the peer comparison scripts read).
//!
//! Usage: `cargo run --release -p curate-filters --example heuristic_decisions -- IN.jsonl > OUT.jsonl`
//! (each input line an object with `id` and `text`).

use std::io::{BufRead, BufWriter, Write};

use curate_filters::c4::C4Quality;
use curate_filters::filter::{Document, Filter};
use curate_filters::fineweb::FineWebQuality;
use curate_filters::gopher_quality::GopherQuality;
use curate_filters::gopher_repetition::GopherRepetition;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: heuristic_decisions IN.jsonl")?;
    let file = std::io::BufReader::new(std::fs::File::open(&path)?);
    let (rep, quality, c4, fineweb) = (
        GopherRepetition::default(),
        GopherQuality::default(),
        C4Quality::default(),
        FineWebQuality::default(),
    );
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    for line in file.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: serde_json::Value = serde_json::from_str(&line)?;
        let id = match &rec["id"] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let text = rec["text"].as_str().ok_or("record without text")?;
        let doc = Document::new(text, None);
        let show = |r: Option<&'static str>| r.unwrap_or("keep");
        let (c4_verdict, c4_text) = c4.apply(&doc);
        let row = serde_json::json!({
            "id": id,
            "gopher_rep": show(rep.check(&doc).drop_reason),
            "gopher_quality": show(quality.check(&doc).drop_reason),
            "c4": show(c4_verdict.drop_reason),
            "c4_chars_after": c4_text.as_deref().map(|t| t.chars().count()).unwrap_or(0),
            "fineweb": show(fineweb.check(&doc).drop_reason),
        });
        writeln!(out, "{row}")?;
    }
    Ok(())
}
