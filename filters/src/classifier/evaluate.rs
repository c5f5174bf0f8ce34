//! Measuring a scorer against labels: precision, recall and F1 at a threshold, exact
//! ROC AUC, and the threshold that keeps a chosen fraction of documents.

use serde::{Deserialize, Serialize};

/// Counts and rates at one threshold (a document is predicted positive when its score
/// is at or above the threshold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    pub threshold: f32,
    pub true_positives: u64,
    pub false_positives: u64,
    pub true_negatives: u64,
    pub false_negatives: u64,
    /// TP / (TP + FP); 0 when nothing is predicted positive.
    pub precision: f64,
    /// TP / (TP + FN); 0 when there are no positives.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub f1: f64,
    pub accuracy: f64,
    /// FP / (FP + TN); 0 when there are no negatives.
    pub false_positive_rate: f64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Confusion counts and rates of `scores` against `labels` at `threshold`.
pub fn metrics_at(scores: &[f32], labels: &[bool], threshold: f32) -> BinaryMetrics {
    let (mut tp, mut fp, mut tn, mut fn_) = (0u64, 0u64, 0u64, 0u64);
    for (&score, &label) in scores.iter().zip(labels) {
        match (score >= threshold, label) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
    }
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    BinaryMetrics {
        threshold,
        true_positives: tp,
        false_positives: fp,
        true_negatives: tn,
        false_negatives: fn_,
        precision,
        recall,
        f1,
        accuracy: ratio(tp + tn, tp + fp + tn + fn_),
        false_positive_rate: ratio(fp, fp + tn),
    }
}

/// Area under the ROC curve: the probability that a random positive scores above a
/// random negative, ties counting one half (Mann-Whitney U with mid-ranks). Exact, in
/// O(n log n). `None` when either class is absent.
pub fn roc_auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let n = scores.len().min(labels.len());
    let positives = labels[..n].iter().filter(|&&l| l).count();
    let negatives = n - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, mid-ranked) ranks of the positives.
    let mut rank_sum = 0.0f64;
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && scores[order[end]].total_cmp(&scores[order[start]]).is_eq() {
            end += 1;
        }
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        let tied_positives = order[start..end].iter().filter(|&&i| labels[i]).count();
        rank_sum += mid_rank * tied_positives as f64;
        start = end;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// The threshold that keeps the best `fraction` of documents by score (`score >=
/// threshold`): the score of the `ceil(fraction * n)`-th best document. Ties at that
/// score are all kept, so slightly more may pass. `None` for no scores or a fraction
/// outside (0, 1].
pub fn threshold_for_keep_fraction(scores: &[f32], fraction: f64) -> Option<f32> {
    if scores.is_empty() || !(fraction > 0.0 && fraction <= 1.0) {
        return None;
    }
    let mut sorted = scores.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let k = ((fraction * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[k - 1])
}

/// A held-out evaluation: sizes, AUC and the metrics at one threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub documents: u64,
    pub positives: u64,
    pub negatives: u64,
    pub roc_auc: Option<f64>,
    pub at_threshold: BinaryMetrics,
}

impl Evaluation {
    pub fn new(scores: &[f32], labels: &[bool], threshold: f32) -> Self {
        let positives = labels.iter().filter(|&&l| l).count() as u64;
        Evaluation {
            documents: labels.len() as u64,
            positives,
            negatives: labels.len() as u64 - positives,
            roc_auc: roc_auc(scores, labels),
            at_threshold: metrics_at(scores, labels, threshold),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_inverted_and_tied_scores() {
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &labels), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &labels), Some(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &labels), Some(0.5));
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn auc_counts_pairs_exactly() {
        // Positives 0.4 and 0.7, negatives 0.1, 0.4, 0.8:
        // pairs won 0.4>0.1, tie 0.4=0.4 (half), 0.7>0.1, 0.7>0.4 -> 3.5 of 6.
        let scores = [0.4, 0.7, 0.1, 0.4, 0.8];
        let labels = [true, true, false, false, false];
        let auc = roc_auc(&scores, &labels).unwrap();
        assert!((auc - 3.5 / 6.0).abs() < 1e-12, "{auc}");
    }

    #[test]
    fn metrics_at_a_threshold() {
        let scores = [0.9, 0.6, 0.4, 0.3, 0.7];
        let labels = [true, true, true, false, false];
        let m = metrics_at(&scores, &labels, 0.5);
        assert_eq!(
            (
                m.true_positives,
                m.false_positives,
                m.true_negatives,
                m.false_negatives
            ),
            (2, 1, 1, 1)
        );
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.false_positive_rate - 0.5).abs() < 1e-12);
        let none = metrics_at(&scores, &labels, 2.0);
        assert_eq!((none.precision, none.recall, none.f1), (0.0, 0.0, 0.0));
    }

    #[test]
    fn keep_fraction_threshold() {
        let scores = [0.1, 0.9, 0.5, 0.7, 0.3];
        assert_eq!(threshold_for_keep_fraction(&scores, 0.4), Some(0.7));
        assert_eq!(threshold_for_keep_fraction(&scores, 0.5), Some(0.5));
        assert_eq!(threshold_for_keep_fraction(&scores, 1.0), Some(0.1));
        assert_eq!(threshold_for_keep_fraction(&scores, 0.01), Some(0.9));
        assert_eq!(threshold_for_keep_fraction(&scores, 0.0), None);
        assert_eq!(threshold_for_keep_fraction(&[], 0.5), None);
    }
}
