//! `[filter.classifier.NAME]`: trained models in the filter chain, one step for all of
//! them (run in name order), each deciding by its score and its use: quality (keep above
//! the threshold), toxicity (drop above it, alone or together with the word list) or
//! domain (never drops; routes the document to another domain).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Classifier;
use crate::filter::{AnnotationColumn, ColumnKind, Document, Filter};
use crate::registry::{BuildError, FilterDef, Settings};
use crate::verdict::{AnnotationValue, Verdict};

/// Reason: a quality classifier scored below its threshold.
pub const REASON_CLASSIFIER_QUALITY: &str = "classifier_low_quality";
/// Reason: a toxicity classifier scored at or above its threshold.
pub const REASON_CLASSIFIER_TOXIC: &str = "classifier_toxic";
/// Reason: a toxicity classifier and the word list both said toxic (`combine = "both"`).
pub const REASON_CLASSIFIER_AND_WORDS_TOXIC: &str = "classifier_and_word_list_toxic";

/// Annotation: the classifier that dropped the document (its name).
pub const ANNOTATION_DROPPED_BY: &str = "classifier.dropped_by";
/// Annotation: the domain classifier that routes the document (its name).
pub const ANNOTATION_ROUTED_BY: &str = "classifier.routed_by";
/// Annotation: the domain the document is routed to.
pub const ANNOTATION_ROUTED_TO: &str = "classifier.routed_to";

/// What a classifier's score decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassifierUse {
    /// Keep when score >= threshold (reference-like text).
    Quality,
    /// Drop when score >= threshold, combined with the word-list filter by `combine`.
    Toxicity,
    /// Never drops: a document of another domain scoring >= threshold is routed to
    /// `domain` (its `domain` column is rewritten).
    Domain,
}

/// How a toxicity classifier and the word-list filter (`[filter.toxicity]`) decide
/// together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToxicityCombine {
    /// Drop when either says toxic (the word list catches listed slurs a model may
    /// under-weight; the model catches abuse without listed words).
    #[default]
    Either,
    /// Drop only when both say toxic (fewest false positives on finance text).
    Both,
    /// The classifier alone decides; the word list's signals are still recorded.
    Classifier,
}

/// `[filter.classifier.NAME]`: a trained model and what its score decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierSection {
    /// The model file (`curate train-classifier` output or a fastText `.bin`) or a
    /// built-in model (`builtin:quality-en-v1`), relative
    /// to the job file.
    pub model: String,
    #[serde(rename = "use")]
    pub purpose: ClassifierUse,
    /// Score threshold (see [`ClassifierUse`]). Required in a job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    /// Quality only: keep this best fraction of documents. It needs the scores of the
    /// whole stage before any partition can be decided, so a job refuses it: `curate
    /// tag` prints the threshold that keeps a given fraction, to put in `threshold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_fraction: Option<f64>,
    /// Domain only: the domain documents are routed to (e.g. `finance`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Toxicity only: how to combine with `[filter.toxicity]` (default `either`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combine: Option<ToxicityCombine>,
    /// The class whose probability is the score (fastText: `__label__hq`; guessed for
    /// common two-label models; a curate model's positive class by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl ClassifierSection {
    /// The output column of the score: `<name>_score`, as `lang_score`.
    pub fn score_column(name: &str) -> String {
        format!("{name}_score")
    }

    /// Checks the settings that do not need the model (`key` names the setting at fault).
    pub fn validate(&self, name: &str) -> Result<(), BuildError> {
        let invalid =
            |key: &str, message: &str| Err(BuildError::new(format!("{name}.{key}"), message));
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return invalid(
                "",
                "the name must be lowercase letters, digits and `_` (it names a column)",
            );
        }
        if let Some(t) = self.threshold
            && !(0.0..=1.0).contains(&t)
        {
            return invalid("threshold", &format!("{t} is not between 0 and 1"));
        }
        if let Some(f) = self.keep_fraction
            && !(f > 0.0 && f <= 1.0)
        {
            return invalid("keep_fraction", &format!("{f} is not in (0, 1]"));
        }
        match self.purpose {
            ClassifierUse::Domain if self.domain.as_deref().is_none_or(str::is_empty) => {
                return invalid("domain", "use = \"domain\" needs `domain = \"...\"`");
            }
            ClassifierUse::Quality | ClassifierUse::Toxicity if self.domain.is_some() => {
                return invalid("domain", "`domain` is only for use = \"domain\"");
            }
            _ => {}
        }
        if self.combine.is_some() && self.purpose != ClassifierUse::Toxicity {
            return invalid("combine", "`combine` is only for use = \"toxicity\"");
        }
        if self.keep_fraction.is_some() && self.purpose != ClassifierUse::Quality {
            return invalid(
                "keep_fraction",
                "`keep_fraction` is only for use = \"quality\"",
            );
        }
        Ok(())
    }
}

/// One loaded classifier, its model shared by every worker.
#[derive(Debug, Clone)]
pub struct LoadedClassifier {
    pub name: String,
    pub purpose: ClassifierUse,
    pub threshold: Option<f32>,
    pub domain: Option<String>,
    pub combine: ToxicityCombine,
    pub model: Arc<Classifier>,
}

impl LoadedClassifier {
    /// Validates `section` and reads its model through `settings`.
    pub fn load(
        name: &str,
        section: &ClassifierSection,
        settings: &Settings<'_>,
    ) -> Result<LoadedClassifier, BuildError> {
        section.validate(name)?;
        let key = format!("{name}.model");
        let bytes = match super::builtin::resolve(&section.model) {
            Some(builtin) => builtin
                .map_err(|e| BuildError::new(&key, e))?
                .bytes
                .to_vec(),
            None => settings.read_bytes(&key, &section.model)?,
        };
        let model = Classifier::read(bytes.as_slice(), section.label.as_deref()).map_err(|e| {
            BuildError::new(
                &key,
                format!("cannot load the model {}: {e}", section.model),
            )
        })?;
        Ok(LoadedClassifier::new(name, section, model))
    }

    /// A classifier from a model already in memory (`curate tag --classifier`).
    pub fn new(name: &str, section: &ClassifierSection, model: Classifier) -> LoadedClassifier {
        LoadedClassifier {
            name: name.to_owned(),
            purpose: section.purpose,
            threshold: section.threshold,
            domain: section.domain.clone(),
            combine: section.combine.unwrap_or_default(),
            model: Arc::new(model),
        }
    }
}

/// Every classifier of a chain, in name order.
#[derive(Debug, Clone, Default)]
pub struct ClassifierStep {
    classifiers: Vec<LoadedClassifier>,
}

/// `[filter.classifier.NAME]`: trained models (quality, toxicity, domain routing).
pub const DEF: FilterDef = FilterDef {
    name: "classifier",
    about: "trained classifiers by name: quality (keep above), toxicity (drop above), domain (route)",
    build: |settings| {
        let sections: BTreeMap<String, ClassifierSection> = settings.parse()?;
        if sections.is_empty() {
            return Err(BuildError::new(
                "",
                "no classifier: add [filter.classifier.NAME] with `model` and `use`",
            ));
        }
        let classifiers = sections
            .iter()
            .map(|(name, section)| LoadedClassifier::load(name, section, settings))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Box::new(ClassifierStep::new(classifiers)?))
    },
};

impl ClassifierStep {
    /// Checks that the toxicity classifiers agree on how they combine with the word list.
    pub fn new(classifiers: Vec<LoadedClassifier>) -> Result<ClassifierStep, BuildError> {
        let combines: Vec<ToxicityCombine> = classifiers
            .iter()
            .filter(|c| c.purpose == ClassifierUse::Toxicity)
            .map(|c| c.combine)
            .collect();
        if combines.windows(2).any(|w| w[0] != w[1]) {
            return Err(BuildError::new(
                "",
                "every toxicity classifier must use the same `combine`",
            ));
        }
        Ok(ClassifierStep { classifiers })
    }

    pub fn classifiers(&self) -> &[LoadedClassifier] {
        &self.classifiers
    }

    /// Whether the word-list toxicity filter's drop waits for this step.
    fn defers_word_list(&self) -> bool {
        self.classifiers
            .iter()
            .any(|c| c.purpose == ClassifierUse::Toxicity && c.combine != ToxicityCombine::Either)
    }
}

impl Filter for ClassifierStep {
    fn name(&self) -> &'static str {
        "classifier"
    }

    /// Scores every classifier (all of them, so that the scores of a dropped document are
    /// known too) and decides; the first that drops names the reason.
    fn check(&self, doc: &Document<'_>) -> Verdict {
        let word_list_toxic = doc.deferred_drop("toxicity");
        let mut verdict = Verdict::keep(Vec::new());
        let mut routed = false;
        for classifier in &self.classifiers {
            let score = classifier.model.score(doc.text());
            verdict = verdict.annotate(
                ClassifierSection::score_column(&classifier.name),
                AnnotationValue::Number(f64::from(score)),
            );
            let Some(threshold) = classifier.threshold else {
                continue;
            };
            let reason = match classifier.purpose {
                ClassifierUse::Quality => (score < threshold).then_some(REASON_CLASSIFIER_QUALITY),
                ClassifierUse::Toxicity => {
                    let flagged = score >= threshold;
                    match classifier.combine {
                        ToxicityCombine::Either | ToxicityCombine::Classifier => {
                            flagged.then_some(REASON_CLASSIFIER_TOXIC)
                        }
                        ToxicityCombine::Both => (flagged && word_list_toxic.is_some())
                            .then_some(REASON_CLASSIFIER_AND_WORDS_TOXIC),
                    }
                }
                ClassifierUse::Domain => {
                    if score >= threshold
                        && !routed
                        && let Some(domain) = &classifier.domain
                    {
                        routed = true;
                        verdict = verdict
                            .annotate(
                                ANNOTATION_ROUTED_BY,
                                AnnotationValue::Text(classifier.name.clone()),
                            )
                            .annotate(ANNOTATION_ROUTED_TO, AnnotationValue::Text(domain.clone()));
                    }
                    None
                }
            };
            if let Some(reason) = reason
                && verdict.drop_reason.is_none()
            {
                verdict.drop_reason = Some(reason);
                verdict = verdict.annotate(
                    ANNOTATION_DROPPED_BY,
                    AnnotationValue::Text(classifier.name.clone()),
                );
            }
        }
        verdict
    }

    fn annotation_columns(&self) -> Vec<AnnotationColumn> {
        self.classifiers
            .iter()
            .map(|c| AnnotationColumn {
                name: ClassifierSection::score_column(&c.name),
                kind: ColumnKind::Number,
            })
            .collect()
    }

    fn decides_for(&self) -> Vec<&'static str> {
        if self.defers_word_list() {
            vec!["toxicity"]
        } else {
            Vec::new()
        }
    }
}
