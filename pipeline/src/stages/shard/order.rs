//! The shuffle's two orders, both fixed by the job's seed and nothing else.
//!
//! - **Documents**: every selected copy of a document gets a key, `xxh3(seed, source, id,
//!   copy)`, and documents are packed in key order. Copies of one document get different
//!   keys, so repeats land far apart. The key also picks the copy's bucket on disk (by its
//!   high bits, [`bucket_of`]), so sorting each bucket and reading the buckets in turn gives
//!   the global key order without holding the corpus in memory.
//! - **Sequences**: the i-th packed sequence goes to position `π(i)` of the output, where
//!   `π` is a keyed pseudo-random permutation of `0..n` ([`SequencePermutation`]: a Feistel
//!   network with cycle walking). Positions decide the shard and the row, so each shard is
//!   written from one bucket of sequences and all shards hold the same number of rows.
//!   Without this second shuffle the sequences of one long filing would sit next to each
//!   other in the same training batch.

use xxhash_rust::xxh3::{Xxh3, xxh3_64, xxh3_64_with_seed};

/// The packing key of one copy of a document: xxh3-64, keyed by the seed, of
/// `source \0 id \0 copy` (little-endian), hashed in pieces so nothing is allocated per
/// copy.
pub fn copy_key(seed: u64, source: &str, id: &str, copy: u32) -> u64 {
    let mut hasher = Xxh3::with_seed(seed);
    hasher.update(source.as_bytes());
    hasher.update(&[0]);
    hasher.update(id.as_bytes());
    hasher.update(&[0]);
    hasher.update(&copy.to_le_bytes());
    hasher.digest()
}

/// The bucket of a key among `buckets`: a monotone map, so that bucket order followed by
/// key order within each bucket is the global key order.
pub fn bucket_of(key: u64, buckets: usize) -> usize {
    ((u128::from(key) * buckets as u128) >> 64) as usize
}

/// A keyed bijection of `0..n`.
#[derive(Debug, Clone)]
pub struct SequencePermutation {
    n: u64,
    half_bits: u32,
    keys: [u64; ROUNDS],
}

const ROUNDS: usize = 6;

impl SequencePermutation {
    pub fn new(n: u64, seed: u64) -> Self {
        // The smallest even number of bits that covers 0..n, so both halves are equal.
        let bits = (64 - n.saturating_sub(1).leading_zeros()).max(2);
        let half_bits = bits.div_ceil(2);
        let mut keys = [0u64; ROUNDS];
        for (round, key) in keys.iter_mut().enumerate() {
            *key = xxh3_64_with_seed(b"curate-sequence-permutation", seed ^ round as u64);
        }
        SequencePermutation { n, half_bits, keys }
    }

    pub fn len(&self) -> u64 {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The output position of sequence `index` (`index < n`).
    pub fn position(&self, index: u64) -> u64 {
        debug_assert!(index < self.n);
        // Cycle walking: the Feistel network permutes 0..2^(2*half_bits); applying it until
        // the value falls inside 0..n permutes 0..n.
        let mut value = self.feistel(index);
        while value >= self.n {
            value = self.feistel(value);
        }
        value
    }

    fn feistel(&self, value: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (value >> self.half_bits, value & mask);
        for key in self.keys {
            let mixed = xxh3_64(&(right ^ key).to_le_bytes()) & mask;
            (left, right) = (right, left ^ mixed);
        }
        (left << self.half_bits) | right
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection_for_every_size() {
        for n in [1u64, 2, 3, 5, 16, 17, 100, 1000, 4097] {
            let permutation = SequencePermutation::new(n, 42);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let p = permutation.position(i);
                assert!(p < n, "n={n}: {i} -> {p}");
                assert!(!seen[p as usize], "n={n}: {p} twice");
                seen[p as usize] = true;
            }
        }
    }

    #[test]
    fn permutation_depends_on_the_seed_and_only_on_it() {
        let order = |seed| {
            let p = SequencePermutation::new(1000, seed);
            (0..1000).map(|i| p.position(i)).collect::<Vec<_>>()
        };
        assert_eq!(order(1), order(1));
        assert_ne!(order(1), order(2));
        // Not the identity, and not a rotation: neighbours move apart.
        let moved = order(1)
            .windows(2)
            .filter(|w| w[0].abs_diff(w[1]) > 10)
            .count();
        assert!(moved > 900, "{moved}");
    }

    #[test]
    fn buckets_follow_key_order() {
        let keys = [0u64, 1, u64::MAX / 3, u64::MAX / 2, u64::MAX - 1, u64::MAX];
        let buckets: Vec<usize> = keys.iter().map(|&k| bucket_of(k, 7)).collect();
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
        assert_eq!((buckets[0], buckets[5]), (0, 6));
        assert_eq!(bucket_of(u64::MAX, 1), 0);
    }

    #[test]
    fn copy_key_hashes_source_id_and_copy_as_one_string() {
        let mut joined = b"web\0doc-1\0".to_vec();
        joined.extend_from_slice(&3u32.to_le_bytes());
        assert_eq!(
            copy_key(42, "web", "doc-1", 3),
            xxh3_64_with_seed(&joined, 42)
        );
    }

    #[test]
    fn copies_of_a_document_get_different_keys() {
        assert_ne!(copy_key(1, "web", "a", 0), copy_key(1, "web", "a", 1));
        assert_ne!(copy_key(1, "web", "a", 0), copy_key(2, "web", "a", 0));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(copy_key(1, "ab", "c", 0), copy_key(1, "a", "bc", 0));
    }
}
