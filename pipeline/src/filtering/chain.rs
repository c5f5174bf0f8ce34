//! A profile's filters, built once per stage and shared by every worker: each a
//! [`Filter`] from the registry, run in order, the first drop deciding.

use std::collections::BTreeMap;
use std::path::Path;

use curate_filters::classifier::step::{
    ANNOTATION_DROPPED_BY, ANNOTATION_ROUTED_BY, ANNOTATION_ROUTED_TO, ClassifierSection,
};
use curate_filters::filter::{AnnotationColumn, DeferredDrop, Document, Filter};
use curate_filters::registry::{BuildError, Resources};
use curate_filters::{Annotation, AnnotationValue, Signal, Verdict};

use super::config::ResolvedProfile;
use super::profiles::{JobFiles, ProfileError, build_filter, profile_key};

/// A filter's verdict on one document, named.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedVerdict {
    pub filter: &'static str,
    pub verdict: Verdict,
}

/// What the chain decided on one document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChainOutcome {
    /// The first drop, if any: the filter and its reason.
    pub dropped_by: Option<(&'static str, &'static str)>,
    /// The text after text-editing filters (C4 removes lines), when it changed.
    pub new_text: Option<String>,
    /// Every verdict computed, in order (all filters in `evaluate_all`).
    pub verdicts: Vec<NamedVerdict>,
    /// Every annotation made, in order.
    pub annotations: Vec<Annotation>,
}

impl ChainOutcome {
    /// An annotation by name (the last made, when several filters made it).
    pub fn annotation(&self, name: &str) -> Option<&AnnotationValue> {
        self.annotations
            .iter()
            .rev()
            .find(|a| a.name == name)
            .map(|a| &a.value)
    }

    fn text_annotation(&self, name: &str) -> Option<&str> {
        match self.annotation(name)? {
            AnnotationValue::Text(text) => Some(text),
            AnnotationValue::Number(_) => None,
        }
    }

    /// A number annotation by name.
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.annotation(name)? {
            AnnotationValue::Number(n) => Some(*n),
            AnnotationValue::Text(_) => None,
        }
    }

    /// The step that dropped the document, as the funnel names it: the filter, or
    /// `classifier.<name>` for a classifier.
    pub fn drop_step(&self) -> Option<String> {
        let (filter, _) = self.dropped_by?;
        Some(match self.text_annotation(ANNOTATION_DROPPED_BY) {
            Some(name) if filter == "classifier" => format!("classifier.{name}"),
            _ => filter.to_owned(),
        })
    }

    /// The domain classifier routing a kept document, and its domain: `(name, domain)`.
    pub fn route(&self) -> Option<(&str, &str)> {
        Some((
            self.text_annotation(ANNOTATION_ROUTED_BY)?,
            self.text_annotation(ANNOTATION_ROUTED_TO)?,
        ))
    }

    /// The evidence of the drop: the dropping filter's signals and annotations as a JSON
    /// object (`{"gopher_quality.alpha_ratio": 0.61, "c4_badwords.matched": "..."}`).
    pub fn drop_evidence(&self) -> String {
        let Some((filter, _)) = self.dropped_by else {
            return String::new();
        };
        let mut evidence = serde_json::Map::new();
        if let Some(verdict) = self.verdicts.iter().rev().find(|v| v.filter == filter) {
            for (key, value) in prefixed_signals(filter, &verdict.verdict.signals) {
                evidence.insert(key, serde_json::json!(value));
            }
            for annotation in &verdict.verdict.annotations {
                let value = match &annotation.value {
                    AnnotationValue::Text(t) => serde_json::json!(t),
                    AnnotationValue::Number(n) => serde_json::json!(n),
                };
                evidence.insert(annotation.name.clone(), value);
            }
        }
        serde_json::Value::Object(evidence).to_string()
    }
}

/// One built filter of the chain.
struct Step {
    name: &'static str,
    filter: Box<dyn Filter>,
    /// A later filter decides this one's drops.
    deferred: bool,
}

/// A profile's filters, in order.
pub struct FilterChain {
    profile: String,
    steps: Vec<Step>,
    classifiers: Vec<(String, ClassifierSection)>,
    /// Every file the filters read (lists, models), relative to the job file.
    files: Vec<String>,
}

impl FilterChain {
    /// Builds the filters of a resolved profile, reading files relative to `base_dir`.
    pub fn build(
        name: &str,
        profile: &ResolvedProfile,
        base_dir: &Path,
    ) -> Result<FilterChain, ProfileError> {
        let files = JobFiles {
            base_dir: base_dir.to_owned(),
        };
        FilterChain::build_with(name, profile, &files)
    }

    /// Builds with any source of files.
    pub fn build_with(
        name: &str,
        profile: &ResolvedProfile,
        files: &dyn Resources,
    ) -> Result<FilterChain, ProfileError> {
        let error = |filter: &str, e: BuildError| ProfileError {
            key: format!("{}.{filter}", profile_key(name)),
            message: e.to_string(),
        };
        let mut steps: Vec<Step> = Vec::new();
        let mut classifiers = Vec::new();
        let mut read = Vec::new();
        for filter in &profile.order {
            let table = profile
                .filters
                .get(filter)
                .cloned()
                .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
            let built = build_filter(filter, &table, files).map_err(|e| error(filter, e))?;
            if built.name == "classifier" {
                // The resolved table, so `curate tag` sees thresholds as the filter does.
                let sections: BTreeMap<String, ClassifierSection> = built
                    .resolved
                    .clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        error(filter, BuildError::new("", e.to_string()))
                    })?;
                classifiers.extend(sections);
            }
            read.extend(built.files);
            for other in built.filter.decides_for() {
                for step in steps.iter_mut().filter(|s| s.name == other) {
                    step.deferred = true;
                }
            }
            steps.push(Step {
                name: built.name,
                filter: built.filter,
                deferred: false,
            });
        }
        Ok(FilterChain {
            profile: name.to_owned(),
            steps,
            classifiers,
            files: read,
        })
    }

    /// Every file the filters read (lists, models), relative to the job file.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The profile this chain is.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// The classifiers of the chain (name and settings), in the order they run.
    pub fn classifiers(&self) -> &[(String, ClassifierSection)] {
        &self.classifiers
    }

    /// Only the named filters of the chain (for `curate tag --filters`).
    pub fn retain(&mut self, names: &[&str]) {
        self.steps.retain(|s| names.contains(&s.name));
        if !names.contains(&"classifier") {
            self.classifiers.clear();
        }
        let decided: Vec<&'static str> = self
            .steps
            .iter()
            .flat_map(|s| s.filter.decides_for())
            .collect();
        for step in &mut self.steps {
            step.deferred = decided.contains(&step.name);
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.name).collect()
    }

    /// The columns the chain's filters add to kept documents, in order.
    pub fn annotation_columns(&self) -> Vec<AnnotationColumn> {
        let mut columns: Vec<AnnotationColumn> = Vec::new();
        for step in &self.steps {
            for column in step.filter.annotation_columns() {
                if !columns.iter().any(|c| c.name == column.name) {
                    columns.push(column);
                }
            }
        }
        columns
    }

    /// Runs the filters in order and stops at the first drop. Text-editing filters pass
    /// their output to the filters after them, as in datatrove's pipelines.
    pub fn evaluate(&self, text: &str, url: Option<&str>) -> ChainOutcome {
        self.run(text, url, true)
    }

    /// Runs every filter on the original text, independently (for `curate tag`).
    pub fn evaluate_all(&self, text: &str, url: Option<&str>) -> ChainOutcome {
        self.run(text, url, false)
    }

    fn run(&self, text: &str, url: Option<&str>, sequential: bool) -> ChainOutcome {
        let mut outcome = ChainOutcome::default();
        let mut current: Option<String> = None;
        let mut deferred: Vec<DeferredDrop> = Vec::new();
        for step in &self.steps {
            let source = match (&current, sequential) {
                (Some(edited), true) => edited.as_str(),
                _ => text,
            };
            let document = Document::in_chain(source, url, &deferred);
            let mut verdict = step.filter.check(&document);
            if sequential && let Some(edited) = verdict.edited_text.take() {
                current = Some(edited);
            } else {
                verdict.edited_text = None;
            }
            let mut dropped = verdict.drop_reason;
            if step.deferred
                && let Some(reason) = dropped.take()
            {
                deferred.push(DeferredDrop {
                    filter: step.name,
                    reason,
                });
            }
            outcome
                .annotations
                .extend(verdict.annotations.iter().cloned());
            outcome.verdicts.push(NamedVerdict {
                filter: step.name,
                verdict,
            });
            if let Some(reason) = dropped {
                if outcome.dropped_by.is_none() {
                    outcome.dropped_by = Some((step.name, reason));
                }
                if sequential {
                    break;
                }
            }
        }
        outcome.new_text = current;
        outcome
    }
}

/// The signals of a verdict named `<filter>.<signal>`, for columns and JSON (a signal
/// already named after its filter, `toxicity_bad_words`, becomes `toxicity.bad_words`).
pub fn prefixed_signals(filter: &str, signals: &[Signal]) -> Vec<(String, f64)> {
    signals
        .iter()
        .map(|s| {
            let bare = s
                .name
                .strip_prefix(filter)
                .and_then(|rest| rest.strip_prefix(['.', '_']))
                .unwrap_or(s.name);
            (format!("{filter}.{bare}"), s.value)
        })
        .collect()
}
