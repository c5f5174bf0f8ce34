//! Reading the Parquet parts an upstream stage wrote.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray, LargeStringArray, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

/// Rows decoded at a time from an upstream part.
pub const READ_BATCH_ROWS: usize = 2048;

/// Opens an upstream part for reading in batches.
pub fn open_part(path: &Path) -> Result<ParquetRecordBatchReader> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(READ_BATCH_ROWS).build())
        .with_context(|| format!("cannot read {}", path.display()))
}

/// The document columns of a batch, borrowed.
pub struct DocumentColumns<'a> {
    pub ids: &'a StringArray,
    pub sources: &'a StringArray,
    pub domains: &'a StringArray,
    pub urls: &'a StringArray,
    pub texts: &'a LargeStringArray,
}

impl<'a> DocumentColumns<'a> {
    pub fn of(batch: &'a RecordBatch) -> Result<Self> {
        let utf8 = |name: &str| -> Result<&'a StringArray> {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_string_opt::<i32>())
                .with_context(|| format!("part has no Utf8 column `{name}`"))
        };
        Ok(DocumentColumns {
            ids: utf8("id")?,
            sources: utf8("source")?,
            domains: utf8("domain")?,
            urls: utf8("url")?,
            texts: batch
                .column_by_name("text")
                .and_then(|c| c.as_string_opt::<i64>())
                .context("part has no LargeUtf8 column `text`")?,
        })
    }

    pub fn url(&self, row: usize) -> Option<&'a str> {
        self.urls.is_valid(row).then(|| self.urls.value(row))
    }
}
