//! The integrity filter: removes what is broken and nothing else, for curated domain text
//! (filings, transcripts, news) where the web heuristics would drop tables and figures.
//!
//! - **Encoded payloads.** EDGAR submissions carry spreadsheets, images and PDFs as
//!   uuencoded blocks (`begin 644 Financial_Report.xlsx`, then 61-character lines starting
//!   with `M`); other dumps carry base64. Payload lines are cut out of the text (the edited
//!   text goes on down the chain) and a document that is mostly payload is dropped.
//! - **Binary.** Control characters other than tab, newline, carriage return and form
//!   feed, and U+FFFD replacement characters from undecodable bytes: past a small share the
//!   document is binary data read as text.
//! - **Mojibake.** UTF-8 decoded as Latin-1 or Windows-1252 leaves pairs such as `Ã©` and
//!   `â€™`; past a rate per thousand characters the text is garbled.
//! - **No text.** Fewer letters than `min_letters` after payloads are removed.
//!
//! Tables, numbers, short lines and repeated lines are never judged here.

use serde::{Deserialize, Serialize};

use crate::filter::{Document, Filter};
use crate::registry::{BuildError, FilterDef};
use crate::verdict::{Signal, Verdict};

/// Reason: most of the document is an encoded payload (uuencode, base64).
pub const REASON_ENCODED: &str = "integrity_encoded_payload";
/// Reason: control or replacement characters: binary data read as text.
pub const REASON_BINARY: &str = "integrity_binary";
/// Reason: mis-decoded text (`Ã©`, `â€™`).
pub const REASON_MOJIBAKE: &str = "integrity_mojibake";
/// Reason: too few letters to be text.
pub const REASON_NO_TEXT: &str = "integrity_no_text";

/// Settings of the integrity filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrityConfig {
    /// Drop when encoded payload lines are more than this share of the bytes.
    pub max_encoded_fraction: f64,
    /// Cut payload lines out of documents that are kept.
    pub remove_payloads: bool,
    /// Drop when control and replacement characters are more than this share of the
    /// characters.
    pub max_control_fraction: f64,
    /// Drop when mojibake pairs are more than this many per thousand characters.
    pub max_mojibake_per_1000: f64,
    /// Drop with fewer letters than this (after payloads are removed).
    pub min_letters: usize,
}

impl Default for IntegrityConfig {
    fn default() -> Self {
        IntegrityConfig {
            max_encoded_fraction: 0.5,
            remove_payloads: true,
            max_control_fraction: 0.01,
            max_mojibake_per_1000: 2.0,
            min_letters: 20,
        }
    }
}

/// The integrity filter.
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    config: IntegrityConfig,
}

/// `[filter.integrity]`: broken text only (payloads, binary, mojibake).
pub const DEF: FilterDef = FilterDef {
    name: "integrity",
    about: "broken text only: encoded payloads (cut out), binary, mojibake, no letters",
    build: |settings| {
        let config: IntegrityConfig = settings.parse()?;
        for (key, value) in [
            ("max_encoded_fraction", config.max_encoded_fraction),
            ("max_control_fraction", config.max_control_fraction),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(BuildError::new(
                    key,
                    format!("{value} is not between 0 and 1"),
                ));
            }
        }
        crate::registry::non_negative("max_mojibake_per_1000", config.max_mojibake_per_1000)?;
        Ok(Box::new(Integrity::new(config)))
    },
};

impl Integrity {
    pub fn new(config: IntegrityConfig) -> Self {
        Integrity { config }
    }
}

impl Filter for Integrity {
    fn name(&self) -> &'static str {
        "integrity"
    }

    fn check(&self, doc: &Document<'_>) -> Verdict {
        let text = doc.text();
        let (kept, encoded_bytes) = without_payloads(text);
        let encoded_fraction = encoded_bytes as f64 / text.len().max(1) as f64;
        let mut chars = 0usize;
        let mut control = 0usize;
        let mut letters = 0usize;
        let mut mojibake = 0usize;
        let mut previous = '\0';
        for c in kept.chars() {
            chars += 1;
            if (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}')) || c == '\u{fffd}' {
                control += 1;
            }
            if c.is_alphabetic() {
                letters += 1;
            }
            if is_mojibake_pair(previous, c) {
                mojibake += 1;
            }
            previous = c;
        }
        let control_fraction = control as f64 / chars.max(1) as f64;
        let mojibake_rate = 1000.0 * mojibake as f64 / chars.max(1) as f64;
        let signals = vec![
            Signal {
                name: "integrity.encoded_fraction",
                value: encoded_fraction,
            },
            Signal {
                name: "integrity.control_fraction",
                value: control_fraction,
            },
            Signal {
                name: "integrity.mojibake_per_1000",
                value: mojibake_rate,
            },
            Signal {
                name: "integrity.letters",
                value: letters as f64,
            },
        ];
        let c = &self.config;
        let reason = if encoded_fraction > c.max_encoded_fraction {
            Some(REASON_ENCODED)
        } else if control_fraction > c.max_control_fraction {
            Some(REASON_BINARY)
        } else if mojibake_rate > c.max_mojibake_per_1000 {
            Some(REASON_MOJIBAKE)
        } else if letters < c.min_letters {
            Some(REASON_NO_TEXT)
        } else {
            None
        };
        match reason {
            Some(reason) => Verdict::drop(reason, signals),
            None => {
                let edited = (c.remove_payloads && encoded_bytes > 0).then_some(kept);
                Verdict::keep(signals).with_edited_text(edited)
            }
        }
    }
}

/// The text with encoded payload lines removed, and the bytes removed. A uuencoded block
/// runs from `begin NNN name` to `end`; base64 is a run of at least 3 lines of 60+
/// characters from its alphabet with no spaces.
fn without_payloads(text: &str) -> (String, usize) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut drop = vec![false; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if is_uuencode_begin(line) {
            let mut j = i + 1;
            while j < lines.len() && is_uuencode_line(lines[j].trim_end()) {
                j += 1;
            }
            if j < lines.len() && lines[j].trim_end() == "end" {
                j += 1;
            }
            if j > i + 1 {
                drop[i..j].iter_mut().for_each(|d| *d = true);
                i = j;
                continue;
            }
        }
        if is_base64_line(line) {
            let mut j = i + 1;
            while j < lines.len() && is_base64_line(lines[j].trim_end()) {
                j += 1;
            }
            if j - i >= 3 {
                drop[i..j].iter_mut().for_each(|d| *d = true);
            }
            i = j;
            continue;
        }
        i += 1;
    }
    let mut kept = String::with_capacity(text.len());
    let mut removed = 0;
    for (line, dropped) in lines.iter().zip(&drop) {
        if *dropped {
            removed += line.len();
        } else {
            kept.push_str(line);
        }
    }
    (kept, removed)
}

/// `begin 644 Financial_Report.xlsx`: the mode is three or four octal digits.
fn is_uuencode_begin(line: &str) -> bool {
    let mut parts = line.splitn(3, ' ');
    parts.next() == Some("begin")
        && parts.next().is_some_and(|m| {
            (3..=4).contains(&m.len()) && m.bytes().all(|b| (b'0'..=b'7').contains(&b))
        })
        && parts.next().is_some_and(|name| !name.trim().is_empty())
}

/// A uuencoded line: a length character, then characters of the uuencode alphabet
/// (space to backquote), at most 61 in all. An empty-data line is `` ` `` alone.
fn is_uuencode_line(line: &str) -> bool {
    !line.is_empty()
        && line.len() <= 62
        && line.bytes().all(|b| (0x20..=0x60).contains(&b))
        && line != "end"
}

/// A line of base64: 60 or more characters of its alphabet, no spaces.
fn is_base64_line(line: &str) -> bool {
    line.len() >= 60
        && line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// `Ã©`, `Â `, `â€`: a lead character of a UTF-8 sequence read as Latin-1 or
/// Windows-1252, followed by what its continuation byte became.
fn is_mojibake_pair(previous: char, c: char) -> bool {
    matches!(previous, 'Ã' | 'Â' | 'â' | 'Å' | 'Ä')
        && (('\u{80}'..='\u{bf}').contains(&c)
            || matches!(
                c,
                '€' | '‚'
                    | 'ƒ'
                    | '„'
                    | '…'
                    | '†'
                    | '‡'
                    | 'ˆ'
                    | '‰'
                    | 'Š'
                    | '‹'
                    | 'Œ'
                    | 'Ž'
                    | '‘'
                    | '’'
                    | '“'
                    | '”'
                    | '•'
                    | '–'
                    | '—'
                    | '˜'
                    | '™'
                    | 'š'
                    | '›'
                    | 'œ'
                    | 'ž'
                    | 'Ÿ'
            ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Verdict {
        Integrity::default().check(&Document::new(text, None))
    }

    #[test]
    fn tables_and_numbers_are_kept_unchanged() {
        let filing = "Revenue | 2024 | 2023\nNet sales | 45,754 | 45,030\nCost of sales | (18,324) | (18,520)\nTotal | 27,430 | 26,510\n";
        let verdict = check(filing);
        assert!(verdict.is_keep());
        assert_eq!(verdict.edited_text, None);
    }

    #[test]
    fn a_uuencoded_attachment_is_cut_out_of_a_filing() {
        let payload_line = format!(
            "M{}",
            "4$L#!!0``````(`"
                .repeat(4)
                .chars()
                .take(60)
                .collect::<String>()
        );
        let prose = "The Company reported net income of $12.3 million for the quarter, up from $9.8 million a year earlier, on revenue of $145.2 million.\n";
        let mut text = prose.repeat(3);
        text.push_str("begin 644 Financial_Report.xlsx\n");
        for _ in 0..3 {
            text.push_str(&payload_line);
            text.push('\n');
        }
        text.push_str("`\nend\nSigned by the Chief Financial Officer.\n");
        let verdict = check(&text);
        assert!(verdict.is_keep(), "{verdict:?}");
        assert_eq!(
            verdict.edited_text.as_deref(),
            Some(
                format!(
                    "{}Signed by the Chief Financial Officer.\n",
                    prose.repeat(3)
                )
                .as_str()
            )
        );
    }

    #[test]
    fn a_document_that_is_mostly_payload_is_dropped() {
        let mut text = String::from("begin 644 image001.jpg\n");
        for _ in 0..50 {
            text.push_str("M_]C_X``02D9)1@`!`0$`8`!@``#_VP!#``,\"`@,\"`@,#`P,$`P,$!0@%!00$\n");
        }
        text.push_str("`\nend\n");
        assert_eq!(check(&text).drop_reason, Some(REASON_ENCODED));
    }

    #[test]
    fn base64_blocks_count_as_payload() {
        let line =
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=";
        let text = format!("{line}\n{line}\n{line}\n{line}\nshort caption of the image\n");
        assert_eq!(check(&text).drop_reason, Some(REASON_ENCODED));
    }

    #[test]
    fn binary_and_mojibake_are_dropped() {
        let binary =
            "PK\u{3}\u{4}\u{14}\u{0}\u{6}\u{0}\u{8}\u{0} some letters here and there for the count";
        assert_eq!(check(binary).drop_reason, Some(REASON_BINARY));
        let garbled =
            "The companyâ€™s revenue grew. Itâ€™s the CEOâ€™s view that the cafÃ© will open. "
                .repeat(3);
        assert_eq!(check(&garbled).drop_reason, Some(REASON_MOJIBAKE));
        let french = "Le café de la société São Paulo à Genève, où l'été est chaud et sec.";
        assert!(check(french).is_keep());
    }

    #[test]
    fn numbers_only_are_not_text() {
        assert_eq!(
            check("12 34 56 78 90\n1.2 3.4\n").drop_reason,
            Some(REASON_NO_TEXT)
        );
    }
}
