//! Pass 1 of the shuffle: every selected copy of every counted document is keyed
//! ([`copy_key`]) and written to the document bucket its key falls in. Each count part is
//! scattered by one worker, so the spill files do not depend on the number of threads.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow::array::{
    ArrayBuilder, AsArray, ListArray, ListBuilder, RecordBatch, StringArray, StringBuilder,
    UInt32Array, UInt32Builder, UInt64Array, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, UInt32Type};
use xxhash_rust::xxh3::Xxh3;

use super::order::{bucket_of, copy_key};
use super::spill::write_spill;
use crate::stages::parts::{READ_BATCH_ROWS, open_columns, typed_column};

/// Copies per selected document, keyed by [`document_key`].
#[derive(Debug, Default)]
pub struct Selection {
    copies: HashMap<u128, u32>,
    /// Tokens of all copies with one end-of-text token each: what packing will place.
    pub packed_tokens: u64,
    pub copies_total: u64,
}

/// A document's identity in the selection: xxh3-128 of `source \0 id`, 16 bytes however
/// long its id, hashed in pieces so nothing is allocated per document.
pub fn document_key(source: &str, id: &str) -> u128 {
    let mut hasher = Xxh3::new();
    hasher.update(source.as_bytes());
    hasher.update(&[0]);
    hasher.update(id.as_bytes());
    hasher.digest128()
}

impl Selection {
    /// Reads the mix stage's `selection.parquet`.
    pub fn read(path: &Path) -> Result<Selection> {
        let columns = ["source", "id", "copies", "token_count"];
        let reader = open_columns(path, &columns, READ_BATCH_ROWS)?;
        let mut selection = Selection::default();
        for batch in reader {
            let batch = batch.with_context(|| format!("cannot read {}", path.display()))?;
            let sources: &StringArray = typed_column(&batch, "source", path)?;
            let ids: &StringArray = typed_column(&batch, "id", path)?;
            let copies: &UInt32Array = typed_column(&batch, "copies", path)?;
            let tokens: &UInt64Array = typed_column(&batch, "token_count", path)?;
            for row in 0..batch.num_rows() {
                let n = copies.value(row);
                let key = document_key(sources.value(row), ids.value(row));
                if selection.copies.insert(key, n).is_some() {
                    bail!(
                        "{}: document {} of {} is listed twice",
                        path.display(),
                        ids.value(row),
                        sources.value(row)
                    );
                }
                selection.copies_total += u64::from(n);
                selection.packed_tokens += u64::from(n) * (tokens.value(row) + 1);
            }
        }
        Ok(selection)
    }

    pub fn copies(&self, source: &str, id: &str) -> u32 {
        self.copies
            .get(&document_key(source, id))
            .copied()
            .unwrap_or(0)
    }
}

/// The schema of a document spill file.
pub fn document_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("key", DataType::UInt64, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("domain", DataType::Utf8, false),
        Field::new("id", DataType::Utf8, false),
        Field::new(
            "input_ids",
            DataType::List(Arc::new(Field::new_list_field(DataType::UInt32, false))),
            false,
        ),
    ]))
}

/// The spill file name prefix of a document bucket.
pub fn bucket_prefix(bucket: usize) -> String {
    format!("doc-b{bucket:05}-")
}

/// What names a count part's spill files, after the bucket prefix: `pNNNNN-c`, then the
/// spill's number.
pub fn part_infix(part_index: usize) -> String {
    format!("p{part_index:05}-c")
}

/// One bucket's documents waiting to be spilled.
struct DocumentBuffer {
    keys: UInt64Builder,
    sources: StringBuilder,
    domains: StringBuilder,
    ids: StringBuilder,
    tokens: ListBuilder<UInt32Builder>,
    bytes: usize,
    spills: usize,
}

impl DocumentBuffer {
    fn new() -> Self {
        DocumentBuffer {
            keys: UInt64Builder::new(),
            sources: StringBuilder::new(),
            domains: StringBuilder::new(),
            ids: StringBuilder::new(),
            tokens: ListBuilder::new(UInt32Builder::new())
                .with_field(Arc::new(Field::new_list_field(DataType::UInt32, false))),
            bytes: 0,
            spills: 0,
        }
    }

    fn push(&mut self, key: u64, source: &str, domain: &str, id: &str, ids: &[u32]) {
        self.keys.append_value(key);
        self.sources.append_value(source);
        self.domains.append_value(domain);
        self.ids.append_value(id);
        self.tokens.values().append_slice(ids);
        self.tokens.append(true);
        self.bytes += 4 * ids.len() + source.len() + domain.len() + id.len() + 24;
    }

    /// Writes the buffer to `path`; `false` when it was empty (nothing written).
    fn spill(&mut self, path: &Path) -> Result<bool> {
        if self.keys.len() == 0 {
            return Ok(false);
        }
        let batch = RecordBatch::try_new(
            document_schema(),
            vec![
                Arc::new(self.keys.finish()),
                Arc::new(self.sources.finish()),
                Arc::new(self.domains.finish()),
                Arc::new(self.ids.finish()),
                Arc::new(self.tokens.finish()),
            ],
        )?;
        write_spill(path, &batch)?;
        self.bytes = 0;
        self.spills += 1;
        Ok(true)
    }
}

/// Where and how one part is scattered.
pub struct ScatterPlan<'a> {
    pub work_dir: &'a Path,
    pub buckets: usize,
    pub flush_bytes: usize,
    pub seed: u64,
    pub selection: &'a Selection,
}

/// Copies and tokens one part contributed, and the spill files it wrote (names in the
/// work directory).
#[derive(Debug, Default, Clone)]
pub struct Scattered {
    pub copies: u64,
    pub packed_tokens: u64,
    pub files: Vec<String>,
}

/// Scatters the selected copies of one count part into the document buckets.
pub fn scatter_part(plan: &ScatterPlan<'_>, part_index: usize, part: &Path) -> Result<Scattered> {
    let reader = open_columns(part, &["id", "source", "domain", "input_ids"], 1024)?;
    let mut buffers: Vec<DocumentBuffer> =
        (0..plan.buckets).map(|_| DocumentBuffer::new()).collect();
    let spill_name = |bucket: usize, spill: usize| {
        format!(
            "{}{}{spill:05}.arrow",
            bucket_prefix(bucket),
            part_infix(part_index)
        )
    };
    let mut scattered = Scattered::default();
    let spill =
        |buffer: &mut DocumentBuffer, bucket: usize, files: &mut Vec<String>| -> Result<()> {
            let name = spill_name(bucket, buffer.spills);
            if buffer.spill(&plan.work_dir.join(&name))? {
                files.push(name);
            }
            Ok(())
        };
    for batch in reader {
        let batch = batch.with_context(|| format!("cannot read {}", part.display()))?;
        let ids: &StringArray = typed_column(&batch, "id", part)?;
        let sources: &StringArray = typed_column(&batch, "source", part)?;
        let domains: &StringArray = typed_column(&batch, "domain", part)?;
        let tokens: &ListArray = typed_column(&batch, "input_ids", part)?;
        for row in 0..batch.num_rows() {
            let (source, id) = (sources.value(row), ids.value(row));
            let copies = plan.selection.copies(source, id);
            if copies == 0 {
                continue;
            }
            let row_tokens = tokens.value(row);
            let row_tokens = row_tokens
                .as_primitive_opt::<UInt32Type>()
                .context("input_ids are not UInt32")?;
            let values = row_tokens.values();
            for copy in 0..copies {
                let key = copy_key(plan.seed, source, id, copy);
                let bucket = bucket_of(key, plan.buckets);
                let buffer = &mut buffers[bucket];
                buffer.push(key, source, domains.value(row), id, values);
                if buffer.bytes >= plan.flush_bytes {
                    spill(buffer, bucket, &mut scattered.files)?;
                }
            }
            scattered.copies += u64::from(copies);
            scattered.packed_tokens += u64::from(copies) * (values.len() as u64 + 1);
        }
    }
    for (bucket, buffer) in buffers.iter_mut().enumerate() {
        spill(buffer, bucket, &mut scattered.files)?;
    }
    Ok(scattered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_key_hashes_source_and_id_as_one_string() {
        assert_eq!(
            document_key("web", "doc-1"),
            xxhash_rust::xxh3::xxh3_128(b"web\0doc-1")
        );
        assert_ne!(document_key("ab", "c"), document_key("a", "bc"));
    }
}
