//! Gopher repetition rules (Rae et al. 2021, table A1): duplicated paragraphs and lines
//! (by count and by characters), the most frequent 2- to 4-gram's character share, and
//! the character share of repeated 5- to 10-grams.
//!
//! Semantics follow datatrove 0.10.1's `GopherRepetitionFilter`, in its order and with its
//! reason strings, including its quirks: paragraphs are the stripped text split at two or
//! more newlines, lines are the text split at runs of newlines (an empty first or last
//! line counts), fractions of characters are taken over the whole text's length, and
//! repeated n-grams are measured with their words concatenated without spaces. N-grams are
//! compared by a 64-bit hash of their words instead of by building strings.

use std::collections::HashSet;

use crate::fast_hash::FastBuildHasher;
use serde::Deserialize;

use crate::analysis::{NgramScratch, Span, char_count};
use crate::filter::{Document, Filter};
use crate::verdict::{Signal, Verdict};

/// Thresholds of the Gopher repetition rules; defaults are the paper's (and datatrove's).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GopherRepetitionConfig {
    /// Share of duplicated lines above this drops the document (`dup_line_frac`); 0 disables.
    pub dup_line_frac: f64,
    /// Share of duplicated paragraphs above this drops it (`dup_para_frac`); 0 disables.
    pub dup_para_frac: f64,
    /// Characters in duplicated lines per character of text above this drops it.
    pub dup_line_char_frac: f64,
    /// Characters in duplicated paragraphs per character of text above this drops it.
    pub dup_para_char_frac: f64,
    /// `[n, max_fraction]`: the most frequent n-gram's characters times its count, per
    /// character of text, above the fraction drops it (`top_{n}_gram`).
    pub top_n_grams: Vec<(usize, f64)>,
    /// `[n, max_fraction]`: characters in repeated n-grams per character of text above the
    /// fraction drops it (`duplicated_{n}_n_grams`).
    pub dup_n_grams: Vec<(usize, f64)>,
}

impl Default for GopherRepetitionConfig {
    fn default() -> Self {
        GopherRepetitionConfig {
            dup_line_frac: 0.3,
            dup_para_frac: 0.3,
            dup_line_char_frac: 0.2,
            dup_para_char_frac: 0.2,
            top_n_grams: vec![(2, 0.2), (3, 0.18), (4, 0.16)],
            dup_n_grams: vec![
                (5, 0.15),
                (6, 0.14),
                (7, 0.13),
                (8, 0.12),
                (9, 0.11),
                (10, 0.10),
            ],
        }
    }
}

/// The Gopher repetition filter.
#[derive(Debug, Clone, Default)]
pub struct GopherRepetition {
    config: GopherRepetitionConfig,
}

impl GopherRepetition {
    pub fn new(config: GopherRepetitionConfig) -> Self {
        GopherRepetition { config }
    }

    pub fn config(&self) -> &GopherRepetitionConfig {
        &self.config
    }
}

/// Reason strings for n-gram rules, by n (the reason must be a `&'static str`).
fn top_reason(n: usize) -> &'static str {
    const R: [&str; 11] = [
        "top_0_gram",
        "top_1_gram",
        "top_2_gram",
        "top_3_gram",
        "top_4_gram",
        "top_5_gram",
        "top_6_gram",
        "top_7_gram",
        "top_8_gram",
        "top_9_gram",
        "top_10_gram",
    ];
    R.get(n).copied().unwrap_or("top_n_gram")
}

fn dup_reason(n: usize) -> &'static str {
    const R: [&str; 11] = [
        "duplicated_0_n_grams",
        "duplicated_1_n_grams",
        "duplicated_2_n_grams",
        "duplicated_3_n_grams",
        "duplicated_4_n_grams",
        "duplicated_5_n_grams",
        "duplicated_6_n_grams",
        "duplicated_7_n_grams",
        "duplicated_8_n_grams",
        "duplicated_9_n_grams",
        "duplicated_10_n_grams",
    ];
    R.get(n).copied().unwrap_or("duplicated_n_n_grams")
}

const TOP_SIGNALS: [&str; 11] = [
    "gopher_repetition.top_0_gram",
    "gopher_repetition.top_1_gram",
    "gopher_repetition.top_2_gram",
    "gopher_repetition.top_3_gram",
    "gopher_repetition.top_4_gram",
    "gopher_repetition.top_5_gram",
    "gopher_repetition.top_6_gram",
    "gopher_repetition.top_7_gram",
    "gopher_repetition.top_8_gram",
    "gopher_repetition.top_9_gram",
    "gopher_repetition.top_10_gram",
];
const DUP_SIGNALS: [&str; 11] = [
    "gopher_repetition.dup_0_gram",
    "gopher_repetition.dup_1_gram",
    "gopher_repetition.dup_2_gram",
    "gopher_repetition.dup_3_gram",
    "gopher_repetition.dup_4_gram",
    "gopher_repetition.dup_5_gram",
    "gopher_repetition.dup_6_gram",
    "gopher_repetition.dup_7_gram",
    "gopher_repetition.dup_8_gram",
    "gopher_repetition.dup_9_gram",
    "gopher_repetition.dup_10_gram",
];

/// `(duplicate elements, characters in duplicates)` over `spans` of `text`.
fn find_duplicates<'t>(text: &'t str, spans: impl Iterator<Item = Span>) -> (usize, usize, usize) {
    let mut seen: HashSet<&'t str, FastBuildHasher> =
        HashSet::with_hasher(FastBuildHasher::default());
    let (mut n, mut dups, mut chars) = (0usize, 0usize, 0usize);
    for (s, e) in spans {
        n += 1;
        let el = &text[s..e];
        if !seen.insert(el) {
            dups += 1;
            chars += char_count(el);
        }
    }
    (n, dups, chars)
}

impl Filter for GopherRepetition {
    fn name(&self) -> &'static str {
        "gopher_repetition"
    }

    fn check(&self, doc: &Document<'_>) -> Verdict {
        let c = &self.config;
        let text = doc.text();
        if text.is_empty() {
            return Verdict::drop("empty", Vec::new());
        }
        let a = doc.analysis();
        let len = a.char_len() as f64;
        let mut signals = Vec::with_capacity(16);

        let (n_para, para_dups, para_chars) = find_duplicates(text, a.paragraphs().iter().copied());
        let para_frac = para_dups as f64 / n_para as f64;
        signals.push(Signal {
            name: "gopher_repetition.dup_para_frac",
            value: para_frac,
        });
        if c.dup_para_frac != 0.0 && para_frac > c.dup_para_frac {
            return Verdict::drop("dup_para_frac", signals);
        }
        let para_char_frac = para_chars as f64 / len;
        signals.push(Signal {
            name: "gopher_repetition.dup_para_char_frac",
            value: para_char_frac,
        });
        if c.dup_para_char_frac != 0.0 && para_char_frac > c.dup_para_char_frac {
            return Verdict::drop("dup_para_char_frac", signals);
        }

        // Lines split at runs of newlines: the `\n`-split lines without the empty ones,
        // except an empty first or last line, which the split keeps.
        let nl = a.nl_lines();
        let last = nl.len() - 1;
        let lines = nl
            .iter()
            .enumerate()
            .filter(|&(i, &(s, e))| s != e || i == 0 || i == last)
            .map(|(_, &l)| l);
        let (n_lines, line_dups, line_chars) = find_duplicates(text, lines);
        let line_frac = line_dups as f64 / n_lines as f64;
        signals.push(Signal {
            name: "gopher_repetition.dup_line_frac",
            value: line_frac,
        });
        if c.dup_line_frac != 0.0 && line_frac > c.dup_line_frac {
            return Verdict::drop("dup_line_frac", signals);
        }
        let line_char_frac = line_chars as f64 / len;
        signals.push(Signal {
            name: "gopher_repetition.dup_line_char_frac",
            value: line_char_frac,
        });
        if c.dup_line_char_frac != 0.0 && line_char_frac > c.dup_line_char_frac {
            return Verdict::drop("dup_line_char_frac", signals);
        }

        let mut scratch = NgramScratch::default();
        for &(n, frac) in &c.top_n_grams {
            let Some(top) = a.top_ngram_chars(n, &mut scratch) else {
                continue;
            };
            let share = top as f64 / len;
            signals.push(Signal {
                name: TOP_SIGNALS
                    .get(n)
                    .copied()
                    .unwrap_or("gopher_repetition.top_n_gram"),
                value: share,
            });
            if share > frac {
                return Verdict::drop(top_reason(n), signals);
            }
        }
        // With no repeated n-gram there is no repeated longer one either: once a size
        // comes out at zero, larger sizes are zero without scanning.
        let mut zero_from: Option<usize> = None;
        for &(n, frac) in &c.dup_n_grams {
            let chars = if zero_from.is_some_and(|z| n >= z) {
                0
            } else {
                a.dup_ngram_chars(text, n, &mut scratch)
            };
            if chars == 0 && n > 0 {
                zero_from = Some(zero_from.map_or(n, |z| z.min(n)));
            }
            let share = chars as f64 / len;
            signals.push(Signal {
                name: DUP_SIGNALS
                    .get(n)
                    .copied()
                    .unwrap_or("gopher_repetition.dup_n_gram"),
                value: share,
            });
            if share > frac {
                return Verdict::drop(dup_reason(n), signals);
            }
        }
        Verdict::keep(signals)
    }
}

/// `[filter.gopher_repetition]`: Gopher's repetition rules, datatrove's defaults.
pub const DEF: crate::registry::FilterDef = crate::registry::FilterDef {
    name: "gopher_repetition",
    about: "Gopher repetition: duplicated lines, paragraphs and n-grams",
    build: |settings| {
        use crate::registry::{BuildError, fraction};
        let c: GopherRepetitionConfig = settings.parse()?;
        fraction("dup_line_frac", c.dup_line_frac)?;
        fraction("dup_para_frac", c.dup_para_frac)?;
        fraction("dup_line_char_frac", c.dup_line_char_frac)?;
        fraction("dup_para_char_frac", c.dup_para_char_frac)?;
        for (key, grams) in [
            ("top_n_grams", &c.top_n_grams),
            ("dup_n_grams", &c.dup_n_grams),
        ] {
            for (n, frac) in grams {
                if *n == 0 {
                    return Err(BuildError::new(key, "n-gram sizes must be at least 1"));
                }
                fraction(key, *frac)?;
            }
        }
        Ok(Box::new(GopherRepetition::new(c)))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> Option<&'static str> {
        GopherRepetition::default()
            .check(&Document::new(text, None))
            .drop_reason
    }

    #[test]
    fn keeps_varied_text() {
        // Short texts fail the top-4-gram rule on a single occurrence (one 4-gram is more
        // than 16% of the text), as upstream.
        let t = "Alpha beta gamma delta epsilon.\n\nZeta eta theta iota kappa lambda mu.\n\nNu xi omicron pi rho sigma tau upsilon.";
        assert_eq!(reason(t), Some("top_4_gram"));
        let long = "The committee met on Tuesday to review the annual budget proposal. Members raised concerns about rising costs in transport, housing and public health. After a long debate, they agreed to publish a revised plan next month, with input from local groups and independent auditors.";
        assert_eq!(reason(long), None);
    }

    #[test]
    fn drops_repeated_paragraphs_lines_and_ngrams() {
        assert_eq!(
            reason("same para\n\nsame para\n\nother one"),
            Some("dup_para_frac")
        );
        assert_eq!(
            reason("line a\nline a\nline b\nline c"),
            Some("dup_line_char_frac")
        );
        // 2 duplicates out of 7 lines stays under 0.3; the 2-gram rule catches it.
        assert_eq!(reason("x\nx\nx\ny\nz\nw\nv"), Some("top_2_gram"));
        assert_eq!(reason("x\nx\nx\nx\ny\nz"), Some("dup_line_frac"));
        assert_eq!(
            reason("buy now buy now buy now and more words here to dilute"),
            Some("top_2_gram")
        );
        assert_eq!(reason(""), Some("empty"));
    }
}
