//! Reading the Parquet parts an upstream stage wrote.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray, LargeStringArray, RecordBatch, StringArray};
use parquet::arrow::ProjectionMask;
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

/// Opens a Parquet file for reading only `columns` (the others are never decoded), in
/// batches of `batch_rows`.
pub fn open_columns(
    path: &Path,
    columns: &[&str],
    batch_rows: usize,
) -> Result<ParquetRecordBatchReader> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    builder
        .with_projection(mask)
        .with_batch_size(batch_rows)
        .build()
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Column `name` of a batch read from `path`, as the array type `T` (`StringArray`,
/// `UInt64Array`, `ListArray`, ...); the error names the file, the column and its type.
pub fn typed_column<'a, T: Array + 'static>(
    batch: &'a RecordBatch,
    name: &str,
    path: &Path,
) -> Result<&'a T> {
    let column = batch
        .column_by_name(name)
        .with_context(|| format!("{} has no column `{name}`", path.display()))?;
    column.as_any().downcast_ref::<T>().with_context(|| {
        format!(
            "{}: column `{name}` has an unexpected type, {}",
            path.display(),
            column.data_type()
        )
    })
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::UInt64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn typed_column_names_the_file_column_and_type_it_wanted() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::UInt64, false)]));
        let batch =
            RecordBatch::try_new(schema, vec![Arc::new(UInt64Array::from(vec![7]))]).unwrap();
        let path = Path::new("part-00000.parquet");
        let n: &UInt64Array = typed_column(&batch, "n", path).unwrap();
        assert_eq!(n.value(0), 7);
        let wrong = typed_column::<StringArray>(&batch, "n", path).unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "part-00000.parquet: column `n` has an unexpected type, UInt64"
        );
        let missing = typed_column::<UInt64Array>(&batch, "id", path).unwrap_err();
        assert_eq!(missing.to_string(), "part-00000.parquet has no column `id`");
    }
}
