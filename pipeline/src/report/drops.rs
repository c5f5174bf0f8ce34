//! Ids of dropped documents, per reason, from the Parquet files a stage keeps of them
//! (`rejected/` of filter, `removed/` of dedup: any sub-directory whose parts have `id` and
//! `reason` columns). Only those columns (and `filter`, which names the step) are read.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// What a stage kept of its dropped documents.
#[derive(Debug, Clone, Default)]
pub struct DroppedIds {
    /// The sub-directories the ids came from (`rejected`, `removed`); empty when the stage
    /// keeps none.
    pub stored_in: Vec<String>,
    pub by_reason: BTreeMap<String, ReasonIds>,
}

#[derive(Debug, Clone, Default)]
pub struct ReasonIds {
    /// The step named beside the reason (the `filter` column), when stored.
    pub step: Option<String>,
    /// The first ids, in part order.
    pub examples: Vec<String>,
}

/// Reads the dropped ids of a stage directory, keeping `limit` examples per reason.
pub fn read_dropped_ids(stage_dir: &Path, limit: usize) -> Result<DroppedIds> {
    let mut ids = DroppedIds::default();
    for (name, parts) in dropped_dirs(stage_dir)? {
        let mut used = false;
        for part in &parts {
            for batch in read_columns(part, &["id", "reason", "filter"])? {
                let batch = batch.with_context(|| format!("cannot read {}", part.display()))?;
                let (Some(id), Some(reason)) = (utf8(&batch, "id"), utf8(&batch, "reason")) else {
                    continue;
                };
                used = true;
                let filter = utf8(&batch, "filter");
                for row in 0..batch.num_rows() {
                    if !id.is_valid(row) || !reason.is_valid(row) {
                        continue;
                    }
                    let entry = ids
                        .by_reason
                        .entry(reason.value(row).to_owned())
                        .or_default();
                    if entry.step.is_none()
                        && let Some(filter) = filter.filter(|f| f.is_valid(row))
                    {
                        entry.step = Some(filter.value(row).to_owned());
                    }
                    if entry.examples.len() < limit {
                        entry.examples.push(id.value(row).to_owned());
                    }
                }
            }
        }
        if used {
            ids.stored_in.push(name);
        }
    }
    Ok(ids)
}

/// Sub-directories of a stage directory holding Parquet parts, by name, with their parts
/// in name order.
pub fn dropped_dirs(stage_dir: &Path) -> Result<Vec<(String, Vec<PathBuf>)>> {
    let Ok(entries) = std::fs::read_dir(stage_dir) else {
        return Ok(Vec::new());
    };
    let mut dirs = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        let parts = parquet_parts(&path)?;
        if !parts.is_empty() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            dirs.push((name, parts));
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// The `part-*.parquet` files of a directory, in name order.
pub fn parquet_parts(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            path.is_file() && name.starts_with("part-") && name.ends_with(".parquet")
        })
        .collect();
    parts.sort();
    Ok(parts)
}

fn read_columns(
    part: &Path,
    columns: &[&str],
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader> {
    let file = File::open(part).with_context(|| format!("cannot open {}", part.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("cannot read {}", part.display()))?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    builder
        .with_projection(mask)
        .build()
        .with_context(|| format!("cannot read {}", part.display()))
}

fn utf8<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a StringArray> {
    batch.column_by_name(name)?.as_string_opt::<i32>()
}
