//! Parquet reader: the text, id and URL columns of any Parquet file, batch by batch.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StructArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::fields::{FieldMap, path_parts};
use super::{Position, RawDocument, ReadItem, SkipReason, Skipped};

/// Rows decoded at a time: bounds memory whatever the row-group size.
const BATCH_ROWS: usize = 1024;

/// Why a Parquet file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ParquetOpenError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("not a readable Parquet file: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("no column `{0}` in the file (columns: {1})")]
    MissingColumn(String, String),
}

/// The three columns of one batch, as strings.
struct Columns {
    text: ArrayRef,
    id: Option<ArrayRef>,
    url: Option<ArrayRef>,
}

/// Streams documents out of a Parquet file.
pub struct ParquetReader {
    batches: ParquetRecordBatchReader,
    fields: FieldMap,
    current: Option<Columns>,
    row_in_batch: usize,
    row_number: u64,
    finished: bool,
    /// Rows whose text is longer are skipped as `too_large` (the row group is in memory
    /// already; this keeps one huge value out of every later stage).
    max_doc_bytes: u64,
}

/// Parquet needs random access: an object in a store is first copied to an unnamed local
/// file (disk, not memory; removed when the reader is dropped).
fn open_random_access(path: &Path) -> std::io::Result<File> {
    let Some(url) = crate::storage::ObjectUrl::from_path(path) else {
        return File::open(path);
    };
    let dir = std::env::temp_dir();
    let local = dir.join(format!(
        "curate-parquet-{}-{}.tmp",
        std::process::id(),
        crate::run::fingerprint::hex_digest(url.to_string().as_bytes())
    ));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&local)?;
    // Unlinked at once: the open file is all there is, and nothing is left after a crash.
    std::fs::remove_file(&local)?;
    let info = crate::storage::describe(&url)?;
    crate::storage::download_to_file(&info, &mut file)?;
    Ok(file)
}

impl ParquetReader {
    pub fn open(path: &Path, fields: FieldMap) -> Result<Self, ParquetOpenError> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(open_random_access(path)?)?;
        let schema = builder.schema().clone();
        let top_level = |path: &str| path_parts(path).next().unwrap_or(path).to_owned();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let text_root = top_level(&fields.text);
        if !names.contains(&text_root) {
            return Err(ParquetOpenError::MissingColumn(text_root, names.join(", ")));
        }
        let wanted: Vec<String> = [&fields.text, &fields.id, &fields.url]
            .into_iter()
            .map(|p| top_level(p))
            .collect();
        let roots: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, name)| wanted.contains(name))
            .map(|(index, _)| index)
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let batches = builder
            .with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .build()?;
        Ok(ParquetReader {
            batches,
            fields,
            current: None,
            row_in_batch: 0,
            row_number: 0,
            finished: false,
            max_doc_bytes: super::bounded::DEFAULT_MAX_DOC_BYTES,
        })
    }

    /// Rows whose text is longer than `max_doc_bytes` are skipped as `too_large`.
    pub fn with_max_doc_bytes(mut self, max_doc_bytes: u64) -> Self {
        self.max_doc_bytes = max_doc_bytes;
        self
    }

    fn load_batch(&mut self, batch: &RecordBatch) -> Result<Columns, String> {
        let text = column(batch, &self.fields.text)
            .ok_or_else(|| format!("no column `{}`", self.fields.text))?;
        Ok(Columns {
            text: as_large_utf8(&text)?,
            id: column(batch, &self.fields.id)
                .map(|c| as_large_utf8(&c))
                .transpose()?,
            url: column(batch, &self.fields.url)
                .map(|c| as_large_utf8(&c))
                .transpose()?,
        })
    }
}

impl Iterator for ParquetReader {
    type Item = ReadItem;

    fn next(&mut self) -> Option<ReadItem> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(columns) = &self.current {
                if self.row_in_batch < columns.text.len() {
                    let row = self.row_in_batch;
                    self.row_in_batch += 1;
                    self.row_number += 1;
                    let position = Position::Row(self.row_number);
                    let value = |array: &Option<ArrayRef>| {
                        array.as_ref().and_then(|a| {
                            let strings = a.as_string::<i64>();
                            strings.is_valid(row).then(|| strings.value(row).to_owned())
                        })
                    };
                    let texts = columns.text.as_string::<i64>();
                    if texts.is_null(row) {
                        return Some(ReadItem::Skipped(Skipped {
                            reason: SkipReason::MissingText,
                            position,
                            detail: format!("`{}` is null", self.fields.text),
                        }));
                    }
                    let length = texts.value(row).len() as u64;
                    if length > self.max_doc_bytes {
                        return Some(ReadItem::Skipped(Skipped {
                            reason: SkipReason::TooLarge,
                            position,
                            detail: format!(
                                "a text of {length} bytes, over max_doc_bytes {}",
                                self.max_doc_bytes
                            ),
                        }));
                    }
                    return Some(ReadItem::Document {
                        document: RawDocument {
                            id: value(&columns.id),
                            url: value(&columns.url),
                            text: texts.value(row).to_owned(),
                        },
                        position,
                    });
                }
                self.current = None;
            }
            let position = Position::Row(self.row_number + 1);
            match self.batches.next() {
                None => self.finished = true,
                Some(Ok(batch)) => match self.load_batch(&batch) {
                    Ok(columns) => {
                        self.current = Some(columns);
                        self.row_in_batch = 0;
                    }
                    Err(detail) => {
                        self.finished = true;
                        return Some(bad_parquet(position, detail));
                    }
                },
                Some(Err(error)) => {
                    self.finished = true;
                    return Some(bad_parquet(position, error.to_string()));
                }
            }
        }
    }
}

fn bad_parquet(position: Position, detail: String) -> ReadItem {
    ReadItem::Skipped(Skipped {
        reason: SkipReason::BadParquet,
        position,
        detail,
    })
}

/// Finds a (possibly nested, dotted) column in a batch.
fn column(batch: &RecordBatch, path: &str) -> Option<ArrayRef> {
    let mut parts = path_parts(path);
    let mut current: ArrayRef = batch.column_by_name(parts.next()?)?.clone();
    for part in parts {
        let parent: &StructArray = current.as_struct_opt()?;
        current = parent.column_by_name(part)?.clone();
    }
    Some(current)
}

/// Casts any string-like or numeric column to `LargeUtf8` so rows read one way.
fn as_large_utf8(array: &ArrayRef) -> Result<ArrayRef, String> {
    if array.data_type() == &DataType::LargeUtf8 {
        return Ok(Arc::clone(array));
    }
    cast(array, &DataType::LargeUtf8)
        .map_err(|error| format!("column of type {} is not text: {error}", array.data_type()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};
    use parquet::arrow::ArrowWriter;

    #[test]
    fn reads_text_id_and_url_columns_of_any_string_or_number_type() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docs.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("doc_id", DataType::Int64, false),
            Field::new("body", DataType::Utf8, true),
            Field::new("extra", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, 2, 3])),
                Arc::new(StringArray::from(vec![Some("one"), None, Some("three")])),
                Arc::new(StringArray::from(vec!["x", "y", "z"])),
            ],
        )
        .unwrap();
        let mut writer = ArrowWriter::try_new(File::create(&path).unwrap(), schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();

        let fields = FieldMap {
            text: "body".into(),
            id: "doc_id".into(),
            url: "url".into(),
        };
        let items: Vec<_> = ParquetReader::open(&path, fields).unwrap().collect();
        let summary: Vec<String> = items
            .iter()
            .map(|item| match item {
                ReadItem::Document { document, position } => {
                    format!("{position} {:?} {}", document.id, document.text)
                }
                ReadItem::Skipped(s) => format!("{} {}", s.position, s.reason),
            })
            .collect();
        assert_eq!(
            summary,
            [
                "row 1 Some(\"1\") one",
                "row 2 missing_text",
                "row 3 Some(\"3\") three"
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_parquet_is_an_open_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.parquet");
        std::fs::write(&path, b"not parquet at all").unwrap();
        assert!(matches!(
            ParquetReader::open(&path, FieldMap::default()),
            Err(ParquetOpenError::Parquet(_))
        ));
    }
}
