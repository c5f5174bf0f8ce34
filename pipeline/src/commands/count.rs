//! `curate count`: tokens per document of loose JSONL or Parquet files with a given
//! `tokenizer.json`, as the count stage makes them (special-token text counts as text).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use curate_tokenizer::BpeTokenizer;
use curate_tokenizer::format::thousands;
use serde::Serialize;

use super::inputs::{FieldArgs, for_each_document};
use crate::stages::tokenizer::load_for_counting;

/// Documents counted per batch on the worker threads.
const BATCH_DOCS: usize = 1024;

#[derive(Debug, Args)]
pub struct CountArgs {
    /// The `tokenizer.json` (or `.json.gz`) to count with.
    #[arg(long)]
    pub tokenizer: PathBuf,
    /// JSONL (optionally gzip/zstd) or Parquet files.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Write `{"id", "tokens"}` per document to this JSONL file.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub fields: FieldArgs,
}

/// One line of the per-document output.
#[derive(Serialize)]
struct DocumentCount<'a> {
    id: &'a str,
    tokens: usize,
}

/// Totals of one input.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    documents: u64,
    bytes: u64,
    tokens: u64,
}

pub fn run(args: CountArgs) -> Result<()> {
    let tokenizer = load_for_counting(&args.tokenizer)?;
    let mut sink = match &args.output {
        Some(path) => {
            Some(BufWriter::new(File::create(path).with_context(|| {
                format!("cannot create {}", path.display())
            })?))
        }
        None => None,
    };
    let mut all = Totals::default();
    for input in &args.inputs {
        let mut totals = Totals::default();
        let mut batch: Vec<(String, String)> = Vec::with_capacity(BATCH_DOCS);
        for_each_document(input, &args.fields, |id, text| {
            batch.push((id, text));
            if batch.len() == BATCH_DOCS {
                flush(&tokenizer, &mut batch, &mut totals, sink.as_mut())?;
            }
            Ok(())
        })?;
        flush(&tokenizer, &mut batch, &mut totals, sink.as_mut())?;
        println!(
            "{}\t{} documents\t{} bytes\t{} tokens",
            input.display(),
            totals.documents,
            totals.bytes,
            totals.tokens
        );
        all.documents += totals.documents;
        all.bytes += totals.bytes;
        all.tokens += totals.tokens;
    }
    if let Some(mut sink) = sink {
        sink.flush()?;
    }
    println!(
        "total\t{} documents\t{} bytes\t{} tokens",
        all.documents, all.bytes, all.tokens
    );
    eprintln!(
        "{} tokens in {} documents ({:.2} bytes/token), tokenizer {}",
        thousands(all.tokens),
        thousands(all.documents),
        all.bytes as f64 / all.tokens.max(1) as f64,
        tokenizer.fingerprint_hex()
    );
    Ok(())
}

fn flush(
    tokenizer: &BpeTokenizer,
    batch: &mut Vec<(String, String)>,
    totals: &mut Totals,
    sink: Option<&mut BufWriter<File>>,
) -> Result<()> {
    let texts: Vec<&str> = batch.iter().map(|(_, t)| t.as_str()).collect();
    let counts = tokenizer
        .count_batch(&texts)
        .context("the tokenizer failed")?;
    for ((_, text), &tokens) in batch.iter().zip(&counts) {
        totals.documents += 1;
        totals.bytes += text.len() as u64;
        totals.tokens += tokens as u64;
    }
    if let Some(sink) = sink {
        for ((id, _), &tokens) in batch.iter().zip(&counts) {
            serde_json::to_writer(&mut *sink, &DocumentCount { id, tokens })?;
            sink.write_all(b"\n")?;
        }
    }
    batch.clear();
    Ok(())
}
