//! The configured filters, built once per stage and shared by every worker.

use std::path::Path;
use std::sync::Arc;

use curate_filters::c4::{C4BadWords, C4Quality};
use curate_filters::classifier::{Classifier, ClassifierError};
use curate_filters::filter::{Document, Filter};
use curate_filters::fineweb::FineWebQuality;
use curate_filters::gopher_quality::GopherQuality;
use curate_filters::gopher_repetition::GopherRepetition;
use curate_filters::language::{Detection, LanguageFilter};
use curate_filters::toxicity::ToxicityFilter;
use curate_filters::url::UrlFilter;
use curate_filters::{Signal, Verdict};

use super::config::{ClassifierSection, ClassifierUse, FilterName, FilterSection, ToxicityCombine};

/// Why the filters could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("filter.{filter}: cannot read {path}: {source}")]
    ReadList {
        filter: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("filter.{filter}: {message}")]
    Invalid {
        filter: &'static str,
        message: String,
    },
    #[error("filter.{0} is listed in `order` but has no [filter.{0}] table")]
    NotConfigured(&'static str),
    #[error("filter.classifier.{name}: cannot load the model {path}: {source}")]
    Model {
        name: String,
        path: String,
        source: ClassifierError,
    },
    #[error("filter.classifier.{name}: cannot read the model {path}: {source}")]
    ReadModel {
        name: String,
        path: String,
        source: std::io::Error,
    },
    #[error("filter.classifier.{name}: {message}")]
    InvalidClassifier { name: String, message: String },
}

/// Reason: a quality classifier scored below its threshold.
pub const REASON_CLASSIFIER_QUALITY: &str = "classifier_low_quality";
/// Reason: a toxicity classifier scored at or above its threshold.
pub const REASON_CLASSIFIER_TOXIC: &str = "classifier_toxic";
/// Reason: a toxicity classifier and the word list both said toxic (`combine = "both"`).
pub const REASON_CLASSIFIER_AND_WORDS_TOXIC: &str = "classifier_and_word_list_toxic";

/// One loaded classifier, its model shared by every worker.
pub struct ChainClassifier {
    pub name: String,
    pub purpose: ClassifierUse,
    pub threshold: Option<f32>,
    pub domain: Option<String>,
    pub combine: ToxicityCombine,
    pub model: Arc<Classifier>,
    /// `classifier.<name>`: the step named in the funnel when this one drops.
    pub step: String,
}

impl ChainClassifier {
    /// Reads `section.model` (relative to `base_dir`); errors name the file.
    pub fn load(
        name: &str,
        section: &ClassifierSection,
        base_dir: &Path,
    ) -> Result<ChainClassifier, ChainError> {
        let invalid = |message: String| ChainError::InvalidClassifier {
            name: name.to_owned(),
            message,
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(invalid(
                "the name must be lowercase letters, digits and `_` (it names a column)".into(),
            ));
        }
        if let Some(t) = section.threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(invalid(format!("threshold {t} is not between 0 and 1")));
        }
        match section.purpose {
            ClassifierUse::Domain if section.domain.as_deref().is_none_or(str::is_empty) => {
                return Err(invalid("use = \"domain\" needs `domain = \"...\"`".into()));
            }
            ClassifierUse::Quality | ClassifierUse::Toxicity if section.domain.is_some() => {
                return Err(invalid("`domain` is only for use = \"domain\"".into()));
            }
            _ => {}
        }
        if section.combine.is_some() && section.purpose != ClassifierUse::Toxicity {
            return Err(invalid("`combine` is only for use = \"toxicity\"".into()));
        }
        if section.keep_fraction.is_some() && section.purpose != ClassifierUse::Quality {
            return Err(invalid(
                "`keep_fraction` is only for use = \"quality\"".into(),
            ));
        }
        let path = base_dir.join(&section.model);
        let file = std::fs::File::open(&path).map_err(|source| ChainError::ReadModel {
            name: name.to_owned(),
            path: path.display().to_string(),
            source,
        })?;
        let model = Classifier::read(std::io::BufReader::new(file), section.label.as_deref())
            .map_err(|source| ChainError::Model {
                name: name.to_owned(),
                path: path.display().to_string(),
                source,
            })?;
        Ok(ChainClassifier {
            name: name.to_owned(),
            purpose: section.purpose,
            threshold: section.threshold,
            domain: section.domain.clone(),
            combine: section.combine.unwrap_or_default(),
            model: Arc::new(model),
            step: format!("classifier.{name}"),
        })
    }
}

/// One built filter.
enum Step {
    Url(UrlFilter),
    Language(LanguageFilter),
    GopherRepetition(GopherRepetition),
    GopherQuality(GopherQuality),
    C4(C4Quality),
    C4Badwords(C4BadWords),
    Fineweb(FineWebQuality),
    Toxicity(ToxicityFilter),
    /// Every classifier, in name order (their scores go to [`ChainOutcome::scores`]).
    Classifiers,
}

/// A filter's verdict on one document, named.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedVerdict {
    pub filter: FilterName,
    pub verdict: Verdict,
}

/// What the chain decided on one document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChainOutcome {
    /// The first drop, if any: the filter and its reason.
    pub dropped_by: Option<(FilterName, &'static str)>,
    /// The text after text-editing filters (C4 removes lines), when it changed.
    pub new_text: Option<String>,
    /// The language detection, when the language filter ran.
    pub language: Option<Detection>,
    /// Every verdict computed, in order (all filters in `evaluate_all`).
    pub verdicts: Vec<NamedVerdict>,
    /// Scores of the chain's classifiers, in their order; empty when the classifier
    /// step was not reached (an earlier filter dropped the document).
    pub scores: Vec<f32>,
    /// The classifier that dropped the document, by index, when one did.
    pub dropped_by_classifier: Option<usize>,
    /// The domain classifier that routes the document, by index.
    pub routed_by: Option<usize>,
}

/// The configured filters, in order.
pub struct FilterChain {
    steps: Vec<(FilterName, Step)>,
    classifiers: Vec<ChainClassifier>,
    /// The word-list toxicity filter's drop waits for the toxicity classifier's decision
    /// (`combine = "both"` or `"classifier"`).
    defer_word_list: bool,
}

impl FilterChain {
    /// Builds the filters of `section`, reading list files relative to `base_dir`.
    pub fn build(section: &FilterSection, base_dir: &Path) -> Result<FilterChain, ChainError> {
        let mut steps = Vec::new();
        let order = section.configured();
        for name in &order {
            steps.push((*name, build_step(*name, section, base_dir)?));
        }
        let classifiers = if order.contains(&FilterName::Classifier) {
            section
                .classifier
                .iter()
                .map(|(name, c)| ChainClassifier::load(name, c, base_dir))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        let combines: Vec<ToxicityCombine> = classifiers
            .iter()
            .filter(|c| c.purpose == ClassifierUse::Toxicity)
            .map(|c| c.combine)
            .collect();
        let defer_word_list = combines.iter().any(|c| *c != ToxicityCombine::Either);
        if combines.windows(2).any(|w| w[0] != w[1]) {
            return Err(ChainError::Invalid {
                filter: "classifier",
                message: "every toxicity classifier must use the same `combine`".into(),
            });
        }
        if combines.contains(&ToxicityCombine::Both) {
            let position = |f: FilterName| order.iter().position(|n| *n == f);
            match (
                position(FilterName::Toxicity),
                position(FilterName::Classifier),
            ) {
                (Some(words), Some(models)) if words < models => {}
                _ => {
                    return Err(ChainError::Invalid {
                        filter: "classifier",
                        message: "combine = \"both\" needs [filter.toxicity], running before \
                                  the classifiers"
                            .into(),
                    });
                }
            }
        }
        Ok(FilterChain {
            steps,
            classifiers,
            defer_word_list,
        })
    }

    /// The loaded classifiers, in the order of [`ChainOutcome::scores`].
    pub fn classifiers(&self) -> &[ChainClassifier] {
        &self.classifiers
    }

    /// Only the named filters of the chain (for `curate tag --filters`).
    pub fn retain(&mut self, names: &[FilterName]) {
        self.steps.retain(|(name, _)| names.contains(name));
        if !names.contains(&FilterName::Classifier) {
            self.classifiers.clear();
        }
        if !names.contains(&FilterName::Toxicity) {
            self.defer_word_list = false;
        }
    }

    pub fn names(&self) -> Vec<FilterName> {
        self.steps.iter().map(|(name, _)| *name).collect()
    }

    pub fn has_language(&self) -> bool {
        self.steps
            .iter()
            .any(|(name, _)| *name == FilterName::Language)
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
        // The word list's drop reason when its decision waits for a classifier.
        let mut word_list_toxic: Option<&'static str> = None;
        let original = Document::new(text, url);
        for (name, step) in &self.steps {
            let edited;
            let document = match (&current, sequential) {
                (Some(new_text), true) => {
                    edited = Document::new(new_text, url);
                    &edited
                }
                _ => &original,
            };
            let verdict = match step {
                Step::Url(filter) => Filter::check(filter, document),
                Step::Language(filter) => {
                    let detection = filter.detect(document.text());
                    outcome.language = Some(detection);
                    filter.judge(detection)
                }
                Step::GopherRepetition(filter) => filter.check(document),
                Step::GopherQuality(filter) => filter.check(document),
                Step::C4(filter) => {
                    let (verdict, new_text) = filter.apply(document);
                    if sequential && let Some(new_text) = new_text {
                        current = Some(new_text);
                    }
                    verdict
                }
                Step::C4Badwords(filter) => filter.check(document),
                Step::Fineweb(filter) => filter.check(document),
                Step::Toxicity(filter) => Filter::check(filter, document),
                Step::Classifiers => self.classify(document.text(), word_list_toxic, &mut outcome),
            };
            let mut dropped = verdict.drop_reason;
            if *name == FilterName::Toxicity && self.defer_word_list {
                word_list_toxic = dropped.take();
            }
            outcome.verdicts.push(NamedVerdict {
                filter: *name,
                verdict,
            });
            if let Some(reason) = dropped {
                if outcome.dropped_by.is_none() {
                    outcome.dropped_by = Some((*name, reason));
                }
                if sequential {
                    break;
                }
            }
        }
        outcome.new_text = current;
        outcome
    }

    /// Scores every classifier (all of them, so that the scores of a dropped document
    /// are known too) and decides; the first that drops names the reason.
    fn classify(
        &self,
        text: &str,
        word_list_toxic: Option<&'static str>,
        outcome: &mut ChainOutcome,
    ) -> Verdict {
        let mut verdict = Verdict::keep(Vec::new());
        for (index, classifier) in self.classifiers.iter().enumerate() {
            let score = classifier.model.score(text);
            outcome.scores.push(score);
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
                    if score >= threshold && outcome.routed_by.is_none() {
                        outcome.routed_by = Some(index);
                    }
                    None
                }
            };
            if let Some(reason) = reason
                && verdict.drop_reason.is_none()
            {
                verdict = Verdict::drop(reason, Vec::new());
                outcome.dropped_by_classifier = Some(index);
            }
        }
        verdict
    }
}

fn read_list(filter: &'static str, base_dir: &Path, file: &str) -> Result<String, ChainError> {
    let path = base_dir.join(file);
    std::fs::read_to_string(&path).map_err(|source| ChainError::ReadList {
        filter,
        path: path.display().to_string(),
        source,
    })
}

/// Reads every file and returns the entries of all of them (blank and `#` lines skipped).
fn read_entries(
    filter: &'static str,
    base_dir: &Path,
    files: &[String],
) -> Result<Vec<String>, ChainError> {
    let mut entries = Vec::new();
    for file in files {
        let contents = read_list(filter, base_dir, file)?;
        entries.extend(curate_filters::url::list_entries(&contents).map(str::to_owned));
    }
    Ok(entries)
}

fn build_step(
    name: FilterName,
    section: &FilterSection,
    base_dir: &Path,
) -> Result<Step, ChainError> {
    let missing = || ChainError::NotConfigured(name.as_str());
    let invalid = |message: String| ChainError::Invalid {
        filter: name.as_str(),
        message,
    };
    let step = match name {
        FilterName::Url => {
            let lists = section.url.as_ref().ok_or_else(missing)?;
            let filter = "url";
            let mut builder = UrlFilter::builder()
                .block_domains(read_entries(filter, base_dir, &lists.block_domain_files)?)
                .block_urls(read_entries(filter, base_dir, &lists.block_url_files)?)
                .allow_domains(read_entries(filter, base_dir, &lists.allow_domain_files)?)
                .banned_words(read_entries(filter, base_dir, &lists.banned_word_files)?)
                .banned_subwords(read_entries(filter, base_dir, &lists.banned_subword_files)?)
                .soft_banned_words(read_entries(
                    filter,
                    base_dir,
                    &lists.soft_banned_word_files,
                )?);
            if let Some(threshold) = lists.soft_word_threshold {
                builder = builder.soft_word_threshold(threshold);
            }
            Step::Url(builder.build().map_err(|e| invalid(e.to_string()))?)
        }
        FilterName::Language => {
            let config = section.language.clone().ok_or_else(missing)?;
            Step::Language(LanguageFilter::new(config).map_err(|e| invalid(e.to_string()))?)
        }
        FilterName::GopherRepetition => Step::GopherRepetition(GopherRepetition::new(
            section.gopher_repetition.clone().ok_or_else(missing)?,
        )),
        FilterName::GopherQuality => Step::GopherQuality(GopherQuality::new(
            section.gopher_quality.clone().ok_or_else(missing)?,
        )),
        FilterName::C4 => Step::C4(C4Quality::new(section.c4.clone().ok_or_else(missing)?)),
        FilterName::C4Badwords => {
            let words = section.c4_badwords.as_ref().ok_or_else(missing)?;
            let list = read_list("c4_badwords", base_dir, &words.list_file)?;
            Step::C4Badwords(
                C4BadWords::new(&words.language, &list, words.config())
                    .map_err(|e| invalid(e.to_string()))?,
            )
        }
        FilterName::Fineweb => Step::Fineweb(FineWebQuality::new(
            section.fineweb.clone().ok_or_else(missing)?,
        )),
        FilterName::Classifier => {
            if section.classifier.is_empty() {
                return Err(missing());
            }
            Step::Classifiers
        }
        FilterName::Toxicity => {
            let toxicity = section.toxicity.as_ref().ok_or_else(missing)?;
            let mut builder = ToxicityFilter::builder()
                .words(read_entries("toxicity", base_dir, &toxicity.word_files)?)
                .allow_phrases(read_entries(
                    "toxicity",
                    base_dir,
                    &toxicity.allow_phrase_files,
                )?)
                .config(toxicity.thresholds.clone());
            if toxicity.default_allow_phrases {
                builder = builder.default_allow_phrases();
            }
            Step::Toxicity(builder.build().map_err(|e| invalid(e.to_string()))?)
        }
    };
    Ok(step)
}

/// The signals of a verdict named `<filter>.<signal>`, for columns and JSON (a signal
/// already named after its filter, `toxicity_bad_words`, becomes `toxicity.bad_words`).
pub fn prefixed_signals(name: FilterName, signals: &[Signal]) -> Vec<(String, f64)> {
    let filter = name.as_str();
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
