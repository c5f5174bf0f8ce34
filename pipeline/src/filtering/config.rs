//! `[filter]`: which filters run, in which order, with which thresholds and lists.
//!
//! A filter runs when its table is present (`[filter.gopher_quality]`, even empty, turns
//! it on with the library defaults). Word lists and blocklists are files, relative to the
//! job file, read when the stage starts. Trained classifiers (`[filter.classifier.NAME]`,
//! several allowed) run as one step, last by default (`"classifier"` in `order` moves it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use curate_filters::c4::{C4BadWordsConfig, C4QualityConfig};
use curate_filters::fineweb::FineWebQualityConfig;
use curate_filters::gopher_quality::GopherQualityConfig;
use curate_filters::gopher_repetition::GopherRepetitionConfig;
use curate_filters::language::LanguageConfig;
use curate_filters::toxicity::ToxicityConfig;

/// The filters `curate` knows, in their default order: cheap checks first, so expensive
/// ones see fewer documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterName {
    Url,
    Language,
    GopherRepetition,
    GopherQuality,
    C4,
    C4Badwords,
    Fineweb,
    Toxicity,
    Classifier,
}

impl FilterName {
    pub const ALL: [FilterName; 9] = [
        FilterName::Url,
        FilterName::Language,
        FilterName::GopherRepetition,
        FilterName::GopherQuality,
        FilterName::C4,
        FilterName::C4Badwords,
        FilterName::Fineweb,
        FilterName::Toxicity,
        FilterName::Classifier,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FilterName::Url => "url",
            FilterName::Language => "language",
            FilterName::GopherRepetition => "gopher_repetition",
            FilterName::GopherQuality => "gopher_quality",
            FilterName::C4 => "c4",
            FilterName::C4Badwords => "c4_badwords",
            FilterName::Fineweb => "fineweb",
            FilterName::Toxicity => "toxicity",
            FilterName::Classifier => "classifier",
        }
    }

    pub fn parse(name: &str) -> Option<FilterName> {
        FilterName::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// `[filter]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilterSection {
    /// The order filters run in; default: every configured filter, cheap ones first.
    pub order: Option<Vec<FilterName>>,
    /// Write dropped documents with their reason to `rejected/` (default true).
    pub write_rejected: Option<bool>,
    pub url: Option<UrlListsConfig>,
    pub language: Option<LanguageConfig>,
    pub gopher_repetition: Option<GopherRepetitionConfig>,
    pub gopher_quality: Option<GopherQualityConfig>,
    pub c4: Option<C4QualityConfig>,
    pub c4_badwords: Option<C4BadWordsSection>,
    pub fineweb: Option<FineWebQualityConfig>,
    pub toxicity: Option<ToxicitySection>,
    /// Trained classifiers by name (`[filter.classifier.quality]`), run in name order.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub classifier: BTreeMap<String, ClassifierSection>,
}

impl FilterSection {
    /// Whether any filter is configured (the stage runs only then).
    pub fn is_enabled(&self) -> bool {
        !self.configured().is_empty()
    }

    /// The configured filters, in the order they run.
    pub fn configured(&self) -> Vec<FilterName> {
        let present = |name: FilterName| match name {
            FilterName::Url => self.url.is_some(),
            FilterName::Language => self.language.is_some(),
            FilterName::GopherRepetition => self.gopher_repetition.is_some(),
            FilterName::GopherQuality => self.gopher_quality.is_some(),
            FilterName::C4 => self.c4.is_some(),
            FilterName::C4Badwords => self.c4_badwords.is_some(),
            FilterName::Fineweb => self.fineweb.is_some(),
            FilterName::Toxicity => self.toxicity.is_some(),
            FilterName::Classifier => !self.classifier.is_empty(),
        };
        match &self.order {
            Some(order) => order.clone(),
            None => FilterName::ALL
                .into_iter()
                .filter(|f| present(*f))
                .collect(),
        }
    }

    pub fn write_rejected(&self) -> bool {
        self.write_rejected.unwrap_or(true)
    }
}

/// `[filter.url]`: blocklists as files (UT1 `domains` / `urls` files, one entry per line)
/// and word lists (one word per line, as datatrove ships them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UrlListsConfig {
    pub block_domain_files: Vec<String>,
    pub block_url_files: Vec<String>,
    pub allow_domain_files: Vec<String>,
    pub banned_word_files: Vec<String>,
    pub banned_subword_files: Vec<String>,
    pub soft_banned_word_files: Vec<String>,
    /// Drop a URL with at least this many soft-banned words.
    pub soft_word_threshold: Option<usize>,
}

/// `[filter.c4_badwords]`: C4's rule on LDNOOBW lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct C4BadWordsSection {
    /// The list's language (`en`): decides the word-boundary rule.
    #[serde(default = "default_language")]
    pub language: String,
    /// The word list file (e.g. LDNOOBW `en.txt`).
    pub list_file: String,
    #[serde(default)]
    pub keep_fraction: f64,
    #[serde(default)]
    pub seed: u64,
}

fn default_language() -> String {
    "en".to_owned()
}

impl C4BadWordsSection {
    pub fn config(&self) -> C4BadWordsConfig {
        C4BadWordsConfig {
            keep_fraction: self.keep_fraction,
            seed: self.seed,
        }
    }
}

/// `[filter.toxicity]`: word lists, an allow-list of phrases, thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToxicitySection {
    /// Word and phrase lists, one entry per line.
    pub word_files: Vec<String>,
    /// Phrases whose matches do not count ("Dick's Sporting Goods"), one per line.
    #[serde(default)]
    pub allow_phrase_files: Vec<String>,
    /// Also use the allow-list shipped with curate (finance names and terms).
    #[serde(default = "default_true")]
    pub default_allow_phrases: bool,
    #[serde(default)]
    pub thresholds: ToxicityConfig,
}

fn default_true() -> bool {
    true
}

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
    /// The model file (`curate train-classifier` output or a fastText `.bin`), relative
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
}
