//! The configured filters, built once per stage and shared by every worker.

use std::path::Path;

use curate_filters::c4::{C4BadWords, C4Quality};
use curate_filters::filter::{Document, Filter};
use curate_filters::fineweb::FineWebQuality;
use curate_filters::gopher_quality::GopherQuality;
use curate_filters::gopher_repetition::GopherRepetition;
use curate_filters::language::{Detection, LanguageFilter};
use curate_filters::toxicity::ToxicityFilter;
use curate_filters::url::UrlFilter;
use curate_filters::{Signal, Verdict};

use super::config::{FilterName, FilterSection};

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
}

/// The configured filters, in order.
pub struct FilterChain {
    steps: Vec<(FilterName, Step)>,
}

impl FilterChain {
    /// Builds the filters of `section`, reading list files relative to `base_dir`.
    pub fn build(section: &FilterSection, base_dir: &Path) -> Result<FilterChain, ChainError> {
        let mut steps = Vec::new();
        for name in section.configured() {
            steps.push((name, build_step(name, section, base_dir)?));
        }
        Ok(FilterChain { steps })
    }

    /// Only the named filters of the chain (for `curate tag --filters`).
    pub fn retain(&mut self, names: &[FilterName]) {
        self.steps.retain(|(name, _)| names.contains(name));
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
            };
            let dropped = verdict.drop_reason;
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
