//! Reading the upstream parts for dedup: the global numbering of documents, pass 1 (the
//! records, in parallel over parts and rows), the line counts of the documents kept, and
//! the look-up of single columns of a few documents (keeper ids, candidate texts) by
//! global index.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray};
use curate_filters::dedup::{BandRecord, Scratch};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;

use super::decide::Decisions;
use super::external_sort::ExternalSorter;
use super::signatures::{DocKeys, LineCounts, Signatures, Signer, doc_index};
use crate::stages::parts::{DocumentColumns, READ_BATCH_ROWS, open_part};

/// One upstream part and the global index of its first document.
#[derive(Debug, Clone)]
pub struct PartInput {
    pub partition: usize,
    pub path: PathBuf,
    pub start: u32,
    pub rows: u32,
}

/// Numbers the documents of the parts (in partition order) from their Parquet footers.
pub fn number_parts(parts: &[(usize, PathBuf)]) -> Result<Vec<PartInput>> {
    let mut next = 0usize;
    let mut numbered = Vec::with_capacity(parts.len());
    for (partition, path) in parts {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let rows = usize::try_from(builder.metadata().file_metadata().num_rows())
            .with_context(|| format!("{}: bad row count", path.display()))?;
        numbered.push(PartInput {
            partition: *partition,
            path: path.clone(),
            start: doc_index(next)?,
            rows: doc_index(rows)?,
        });
        next += rows;
        doc_index(next)?;
    }
    Ok(numbered)
}

/// How a document's source maps to its dedup group and priority rank.
pub type SourceKeys = BTreeMap<String, (u32, u32)>;

/// Pass 1 over every part, in parallel; the records come back in global order, the band
/// records go to `bands`.
pub fn scan_parts(
    pool: &rayon::ThreadPool,
    parts: &[PartInput],
    signer: &Signer,
    sources: &SourceKeys,
    bands: &ExternalSorter<BandRecord>,
) -> Result<Signatures> {
    let scanned: Vec<Signatures> = pool.install(|| {
        parts
            .par_iter()
            .map(|part| {
                scan_part(part, signer, sources, &|records| bands.extend(records))
                    .with_context(|| format!("dedup pass 1 failed on {}", part.path.display()))
            })
            .collect::<Result<_>>()
    })?;
    let mut all = Signatures::default();
    for part in scanned {
        all.append(part);
    }
    Ok(all)
}

/// Pass 1 over one part: its documents' records; the band records go to `bands`, a batch
/// at a time.
pub fn scan_part(
    part: &PartInput,
    signer: &Signer,
    sources: &SourceKeys,
    bands: &(dyn Fn(&[BandRecord]) -> Result<()> + Sync),
) -> Result<Signatures> {
    let mut signatures = Signatures::default();
    let mut records = Vec::new();
    let mut doc = part.start;
    for batch in open_part(&part.path)? {
        let batch = batch.with_context(|| format!("cannot read {}", part.path.display()))?;
        let columns = DocumentColumns::of(&batch)?;
        let keys: Vec<DocKeys> = (0..batch.num_rows())
            .into_par_iter()
            .map_init(Scratch::default, |scratch, row| {
                signer.sign(columns.texts.value(row), columns.url(row), scratch)
            })
            .collect();
        records.clear();
        for (row, keys) in keys.into_iter().enumerate() {
            let source = columns.sources.value(row);
            let &(group, priority) = sources
                .get(source)
                .with_context(|| format!("document of unknown source `{source}`"))?;
            signatures.push(doc, group, priority, keys, &mut records);
            doc += 1;
        }
        bands(&records)?;
    }
    if doc != part.start + part.rows {
        anyhow::bail!(
            "{}: {} rows read, its footer says {}",
            part.path.display(),
            doc - part.start,
            part.rows
        );
    }
    Ok(signatures)
}

/// Counts the lines of the documents not removed as duplicates, in parallel over parts.
pub fn count_kept_lines(
    pool: &rayon::ThreadPool,
    parts: &[PartInput],
    signer: &Signer,
    decisions: &Decisions,
) -> Result<LineCounts> {
    let counted: Vec<LineCounts> = pool.install(|| {
        parts
            .par_iter()
            .map(|part| {
                let mut counts = LineCounts::default();
                read_part_column(&part.path, "text", |row, text| {
                    let doc = part.start + row;
                    if decisions.removed[doc as usize].is_none() {
                        counts.observe(signer, decisions.groups[doc as usize], doc, text);
                    }
                })
                .with_context(|| format!("counting lines of {} failed", part.path.display()))?;
                Ok(counts)
            })
            .collect::<Result<_>>()
    })?;
    let mut all = LineCounts::default();
    for counts in counted {
        all.merge(counts);
    }
    Ok(all)
}

/// The values of `column` (`id` or `text`) of the documents `wanted`, by global index.
pub fn read_column(
    parts: &[PartInput],
    wanted: &BTreeSet<u32>,
    column: &str,
) -> Result<HashMap<u32, String>> {
    let mut values = HashMap::with_capacity(wanted.len());
    for part in parts {
        let end = part.start + part.rows;
        let mut rows = wanted.range(part.start..end).peekable();
        if rows.peek().is_none() {
            continue;
        }
        read_part_column(&part.path, column, |offset, value| {
            let doc = part.start + offset;
            if wanted.contains(&doc) {
                values.insert(doc, value.to_owned());
            }
        })?;
    }
    Ok(values)
}

/// Calls `each(row, value)` for every row of one column of a part.
fn read_part_column(path: &Path, column: &str, mut each: impl FnMut(u32, &str)) -> Result<()> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let index = builder
        .schema()
        .index_of(column)
        .with_context(|| format!("{} has no column `{column}`", path.display()))?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), [index]);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut row = 0u32;
    for batch in reader {
        let batch = batch.with_context(|| format!("cannot read {}", path.display()))?;
        let array = batch.column(0);
        let value = |i: usize| -> Option<&str> {
            if let Some(a) = array.as_string_opt::<i32>() {
                return a.is_valid(i).then(|| a.value(i));
            }
            array
                .as_string_opt::<i64>()
                .and_then(|a| a.is_valid(i).then(|| a.value(i)))
        };
        for i in 0..batch.num_rows() {
            if let Some(v) = value(i) {
                each(row, v);
            }
            row += 1;
        }
    }
    Ok(())
}
