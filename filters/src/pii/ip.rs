//! Public IPv4 and IPv6 addresses.
//!
//! Only public addresses are personal data (a private or documentation address identifies
//! nobody), so, like datatrove's `PIIFormatter` (`ipaddress.ip_address(x).is_global`), an
//! address is a hit only outside the special-purpose ranges. IPv4 excludes what Python's
//! `is_global` excludes (RFC 6890: `0/8`, `10/8`, `100.64/10`, `127/8`, `169.254/16`,
//! `172.16/12`, `192.0.0/24`, `192.0.2/24`, `192.168/16`, `198.18/15`, `198.51.100/24`,
//! `203.0.113/24`, `240/4` with broadcast) and also multicast `224/4`, which Python counts as
//! global but which names a group, not a host. Octets with leading zeros are rejected, as
//! Python's parser does.
//!
//! IPv6 (which datatrove's IPv4-only regex never matches) is accepted only inside the
//! global unicast block `2000::/3`, less documentation (`2001:db8::/32`, `3fff::/20`), IETF
//! protocol assignments (`2001::/23`) and 6to4 (`2002::/16`). Requiring a first group of
//! `2000`-`3fff` means every hit starts with four hex digits, which rules out clock times,
//! ratios and `Foo::bar` paths. Embedded-IPv4 forms (`::ffff:1.2.3.4`) are skipped: they
//! only exist in ranges that are not global.
//!
//! Quads shaped like version numbers (first two numbers below 10, or zeros where versions
//! have them: `5.3.2.77`, `12.2.0.79`, `120.0.0.0`) and quads glued to a longer dotted run are
//! skipped too: in web text they are software versions, SVG path data and OIDs.
//!
//! Dotted quads in numbering context: `Section 1.2.3.4`, `version 2.10.3.1` and `Rule
//! 10.1.3.5` are section or version numbers even when the four numbers happen to form a
//! public address. datatrove redacts them; here, when the previous two words include a
//! numbering keyword (section, version, rule, item, note, exhibit, ...), the quad is left
//! alone (configurable: `ip_skip_numbering_context`).

use super::bounds::{char_at, char_before, left_ok, right_ok};

/// The public IPv4 address starting at `p` (a digit preceded by a non-digit), as an end
/// offset.
pub(super) fn v4_at(text: &str, p: usize, skip_numbering: bool) -> Option<usize> {
    let b = text.as_bytes();
    let mut octets = [0u8; 4];
    let mut i = p;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let s = i;
        while i < b.len() && i - s < 4 && b[i].is_ascii_digit() {
            i += 1;
        }
        let len = i - s;
        if len == 0 || len > 3 || (len > 1 && b[s] == b'0') {
            return None;
        }
        let v = super::bounds::digits_value(&b[s..i]);
        *octet = u8::try_from(v).ok()?;
    }
    if p > 0 && b[p - 1] == b'.' {
        return None; // `.27.75.4.87`: the tail of a longer dotted run (SVG paths, OIDs)
    }
    if !left_ok(text, p) || !v4_right_ok(text, i) || !is_global_v4(octets) {
        return None;
    }
    if version_shaped(octets) {
        return None;
    }
    if skip_numbering && numbering_context(text, p) {
        return None;
    }
    Some(i)
}

/// After an IPv4 address: what [`right_ok`] allows, plus a port (`:8080`), a URL path or a
/// prefix length (`/24`); a dot followed by a letter continues a host name
/// (`1.2.3.4.in-addr`), and `-.` continues a number run (SVG path data).
fn v4_right_ok(text: &str, end: usize) -> bool {
    let b = text.as_bytes();
    match b.get(end) {
        Some(b'/') => true,
        Some(b':') if b.get(end + 1).is_some_and(u8::is_ascii_digit) => true,
        Some(b'.') if b.get(end + 1).is_some_and(u8::is_ascii_alphabetic) => false,
        Some(b'-') if b.get(end + 1) == Some(&b'.') => false,
        _ => right_ok(text, end),
    }
}

/// Whether a quad reads as a version or section number rather than a host: its first two
/// numbers below 10 (`5.3.2.77`, `2.3.11.4`, `1.2.3.4`), a small second number and a zero
/// third (`12.2.0.79`), or two zeros among its last three (`120.0.0.0`, `15.0.0.58`,
/// `9.0.7.0`). What this gives up is small: about 0.15% of the public space, mostly
/// well-known resolvers and infrastructure (`8.8.8.8`, `1.1.1.1`, `4.2.2.2`), which
/// identify no person.
fn version_shaped([a, b, c, d]: [u8; 4]) -> bool {
    (b < 10 && (a < 10 || c == 0)) || [b, c, d].iter().filter(|&&x| x == 0).count() >= 2
}

/// Whether an IPv4 address is public (see the module documentation for the ranges).
pub(super) fn is_global_v4([a, b, c, _]: [u8; 4]) -> bool {
    !(a == 0
        || a == 10
        || a == 127
        || a >= 224
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113))
}

/// Words that make a following dotted quad a section, rule or version number.
const NUMBERING_WORDS: &[&str] = &[
    "version",
    "versions",
    "ver",
    "v",
    "release",
    "releases",
    "rel",
    "build",
    "firmware",
    "update",
    "patch",
    "section",
    "sections",
    "sec",
    "§",
    "§§",
    "item",
    "items",
    "rule",
    "rules",
    "note",
    "notes",
    "article",
    "articles",
    "art",
    "clause",
    "clauses",
    "paragraph",
    "paragraphs",
    "para",
    "chapter",
    "chapters",
    "ch",
    "figure",
    "figures",
    "fig",
    "table",
    "tables",
    "exhibit",
    "exhibits",
    "ex",
    "step",
    "steps",
    "part",
    "parts",
    "appendix",
    "schedule",
    "no",
    "nos",
    "number",
    "isbn",
    "doi",
    "oid",
    "level",
    "standard",
    "asc",
    "topic",
    "subtopic",
    "reg",
    "regulation",
];

/// Whether one of the two words before `p` (on the same line, not past a sentence end) is
/// a numbering keyword, or ends in `version` (`"pluginVersion":"2.3.0.18"`). Words are
/// whitespace-separated, and within one the part after the last quote, `=`, `:`, `?`, `&`
/// or bracket counts (`?v=`, `"Update`); a word with a `.` or `/` inside is a file name or
/// URL, never a keyword (`Rules.pdf 69.217.40.39` is an address).
fn numbering_context(text: &str, p: usize) -> bool {
    let mut s = p.saturating_sub(40);
    while !text.is_char_boundary(s) {
        s += 1;
    }
    let head = &text[s..p];
    let head = head.rsplit(['\n', ';', '!', '?']).next().unwrap_or(head);
    head.split_whitespace().rev().take(2).any(|token| {
        let w = token
            .split([
                '"', '\'', '=', ':', '?', '&', '(', ')', '[', ']', '{', '}', ',',
            ])
            .rfind(|w| !w.is_empty())
            .unwrap_or("")
            .trim_end_matches('.');
        NUMBERING_WORDS.iter().any(|k| w.eq_ignore_ascii_case(k))
            || (w.len() > 7
                && w.is_char_boundary(w.len() - 7)
                && w[w.len() - 7..].eq_ignore_ascii_case("version"))
    })
}

#[inline]
fn hex_val(c: u8) -> Option<u16> {
    match c {
        b'0'..=b'9' => Some(u16::from(c - b'0')),
        b'a'..=b'f' => Some(u16::from(c - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(c - b'A' + 10)),
        _ => None,
    }
}

/// Quick test for an IPv6 candidate at `p`: four hex digits, the first `2` or `3`, then `:`.
#[inline]
pub(super) fn v6_candidate(b: &[u8], p: usize) -> bool {
    matches!(b.get(p), Some(b'2' | b'3'))
        && b.get(p + 4) == Some(&b':')
        && b[p + 1..p + 4].iter().all(u8::is_ascii_hexdigit)
}

/// The public IPv6 address starting at `p`, as an end offset. Call only where
/// [`v6_candidate`] holds.
pub(super) fn v6_at(text: &str, p: usize) -> Option<usize> {
    let b = text.as_bytes();
    if char_before(text, p).is_some_and(|c| c.is_alphanumeric() || matches!(c, ':' | '.' | '_')) {
        return None;
    }
    let mut groups: Vec<u16> = Vec::with_capacity(8);
    let mut compressed = false;
    let mut i = p;
    let mut end = p;
    loop {
        let s = i;
        let mut v: u16 = 0;
        while i < b.len() && i - s < 5 {
            let Some(h) = hex_val(b[i]) else { break };
            v = (v << 4) | h;
            i += 1;
        }
        match i - s {
            0 => break, // only reachable right after `::`
            1..=4 => {}
            _ => return None,
        }
        groups.push(v);
        end = i;
        if groups.len() > 8 {
            return None;
        }
        if b.get(i) != Some(&b':') {
            break;
        }
        if b.get(i + 1) == Some(&b':') {
            if compressed {
                return None;
            }
            compressed = true;
            i += 2;
            end = i;
        } else if b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) {
            i += 1;
        } else {
            break;
        }
    }
    let valid_len = if compressed {
        groups.len() >= 2 && groups.len() <= 7
    } else {
        groups.len() == 8
    };
    if !valid_len || !is_global_v6(groups[0], groups.get(1).copied().unwrap_or(0)) {
        return None;
    }
    // Glued to a word, or followed by an embedded IPv4 tail (`::ffff:1.2.3.4`).
    let glued = match char_at(text, end) {
        Some(c) if c.is_alphanumeric() || c == '_' => true,
        Some('.' | ':') => b.get(end + 1).is_some_and(u8::is_ascii_alphanumeric),
        _ => false,
    };
    if glued {
        return None;
    }
    Some(end)
}

/// Whether an IPv6 address with these first two groups is global unicast and not a
/// documentation, protocol-assignment or 6to4 address.
fn is_global_v6(g0: u16, g1: u16) -> bool {
    (0x2000..=0x3fff).contains(&g0)
        && !(g0 == 0x2001 && g1 == 0x0db8)
        && !(g0 == 0x2001 && g1 < 0x0200)
        && g0 != 0x2002
        && !(g0 == 0x3fff && g1 < 0x1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first IPv4 hit at a digit that starts a digit run.
    fn v4(text: &str) -> Option<&str> {
        let b = text.as_bytes();
        (0..b.len())
            .filter(|&p| b[p].is_ascii_digit() && (p == 0 || !b[p - 1].is_ascii_digit()))
            .find_map(|p| v4_at(text, p, true).map(|e| &text[p..e]))
    }

    fn v6(text: &str) -> Option<&str> {
        let p = text.find(['2', '3'])?;
        if !v6_candidate(text.as_bytes(), p) {
            return None;
        }
        v6_at(text, p).map(|e| &text[p..e])
    }

    #[test]
    fn v4_hits() {
        assert_eq!(v4("from 93.184.216.34."), Some("93.184.216.34"));
        assert_eq!(v4("host 81.2.69.160:53 ok"), Some("81.2.69.160"));
        assert_eq!(v4("x-real-ip: 144.76.166.0,"), Some("144.76.166.0"));
        assert_eq!(v4("net 151.101.1.69/24"), Some("151.101.1.69"));
        assert_eq!(
            v4("src='http://103.106.247.216/14/accsxx1.js'"),
            Some("103.106.247.216")
        );
        assert_eq!(
            v4("Soccer_League_Rules.pdf 69.217.40.39 20080509190241"),
            Some("69.217.40.39")
        );
        assert_eq!(v4("(203.0.114.9)"), Some("203.0.114.9"));
        assert_eq!(v4("IP:66.249.66.1"), Some("66.249.66.1"));
    }

    #[test]
    fn v4_near_misses() {
        for t in [
            "10.0.0.1",
            "192.168.1.20",
            "127.0.0.1",
            "172.20.3.4",
            "169.254.0.9",
            "100.100.1.1",
            "192.0.2.33",
            "198.51.100.7",
            "203.0.113.250",
            "224.0.0.251",
            "255.255.255.255",
            "0.1.2.3",
            "01.2.3.4",
            "256.1.2.3",
            "1.2.3",
            "1.2.3.4.5",
            "v1.2.3.4",
            "Section 1.2.3.4",
            "Sections 31.2.3.4 and",
            "version 4.10.2.3",
            "Rule 14a-8 and Rule 12.1.3.5",
            "$93.184.216.34",
            "#93.184.216.34",
            "93.184.216.34%",
            "93.184.216.34.in-addr.arpa",
            "x93.184.216.34",
            "8.8.8.8",
            "Chrome/120.0.0.0 Safari",
            "Flash Player 9.0.7.0 Beta",
            "Lucee 5.3.2.77",
            "SEO Pack 2.3.11.4 by",
            "McAfee Stinger 12.2.0.79",
            "{\"pluginVersion\":\"21.3.10.18\"}",
            "newglobal.sdk.min.js?v=21.3.8.2&h=x",
            "\"headline\":\"Update 23.53.10.112\"",
            "-.17.47-.27.75.4.87 2.32",
            "1.41%201.42.115.114-.004",
            "from 93.184.216.34-.5",
        ] {
            assert_eq!(v4(t), None, "{t}");
        }
    }

    #[test]
    fn v6_hits() {
        assert_eq!(v6("at 2001:4860:4860::8888."), Some("2001:4860:4860::8888"));
        assert_eq!(
            v6("2a00:1450:4001:82a:0:0:0:200e here"),
            Some("2a00:1450:4001:82a:0:0:0:200e")
        );
        assert_eq!(v6("[2606:4700::1111]:443"), Some("2606:4700::1111"));
        assert_eq!(v6("prefix 2a03:2880::"), Some("2a03:2880::"));
    }

    #[test]
    fn v6_near_misses() {
        for t in [
            "2001:db8::1",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2002:c000:0204::1",
            "3fff:0:1::1",
            "2021:03:04",
            "2000:1",
            "2345:1:2:3:4:5:6",
            "2345:1:2:3:4:5:6:7:8",
            "2345::1::2",
            "x2345::1",
            "2345::ffff:1.2.3.4",
        ] {
            assert_eq!(v6(t), None, "{t}");
        }
    }
}
