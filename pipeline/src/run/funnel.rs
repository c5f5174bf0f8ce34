//! Documents and bytes in and out of a stage, and what was dropped for which reason: the
//! shape every document stage reports in `_stage.json`, so the report reads them alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A number of documents and their UTF-8 text bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub documents: u64,
    pub bytes: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.documents += other.documents;
        self.bytes += other.bytes;
    }

    pub fn one(bytes: usize) -> Counts {
        Counts {
            documents: 1,
            bytes: bytes as u64,
        }
    }
}

/// What one stage did to one group of documents (a source, a domain, or all).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    pub input: Counts,
    pub output: Counts,
    /// Dropped documents by reason code (`gopher_short_doc`, `dedup_exact`, ...).
    pub dropped: BTreeMap<String, Counts>,
    /// Dropped documents by the filter or step that dropped them.
    pub dropped_by: BTreeMap<String, Counts>,
    /// Bytes removed from documents that were kept (C4 line removal, line dedup).
    pub bytes_edited_out: u64,
}

impl Funnel {
    pub fn add(&mut self, other: &Funnel) {
        self.input.add(other.input);
        self.output.add(other.output);
        for (reason, counts) in &other.dropped {
            self.dropped.entry(reason.clone()).or_default().add(*counts);
        }
        for (step, counts) in &other.dropped_by {
            self.dropped_by
                .entry(step.clone())
                .or_default()
                .add(*counts);
        }
        self.bytes_edited_out += other.bytes_edited_out;
    }

    pub fn record_drop(&mut self, step: &str, reason: &str, bytes: usize) {
        self.dropped
            .entry(reason.to_owned())
            .or_default()
            .add(Counts::one(bytes));
        self.dropped_by
            .entry(step.to_owned())
            .or_default()
            .add(Counts::one(bytes));
    }
}

/// The funnel of each source in one partition, with the source's domain: what document
/// stages record per partition.
pub type SourceFunnels = BTreeMap<String, (String, Funnel)>;

/// Counts one document of `bytes` into its source's funnel (created with the source's
/// domain on its first document) and returns that funnel, for the stage to record the
/// document's fate.
pub fn admit<'a>(
    funnels: &'a mut SourceFunnels,
    source: &str,
    domain: &str,
    bytes: usize,
) -> &'a mut Funnel {
    let (_, funnel) = funnels
        .entry(source.to_owned())
        .or_insert_with(|| (domain.to_owned(), Funnel::default()));
    funnel.input.add(Counts::one(bytes));
    funnel
}

/// A funnel per source and per domain, and the total.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunnelSummary {
    pub total: Funnel,
    pub by_source: BTreeMap<String, Funnel>,
    pub by_domain: BTreeMap<String, Funnel>,
}

impl FunnelSummary {
    /// Adds the funnel of one group of documents of `source` in `domain`.
    pub fn add(&mut self, source: &str, domain: &str, funnel: &Funnel) {
        self.total.add(funnel);
        self.by_source
            .entry(source.to_owned())
            .or_default()
            .add(funnel);
        self.by_domain
            .entry(domain.to_owned())
            .or_default()
            .add(funnel);
    }

    /// The summary of a stage from its partitions' per-source funnels.
    pub fn from_partitions<'a>(partitions: impl IntoIterator<Item = &'a SourceFunnels>) -> Self {
        let mut summary = FunnelSummary::default();
        for sources in partitions {
            for (source, (domain, funnel)) in sources {
                summary.add(source, domain, funnel);
            }
        }
        summary
    }

    pub fn merge(&mut self, other: &FunnelSummary) {
        self.total.add(&other.total);
        for (source, funnel) in &other.by_source {
            self.by_source
                .entry(source.clone())
                .or_default()
                .add(funnel);
        }
        for (domain, funnel) in &other.by_domain {
            self.by_domain
                .entry(domain.clone())
                .or_default()
                .add(funnel);
        }
    }
}
