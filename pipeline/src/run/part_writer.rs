//! Writing one Parquet part of a stage: zstd, bounded row groups, whole or absent.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::atomic::AtomicFile;

/// Why a part could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {detail}")]
pub struct PartWriteError {
    pub path: PathBuf,
    pub detail: String,
}

/// A Parquet file being written under a temporary name; renamed on [`PartWriter::commit`].
pub struct PartWriter {
    path: PathBuf,
    file: AtomicFile,
    writer: ArrowWriter<File>,
}

/// Columns that hold a distinct value per row: a dictionary would only cost time.
const UNIQUE_COLUMNS: [&str; 3] = ["id", "text", "url"];

impl PartWriter {
    pub fn create(
        path: &Path,
        schema: SchemaRef,
        row_group_rows: usize,
    ) -> Result<Self, PartWriteError> {
        let error = |detail: String| PartWriteError {
            path: path.to_owned(),
            detail,
        };
        let mut file = AtomicFile::create(path).map_err(|e| error(e.to_string()))?;
        let handle = file.try_clone_file().map_err(|e| error(e.to_string()))?;
        let mut properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
            .set_max_row_group_row_count(Some(row_group_rows.max(1)));
        for column in UNIQUE_COLUMNS {
            properties = properties.set_column_dictionary_enabled(column.into(), false);
        }
        let writer = ArrowWriter::try_new(handle, schema, Some(properties.build()))
            .map_err(|e| error(e.to_string()))?;
        Ok(PartWriter {
            path: path.to_owned(),
            file,
            writer,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), PartWriteError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.writer
            .write(batch)
            .map_err(|e| self.error(e.to_string()))
    }

    /// Finishes the file and gives it its final name.
    pub fn commit(self) -> Result<(), PartWriteError> {
        let PartWriter { path, file, writer } = self;
        let error = |detail: String| PartWriteError {
            path: path.clone(),
            detail,
        };
        writer.close().map_err(|e| error(e.to_string()))?;
        file.commit().map_err(|e| error(e.to_string()))
    }

    fn error(&self, detail: String) -> PartWriteError {
        PartWriteError {
            path: self.path.clone(),
            detail,
        }
    }
}
