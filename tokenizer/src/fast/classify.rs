//! Character classes of the split regexes: `\p{L}`, `\p{N}`, `\s` and everything else.
//!
//! The tables come from `regex-syntax`, the parser behind the `fancy-regex` engine that HF
//! `tokenizers` runs the split patterns with, so a hand-written splitter classifies every
//! code point exactly as the regex does, whatever Unicode version that crate ships.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_syntax::hir::{Class, HirKind};

/// `\p{L}`.
pub(crate) const LETTER: u8 = 0;
/// `\p{N}`.
pub(crate) const NUMBER: u8 = 1;
/// `\s` (Unicode `White_Space`).
pub(crate) const SPACE: u8 = 2;
/// Anything else: `[^\s\p{L}\p{N}]`.
pub(crate) const OTHER: u8 = 3;

/// The finer classes of the o200k pattern, which tells letter cases apart: `\p{Lu}` and
/// `\p{Lt}`.
pub(crate) const F_UPPER: u8 = 0;
/// `\p{Ll}`.
pub(crate) const F_LOWER: u8 = 1;
/// `\p{Lm}` and `\p{Lo}`, which the pattern counts as both cases.
pub(crate) const F_BOTH: u8 = 2;
/// `\p{M}`, counted as both cases, and not a letter.
pub(crate) const F_MARK: u8 = 3;
/// `\p{N}`.
pub(crate) const F_NUMBER: u8 = 4;
/// `\s`.
pub(crate) const F_SPACE: u8 = 5;
/// Anything else.
pub(crate) const F_OTHER: u8 = 6;

/// Class of every code point, as a two-level table: 256-entry blocks, deduplicated.
pub(crate) struct Classes {
    /// Class of code points in no pattern (and beyond U+10FFFF, never met in a `str`).
    default: u8,
    ascii: [u8; 128],
    index: Vec<u16>,
    blocks: Vec<[u8; 256]>,
}

/// Code point ranges of a one-class pattern such as `\p{L}`.
fn ranges(pattern: &str) -> Vec<(u32, u32)> {
    let hir = regex_syntax::parse(pattern).expect("built-in class pattern parses");
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        other => panic!("built-in class pattern {pattern} gave {other:?}"),
    }
}

impl Classes {
    /// A table where each pattern's code points get its class, the others `default`.
    fn build(classes: &[(&str, u8)], default: u8) -> Self {
        let mut flat = vec![default; 0x11_0000];
        for &(pattern, class) in classes {
            for (lo, hi) in ranges(pattern) {
                flat[lo as usize..=hi as usize].fill(class);
            }
        }
        let mut ascii = [default; 128];
        ascii.copy_from_slice(&flat[..128]);
        let mut seen: HashMap<[u8; 256], u16> = HashMap::new();
        let mut blocks = Vec::new();
        let index = flat
            .chunks_exact(256)
            .map(|chunk| {
                let mut block = [default; 256];
                block.copy_from_slice(chunk);
                *seen.entry(block).or_insert_with(|| {
                    blocks.push(block);
                    (blocks.len() - 1) as u16
                })
            })
            .collect();
        Self {
            default,
            ascii,
            index,
            blocks,
        }
    }

    /// The shared tables of `\p{L}`, `\p{N}`, `\s`, built on first use (a few
    /// milliseconds).
    pub(crate) fn get() -> &'static Self {
        static CLASSES: OnceLock<Classes> = OnceLock::new();
        CLASSES.get_or_init(|| {
            Self::build(
                &[(r"\p{L}", LETTER), (r"\p{N}", NUMBER), (r"\s", SPACE)],
                OTHER,
            )
        })
    }

    /// The shared tables of the `F_` classes.
    pub(crate) fn fine() -> &'static Self {
        static FINE: OnceLock<Classes> = OnceLock::new();
        FINE.get_or_init(|| {
            Self::build(
                &[
                    (r"\p{Lu}", F_UPPER),
                    (r"\p{Lt}", F_UPPER),
                    (r"\p{Ll}", F_LOWER),
                    (r"\p{Lm}", F_BOTH),
                    (r"\p{Lo}", F_BOTH),
                    (r"\p{M}", F_MARK),
                    (r"\p{N}", F_NUMBER),
                    (r"\s", F_SPACE),
                ],
                F_OTHER,
            )
        })
    }

    /// Class of an ASCII byte.
    #[inline]
    pub(crate) fn ascii(&self, b: u8) -> u8 {
        self.ascii[(b & 0x7f) as usize]
    }

    /// Class of a code point.
    #[inline]
    pub(crate) fn of(&self, c: u32) -> u8 {
        if c < 128 {
            return self.ascii[c as usize];
        }
        match self.index.get((c >> 8) as usize) {
            Some(&b) => self.blocks[b as usize][(c & 0xff) as usize],
            None => self.default,
        }
    }

    /// Class and byte length of the character starting at `s[i]` (`s` is valid UTF-8 and
    /// `i` a character boundary).
    #[inline]
    pub(crate) fn at(&self, s: &[u8], i: usize) -> (u8, usize) {
        let b0 = s[i];
        if b0 < 0x80 {
            return (self.ascii[b0 as usize], 1);
        }
        let cont = |k: usize| u32::from(s.get(i + k).copied().unwrap_or(0x80) & 0x3f);
        let (c, len) = if b0 < 0xe0 {
            ((u32::from(b0 & 0x1f) << 6) | cont(1), 2)
        } else if b0 < 0xf0 {
            ((u32::from(b0 & 0x0f) << 12) | (cont(1) << 6) | cont(2), 3)
        } else {
            (
                (u32::from(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
                4,
            )
        };
        (self.of(c), len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_agree_with_the_regex_engine() {
        let cls = Classes::get();
        let re = |p: &str| regex::Regex::new(&format!("^{p}$")).unwrap();
        let (l, n, s) = (re(r"\p{L}"), re(r"\p{N}"), re(r"\s"));
        let mut buf = [0u8; 4];
        for c in (0..0x11_0000u32).step_by(7).filter_map(char::from_u32) {
            let t = c.encode_utf8(&mut buf);
            let want = if l.is_match(t) {
                LETTER
            } else if n.is_match(t) {
                NUMBER
            } else if s.is_match(t) {
                SPACE
            } else {
                OTHER
            };
            assert_eq!(cls.of(c as u32), want, "{c:?}");
            assert_eq!(cls.at(t.as_bytes(), 0), (want, t.len()), "{c:?}");
        }
        let fine = Classes::fine();
        let cats = [
            (re(r"[\p{Lu}\p{Lt}]"), F_UPPER),
            (re(r"\p{Ll}"), F_LOWER),
            (re(r"[\p{Lm}\p{Lo}]"), F_BOTH),
            (re(r"\p{M}"), F_MARK),
            (n, F_NUMBER),
            (s, F_SPACE),
        ];
        for c in (0..0x11_0000u32).step_by(5).filter_map(char::from_u32) {
            let t = c.encode_utf8(&mut buf);
            let want = cats
                .iter()
                .find(|(r, _)| r.is_match(t))
                .map_or(F_OTHER, |(_, k)| *k);
            assert_eq!(fine.of(c as u32), want, "{c:?}");
        }
    }
}
