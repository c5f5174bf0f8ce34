//! What ingest counted: per partition, per source, and in total.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts of one partition (one input file, or a source's files when it has `max_docs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestCounts {
    /// Input files read.
    pub files: u64,
    /// Bytes of the input files on disk (compressed).
    pub input_bytes: u64,
    /// Records the readers produced: documents plus skipped records.
    pub records: u64,
    /// Documents written.
    pub documents: u64,
    /// UTF-8 bytes of the text of the documents written.
    pub text_bytes: u64,
    /// Records that did not become documents, by reason.
    pub skipped: BTreeMap<String, u64>,
}

impl IngestCounts {
    pub fn add(&mut self, other: &IngestCounts) {
        self.files += other.files;
        self.input_bytes += other.input_bytes;
        self.records += other.records;
        self.documents += other.documents;
        self.text_bytes += other.text_bytes;
        for (reason, count) in &other.skipped {
            *self.skipped.entry(reason.clone()).or_default() += count;
        }
    }

    pub fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_owned()).or_default() += 1;
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Statistics of one finished partition, as kept in `_stage.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestPartitionStats {
    pub source: String,
    pub domain: String,
    /// The partition's files, relative to their source's root.
    pub files: Vec<String>,
    /// The Parquet part written, relative to the stage directory.
    pub part: String,
    pub counts: IngestCounts,
    pub seconds: f64,
}

/// The totals of a finished ingest stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestSummary {
    pub total: IngestCounts,
    pub by_source: BTreeMap<String, IngestCounts>,
    pub by_domain: BTreeMap<String, IngestCounts>,
}

impl IngestSummary {
    pub fn from_partitions<'a>(
        partitions: impl IntoIterator<Item = &'a IngestPartitionStats>,
    ) -> Self {
        let mut summary = IngestSummary::default();
        for partition in partitions {
            summary.total.add(&partition.counts);
            summary
                .by_source
                .entry(partition.source.clone())
                .or_default()
                .add(&partition.counts);
            summary
                .by_domain
                .entry(partition.domain.clone())
                .or_default()
                .add(&partition.counts);
        }
        summary
    }
}
