//! The linear model: one weight per hashed feature slot and a bias, a logistic output.
//!
//! score(text) = sigmoid(bias + (sum of the weights of the text's features) * f(n)),
//! with `n` the number of features (a repeated feature counts each time) and `f(n)` =
//! `1/n` (fastText's average, the default) or `1/sqrt(n)`; see
//! [`super::features::Normalization`]. fastText puts a hidden layer between the
//! averaged embeddings and the output; with two classes a linear model over the same
//! features is as expressive for ranking and needs no dimension setting.

use serde::{Deserialize, Serialize};

use super::features::FeatureConfig;

/// Names of the two classes: the score is the probability of `positive`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub negative: String,
    pub positive: String,
}

impl Default for Labels {
    fn default() -> Self {
        Labels {
            negative: "negative".to_owned(),
            positive: "positive".to_owned(),
        }
    }
}

/// How a model was trained, kept in its file for audit (no timestamps: the same
/// training gives the same bytes).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainingInfo {
    pub epochs: u32,
    pub lr: f32,
    pub seed: u64,
    pub balanced: bool,
    pub positives: u64,
    pub negatives: u64,
}

/// A trained binary linear classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    pub(crate) features: FeatureConfig,
    pub(crate) labels: Labels,
    pub(crate) info: TrainingInfo,
    pub(crate) bias: f32,
    /// One weight per slot (`features.buckets` of them).
    pub(crate) weights: Vec<f32>,
}

impl LinearModel {
    /// A model with all weights zero (scores 0.5 everywhere until trained).
    pub fn zeros(features: FeatureConfig, labels: Labels) -> Self {
        let buckets = features.buckets as usize;
        LinearModel {
            features,
            labels,
            info: TrainingInfo::default(),
            bias: 0.0,
            weights: vec![0.0; buckets],
        }
    }

    pub fn features(&self) -> &FeatureConfig {
        &self.features
    }

    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    pub fn info(&self) -> &TrainingInfo {
        &self.info
    }

    /// The raw linear output (log-odds of the positive class).
    pub fn logit(&self, text: &str) -> f32 {
        let mut sum = 0.0f32;
        let n = self
            .features
            .for_each_feature(text, |slot| sum += self.weights[slot as usize]);
        self.bias + sum * self.features.normalization.scale(n)
    }

    /// Probability that `text` belongs to the positive class.
    pub fn score(&self, text: &str) -> f32 {
        sigmoid(self.logit(text))
    }
}

/// The logistic function, stable for large inputs.
pub fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untrained_model_scores_one_half() {
        let model = LinearModel::zeros(FeatureConfig::default(), Labels::default());
        assert_eq!(model.score("anything at all"), 0.5);
        assert_eq!(model.score(""), 0.5);
    }

    #[test]
    fn sigmoid_is_stable() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(100.0) > 0.999);
        assert!(sigmoid(-100.0) < 1e-6);
        assert!(sigmoid(-1000.0).is_finite());
    }

    #[test]
    fn score_follows_the_weights_of_the_features() {
        let features = FeatureConfig {
            buckets: 1 << 10,
            word_ngrams: 1,
            ..FeatureConfig::default()
        };
        let mut model = LinearModel::zeros(features.clone(), Labels::default());
        let mut slot = 0;
        features.for_each_feature("spam", |s| slot = s);
        model.weights[slot as usize] = 2.0;
        // One feature: logit = 2 / 1.
        assert!((model.logit("spam") - 2.0).abs() < 1e-6);
        // Four features, one of them `spam`: 2 / 4 (mean).
        let other = model.logit("spam ham eggs toast");
        assert!((other - 0.5).abs() < 1e-6, "{other}");
        let sqrt = LinearModel {
            features: FeatureConfig {
                normalization: crate::classifier::Normalization::Sqrt,
                ..features
            },
            ..model.clone()
        };
        assert!((sqrt.logit("spam ham eggs toast") - 1.0).abs() < 1e-6);
        assert!(model.score("spam") > model.score("ham"));
    }
}
