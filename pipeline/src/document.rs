//! The document schema shared by every stage, and a builder for its record batches.
//!
//! `text` is `LargeUtf8`: Arrow's 32-bit offsets overflow at 2 GiB of text per array, which
//! a batch of long web documents or filings can reach.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, LargeStringBuilder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;

/// The columns every document has, in order.
pub static DOCUMENT_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("domain", DataType::Utf8, false),
        Field::new("url", DataType::Utf8, true),
        Field::new("text", DataType::LargeUtf8, false),
    ]))
});

/// Accumulates documents of one source into a record batch.
pub struct DocumentBatchBuilder {
    ids: StringBuilder,
    sources: StringBuilder,
    domains: StringBuilder,
    urls: StringBuilder,
    texts: LargeStringBuilder,
    rows: usize,
    text_bytes: usize,
}

impl DocumentBatchBuilder {
    pub fn with_capacity(rows: usize) -> Self {
        DocumentBatchBuilder {
            ids: StringBuilder::with_capacity(rows, rows * 32),
            sources: StringBuilder::with_capacity(rows, rows * 8),
            domains: StringBuilder::with_capacity(rows, rows * 8),
            urls: StringBuilder::with_capacity(rows, rows * 48),
            texts: LargeStringBuilder::with_capacity(rows, rows * 2048),
            rows: 0,
            text_bytes: 0,
        }
    }

    pub fn push(&mut self, id: &str, source: &str, domain: &str, url: Option<&str>, text: &str) {
        self.ids.append_value(id);
        self.sources.append_value(source);
        self.domains.append_value(domain);
        self.urls.append_option(url);
        self.texts.append_value(text);
        self.rows += 1;
        self.text_bytes += text.len();
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// UTF-8 bytes of text pushed since the last `finish`.
    pub fn text_bytes(&self) -> usize {
        self.text_bytes
    }

    /// Returns the batch of everything pushed so far and starts a new one.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.ids.finish()),
            Arc::new(self.sources.finish()),
            Arc::new(self.domains.finish()),
            Arc::new(self.urls.finish()),
            Arc::new(self.texts.finish()),
        ];
        self.rows = 0;
        self.text_bytes = 0;
        RecordBatch::try_new(DOCUMENT_SCHEMA.clone(), columns)
    }
}
