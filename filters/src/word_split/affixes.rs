//! spaCy's English prefix, suffix and infix rules, written as character tests instead of
//! regular expressions (same precedence: for prefixes the first alternative that matches
//! at the start, for suffixes the match that starts leftmost, for infixes a left-to-right
//! scan of non-overlapping matches).

use super::classes::{is_alpha, is_currency, is_lower, is_quote, is_symbol, is_upper};

/// Characters that form a one-character prefix.
#[inline]
fn is_prefix_char(c: char) -> bool {
    matches!(
        c,
        '§' | '%'
            | '='
            | '—'
            | '–'
            | '…'
            | ','
            | ':'
            | ';'
            | '!'
            | '?'
            | '¿'
            | '؟'
            | '¡'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '_'
            | '#'
            | '*'
            | '&'
            | '。'
            | '？'
            | '！'
            | '，'
            | '、'
            | '；'
            | '：'
            | '～'
            | '·'
            | '।'
            | '،'
            | '۔'
            | '؛'
            | '٪'
    ) || is_quote(c)
        || is_currency(c)
        || is_symbol(c)
}

/// Characters that form a one-character suffix anywhere (no lookbehind).
#[inline]
fn is_suffix_char(c: char) -> bool {
    matches!(
        c,
        '…' | ','
            | ':'
            | ';'
            | '!'
            | '?'
            | '¿'
            | '؟'
            | '¡'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '_'
            | '#'
            | '*'
            | '&'
            | '。'
            | '？'
            | '！'
            | '，'
            | '、'
            | '；'
            | '：'
            | '～'
            | '·'
            | '।'
            | '،'
            | '۔'
            | '؛'
            | '٪'
            | '—'
            | '–'
    ) || is_quote(c)
        || is_symbol(c)
}

/// Characters after which a final period is split off (spaCy's suffix lookbehind: digits,
/// lower-case letters, `%²-+`, the punctuation list and quotes; the list is pasted into a
/// character class upstream, so `|` belongs to it too).
#[inline]
fn period_follows(c: char) -> bool {
    c.is_ascii_digit()
        || is_lower(c)
        || matches!(
            c,
            '%' | '²'
                | '-'
                | '+'
                | '…'
                | ','
                | ':'
                | ';'
                | '!'
                | '?'
                | '¿'
                | '؟'
                | '¡'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | '_'
                | '#'
                | '*'
                | '&'
                | '。'
                | '？'
                | '！'
                | '，'
                | '、'
                | '；'
                | '：'
                | '～'
                | '·'
                | '।'
                | '،'
                | '۔'
                | '؛'
                | '٪'
                | '|'
        )
        || is_quote(c)
}

const MULTI_CURRENCY: [&str; 3] = ["US$", "C$", "A$"];

/// spaCy's `UNITS`, kept apart after a number (`10km` → `10` `km`).
const UNITS: [&str; 88] = [
    "km", "km²", "km³", "m", "m²", "m³", "dm", "dm²", "dm³", "cm", "cm²", "cm³", "mm", "mm²",
    "mm³", "ha", "µm", "nm", "yd", "in", "ft", "kg", "g", "mg", "µg", "t", "lb", "oz", "m/s",
    "km/h", "kmh", "mph", "hPa", "Pa", "mbar", "mb", "MB", "kb", "KB", "gb", "GB", "tb", "TB", "T",
    "G", "M", "K", "%", "км", "км²", "км³", "м", "м²", "м³", "дм", "дм²", "дм³", "см", "см²",
    "см³", "мм", "мм²", "мм³", "нм", "кг", "г", "мг", "м/с", "км/ч", "кПа", "Па", "мбар", "Кб",
    "КБ", "кб", "Мб", "МБ", "мб", "Гб", "ГБ", "гб", "Тб", "ТБ", "тбكم", "كم²", "كم³", "م", "م²",
];

/// The remaining Arabic units of the list.
const UNITS_AR: [&str; 14] = [
    "م³", "سم", "سم²", "سم³", "مم", "مم²", "مم³", "كم", "غرام", "جرام", "جم", "كغ", "ملغ", "كوب",
];
const UNIT_AR_LAST: &str = "اكواب";

/// Whether `tail` is one of the suffixes split off after a digit: `+`, a currency sign,
/// or a unit.
fn is_digit_suffix(tail: &str) -> bool {
    if tail == "+" || MULTI_CURRENCY.contains(&tail) {
        return true;
    }
    let mut chars = tail.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && is_currency(c)
    {
        return true;
    }
    UNITS.contains(&tail) || UNITS_AR.contains(&tail) || tail == UNIT_AR_LAST
}

/// Length in bytes of the prefix at the start of `s` (0 if none).
pub(super) fn find_prefix(s: &str) -> usize {
    let mut it = s.chars();
    let Some(c) = it.next() else { return 0 };
    let clen = c.len_utf8();
    match c {
        '+' => {
            // `^\+(?![0-9])`
            return match it.next() {
                Some(d) if d.is_ascii_digit() => 0,
                _ => 1,
            };
        }
        '.' => {
            // `^\.\.+`
            let run = s.bytes().take_while(|&b| b == b'.').count();
            return if run >= 2 { run } else { 0 };
        }
        _ => {}
    }
    if is_prefix_char(c) {
        return clen;
    }
    for m in MULTI_CURRENCY {
        if s.starts_with(m) {
            return m.len();
        }
    }
    0
}

/// Length in bytes of the suffix at the end of `s` (0 if none): the leftmost-starting
/// alternative that ends at the end of the string.
pub(super) fn find_suffix(s: &str) -> usize {
    let Some(last) = s.chars().next_back() else {
        return 0;
    };
    let n = s.len();
    let mut best = n; // start of the leftmost match so far (n = none)
    let mut consider = |start: usize| {
        if start < best {
            best = start;
        }
    };
    let before = |at: usize| s[..at].chars().next_back();

    if is_suffix_char(last) {
        consider(n - last.len_utf8());
    }
    if s.ends_with("……") {
        consider(n - "……".len());
    }
    if last == '.' {
        let run = s.bytes().rev().take_while(|&b| b == b'.').count();
        if run >= 2 {
            consider(n - run);
        }
        let p = n - 1;
        if let Some(b) = before(p) {
            if period_follows(b) {
                consider(p);
            }
            // `(?<=°[FfCcKk])\.`
            if matches!(b, 'F' | 'f' | 'C' | 'c' | 'K' | 'k') && s[..p - 1].ends_with('°') {
                consider(p);
            }
            // `(?<=[UPPER][UPPER])\.`
            if is_upper(b) && before(p - b.len_utf8()).is_some_and(is_upper) {
                consider(p);
            }
        }
    }
    for tail in ["'s", "'S", "’s", "’S"] {
        if s.ends_with(tail) {
            consider(n - tail.len());
        }
    }
    // Lookbehind `[0-9]` alternatives (`+`, currency, units): none of them contains a
    // digit, so the only candidate is what follows the last ASCII digit.
    if let Some(d) = s.bytes().rposition(|b| b.is_ascii_digit()) {
        let tail = &s[d + 1..];
        if !tail.is_empty() && is_digit_suffix(tail) {
            consider(d + 1);
        }
    }
    n - best
}

/// Splits `s` (found at byte `offset` of the chunk) at spaCy's infixes and pushes the
/// pieces. A match at position 0 is not split off (spaCy skips it), so it stays glued to
/// the following piece.
pub(super) fn split_infixes(s: &str, offset: usize, push: &mut impl FnMut(usize, usize)) {
    let mut start = 0usize;
    let mut pos = 0usize;
    let mut prev: Option<char> = None;
    while pos < s.len() {
        let rest = &s[pos..];
        let Some(c) = rest.chars().next() else { break };
        if let Some(len) = infix_at(rest, prev, c) {
            let end = pos + len;
            if pos != 0 {
                if pos != start {
                    push(offset + start, offset + pos);
                }
                push(offset + pos, offset + end);
                start = end;
            }
            prev = s[..end].chars().next_back();
            pos = end;
        } else {
            prev = Some(c);
            pos += c.len_utf8();
        }
    }
    if start < s.len() {
        push(offset + start, offset + s.len());
    }
}

/// Whether any infix rule matches somewhere in `s` (position 0 included).
pub(super) fn has_infix(s: &str) -> bool {
    let mut prev = None;
    for (i, c) in s.char_indices() {
        if infix_at(&s[i..], prev, c).is_some() {
            return true;
        }
        prev = Some(c);
    }
    false
}

/// Length of the infix match starting at the beginning of `rest`, given the character
/// before it, trying spaCy's alternatives in order.
#[inline]
fn infix_at(rest: &str, prev: Option<char>, c: char) -> Option<usize> {
    let next_char = |skip: usize| rest[skip..].chars().next();
    match c {
        '.' => {
            let run = rest.bytes().take_while(|&b| b == b'.').count();
            if run >= 2 {
                return Some(run);
            }
            // `(?<=[lower quotes])\.(?=[UPPER quotes])`
            let p = prev?;
            let n = next_char(1)?;
            if (is_lower(p) || is_quote(p)) && (is_upper(n) || is_quote(n)) {
                return Some(1);
            }
            None
        }
        '…' => Some(c.len_utf8()),
        _ if is_symbol(c) => Some(c.len_utf8()),
        '+' | '-' | '*' | '^'
            if prev.is_some_and(|p| p.is_ascii_digit())
                && next_char(1).is_some_and(|n| n.is_ascii_digit() || n == '-') =>
        {
            Some(1)
        }
        ',' => {
            let p = prev?;
            let n = next_char(1)?;
            (is_alpha(p) && is_alpha(n)).then_some(1)
        }
        '-' | '–' | '—' | '~' => {
            let p = prev?;
            if !(is_alpha(p) || p.is_ascii_digit()) {
                return None;
            }
            // Alternatives in order: `-`, `–`, `—`, `--`, `---`, `——`, `~`.
            for alt in ["-", "–", "—", "--", "---", "——", "~"] {
                if rest.starts_with(alt) && next_char(alt.len()).is_some_and(is_alpha) {
                    return Some(alt.len());
                }
            }
            None
        }
        ':' | '<' | '>' | '=' | '/' => {
            let p = prev?;
            let n = next_char(1)?;
            ((is_alpha(p) || p.is_ascii_digit()) && is_alpha(n)).then_some(1)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(find_prefix("(hello"), 1);
        assert_eq!(find_prefix("+5"), 0);
        assert_eq!(find_prefix("+a"), 1);
        assert_eq!(find_prefix("...a"), 3);
        assert_eq!(find_prefix(".a"), 0);
        assert_eq!(find_prefix("US$5"), 3);
        assert_eq!(find_prefix("$5"), 1);
        assert_eq!(find_prefix("“Yes"), "“".len());
    }

    #[test]
    fn suffixes() {
        assert_eq!(find_suffix("hello."), 1);
        assert_eq!(find_suffix("A."), 0);
        assert_eq!(find_suffix("AB."), 1);
        assert_eq!(find_suffix("wait..."), 3);
        assert_eq!(find_suffix("John's"), 2);
        assert_eq!(find_suffix("10km"), 2);
        assert_eq!(find_suffix("10%"), 1);
        assert_eq!(find_suffix("abc%"), 0);
        assert_eq!(find_suffix("word)"), 1);
        assert_eq!(find_suffix("5$"), 1);
    }

    #[test]
    fn infixes() {
        let mut got = Vec::new();
        split_infixes("well-known", 0, &mut |a, b| got.push((a, b)));
        assert_eq!(got, [(0, 4), (4, 5), (5, 10)]);
        got.clear();
        split_infixes("-abc", 0, &mut |a, b| got.push((a, b)));
        assert_eq!(got, [(0, 4)]);
        got.clear();
        split_infixes("1-2", 0, &mut |a, b| got.push((a, b)));
        assert_eq!(got, [(0, 1), (1, 2), (2, 3)]);
    }
}
