//! Text simplification before MinHash shingling, after datatrove's `simplify_text`
//! (`datatrove/utils/text.py`, default `TextNormConfig`): lowercase, whitespace runs to
//! one space, punctuation removed, accents removed (NFD, then combining marks dropped),
//! and — optionally — every run of digits replaced by a single `0`.
//!
//! The output is the words of the document joined by single spaces, so a word n-gram is a
//! contiguous slice of it and shingles are hashed without building strings.
//!
//! Differences from datatrove, on purpose or by necessity:
//! - datatrove removes punctuation *after* collapsing whitespace, so `a - b` leaves two
//!   spaces that its word tokenizer then ignores; we split words on whitespace too, so the
//!   words are the same.
//! - Accent removal drops every Unicode combining mark (`Mn`, `Mc`, `Me`); datatrove drops
//!   only `Mn`. Latin, Greek and Cyrillic text is unaffected; in Indic scripts spacing
//!   vowel signs are dropped too, which only makes near-dup matching more lenient.
//! - Digits are Unicode numeric characters (`char::is_numeric`); datatrove's `\d` matches
//!   decimal digits only, so `½` or `²` become `0` here but not there.
//! - datatrove tokenizes words with a language-specific tokenizer (spaCy for English),
//!   which splits a few contractions that survive punctuation removal; we split on
//!   whitespace only.

use serde::{Deserialize, Serialize};
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// What happens to numbers before shingling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberMode {
    /// Numbers stay as written (after punctuation removal `1,000.50` reads `100050`).
    ///
    /// The default: `curate` targets finance text, where two notes that differ only in
    /// their figures (`Shr 11 cts vs 13 cts` against `Shr 2 cts vs 7 cts`) report
    /// different facts and must both survive.
    #[default]
    Keep,
    /// Every run of digits becomes `0` (datatrove's and so FineWeb's default), which makes
    /// templated reports that differ only in their figures near-duplicates.
    Normalize,
}

/// The characters datatrove's `PUNCTUATION` string lists, besides the control characters
/// it also removes (handled in [`is_removed`]).
const PUNCTUATION: &str =
    "!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»";

/// Whether datatrove's `simplify_text` deletes `c` outright (punctuation and the C0/C1
/// control characters other than tab, newline and carriage return).
fn is_removed(c: char) -> bool {
    let u = c as u32;
    if u < 32 {
        return !matches!(c, '\t' | '\n' | '\r');
    }
    if (127..160).contains(&u) {
        return true;
    }
    if c.is_ascii_alphanumeric() || c == ' ' {
        return false;
    }
    PUNCTUATION.contains(c)
}

/// Simplifies `text` into `out` (cleared first): lowercase words joined by single spaces,
/// and records each word's byte range in `out` into `words`.
///
/// Taking the buffers from the caller lets a signature loop reuse them across documents.
pub fn simplify_into(
    text: &str,
    numbers: NumberMode,
    out: &mut String,
    words: &mut Vec<(u32, u32)>,
) {
    out.clear();
    words.clear();
    out.reserve(text.len());
    let mut word_start: Option<usize> = None;
    // Whether the last character pushed was a `0` standing for a run of digits.
    let mut in_number = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if let Some(start) = word_start.take() {
                words.push((start as u32, out.len() as u32));
            }
            in_number = false;
            continue;
        }
        if is_removed(c) {
            // Removing punctuation joins what surrounds it: `1,000` is one run of digits.
            continue;
        }
        let push = |ch: char, out: &mut String, in_number: &mut bool| {
            if numbers == NumberMode::Normalize && ch.is_numeric() {
                if !*in_number {
                    out.push('0');
                    *in_number = true;
                }
                return;
            }
            *in_number = false;
            out.push(ch);
        };
        let start_len = out.len();
        if c.is_ascii() {
            push(c.to_ascii_lowercase(), out, &mut in_number);
        } else {
            for lower in c.to_lowercase() {
                decompose_canonical(lower, |d| {
                    if !is_combining_mark(d) {
                        push(d, out, &mut in_number);
                    }
                });
            }
        }
        if word_start.is_none() && out.len() > start_len {
            if start_len > 0 {
                // Separate from the previous word; the space goes before this word's bytes.
                out.insert(start_len, ' ');
                word_start = Some(start_len + 1);
            } else {
                word_start = Some(start_len);
            }
        }
    }
    if let Some(start) = word_start {
        words.push((start as u32, out.len() as u32));
    }
}

/// The simplified text as one string (convenience for tests and reports).
pub fn simplify_text(text: &str, numbers: NumberMode) -> String {
    let mut out = String::new();
    let mut words = Vec::new();
    simplify_into(text, numbers, &mut out, &mut words);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_strips_punctuation_and_accents() {
        assert_eq!(
            simplify_text(
                "  Héllo,   WORLD! Don't\tstop —  naïve café. ",
                NumberMode::Keep
            ),
            "hello world dont stop naive cafe"
        );
    }

    #[test]
    fn number_modes() {
        let t = "Shr 11 cts vs 1,300.50 cts";
        assert_eq!(
            simplify_text(t, NumberMode::Keep),
            "shr 11 cts vs 130050 cts"
        );
        assert_eq!(
            simplify_text(t, NumberMode::Normalize),
            "shr 0 cts vs 0 cts"
        );
        assert_eq!(simplify_text("a1b22c", NumberMode::Normalize), "a0b0c");
    }

    #[test]
    fn words_are_ranges_of_single_spaced_output() {
        let mut out = String::new();
        let mut words = Vec::new();
        simplify_into(
            "-- Alpha, beta;\n\n - GAMMA --",
            NumberMode::Keep,
            &mut out,
            &mut words,
        );
        assert_eq!(out, "alpha beta gamma");
        let got: Vec<&str> = words
            .iter()
            .map(|&(s, e)| &out[s as usize..e as usize])
            .collect();
        assert_eq!(got, ["alpha", "beta", "gamma"]);
        simplify_into(" ... ", NumberMode::Keep, &mut out, &mut words);
        assert!(out.is_empty() && words.is_empty());
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(simplify_text("a\u{3}b\u{7f}c d", NumberMode::Keep), "abc d");
    }
}
