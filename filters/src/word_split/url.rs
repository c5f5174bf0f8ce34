//! spaCy's `URL_MATCH`: a remainder shaped like a URL or a host name is kept as one token
//! instead of being split at its slashes and hyphens.
//!
//! Shape accepted: optional `scheme://` (two or more of `[\w+\-.]`), optional
//! `user[:pass]@`, a host of dot-separated labels ending in a lower-case top-level label
//! of 2 to 63 letters, optional `:port` (2 to 5 digits), optional `/`, `?` or `#` and
//! anything after. The IPv4 branch of the upstream pattern is not reproduced.

use super::classes::is_lower;

pub(super) fn matches(s: &str) -> bool {
    // Cheap rejection: every URL here has a dot in its host.
    if !s.as_bytes().contains(&b'.') {
        return false;
    }
    let mut rest = s;
    if let Some(i) = rest.find("://") {
        let scheme = &rest[..i];
        if scheme.chars().count() >= 2
            && scheme
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '+' | '-' | '.'))
        {
            rest = &rest[i + 3..];
        }
    }
    // `(?:\S+(?::\S*)?@)?` is greedy: try after the last `@` first, then without user info.
    if let Some(i) = rest.rfind('@')
        && i > 0
        && host_port_path(&rest[i + 1..])
    {
        return true;
    }
    host_port_path(rest)
}

fn host_port_path(s: &str) -> bool {
    let host_end = s.find([':', '/', '?', '#']).unwrap_or(s.len());
    let (host, tail) = s.split_at(host_end);
    if !host_ok(host) {
        return false;
    }
    let tail = if let Some(t) = tail.strip_prefix(':') {
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if !(2..=5).contains(&digits) {
            return false;
        }
        &t[digits..]
    } else {
        tail
    };
    tail.is_empty() || tail.starts_with(['/', '?', '#'])
}

fn label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('\u{a1}'..='\u{ffff}').contains(&c)
}

fn host_ok(host: &str) -> bool {
    let Some((labels, tld)) = host.rsplit_once('.') else {
        return false;
    };
    let tld_len = tld.chars().count();
    if !(2..=63).contains(&tld_len) || !tld.chars().all(is_lower) {
        return false;
    }
    if labels.is_empty() {
        return false;
    }
    labels.split('.').all(|label| {
        let n = label.chars().count();
        (1..=64).contains(&n)
            && label.chars().next().is_some_and(label_char)
            && label.chars().next_back().is_some_and(label_char)
            && label.chars().all(|c| label_char(c) || c == '_' || c == '-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(matches("https://example.com/a-b"));
        assert!(matches("www.example.org"));
        assert!(matches("example.com:8080/x?y=1"));
        assert!(matches("user@mail.example.com"));
        assert!(!matches("e.g"));
        assert!(!matches("end.The"));
        assert!(!matches("3.5"));
        assert!(!matches("hello"));
    }
}
