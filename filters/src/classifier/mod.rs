//! Trainable text classifiers for quality, toxicity and domain routing.
//!
//! Heuristic filters cannot tell a well-written article from fluent spam, and word lists
//! misfire on finance text. GPT-3 selected Common Crawl with a classifier of curated
//! reference text against raw crawl, DCLM's baseline is a fastText quality classifier,
//! Dolma drops toxic text with a fastText Jigsaw classifier. This module trains the same
//! kind of model in seconds, with nothing to download: a linear model over hashed word
//! n-grams (optionally character n-grams) with a logistic output
//! ([`features`], [`model`], [`train`]), a stable file format ([`format`]), evaluation
//! helpers ([`evaluate`]), and scoring with C++ fastText `.bin` models users already
//! have ([`fasttext_bin`]). Nothing here touches files: models are read from any `Read`
//! and written to any `Write`.

pub mod builtin;
pub mod evaluate;
pub mod fasttext_bin;
pub mod features;
pub mod format;
pub mod model;
pub mod step;
pub mod train;

use std::io::Read;

pub use evaluate::{BinaryMetrics, Evaluation, metrics_at, roc_auc, threshold_for_keep_fraction};
pub use fasttext_bin::FastTextModel;
pub use features::{CharNgrams, FeatureConfig, Normalization, SparseFeatures};
pub use format::{read_model, write_model};
pub use model::{Labels, LinearModel, TrainingInfo};
pub use train::{TrainConfig, Trainer};

/// Why a model could not be trained, read or used.
#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    #[error("invalid classifier settings: {0}")]
    Settings(String),
    #[error("training needs both classes (got {positives} positive, {negatives} negative)")]
    OneClass { positives: u64, negatives: u64 },
    #[error("{0}")]
    Format(String),
    #[error("label {label} is not one of the model's labels ({known})")]
    UnknownLabel { label: String, known: String },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// First four bytes of a C++ fastText model (the int32 793712314, little-endian).
const FASTTEXT_MAGIC: [u8; 4] = 793_712_314_i32.to_le_bytes();

/// A model that scores text: this crate's linear model or a fastText `.bin`.
#[derive(Debug)]
pub enum Classifier {
    Linear(LinearModel),
    FastText(Box<FastTextModel>),
}

impl Classifier {
    /// Reads a model of either kind, told apart by its first bytes. `positive_label`
    /// names the class whose probability is the score: for a linear model it must be one
    /// of its two labels (the negative one inverts the score); for fastText it picks the
    /// label (guessed for common two-label models when `None`).
    pub fn read(
        mut reader: impl Read,
        positive_label: Option<&str>,
    ) -> Result<Self, ClassifierError> {
        let mut head = [0u8; 4];
        reader.read_exact(&mut head).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                ClassifierError::Format("the model file is empty or truncated".into())
            } else {
                ClassifierError::Io(e)
            }
        })?;
        let whole = (&head[..]).chain(reader);
        if head == FASTTEXT_MAGIC {
            return Ok(Classifier::FastText(Box::new(FastTextModel::read(
                whole,
                positive_label,
            )?)));
        }
        let model = read_model(whole)?;
        match positive_label {
            None => Ok(Classifier::Linear(model)),
            Some(label) if label == model.labels.positive => Ok(Classifier::Linear(model)),
            Some(label) if label == model.labels.negative => {
                let mut flipped = model;
                flipped.bias = -flipped.bias;
                flipped.weights.iter_mut().for_each(|w| *w = -*w);
                std::mem::swap(&mut flipped.labels.positive, &mut flipped.labels.negative);
                Ok(Classifier::Linear(flipped))
            }
            Some(label) => Err(ClassifierError::UnknownLabel {
                label: label.to_owned(),
                known: format!("{}, {}", model.labels.negative, model.labels.positive),
            }),
        }
    }

    /// Probability of the positive class, in [0, 1].
    pub fn score(&self, text: &str) -> f32 {
        match self {
            Classifier::Linear(model) => model.score(text),
            Classifier::FastText(model) => model.score(text),
        }
    }

    /// `"linear"` or `"fasttext"`, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Classifier::Linear(_) => "linear",
            Classifier::FastText(_) => "fasttext",
        }
    }

    /// Name of the class the score is the probability of.
    pub fn positive_label(&self) -> &str {
        match self {
            Classifier::Linear(model) => &model.labels.positive,
            Classifier::FastText(model) => model.positive_label(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trained() -> LinearModel {
        let features = FeatureConfig {
            buckets: 1 << 10,
            ..FeatureConfig::default()
        };
        let labels = Labels {
            negative: "clean".into(),
            positive: "toxic".into(),
        };
        let mut t = Trainer::new(features, labels).unwrap();
        t.add("you are an idiot and a moron", true);
        t.add("thanks for the helpful edit", false);
        t.fit(&TrainConfig::default()).unwrap()
    }

    #[test]
    fn reads_linear_models_and_flips_to_the_other_label() {
        let model = trained();
        let mut bytes = Vec::new();
        write_model(&model, &mut bytes).unwrap();
        let text = "what an idiot";
        let as_toxic = Classifier::read(&bytes[..], None).unwrap();
        assert_eq!(as_toxic.kind(), "linear");
        assert_eq!(as_toxic.positive_label(), "toxic");
        assert_eq!(as_toxic.score(text), model.score(text));
        let as_clean = Classifier::read(&bytes[..], Some("clean")).unwrap();
        assert_eq!(as_clean.positive_label(), "clean");
        assert!((as_clean.score(text) - (1.0 - model.score(text))).abs() < 1e-6);
        let err = Classifier::read(&bytes[..], Some("spam")).unwrap_err();
        assert!(err.to_string().contains("clean, toxic"), "{err}");
        assert!(Classifier::read(&b"cu"[..], None).is_err());
    }

    #[test]
    fn classifiers_are_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Classifier>();
    }
}
