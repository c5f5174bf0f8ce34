//! FineWeb's additional quality rules (Penedo et al. 2024): share of lines ending in
//! terminal punctuation, share of short lines, characters in duplicated lines, and
//! newlines per word (list-like pages).
//!
//! Semantics follow datatrove 0.10.1's `FineWebQualityFilter`, in its order and with its
//! reason strings: lines are the text split at `\n` without the blank ones, lengths are in
//! characters, and the duplicated-line share is over the text's length without newlines.

use std::collections::HashSet;

use crate::fast_hash::FastBuildHasher;
use serde::Deserialize;

use crate::analysis::char_count;
use crate::filter::{Document, Filter};
use crate::verdict::{Signal, Verdict};
use crate::word_split::{is_py_space, is_terminal_punct};

/// Thresholds of the FineWeb rules; defaults are datatrove's.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FineWebQualityConfig {
    /// A share of lines ending in terminal punctuation below this drops the document
    /// (`line_punct_ratio`).
    pub line_punct_thr: f64,
    /// Do not drop documents where no line ends in terminal punctuation.
    pub line_punct_exclude_zero: bool,
    /// Characters that count as terminal punctuation; empty means datatrove's set
    /// (`.`, `!`, `?` and their equivalents in other scripts).
    pub stop_chars: Vec<char>,
    /// A share of short lines above this drops the document (`short_line_ratio`).
    pub short_line_thr: f64,
    /// Lines of at most this many characters are short.
    pub short_line_length: usize,
    /// Characters in duplicated lines per character (newlines excluded) above this drops
    /// the document (`char_dup_ratio`).
    pub char_duplicates_ratio: f64,
    /// Newlines per word above this drops the document (`list_ratio`).
    pub new_line_ratio: f64,
}

impl Default for FineWebQualityConfig {
    fn default() -> Self {
        FineWebQualityConfig {
            line_punct_thr: 0.12,
            line_punct_exclude_zero: false,
            stop_chars: Vec::new(),
            short_line_thr: 0.67,
            short_line_length: 30,
            char_duplicates_ratio: 0.01,
            new_line_ratio: 0.3,
        }
    }
}

/// The FineWeb quality filter.
#[derive(Debug, Clone, Default)]
pub struct FineWebQuality {
    config: FineWebQualityConfig,
}

impl FineWebQuality {
    pub fn new(config: FineWebQualityConfig) -> Self {
        FineWebQuality { config }
    }

    pub fn config(&self) -> &FineWebQualityConfig {
        &self.config
    }

    fn ends_with_stop(&self, line: &str) -> bool {
        let Some(last) = line.chars().next_back() else {
            return false;
        };
        if self.config.stop_chars.is_empty() {
            is_terminal_punct(last)
        } else {
            self.config.stop_chars.contains(&last)
        }
    }
}

impl Filter for FineWebQuality {
    fn name(&self) -> &'static str {
        "fineweb"
    }

    fn check(&self, doc: &Document<'_>) -> Verdict {
        let c = &self.config;
        let text = doc.text();
        let a = doc.analysis();
        let lines = a
            .nl_lines()
            .iter()
            .map(|&(s, e)| &text[s..e])
            .filter(|l| !l.trim_matches(is_py_space).is_empty());
        let mut n = 0usize;
        let mut punct = 0usize;
        let mut short = 0usize;
        let mut dup_chars = 0usize;
        let mut seen: HashSet<&str, FastBuildHasher> =
            HashSet::with_hasher(FastBuildHasher::default());
        for l in lines {
            n += 1;
            punct += usize::from(self.ends_with_stop(l));
            let chars = char_count(l);
            short += usize::from(chars <= c.short_line_length);
            if !seen.insert(l) {
                dup_chars += chars;
            }
        }
        let mut signals = Vec::with_capacity(4);
        if n == 0 {
            return Verdict::drop("empty", signals);
        }
        let n_f = n as f64;
        let punct_ratio = punct as f64 / n_f;
        signals.push(Signal {
            name: "fineweb.line_punct_ratio",
            value: punct_ratio,
        });
        if punct_ratio < c.line_punct_thr && !(punct_ratio == 0.0 && c.line_punct_exclude_zero) {
            return Verdict::drop("line_punct_ratio", signals);
        }
        let short_ratio = short as f64 / n_f;
        signals.push(Signal {
            name: "fineweb.short_line_ratio",
            value: short_ratio,
        });
        if short_ratio > c.short_line_thr {
            return Verdict::drop("short_line_ratio", signals);
        }
        let body_chars = a.char_len() - a.newline_count();
        let dup_ratio = if body_chars == 0 {
            f64::NAN
        } else {
            dup_chars as f64 / body_chars as f64
        };
        signals.push(Signal {
            name: "fineweb.char_dup_ratio",
            value: dup_ratio,
        });
        if dup_ratio > c.char_duplicates_ratio {
            return Verdict::drop("char_dup_ratio", signals);
        }
        let words = a.words().len();
        let list_ratio = if words == 0 {
            f64::INFINITY
        } else {
            a.newline_count() as f64 / words as f64
        };
        signals.push(Signal {
            name: "fineweb.list_ratio",
            value: list_ratio,
        });
        if list_ratio > c.new_line_ratio {
            return Verdict::drop("list_ratio", signals);
        }
        Verdict::keep(signals)
    }
}

/// `[filter.fineweb]`: FineWeb's line rules, datatrove's defaults.
pub const DEF: crate::registry::FilterDef = crate::registry::FilterDef {
    name: "fineweb",
    about: "FineWeb: line punctuation, short lines, duplicated line characters, newline ratio",
    build: |settings| {
        use crate::registry::{fraction, non_negative};
        let c: FineWebQualityConfig = settings.parse()?;
        fraction("line_punct_thr", c.line_punct_thr)?;
        fraction("short_line_thr", c.short_line_thr)?;
        fraction("char_duplicates_ratio", c.char_duplicates_ratio)?;
        non_negative("new_line_ratio", c.new_line_ratio)?;
        Ok(Box::new(FineWebQuality::new(c)))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> Option<&'static str> {
        FineWebQuality::default()
            .check(&Document::new(text, None))
            .drop_reason
    }

    #[test]
    fn rules_in_order() {
        let good = "This line is long enough and it ends properly.\nAnother line that also ends with a period.";
        assert_eq!(reason(good), None);
        assert_eq!(
            reason("no punctuation at all here\nnor here either my friend"),
            Some("line_punct_ratio")
        );
        assert_eq!(
            reason(
                "Short.\nTiny.\nSmall.\nA much longer line that is definitely over thirty chars."
            ),
            Some("short_line_ratio")
        );
        let dup = "This line repeats and is long enough to count.\nThis line repeats and is long enough to count.";
        assert_eq!(reason(dup), Some("char_dup_ratio"));
        assert_eq!(reason("\n \n"), Some("empty"));
    }
}
