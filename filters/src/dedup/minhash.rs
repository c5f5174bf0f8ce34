//! MinHash signatures: shingle hashing, arithmetic permutations, band hashes.
//!
//! Each shingle (a word n-gram of the simplified text) is hashed once with xxh3-64 and
//! folded to 32 bits; a document's distinct shingle hashes are then permuted by every
//! permutation `i` with the multiply-add-shift family
//! `h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32`, with `a_i` and `b_i` drawn from a
//! SplitMix64 stream seeded by the configured seed.
//! For 32-bit `x` and uniform 64-bit `a`, `b` this family is strongly universal
//! (Dietzfelbinger 1996), which is what the MinHash estimator needs, and it costs two
//! 32-bit multiplies per value with no modulo, so the inner loop (one permutation over all
//! of a document's shingles, keeping the minimum) runs in SIMD lanes; AVX2 is used when
//! the CPU has it, with identical results either way. The signature keeps, per
//! permutation, the minimum; each band of `rows` values is hashed to one 64-bit band hash.
//! Only the band hashes are stored per document.
//!
//! datatrove permutes 64-bit hashes modulo the Mersenne prime `2^61 - 1` with parameters
//! from numpy's `RandomState(seed)`, so signatures are not bit-identical to datatrove's;
//! the estimator (the probability that two documents share a minimum is their Jaccard
//! similarity) is the same. Folding shingle hashes to 32 bits merges two distinct shingles
//! of one document with probability about `n^2 / 2^33` for `n` shingles, which moves the
//! Jaccard estimate by far less than its sampling error.
//!
//! A document with fewer words than the shingle size has no shingle and so no signature,
//! as in datatrove: it never takes part in near-dup clustering (exact dedup still sees it).

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::error::DedupError;
use super::params::MinHashConfig;
use super::simplify::simplify_into;
use crate::rng::SplitMix64;

/// `h(x) = ((a * x + b) mod 2^64) >> 32`: one permutation of a 32-bit shingle hash.
#[inline(always)]
fn permute(a: u64, b: u64, x: u32) -> u32 {
    (a.wrapping_mul(u64::from(x)).wrapping_add(b) >> 32) as u32
}

/// A 64-bit shingle hash folded to the 32 bits the permutations take.
#[inline(always)]
fn fold32(hash: u64) -> u32 {
    (hash ^ (hash >> 32)) as u32
}

/// The minimum of every permutation over `shingles`: written so the compiler keeps one
/// permutation's minimum in registers and runs the shingles through SIMD lanes.
#[inline(always)]
fn minima_portable(a: &[u64], b: &[u64], shingles: &[u32], out: &mut [u32]) {
    for ((m, &ai), &bi) in out.iter_mut().zip(a).zip(b) {
        *m = shingles
            .iter()
            .fold(u32::MAX, |min, &x| min.min(permute(ai, bi, x)));
    }
}

/// [`minima_portable`] compiled for AVX2 (four 64-bit lanes instead of two).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn minima_avx2(a: &[u64], b: &[u64], shingles: &[u32], out: &mut [u32]) {
    minima_portable(a, b, shingles, out)
}

/// Reusable buffers for one thread's signature computation.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    simplified: String,
    words: Vec<(u32, u32)>,
    shingles: Vec<u32>,
    signature: Vec<u32>,
}

/// Computes signatures and band hashes for one configuration. Cheap to share across
/// threads (`&MinHasher` is all a worker needs, plus its own [`Scratch`]).
#[derive(Debug, Clone)]
pub struct MinHasher {
    config: MinHashConfig,
    a: Vec<u64>,
    b: Vec<u64>,
    /// Whether [`minima_avx2`] may run on this CPU.
    avx2: bool,
}

impl MinHasher {
    /// Builds the permutation parameters for `config` after validating it.
    pub fn new(config: MinHashConfig) -> Result<Self, DedupError> {
        config.validate()?;
        let mut rng = SplitMix64(config.seed);
        let n = config.num_perm();
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        for _ in 0..n {
            a.push(rng.next());
            b.push(rng.next());
        }
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        Ok(MinHasher { config, a, b, avx2 })
    }

    /// The configuration.
    pub fn config(&self) -> &MinHashConfig {
        &self.config
    }

    /// Calls `f` with the xxh3-64 hash of every shingle of `text`, in order (repeats
    /// included). Returns the number of shingles.
    pub fn for_each_shingle(
        &self,
        text: &str,
        scratch: &mut Scratch,
        mut f: impl FnMut(u64),
    ) -> usize {
        simplify_into(
            text,
            self.config.numbers,
            &mut scratch.simplified,
            &mut scratch.words,
        );
        let n = self.config.ngram;
        if scratch.words.len() < n {
            return 0;
        }
        let bytes = scratch.simplified.as_bytes();
        let count = scratch.words.len() - n + 1;
        for i in 0..count {
            let start = scratch.words[i].0 as usize;
            let end = scratch.words[i + n - 1].1 as usize;
            // The words are joined by single spaces, so the slice is the n-gram's text.
            f(xxh3_64(&bytes[start..end]));
        }
        count
    }

    /// The sorted, distinct shingle hashes of `text` (for exact-Jaccard verification).
    pub fn shingle_set(&self, text: &str, scratch: &mut Scratch) -> Vec<u64> {
        let mut set = Vec::new();
        self.for_each_shingle(text, scratch, |h| set.push(h));
        set.sort_unstable();
        set.dedup();
        set
    }

    /// The full signature (`bands * rows` minima), or `None` for a document with no
    /// shingle. The slice lives in `scratch`.
    pub fn signature<'s>(&self, text: &str, scratch: &'s mut Scratch) -> Option<&'s [u32]> {
        let mut shingles = std::mem::take(&mut scratch.shingles);
        shingles.clear();
        let count = self.for_each_shingle(text, scratch, |h| shingles.push(fold32(h)));
        // A repeated shingle cannot change a minimum: permute each distinct one once.
        shingles.sort_unstable();
        shingles.dedup();
        let mut signature = std::mem::take(&mut scratch.signature);
        signature.clear();
        signature.resize(self.a.len(), u32::MAX);
        self.minima(&shingles, &mut signature);
        scratch.shingles = shingles;
        scratch.signature = signature;
        (count > 0).then_some(scratch.signature.as_slice())
    }

    fn minima(&self, shingles: &[u32], out: &mut [u32]) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is true only when the CPU reported AVX2 support.
            unsafe { minima_avx2(&self.a, &self.b, shingles, out) };
            return;
        }
        minima_portable(&self.a, &self.b, shingles, out);
    }

    /// One 64-bit hash per band of `text`'s signature, appended to `out` (cleared first).
    /// Returns `false` (and leaves `out` empty) for a document with no shingle.
    pub fn band_hashes(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<u64>) -> bool {
        out.clear();
        let rows = self.config.rows;
        let Some(sig) = self.signature(text, scratch) else {
            return false;
        };
        let mut buf = Vec::with_capacity(rows * 4);
        for (band, chunk) in sig.chunks_exact(rows).enumerate() {
            buf.clear();
            for v in chunk {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            // Seeding with the band index keeps equal row values in different bands apart.
            out.push(xxh3_64_with_seed(&buf, band as u64));
        }
        true
    }

    /// The MinHash estimate of the Jaccard similarity of two documents: the fraction of
    /// equal signature positions.
    pub fn estimate_jaccard(&self, a: &str, b: &str, scratch: &mut Scratch) -> Option<f64> {
        let sa = self.signature(a, scratch)?.to_vec();
        let sb = self.signature(b, scratch)?;
        let equal = sa.iter().zip(sb).filter(|(x, y)| x == y).count();
        Some(equal as f64 / sa.len() as f64)
    }
}

/// The exact Jaccard similarity of two sorted, distinct hash sets (0 when both are empty).
pub fn jaccard_sorted(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::simplify::NumberMode;

    fn hasher() -> MinHasher {
        MinHasher::new(MinHashConfig::default()).unwrap()
    }

    #[test]
    fn permutation_is_multiply_add_shift() {
        let mut rng = SplitMix64(7);
        for _ in 0..10_000 {
            let (a, b, x) = (rng.next(), rng.next(), rng.next() as u32);
            let exact = (u128::from(a) * u128::from(x) + u128::from(b)) % (1u128 << 64);
            assert_eq!(u128::from(permute(a, b, x)), exact >> 32);
        }
    }

    #[test]
    fn simd_and_portable_minima_agree() {
        let h = hasher();
        let mut rng = SplitMix64(3);
        let shingles: Vec<u32> = (0..1001).map(|_| rng.next() as u32).collect();
        let mut portable = vec![0; h.a.len()];
        minima_portable(&h.a, &h.b, &shingles, &mut portable);
        let mut dispatched = vec![0; h.a.len()];
        h.minima(&shingles, &mut dispatched);
        assert_eq!(portable, dispatched);
        let naive: Vec<u32> = (0..h.a.len())
            .map(|i| {
                shingles
                    .iter()
                    .map(|&x| permute(h.a[i], h.b[i], x))
                    .min()
                    .unwrap()
            })
            .collect();
        assert_eq!(portable, naive);
    }

    #[test]
    fn parameters_depend_on_seed_only() {
        let a = hasher();
        let b = hasher();
        assert_eq!((&a.a, &a.b), (&b.a, &b.b));
        let c = MinHasher::new(MinHashConfig {
            seed: 2,
            ..Default::default()
        })
        .unwrap();
        assert_ne!(a.a, c.a);
    }

    #[test]
    fn shingles_are_word_ngrams_of_the_simplified_text() {
        let h = hasher();
        let mut s = Scratch::default();
        let mut got = Vec::new();
        let n = h.for_each_shingle("One, two THREE four five six!", &mut s, |x| got.push(x));
        assert_eq!(n, 2);
        assert_eq!(
            got,
            [
                xxh3_64(b"one two three four five"),
                xxh3_64(b"two three four five six")
            ]
        );
        assert_eq!(
            h.for_each_shingle("only four words here", &mut s, |_| ()),
            0
        );
        assert!(h.signature("only four words here", &mut s).is_none());
    }

    #[test]
    fn identical_texts_have_identical_bands_and_estimate_one() {
        let h = hasher();
        let mut s = Scratch::default();
        let text = "the quick brown fox jumps over the lazy dog again and again";
        let (mut x, mut y) = (Vec::new(), Vec::new());
        assert!(h.band_hashes(text, &mut s, &mut x));
        assert!(h.band_hashes(&text.to_uppercase(), &mut s, &mut y));
        assert_eq!(x.len(), 14);
        assert_eq!(x, y);
        assert_eq!(h.estimate_jaccard(text, text, &mut s), Some(1.0));
    }

    #[test]
    fn estimate_tracks_exact_jaccard() {
        let h = MinHasher::new(MinHashConfig {
            bands: 32,
            rows: 8,
            numbers: NumberMode::Keep,
            ..Default::default()
        })
        .unwrap();
        let mut s = Scratch::default();
        let a: Vec<String> = (0..400).map(|i| format!("w{i}")).collect();
        let mut b = a.clone();
        for i in (0..400).step_by(40) {
            b[i] = format!("x{i}");
        }
        let (a, b) = (a.join(" "), b.join(" "));
        let exact = jaccard_sorted(&h.shingle_set(&a, &mut s), &h.shingle_set(&b, &mut s));
        let est = h.estimate_jaccard(&a, &b, &mut s).unwrap();
        assert!((est - exact).abs() < 0.1, "estimate {est} vs exact {exact}");
    }

    #[test]
    fn jaccard_of_sorted_sets() {
        assert_eq!(jaccard_sorted(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard_sorted(&[], &[]), 0.0);
    }
}
