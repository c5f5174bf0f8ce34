//! Deterministic per-document sampling that realises a mix plan's fractional rates.
//!
//! A slice of the mix (a source's documents in one domain, see [`crate::mix`]) sampled at
//! rate `r` contributes `floor(r)` full copies of every document plus one more copy of a
//! subset holding `frac(r)` of its tokens. Which documents form the subset is
//! decided by a hash of the run's seed and the document id, so it depends on nothing else
//! (not on order, partitioning or thread count) and is the same on every rerun.
//!
//! Two ways to pick the subset:
//! * [`include`]: each document independently, `key < frac(r)`. Needs no global view (any
//!   partition decides alone), and the realised token fraction is within sampling error of
//!   the target: for documents of similar length the standard error is about
//!   `sqrt(f (1 - f) / n)`, under 0.05 percentage point from a million documents on (so
//!   within 0.1 point with about 95 % confidence); long-tailed lengths need more documents.
//! * [`select_documents`]: token-exact. Documents are ordered by the same key and taken while
//!   they fit under the token target; the result falls short of the target by less than the
//!   smallest document left out (so by less than one document). This needs the document
//!   list of the slice, i.e. a reduce step in the pipeline.

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// The hash that identifies a document id for sampling (xxh3-64 of its UTF-8 bytes).
pub fn id_hash(id: &str) -> u64 {
    xxh3_64(id.as_bytes())
}

/// The document's sampling key under `seed`: uniform over `u64`, independent across seeds.
pub fn sample_key(seed: u64, id_hash: u64) -> u64 {
    xxh3_64_with_seed(&id_hash.to_le_bytes(), seed)
}

/// Whether a document with id `id` belongs to the `fraction` sample under `seed`.
/// `fraction <= 0` keeps nothing, `fraction >= 1` keeps everything; samples are nested (a
/// document kept at fraction `f` is kept at every larger fraction).
pub fn include(seed: u64, id: &str, fraction: f64) -> bool {
    if fraction >= 1.0 {
        return true;
    }
    if fraction.is_nan() || fraction <= 0.0 {
        return false;
    }
    // Compare on 53-bit uniform values so that the threshold is exact in f64.
    let u = (sample_key(seed, id_hash(id)) >> 11) as f64 / (1u64 << 53) as f64;
    u < fraction
}

/// Number of copies of a document for a source sampled at `rate` (e.g. 2.37: two full
/// copies, and a third for the documents in the 0.37 sample).
pub fn copies(seed: u64, id: &str, rate: f64) -> u32 {
    if rate.is_nan() || rate <= 0.0 {
        return 0;
    }
    let whole = rate.floor();
    // Rates are bounded by the plan's epoch cap, far below u32::MAX.
    whole as u32 + u32::from(include(seed, id, rate - whole))
}

/// Picks documents to reach `target_tokens` as closely as possible without exceeding it.
///
/// `docs` holds `(id_hash, tokens)` per document (see [`id_hash`]). Documents are visited in
/// order of [`sample_key`] (ties by position) and taken when they still fit. The selected
/// total is `min(target, all)` minus less than the smallest unselected document; returns one
/// flag per document, in input order.
pub fn select_documents(docs: &[(u64, u64)], target_tokens: u64, seed: u64) -> Vec<bool> {
    let mut order: Vec<(u64, usize)> = docs
        .iter()
        .enumerate()
        .map(|(i, &(h, _))| (sample_key(seed, h), i))
        .collect();
    order.sort_unstable();
    let mut keep = vec![false; docs.len()];
    let mut left = target_tokens;
    for (_, i) in order {
        if left == 0 {
            break;
        }
        let t = docs[i].1;
        if t <= left {
            keep[i] = true;
            left -= t;
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic documents: ids `doc-<i>` and lengths 50..=2049 tokens from a fixed hash.
    fn docs(n: usize) -> Vec<(String, u64)> {
        (0..n)
            .map(|i| {
                let id = format!("doc-{i}");
                let len = 50 + xxh3_64(id.as_bytes()) % 2000;
                (id, len)
            })
            .collect()
    }

    #[test]
    fn fractional_sample_hits_token_share_within_a_tenth_of_a_point() {
        let docs = docs(1_000_000);
        let total: u64 = docs.iter().map(|d| d.1).sum();
        for (seed, f) in [(1u64, 0.37), (2, 0.05), (3, 0.9)] {
            let kept: u64 = docs
                .iter()
                .filter(|(id, _)| include(seed, id, f))
                .map(|d| d.1)
                .sum();
            let realised = kept as f64 / total as f64;
            assert!(
                (realised - f).abs() < 0.001,
                "seed {seed}: {realised} vs {f}"
            );
        }
    }

    #[test]
    fn samples_are_nested_deterministic_and_seeded() {
        let docs = docs(10_000);
        let a: Vec<bool> = docs.iter().map(|(id, _)| include(7, id, 0.3)).collect();
        let b: Vec<bool> = docs.iter().map(|(id, _)| include(7, id, 0.6)).collect();
        assert!(a.iter().zip(&b).all(|(x, y)| !x || *y), "not nested");
        let again: Vec<bool> = docs.iter().map(|(id, _)| include(7, id, 0.3)).collect();
        assert_eq!(a, again);
        let other: Vec<bool> = docs.iter().map(|(id, _)| include(8, id, 0.3)).collect();
        assert_ne!(a, other);
        assert!(include(0, "x", 1.0) && !include(0, "x", 0.0) && !include(0, "x", f64::NAN));
        assert_eq!(copies(0, "x", 3.0), 3);
        assert_eq!(copies(0, "x", 0.0), 0);
        let c = copies(7, &docs[0].0, 2.3);
        assert_eq!(c, 2 + u32::from(a[0]));
    }

    #[test]
    fn select_documents_is_token_exact_within_one_document() {
        let docs = docs(20_000);
        let hashed: Vec<(u64, u64)> = docs.iter().map(|(id, t)| (id_hash(id), *t)).collect();
        let total: u64 = hashed.iter().map(|d| d.1).sum();
        for (seed, target) in [(1u64, total * 37 / 100), (2, 1_000_003), (3, 17)] {
            let keep = select_documents(&hashed, target, seed);
            let got: u64 = hashed
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(d, _)| d.1)
                .sum();
            assert!(got <= target, "overshoot");
            let smallest_left = hashed
                .iter()
                .zip(&keep)
                .filter(|(_, k)| !**k)
                .map(|(d, _)| d.1)
                .min()
                .unwrap();
            assert!(
                target - got < smallest_left,
                "gap {} >= {smallest_left}",
                target - got
            );
            assert!(
                target - got < 50,
                "documents are at least 50 tokens: gap {}",
                target - got
            );
            assert_eq!(keep, select_documents(&hashed, target, seed));
        }
        // Targets beyond the total keep everything; zero keeps nothing.
        assert!(select_documents(&hashed, total + 1, 9).iter().all(|k| *k));
        assert!(select_documents(&hashed, 0, 9).iter().all(|k| !*k));
        // Exact fits are found: three documents of 10 and a target of 20.
        let small = [(1, 10), (2, 10), (3, 10)];
        let keep = select_documents(&small, 20, 0);
        assert_eq!(keep.iter().filter(|k| **k).count(), 2);
    }
}
