//! Payment card numbers: 13 to 19 digits, contiguous or grouped, with a valid Luhn check
//! digit and an issuer prefix (IIN) of a card network.
//!
//! The Luhn check alone accepts one random digit string in ten, so a long number in a
//! financial table would too often pass; three more conditions keep precision: the
//! grouping must be one cards are printed with (`4-4-4-4`, `4-4-4-4-3`, `4-4-4-1..4`,
//! Amex `4-6-5`, Diners `4-6-4`, one separator kind, a single space or hyphen), the prefix
//! and length must belong to a network (Visa, Mastercard, Amex, Discover, Diners, JCB,
//! UnionPay, Maestro, Mir), and the number must stand alone (no digit, letter, currency
//! sign or decimal point glued to it). Numbers of one repeated digit are rejected, and a
//! number written without separators counts only after a card word ([`card_context`]).

use super::bounds::{digit_run_end, left_ok, right_ok};

/// The card number starting at the digit run `p..run_end`, as an end offset.
pub(super) fn at(text: &str, p: usize, run_end: usize) -> Option<usize> {
    let b = text.as_bytes();
    let first = run_end - p;
    let mut digits: Vec<u8> = Vec::with_capacity(19);
    let end = if (13..=19).contains(&first) {
        if !card_context(text, p) {
            return None;
        }
        digits.extend(b[p..run_end].iter().map(|d| d - b'0'));
        run_end
    } else if first == 4 {
        let sep = *b.get(run_end)?;
        if !matches!(sep, b' ' | b'-') {
            return None;
        }
        let mut lens = [0usize; 5];
        let mut n = 0;
        let mut i = p;
        let mut end = p;
        while n < 5 {
            let e = digit_run_end(b, i);
            if e == i || e - i > 6 {
                break;
            }
            lens[n] = e - i;
            n += 1;
            end = e;
            if b.get(e) == Some(&sep) && b.get(e + 1).is_some_and(u8::is_ascii_digit) {
                i = e + 1;
            } else {
                break;
            }
        }
        if !grouping_ok(&lens[..n]) {
            return None;
        }
        digits.extend(
            b[p..end]
                .iter()
                .filter(|c| c.is_ascii_digit())
                .map(|d| d - b'0'),
        );
        end
    } else {
        return None;
    };
    let ok = (13..=19).contains(&digits.len())
        && digits.iter().any(|&d| d != digits[0])
        && network_ok(&digits)
        && luhn_ok(&digits)
        && left_ok(text, p)
        && right_ok(text, end);
    ok.then_some(end)
}

/// Words that announce a card number within the three words before it.
const CARD_WORDS: &[&str] = &[
    "card",
    "cards",
    "cardnumber",
    "visa",
    "mastercard",
    "mc",
    "amex",
    "discover",
    "jcb",
    "diners",
    "maestro",
    "unionpay",
    "credit",
    "debit",
    "cc",
    "ccn",
    "pan",
];

/// Whether one of the three words before `p` on its line is in [`CARD_WORDS`]. Contiguous
/// 13-19 digit strings are mostly ids in scripts and JSON (`"authorId":"5876237249238355545"`,
/// Shopify product ids), and one in ten passes Luhn, so a contiguous number is a card only
/// where the text says so (`Visa 4111111111111111`, `card number: ...`).
fn card_context(text: &str, p: usize) -> bool {
    let mut s = p.saturating_sub(48);
    while !text.is_char_boundary(s) {
        s += 1;
    }
    let head = &text[s..p];
    let head = head.rsplit('\n').next().unwrap_or(head);
    head.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .rev()
        .take(3)
        .any(|w| CARD_WORDS.iter().any(|k| w.eq_ignore_ascii_case(k)))
}

/// Whether group lengths are a printed card layout.
fn grouping_ok(lens: &[usize]) -> bool {
    match lens {
        [4, 6, 5] | [4, 6, 4] | [4, 4, 4, 4] => true,
        [4, 4, 4, last] => (1..=3).contains(last),
        [4, 4, 4, 4, last] => (1..=3).contains(last),
        _ => false,
    }
}

/// The Luhn (mod 10) check over all digits, check digit included.
pub(super) fn luhn_ok(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether the issuer prefix and the length belong to a card network.
fn network_ok(d: &[u8]) -> bool {
    let prefix = |n: usize| d[..n].iter().fold(0u32, |v, &x| v * 10 + u32::from(x));
    let len = d.len();
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    match p1 {
        4 => matches!(len, 13 | 16 | 19),              // Visa
        5 if (51..=55).contains(&p2) => len == 16,     // Mastercard
        2 if (2221..=2720).contains(&p4) => len == 16, // Mastercard
        2 if (2200..=2204).contains(&p4) => (16..=19).contains(&len), // Mir
        3 if p2 == 34 || p2 == 37 => len == 15,        // Amex
        3 if (3528..=3589).contains(&p4) => (16..=19).contains(&len), // JCB
        3 if (300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39) => (14..=19).contains(&len), // Diners
        6 if p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) => (16..=19).contains(&len), // Discover
        6 if p2 == 62 => (16..=19).contains(&len), // UnionPay
        5 | 6 if matches!(p2, 50 | 56 | 57 | 58 | 63 | 67) => (13..=19).contains(&len), // Maestro
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(text: &str) -> Option<&str> {
        let b = text.as_bytes();
        (0..b.len())
            .filter(|&p| b[p].is_ascii_digit() && (p == 0 || !b[p - 1].is_ascii_digit()))
            .find_map(|p| at(text, p, digit_run_end(b, p)).map(|e| &text[p..e]))
    }

    #[test]
    fn hits() {
        for (t, want) in [
            ("card 4111 1111 1111 1111 exp", "4111 1111 1111 1111"),
            ("4111-1111-1111-1111.", "4111-1111-1111-1111"),
            ("Visa: 4012888888881881", "4012888888881881"),
            ("MC 5555 5555 5555 4444", "5555 5555 5555 4444"),
            ("Amex 3782 822463 10005", "3782 822463 10005"),
            ("Diners 3056 930902 5904", "3056 930902 5904"),
            ("Discover 6011 1111 1111 1117", "6011 1111 1111 1117"),
            ("JCB 3530111333300000", "3530111333300000"),
            ("credit card number 5105105105105100.", "5105105105105100"),
            ("2223 0000 4841 0010", "2223 0000 4841 0010"),
        ] {
            assert_eq!(card(t), Some(want), "{t}");
        }
    }

    #[test]
    fn near_misses() {
        for t in [
            "4111 1111 1111 1112",
            "4111 1111-1111 1111",
            "4111 11111 1111 111",
            "$4111 1111 1111 1111",
            "4111 1111 1111 1111.50",
            "1234567890123452",
            "0001193125210123",
            "4444444444444444",
            "2021 2022 2023 2024",
            "41111111111111111111",
            "x4111111111111111",
            "4012888888881881",
            "\"id\":\"4717811109462016\"",
            "authorId: 5876237249238355545",
        ] {
            assert_eq!(card(t), None, "{t}");
        }
    }
}
