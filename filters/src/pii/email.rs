//! E-mail addresses, found from each `@` (memchr) outwards instead of by a regex over the
//! whole text: prose has few `@`, so the scan costs about one memchr pass.
//!
//! Accepted shape (a stricter reading of datatrove's RFC 5322-style regex): a local part
//! of ASCII letters, digits and ``!#$%&'*+/=?^_`{|}~-`` with single inner dots, at most 64
//! bytes, starting with a letter, digit or `_`; then a domain of at least two dot-separated
//! labels (letters, digits, inner hyphens, at most 63 bytes each) whose last label, the
//! top-level domain, is 2-24 letters or an `xn--` punycode label. Stricter than datatrove
//! where it was loose: no bracketed IP-literal domains, no all-digit TLDs (`v@1.2` is not
//! an address), no image-file "TLDs" (`logo@2x.png` is a retina asset name), and the
//! address must not be glued to a letter on either side.

use super::bounds::char_before;

/// Local-part characters (RFC 5322 `atext` plus the dot), less `/`: a slash before an
/// `@` is a URL path or a message id (`lore.kernel.org/30th.repost@klaava.Helsinki.FI`),
/// not a mailbox.
#[inline]
fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".!#$%&'*+=?^_`{|}~-".contains(&b)
}

/// File extensions that follow `@` in asset names (`icon@2x.png`), never real TLDs.
const FILE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "css", "js",
];

/// Domains reserved for documentation and testing (RFC 2606, RFC 6761): `example.com`,
/// `example.net`, `example.org` and their subdomains, and the `.example`, `.test`,
/// `.invalid` and `.localhost` TLDs. Like the documentation IP ranges they identify nobody,
/// and datatrove's own replacement (`email@example.com`) must not count as a hit.
fn is_reserved_domain(domain: &str, tld: &str) -> bool {
    let d = domain.to_ascii_lowercase();
    ["example", "test", "invalid", "localhost"]
        .iter()
        .any(|t| tld.eq_ignore_ascii_case(t))
        || ["example.com", "example.net", "example.org"]
            .iter()
            .any(|r| d == *r || d.ends_with(&format!(".{r}")))
}

/// Closing punctuation that may follow an address in prose.
const CLOSERS: &str = ".,;:!)]}\"'”’»*|";

/// Whether the address ending at `e` is followed by a delimiter: whitespace, the end, `?`
/// (a `mailto:` query), a tag bracket (`a@b.com</a>`, `mailto:a@b.com">`), or closing
/// punctuation that is itself followed by whitespace, the
/// end or more closing punctuation (`a@b.com).`). Uuencoded and base64 blocks, where `@`
/// is common, fail this almost always (`PUDSY@R.S-D77.UI$.$9`).
fn right_delimited(text: &str, e: usize) -> bool {
    let mut rest = text[e..].chars();
    loop {
        match rest.next() {
            None => return true,
            Some(c) if c.is_whitespace() || matches!(c, '?' | '<' | '>') => return true,
            Some(c) if CLOSERS.contains(c) => continue,
            Some(_) => return false,
        }
    }
}

/// Byte ranges of the e-mail addresses of `text`, in order.
pub(super) fn scan(text: &str, mut emit: impl FnMut(usize, usize)) {
    let b = text.as_bytes();
    let mut from = 0;
    for at in memchr::memchr_iter(b'@', b) {
        if at < from {
            continue;
        }
        if let Some((s, e)) = address_around(text, at) {
            emit(s, e);
            from = e;
        }
    }
}

/// The address whose `@` is at `at`, if the bytes around it form one.
fn address_around(text: &str, at: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    // Local part, backwards from the `@`.
    let mut s = at;
    while s > 0 && at - s < 64 && is_local(b[s - 1]) {
        s -= 1;
    }
    if s > 0 && (is_local(b[s - 1]) || b[s - 1] == b'@') {
        // Longer than 64 bytes (base64, hashes), or the second `@` of `a@b.com@c.org`.
        return None;
    }
    // The address starts at its first letter, digit or `_`: quotes and brackets around an
    // address (`'a@b.com'`, `<a@b.com>`) are not part of it.
    while s < at && !(b[s].is_ascii_alphanumeric() || b[s] == b'_') {
        s += 1;
    }
    if s == at || b[at - 1] == b'.' || b[s..at].windows(2).any(|w| w == b"..") {
        return None;
    }
    if !char_before(text, s).is_none_or(|c| c.is_whitespace() || "(<[{\"'“‘«:;,=*|>".contains(c))
    {
        return None; // glued to a word or to symbols: binary, code or a longer token
    }
    // Domain labels, forwards.
    let mut e = at + 1;
    let mut labels = 0usize;
    let mut last_label = (e, e);
    loop {
        let ls = e;
        while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'-') && e - ls <= 63 {
            e += 1;
        }
        // A label neither starts nor ends with a hyphen; trailing hyphens end the domain.
        let mut le = e;
        while le > ls && b[le - 1] == b'-' {
            le -= 1;
        }
        if le == ls || b[ls] == b'-' || le - ls > 63 {
            if labels == 0 {
                return None;
            }
            e = last_label.1;
            break;
        }
        labels += 1;
        last_label = (ls, le);
        e = le;
        if le < b.len() && b[le] == b'.' && b.get(le + 1).is_some_and(u8::is_ascii_alphanumeric) {
            e = le + 1;
            continue;
        }
        break;
    }
    // Too few labels: back off to the last label that is a valid TLD is not attempted;
    // `user@host` and `a@b.c1` are not addresses.
    if labels < 2 {
        return None;
    }
    let tld = &text[last_label.0..last_label.1];
    let tld_ok =
        (tld.len() >= 2 && tld.len() <= 24 && tld.bytes().all(|c| c.is_ascii_alphabetic()))
            || (tld.len() > 4 && tld[..4].eq_ignore_ascii_case("xn--"));
    if !tld_ok || FILE_EXTENSIONS.iter().any(|x| tld.eq_ignore_ascii_case(x)) {
        return None;
    }
    if is_reserved_domain(&text[at + 1..e], tld) {
        return None;
    }
    if !right_delimited(text, e) {
        return None;
    }
    Some((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        scan(text, |s, e| v.push(&text[s..e]));
        v
    }

    #[test]
    fn hits() {
        assert_eq!(
            find("write to john.doe@acme-corp.com."),
            ["john.doe@acme-corp.com"]
        );
        assert_eq!(find("<ir@company.co.uk>"), ["ir@company.co.uk"]);
        assert_eq!(find("'a+b@mail.acme.org'"), ["a+b@mail.acme.org"]);
        assert_eq!(find("x@y.com, z@w.net"), ["x@y.com", "z@w.net"]);
        assert_eq!(
            find("Email: INVESTOR.RELATIONS@NFLX.COM"),
            ["INVESTOR.RELATIONS@NFLX.COM"]
        );
        assert_eq!(
            find("mailto:first_last@sub-d.example.io?x"),
            ["first_last@sub-d.example.io"]
        );
        assert_eq!(find("a@b.xn--p1ai"), ["a@b.xn--p1ai"]);
        assert_eq!(
            find("<A HREF=\"mailto:save@xs4all.nl\">save@xs4all.nl</A>"),
            ["save@xs4all.nl", "save@xs4all.nl"]
        );
    }

    #[test]
    fn near_misses() {
        for t in [
            "@AAPL rallies",
            "RT @user: hi",
            "user@localhost",
            "meet @ 5pm",
            "icon@2x.png",
            "a@b.c1",
            "price@1.25",
            "john..doe@example.com",
            "john.@example.com",
            "x@-bad.com",
            "x@.com",
            "ab@ex.c",
            "éjohn@example.com",
            "a@b.com@c.org",
            "email@example.com",
            "firstname.lastname@example.org",
            "a@mail.example.net",
            "a@b.test",
            "lore.kernel.org/30th.repost@klaava.Helsinki.FI",
            "6:PUDSY@R.S-D77.UI$.$9)>-T",
            "M\\=/#0@7FG.AS)2*UKZB",
            "x@y.com)2",
        ] {
            assert!(find(t).is_empty(), "{t}: {:?}", find(t));
        }
    }
}
