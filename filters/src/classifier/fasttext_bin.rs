//! Scoring with C++ fastText `.bin` supervised models (DCLM's quality model, a Jigsaw
//! toxicity model, lid.176), read by the pure-Rust `fasttext` crate.
//!
//! A fastText model predicts labels (`__label__hq`, `__label__cc`); the score used here
//! is the probability of one of them, the *positive label*. It is named by the caller,
//! or guessed for two-label models from common names (`__label__hq`, `__label__toxic`,
//! `__label__1`, ...). Text is scored as one line, newlines replaced by spaces, as DCLM
//! and Dolma prepare text for these models.

use std::io::Read;

use super::ClassifierError;

/// Label names taken as "positive" in a two-label model when none is named.
const POSITIVE_GUESSES: [&str; 8] = [
    "__label__hq",
    "__label__toxic",
    "__label__1",
    "__label__positive",
    "__label__pos",
    "__label__yes",
    "__label__true",
    "__label__finance",
];

/// A loaded fastText model and the label whose probability is the score.
pub struct FastTextModel {
    model: fasttext::FastText,
    labels: Vec<String>,
    positive: String,
}

impl std::fmt::Debug for FastTextModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastTextModel")
            .field("labels", &self.labels)
            .field("positive", &self.positive)
            .finish()
    }
}

impl FastTextModel {
    /// Reads a `.bin` model (its 4-byte magic included) and picks the positive label.
    pub fn read(mut reader: impl Read, positive: Option<&str>) -> Result<Self, ClassifierError> {
        let model = fasttext::FastText::load(&mut reader)
            .map_err(|e| ClassifierError::Format(format!("fastText model: {e}")))?;
        let (labels, _) = model.get_labels();
        let positive = match positive {
            Some(label) => {
                let wanted = if label.starts_with("__label__") {
                    label.to_owned()
                } else {
                    format!("__label__{label}")
                };
                if !labels.contains(&wanted) {
                    return Err(ClassifierError::UnknownLabel {
                        label: wanted,
                        known: labels.join(", "),
                    });
                }
                wanted
            }
            None => guess_positive(&labels)?,
        };
        Ok(FastTextModel {
            model,
            labels,
            positive,
        })
    }

    /// The model's labels.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The label whose probability is the score.
    pub fn positive_label(&self) -> &str {
        &self.positive
    }

    /// Probability of the positive label for `text` (0 for empty text).
    pub fn score(&self, text: &str) -> f32 {
        let line = text.replace(['\n', '\r'], " ");
        self.model
            .predict(&line, self.labels.len(), 0.0)
            .into_iter()
            .find(|p| p.label == self.positive)
            .map_or(0.0, |p| p.prob.clamp(0.0, 1.0))
    }
}

fn guess_positive(labels: &[String]) -> Result<String, ClassifierError> {
    let unnamed = || ClassifierError::UnknownLabel {
        label: "(none given)".into(),
        known: labels.join(", "),
    };
    if labels.len() != 2 {
        return Err(unnamed());
    }
    POSITIVE_GUESSES
        .iter()
        .find(|g| labels.iter().any(|l| l == *g))
        .map(|g| (*g).to_owned())
        .ok_or_else(unnamed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_only_unambiguous_two_label_models() {
        let two = ["__label__cc".to_owned(), "__label__hq".to_owned()];
        assert_eq!(guess_positive(&two).unwrap(), "__label__hq");
        let unknown = ["__label__a".to_owned(), "__label__b".to_owned()];
        assert!(guess_positive(&unknown).is_err());
        let three = [
            "__label__en".to_owned(),
            "__label__fr".to_owned(),
            "__label__de".to_owned(),
        ];
        assert!(guess_positive(&three).is_err());
    }

    #[test]
    fn a_file_that_is_not_a_model_is_refused() {
        let err = FastTextModel::read(&b"\xba\x16\x4f\x2f garbage"[..], None).unwrap_err();
        assert!(err.to_string().contains("fastText model"), "{err}");
    }
}
