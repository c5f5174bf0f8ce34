//! LSH banding: band-hash records and the candidate pairs they imply.
//!
//! A record is a plain `(band, doc, hash)` triple of 16 bytes, so the in-memory index is
//! one vector that can equally be written to files, sorted per band and merged: the
//! candidate pairs come from any stream of records sorted by `(band, hash, doc)`
//! ([`candidate_pairs_sorted`]), whether that stream is this vector or a k-way merge.
//!
//! Memory: 16 bytes per band per document with a signature (224 bytes per document at
//! FineWeb's 14 bands), independent of the document's length.

use super::error::DedupError;

/// One band hash of one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BandRecord {
    /// The band, first so that sorting groups a band's records together.
    pub band: u32,
    /// The hash of the band's rows.
    pub hash: u64,
    /// The document's index.
    pub doc: u32,
}

/// Bytes one record occupies in memory (and in a file as three little-endian fields).
pub const BAND_RECORD_BYTES: usize = std::mem::size_of::<BandRecord>();

/// The band records of a corpus (or of one partition of it), in memory.
#[derive(Debug, Clone, Default)]
pub struct LshIndex {
    bands: usize,
    records: Vec<BandRecord>,
    sorted: bool,
}

impl LshIndex {
    /// An empty index for signatures of `bands` bands.
    pub fn new(bands: usize) -> Self {
        LshIndex {
            bands,
            records: Vec::new(),
            sorted: true,
        }
    }

    /// Reserves room for `docs` more documents' records.
    pub fn reserve(&mut self, docs: usize) {
        self.records.reserve(docs.saturating_mul(self.bands));
    }

    /// Adds document `doc`'s band hashes (one per band). Documents may arrive in any
    /// order (e.g. from parallel workers): the pairs depend only on the set of records.
    pub fn insert(&mut self, doc: u32, band_hashes: &[u64]) -> Result<(), DedupError> {
        if band_hashes.len() != self.bands {
            return Err(DedupError::BandCountMismatch {
                expected: self.bands,
                got: band_hashes.len(),
            });
        }
        self.records.extend(
            band_hashes
                .iter()
                .enumerate()
                .map(|(band, &hash)| BandRecord {
                    band: band as u32,
                    hash,
                    doc,
                }),
        );
        self.sorted = false;
        Ok(())
    }

    /// The records held (sorted after [`LshIndex::sort`]).
    pub fn records(&self) -> &[BandRecord] {
        &self.records
    }

    /// Sorts the records by `(band, hash, doc)`; idempotent.
    pub fn sort(&mut self) {
        if !self.sorted {
            self.records.sort_unstable();
            self.sorted = true;
        }
    }

    /// Bytes held by the records (capacity included).
    pub fn memory_bytes(&self) -> usize {
        self.records.capacity() * BAND_RECORD_BYTES
    }

    /// The distinct candidate pairs `(low, high)`, sorted.
    pub fn candidate_pairs(&mut self) -> Vec<(u32, u32)> {
        self.sort();
        candidate_pairs_sorted(self.records.iter().copied())
    }
}

/// Candidate pairs from records sorted by `(band, hash, doc)`: within each run of equal
/// `(band, hash)`, each document pairs with the one before it (as datatrove's bucket
/// step does), which connects the whole run with `len - 1` pairs instead of `len^2 / 2`.
/// Returns distinct pairs `(low, high)`, sorted.
pub fn candidate_pairs_sorted(records: impl IntoIterator<Item = BandRecord>) -> Vec<(u32, u32)> {
    let mut pairs = Vec::new();
    let mut prev: Option<BandRecord> = None;
    for r in records {
        if let Some(p) = prev
            && p.band == r.band
            && p.hash == r.hash
            && p.doc != r.doc
        {
            pairs.push((p.doc.min(r.doc), p.doc.max(r.doc)));
        }
        prev = Some(r);
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_is_sixteen_bytes() {
        assert_eq!(BAND_RECORD_BYTES, 16);
    }

    #[test]
    fn pairs_from_shared_bands_in_any_insert_order() {
        let docs: [(u32, [u64; 3]); 4] = [
            (0, [1, 2, 3]),
            (1, [9, 2, 8]),
            (2, [7, 7, 7]),
            (3, [1, 5, 6]),
        ];
        let mut fwd = LshIndex::new(3);
        for (d, h) in docs {
            fwd.insert(d, &h).unwrap();
        }
        let mut rev = LshIndex::new(3);
        for (d, h) in docs.iter().rev() {
            rev.insert(*d, h).unwrap();
        }
        assert_eq!(fwd.candidate_pairs(), vec![(0, 1), (0, 3)]);
        assert_eq!(rev.candidate_pairs(), fwd.candidate_pairs());
        assert!(fwd.insert(4, &[1]).is_err());
    }

    #[test]
    fn a_run_is_chained() {
        let mut idx = LshIndex::new(1);
        for d in [5, 2, 9] {
            idx.insert(d, &[42]).unwrap();
        }
        assert_eq!(idx.candidate_pairs(), vec![(2, 5), (5, 9)]);
    }
}
