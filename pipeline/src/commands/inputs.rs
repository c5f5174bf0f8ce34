//! Reading loose JSONL and Parquet files for the commands that work outside a run
//! (`train-tokenizer`, `count`): documents in file order, with the ingest readers.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;

use crate::ingest::ReadItem;
use crate::ingest::fields::FieldMap;
use crate::ingest::jsonl::JsonlReader;
use crate::ingest::parquet::ParquetReader;

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

/// Calls `f(id, text)` for every document of `path` (Parquet by extension, else JSONL,
/// compressed or not); damaged records are skipped with a warning. Returns the number of
/// records skipped as damaged.
pub fn for_each_document(
    path: &Path,
    fields: &FieldArgs,
    mut f: impl FnMut(String, String) -> Result<()>,
) -> Result<u64> {
    let map = fields.field_map();
    let is_parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let reader: Box<dyn Iterator<Item = ReadItem>> = if is_parquet {
        Box::new(
            ParquetReader::open(path, map)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )
    } else {
        Box::new(
            JsonlReader::open(path, map)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )
    };
    let name = path.display().to_string();
    let mut damaged = 0;
    for item in reader {
        match item {
            ReadItem::Document { document, position } => {
                let id = document.id.unwrap_or_else(|| format!("{name}:{position}"));
                f(id, document.text)?;
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
