//! Ingesting one partition: read its files in order, write one Parquet part.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use arrow::array::RecordBatch;

use super::open::open_reader;
use super::stats::{IngestCounts, IngestPartitionStats};
use crate::document::{DOCUMENT_SCHEMA, DocumentBatchBuilder};
use crate::ingest::{Position, ReadItem, SkipReason};
use crate::job::ResolvedSource;
use crate::job::spec::IngestConfig;
use crate::progress::StageProgress;
use crate::run::part_writer::{PartWriteError, PartWriter};

/// Text bytes after which a batch is written even if it has fewer than `batch_docs` rows.
const MAX_BATCH_TEXT_BYTES: usize = 64 << 20;

/// One unit of ingest work: files of one source, written to one part.
#[derive(Debug, Clone)]
pub struct IngestPartition {
    pub index: usize,
    pub source: usize,
    pub files: Vec<PathBuf>,
}

/// Why a partition failed.
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    #[error("{file}: {position}: {reason}: {detail} (the job is strict)")]
    StrictSkip {
        file: String,
        position: Position,
        reason: SkipReason,
        detail: String,
    },
    #[error("{file}: cannot be read: {detail} (the job is strict)")]
    StrictUnreadable { file: String, detail: String },
    /// An object store could not deliver a source object (after retries), or the object
    /// vanished or changed: never skipped, since the corpus would silently shrink.
    #[error("{url}: cannot be read from its store: {detail}")]
    Storage { url: String, detail: String },
    #[error(transparent)]
    Write(#[from] PartWriteError),
}

/// Everything a partition needs to know of the job.
pub struct PartitionContext<'a> {
    pub source: &'a ResolvedSource,
    pub config: &'a IngestConfig,
    pub strict: bool,
    pub progress: &'a StageProgress,
}

/// Reads the partition's files and writes `part_path` (atomically).
pub fn ingest_partition(
    partition: &IngestPartition,
    part_path: &Path,
    context: &PartitionContext<'_>,
) -> Result<IngestPartitionStats, PartitionError> {
    let started = Instant::now();
    let source = context.source;
    let write_error = |error: PartWriteError| PartitionError::Write(error);
    let mut writer = PartWriter::create(
        part_path,
        DOCUMENT_SCHEMA.clone(),
        context.config.batch_docs,
    )
    .map_err(write_error)?;
    let mut builder = DocumentBatchBuilder::with_capacity(context.config.batch_docs.min(4096));
    let mut counts = IngestCounts::default();
    let flush = |builder: &mut DocumentBatchBuilder,
                 writer: &mut PartWriter|
     -> Result<(), PartitionError> {
        if builder.rows() == 0 {
            return Ok(());
        }
        let (rows, bytes) = (builder.rows() as u64, builder.text_bytes() as u64);
        let batch: RecordBatch = builder.finish().map_err(|e| {
            PartitionError::Write(PartWriteError {
                path: part_path.to_owned(),
                detail: e.to_string(),
            })
        })?;
        writer.write(&batch).map_err(write_error)?;
        context.progress.add(rows, bytes);
        Ok(())
    };

    'files: for file in &partition.files {
        let name = source.display_name(file);
        counts.files += 1;
        counts.input_bytes += crate::storage::input_size(file).unwrap_or(0);
        let remote = crate::storage::ObjectUrl::from_path(file).map(|url| url.to_string());
        let storage_failure = || {
            let url = remote.as_ref()?;
            let detail = crate::storage::take_read_failure(url)?;
            Some(PartitionError::Storage {
                url: url.clone(),
                detail,
            })
        };
        let reader = match open_reader(source, file, context.config) {
            Ok(reader) => reader,
            Err(detail) if remote.is_some() => {
                return Err(PartitionError::Storage {
                    url: file.display().to_string(),
                    detail,
                });
            }
            Err(detail) => {
                if context.strict {
                    return Err(PartitionError::StrictUnreadable { file: name, detail });
                }
                tracing::warn!("{}: cannot be read, skipped: {detail}", file.display());
                counts.skip("unreadable_file");
                continue;
            }
        };
        let mut warnings = WarningLimiter::new(context.config.max_warnings_per_file);
        for item in reader {
            counts.records += 1;
            match item {
                ReadItem::Document { document, position } => {
                    if document.text.trim().chars().count() < context.config.min_chars.max(1) {
                        counts.skip(SkipReason::EmptyText.as_str());
                        continue;
                    }
                    let id = document
                        .id
                        .unwrap_or_else(|| generated_id(&source.name, &name, position));
                    builder.push(
                        &id,
                        &source.name,
                        &source.domain,
                        document.url.as_deref(),
                        &document.text,
                    );
                    counts.documents += 1;
                    counts.text_bytes += document.text.len() as u64;
                    if builder.rows() >= context.config.batch_docs
                        || builder.text_bytes() >= MAX_BATCH_TEXT_BYTES
                    {
                        flush(&mut builder, &mut writer)?;
                    }
                    if source.max_docs.is_some_and(|max| counts.documents >= max) {
                        break 'files;
                    }
                }
                ReadItem::Skipped(skipped) => {
                    counts.skip(skipped.reason.as_str());
                    // A stream cut off by the store surfaces as damage in the reader.
                    if skipped.reason.is_damage()
                        && let Some(error) = storage_failure()
                    {
                        return Err(error);
                    }
                    if skipped.reason.is_damage() {
                        if context.strict {
                            return Err(PartitionError::StrictSkip {
                                file: name,
                                position: skipped.position,
                                reason: skipped.reason,
                                detail: skipped.detail,
                            });
                        }
                        warnings.warn(file, &skipped.position, skipped.reason, &skipped.detail);
                    }
                }
            }
        }
        if let Some(error) = storage_failure() {
            return Err(error);
        }
        warnings.report_suppressed(file);
    }
    flush(&mut builder, &mut writer)?;
    writer.commit().map_err(write_error)?;
    Ok(IngestPartitionStats {
        source: source.name.clone(),
        domain: source.domain.clone(),
        files: partition
            .files
            .iter()
            .map(|f| source.display_name(f))
            .collect(),
        part: part_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        counts,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The id of a document whose input gave none: source, file below the source root, and
/// position, so the same input always gives the same id.
pub fn generated_id(source: &str, file: &str, position: Position) -> String {
    match position {
        Position::Line(line) => format!("{source}/{file}:{line}"),
        Position::Row(row) => format!("{source}/{file}#{row}"),
        Position::Byte(offset) => format!("{source}/{file}@{offset}"),
    }
}

/// Prints the first few warnings per reason of a file, then only counts them.
struct WarningLimiter {
    limit: usize,
    seen: BTreeMap<SkipReason, usize>,
}

impl WarningLimiter {
    fn new(limit: usize) -> Self {
        WarningLimiter {
            limit,
            seen: BTreeMap::new(),
        }
    }

    fn warn(&mut self, file: &Path, position: &Position, reason: SkipReason, detail: &str) {
        let seen = self.seen.entry(reason).or_default();
        *seen += 1;
        if *seen <= self.limit {
            tracing::warn!("{}: {position}: {reason}: {detail}", file.display());
        }
    }

    fn report_suppressed(&self, file: &Path) {
        for (reason, seen) in &self.seen {
            if *seen > self.limit {
                tracing::warn!(
                    "{}: {} more records skipped as {reason}",
                    file.display(),
                    seen - self.limit
                );
            }
        }
    }
}
