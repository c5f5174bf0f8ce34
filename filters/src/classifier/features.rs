//! Hashed text features, as fastText builds them: word unigrams, word bigrams (and
//! trigrams) and optionally character n-grams of each word, each hashed into one of
//! `buckets` weight slots.
//!
//! Tokens: the text is lowercased (when asked) and cut into runs of letters and digits
//! (words); every other non-space character is a token of its own, and a line break is
//! the token `\n`. Keeping punctuation and line breaks lets a quality model see sentence
//! endings and list-like layouts, which raw web spam differs in; fastText keeps them too
//! (it splits on whitespace only, and a newline is its end-of-sentence token).
//!
//! Hashing is xxh3 with fixed seeds, so a feature's slot is the same on every machine and
//! in every version of this format: the model file stores only the settings here.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// The largest word n-gram order supported (unigrams up to trigrams).
pub const MAX_WORD_NGRAMS: u8 = 3;
/// The longest character n-gram supported.
pub const MAX_CHAR_NGRAM: u8 = 8;

/// Character n-grams of each word (with `<` and `>` marking its edges, as fastText does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharNgrams {
    pub min: u8,
    pub max: u8,
}

/// How the weights of a document's features are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// Sum divided by n (fastText's average, the default): a score does not grow with
    /// the length of the document, so one threshold means the same for a tweet and a
    /// filing. Measured on the quality set of the corpus tests, it is also the one that
    /// ranks full Wikipedia pages above short foreign spam pages.
    #[default]
    Mean,
    /// Sum divided by sqrt(n): the feature vector has about unit length, as in
    /// L2-normalised bag-of-words models; long documents get confident scores.
    Sqrt,
}

impl Normalization {
    /// The factor applied to the sum of `n` feature weights.
    pub fn scale(self, n: u32) -> f32 {
        match (self, n) {
            (_, 0) => 0.0,
            (Normalization::Sqrt, n) => 1.0 / (n as f32).sqrt(),
            (Normalization::Mean, n) => 1.0 / n as f32,
        }
    }
}

/// Which features a model reads. Stored in the model file: a model always scores with
/// the settings it was trained with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    /// Number of weight slots features are hashed into. Default 2^20: collisions among
    /// the few hundred thousand distinct n-grams of a training set stay rare, and the
    /// model file stores only the slots that were trained.
    pub buckets: u32,
    /// Longest word n-gram: 1 = unigrams, 2 = unigrams and bigrams (default, as DCLM's
    /// quality model), 3 adds trigrams.
    pub word_ngrams: u8,
    /// Character n-grams of each word, or none (default). They help on short, misspelt
    /// or obfuscated text (tweets, `f*ck`), at several times the cost per document.
    pub char_ngrams: Option<CharNgrams>,
    /// Lowercase letters before hashing (default true).
    pub lowercase: bool,
    /// How feature weights are combined (default `mean`).
    #[serde(default)]
    pub normalization: Normalization,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            buckets: 1 << 20,
            word_ngrams: 2,
            char_ngrams: None,
            lowercase: true,
            normalization: Normalization::default(),
        }
    }
}

/// Seeds that keep the feature families apart in the hash space.
const BIGRAM_MIX: u64 = 0x9E37_79B9_7F4A_7C15;
const CHAR_SEED: u64 = 0x5851_F42D_4C95_7F2D;

impl FeatureConfig {
    /// Checks the settings; the message names the wrong one.
    pub fn validate(&self) -> Result<(), String> {
        if self.buckets == 0 {
            return Err("buckets must be at least 1".to_owned());
        }
        if !(1..=MAX_WORD_NGRAMS).contains(&self.word_ngrams) {
            return Err(format!("word_ngrams must be 1 to {MAX_WORD_NGRAMS}"));
        }
        if let Some(c) = self.char_ngrams
            && (c.min == 0 || c.min > c.max || c.max > MAX_CHAR_NGRAM)
        {
            return Err(format!(
                "char n-grams must satisfy 1 <= min <= max <= {MAX_CHAR_NGRAM} (got {}-{})",
                c.min, c.max
            ));
        }
        Ok(())
    }

    /// Calls `f` with the slot of every feature of `text`, in text order (a feature that
    /// occurs twice is reported twice). Returns how many were reported. Allocates one
    /// small buffer per call, whatever the text's length.
    pub fn for_each_feature(&self, text: &str, mut f: impl FnMut(u32)) -> u32 {
        let buckets = u64::from(self.buckets);
        let order = usize::from(self.word_ngrams.clamp(1, MAX_WORD_NGRAMS));
        // Hashes of the last `order - 1` tokens, newest last.
        let mut history = [0u64; MAX_WORD_NGRAMS as usize];
        let mut seen = 0usize;
        let mut count = 0u32;
        let mut word = String::new();
        let mut emit_token = |token: &str, is_word: bool, count: &mut u32| {
            let h = xxh3_64(token.as_bytes());
            f((h % buckets) as u32);
            *count += 1;
            let mut combined = h;
            for back in 1..order.min(seen + 1) {
                let previous = history[history.len() - back];
                combined = combined.wrapping_mul(BIGRAM_MIX) ^ previous.rotate_left(back as u32);
                f((mix(combined) % buckets) as u32);
                *count += 1;
            }
            history.rotate_left(1);
            history[history.len() - 1] = h;
            seen += 1;
            if is_word && let Some(c) = self.char_ngrams {
                *count += char_ngrams(token, c, buckets, &mut f);
            }
        };
        for c in text.chars() {
            if c.is_alphanumeric() {
                if self.lowercase && c.is_uppercase() {
                    word.extend(c.to_lowercase());
                } else {
                    word.push(c);
                }
                continue;
            }
            if !word.is_empty() {
                emit_token(&word, true, &mut count);
                word.clear();
            }
            if c == '\n' {
                emit_token("\n", false, &mut count);
            } else if !c.is_whitespace() {
                let mut buf = [0u8; 4];
                emit_token(c.encode_utf8(&mut buf), false, &mut count);
            }
        }
        if !word.is_empty() {
            emit_token(&word, true, &mut count);
        }
        count
    }

    /// The features of `text` as a sparse vector: distinct slots in ascending order, each
    /// with its count times the [`Normalization`] factor of the number of features.
    pub fn extract(&self, text: &str) -> SparseFeatures {
        let mut slots = Vec::new();
        let n = self.for_each_feature(text, |slot| slots.push(slot));
        slots.sort_unstable();
        let scale = self.normalization.scale(n);
        let mut features: Vec<(u32, f32)> = Vec::new();
        for slot in slots {
            match features.last_mut() {
                Some((last, value)) if *last == slot => *value += scale,
                _ => features.push((slot, scale)),
            }
        }
        SparseFeatures { features }
    }
}

/// A document's features: `(slot, value)` with distinct slots in ascending order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseFeatures {
    pub features: Vec<(u32, f32)>,
}

/// Final avalanche of a combined n-gram hash (splitmix64's), so that nearby inputs land
/// in unrelated slots.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Reports the character n-grams of `<word>`; returns how many.
fn char_ngrams(word: &str, range: CharNgrams, buckets: u64, f: &mut impl FnMut(u32)) -> u32 {
    // Byte offsets of every character boundary of `<word>`.
    let framed = format!("<{word}>");
    let bounds: Vec<usize> = framed
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(framed.len()))
        .collect();
    let chars = bounds.len() - 1;
    let mut count = 0;
    for n in usize::from(range.min)..=usize::from(range.max) {
        if n > chars {
            break;
        }
        for start in 0..=chars - n {
            // The whole framed word is already a unigram feature.
            if n == chars {
                continue;
            }
            let gram = &framed.as_bytes()[bounds[start]..bounds[start + n]];
            f((xxh3_64_with_seed(gram, CHAR_SEED + n as u64) % buckets) as u32);
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(config: &FeatureConfig, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let n = config.for_each_feature(text, |s| out.push(s));
        assert_eq!(n as usize, out.len());
        out
    }

    #[test]
    fn unigrams_and_bigrams_are_counted_per_token() {
        let config = FeatureConfig::default();
        // 3 tokens (two words and a period): 3 unigrams + 2 bigrams.
        assert_eq!(slots(&config, "Net income.").len(), 5);
        let unigrams = FeatureConfig {
            word_ngrams: 1,
            ..FeatureConfig::default()
        };
        assert_eq!(slots(&unigrams, "Net income.").len(), 3);
        let trigrams = FeatureConfig {
            word_ngrams: 3,
            ..FeatureConfig::default()
        };
        assert_eq!(slots(&trigrams, "a b c").len(), 3 + 2 + 1);
    }

    #[test]
    fn case_and_spacing_do_not_change_features_but_order_does() {
        let config = FeatureConfig::default();
        assert_eq!(slots(&config, "Net  Income"), slots(&config, "net income"));
        assert_ne!(slots(&config, "net income"), slots(&config, "income net"));
        let cased = FeatureConfig {
            lowercase: false,
            ..FeatureConfig::default()
        };
        assert_ne!(slots(&cased, "Net"), slots(&cased, "net"));
    }

    #[test]
    fn char_ngrams_of_framed_words() {
        let config = FeatureConfig {
            word_ngrams: 1,
            char_ngrams: Some(CharNgrams { min: 3, max: 3 }),
            ..FeatureConfig::default()
        };
        // `<cat>` has 5 characters: 3 trigrams, plus the unigram.
        assert_eq!(slots(&config, "cat").len(), 4);
        // Non-ASCII words are cut at character boundaries.
        assert_eq!(slots(&config, "çaé").len(), 4);
        // Punctuation gets no character n-grams.
        assert_eq!(slots(&config, "!").len(), 1);
    }

    #[test]
    fn extract_merges_repeats_and_normalises() {
        let config = FeatureConfig {
            word_ngrams: 1,
            ..FeatureConfig::default()
        };
        let sparse = extract_sorted(&config, "buy buy buy now");
        assert_eq!(sparse.len(), 2);
        // Averaged: the values of the four features sum to 1, `buy` has 3/4.
        let total: f32 = sparse.iter().map(|(_, v)| v).sum();
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        assert!(sparse.iter().any(|(_, v)| (v - 0.75).abs() < 1e-6));
        assert!(sparse.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(config.extract("").features.is_empty());
    }

    fn extract_sorted(config: &FeatureConfig, text: &str) -> Vec<(u32, f32)> {
        config.extract(text).features
    }

    #[test]
    fn validation_names_the_setting() {
        let bad = FeatureConfig {
            word_ngrams: 4,
            ..FeatureConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("word_ngrams"));
        let bad = FeatureConfig {
            char_ngrams: Some(CharNgrams { min: 5, max: 3 }),
            ..FeatureConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("char n-grams"));
        assert!(FeatureConfig::default().validate().is_ok());
    }
}
