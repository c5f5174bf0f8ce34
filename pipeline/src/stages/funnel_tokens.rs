//! Tokens in the funnel: once the run has a tokenizer, every earlier document stage learns
//! how many tokens it kept and dropped, per source and reason, so the report can say what
//! share of the tokens each stage kept.
//!
//! Counted after the count stage with the run's tokenizer and written into each stage's
//! `_stage.json` as a `tokens` object:
//! `{"output": {source: n}, "dropped": {source: {reason: n}}, "total_output": n,
//! "total_dropped": n}`. Dropped documents are read from `rejected/` (filter, which keeps
//! their text) and from `removed/` (dedup, whose texts are looked up in the stage before
//! it, part by part).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray};
use curate_tokenizer::BpeTokenizer;
use rayon::prelude::*;

use super::parts::{DocumentColumns, open_part};
use super::upstream::Upstream;
use super::{Stage, StageContext};
use crate::run::atomic::write_atomic;
use crate::run::stage_record::STAGE_RECORD_FILE;

/// Tokens per source, and dropped tokens per source and reason.
#[derive(Debug, Default, Clone, PartialEq)]
struct StageTokens {
    output: BTreeMap<String, u64>,
    dropped: BTreeMap<String, BTreeMap<String, u64>>,
}

impl StageTokens {
    fn merge(mut self, other: StageTokens) -> StageTokens {
        for (source, tokens) in other.output {
            *self.output.entry(source).or_default() += tokens;
        }
        for (source, reasons) in other.dropped {
            let entry = self.dropped.entry(source).or_default();
            for (reason, tokens) in reasons {
                *entry.entry(reason).or_default() += tokens;
            }
        }
        self
    }

    fn to_json(&self) -> serde_json::Value {
        let total_output: u64 = self.output.values().sum();
        let total_dropped: u64 = self.dropped.values().flat_map(|r| r.values()).sum();
        serde_json::json!({
            "output": self.output,
            "dropped": self.dropped,
            "total_output": total_output,
            "total_dropped": total_dropped,
        })
    }
}

/// The document stages before `count` that the funnel covers.
fn funnel_stages(context: &StageContext<'_>) -> Vec<Stage> {
    [Stage::Ingest, Stage::Filter, Stage::Dedup]
        .into_iter()
        .filter(|stage| stage.is_enabled(context.job))
        .collect()
}

/// Whether every stage of the funnel holds tokens counted with the tokenizer whose
/// fingerprint is `tokenizer`.
pub fn is_annotated(context: &StageContext<'_>, tokenizer: &str) -> bool {
    funnel_stages(context).iter().all(|stage| {
        let path = context.stage_dir(stage.name()).join(STAGE_RECORD_FILE);
        std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .and_then(|record| {
                record
                    .get("tokens")
                    .and_then(|t| t.get("tokenizer"))
                    .and_then(|t| t.as_str().map(str::to_owned))
            })
            .is_some_and(|t| t == tokenizer)
    })
}

/// Counts and records the tokens of every document stage before `count`. `counted` is
/// what the count stage found per source in its input, the last of these stages' output,
/// which is not encoded a second time.
pub fn annotate(
    context: &StageContext<'_>,
    tokenizer: &BpeTokenizer,
    counted: &BTreeMap<String, u64>,
) -> Result<()> {
    let stages = funnel_stages(context);
    let fingerprint = tokenizer.fingerprint_hex();
    let mut previous: Option<PathBuf> = None;
    for (position, stage) in stages.iter().enumerate() {
        let is_last = position + 1 == stages.len();
        let dir = context.stage_dir(stage.name());
        let upstream = Upstream::read(&dir)?;
        let tokens = context.pool.install(|| -> Result<StageTokens> {
            let per_part: Vec<StageTokens> = upstream
                .parts
                .par_iter()
                .map(|(index, part)| {
                    let mut tokens = if is_last {
                        StageTokens::default()
                    } else {
                        output_tokens(tokenizer, part)?
                    };
                    let rejected = dir.join("rejected").join(part_name(part));
                    if rejected.is_file() {
                        tokens = tokens.merge(rejected_tokens(tokenizer, &rejected)?);
                    }
                    let removed = dir.join("removed").join(part_name(part));
                    if let (true, Some(before)) = (removed.is_file(), &previous) {
                        let source_part = before.join(format!("part-{index:05}.parquet"));
                        tokens = tokens.merge(removed_tokens(tokenizer, &removed, &source_part)?);
                    }
                    Ok(tokens)
                })
                .collect::<Result<_>>()?;
            let start = if is_last {
                StageTokens {
                    output: counted.clone(),
                    dropped: BTreeMap::new(),
                }
            } else {
                StageTokens::default()
            };
            Ok(per_part.into_iter().fold(start, StageTokens::merge))
        })?;
        write_tokens(&dir, &tokens, &fingerprint)?;
        crate::run::fault::abort_at("abort:funnel");
        previous = Some(dir);
    }
    Ok(())
}

fn part_name(part: &Path) -> String {
    part.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn count(tokenizer: &BpeTokenizer, text: &str) -> Result<u64> {
    Ok(tokenizer.count(text)? as u64)
}

/// Tokens of the documents a stage kept.
fn output_tokens(tokenizer: &BpeTokenizer, part: &Path) -> Result<StageTokens> {
    let mut tokens = StageTokens::default();
    for batch in open_part(part)? {
        let batch = batch.with_context(|| format!("cannot read {}", part.display()))?;
        let columns = DocumentColumns::of(&batch)?;
        for row in 0..batch.num_rows() {
            *tokens
                .output
                .entry(columns.sources.value(row).to_owned())
                .or_default() += count(tokenizer, columns.texts.value(row))?;
        }
    }
    Ok(tokens)
}

/// Tokens of the documents the filter stage rejected, by reason.
fn rejected_tokens(tokenizer: &BpeTokenizer, part: &Path) -> Result<StageTokens> {
    let mut tokens = StageTokens::default();
    for batch in open_part(part)? {
        let batch = batch.with_context(|| format!("cannot read {}", part.display()))?;
        let columns = DocumentColumns::of(&batch)?;
        let reasons = batch
            .column_by_name("reason")
            .and_then(|c| c.as_string_opt::<i32>())
            .with_context(|| format!("{} has no `reason` column", part.display()))?;
        for row in 0..batch.num_rows() {
            *tokens
                .dropped
                .entry(columns.sources.value(row).to_owned())
                .or_default()
                .entry(reasons.value(row).to_owned())
                .or_default() += count(tokenizer, columns.texts.value(row))?;
        }
    }
    Ok(tokens)
}

/// Tokens of the documents dedup removed: their ids and reasons come from `removed/`,
/// their texts from the same part of the stage before dedup.
fn removed_tokens(
    tokenizer: &BpeTokenizer,
    removed: &Path,
    source_part: &Path,
) -> Result<StageTokens> {
    let mut reasons: HashMap<String, String> = HashMap::new();
    for batch in open_part(removed)? {
        let batch = batch.with_context(|| format!("cannot read {}", removed.display()))?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_string_opt::<i32>())
                .with_context(|| format!("{} has no `{name}` column", removed.display()))
        };
        let (ids, why) = (column("id")?, column("reason")?);
        for row in 0..batch.num_rows() {
            if ids.is_valid(row) {
                reasons.insert(ids.value(row).to_owned(), why.value(row).to_owned());
            }
        }
    }
    let mut tokens = StageTokens::default();
    if reasons.is_empty() {
        return Ok(tokens);
    }
    for batch in open_part(source_part)? {
        let batch = batch.with_context(|| format!("cannot read {}", source_part.display()))?;
        let columns = DocumentColumns::of(&batch)?;
        for row in 0..batch.num_rows() {
            if let Some(reason) = reasons.get(columns.ids.value(row)) {
                *tokens
                    .dropped
                    .entry(columns.sources.value(row).to_owned())
                    .or_default()
                    .entry(reason.clone())
                    .or_default() += count(tokenizer, columns.texts.value(row))?;
            }
        }
    }
    Ok(tokens)
}

/// Adds the `tokens` object to a stage's `_stage.json`, keeping everything else.
fn write_tokens(dir: &Path, tokens: &StageTokens, tokenizer: &str) -> Result<()> {
    let path = dir.join(STAGE_RECORD_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut record: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not JSON", path.display()))?;
    if let Some(object) = record.as_object_mut() {
        let mut json = tokens.to_json();
        if let Some(fields) = json.as_object_mut() {
            fields.insert("tokenizer".to_owned(), tokenizer.into());
        }
        object.insert("tokens".to_owned(), json);
    }
    let mut out = serde_json::to_vec_pretty(&record)?;
    out.push(b'\n');
    write_atomic(&path, &out).with_context(|| format!("cannot write {}", path.display()))
}
