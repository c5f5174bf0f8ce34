//! `curate train-tokenizer`: a byte-level BPE trained on loose JSONL or Parquet files,
//! with the same settings as a job's `[tokenizer]` table.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use curate_tokenizer::{BpeTokenizer, ENDOFTEXT};

use super::inputs::{FieldArgs, for_each_document};
use crate::job::spec::TokenizerSection;
use crate::progress::human_bytes;
use crate::stages::tokenizer::train_config;

#[derive(Debug, Args)]
pub struct TrainTokenizerArgs {
    /// JSONL (optionally gzip/zstd) or Parquet files to train on, read in order.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Vocabulary size, the 256 byte symbols and the special tokens included.
    #[arg(long)]
    pub vocab_size: usize,
    /// A pair must occur at least this often to be merged.
    #[arg(long, default_value_t = 2)]
    pub min_frequency: u64,
    /// Special tokens, in id order; the end-of-text token is `<|endoftext|>` when listed,
    /// else the first.
    #[arg(long, value_delimiter = ',', default_value = ENDOFTEXT)]
    pub special_tokens: Vec<String>,
    /// Stop reading after this many bytes of text (the first documents, in input order).
    #[arg(long)]
    pub max_bytes: Option<u64>,
    /// Where to write the `tokenizer.json`.
    #[arg(short, long)]
    pub output: PathBuf,
    #[command(flatten)]
    pub fields: FieldArgs,
}

pub fn run(args: TrainTokenizerArgs) -> Result<()> {
    let section = TokenizerSection {
        vocab_size: args.vocab_size,
        min_frequency: args.min_frequency,
        special_tokens: args.special_tokens.clone(),
        ..TokenizerSection::default()
    };
    let config = train_config(&section);
    config.validate()?;
    let limit = args.max_bytes.unwrap_or(u64::MAX);
    let mut texts = Vec::new();
    let mut bytes = 0u64;
    for input in &args.inputs {
        if bytes >= limit {
            break;
        }
        for_each_document(input, &args.fields, |_, text| {
            if bytes < limit {
                bytes += text.len() as u64;
                texts.push(text);
            }
            Ok(())
        })?;
    }
    if texts.is_empty() {
        bail!("the inputs hold no documents");
    }
    let tokenizer =
        BpeTokenizer::train(texts.iter(), &config).context("tokenizer training failed")?;
    tokenizer
        .save(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "trained on {} documents ({}): {} ids, fingerprint {}, written to {}",
        texts.len(),
        human_bytes(bytes),
        tokenizer.vocab_size(),
        tokenizer.fingerprint_hex(),
        args.output.display()
    );
    Ok(())
}
