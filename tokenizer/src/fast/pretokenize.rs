//! Hand-written equivalents of the GPT-2 and cl100k / Llama 3 split regexes.
//!
//! HF `tokenizers` runs these patterns with a backtracking engine (`fancy-regex`, because of
//! the `\s+(?!\S)` look-ahead), which costs more than the rest of encoding together. Each
//! function here walks the text once and emits exactly the pieces `find_iter` of the
//! pattern would (the alternatives are tried in pattern order at every match start, as the
//! leftmost-first engine does); `tests` and the crate's identity tests compare them with
//! the regexes.
//!
//! GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
//!
//! cl100k / Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//! ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

use super::classify::{Classes, LETTER, NUMBER, OTHER, SPACE};

/// Which split regex a tokenizer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// GPT-2's (also GPT-NeoX, Pythia, and curate's default).
    Gpt2,
    /// cl100k's, which Llama 3 also uses.
    Cl100k,
}

impl Pattern {
    /// Calls `f` with each piece of `text`, in order; the pieces cover `text` exactly.
    #[inline]
    pub(crate) fn split(self, text: &str, f: impl FnMut(&[u8])) {
        match self {
            Pattern::Gpt2 => gpt2(text.as_bytes(), f),
            Pattern::Cl100k => cl100k(text.as_bytes(), f),
        }
    }
}

/// End of the run of characters of class `class` starting at `i`.
#[inline]
fn run(cls: &Classes, s: &[u8], mut i: usize, class: u8) -> usize {
    while i < s.len() {
        let b = s[i];
        if b < 0x80 {
            if cls.ascii(b) != class {
                return i;
            }
            i += 1;
        } else {
            let (c, len) = cls.at(s, i);
            if c != class {
                return i;
            }
            i += len;
        }
    }
    i
}

/// Length of the contraction suffix after an apostrophe (`s t re ve m ll d`), if `rest`
/// starts with one. `fold` makes it case-insensitive the way `(?i)` does in `regex`:
/// ASCII case plus U+017F LATIN SMALL LETTER LONG S, which folds to `s`.
#[inline]
fn contraction(rest: &[u8], fold: bool) -> Option<usize> {
    let lower = |k: usize| -> Option<u8> {
        let b = *rest.get(k)?;
        Some(if fold { b.to_ascii_lowercase() } else { b })
    };
    match lower(0)? {
        b's' | b't' | b'm' | b'd' => Some(1),
        b'r' | b'v' if lower(1) == Some(b'e') => Some(2),
        b'l' if lower(1) == Some(b'l') => Some(2),
        0xc5 if fold && rest.get(1) == Some(&0xbf) => Some(2),
        _ => None,
    }
}

/// End of the whitespace run starting at `i`, and the start of its last character.
#[inline]
fn space_run(cls: &Classes, s: &[u8], i: usize) -> (usize, usize) {
    let mut j = i;
    let mut last = i;
    while j < s.len() {
        let (c, len) = cls.at(s, j);
        if c != SPACE {
            break;
        }
        last = j;
        j += len;
    }
    (j, last)
}

/// `\s+(?!\S)|\s+` at a whitespace character: the whole run when it ends the text or is a
/// single character, otherwise all but its last character (which then starts the next
/// piece, e.g. as the space of `" word"`).
#[inline]
fn trailing_space(s: &[u8], i: usize, end: usize, last: usize) -> usize {
    if end == s.len() || last == i {
        end
    } else {
        last
    }
}

fn gpt2(s: &[u8], mut f: impl FnMut(&[u8])) {
    let cls = Classes::get();
    let n = s.len();
    let mut i = 0;
    while i < n {
        let start = i;
        let b = s[i];
        if b == b'\''
            && let Some(len) = contraction(&s[i + 1..], false)
        {
            i += 1 + len;
            f(&s[start..i]);
            continue;
        }
        let (c, len) = cls.at(s, i);
        i = if c != SPACE {
            run(cls, s, i + len, c)
        } else {
            // ` ?\p{L}+`, ` ?\p{N}+` or ` ?[^\s\p{L}\p{N}]+` when a space precedes a
            // non-space; otherwise the whitespace alternatives.
            let next = if b == b' ' && i + 1 < n {
                Some(cls.at(s, i + 1))
            } else {
                None
            };
            match next {
                Some((c2, len2)) if c2 != SPACE => run(cls, s, i + 1 + len2, c2),
                _ => {
                    let (end, last) = space_run(cls, s, i);
                    trailing_space(s, i, end, last)
                }
            }
        };
        f(&s[start..i]);
    }
}

/// Extends `i` over `[\r\n]*`.
#[inline]
fn newlines(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && (s[i] == b'\r' || s[i] == b'\n') {
        i += 1;
    }
    i
}

fn cl100k(s: &[u8], mut f: impl FnMut(&[u8])) {
    let cls = Classes::get();
    let n = s.len();
    let mut i = 0;
    while i < n {
        let start = i;
        let b = s[i];
        if b == b'\''
            && let Some(len) = contraction(&s[i + 1..], true)
        {
            i += 1 + len;
            f(&s[start..i]);
            continue;
        }
        let (c, len) = cls.at(s, i);
        let next = if i + len < n {
            Some(cls.at(s, i + len))
        } else {
            None
        };
        i = if c == LETTER {
            // `\p{L}+`
            run(cls, s, i + len, LETTER)
        } else if let Some((LETTER, len2)) =
            next.filter(|_| c != NUMBER && b != b'\r' && b != b'\n')
        {
            // `[^\r\n\p{L}\p{N}]\p{L}+`
            run(cls, s, i + len + len2, LETTER)
        } else if c == NUMBER {
            // `\p{N}{1,3}`
            let mut j = i + len;
            for _ in 0..2 {
                if j >= n {
                    break;
                }
                let (c2, len2) = cls.at(s, j);
                if c2 != NUMBER {
                    break;
                }
                j += len2;
            }
            j
        } else if c == OTHER {
            // `[^\s\p{L}\p{N}]+[\r\n]*`
            newlines(s, run(cls, s, i + len, OTHER))
        } else if let Some((OTHER, len2)) = next.filter(|_| b == b' ') {
            // ` [^\s\p{L}\p{N}]+[\r\n]*`
            newlines(s, run(cls, s, i + 1 + len2, OTHER))
        } else {
            // `\s*[\r\n]+`: up to the last line break of the run; else `\s+(?!\S)|\s+`.
            let mut j = i;
            let mut last = i;
            let mut newline = None;
            while j < n {
                let (c2, len2) = cls.at(s, j);
                if c2 != SPACE {
                    break;
                }
                if s[j] == b'\r' || s[j] == b'\n' {
                    newline = Some(j);
                }
                last = j;
                j += len2;
            }
            match newline {
                Some(p) => p + 1,
                None => trailing_space(s, i, j, last),
            }
        };
        f(&s[start..i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::{CL100K_PATTERN, GPT2_PATTERN};

    fn pieces(p: Pattern, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        p.split(text, |b| out.push(String::from_utf8(b.to_vec()).unwrap()));
        out
    }

    fn regex_pieces(pattern: &str, text: &str) -> Vec<String> {
        let re = fancy_regex::Regex::new(pattern).unwrap();
        re.find_iter(text)
            .map(|m| m.unwrap().as_str().to_string())
            .collect()
    }

    #[test]
    fn matches_the_regexes_on_tricky_strings() {
        let cases = [
            "Hello world's   big\n\n  test 123456 'S 'LL 'ſ x",
            "  \t\r\n\r\n  a\n\nb  \u{a0}c\u{3000}  ",
            "a'sb 'reb 'Re 'xyz \"quoted\" (paren) ...!!!\n\r\n",
            "日本語のテキスト、１２３４５ ١٢٣ ⅫⅣ 𝟙𝟚𝟛 🙂🙂 e\u{301}",
            " ",
            "\n",
            "x",
            "' ' '",
            "  end  ",
            "\t\tword\t!",
            "abc\r\n\r\n   \r\n x",
        ];
        for text in cases {
            assert_eq!(
                pieces(Pattern::Gpt2, text),
                regex_pieces(GPT2_PATTERN, text),
                "gpt2 {text:?}"
            );
            assert_eq!(
                pieces(Pattern::Cl100k, text),
                regex_pieces(CL100K_PATTERN, text),
                "cl100k {text:?}"
            );
        }
    }

    #[test]
    fn case_folded_contraction_letters_are_the_regex_ones() {
        // `(?i)x` for the contraction letters: only ASCII case and U+017F for `s`.
        for letter in ["s", "t", "r", "e", "v", "m", "l", "d"] {
            let re = regex::Regex::new(&format!("^(?i:{letter})$")).unwrap();
            let hits: Vec<char> = (0..0x11_0000u32)
                .filter_map(char::from_u32)
                .filter(|c| re.is_match(c.encode_utf8(&mut [0; 4])))
                .collect();
            let mut want = vec![letter.to_ascii_uppercase().chars().next().unwrap()];
            want.push(letter.chars().next().unwrap());
            if letter == "s" {
                want.push('\u{17f}');
            }
            assert_eq!(hits, want, "{letter}");
        }
    }
}
