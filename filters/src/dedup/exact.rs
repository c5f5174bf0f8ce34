//! Exact dedup: a 128-bit xxh3 hash of the normalised text (or URL) per document, and a
//! streaming deduper that answers "first seen" or "duplicate of document X".
//!
//! Memory: one table entry per *distinct* document: a 16-byte hash plus a 4-byte
//! document index, 24 bytes with alignment, plus one control byte, in a table whose
//! capacity is a power of two filled to at most 7/8. That is 28 to 57 bytes per distinct
//! document (about 40 on average); duplicates add nothing. At 128 bits, the chance of any
//! accidental collision among 10^12 documents is below 10^-14.
//!
//! For corpora beyond one machine's memory the pipeline can compute [`exact_hash`] per
//! document, sort `(hash, doc)` pairs into files and merge them; the first document of
//! each equal-hash run is the one kept, exactly what [`ExactDeduper`] decides in memory.

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_128;

use super::error::DedupError;
use super::hashing::{PassThroughBuild, table_bytes};
use super::normalize::{TextNorm, UrlNorm, normalize_text, normalize_url};

/// The exact-dedup hash of `text` under `norm`.
pub fn exact_hash(text: &str, norm: TextNorm) -> u128 {
    xxh3_128(normalize_text(text, norm).as_bytes())
}

/// The URL-dedup hash of `url` under `norm`.
pub fn url_hash(url: &str, norm: UrlNorm) -> u128 {
    xxh3_128(normalize_url(url, norm).as_bytes())
}

/// The answer for one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactDecision {
    /// No earlier document had this key; the document is kept.
    FirstSeen,
    /// The same key was first seen at this document index; the document is a duplicate.
    DuplicateOf(u32),
}

impl ExactDecision {
    /// Whether the document is kept.
    pub fn is_first_seen(self) -> bool {
        self == ExactDecision::FirstSeen
    }
}

type HashIndex = HashMap<[u64; 2], u32, PassThroughBuild>;

/// Streaming exact dedup of documents (or URLs) in the order given.
///
/// Documents are numbered 0, 1, 2, ... in the order they are observed; the decision for a
/// duplicate names the index of the first document with the same key.
#[derive(Debug, Clone)]
pub struct ExactDeduper {
    norm: TextNorm,
    url_norm: UrlNorm,
    seen: HashIndex,
    next_index: u64,
}

impl ExactDeduper {
    /// A deduper of texts under `norm`.
    pub fn new(norm: TextNorm) -> Self {
        ExactDeduper {
            norm,
            url_norm: UrlNorm::default(),
            seen: HashIndex::default(),
            next_index: 0,
        }
    }

    /// A deduper of URLs under `norm` (use [`ExactDeduper::observe_url`]).
    pub fn for_urls(norm: UrlNorm) -> Self {
        ExactDeduper {
            url_norm: norm,
            ..ExactDeduper::new(TextNorm::None)
        }
    }

    /// Observes the next document's text.
    pub fn observe(&mut self, text: &str) -> Result<ExactDecision, DedupError> {
        self.observe_hash(exact_hash(text, self.norm))
    }

    /// Observes the next document's URL.
    pub fn observe_url(&mut self, url: &str) -> Result<ExactDecision, DedupError> {
        self.observe_hash(url_hash(url, self.url_norm))
    }

    /// Observes the next document by a precomputed 128-bit key.
    pub fn observe_hash(&mut self, hash: u128) -> Result<ExactDecision, DedupError> {
        let index = u32::try_from(self.next_index).map_err(|_| DedupError::TooManyDocuments {
            limit: u64::from(u32::MAX),
        })?;
        self.next_index += 1;
        // Split into two u64 words: the low word is the bucket hash, both are compared.
        let key = [hash as u64, (hash >> 64) as u64];
        Ok(match self.seen.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => ExactDecision::DuplicateOf(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(index);
                ExactDecision::FirstSeen
            }
        })
    }

    /// Documents observed so far.
    pub fn observed(&self) -> u64 {
        self.next_index
    }

    /// Distinct keys held (documents kept so far).
    pub fn distinct(&self) -> usize {
        self.seen.len()
    }

    /// Bytes the table holds now (approximately): its buckets, 24-byte entry plus one
    /// control byte each.
    pub fn memory_bytes(&self) -> usize {
        table_bytes(self.seen.capacity(), std::mem::size_of::<([u64; 2], u32)>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_seen_then_duplicate_of_first() {
        let mut d = ExactDeduper::new(TextNorm::Whitespace);
        assert_eq!(d.observe("a  b").unwrap(), ExactDecision::FirstSeen);
        assert_eq!(d.observe("c").unwrap(), ExactDecision::FirstSeen);
        assert_eq!(d.observe(" a b\n").unwrap(), ExactDecision::DuplicateOf(0));
        assert_eq!(d.observe("A b").unwrap(), ExactDecision::FirstSeen);
        assert_eq!(d.observe("c").unwrap(), ExactDecision::DuplicateOf(1));
        assert_eq!((d.observed(), d.distinct()), (5, 3));
    }

    #[test]
    fn normalisation_modes_decide_equality() {
        let same = |norm, a, b| exact_hash(a, norm) == exact_hash(b, norm);
        assert!(!same(TextNorm::None, "a b", "a  b"));
        assert!(same(TextNorm::Whitespace, "a b", " a\n\tb "));
        assert!(!same(TextNorm::Whitespace, "A b", "a b"));
        assert!(same(TextNorm::WhitespaceCase, "Ä b", "ä  B"));
    }

    #[test]
    fn url_dedup_uses_url_norm() {
        let mut d = ExactDeduper::for_urls(UrlNorm::Canonical);
        assert!(d.observe_url("http://A.com/x#1").unwrap().is_first_seen());
        assert_eq!(
            d.observe_url("http://a.com:80/x").unwrap(),
            ExactDecision::DuplicateOf(0)
        );
        assert!(d.observe_url("http://a.com/x/").unwrap().is_first_seen());
    }

    #[test]
    fn memory_is_bounded_per_distinct_document() {
        let mut d = ExactDeduper::new(TextNorm::None);
        for i in 0..10_000u32 {
            d.observe(&i.to_string()).unwrap();
            d.observe(&i.to_string()).unwrap();
        }
        assert_eq!(d.distinct(), 10_000);
        let per_doc = d.memory_bytes() as f64 / 10_000.0;
        assert!((28.0..=57.0).contains(&per_doc), "{per_doc}");
    }
}
