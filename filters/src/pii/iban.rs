//! International bank account numbers (ISO 13616): a country code, two check digits and
//! the national account number, written contiguously or in groups of four separated by
//! single spaces (`DE89 3704 0044 0532 0130 00`).
//!
//! Precision comes from the format itself: the country must be in the IBAN registry, the
//! length must be that country's fixed length, and the ISO 7064 mod-97 check must give 1
//! (one random string in 97 passes, after the country and length already filtered).
//! Only upper-case letters count: that is how IBANs are printed.

use super::bounds::{char_at, char_before};

/// IBAN length by country (SWIFT IBAN registry).
const LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BI", 27),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DJ", 27),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FK", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"LY", 25),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MN", 20),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NI", 28),
    (b"NL", 18),
    (b"NO", 15),
    (b"OM", 23),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"RU", 33),
    (b"SA", 24),
    (b"SC", 31),
    (b"SD", 18),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"SO", 23),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
    (b"YE", 30),
];

#[inline]
fn is_iban_char(c: u8) -> bool {
    c.is_ascii_digit() || c.is_ascii_uppercase()
}

/// The IBAN whose country code starts at `s` (two upper-case letters followed by the
/// check digits), as an end offset.
pub(super) fn at(text: &str, s: usize) -> Option<usize> {
    let b = text.as_bytes();
    if char_before(text, s).is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let cc = b.get(s..s + 2)?;
    let &(_, len) = LENGTHS.iter().find(|(c, _)| c.as_slice() == cc)?;
    if !(b.get(s + 2).is_some_and(u8::is_ascii_digit)
        && b.get(s + 3).is_some_and(u8::is_ascii_digit))
    {
        return None;
    }
    let mut chars: Vec<u8> = Vec::with_capacity(len);
    let mut i = s;
    // `Some(true)`: printed in groups of four; `Some(false)`: contiguous.
    let mut spaced: Option<bool> = None;
    let mut group = 0usize;
    while chars.len() < len && i < b.len() {
        if is_iban_char(b[i]) {
            if spaced == Some(true) && group == 4 {
                break; // a fifth character in a group: not the printed format
            }
            chars.push(b[i]);
            group += 1;
            i += 1;
            if chars.len() == 4 && b.get(i).copied().is_some_and(is_iban_char) {
                spaced = Some(false);
            }
        } else if b[i] == b' '
            && group == 4
            && spaced != Some(false)
            && b.get(i + 1).copied().is_some_and(is_iban_char)
        {
            spaced = Some(true);
            group = 0;
            i += 1;
        } else {
            break;
        }
    }
    if chars.len() != len
        || char_at(text, i).is_some_and(|c| c.is_alphanumeric() || c == '_')
        || !mod97_ok(&chars)
    {
        return None;
    }
    Some(i)
}

/// ISO 7064 mod 97-10 over the IBAN with its first four characters moved to the end and
/// letters expanded to 10..35.
fn mod97_ok(chars: &[u8]) -> bool {
    let mut r: u32 = 0;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        if c.is_ascii_digit() {
            r = (r * 10 + u32::from(c - b'0')) % 97;
        } else {
            r = (r * 100 + u32::from(c - b'A') + 10) % 97;
        }
    }
    r == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iban(text: &str) -> Option<&str> {
        let b = text.as_bytes();
        (0..b.len().saturating_sub(1))
            .filter(|&s| b[s].is_ascii_uppercase() && b[s + 1].is_ascii_uppercase())
            .find_map(|s| at(text, s).map(|e| &text[s..e]))
    }

    #[test]
    fn hits() {
        for (t, want) in [
            (
                "IBAN DE89 3704 0044 0532 0130 00.",
                "DE89 3704 0044 0532 0130 00",
            ),
            ("IBAN: DE89370400440532013000", "DE89370400440532013000"),
            ("GB29 NWBK 6016 1331 9268 19", "GB29 NWBK 6016 1331 9268 19"),
            (
                "(FR1420041010050500013M02606)",
                "FR1420041010050500013M02606",
            ),
            ("NO9386011117947", "NO9386011117947"),
        ] {
            assert_eq!(iban(t), Some(want), "{t}");
        }
    }

    #[test]
    fn near_misses() {
        for t in [
            "DE89 3704 0044 0532 0130 01",
            "DE89 3704 0044 0532 0130",
            "DE89370400440532013000123",
            "XX89370400440532013000",
            "ADE89370400440532013000",
            "de89370400440532013000",
            "DE89 37040044 0532 0130 00",
            "DE8937040044 0532013000",
        ] {
            assert_eq!(iban(t), None, "{t}");
        }
    }
}
