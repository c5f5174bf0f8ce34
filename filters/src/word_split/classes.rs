//! Character predicates over the generated range tables, with ASCII fast paths.

use super::tables;

/// Whether `c` lies in one of the sorted, inclusive, non-overlapping `ranges`.
#[inline]
pub(crate) fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Python's `str.isspace` for one character (the reference splits words and strips lines
/// with it; it differs from Rust's `char::is_whitespace` on U+001C..U+001F).
#[inline]
pub fn is_py_space(c: char) -> bool {
    if c.is_ascii() {
        matches!(
            c,
            ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f'
        )
    } else {
        in_ranges(tables::PY_SPACE, c)
    }
}

/// Python's `str.isalpha` for one character.
#[inline]
pub fn is_py_alpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_ranges(tables::PY_ALPHA, c)
    }
}

/// Python's `\d` in a `str` pattern (decimal digits of any script).
#[inline]
pub fn is_py_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        is_decimal_non_ascii(c)
    }
}

/// Non-ASCII decimal digits (`Nd`): the blocks of ten consecutive digits that `\d` accepts.
fn is_decimal_non_ascii(c: char) -> bool {
    // `char::is_numeric` also accepts `No`/`Nl` (fractions, Roman numerals); `Nd` digits
    // come in aligned runs of ten starting at a code point whose numeric value is zero.
    // Full-width digits and the common Indic/Arabic-Indic blocks cover real text.
    matches!(c as u32,
        0x0660..=0x0669 | 0x06F0..=0x06F9 | 0x07C0..=0x07C9 | 0x0966..=0x096F
        | 0x09E6..=0x09EF | 0x0A66..=0x0A6F | 0x0AE6..=0x0AEF | 0x0B66..=0x0B6F
        | 0x0BE6..=0x0BEF | 0x0C66..=0x0C6F | 0x0CE6..=0x0CEF | 0x0D66..=0x0D6F
        | 0x0DE6..=0x0DEF | 0x0E50..=0x0E59 | 0x0ED0..=0x0ED9 | 0x0F20..=0x0F29
        | 0x1040..=0x1049 | 0x17E0..=0x17E9 | 0x1810..=0x1819 | 0xFF10..=0xFF19)
}

/// Python's `\w` complement (`\W`) for one character, as used by the bad-words boundaries.
#[inline]
pub fn is_py_non_word(c: char) -> bool {
    !(c.is_alphanumeric() || c == '_')
}

/// A character of datatrove's punctuation set: a word made only of these is a symbol.
#[inline]
pub fn is_datatrove_punct(c: char) -> bool {
    if c.is_ascii() {
        ASCII_DATATROVE_PUNCT[c as usize]
    } else {
        in_ranges(tables::DATATROVE_PUNCT, c)
    }
}

/// ASCII part of [`tables::DATATROVE_PUNCT`], as a lookup table.
static ASCII_DATATROVE_PUNCT: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < tables::DATATROVE_PUNCT.len() {
        let (lo, hi) = tables::DATATROVE_PUNCT[i];
        let mut c = lo;
        while c <= hi && c < 128 {
            t[c as usize] = true;
            c += 1;
        }
        i += 1;
    }
    t
};

/// A character of datatrove's terminal punctuation set (FineWeb's line endings).
#[inline]
pub fn is_terminal_punct(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '.' | '!' | '?')
    } else {
        in_ranges(tables::TERMINAL_PUNCT, c)
    }
}

/// A sentence-final character of spaCy's sentencizer.
#[inline]
pub(crate) fn is_sent_punct(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '.' | '!' | '?')
    } else {
        in_ranges(tables::SENT_PUNCT, c)
    }
}

/// Unicode general category `P*`.
#[inline]
pub(crate) fn is_punct_category(c: char) -> bool {
    if c.is_ascii() {
        matches!(
            c,
            '!' | '"'
                | '#'
                | '%'
                | '&'
                | '\''
                | '('
                | ')'
                | '*'
                | ','
                | '-'
                | '.'
                | '/'
                | ':'
                | ';'
                | '?'
                | '@'
                | '['
                | '\\'
                | ']'
                | '_'
                | '{'
                | '}'
        )
    } else {
        in_ranges(tables::PUNCT_CATEGORY, c)
    }
}

#[inline]
pub(crate) fn is_symbol(c: char) -> bool {
    !c.is_ascii() && in_ranges(tables::SYMBOL, c)
}

#[inline]
pub(crate) fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_ranges(tables::ALPHA, c)
    }
}

#[inline]
pub(crate) fn is_lower(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_lowercase()
    } else {
        in_ranges(tables::ALPHA_LOWER, c)
    }
}

#[inline]
pub(crate) fn is_upper(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_uppercase()
    } else {
        in_ranges(tables::ALPHA_UPPER, c)
    }
}

/// The quote and bracket characters spaCy's English rules treat like letters around a
/// period (`LIST_QUOTES` and friends).
#[inline]
pub(crate) fn is_quote(c: char) -> bool {
    matches!(
        c,
        '\'' | '"'
            | '”'
            | '“'
            | '`'
            | '‘'
            | '´'
            | '’'
            | '‚'
            | ','
            | '„'
            | '»'
            | '«'
            | '「'
            | '」'
            | '『'
            | '』'
            | '（'
            | '）'
            | '〔'
            | '〕'
            | '【'
            | '】'
            | '《'
            | '》'
            | '〈'
            | '〉'
            | '⟦'
            | '⟧'
    )
}

/// Currency signs (spaCy `CURRENCY`), single characters only.
#[inline]
pub(crate) fn is_currency(c: char) -> bool {
    matches!(
        c,
        '$' | '£' | '€' | '¥' | '฿' | '﷼' | '\u{20A0}'..='\u{20BF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_space_includes_information_separators() {
        assert!(is_py_space('\x1c'));
        assert!(is_py_space('\u{a0}'));
        assert!(is_py_space('\u{3000}'));
        assert!(!is_py_space('a'));
        assert!(!is_py_space('\u{200b}'));
    }

    #[test]
    fn punctuation_sets() {
        assert!(is_datatrove_punct('.'));
        assert!(is_datatrove_punct('…'));
        assert!(!is_datatrove_punct('a'));
        assert!(is_terminal_punct('。'));
        assert!(!is_terminal_punct('"'));
        assert!(is_punct_category('“'));
        assert!(!is_punct_category('$'));
        assert!(is_symbol('©'));
        assert!(is_lower('é') && !is_upper('é'));
        assert!(is_upper('É'));
        assert!(is_py_digit('٣') && !is_py_digit('½'));
    }
}
