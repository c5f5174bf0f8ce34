//! In-memory MinHash LSH near-dup dedup: signatures, band index, optional exact-Jaccard
//! verification, clusters and the keep rule, behind one small API.
//!
//! Memory per document: 16 bytes per band in the index (224 at 14 bands), 4 bytes of
//! priority, and 8 bytes of union-find while clustering: 236 bytes at FineWeb's
//! settings, whatever the document's length. The texts are never held; verification asks
//! the caller for the texts of candidate documents only.
//!
//! The pipeline, which owns threads, computes band hashes in parallel with
//! [`MinHasher::band_hashes`] (one [`Scratch`] per worker) and feeds them here with
//! [`NearDupDeduper::add_band_hashes`] in document order, or writes them to files as
//! [`BandRecord`](super::lsh::BandRecord)s for a disk-backed merge. Either way the result
//! depends only on the documents and their indices, not on the thread count.

use std::collections::HashMap;

use super::cluster::{NearDupDecision, resolve_clusters};
use super::error::DedupError;
use super::lsh::{BAND_RECORD_BYTES, LshIndex};
use super::minhash::{MinHasher, Scratch, jaccard_sorted};
use super::params::MinHashConfig;

/// The result of near-dup dedup over a corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct NearDupOutcome {
    /// One decision per document, by index.
    pub decisions: Vec<NearDupDecision>,
    /// Distinct candidate pairs produced by LSH.
    pub candidate_pairs: usize,
    /// Pairs used for clustering (all candidates, or those that passed verification).
    pub confirmed_pairs: usize,
    /// Documents too short to shingle (fewer words than the shingle size): always kept.
    pub without_signature: u32,
    /// Bytes of band records in the index (16 per band per document with a signature;
    /// vector growth may add slack unless [`NearDupDeduper::reserve`] was called).
    pub index_bytes: usize,
}

impl NearDupOutcome {
    /// Documents dropped as near-duplicates.
    pub fn removed(&self) -> usize {
        self.decisions.iter().filter(|d| !d.is_keep()).count()
    }
}

/// Collects documents in order and clusters them at the end.
#[derive(Debug, Clone)]
pub struct NearDupDeduper {
    hasher: MinHasher,
    index: LshIndex,
    priorities: Vec<u32>,
    scratch: Scratch,
    bands: Vec<u64>,
    without_signature: u32,
}

impl NearDupDeduper {
    /// A deduper for `config` (validated).
    pub fn new(config: MinHashConfig) -> Result<Self, DedupError> {
        let hasher = MinHasher::new(config)?;
        let bands = hasher.config().bands;
        Ok(NearDupDeduper {
            hasher,
            index: LshIndex::new(bands),
            priorities: Vec::new(),
            scratch: Scratch::default(),
            bands: Vec::new(),
            without_signature: 0,
        })
    }

    /// The hasher, for computing band hashes elsewhere with the same parameters.
    pub fn hasher(&self) -> &MinHasher {
        &self.hasher
    }

    /// Adds the next document's text with its priority (lower wins); returns its index.
    pub fn add(&mut self, text: &str, priority: u32) -> Result<u32, DedupError> {
        let mut bands = std::mem::take(&mut self.bands);
        let has = self.hasher.band_hashes(text, &mut self.scratch, &mut bands);
        let result = self.add_band_hashes(has.then_some(bands.as_slice()), priority);
        self.bands = bands;
        result
    }

    /// Adds the next document by its precomputed band hashes (`None`: no signature).
    pub fn add_band_hashes(
        &mut self,
        band_hashes: Option<&[u64]>,
        priority: u32,
    ) -> Result<u32, DedupError> {
        let doc =
            u32::try_from(self.priorities.len()).map_err(|_| DedupError::TooManyDocuments {
                limit: u64::from(u32::MAX),
            })?;
        match band_hashes {
            Some(h) => self.index.insert(doc, h)?,
            None => self.without_signature += 1,
        }
        self.priorities.push(priority);
        Ok(doc)
    }

    /// Reserves room for `docs` more documents, so the index holds no growth slack.
    pub fn reserve(&mut self, docs: usize) {
        self.index.reserve(docs);
        self.priorities.reserve(docs);
    }

    /// Documents added.
    pub fn len(&self) -> u32 {
        self.priorities.len() as u32
    }

    /// Whether no document was added.
    pub fn is_empty(&self) -> bool {
        self.priorities.is_empty()
    }

    /// Bytes per document held now (band index plus priorities).
    pub fn memory_bytes(&self) -> usize {
        self.index.memory_bytes() + self.priorities.capacity() * 4
    }

    /// Clusters on the LSH candidate pairs alone (no verification).
    pub fn finish(mut self) -> Result<NearDupOutcome, DedupError> {
        let pairs = self.index.candidate_pairs();
        let decisions = resolve_clusters(self.len(), &pairs, &self.priorities)?;
        Ok(NearDupOutcome {
            decisions,
            candidate_pairs: pairs.len(),
            confirmed_pairs: pairs.len(),
            without_signature: self.without_signature,
            index_bytes: self.index.records().len() * BAND_RECORD_BYTES,
        })
    }

    /// Clusters on the candidate pairs whose exact shingle Jaccard similarity is at least
    /// `threshold`. `text_of(doc)` returns a document's text; it is called only for
    /// documents in a candidate pair, once each. A pair with a missing text is dropped.
    pub fn finish_verified<T: AsRef<str>>(
        mut self,
        threshold: f64,
        text_of: impl FnMut(u32) -> Option<T>,
    ) -> Result<NearDupOutcome, DedupError> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(super::error::invalid(
                "verify_threshold",
                format!("{threshold} is not in [0, 1]"),
            ));
        }
        let pairs = self.index.candidate_pairs();
        let confirmed = verify_pairs(&self.hasher, &pairs, threshold, text_of);
        let decisions = resolve_clusters(self.len(), &confirmed, &self.priorities)?;
        Ok(NearDupOutcome {
            decisions,
            candidate_pairs: pairs.len(),
            confirmed_pairs: confirmed.len(),
            without_signature: self.without_signature,
            index_bytes: self.index.records().len() * BAND_RECORD_BYTES,
        })
    }
}

/// The pairs (of `pairs`, kept in order) whose exact Jaccard similarity of shingle sets is
/// at least `threshold`. Shingle sets are computed once per document and held only while
/// verifying, so memory is bounded by the candidates, not the corpus.
pub fn verify_pairs<T: AsRef<str>>(
    hasher: &MinHasher,
    pairs: &[(u32, u32)],
    threshold: f64,
    mut text_of: impl FnMut(u32) -> Option<T>,
) -> Vec<(u32, u32)> {
    let mut scratch = Scratch::default();
    let mut sets: HashMap<u32, Option<Vec<u64>>> = HashMap::new();
    let mut confirmed = Vec::new();
    for &(a, b) in pairs {
        for d in [a, b] {
            sets.entry(d).or_insert_with(|| {
                text_of(d).map(|t| hasher.shingle_set(t.as_ref(), &mut scratch))
            });
        }
        if let (Some(Some(sa)), Some(Some(sb))) = (sets.get(&a), sets.get(&b))
            && jaccard_sorted(sa, sb) >= threshold
        {
            confirmed.push((a, b));
        }
    }
    confirmed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::simplify::NumberMode;
    use NearDupDecision::*;

    fn words(seed: u64, n: usize) -> Vec<String> {
        // A deterministic pseudo-random vocabulary so unrelated texts share few 5-grams.
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                format!("w{}", x % 5000)
            })
            .collect()
    }

    #[test]
    fn identical_and_one_word_changed_cluster_unrelated_do_not() {
        let base = words(1, 500);
        let mut changed = base.clone();
        changed[250] = "different".to_string();
        let texts = [
            base.join(" "),
            words(2, 500).join(" "),
            changed.join(" "),
            base.join(" "),
            words(3, 500).join(" "),
        ];
        let mut d = NearDupDeduper::new(MinHashConfig::default()).unwrap();
        for t in &texts {
            d.add(t, 0).unwrap();
        }
        let out = d.finish().unwrap();
        assert_eq!(
            out.decisions,
            vec![Keep, Keep, DuplicateOf(0), DuplicateOf(0), Keep]
        );
        assert_eq!(out.removed(), 2);
        assert_eq!(out.index_bytes / texts.len(), 14 * 16);
    }

    #[test]
    fn keep_rule_uses_priority_then_index() {
        let t = words(7, 300).join(" ");
        let mut d = NearDupDeduper::new(MinHashConfig::default()).unwrap();
        for p in [3, 1, 1, 2] {
            d.add(&t, p).unwrap();
        }
        let out = d.finish().unwrap();
        assert_eq!(
            out.decisions,
            vec![DuplicateOf(1), Keep, DuplicateOf(1), DuplicateOf(1)]
        );
    }

    #[test]
    fn figures_only_notes_cluster_only_when_numbers_are_normalized() {
        let note = |a: u32, b: u32, c: u32| {
            format!(
                "Acme Corp said first quarter shr {a} cts vs {b} cts net {c} mln dlrs vs {b}0 mln \
                 revs {c}1 mln vs {a}2 mln nine mths shr {b}3 cts vs {a}4 cts net {c}5 mln vs \
                 {a}6 mln revs {b}7 mln vs {c}8 mln Reuter"
            )
        };
        let texts = [note(11, 13, 17), note(21, 29, 31), note(41, 43, 47)];
        let run = |numbers| {
            let mut d = NearDupDeduper::new(MinHashConfig {
                numbers,
                ..Default::default()
            })
            .unwrap();
            for t in &texts {
                d.add(t, 0).unwrap();
            }
            d.finish().unwrap().decisions
        };
        assert_eq!(run(NumberMode::Keep), vec![Keep, Keep, Keep]);
        assert_eq!(
            run(NumberMode::Normalize),
            vec![Keep, DuplicateOf(0), DuplicateOf(0)]
        );
    }

    #[test]
    fn short_documents_have_no_signature_and_are_kept() {
        let mut d = NearDupDeduper::new(MinHashConfig::default()).unwrap();
        d.add("too short", 0).unwrap();
        d.add("too short", 0).unwrap();
        let out = d.finish().unwrap();
        assert_eq!(out.decisions, vec![Keep, Keep]);
        assert_eq!(out.without_signature, 2);
    }

    #[test]
    fn verification_drops_pairs_below_threshold() {
        let base = words(11, 200);
        let mut half = base.clone();
        for w in half.iter_mut().skip(100).step_by(5) {
            *w = "zz".to_string();
        }
        let texts = [base.join(" "), base.join(" "), half.join(" ")];
        // Twenty bands of one row make every overlapping pair a candidate.
        let cfg = MinHashConfig {
            bands: 20,
            rows: 1,
            ..Default::default()
        };
        let run = |threshold: f64| {
            let mut d = NearDupDeduper::new(cfg.clone()).unwrap();
            for t in &texts {
                d.add(t, 0).unwrap();
            }
            d.finish_verified(threshold, |i| texts.get(i as usize))
                .unwrap()
        };
        let strict = run(0.8);
        assert_eq!(strict.decisions, vec![Keep, DuplicateOf(0), Keep]);
        let loose = run(0.1);
        assert_eq!(loose.decisions[2], DuplicateOf(0));
    }

    #[test]
    fn parallel_style_feeding_gives_the_same_result() {
        let texts: Vec<String> = (0..20).map(|i| words(i % 7, 120).join(" ")).collect();
        let mut serial = NearDupDeduper::new(MinHashConfig::default()).unwrap();
        for t in &texts {
            serial.add(t, 0).unwrap();
        }
        // Band hashes computed out of order (as workers would), fed in document order.
        let hasher = MinHasher::new(MinHashConfig::default()).unwrap();
        let mut computed: Vec<(usize, Vec<u64>)> = texts
            .iter()
            .enumerate()
            .rev()
            .map(|(i, t)| {
                let mut s = Scratch::default();
                let mut b = Vec::new();
                hasher.band_hashes(t, &mut s, &mut b);
                (i, b)
            })
            .collect();
        computed.sort_by_key(|(i, _)| *i);
        let mut fed = NearDupDeduper::new(MinHashConfig::default()).unwrap();
        for (_, b) in &computed {
            fed.add_band_hashes(Some(b), 0).unwrap();
        }
        let (a, b) = (serial.finish().unwrap(), fed.finish().unwrap());
        assert_eq!(a, b);
        assert_eq!(a.removed(), 13);
    }
}
