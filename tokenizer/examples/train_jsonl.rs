//! Trains a tokenizer on the `text` field of a JSON Lines file with the default
//! [`TrainConfig`] (vocabulary size from the third argument) and writes `tokenizer.json`.
//!
//! `PATTERN=cl100k` trains with the cl100k / Llama 3 split pattern, `PATTERN=o200k` with
//! o200k's, `PATTERN=gpt2` with the
//! GPT-2 pattern as an explicit `Split` step (default: the `ByteLevel` pre-tokenizer's own).
//!
//! `cargo run --release -p curate-tokenizer --example train_jsonl -- IN.jsonl OUT.json [VOCAB]`

use std::path::Path;
use std::time::Instant;

use curate_tokenizer::{BpeTokenizer, CL100K_PATTERN, GPT2_PATTERN, O200K_PATTERN, TrainConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(input), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: train_jsonl IN.jsonl OUT.json [VOCAB]".into());
    };
    let mut config = TrainConfig::default();
    if let Some(v) = args.get(3) {
        config.vocab_size = v.parse()?;
    }
    config.pattern = match std::env::var("PATTERN").as_deref() {
        Ok("cl100k") => Some(CL100K_PATTERN.to_string()),
        Ok("gpt2") => Some(GPT2_PATTERN.to_string()),
        Ok("o200k") => Some(O200K_PATTERN.to_string()),
        Ok(other) => return Err(format!("PATTERN {other:?} is not cl100k, o200k or gpt2").into()),
        Err(_) => None,
    };
    let texts: Vec<String> = std::fs::read_to_string(input)?
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .map(|v| v["text"].as_str().unwrap_or_default().to_string())
        })
        .collect::<Result<_, _>>()?;
    let start = Instant::now();
    let tok = BpeTokenizer::train(texts.iter(), &config)?;
    let seconds = start.elapsed().as_secs_f64();
    tok.save(Path::new(out))?;
    println!(
        "{}",
        serde_json::json!({"task": "bpe_train", "docs": texts.len(), "seconds": seconds,
            "vocab_size": tok.vocab_size(), "fingerprint": tok.fingerprint_hex()})
    );
    Ok(())
}
