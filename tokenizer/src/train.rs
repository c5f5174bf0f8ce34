//! Training a byte-level BPE tokenizer on a sample of texts.
//!
//! The layout is GPT-2's: the `ByteLevel` pre-tokenizer (GPT-2 split regex unless a pattern
//! is configured, no prefix space), the 256 byte symbols as the initial alphabet (so every
//! input is encodable and decoding is lossless), a `ByteLevel` decoder and post-processor,
//! and special tokens (the end-of-text token at least) at the first ids. This is the same
//! tokenizer that `tokenizers.trainers.BpeTrainer` builds in Python with those settings,
//! down to the bytes of `tokenizer.json`.
//!
//! Determinism: word counts are exact sums (independent of thread scheduling); the trainer
//! sorts the alphabet and breaks ties between equally frequent pairs by pair ids, and the
//! file lists vocabulary and merges by id. Training the same texts with the same config
//! therefore gives the same file (checked by a test that trains twice with different hash
//! seeds, and against the file Python `tokenizers` writes for the same input). One path in
//! the HF trainer could in principle depend on hash-map order: when a merge produces a token
//! string that already exists, a pair can sit in the merge queue twice with equal counts,
//! and which entry pops first follows insertion order, which comes from iterating a
//! randomly seeded hash map. It needs two different pairs that concatenate to the same
//! string; it has not shown up in any comparison made so far.

use serde::{Deserialize, Serialize};
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::normalizers::{NFC, NormalizerWrapper};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior, TokenizerBuilder};

use crate::bpe::BpeTokenizer;
use crate::error::{Error, Result};

/// Training settings (the `[tokenizer]` table of a job).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Target vocabulary size, special tokens and the 256 byte symbols included.
    pub vocab_size: usize,
    /// A pair must occur at least this often (weighted by word frequency) to be merged.
    pub min_frequency: u64,
    /// Special tokens, given the first ids in this order.
    pub special_tokens: Vec<String>,
    /// The end-of-text token placed between documents; must be one of `special_tokens`.
    pub eos_token: String,
    /// Pre-tokenizer split regex; `None` uses GPT-2's (built into the `ByteLevel`
    /// pre-tokenizer). Another pattern is applied by a `Split` step before byte mapping.
    /// [`crate::GPT2_PATTERN`] and [`crate::CL100K_PATTERN`] (cl100k / Llama 3) are the two
    /// that the fast encoder reproduces; a tokenizer trained with any other pattern is
    /// encoded by HF `tokenizers` (see [`BpeTokenizer::encoder_path`]).
    pub pattern: Option<String>,
    /// Apply Unicode NFC before pre-tokenising (as GPT-NeoX does).
    pub nfc: bool,
    /// Longest token to create, in characters of the byte-mapped alphabet; `None` = no limit.
    pub max_token_length: Option<usize>,
}

/// The end-of-text token of GPT-2 style vocabularies.
pub const ENDOFTEXT: &str = "<|endoftext|>";

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            vocab_size: 32_000,
            min_frequency: 2,
            special_tokens: vec![ENDOFTEXT.to_string()],
            eos_token: ENDOFTEXT.to_string(),
            pattern: None,
            nfc: false,
            max_token_length: None,
        }
    }
}

impl TrainConfig {
    /// Checks ranges and consistency.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        let floor = 256 + self.special_tokens.len();
        if self.vocab_size <= floor {
            return bad(format!(
                "vocab_size {} must exceed 256 byte symbols + {} special tokens",
                self.vocab_size,
                self.special_tokens.len()
            ));
        }
        if !self.special_tokens.contains(&self.eos_token) {
            return bad(format!(
                "eos_token {:?} must be listed in special_tokens",
                self.eos_token
            ));
        }
        if let Some(t) = self.special_tokens.iter().find(|t| t.is_empty()) {
            return bad(format!("empty special token {t:?}"));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(t) = self.special_tokens.iter().find(|t| !seen.insert(*t)) {
            return bad(format!("special token {t:?} listed twice"));
        }
        if self.max_token_length == Some(0) {
            return bad("max_token_length must be at least 1".to_string());
        }
        Ok(())
    }

    fn pre_tokenizer(&self) -> Result<PreTokenizerWrapper> {
        let byte_level = ByteLevel::default().add_prefix_space(false);
        Ok(match &self.pattern {
            None => byte_level.into(),
            Some(p) => {
                let split = Split::new(
                    SplitPattern::Regex(p.clone()),
                    SplitDelimiterBehavior::Isolated,
                    false,
                )
                .map_err(|e| Error::InvalidConfig(format!("pattern {p:?}: {e}")))?;
                Sequence::new(vec![split.into(), byte_level.use_regex(false).into()]).into()
            }
        })
    }
}

impl BpeTokenizer {
    /// Trains a tokenizer on `texts`. Memory grows with the number of distinct pre-tokens in
    /// the sample, so the caller bounds it by how much text it feeds.
    pub fn train<I, S>(texts: I, config: &TrainConfig) -> Result<Self>
    where
        I: Iterator<Item = S> + Send,
        S: AsRef<str> + Send,
    {
        config.validate()?;
        let specials: Vec<AddedToken> = config
            .special_tokens
            .iter()
            .map(|t| AddedToken::from(t.as_str(), true))
            .collect();
        let mut trainer = BpeTrainerBuilder::new()
            .vocab_size(config.vocab_size)
            .min_frequency(config.min_frequency)
            .show_progress(false)
            .special_tokens(specials)
            .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
            .max_token_length(config.max_token_length)
            .build();
        let normalizer = config.nfc.then(|| NormalizerWrapper::from(NFC));
        let mut tokenizer = TokenizerBuilder::<
            BPE,
            NormalizerWrapper,
            PreTokenizerWrapper,
            PostProcessorWrapper,
            DecoderWrapper,
        >::new()
        .with_model(BPE::default())
        .with_normalizer(normalizer)
        .with_pre_tokenizer(Some(config.pre_tokenizer()?))
        .with_post_processor(Some(ByteLevel::default().trim_offsets(false).into()))
        .with_decoder(Some(ByteLevel::default().into()))
        .build()
        .map_err(Error::tokenizers)?;
        tokenizer
            .train(&mut trainer, texts)
            .map_err(Error::tokenizers)?;
        let json = tokenizer.to_string(true).map_err(Error::tokenizers)?;
        Self::from_json_bytes(json.into_bytes())?.with_eos(&config.eos_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_unknown_fields() {
        let c: TrainConfig = serde_json::from_str(r#"{"vocab_size": 1000}"#).unwrap();
        assert_eq!(c.vocab_size, 1000);
        assert_eq!(c.min_frequency, 2);
        assert_eq!(c.special_tokens, vec![ENDOFTEXT.to_string()]);
        assert!(serde_json::from_str::<TrainConfig>(r#"{"vocab": 1000}"#).is_err());
    }

    #[test]
    fn config_validation() {
        assert!(TrainConfig::default().validate().is_ok());
        let small = TrainConfig {
            vocab_size: 257,
            ..TrainConfig::default()
        };
        assert!(matches!(small.validate(), Err(Error::InvalidConfig(_))));
        let eos = TrainConfig {
            eos_token: "</s>".into(),
            ..TrainConfig::default()
        };
        assert!(eos.validate().is_err());
        let dup = TrainConfig {
            special_tokens: vec![ENDOFTEXT.into(), ENDOFTEXT.into()],
            ..TrainConfig::default()
        };
        assert!(dup.validate().is_err());
        let pattern = TrainConfig {
            pattern: Some("(".into()),
            ..TrainConfig::default()
        };
        assert!(BpeTokenizer::train(["x"].into_iter(), &pattern).is_err());
    }

    #[test]
    fn trains_byte_level_with_eos_first() {
        let texts = ["the cat sat on the mat", "the dog sat on the log"];
        let cfg = TrainConfig {
            vocab_size: 300,
            min_frequency: 1,
            ..TrainConfig::default()
        };
        let tok = BpeTokenizer::train(texts.iter(), &cfg).unwrap();
        assert_eq!(tok.eos_id(), Some(0));
        assert_eq!(tok.token_to_id("Ġthe").map(|id| id > 256), Some(true));
        assert!(tok.vocab_size() <= 300 && tok.vocab_size() > 257);
        // Byte-level: text never seen in training still round-trips.
        let unseen = "Zürich 東京 🙂\n\ttabs";
        let ids = tok.encode(unseen).unwrap();
        assert_eq!(tok.decode(&ids).unwrap(), unseen);
        assert!(tok.splits_long_documents());
    }
}
