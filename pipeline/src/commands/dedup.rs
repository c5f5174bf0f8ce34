//! `curate dedup`: deduplicate JSONL or Parquet files outside a job, with the dedup
//! stage's methods and keep rule (first seen wins: inputs in the order given, rows in
//! file order).
//!
//! The documents are held in memory: this is for samples and ad hoc checks; a corpus goes
//! through a job, whose stage holds only fixed-size records per document.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow::array::{Array, AsArray, LargeStringArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use clap::Args;
use curate_filters::dedup::{
    LineDedupConfig, MinHashPreset, NumberMode, Scratch, TextNorm, lines::LineDedupMode,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;

use crate::ingest::ReadItem;
use crate::ingest::fields::FieldMap;
use crate::ingest::jsonl::JsonlReader;
use crate::job::DedupSection;
use crate::job::dedup::{ExactSection, MinHashSection};
use crate::run::atomic::write_atomic;
use crate::run::part_writer::PartWriter;
use crate::stages::dedup::decide::{IndexBudget, Reason, decide};
use crate::stages::dedup::signatures::{LineCounts, Signatures, Signer, doc_index};

#[derive(Debug, Args)]
pub struct DedupArgs {
    /// JSONL (optionally .gz/.zst) or Parquet files, with `id`, `url` and `text` fields.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The output directory: one file per input with the kept documents, and
    /// `removed.jsonl`.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Remove exact duplicates (the default when no method is named).
    #[arg(long)]
    pub exact: bool,
    /// Remove MinHash LSH near-duplicates (the default when no method is named).
    #[arg(long)]
    pub minhash: bool,
    /// Remove lines repeated in more than `--max-line-docs` documents.
    #[arg(long)]
    pub lines: bool,
    /// Exact dedup text normalisation.
    #[arg(long, value_parser = ["none", "whitespace", "whitespace_case"], default_value = "whitespace")]
    pub normalization: String,
    /// MinHash preset the other MinHash flags override.
    #[arg(long, value_parser = ["fineweb", "redpajama_v2", "text_dedup"])]
    pub preset: Option<String>,
    /// Words per shingle.
    #[arg(long)]
    pub ngram: Option<usize>,
    #[arg(long)]
    pub bands: Option<usize>,
    #[arg(long)]
    pub rows: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Numbers before shingling.
    #[arg(long, value_parser = ["keep", "normalize"])]
    pub numbers: Option<String>,
    /// Confirm near-duplicate pairs by exact Jaccard similarity at this threshold.
    #[arg(long)]
    pub verify_threshold: Option<f64>,
    /// Line dedup: lines in more than this many documents are removed.
    #[arg(long, default_value_t = 10)]
    pub max_line_docs: u32,
}

/// One document read from an input.
struct Doc {
    input: usize,
    id: String,
    url: Option<String>,
    text: String,
}

pub fn run(args: DedupArgs) -> Result<()> {
    let section = section_of(&args)?;
    section
        .validate()
        .map_err(|(key, message)| anyhow::anyhow!("{key}: {message}"))?;
    let names: BTreeSet<String> = args.inputs.iter().map(|p| file_name(p)).collect();
    if names.len() != args.inputs.len() {
        bail!("inputs must have distinct file names: each gives one output file");
    }
    let mut docs = Vec::new();
    for (input, path) in args.inputs.iter().enumerate() {
        read_input(input, path, &mut docs)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    let signer = Signer::new(&section)?;
    let keys: Vec<_> = docs
        .par_iter()
        .map_init(Scratch::default, |scratch, d| {
            signer.sign(&d.text, d.url.as_deref(), scratch)
        })
        .collect();
    let mut signatures = Signatures::default();
    let mut records = Vec::new();
    for (doc, keys) in keys.into_iter().enumerate() {
        signatures.push(doc_index(doc)?, 0, 0, keys, &mut records);
    }
    // The documents are in memory already: so is the index (nothing spills).
    let budget = IndexBudget {
        dir: args.output.clone(),
        bytes: None,
    };
    let bands = budget.band_sorter(&signer, docs.len());
    bands.extend(&records)?;
    drop(records);
    let verify = section.minhash.as_ref().and_then(|m| m.verify_threshold);
    let mut decisions = decide(signatures, bands, &signer, verify, &budget, |wanted| {
        Ok(wanted
            .iter()
            .map(|&d| (d, docs[d as usize].text.clone()))
            .collect())
    })?;
    if signer.counts_lines() {
        let mut counts = LineCounts::default();
        for (i, doc) in docs.iter().enumerate() {
            if decisions.removed[i].is_none() {
                counts.observe(&signer, 0, doc_index(i)?, &doc.text);
            }
        }
        decisions.set_line_counts(counts);
    }

    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let mut kept: BTreeMap<usize, Vec<(&Doc, Option<String>)>> = BTreeMap::new();
    let mut removed = Vec::new();
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut edited_out = 0usize;
    for (i, doc) in docs.iter().enumerate() {
        let (reason, keeper) = match decisions.removed[i] {
            Some(removal) => (Some(removal.reason), Some(removal.keeper)),
            None => match decisions.line_dedupers.get(&0) {
                Some(deduper) => {
                    let result = deduper.apply_doc(i as u32, &doc.text);
                    if result.drop_reason.is_some() {
                        (Some(Reason::LinesAllRepeated), None)
                    } else {
                        edited_out += result.removed_bytes;
                        let text = (result.removed_lines > 0).then_some(result.text);
                        kept.entry(doc.input).or_default().push((doc, text));
                        (None, None)
                    }
                }
                None => {
                    kept.entry(doc.input).or_default().push((doc, None));
                    (None, None)
                }
            },
        };
        if let Some(reason) = reason {
            *counts.entry(reason.as_str()).or_default() += 1;
            removed.push(serde_json::json!({
                "id": doc.id,
                "reason": reason.as_str(),
                "cluster": keeper,
                "kept_id": keeper.map(|k| docs[k as usize].id.as_str()),
            }));
        }
    }
    let mut body = Vec::new();
    for record in &removed {
        serde_json::to_writer(&mut body, record)?;
        body.push(b'\n');
    }
    write_atomic(&args.output.join("removed.jsonl"), &body)?;
    for (input, path) in args.inputs.iter().enumerate() {
        let rows = kept.remove(&input).unwrap_or_default();
        write_output(path, &args.output, &rows)?;
    }

    let kept_total = docs.len() - removed.len();
    let by: Vec<String> = counts.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let mut line = format!("kept {kept_total} of {} documents", docs.len());
    if !by.is_empty() {
        line.push_str(&format!("; removed {}", by.join(", ")));
    }
    if edited_out > 0 {
        line.push_str(&format!("; {edited_out} bytes of repeated lines removed"));
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}; output in {}", args.output.display())?;
    Ok(())
}

/// The `[dedup]` section the flags describe.
fn section_of(args: &DedupArgs) -> Result<DedupSection> {
    let (exact, minhash) = if !args.exact && !args.minhash && !args.lines {
        (true, true)
    } else {
        (args.exact, args.minhash)
    };
    let normalization: TextNorm = from_name(&args.normalization)?;
    let preset: Option<MinHashPreset> = args.preset.as_deref().map(from_name).transpose()?;
    let numbers: Option<NumberMode> = args.numbers.as_deref().map(from_name).transpose()?;
    if args.max_line_docs == 0 {
        bail!("--max-line-docs must be at least 1");
    }
    Ok(DedupSection {
        exact: exact.then(|| ExactSection {
            normalization,
            ..ExactSection::default()
        }),
        minhash: minhash.then_some(MinHashSection {
            preset,
            ngram: args.ngram,
            bands: args.bands,
            rows: args.rows,
            seed: args.seed,
            numbers,
            verify_threshold: args.verify_threshold,
        }),
        lines: args.lines.then(|| LineDedupConfig {
            mode: LineDedupMode::Frequent,
            max_docs: args.max_line_docs,
            ..LineDedupConfig::default()
        }),
        ..DedupSection::default()
    })
}

/// A setting named as in the job file (`whitespace_case`, `redpajama_v2`, ...).
fn from_name<T: serde::de::DeserializeOwned>(name: &str) -> Result<T> {
    toml::Value::String(name.to_owned())
        .try_into()
        .with_context(|| format!("unknown value `{name}`"))
}

fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "parquet")
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".to_owned())
}

fn read_input(input: usize, path: &Path, docs: &mut Vec<Doc>) -> Result<()> {
    let name = file_name(path);
    if is_parquet(path) {
        let file = std::fs::File::open(path)?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
        let mut row_number = 0u64;
        for batch in reader {
            let batch = batch?;
            let column = |n: &str| batch.column_by_name(n).cloned();
            let text = column("text").context("no `text` column")?;
            let ids = column("id");
            let urls = column("url");
            for row in 0..batch.num_rows() {
                row_number += 1;
                let Some(text) = string_at(text.as_ref(), row) else {
                    continue;
                };
                docs.push(Doc {
                    input,
                    id: ids
                        .as_ref()
                        .and_then(|a| string_at(a.as_ref(), row))
                        .map_or_else(|| format!("{name}:{row_number}"), str::to_owned),
                    url: urls
                        .as_ref()
                        .and_then(|a| string_at(a.as_ref(), row))
                        .map(str::to_owned),
                    text: text.to_owned(),
                });
            }
        }
        return Ok(());
    }
    for item in JsonlReader::open(path, FieldMap::default())? {
        match item {
            ReadItem::Document { document, position } => docs.push(Doc {
                input,
                id: document
                    .id
                    .unwrap_or_else(|| format!("{name}:{}", position_number(position))),
                url: document.url,
                text: document.text,
            }),
            ReadItem::Skipped(skipped) => bail!(
                "{} at {}: {}",
                skipped.reason.as_str(),
                skipped.position,
                skipped.detail
            ),
        }
    }
    Ok(())
}

fn position_number(position: crate::ingest::Position) -> u64 {
    match position {
        crate::ingest::Position::Line(n)
        | crate::ingest::Position::Row(n)
        | crate::ingest::Position::Byte(n) => n,
    }
}

fn string_at(array: &dyn Array, row: usize) -> Option<&str> {
    if !array.is_valid(row) {
        return None;
    }
    if let Some(a) = array.as_string_opt::<i32>() {
        return Some(a.value(row));
    }
    array.as_string_opt::<i64>().map(|a| a.value(row))
}

/// Writes the kept documents of one input under the output directory, in its format
/// (JSONL is written uncompressed, as `{id, url, text}` objects).
fn write_output(input: &Path, dir: &Path, rows: &[(&Doc, Option<String>)]) -> Result<()> {
    let name = file_name(input);
    let text_of = |(doc, text): &(&Doc, Option<String>)| -> String {
        text.clone().unwrap_or_else(|| doc.text.clone())
    };
    if is_parquet(input) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("url", DataType::Utf8, true),
            Field::new("text", DataType::LargeUtf8, false),
        ]));
        let ids: StringArray = rows.iter().map(|(d, _)| Some(d.id.as_str())).collect();
        let urls: StringArray = rows.iter().map(|(d, _)| d.url.as_deref()).collect();
        let texts: LargeStringArray = rows.iter().map(|r| Some(text_of(r))).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(ids), Arc::new(urls), Arc::new(texts)],
        )?;
        let mut writer = PartWriter::create(&dir.join(&name), schema, 4096)?;
        writer.write(&batch)?;
        writer.commit()?;
        return Ok(());
    }
    let stem = ["gz", "zst"]
        .iter()
        .find_map(|ext| name.strip_suffix(&format!(".{ext}")))
        .unwrap_or(&name)
        .to_owned();
    let mut body = Vec::new();
    for row in rows {
        let record = serde_json::json!({"id": row.0.id, "url": row.0.url, "text": text_of(row)});
        serde_json::to_writer(&mut body, &record)?;
        body.push(b'\n');
    }
    write_atomic(&dir.join(stem), &body)?;
    Ok(())
}
