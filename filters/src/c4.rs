//! C4's cleaning rules (Raffel et al. 2020, section 2.2): the line-level quality rules,
//! which also rewrite the document, and the bad-words rule.
//!
//! [`C4Quality`] follows datatrove 0.10.1's `C4QualityFilter` (line mode, its default):
//! each line (Python `splitlines`, stripped) is dropped if it has a word over 1000
//! characters, lacks terminal punctuation (after removing Wikipedia citation marks), has
//! fewer than 3 words, mentions JavaScript or a cookie/terms policy; the whole document is
//! dropped if a kept line contains "lorem ipsum" (`lorem_ipsum`) or `{` (`curly_bracket`),
//! or if the kept lines hold fewer than 5 sentences (`too_few_sentences`). A kept document
//! becomes its kept lines joined by `\n`.
//!
//! [`C4BadWords`] follows datatrove's `C4BadWordsFilter`: a document is dropped
//! (`document_removed_with_badwords`) when its lower-cased text contains a listed word
//! flanked by non-word characters or the text's ends (for Japanese, Thai and Chinese, any
//! occurrence). The list comes from the caller (LDNOOBW files, one entry a line).

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::memmem::Finder;
use serde::Deserialize;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::analysis::py_strip;
use crate::filter::{Document, Filter};
use crate::verdict::{AnnotationValue, Signal, Verdict};
use crate::word_split::{count_sentences, is_py_digit, is_py_non_word, is_py_space};

/// Switches and thresholds of the C4 line rules; defaults are datatrove's.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct C4QualityConfig {
    /// Remove `[1]`, `[edit]`, `[citation needed]` marks from lines.
    pub remove_citations: bool,
    /// Drop lines that do not end in `.`, `?`, `!`, `"` or `'` (or that end in `...`).
    /// FineWeb turns this off.
    pub filter_no_terminal_punct: bool,
    /// Fewer sentences than this in the kept lines drops the document; -1 disables.
    pub min_num_sentences: i64,
    /// Lines with fewer whitespace-separated words than this are dropped; -1 disables.
    pub min_words_per_line: i64,
    /// Lines with a word longer than this (characters) are dropped; -1 disables.
    pub max_word_length: i64,
    /// Drop documents containing "lorem ipsum".
    pub filter_lorem_ipsum: bool,
    /// Drop lines mentioning "javascript".
    pub filter_javascript: bool,
    /// Drop documents containing `{`.
    pub filter_curly_bracket: bool,
    /// Drop lines mentioning terms of use, privacy or cookie policies.
    pub filter_policy: bool,
}

impl Default for C4QualityConfig {
    fn default() -> Self {
        C4QualityConfig {
            remove_citations: true,
            filter_no_terminal_punct: true,
            min_num_sentences: 5,
            min_words_per_line: 3,
            max_word_length: 1000,
            filter_lorem_ipsum: true,
            filter_javascript: true,
            filter_curly_bracket: true,
            filter_policy: true,
        }
    }
}

const POLICY_SUBSTRINGS: [&str; 6] = [
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
];

/// Substring searchers for the lower-cased line, built once: "lorem ipsum", "javascript",
/// then the policy phrases.
fn finders() -> &'static [Finder<'static>; 8] {
    static FINDERS: OnceLock<[Finder<'static>; 8]> = OnceLock::new();
    FINDERS.get_or_init(|| {
        let needles = ["lorem ipsum", "javascript"]
            .into_iter()
            .chain(POLICY_SUBSTRINGS);
        let v: Vec<Finder<'static>> = needles.map(Finder::new).collect();
        match <[Finder<'static>; 8]>::try_from(v) {
            Ok(a) => a,
            Err(_) => unreachable!("two fixed needles and six policy phrases"),
        }
    })
}

/// The C4 quality filter.
#[derive(Debug, Clone, Default)]
pub struct C4Quality {
    config: C4QualityConfig,
}

/// What the line rules did to a document: the verdict and, when asked for and kept, the
/// kept lines joined by `\n` and stripped.
struct C4Outcome {
    verdict: Verdict,
    text: Option<String>,
}

impl C4Quality {
    pub fn new(config: C4QualityConfig) -> Self {
        C4Quality { config }
    }

    pub fn config(&self) -> &C4QualityConfig {
        &self.config
    }

    /// Decides and, for a kept document, returns the text with the dropped lines removed.
    pub fn apply(&self, doc: &Document<'_>) -> (Verdict, Option<String>) {
        let out = self.run(doc, true);
        (out.verdict, out.text)
    }

    fn run(&self, doc: &Document<'_>, want_text: bool) -> C4Outcome {
        let c = &self.config;
        let text = doc.text();
        let lines = doc.analysis().splitlines();
        let mut num_sentences: i64 = 0;
        let mut kept_lines = 0usize;
        let mut out = String::new();
        let mut lower = Vec::new();
        let mut cleaned = String::new();
        let signals = |kept_lines: usize, num_sentences: i64, lines_total: usize| {
            vec![
                Signal {
                    name: "c4.lines",
                    value: lines_total as f64,
                },
                Signal {
                    name: "c4.kept_lines",
                    value: kept_lines as f64,
                },
                Signal {
                    name: "c4.sentences",
                    value: num_sentences as f64,
                },
            ]
        };

        for &(s, e) in lines {
            let line = py_strip(&text[s..e]);
            // Words as Python's `str.split()` sees them (before citation removal). Only the
            // first `min_words_per_line` matter for the count, and no word can be longer
            // than the line itself, so short lines skip the length check.
            let check_long = c.max_word_length != -1 && line.len() as i64 > c.max_word_length;
            let needed = c.min_words_per_line.max(0);
            let mut n_words = 0i64;
            let mut too_long = false;
            for w in line.split(is_py_space).filter(|w| !w.is_empty()) {
                n_words += 1;
                if check_long && crate::analysis::char_count(w) as i64 > c.max_word_length {
                    too_long = true;
                    break;
                }
                if !check_long && n_words >= needed {
                    break;
                }
            }
            if too_long {
                continue;
            }
            let line: &str = if c.remove_citations && line.contains('[') {
                remove_citations(line, &mut cleaned);
                &cleaned
            } else {
                line
            };
            if c.filter_no_terminal_punct
                && (!line.ends_with(['.', '?', '!', '"', '\'']) || line.ends_with("..."))
            {
                continue;
            }
            if n_words < c.min_words_per_line {
                continue;
            }
            lower.clear();
            lower.extend_from_slice(line.as_bytes());
            lower.make_ascii_lowercase();
            let f = finders();
            let has = |i: usize| f[i].find(&lower).is_some();
            if c.filter_lorem_ipsum && has(0) {
                return C4Outcome {
                    verdict: Verdict::drop(
                        "lorem_ipsum",
                        signals(kept_lines, num_sentences, lines.len()),
                    ),
                    text: None,
                };
            }
            if c.filter_javascript && has(1) {
                continue;
            }
            if c.filter_curly_bracket && line.contains('{') {
                return C4Outcome {
                    verdict: Verdict::drop(
                        "curly_bracket",
                        signals(kept_lines, num_sentences, lines.len()),
                    ),
                    text: None,
                };
            }
            if c.filter_policy && (2..8).any(has) {
                continue;
            }
            if c.min_num_sentences != -1 {
                num_sentences += count_sentences(line) as i64;
            }
            kept_lines += 1;
            if want_text {
                if kept_lines > 1 {
                    out.push('\n');
                }
                out.push_str(line);
            }
        }
        let sig = signals(kept_lines, num_sentences, lines.len());
        if num_sentences < c.min_num_sentences {
            return C4Outcome {
                verdict: Verdict::drop("too_few_sentences", sig),
                text: None,
            };
        }
        let text = want_text.then(|| {
            let stripped = py_strip(&out);
            if stripped.len() == out.len() {
                out
            } else {
                stripped.to_string()
            }
        });
        C4Outcome {
            verdict: Verdict::keep(sig),
            text,
        }
    }
}

impl Filter for C4Quality {
    fn name(&self) -> &'static str {
        "c4"
    }

    fn check(&self, doc: &Document<'_>) -> Verdict {
        let outcome = self.run(doc, true);
        let edited = outcome.text.filter(|t| t != doc.text());
        outcome.verdict.with_edited_text(edited)
    }
}

/// `[filter.c4]`: C4's line rules; removes lines (later filters see the edited text).
pub const DEF: crate::registry::FilterDef = crate::registry::FilterDef {
    name: "c4",
    about: "C4: removes lines without terminal punctuation, javascript and policy lines; drops lorem ipsum, curly brackets, too few sentences",
    build: |settings| Ok(Box::new(C4Quality::new(settings.parse()?))),
};

/// Removes `[<digits>]`, `[edit]` and `[citation needed]` from `line` into `out`
/// (the reference's `\[\d*]|\[edit]|\[citation needed]`).
fn remove_citations(line: &str, out: &mut String) {
    out.clear();
    let mut rest = line;
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let digits: usize = after
            .chars()
            .take_while(|&c| is_py_digit(c))
            .map(char::len_utf8)
            .sum();
        let skip = if after[digits..].starts_with(']') {
            Some(digits + 1)
        } else if after.starts_with("edit]") {
            Some(5)
        } else if after.starts_with("citation needed]") {
            Some(16)
        } else {
            None
        };
        match skip {
            Some(k) => rest = &after[k..],
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// Settings of the bad-words rule.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct C4BadWordsConfig {
    /// Share of documents with bad words to keep anyway (0 keeps none). The choice is a
    /// deterministic function of the text and `seed`, so reruns agree.
    pub keep_fraction: f64,
    /// Seed of that choice.
    pub seed: u64,
}

impl Default for C4BadWordsConfig {
    fn default() -> Self {
        C4BadWordsConfig {
            keep_fraction: 0.0,
            seed: 0,
        }
    }
}

/// Errors building a bad-words filter.
#[derive(Debug, thiserror::Error)]
pub enum BadWordsError {
    #[error("the bad-words list for {lang:?} has no entries")]
    EmptyList { lang: String },
    #[error("building the bad-words matcher for {lang:?} failed: {source}")]
    Build {
        lang: String,
        source: aho_corasick::BuildError,
    },
}

/// Words upstream never treats as bad in any language: common sub-words in languages
/// written without spaces.
const ALLOWLIST: [&str; 4] = ["sm", "グロ", "女の子", "性"];

/// The C4 bad-words filter for one language.
#[derive(Debug, Clone)]
pub struct C4BadWords {
    lang: String,
    needs_boundaries: bool,
    matcher: AhoCorasick,
    /// Phrases inside which a listed word does not count ("Dick's Sporting Goods").
    allow: Option<AhoCorasick>,
    /// Listed words that do not count when written capitalised: names ("Dick Heimann").
    allow_capitalized: Vec<String>,
    config: C4BadWordsConfig,
}

/// `[filter.c4_badwords]` as a job writes it.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct C4BadWordsSettings {
    /// The list's language (`en`): decides the word-boundary rule.
    #[serde(default = "default_badwords_language")]
    pub language: String,
    /// The word list file (e.g. LDNOOBW `en.txt`), relative to the job file.
    pub list_file: String,
    /// Files of phrases whose matches do not count, one per line.
    #[serde(default)]
    pub allow_phrase_files: Vec<String>,
    /// Also use the allow-list shipped with curate (finance names, places and idioms:
    /// "Dick's Sporting Goods", "tied up in", "sexual harassment policy").
    #[serde(default = "default_true")]
    pub default_allow_phrases: bool,
    /// Listed words that do not count when written with a capital first letter, as names
    /// are ("Dick Heimann, our former COO"; default `["dick"]`). Profanity is rarely
    /// capitalised mid-sentence; earnings calls name people all the time.
    #[serde(default = "default_allow_capitalized")]
    pub allow_capitalized: Vec<String>,
    #[serde(default)]
    pub keep_fraction: f64,
    #[serde(default)]
    pub seed: u64,
}

fn default_badwords_language() -> String {
    "en".to_owned()
}

fn default_true() -> bool {
    true
}

fn default_allow_capitalized() -> Vec<String> {
    vec!["dick".to_owned()]
}

/// `[filter.c4_badwords]`: C4's rule on LDNOOBW lists, with an allow-list of phrases.
pub const BADWORDS_DEF: crate::registry::FilterDef = crate::registry::FilterDef {
    name: "c4_badwords",
    about: "C4 bad words (LDNOOBW list), with an allow-list of innocent phrases",
    build: |settings| {
        let s: C4BadWordsSettings = settings.parse()?;
        if !(0.0..=1.0).contains(&s.keep_fraction) {
            return Err(crate::registry::BuildError::new(
                "keep_fraction",
                format!("{} is not between 0 and 1", s.keep_fraction),
            ));
        }
        let list = settings.read_text("list_file", &s.list_file)?;
        let mut phrases: Vec<String> = Vec::new();
        if s.default_allow_phrases {
            phrases.extend(
                crate::url::list_entries(crate::toxicity::DEFAULT_ALLOW_PHRASES).map(str::to_owned),
            );
        }
        phrases.extend(settings.read_entries("allow_phrase_files", &s.allow_phrase_files)?);
        let config = C4BadWordsConfig {
            keep_fraction: s.keep_fraction,
            seed: s.seed,
        };
        let filter = C4BadWords::new(&s.language, &list, config)
            .and_then(|f| f.with_allow_phrases(&phrases))
            .map(|f| f.with_allow_capitalized(&s.allow_capitalized))
            .map_err(|e| crate::registry::BuildError::new("list_file", e.to_string()))?;
        Ok(Box::new(filter))
    },
};

impl C4BadWords {
    /// Builds the filter from the list's text (one entry a line, as in the LDNOOBW files).
    pub fn new(lang: &str, list: &str, config: C4BadWordsConfig) -> Result<Self, BadWordsError> {
        let mut words: Vec<String> = list
            .lines()
            .map(|l| py_strip(l).to_string())
            .filter(|w| !ALLOWLIST.contains(&w.as_str()))
            .collect();
        words.sort();
        words.dedup();
        // An empty entry would match between any two non-word characters upstream; a list
        // whose only entries are blank is almost certainly a mistake.
        let empty = words.iter().all(String::is_empty);
        words.retain(|w| !w.is_empty());
        if empty {
            return Err(BadWordsError::EmptyList {
                lang: lang.to_string(),
            });
        }
        let matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&words)
            .map_err(|source| BadWordsError::Build {
                lang: lang.to_string(),
                source,
            })?;
        Ok(C4BadWords {
            lang: lang.to_string(),
            needs_boundaries: !matches!(lang, "ja" | "th" | "zh"),
            matcher,
            allow: None,
            allow_capitalized: Vec::new(),
            config,
        })
    }

    /// Listed words that do not count when the text writes them with a capital first
    /// letter (names).
    pub fn with_allow_capitalized(mut self, words: &[String]) -> Self {
        self.allow_capitalized = words.iter().map(|w| w.trim().to_lowercase()).collect();
        self
    }

    /// Phrases inside which a listed word does not count, matched case-insensitively
    /// ("Dick's Sporting Goods", "tied up in"). An empty list changes nothing.
    pub fn with_allow_phrases(mut self, phrases: &[String]) -> Result<Self, BadWordsError> {
        let lower: Vec<String> = phrases
            .iter()
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty())
            .collect();
        if lower.is_empty() {
            return Ok(self);
        }
        let allow = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&lower)
            .map_err(|source| BadWordsError::Build {
                lang: self.lang.clone(),
                source,
            })?;
        self.allow = Some(allow);
        Ok(self)
    }

    /// The listed words found at word boundaries in the lower-cased text, outside every
    /// allowed phrase, in order (at most `limit`).
    pub fn bad_words(&self, text: &str, limit: usize) -> Vec<String> {
        let lower = text.to_lowercase();
        let allowed: Vec<(usize, usize)> = match &self.allow {
            Some(allow) => allow
                .find_overlapping_iter(&lower)
                .map(|m| (m.start(), m.end()))
                .collect(),
            None => Vec::new(),
        };
        let mut found = Vec::new();
        for m in self.matcher.find_overlapping_iter(&lower) {
            if self.needs_boundaries {
                let before_ok = lower[..m.start()]
                    .chars()
                    .next_back()
                    .is_none_or(is_py_non_word);
                let after_ok = lower[m.end()..].chars().next().is_none_or(is_py_non_word);
                if !(before_ok && after_ok) {
                    continue;
                }
            }
            if allowed.iter().any(|&(a, b)| a <= m.start() && m.end() <= b) {
                continue;
            }
            // Offsets of the lower-cased text are those of the text when lower-casing kept
            // every length (it does for ASCII, where names like these are written).
            if lower.len() == text.len()
                && self
                    .allow_capitalized
                    .iter()
                    .any(|w| w == &lower[m.start()..m.end()])
                && text[m.start()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_uppercase)
            {
                continue;
            }
            found.push(lower[m.start()..m.end()].to_owned());
            if found.len() >= limit {
                break;
            }
        }
        found
    }

    pub fn lang(&self) -> &str {
        &self.lang
    }

    /// Whether the lower-cased text contains a listed word at word boundaries, outside the
    /// allowed phrases.
    pub fn contains_bad_word(&self, text: &str) -> bool {
        !self.bad_words(text, 1).is_empty()
    }
}

impl Filter for C4BadWords {
    fn name(&self) -> &'static str {
        "c4_badwords"
    }

    fn check(&self, doc: &Document<'_>) -> Verdict {
        let words = self.bad_words(doc.text(), 8);
        let found = !words.is_empty();
        let signals = vec![Signal {
            name: "c4_badwords.found",
            value: f64::from(u8::from(found)),
        }];
        if !found {
            return Verdict::keep(signals);
        }
        let matched = AnnotationValue::Text(words.join(", "));
        if self.config.keep_fraction > 0.0 {
            let draw = (xxh3_64_with_seed(doc.text().as_bytes(), self.config.seed) >> 11) as f64
                / (1u64 << 53) as f64;
            if draw < self.config.keep_fraction {
                return Verdict::keep(signals).annotate("c4_badwords.matched", matched);
            }
        }
        Verdict::drop("document_removed_with_badwords", signals)
            .annotate("c4_badwords.matched", matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(text: &str) -> (Verdict, Option<String>) {
        C4Quality::default().apply(&Document::new(text, None))
    }

    #[test]
    fn keeps_punctuated_lines_and_drops_the_rest() {
        let t = "Menu\nThis is the first sentence. Here is another one.\nClick here\nA third line is here! And a fourth one?\nPlease enable JavaScript to view this page.\nThe fifth sentence ends here.";
        let (v, text) = outcome(t);
        assert!(v.is_keep(), "{v:?}");
        assert_eq!(v.signal("c4.sentences"), Some(5.0));
        assert_eq!(
            text.as_deref(),
            Some(
                "This is the first sentence. Here is another one.\nA third line is here! And a fourth one?\nThe fifth sentence ends here."
            )
        );
    }

    #[test]
    fn document_level_drops() {
        assert_eq!(
            outcome("Only one sentence here.").0.drop_reason,
            Some("too_few_sentences")
        );
        assert_eq!(
            outcome("Lorem ipsum dolor sit amet.").0.drop_reason,
            Some("lorem_ipsum")
        );
        assert_eq!(
            outcome("function f() { return 1; }.").0.drop_reason,
            Some("curly_bracket")
        );
    }

    #[test]
    fn citations_are_removed_before_the_punctuation_check() {
        let mut out = String::new();
        remove_citations(
            "A fact.[12] Another[edit] one[citation needed][x]",
            &mut out,
        );
        assert_eq!(out, "A fact. Another one[x]");
    }

    #[test]
    fn bad_words_respect_word_boundaries() {
        let f = C4BadWords::new("en", "ass\nbadword\n", C4BadWordsConfig::default()).unwrap();
        assert!(f.contains_bad_word("What a BADWORD!"));
        assert!(!f.contains_bad_word("A classic assessment."));
        assert_eq!(
            f.check(&Document::new("you ass", None)).drop_reason,
            Some("document_removed_with_badwords")
        );
        let zh = C4BadWords::new("zh", "坏词\n", C4BadWordsConfig::default()).unwrap();
        assert!(zh.contains_bad_word("这是坏词啊"));
        assert!(C4BadWords::new("en", "\n\n", C4BadWordsConfig::default()).is_err());
    }
}
