//! Word-list toxicity filter (LDNOOBW, dolma's naughty words, datatrove's lists, or a job's
//! own), with an allow-list of phrases that rescues innocent text.
//!
//! Matching: one Aho-Corasick automaton over the list entries, ASCII case-insensitive,
//! reporting overlapping matches; a match counts only when it sits on word boundaries on
//! both sides (the characters before and after it are not letters or digits), so `cock`
//! does not fire inside `cocktail` and `anal` not inside `analyst`. Scripts written
//! without spaces (Chinese, Japanese, Thai, ...) have no word boundaries, so an entry's
//! edge in such a script matches anywhere, as the LDNOOBW `ja`/`zh` lists require. Multi-word entries
//! (`2 girls 1 cup`) match across any run of whitespace (the text's whitespace runs are
//! collapsed to one space first). Of overlapping valid matches the longest
//! leftmost wins, so `blow job` counts once.
//!
//! Allow-list: phrases such as `Dick's Sporting Goods` or `tied up` are matched the same
//! way first, and a bad-word match inside an allowed phrase is not counted. This is how
//! finance text (retailers, place names, people, idioms) passes without weakening the list:
//! the allowed phrases are specific enough that they never cover the abusive use.
//!
//! Decision: drop when the number of bad-word matches exceeds `max_bad_words`, or when their
//! share of the words (whitespace-separated tokens) exceeds `max_bad_word_ratio`. With a
//! model score (e.g. a Jigsaw classifier's probability), [`ToxicityFilter::check_with_score`]
//! drops when either the word rule or `score >= model_threshold` says so: the word list
//! catches explicit vocabulary a model may under-weight, the model catches toxicity without
//! listed words.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::verdict::{Signal, Verdict};

/// The project's default allow-list (one phrase per line, `#` comments).
pub const DEFAULT_ALLOW_PHRASES: &str = include_str!("../data/toxicity_allow_phrases.txt");

/// Signal: bad-word matches counted (after the allow-list).
pub const SIGNAL_BAD_WORDS: &str = "toxicity_bad_words";
/// Signal: bad-word matches per word.
pub const SIGNAL_BAD_WORD_RATIO: &str = "toxicity_bad_word_ratio";
/// Signal: the model score, when one was given.
pub const SIGNAL_MODEL_SCORE: &str = "toxicity_model_score";

/// Reason: too many bad words.
pub const REASON_BAD_WORD_COUNT: &str = "toxicity_bad_word_count";
/// Reason: too high a share of bad words.
pub const REASON_BAD_WORD_RATIO: &str = "toxicity_bad_word_ratio";
/// Reason: the model score reached its threshold.
pub const REASON_MODEL: &str = "toxicity_model";

/// Errors building a [`ToxicityFilter`].
#[derive(Debug, thiserror::Error)]
pub enum ToxicityError {
    /// No bad words were given: the filter would never fire.
    #[error("the toxicity word list is empty")]
    EmptyList,
    /// A matcher could not be built (the pattern set is too large).
    #[error("cannot build the word matcher: {0}")]
    Matcher(#[from] aho_corasick::BuildError),
    /// A threshold outside its range.
    #[error("{0} must be between 0 and 1")]
    BadThreshold(&'static str),
}

/// Lists up to this many entries get a full DFA matcher; longer ones the library's choice.
const MAX_DFA_PATTERNS: usize = 5_000;

/// Thresholds of the toxicity filter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToxicityConfig {
    /// Drop when more bad-word matches than this are found. Default 2: with LDNOOBW `en`
    /// and the default allow-list, 23 of the 22,421 finance documents measured keep one or
    /// two matches (a person called Dick, a `sexual` in a policy statement) and none has
    /// more, while long toxic texts have many.
    pub max_bad_words: usize,
    /// Drop when bad-word matches per word exceed this. Default 0.02 (one bad word in a
    /// text of fewer than 50 words): short toxic posts have one or two listed words. On
    /// Davidson's tweets it flags 63.9 % of hate, 77.4 % of offensive and 3.7 % of neither;
    /// 0.05 would flag 57.4 %, 67.3 % and 2.5 %.
    pub max_bad_word_ratio: f64,
    /// With a model score, drop at or above this. Default 0.5.
    pub model_threshold: f32,
}

impl Default for ToxicityConfig {
    fn default() -> Self {
        ToxicityConfig {
            max_bad_words: 2,
            max_bad_word_ratio: 0.02,
            model_threshold: 0.5,
        }
    }
}

/// What the matcher found in one text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToxicityCounts {
    /// Bad-word matches, the allow-list applied.
    pub bad_words: usize,
    /// Whitespace-separated words.
    pub words: usize,
}

impl ToxicityCounts {
    /// Bad words per word (0 for an empty text).
    pub fn ratio(&self) -> f64 {
        if self.words == 0 {
            0.0
        } else {
            self.bad_words as f64 / self.words as f64
        }
    }
}

/// Builder for [`ToxicityFilter`].
#[derive(Debug, Clone, Default)]
pub struct ToxicityFilterBuilder {
    words: Vec<String>,
    allow: Vec<String>,
    config: ToxicityConfig,
}

/// Trims an entry and collapses its inner whitespace to single spaces.
fn normalize_entry(entry: &str) -> Option<String> {
    let joined = entry.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// Lines of a list file that are entries: trimmed, non-empty, not starting with `#`.
/// (LDNOOBW and dolma lists have no comments; datatrove's use `#` to disable entries.)
pub fn list_entries(contents: &str) -> impl Iterator<Item = &str> {
    contents
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

impl ToxicityFilterBuilder {
    /// Adds bad words or phrases.
    pub fn words<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for w in words {
            if let Some(w) = normalize_entry(w.as_ref()) {
                self.words.push(w);
            }
        }
        self
    }

    /// Adds allowed phrases (matches of bad words inside them are not counted).
    pub fn allow_phrases<I, S>(mut self, phrases: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for p in phrases {
            if let Some(p) = normalize_entry(p.as_ref()) {
                self.allow.push(p);
            }
        }
        self
    }

    /// Adds the project's default allow-list ([`DEFAULT_ALLOW_PHRASES`]).
    pub fn default_allow_phrases(self) -> Self {
        self.allow_phrases(list_entries(DEFAULT_ALLOW_PHRASES))
    }

    /// Sets the thresholds.
    pub fn config(mut self, config: ToxicityConfig) -> Self {
        self.config = config;
        self
    }

    /// Builds the filter.
    pub fn build(mut self) -> Result<ToxicityFilter, ToxicityError> {
        if self.words.is_empty() {
            return Err(ToxicityError::EmptyList);
        }
        if !(0.0..=1.0).contains(&self.config.max_bad_word_ratio) {
            return Err(ToxicityError::BadThreshold("max_bad_word_ratio"));
        }
        if !(0.0..=1.0).contains(&self.config.model_threshold) {
            return Err(ToxicityError::BadThreshold("model_threshold"));
        }
        self.words.sort_unstable();
        self.words.dedup();
        self.allow.sort_unstable();
        self.allow.dedup();
        let matcher = |patterns: &[String]| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                // A full DFA scans about 3x faster than the default here (LDNOOBW en: 100
                // vs 33 MB/s); its memory grows with the patterns, so only for modest lists.
                .kind((patterns.len() <= MAX_DFA_PATTERNS).then_some(AhoCorasickKind::DFA))
                .build(patterns)
        };
        let allow = if self.allow.is_empty() {
            None
        } else {
            Some(matcher(&self.allow)?)
        };
        Ok(ToxicityFilter {
            words: matcher(&self.words)?,
            allow,
            config: self.config,
        })
    }
}

/// Word-list toxicity filter; see the module documentation.
#[derive(Debug, Clone)]
pub struct ToxicityFilter {
    words: AhoCorasick,
    allow: Option<AhoCorasick>,
    config: ToxicityConfig,
}

/// `text` with every run of whitespace replaced by one space, so that multi-word entries
/// and allowed phrases match across line breaks (`Cumming and\nSteinberg`). Borrowed when
/// there is nothing to change, one allocation otherwise.
pub fn collapse_whitespace(text: &str) -> Cow<'_, str> {
    let mut prev_space = false;
    let clean = text.chars().all(|c| {
        let ok = c == ' ' && !prev_space || !c.is_whitespace();
        prev_space = c == ' ';
        ok
    });
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    Cow::Owned(out)
}

/// Whether `c` belongs to a script written without spaces between words (Han, kana,
/// Hangul, whose particles attach to the word, Thai, Lao, Khmer, Myanmar). Word
/// boundaries mean nothing there, so a match edge in such a script needs none.
fn unspaced_script(c: char) -> bool {
    matches!(u32::from(c),
        0x0E00..=0x0EFF        // Thai, Lao
        | 0x1000..=0x109F      // Myanmar
        | 0x1100..=0x11FF      // Hangul Jamo
        | 0x1780..=0x17FF      // Khmer
        | 0x3040..=0x31FF      // kana, Bopomofo, Hangul compatibility Jamo
        | 0x3400..=0x4DBF      // CJK extension A
        | 0x4E00..=0x9FFF      // CJK unified ideographs
        | 0xAC00..=0xD7AF      // Hangul syllables
        | 0xF900..=0xFAFF      // CJK compatibility ideographs
        | 0x20000..=0x2FFFF) // CJK extensions B and later
}

/// Whether `c` continues a word of a spaced script (a letter or digit outside the
/// unspaced scripts).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() && !unspaced_script(c)
}

/// Whether `text[start..end]` sits on word boundaries: the characters around it do not
/// continue a word, except at an edge written in an unspaced script (which needs no
/// boundary). A character of an unspaced script next to a Latin entry is a boundary.
fn on_boundaries(text: &str, start: usize, end: usize) -> bool {
    let matched = &text[start..end];
    let first_unspaced = matched.chars().next().is_some_and(unspaced_script);
    let last_unspaced = matched.chars().next_back().is_some_and(unspaced_script);
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    (first_unspaced || !before.is_some_and(word_char))
        && (last_unspaced || !after.is_some_and(word_char))
}

/// Boundary-checked matches as `(start, end)`, overlapping ones resolved leftmost-longest.
fn word_matches(ac: &AhoCorasick, text: &str) -> Vec<(usize, usize)> {
    let mut found: Vec<(usize, usize)> = ac
        .find_overlapping_iter(text)
        .map(|m| (m.start(), m.end()))
        .filter(|&(s, e)| on_boundaries(text, s, e))
        .collect();
    // Leftmost first, longest first among equal starts; then drop overlaps.
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut kept: Vec<(usize, usize)> = Vec::with_capacity(found.len());
    for m in found {
        if kept.last().is_none_or(|last| m.0 >= last.1) {
            kept.push(m);
        }
    }
    kept
}

impl ToxicityFilter {
    /// A builder with no words, no allow-list and the default thresholds.
    pub fn builder() -> ToxicityFilterBuilder {
        ToxicityFilterBuilder::default()
    }

    /// The thresholds in force.
    pub fn config(&self) -> &ToxicityConfig {
        &self.config
    }

    /// The bad-word matches that count (allow-list applied), as byte ranges of `text`
    /// with its whitespace runs collapsed (see [`collapse_whitespace`]).
    fn match_ranges(&self, text: &str) -> Vec<(usize, usize)> {
        let bad = word_matches(&self.words, text);
        if bad.is_empty() {
            return bad;
        }
        let Some(allow) = &self.allow else {
            return bad;
        };
        let allowed = word_matches(allow, text);
        bad.into_iter()
            .filter(|&(s, e)| !allowed.iter().any(|&(a, b)| a <= s && e <= b))
            .collect()
    }

    /// The matched bad words that count, as they appear (whitespace collapsed), in order.
    pub fn matches(&self, text: &str) -> Vec<String> {
        let text = collapse_whitespace(text);
        self.match_ranges(&text)
            .into_iter()
            .map(|(s, e)| text[s..e].to_owned())
            .collect()
    }

    /// Bad-word and word counts of `text`.
    pub fn counts(&self, text: &str) -> ToxicityCounts {
        let collapsed = collapse_whitespace(text);
        ToxicityCounts {
            bad_words: self.match_ranges(&collapsed).len(),
            words: collapsed.split(' ').filter(|w| !w.is_empty()).count(),
        }
    }

    /// Judges `text` by the word lists alone; the URL is not used.
    pub fn check(&self, text: &str, _url: Option<&str>) -> Verdict {
        self.check_with_score(text, None)
    }

    /// Judges `text` by the word lists and, when given, a model's toxicity score in
    /// `[0, 1]`: dropped when either rule fires (the word rule's reason wins when both do).
    pub fn check_with_score(&self, text: &str, model_score: Option<f32>) -> Verdict {
        let counts = self.counts(text);
        let ratio = counts.ratio();
        let mut signals = vec![
            Signal {
                name: SIGNAL_BAD_WORDS,
                value: counts.bad_words as f64,
            },
            Signal {
                name: SIGNAL_BAD_WORD_RATIO,
                value: ratio,
            },
        ];
        if let Some(score) = model_score {
            signals.push(Signal {
                name: SIGNAL_MODEL_SCORE,
                value: f64::from(score),
            });
        }
        if counts.bad_words > self.config.max_bad_words {
            Verdict::drop(REASON_BAD_WORD_COUNT, signals)
        } else if ratio > self.config.max_bad_word_ratio {
            Verdict::drop(REASON_BAD_WORD_RATIO, signals)
        } else if model_score.is_some_and(|s| s >= self.config.model_threshold) {
            Verdict::drop(REASON_MODEL, signals)
        } else {
            Verdict::keep(signals)
        }
    }
}

impl crate::filter::Filter for ToxicityFilter {
    fn name(&self) -> &'static str {
        "toxicity"
    }

    fn check(&self, doc: &crate::filter::Document<'_>) -> Verdict {
        ToxicityFilter::check(self, doc.text(), doc.url())
    }
}

/// `[filter.toxicity]` as a job writes it: word lists, an allow-list of phrases,
/// thresholds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToxicitySettings {
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

/// `[filter.toxicity]`: the word-list toxicity rule.
pub const DEF: crate::registry::FilterDef = crate::registry::FilterDef {
    name: "toxicity",
    about: "toxicity word lists with an allow-list of innocent phrases",
    build: |settings| {
        let s: ToxicitySettings = settings.parse()?;
        let words = settings.read_entries("word_files", &s.word_files)?;
        let allow = settings.read_entries("allow_phrase_files", &s.allow_phrase_files)?;
        let mut builder = ToxicityFilter::builder()
            .words(words)
            .allow_phrases(allow)
            .config(s.thresholds);
        if s.default_allow_phrases {
            builder = builder.default_allow_phrases();
        }
        let filter = builder.build().map_err(|e| {
            let key = match e {
                ToxicityError::EmptyList => "word_files",
                _ => "thresholds",
            };
            crate::registry::BuildError::new(key, e.to_string())
        })?;
        Ok(Box::new(filter))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(allow: &[&str]) -> ToxicityFilter {
        ToxicityFilter::builder()
            .words(["dick", "cock", "anal", "2 girls  1 cup", "blow", "blow job"])
            .allow_phrases(allow.iter().copied())
            .build()
            .unwrap()
    }

    #[test]
    fn matches_whole_words_case_insensitively() {
        let f = filter(&[]);
        assert_eq!(f.counts("a Cocktail for the analyst").bad_words, 0);
        assert_eq!(f.counts("COCK. cock,cock").bad_words, 3);
        assert_eq!(f.counts("see 2 girls 1 cup now").bad_words, 1);
        // Longest of overlapping matches wins: one match, not two.
        assert_eq!(f.matches("a blow job here"), ["blow job"]);
        // Multi-word entries match across line breaks and runs of spaces.
        assert_eq!(f.matches("2\ngirls  1\t cup"), ["2 girls 1 cup"]);
        // Unicode letters are word characters too.
        assert_eq!(f.counts("écock cocké").bad_words, 0);
    }

    #[test]
    fn allow_list_removes_matches_inside_phrases_only() {
        let f = filter(&["Dick's Sporting Goods", "Dick Clark"]);
        let text = "Dick's Sporting Goods raised guidance; DICK CLARK spoke. What a dick.";
        assert_eq!(f.counts(text).bad_words, 1);
        assert_eq!(filter(&[]).counts(text).bad_words, 3);
    }

    #[test]
    fn thresholds_and_model_score() {
        let f = filter(&[]);
        let clean = "word ".repeat(100);
        assert!(f.check(&clean, None).is_keep());
        // 1 bad word in 101 words: ratio 0.0099, under 0.02; count 1, under 2.
        let one = format!("{clean} cock");
        let v = f.check(&one, None);
        assert!(v.is_keep());
        assert_eq!(v.signal(SIGNAL_BAD_WORDS), Some(1.0));
        // 3 bad words exceed the count.
        let three = format!("{clean} cock cock cock");
        assert_eq!(
            f.check(&three, None).drop_reason,
            Some(REASON_BAD_WORD_COUNT)
        );
        // A short text with one bad word exceeds the ratio.
        assert_eq!(
            f.check("you are a dick", None).drop_reason,
            Some(REASON_BAD_WORD_RATIO)
        );
        let v = f.check_with_score(&clean, Some(0.7));
        assert_eq!(v.drop_reason, Some(REASON_MODEL));
        assert_eq!(v.signal(SIGNAL_MODEL_SCORE), Some(f64::from(0.7f32)));
        assert!(f.check_with_score(&clean, Some(0.2)).is_keep());
    }

    #[test]
    fn works_through_the_filter_trait() {
        use crate::filter::{Document, Filter};
        let f = filter(&[]);
        let f: &dyn Filter = &f;
        assert_eq!(f.name(), "toxicity");
        let doc = Document::new("you are a dick", None);
        assert_eq!(f.check(&doc).drop_reason, Some(REASON_BAD_WORD_RATIO));
    }

    #[test]
    fn empty_list_and_bad_thresholds_are_errors() {
        assert!(matches!(
            ToxicityFilter::builder().build(),
            Err(ToxicityError::EmptyList)
        ));
        let cfg = ToxicityConfig {
            max_bad_word_ratio: 2.0,
            ..ToxicityConfig::default()
        };
        assert!(matches!(
            ToxicityFilter::builder().words(["x"]).config(cfg).build(),
            Err(ToxicityError::BadThreshold("max_bad_word_ratio"))
        ));
    }

    #[test]
    fn default_allow_list_parses() {
        assert!(list_entries(DEFAULT_ALLOW_PHRASES).count() > 10);
    }
}
