//! Gopher quality rules (Rae et al. 2021, "Scaling Language Models", appendix A): word
//! count, mean word length, symbol-to-word ratios, bullet and ellipsis lines, words with a
//! letter, stop words.
//!
//! Semantics follow datatrove 0.10.1's `GopherQualityFilter`, check for check and in the
//! same order, with its reason strings: "words" are the English word tokens of
//! [`crate::word_split`], and tokens made only of punctuation do not count as words for
//! the count and mean-length rules (they do for the symbol ratios and the letter rule). A threshold of 0 disables its rule, as a falsy value does upstream.

use serde::Deserialize;

use crate::filter::{Document, Filter};
use crate::verdict::{Signal, Verdict};
use crate::word_split::is_py_space;

/// Thresholds of the Gopher quality rules; defaults are the paper's (and datatrove's).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GopherQualityConfig {
    /// Fewer non-symbol words than this drops the document (`gopher_short_doc`).
    pub min_doc_words: usize,
    /// More non-symbol words than this drops the document (`gopher_long_doc`).
    pub max_doc_words: usize,
    /// Mean non-symbol word length (characters) below this drops it.
    pub min_avg_word_length: f64,
    /// Mean non-symbol word length above this drops it.
    pub max_avg_word_length: f64,
    /// `#` per word, and `...`/`…` per word, above this drops it.
    pub max_symbol_word_ratio: f64,
    /// Share of lines starting with `•` or `-` above this drops it.
    pub max_bullet_lines_ratio: f64,
    /// Share of lines ending with `...` or `…` above this drops it.
    pub max_ellipsis_lines_ratio: f64,
    /// Words containing a letter, per word (punctuation tokens included), below this
    /// drops it.
    pub max_non_alpha_words_ratio: f64,
    /// Fewer distinct stop words than this drops it.
    pub min_stop_words: usize,
    /// The stop words (matched case-sensitively against whole words).
    pub stop_words: Vec<String>,
}

/// Gopher's stop word list.
pub const STOP_WORDS: [&str; 8] = ["the", "be", "to", "of", "and", "that", "have", "with"];

impl Default for GopherQualityConfig {
    fn default() -> Self {
        GopherQualityConfig {
            min_doc_words: 50,
            max_doc_words: 100_000,
            min_avg_word_length: 3.0,
            max_avg_word_length: 10.0,
            max_symbol_word_ratio: 0.1,
            max_bullet_lines_ratio: 0.9,
            max_ellipsis_lines_ratio: 0.3,
            max_non_alpha_words_ratio: 0.8,
            min_stop_words: 2,
            stop_words: STOP_WORDS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// The Gopher quality filter.
#[derive(Debug, Clone, Default)]
pub struct GopherQuality {
    config: GopherQualityConfig,
}

impl GopherQuality {
    pub fn new(config: GopherQualityConfig) -> Self {
        GopherQuality { config }
    }

    pub fn config(&self) -> &GopherQualityConfig {
        &self.config
    }
}

/// Python's `str.count` (non-overlapping occurrences).
fn count_non_overlapping(hay: &str, needle: &str) -> usize {
    memchr::memmem::find_iter(hay.as_bytes(), needle.as_bytes())
        .fold((0usize, 0usize), |(n, next_ok), at| {
            if at >= next_ok {
                (n + 1, at + needle.len())
            } else {
                (n, next_ok)
            }
        })
        .0
}

impl Filter for GopherQuality {
    fn name(&self) -> &'static str {
        "gopher_quality"
    }

    fn check(&self, doc: &Document<'_>) -> Verdict {
        let c = &self.config;
        let text = doc.text();
        let a = doc.analysis();
        let words = a.words();
        let n_words = words.len();
        let mut n_content = 0usize;
        let mut content_chars = 0usize;
        let mut n_alpha = 0usize;
        for w in words {
            if !w.is_symbol {
                n_content += 1;
                content_chars += w.chars as usize;
            }
            n_alpha += usize::from(w.has_alpha);
        }
        let mut signals = vec![Signal {
            name: "gopher_quality.words",
            value: n_content as f64,
        }];

        if c.min_doc_words != 0 && n_content < c.min_doc_words {
            return Verdict::drop("gopher_short_doc", signals);
        }
        if c.max_doc_words != 0 && n_content > c.max_doc_words {
            return Verdict::drop("gopher_long_doc", signals);
        }

        // The mean of an empty list is NaN upstream: every comparison with it is false.
        let avg = if n_content == 0 {
            f64::NAN
        } else {
            content_chars as f64 / n_content as f64
        };
        signals.push(Signal {
            name: "gopher_quality.avg_word_length",
            value: avg,
        });
        if c.min_avg_word_length != 0.0 && avg < c.min_avg_word_length {
            return Verdict::drop("gopher_below_avg_threshold", signals);
        }
        if c.max_avg_word_length != 0.0 && avg > c.max_avg_word_length {
            return Verdict::drop("gopher_above_avg_threshold", signals);
        }

        let per_word = |count: usize| {
            if n_words == 0 {
                if count == 0 { f64::NAN } else { f64::INFINITY }
            } else {
                count as f64 / n_words as f64
            }
        };
        let hash_ratio = per_word(bytecount(text, b'#'));
        signals.push(Signal {
            name: "gopher_quality.hash_ratio",
            value: hash_ratio,
        });
        if c.max_symbol_word_ratio != 0.0 && hash_ratio > c.max_symbol_word_ratio {
            return Verdict::drop("gopher_too_many_hashes", signals);
        }
        let ellipsis_ratio =
            per_word(count_non_overlapping(text, "...") + count_non_overlapping(text, "…"));
        signals.push(Signal {
            name: "gopher_quality.ellipsis_ratio",
            value: ellipsis_ratio,
        });
        if c.max_symbol_word_ratio != 0.0 && ellipsis_ratio > c.max_symbol_word_ratio {
            return Verdict::drop("gopher_too_many_ellipsis", signals);
        }

        let lines = a.splitlines();
        let n_lines = lines.len().max(1) as f64;
        let bullets = lines
            .iter()
            .filter(|&&(s, e)| {
                let l = text[s..e].trim_start_matches(is_py_space);
                l.starts_with('•') || l.starts_with('-')
            })
            .count();
        let bullet_ratio = bullets as f64 / n_lines;
        signals.push(Signal {
            name: "gopher_quality.bullet_lines_ratio",
            value: bullet_ratio,
        });
        if c.max_bullet_lines_ratio != 0.0 && bullet_ratio > c.max_bullet_lines_ratio {
            return Verdict::drop("gopher_too_many_bullets", signals);
        }
        let ellipsis_lines = lines
            .iter()
            .filter(|&&(s, e)| {
                let l = text[s..e].trim_end_matches(is_py_space);
                l.ends_with("...") || l.ends_with('…')
            })
            .count();
        let ellipsis_lines_ratio = ellipsis_lines as f64 / n_lines;
        signals.push(Signal {
            name: "gopher_quality.ellipsis_lines_ratio",
            value: ellipsis_lines_ratio,
        });
        if c.max_ellipsis_lines_ratio != 0.0 && ellipsis_lines_ratio > c.max_ellipsis_lines_ratio {
            return Verdict::drop("gopher_too_many_end_ellipsis", signals);
        }

        let alpha_ratio = per_word(n_alpha);
        signals.push(Signal {
            name: "gopher_quality.alpha_words_ratio",
            value: alpha_ratio,
        });
        if c.max_non_alpha_words_ratio != 0.0 && alpha_ratio < c.max_non_alpha_words_ratio {
            return Verdict::drop("gopher_below_alpha_threshold", signals);
        }

        let stop = distinct_stop_words(text, words, &c.stop_words);
        signals.push(Signal {
            name: "gopher_quality.stop_words",
            value: stop as f64,
        });
        if c.min_stop_words != 0 && stop < c.min_stop_words {
            return Verdict::drop("gopher_enough_stop_words", signals);
        }
        Verdict::keep(signals)
    }
}

fn bytecount(text: &str, b: u8) -> usize {
    memchr::memchr_iter(b, text.as_bytes()).count()
}

/// How many of `stop_words` occur at least once as a whole word.
fn distinct_stop_words(
    text: &str,
    words: &[crate::analysis::Word],
    stop_words: &[String],
) -> usize {
    let (min_len, max_len) = stop_words.iter().fold((usize::MAX, 0), |(lo, hi), s| {
        (lo.min(s.len()), hi.max(s.len()))
    });
    let mut found = vec![false; stop_words.len()];
    let mut n_found = 0;
    for w in words {
        let len = w.end - w.start;
        if len < min_len || len > max_len {
            continue;
        }
        let word = &text[w.start..w.end];
        for (i, s) in stop_words.iter().enumerate() {
            if !found[i] && s == word {
                found[i] = true;
                n_found += 1;
            }
        }
        if n_found == stop_words.len() {
            break;
        }
    }
    // Duplicated entries in the configured list count once, as in a set.
    let mut distinct: Vec<&str> = stop_words
        .iter()
        .zip(&found)
        .filter(|(_, f)| **f)
        .map(|(s, _)| s.as_str())
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.len()
}

/// `[filter.gopher_quality]`: Gopher's quality rules, datatrove's defaults.
pub const DEF: crate::registry::FilterDef = crate::registry::FilterDef {
    name: "gopher_quality",
    about: "Gopher quality: word counts and lengths, symbols, bullets, ellipses, alphabetic words, stop words",
    build: |settings| {
        use crate::registry::{BuildError, fraction, non_negative};
        let c: GopherQualityConfig = settings.parse()?;
        fraction("max_symbol_word_ratio", c.max_symbol_word_ratio)?;
        fraction("max_bullet_lines_ratio", c.max_bullet_lines_ratio)?;
        fraction("max_ellipsis_lines_ratio", c.max_ellipsis_lines_ratio)?;
        fraction("max_non_alpha_words_ratio", c.max_non_alpha_words_ratio)?;
        non_negative("min_avg_word_length", c.min_avg_word_length)?;
        non_negative("max_avg_word_length", c.max_avg_word_length)?;
        if c.min_avg_word_length > c.max_avg_word_length {
            return Err(BuildError::new(
                "min_avg_word_length",
                "is above max_avg_word_length: every document would be dropped",
            ));
        }
        if c.min_doc_words > c.max_doc_words {
            return Err(BuildError::new(
                "min_doc_words",
                "is above max_doc_words: every document would be dropped",
            ));
        }
        Ok(Box::new(GopherQuality::new(c)))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(text: &str) -> Verdict {
        GopherQuality::default().check(&Document::new(text, None))
    }

    fn prose(n: usize) -> String {
        let base =
            "The quick brown fox jumps over the lazy dog and runs to the river with friends. ";
        base.repeat(n)
    }

    #[test]
    fn keeps_ordinary_prose() {
        let v = verdict(&prose(5));
        assert!(v.is_keep(), "{v:?}");
        assert_eq!(v.signal("gopher_quality.words"), Some(80.0));
        assert_eq!(v.signal("gopher_quality.stop_words"), Some(4.0));
    }

    #[test]
    fn drops_short_and_symbol_heavy_documents() {
        assert_eq!(
            verdict("Too short to matter.").drop_reason,
            Some("gopher_short_doc")
        );
        let hashes = format!("{} {}", prose(4), "#tag ".repeat(10));
        assert_eq!(verdict(&hashes).drop_reason, Some("gopher_too_many_hashes"));
        let bullets = "- The item is with the cart of the shop today\n".repeat(10);
        assert_eq!(
            verdict(&bullets).drop_reason,
            Some("gopher_too_many_bullets")
        );
        let no_stop = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed. ".repeat(8);
        assert_eq!(
            verdict(&no_stop).drop_reason,
            Some("gopher_enough_stop_words")
        );
    }

    #[test]
    fn python_count_is_non_overlapping() {
        assert_eq!(count_non_overlapping(".....", "..."), 1);
        assert_eq!(count_non_overlapping("......", "..."), 2);
    }
}
