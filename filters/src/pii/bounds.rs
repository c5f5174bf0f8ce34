//! Token boundaries shared by the numeric scanners (IP, phone, card, IBAN).
//!
//! Most false hits of PII regexes come from matching a piece of a longer token: the middle
//! of an accession number `0001193125-21-012345`, the tail of a section number
//! `1.2.3.4.5`, an amount `$212.555.0100`. Every numeric candidate therefore has to stand
//! alone: it must not touch a letter or digit, and a `.`, `,`, `-`, `/` or `:` next to it
//! must not continue into another alphanumeric run.

/// The last char of `text[..pos]`, if any.
#[inline]
pub(super) fn char_before(text: &str, pos: usize) -> Option<char> {
    text.get(..pos).and_then(|s| s.chars().next_back())
}

/// The first char of `text[pos..]`, if any.
#[inline]
pub(super) fn char_at(text: &str, pos: usize) -> Option<char> {
    text.get(pos..).and_then(|s| s.chars().next())
}

#[inline]
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether a numeric candidate may start at `start`: no letter, digit or `_` before it, no
/// currency or number sign (`$212-555-0100` is an amount, `#1.2.3.4` an identifier), no
/// `%` (URL-encoded bytes: `%201.42.115.114` is `%20` then a number), and
/// no `.`, `,`, `-`, `/` joining it to an alphanumeric run on the left (a `:` only counts
/// after a digit, so `Tel:212-555-0100` still starts a number).
pub(super) fn left_ok(text: &str, start: usize) -> bool {
    let Some(prev) = char_before(text, start) else {
        return true;
    };
    if is_word(prev) || matches!(prev, '$' | '€' | '£' | '¥' | '#' | '§' | '\\' | '%') {
        return false;
    }
    let before_prev = || char_before(text, start - prev.len_utf8());
    match prev {
        '.' | ',' | '-' | '/' => !before_prev().is_some_and(is_word),
        ':' => !before_prev().is_some_and(|c| c.is_ascii_digit()),
        _ => true,
    }
}

/// Whether a numeric candidate may end at `end`: no letter, digit, `_` or `%` after it, and
/// no `.`, `,`, `-`, `/`, `:` continuing into another alphanumeric run.
pub(super) fn right_ok(text: &str, end: usize) -> bool {
    let Some(next) = char_at(text, end) else {
        return true;
    };
    if is_word(next) || matches!(next, '%' | '\\') {
        return false;
    }
    match next {
        '.' | ',' | '-' | '/' | ':' | '@' => {
            !char_at(text, end + 1).is_some_and(|c| c.is_ascii_alphanumeric())
        }
        _ => true,
    }
}

/// Value of an ASCII digit run (at most 19 digits, no overflow check needed by callers
/// that bound the length).
#[inline]
pub(super) fn digits_value(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |v, &d| {
        v.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
    })
}

/// End of the run of ASCII digits starting at `i`.
#[inline]
pub(super) fn digit_run_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Position of the next ASCII digit at or after `i`. Tests eight bytes at a time for a byte
/// below `'0' + 10` after xor with `'0'` (the "has byte less than" bit trick), which keeps
/// the scan near memory speed on prose where digits are rare.
#[inline]
pub(super) fn next_digit(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= b.len() {
        let chunk: [u8; 8] = b[i..i + 8].try_into().unwrap_or([0; 8]);
        let x = u64::from_le_bytes(chunk) ^ (ONES * u64::from(b'0'));
        if x.wrapping_sub(ONES * 10) & !x & HIGH != 0
            && let Some(k) = chunk.iter().position(u8::is_ascii_digit)
        {
            return Some(i + k);
        }
        i += 8;
    }
    b[i..].iter().position(u8::is_ascii_digit).map(|k| i + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_digit_finds_every_digit_position() {
        let s = "abcdefghijklmnop7qrstuvwxyz é9 0";
        let b = s.as_bytes();
        let mut found = Vec::new();
        let mut i = 0;
        while let Some(p) = next_digit(b, i) {
            found.push(p);
            i = p + 1;
        }
        let expected: Vec<usize> = b
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_ascii_digit())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn boundaries() {
        assert!(left_ok("call 212", 5));
        assert!(left_ok("Tel:212", 4));
        assert!(!left_ok("10:212", 3));
        assert!(!left_ok("$212", 1));
        assert!(!left_ok("a-212", 2));
        assert!(left_ok("(-212", 2));
        assert!(right_ok("212 x", 3));
        assert!(right_ok("212.", 3));
        assert!(!right_ok("212.5", 3));
        assert!(!right_ok("212%", 3));
        assert!(!right_ok("212-a", 3));
    }
}
