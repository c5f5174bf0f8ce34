//! Reading loose JSONL and Parquet files for the commands that work outside a run
//! (`tag`, `train-tokenizer`, `count`): documents in file order, with the ingest readers.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;

use crate::ingest::fields::FieldMap;
use crate::ingest::jsonl::JsonlReader;
use crate::ingest::parquet::ParquetReader;
use crate::ingest::{RawDocument, ReadItem};

/// Which fields hold the text and the id.
#[derive(Debug, Clone, Args)]
pub struct FieldArgs {
    /// Field (or Parquet column) holding the text.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Field holding the id; without one, ids are `FILE:POSITION`.
    #[arg(long, default_value = "id")]
    pub id_field: String,
}

impl FieldArgs {
    fn field_map(&self) -> FieldMap {
        FieldMap {
            text: self.text_field.clone(),
            id: self.id_field.clone(),
            ..FieldMap::default()
        }
    }
}

/// Opens a loose input: Parquet by extension, else JSONL (compressed or not).
pub fn open_input(path: &Path, fields: FieldMap) -> Result<Box<dyn Iterator<Item = ReadItem>>> {
    let is_parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    Ok(if is_parquet {
        Box::new(
            ParquetReader::open(path, fields)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )
    } else {
        Box::new(
            JsonlReader::open(path, fields)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )
    })
}

/// Calls `f(id, document)` for every document of `path`; ids the input lacks are
/// `FILE:POSITION`. Damaged records are skipped with a warning; returns how many.
pub fn for_each_raw_document(
    path: &Path,
    fields: FieldMap,
    mut f: impl FnMut(String, RawDocument) -> Result<()>,
) -> Result<u64> {
    let name = path.display().to_string();
    let mut damaged = 0;
    for item in open_input(path, fields)? {
        match item {
            ReadItem::Document {
                mut document,
                position,
            } => {
                let id = document
                    .id
                    .take()
                    .unwrap_or_else(|| format!("{name}:{position}"));
                f(id, document)?;
            }
            ReadItem::Skipped(skipped) if skipped.reason.is_damage() => {
                damaged += 1;
                tracing::warn!(
                    "{name}: {}: {}: {}",
                    skipped.position,
                    skipped.reason,
                    skipped.detail
                );
            }
            ReadItem::Skipped(_) => {}
        }
    }
    Ok(damaged)
}

/// Calls `f(id, text)` for every document of `path`, as [`for_each_raw_document`].
pub fn for_each_document(
    path: &Path,
    fields: &FieldArgs,
    mut f: impl FnMut(String, String) -> Result<()>,
) -> Result<u64> {
    for_each_raw_document(path, fields.field_map(), |id, document| {
        f(id, document.text)
    })
}
