//! MinHash LSH settings: shingle size, bands x rows, seed, number treatment, and the
//! presets of the pipelines we compare with.
//!
//! LSH with `b` bands of `r` rows makes two documents of Jaccard similarity `s` a
//! candidate pair with probability `1 - (1 - s^r)^b`; the curve's midpoint is near
//! `(1/b)^(1/r)` (0.72 for FineWeb's 14 x 8).

use serde::{Deserialize, Serialize};

use super::error::{DedupError, invalid};
use super::simplify::NumberMode;

/// Settings of MinHash near-dup detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MinHashConfig {
    /// Words per shingle (word n-gram size).
    pub ngram: usize,
    /// LSH bands.
    pub bands: usize,
    /// MinHash values per band; `bands * rows` permutations in all.
    pub rows: usize,
    /// Seed of the permutation parameters: documents hashed with different seeds are not
    /// comparable, so every task of one run must use the same seed.
    pub seed: u64,
    /// Number treatment in the text simplification.
    pub numbers: NumberMode,
    /// When set, candidate pairs are confirmed by the exact Jaccard similarity of their
    /// shingle sets and dropped below this value (LSH false positives).
    pub verify_threshold: Option<f64>,
}

impl Default for MinHashConfig {
    /// FineWeb's settings (5-word shingles, 14 bands x 8 rows, seed 1), with numbers kept
    /// (see [`NumberMode::Keep`]) and no verification.
    fn default() -> Self {
        MinHashConfig {
            ngram: 5,
            bands: 14,
            rows: 8,
            seed: 1,
            numbers: NumberMode::Keep,
            verify_threshold: None,
        }
    }
}

/// The exact-Jaccard threshold used when verification is switched on without a value.
pub const DEFAULT_VERIFY_THRESHOLD: f64 = 0.8;

/// Named settings of other pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinHashPreset {
    /// FineWeb / datatrove `MinhashConfig()`: 5-grams, 14 bands x 8 rows (112 hashes).
    Fineweb,
    /// RedPajama-V2's signatures: 13-grams over 128 permutations; for its 0.8 similarity
    /// level the bands and rows come from its `optimal_param(0.8, 128)` = 9 x 13.
    RedpajamaV2,
    /// text-dedup's MinHash defaults: 5-grams, 250 permutations, threshold 0.7, which
    /// its `optimal_param` turns into 25 bands x 10 rows.
    TextDedup,
}

impl MinHashConfig {
    /// The settings of `preset` (numbers as the peer pipeline treats them: FineWeb
    /// normalises them; RedPajama-V2 and text-dedup do not).
    pub fn preset(preset: MinHashPreset) -> Self {
        let base = MinHashConfig::default();
        match preset {
            MinHashPreset::Fineweb => MinHashConfig {
                numbers: NumberMode::Normalize,
                ..base
            },
            MinHashPreset::RedpajamaV2 => MinHashConfig {
                ngram: 13,
                bands: 9,
                rows: 13,
                ..base
            },
            MinHashPreset::TextDedup => MinHashConfig {
                bands: 25,
                rows: 10,
                ..base
            },
        }
    }

    /// Total permutations (`bands * rows`).
    pub fn num_perm(&self) -> usize {
        self.bands * self.rows
    }

    /// The similarity at which a pair becomes a candidate with probability about 1/2.
    pub fn threshold(&self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), DedupError> {
        if self.ngram == 0 {
            return Err(invalid("ngram", "must be at least 1"));
        }
        if self.bands == 0 || self.rows == 0 {
            return Err(invalid("bands/rows", "must both be at least 1"));
        }
        if self.num_perm() > 4096 {
            return Err(invalid(
                "bands/rows",
                format!(
                    "{} x {} is more than 4096 permutations",
                    self.bands, self.rows
                ),
            ));
        }
        if let Some(t) = self.verify_threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(invalid("verify_threshold", format!("{t} is not in [0, 1]")));
        }
        Ok(())
    }
}

/// Probability that a pair of similarity `s` becomes a candidate under `b` x `r`.
pub fn candidate_probability(s: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32)
}

/// The bands and rows minimising the weighted false-positive and false-negative areas
/// under the LSH curve for `threshold` and `num_perm` permutations: the `optimal_param`
/// of datasketch, text-dedup and RedPajama-V2 (there integrated with `scipy.quad`, here
/// with composite Simpson's rule, which agrees to well below the gaps between choices).
pub fn optimal_param(
    threshold: f64,
    num_perm: usize,
    false_positive_weight: f64,
    false_negative_weight: f64,
) -> (usize, usize) {
    let mut best = (0, 0);
    let mut min_error = f64::INFINITY;
    for b in 1..=num_perm {
        for r in 1..=num_perm / b {
            let fp = simpson(|s| candidate_probability(s, b, r), 0.0, threshold);
            let fneg = simpson(|s| 1.0 - candidate_probability(s, b, r), threshold, 1.0);
            let error = fp * false_positive_weight + fneg * false_negative_weight;
            if error < min_error {
                min_error = error;
                best = (b, r);
            }
        }
    }
    best
}

fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const N: usize = 512;
    let h = (b - a) / N as f64;
    let mut sum = f(a) + f(b);
    for i in 1..N {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(a + i as f64 * h);
    }
    sum * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_param_matches_the_peers_choices() {
        // Values computed by the peers' own optimal_param (scipy quad).
        assert_eq!(optimal_param(0.7, 250, 0.5, 0.5), (25, 10));
        assert_eq!(optimal_param(0.8, 128, 0.5, 0.5), (9, 13));
        assert_eq!(optimal_param(0.7, 128, 0.5, 0.5), (14, 9));
        assert_eq!(optimal_param(0.9, 128, 0.5, 0.5), (5, 25));
    }

    #[test]
    fn presets() {
        let f = MinHashConfig::preset(MinHashPreset::Fineweb);
        assert_eq!(
            (f.ngram, f.bands, f.rows, f.numbers),
            (5, 14, 8, NumberMode::Normalize)
        );
        let r = MinHashConfig::preset(MinHashPreset::RedpajamaV2);
        assert_eq!((r.ngram, r.bands, r.rows), (13, 9, 13));
        let t = MinHashConfig::preset(MinHashPreset::TextDedup);
        assert_eq!((t.num_perm(), t.bands, t.rows), (250, 25, 10));
        assert!((MinHashConfig::default().threshold() - 0.719).abs() < 0.001);
    }

    #[test]
    fn validation() {
        assert!(MinHashConfig::default().validate().is_ok());
        let bad = MinHashConfig {
            bands: 0,
            ..Default::default()
        };
        assert!(bad.validate().is_err());
        let bad = MinHashConfig {
            verify_threshold: Some(1.5),
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }
}
