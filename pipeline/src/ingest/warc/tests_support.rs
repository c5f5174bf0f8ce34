//! Helpers shared by the tests of the web archive reader.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{RecordItem, WarcRecords};
use crate::ingest::{ReadItem, SkipReason};

/// A file of the shared corpora, which must exist (a missing corpus fails the test).
pub(crate) fn fixture(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora")
        .join(relative);
    assert!(path.is_file(), "corpus file missing: {}", path.display());
    path
}

/// Record counts per `WARC-Type`, and skip counts per reason, of a whole file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RecordCounts {
    pub types: BTreeMap<String, usize>,
    pub skipped: BTreeMap<SkipReason, usize>,
    /// Records whose declared length was wrong (cut or extended).
    pub mismatched: usize,
}

pub(crate) fn record_counts(relative: &str) -> RecordCounts {
    let file = std::fs::File::open(fixture(relative)).unwrap();
    count_records(WarcRecords::new(file, 64 << 20))
}

pub(crate) fn count_records(records: WarcRecords) -> RecordCounts {
    let mut counts = RecordCounts::default();
    for item in records {
        match item {
            RecordItem::Record(r) => {
                counts.mismatched += usize::from(r.length_mismatch.is_some());
                *counts.types.entry(r.record_type()).or_default() += 1;
            }
            RecordItem::Skipped(s) => *counts.skipped.entry(s.reason).or_default() += 1,
        }
    }
    counts
}

/// `[("response", 2), ...]` as a map, for comparing with [`RecordCounts::types`].
pub(crate) fn types(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|&(t, n)| (t.to_string(), n)).collect()
}

pub(crate) fn skips(pairs: &[(SkipReason, usize)]) -> BTreeMap<SkipReason, usize> {
    pairs.iter().copied().collect()
}

/// Documents and skip counts of reading a whole file with default options.
pub(crate) fn read_all(relative: &str) -> (Vec<super::RawDocument>, BTreeMap<SkipReason, usize>) {
    let reader = super::open_web_archive(&fixture(relative), &Default::default()).unwrap();
    let mut docs = Vec::new();
    let mut skipped = BTreeMap::new();
    for item in reader {
        match item {
            ReadItem::Document { document, .. } => docs.push(document),
            ReadItem::Skipped(s) => *skipped.entry(s.reason).or_default() += 1,
        }
    }
    (docs, skipped)
}
