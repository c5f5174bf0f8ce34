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
//!
//! o200k: [`crate::O200K_PATTERN`], which splits words at case changes.

use super::classify::{
    Classes, F_BOTH, F_LOWER, F_MARK, F_NUMBER, F_OTHER, F_SPACE, F_UPPER, LETTER, NUMBER, OTHER,
    SPACE,
};

/// Which split regex a tokenizer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// GPT-2's (also GPT-NeoX, Pythia, and curate's default).
    Gpt2,
    /// cl100k's, which Llama 3 also uses.
    Cl100k,
    /// o200k's (GPT-4o).
    O200k,
}

impl Pattern {
    /// Calls `f` with each piece of `text`, in order; the pieces cover `text` exactly.
    #[inline]
    pub(crate) fn split(self, text: &str, f: impl FnMut(&[u8])) {
        match self {
            Pattern::Gpt2 => gpt2(text.as_bytes(), f),
            Pattern::Cl100k => cl100k(text.as_bytes(), f),
            Pattern::O200k => o200k(text.as_bytes(), f),
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

/// Bit of each fine class in a class set.
const fn bit(class: u8) -> u8 {
    1 << class
}
/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`
const UPPERISH: u8 = bit(F_UPPER) | bit(F_BOTH) | bit(F_MARK);
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`
const LOWERISH: u8 = bit(F_LOWER) | bit(F_BOTH) | bit(F_MARK);
/// `[^\s\p{L}\p{N}]`
const NOT_SPACE_LETTER_NUMBER: u8 = bit(F_OTHER) | bit(F_MARK);

/// End of the run of characters in the class set `set` starting at `i`.
#[inline]
fn run_set(cls: &Classes, s: &[u8], mut i: usize, set: u8) -> usize {
    while i < s.len() {
        let (c, len) = cls.at(s, i);
        if bit(c) & set == 0 {
            return i;
        }
        i += len;
    }
    i
}

/// Start of the character before the boundary `i > 0`.
#[inline]
fn prev_char(s: &[u8], mut i: usize) -> usize {
    i -= 1;
    while i > 0 && (s[i] & 0xc0) == 0x80 {
        i -= 1;
    }
    i
}

/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` at `i`.
#[inline]
fn optional_contraction(s: &[u8], i: usize) -> usize {
    match s.get(i) {
        Some(b'\'') => contraction(&s[i + 1..], true).map_or(i, |len| i + 1 + len),
        _ => i,
    }
}

/// The o200k pattern. Its two word alternatives backtrack over classes that overlap
/// (modifier letters, other letters and marks count as both cases, and a mark may also be
/// the optional leading character), so they are evaluated as the engine does: the optional
/// leading character taken first, then left out; the greedy upper-case run shortened one
/// character at a time until a lower-case run can start.
fn o200k(s: &[u8], mut f: impl FnMut(&[u8])) {
    let cls = Classes::fine();
    let n = s.len();
    let mut i = 0;
    while i < n {
        let start = i;
        let b = s[i];
        let (c, len) = cls.at(s, i);
        // `[^\r\n\p{L}\p{N}]?`: the lengths to try, in order.
        let lead_ok = match c {
            F_OTHER | F_MARK => true,
            F_SPACE => b != b'\r' && b != b'\n',
            _ => false,
        };
        let leads: &[usize] = if lead_ok { &[len, 0] } else { &[0] };
        let mut end = None;
        // `P?U*L+C?`
        'first: for &lead in leads {
            let q0 = i + lead;
            let upper_end = run_set(cls, s, q0, UPPERISH);
            let mut q = upper_end;
            loop {
                if q < n && bit(cls.at(s, q).0) & LOWERISH != 0 {
                    end = Some(optional_contraction(s, run_set(cls, s, q, LOWERISH)));
                    break 'first;
                }
                if q == q0 {
                    break;
                }
                q = prev_char(s, q);
            }
        }
        // `P?U+L*C?`
        if end.is_none() {
            for &lead in leads {
                let q0 = i + lead;
                let upper_end = run_set(cls, s, q0, UPPERISH);
                if upper_end > q0 {
                    let lower_end = run_set(cls, s, upper_end, LOWERISH);
                    end = Some(optional_contraction(s, lower_end));
                    break;
                }
            }
        }
        i = match end {
            Some(e) => e,
            None if c == F_NUMBER => {
                // `\p{N}{1,3}`
                let mut j = i + len;
                for _ in 0..2 {
                    if j >= n {
                        break;
                    }
                    let (c2, len2) = cls.at(s, j);
                    if c2 != F_NUMBER {
                        break;
                    }
                    j += len2;
                }
                j
            }
            None => {
                // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
                let other_from = if bit(c) & NOT_SPACE_LETTER_NUMBER != 0 {
                    Some(i + len)
                } else if b == b' '
                    && i + 1 < n
                    && bit(cls.at(s, i + 1).0) & NOT_SPACE_LETTER_NUMBER != 0
                {
                    Some(i + 1 + cls.at(s, i + 1).1)
                } else {
                    None
                };
                match other_from {
                    Some(from) => {
                        let mut j = run_set(cls, s, from, NOT_SPACE_LETTER_NUMBER);
                        while j < n && matches!(s[j], b'\r' | b'\n' | b'/') {
                            j += 1;
                        }
                        j
                    }
                    None => {
                        // Whitespace: `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`.
                        let mut j = i;
                        let mut last = i;
                        let mut newline = None;
                        while j < n {
                            let (c2, len2) = cls.at(s, j);
                            if c2 != F_SPACE {
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
                    }
                }
            }
        };
        f(&s[start..i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::{CL100K_PATTERN, GPT2_PATTERN, O200K_PATTERN};

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
            "HelloWorld JSONParser ǅungla ʰello 中文ABC a\u{301}B \u{301}\u{301}x",
            "CAPS'LL lower'S MiXeD's \u{301}'s x/y/ z//\n/ ..//\r\n",
            "ÉCOLE école 'ÉCOLE' \u{903}ka \u{301}",
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
            assert_eq!(
                pieces(Pattern::O200k, text),
                regex_pieces(O200K_PATTERN, text),
                "o200k {text:?}"
            );
        }
    }

    /// Random strings over characters of every class the patterns distinguish.
    #[test]
    fn matches_the_regexes_on_random_strings() {
        const CHARS: &[&str] = &[
            " ", "  ", "\t", "\n", "\r", "\u{a0}", "\u{3000}", "'", "s", "S", "ll", "LL", "re",
            "ſ", "a", "Z", "ǅ", "ʰ", "中", "ก", "\u{301}", "\u{903}", "1", "٣", "Ⅻ", ".", "/", "!",
            "\"", "🙂", "\u{0}", "\u{85}", "é", "É",
        ];
        let patterns = [
            (
                Pattern::Gpt2,
                fancy_regex::Regex::new(GPT2_PATTERN).unwrap(),
            ),
            (
                Pattern::Cl100k,
                fancy_regex::Regex::new(CL100K_PATTERN).unwrap(),
            ),
            (
                Pattern::O200k,
                fancy_regex::Regex::new(O200K_PATTERN).unwrap(),
            ),
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3_000 {
            let mut text = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for _ in 0..(x % 16) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                text.push_str(CHARS[(x % CHARS.len() as u64) as usize]);
            }
            for (p, re) in &patterns {
                let want: Vec<String> = re
                    .find_iter(&text)
                    .map(|m| m.unwrap().as_str().to_string())
                    .collect();
                assert_eq!(pieces(*p, &text), want, "{p:?} {text:?}");
            }
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
