//! Telephone numbers: international `+CC ...` numbers and North American (NANP) numbers.
//!
//! Phone numbers are digit groups, and so are amounts, dates, table rows and identifiers;
//! what separates them is the punctuation. Accepted forms:
//!
//! - NANP, `(212) 555-0100`, `(212)555.0100`, `212-555-0100`, `212.555.0100`,
//!   `212 555-0100`, optionally prefixed `1-`, `1.` or `1 ` (`1-800-555-0100`,
//!   `1 (800) 555-0100`). The area code is `[2-9][0-8]d` and the exchange `[2-9]dd` (the
//!   NANP numbering plan) and the separators of the plain form agree. The space-only form
//!   `212 555 0100` and ten contiguous digits `2125550100` are accepted only right after a
//!   phone word (`Tel:`, `Phone`, `Fax`, `call`, ...): elsewhere, in a filing, they are as
//!   likely three numbers of a table row, or an identifier.
//! - International: `+` then 9 to 15 digits (E.164 allows 15) in groups separated by single
//!   spaces, hyphens or dots, with at most parenthesised groups like `(0)` or `(212)`.
//!   After the country code the separators agree (`+3.5 14.2 12.1` is a row of signed
//!   figures, not a number), a number without separators needs at least 10 digits, and a
//!   number whose groups after the country code are all three digits long
//!   (`+12 345 678 901`) is taken for a signed, thousands-grouped amount.
//!
//! Every form must stand alone ([`left_ok`]/[`right_ok`]): no currency sign, no letters or
//! digits glued on, so accession numbers `0001193125-21-012345`, dates `2021-03-04`, SSN-like
//! `123-45-6789`, employer ids `94-2404110` and ZIP+4 `94043-1351` never match.

use super::bounds::{left_ok, right_ok};

/// The phone number around the digit run `p..run_end` (`p` not preceded by a digit), as a
/// byte range. It may start before `p`, at a `+` or `(`.
pub(super) fn at(text: &str, p: usize, run_end: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let found = match p.checked_sub(1).map(|i| b[i]) {
        Some(b'+') if plus_starts_number(b, p - 1) => international(b, p - 1).map(|e| (p - 1, e)),
        Some(b'(') => paren_nanp(b, p - 1).map(|e| (p - 1, e)),
        _ => None,
    };
    // `(1-800-555-0100)`: a bracket that does not open an area code is just punctuation.
    let found = found.or_else(|| {
        let context = || phone_context(text, p);
        match run_end - p {
            1 if b[p] == b'1' => prefixed_nanp(b, p, context),
            3 => plain_nanp(b, p, context),
            10 if nanp_digits(&b[p..run_end]) && context() => Some(run_end),
            _ => None,
        }
        .map(|e| (p, e))
    })?;
    (left_ok(text, found.0) && right_ok(text, found.1)).then_some(found)
}

/// Words after which a bare digit group is announced as a phone number (`Tel: 202 303
/// 1000`, `BUSINESS PHONE: 7349961700`): only there are the space-separated and the
/// ten-digit contiguous NANP forms accepted.
const PHONE_WORDS: &[&str] = &[
    "phone",
    "telephone",
    "tel",
    "ph",
    "fax",
    "facsimile",
    "mobile",
    "cell",
    "call",
    "calling",
    "dial",
    "dialing",
    "tty",
    "hotline",
    "tollfree",
    "toll-free",
];

/// Whether the word just before `start` (past spaces and `:` `.` `-`) is in [`PHONE_WORDS`].
fn phone_context(text: &str, start: usize) -> bool {
    let mut s = start.saturating_sub(32);
    while !text.is_char_boundary(s) {
        s += 1;
    }
    let head = text[s..start]
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '.' | '#'));
    let word_start = head
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphabetic() || c == '-'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &head[word_start..];
    PHONE_WORDS.iter().any(|w| word.eq_ignore_ascii_case(w))
}

/// Ten digits forming a valid NANP area code, exchange and line.
fn nanp_digits(d: &[u8]) -> bool {
    d.len() == 10 && d[0] >= b'2' && d[1] != b'9' && d[3] >= b'2'
}

/// Whether the `+` at `plus` can open a number: at the start, after whitespace or after
/// opening punctuation. After `)`, `]` or an operand it is an addition in code
/// (`(s[l]=l>>31)+1518500249`).
fn plus_starts_number(b: &[u8], plus: usize) -> bool {
    plus == 0
        || b[plus - 1].is_ascii_whitespace()
        || b"([{\"':,;>=/|".contains(&b[plus - 1])
        || b[plus - 1] >= 0x80
}

/// Exactly `n` digits at `i` (not followed by another digit).
#[inline]
fn digits_exact(b: &[u8], i: usize, n: usize) -> bool {
    i + n <= b.len()
        && b[i..i + n].iter().all(u8::is_ascii_digit)
        && !b.get(i + n).is_some_and(u8::is_ascii_digit)
}

#[inline]
fn area_code(b: &[u8], i: usize) -> bool {
    digits_exact(b, i, 3) && b[i] >= b'2' && b[i + 1] != b'9'
}

#[inline]
fn exchange(b: &[u8], i: usize) -> bool {
    digits_exact(b, i, 3) && b[i] >= b'2'
}

/// `212-555-0100`, `212.555.0100` or `212 555-0100` at `i` (and `212 555 0100` where
/// `context` says a phone number is announced); the end offset.
fn plain_nanp(b: &[u8], i: usize, context: impl FnOnce() -> bool) -> Option<usize> {
    let sep1 = *b.get(i + 3)?;
    let sep2 = *b.get(i + 7)?;
    let seps_ok = matches!(
        (sep1, sep2),
        (b'-', b'-') | (b'.', b'.') | (b' ', b'-') | (b' ', b' ')
    );
    let shape = seps_ok && area_code(b, i) && exchange(b, i + 4) && digits_exact(b, i + 8, 4);
    (shape && (sep2 != b' ' || context())).then_some(i + 12)
}

/// `(212) 555-0100`, `(212)555-0100` or `(212) 555.0100` with `(` at `i`; the end offset.
fn paren_nanp(b: &[u8], i: usize) -> Option<usize> {
    if !(b.get(i) == Some(&b'(') && area_code(b, i + 1) && b.get(i + 4) == Some(&b')')) {
        return None;
    }
    let j = if b.get(i + 5) == Some(&b' ') {
        i + 6
    } else {
        i + 5
    };
    (exchange(b, j) && matches!(b.get(j + 3), Some(b'-' | b'.')) && digits_exact(b, j + 4, 4))
        .then_some(j + 8)
}

/// `1-800-555-0100`, `1.800.555.0100`, `1 800-555-0100` or `1 (800) 555-0100` at `i`.
fn prefixed_nanp(b: &[u8], i: usize, context: impl FnOnce() -> bool) -> Option<usize> {
    let sep = *b.get(i + 1)?;
    if !matches!(sep, b'-' | b'.' | b' ') {
        return None;
    }
    if b.get(i + 2) == Some(&b'(') {
        return paren_nanp(b, i + 2);
    }
    let end = plain_nanp(b, i + 2, context)?;
    (sep == b' ' || b[i + 5] == sep).then_some(end)
}

/// A `+CC ...` number with `+` at `plus`; the end offset.
fn international(b: &[u8], plus: usize) -> Option<usize> {
    let mut i = plus + 1;
    if !matches!(b.get(i), Some(b'1'..=b'9')) {
        return None;
    }
    // (length, parenthesised) per group, and the separator before each group but the first.
    let mut groups: Vec<(usize, bool)> = Vec::with_capacity(6);
    let mut seps: Vec<Option<u8>> = Vec::with_capacity(6);
    let mut digits = 0usize;
    let mut end = i;
    loop {
        let (len, paren, next) = if b.get(i) == Some(&b'(') {
            let e = super::bounds::digit_run_end(b, i + 1);
            if e == i + 1 || e - i - 1 > 4 || b.get(e) != Some(&b')') || groups.is_empty() {
                break;
            }
            (e - i - 1, true, e + 1)
        } else {
            let e = super::bounds::digit_run_end(b, i);
            if e == i {
                break;
            }
            (e - i, false, e)
        };
        if digits + len > 15 {
            break; // E.164 caps numbers at 15 digits: what follows is another number
        }
        digits += len;
        groups.push((len, paren));
        end = next;
        i = next;
        match b.get(i) {
            Some(&c @ (b' ' | b'-' | b'.'))
                if b.get(i + 1)
                    .is_some_and(|&d| d.is_ascii_digit() || d == b'(') =>
            {
                seps.push(Some(c));
                i += 1;
            }
            Some(b'(') => seps.push(None),
            Some(d) if paren && d.is_ascii_digit() => seps.push(None),
            _ => break,
        }
    }
    // A separator consumed before a group that failed to parse is not part of the number.
    seps.truncate(groups.len().saturating_sub(1));
    if !(9..=15).contains(&digits) || (groups.len() == 1 && digits < 10) {
        return None;
    }
    // Separators between two plain groups after the country code must agree.
    let mut kind: Option<u8> = None;
    for (k, sep) in seps.iter().enumerate().skip(1) {
        let (Some(sep), false, false) = (sep, groups[k].1, groups[k + 1].1) else {
            continue;
        };
        match kind {
            None => kind = Some(*sep),
            Some(s) if s != *sep => return None,
            Some(_) => {}
        }
    }
    if groups.len() >= 3 && groups[1..].iter().all(|&(len, paren)| len == 3 && !paren) {
        return None;
    }
    // `+70000000000`, `+14250000000`: placeholders in forms and scripts.
    if b[plus..end]
        .iter()
        .rev()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .all(|&c| c == b'0')
    {
        return None;
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first phone number at a digit that starts a digit run.
    fn phone(text: &str) -> Option<&str> {
        let b = text.as_bytes();
        (0..b.len())
            .filter(|&p| b[p].is_ascii_digit() && (p == 0 || !b[p - 1].is_ascii_digit()))
            .find_map(|p| {
                let run_end = super::super::bounds::digit_run_end(b, p);
                at(text, p, run_end).map(|(s, e)| &text[s..e])
            })
    }

    #[test]
    fn hits() {
        for (t, want) in [
            ("call (212) 555-0100 now", "(212) 555-0100"),
            ("call (212)555-0100.", "(212)555-0100"),
            ("Tel: 212-555-0100", "212-555-0100"),
            ("Tel:212.555.0100", "212.555.0100"),
            ("dial 1-800-555-0199 for", "1-800-555-0199"),
            ("dial 1 (800) 555-0199.", "1 (800) 555-0199"),
            ("+1 212 555 0100", "+1 212 555 0100"),
            ("+1 (212) 555-0100", "+1 (212) 555-0100"),
            ("+44 20 7946 0958", "+44 20 7946 0958"),
            ("+49 (0)30 1234 5678", "+49 (0)30 1234 5678"),
            ("+33 1 23 45 67 89", "+33 1 23 45 67 89"),
            ("+33.1.23.45.67.89", "+33.1.23.45.67.89"),
            ("+442079460958", "+442079460958"),
            ("(+91-22-6631-8888)", "+91-22-6631-8888"),
            ("calling (1-800-474-2737).", "1-800-474-2737"),
            ("Tel: 774 404-7685,", "774 404-7685"),
            ("Tel: 202 303 1000 Fax", "202 303 1000"),
            ("BUSINESS PHONE:  7349961700  MAIL", "7349961700"),
        ] {
            assert_eq!(phone(t), Some(want), "{t}");
        }
    }

    #[test]
    fn near_misses() {
        for t in [
            "2021-03-04",
            "03/04/2021",
            "10:30:45",
            "0001193125-21-012345",
            "123-45-6789",
            "94-2404110",
            "94043-1351",
            "$212-555-0100",
            "212 555 0100",
            "(212) 555 0100",
            "(123) 555-0100",
            "212-155-0100",
            "212-555.0100",
            "212-555-01000",
            "212-555-0100%",
            "A212-555-0100",
            "x-212-555-0100",
            "212.555.0100.5",
            "1-212.555.0100",
            "+3.5 14.2 12.1 11.0",
            "+12 345 678 901",
            "+12345678",
            "+0 20 7946 0958",
            "3+44 20 7946 0958",
            "+2021-03-04",
            "+1.5 million",
            "(212) 555-0100x",
            "(s[l]=l >>31)+1518500249])",
            "b[a]+1859775393&4294967295",
            "tel:+70000000000",
            "'ph': '+14250000000',",
            "IRS NUMBER: 954438859",
            "FILM NUMBER: 2415860001",
            "up 202 303 1000 units",
            "ɽӢ������ 202 303 1000",
        ] {
            assert_eq!(phone(t), None, "{t}");
        }
    }
}
