//! MinHash signatures: shingle hashing, arithmetic permutations, band hashes.
//!
//! Each shingle (a word n-gram of the simplified text) is hashed once with xxh3-64 and
//! reduced modulo the Mersenne prime `p = 2^61 - 1`; permutation `i` maps it to
//! `(a_i * h + b_i) mod p`, with `a_i` in `[1, p)` and `b_i` in `[0, p)` drawn from a
//! SplitMix64 stream seeded by the configured seed. The signature keeps, per permutation,
//! the minimum over the document's shingles; each band of `rows` values is then hashed to
//! one 64-bit band hash. Only the band hashes are stored per document.
//!
//! The parameters are not numpy's (datatrove draws them from `RandomState(seed)`), so
//! signatures are not bit-identical to datatrove's; the estimator is the same. datatrove
//! multiplies in wrapping 64-bit arithmetic before the modulo; here the product is exact
//! (128-bit), which keeps the permutations a true universal hash family.
//!
//! A document with fewer words than the shingle size has no shingle and so no signature,
//! as in datatrove: it never takes part in near-dup clustering (exact dedup still sees it).

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::error::DedupError;
use super::params::MinHashConfig;
use super::simplify::simplify_into;

/// The Mersenne prime `2^61 - 1`.
pub const MERSENNE_61: u64 = (1 << 61) - 1;

/// `x mod (2^61 - 1)` for `x < 2^122 + 2^61`.
#[inline]
fn mod_mersenne(x: u128) -> u64 {
    let folded = (x as u64 & MERSENNE_61) + (x >> 61) as u64;
    let r = (folded & MERSENNE_61) + (folded >> 61);
    if r >= MERSENNE_61 { r - MERSENNE_61 } else { r }
}

/// `(a * x + b) mod (2^61 - 1)` for `a, b, x < 2^61 - 1`.
///
/// The 122-bit product is folded once (`2^61 = 1 mod p`), `b` is added to the folded
/// value (still below `2^63`), and a second fold and one conditional subtraction give the
/// canonical residue. This is the signature's inner loop, run `bands * rows` times per
/// shingle, so it avoids 128-bit additions and shifts.
#[inline(always)]
fn permute(a: u64, b: u64, x: u64) -> u64 {
    let product = u128::from(a) * u128::from(x);
    let (lo, hi) = (product as u64, (product >> 64) as u64);
    let folded = (lo & MERSENNE_61) + ((lo >> 61) | (hi << 3)) + b;
    let r = (folded & MERSENNE_61) + (folded >> 61);
    if r >= MERSENNE_61 { r - MERSENNE_61 } else { r }
}

/// SplitMix64: a tiny, well-mixed, fully specified generator, so the permutations
/// depend only on the seed and never on a library's version.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[low, MERSENNE_61)` by rejection.
    fn below_mersenne(&mut self, low: u64) -> u64 {
        loop {
            let v = self.next() >> 3; // 61 bits
            if v >= low && v < MERSENNE_61 {
                return v;
            }
        }
    }
}

/// Reusable buffers for one thread's signature computation.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    simplified: String,
    words: Vec<(u32, u32)>,
    signature: Vec<u64>,
}

/// Computes signatures and band hashes for one configuration. Cheap to share across
/// threads (`&MinHasher` is all a worker needs, plus its own [`Scratch`]).
#[derive(Debug, Clone)]
pub struct MinHasher {
    config: MinHashConfig,
    a: Vec<u64>,
    b: Vec<u64>,
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
            a.push(rng.below_mersenne(1));
            b.push(rng.below_mersenne(0));
        }
        Ok(MinHasher { config, a, b })
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
    pub fn signature<'s>(&self, text: &str, scratch: &'s mut Scratch) -> Option<&'s [u64]> {
        let mut sig = std::mem::take(&mut scratch.signature);
        sig.clear();
        sig.resize(self.a.len(), u64::MAX);
        let (a, b) = (&self.a, &self.b);
        let count = self.for_each_shingle(text, scratch, |h| {
            let x = mod_mersenne(u128::from(h));
            for ((m, &ai), &bi) in sig.iter_mut().zip(a).zip(b) {
                *m = (*m).min(permute(ai, bi, x));
            }
        });
        scratch.signature = sig;
        (count > 0).then_some(scratch.signature.as_slice())
    }

    /// One 64-bit hash per band of `text`'s signature, appended to `out` (cleared first).
    /// Returns `false` (and leaves `out` empty) for a document with no shingle.
    pub fn band_hashes(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<u64>) -> bool {
        out.clear();
        let rows = self.config.rows;
        let Some(sig) = self.signature(text, scratch) else {
            return false;
        };
        let mut buf = Vec::with_capacity(rows * 8);
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
    fn mersenne_reduction_is_exact() {
        for x in [
            0u128,
            1,
            MERSENNE_61 as u128,
            (MERSENNE_61 as u128) * 3 + 5,
            u64::MAX as u128,
        ] {
            assert_eq!(mod_mersenne(x) as u128, x % MERSENNE_61 as u128);
        }
        let big = (MERSENNE_61 as u128 - 1) * (MERSENNE_61 as u128 - 1) + MERSENNE_61 as u128 - 1;
        assert_eq!(mod_mersenne(big) as u128, big % MERSENNE_61 as u128);
    }

    #[test]
    fn permutation_matches_exact_arithmetic() {
        let p = MERSENNE_61 as u128;
        let mut rng = SplitMix64(7);
        for _ in 0..10_000 {
            let (a, b, x) = (
                rng.below_mersenne(1),
                rng.below_mersenne(0),
                rng.below_mersenne(0),
            );
            let want = (a as u128 * x as u128 + b as u128) % p;
            assert_eq!(permute(a, b, x) as u128, want);
        }
        let m = MERSENNE_61 - 1;
        assert_eq!(
            permute(m, m, m) as u128,
            (m as u128 * m as u128 + m as u128) % p
        );
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
        assert!(a.a.iter().all(|&x| (1..MERSENNE_61).contains(&x)));
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
