//! Text and URL normalisation for exact dedup.
//!
//! Exact dedup compares a hash of the normalised text, so the normalisation decides what
//! "the same document" means: byte-identical (`None`), identical up to layout
//! (`Whitespace`), or identical up to layout and letter case (`WhitespaceCase`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// How text is normalised before exact hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextNorm {
    /// Hash the bytes as they are.
    None,
    /// Collapse every run of Unicode whitespace to one space and trim both ends, so a
    /// re-wrapped or re-indented copy is still a duplicate.
    #[default]
    Whitespace,
    /// As `Whitespace`, and lowercase with Unicode case mapping.
    WhitespaceCase,
}

/// The text as the exact deduper sees it under `norm`. Borrows when nothing changes.
pub fn normalize_text(text: &str, norm: TextNorm) -> Cow<'_, str> {
    match norm {
        TextNorm::None => Cow::Borrowed(text),
        TextNorm::Whitespace => collapse_whitespace(text),
        TextNorm::WhitespaceCase => {
            let collapsed = collapse_whitespace(text);
            if collapsed.chars().any(|c| c.is_uppercase()) {
                Cow::Owned(collapsed.to_lowercase())
            } else {
                collapsed
            }
        }
    }
}

/// Collapses whitespace runs to one ASCII space and trims; borrows if already canonical.
fn collapse_whitespace(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    let canonical = {
        let mut prev_space = false;
        trimmed.chars().all(|c| {
            let ok = if c.is_whitespace() {
                c == ' ' && !prev_space
            } else {
                true
            };
            prev_space = c.is_whitespace();
            ok
        })
    };
    if canonical {
        return Cow::Borrowed(trimmed);
    }
    let mut out = String::with_capacity(trimmed.len());
    for word in trimmed.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

/// How URLs are normalised before URL dedup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlNorm {
    /// Compare the URL string as given. This is dolma's `dedupe.documents.key` behaviour
    /// (an exact Bloom-filter key, no normalisation).
    Exact,
    /// Trim surrounding whitespace, lowercase the scheme and host, drop a default port
    /// (`:80` for http, `:443` for https), drop the `#fragment`, and write an empty path
    /// as `/` (RFC 3986 treats `http://a.com` and `http://a.com/` as the same resource).
    /// A trailing slash on a longer path is kept: `/a` and `/a/` may be different pages.
    #[default]
    Canonical,
    /// As `Canonical`, and also drop one trailing `/` from a non-root path, for corpora
    /// where `/a` and `/a/` are known to be the same page.
    CanonicalNoTrailingSlash,
}

/// The URL as the URL deduper sees it under `norm`.
///
/// Strings without a `scheme://` are treated as opaque and only trimmed (and have their
/// fragment dropped under the canonical modes), so malformed URLs still dedup exactly.
pub fn normalize_url(url: &str, norm: UrlNorm) -> Cow<'_, str> {
    if norm == UrlNorm::Exact {
        return Cow::Borrowed(url);
    }
    let url = url.trim();
    let url = match url.find('#') {
        Some(i) => &url[..i],
        None => url,
    };
    let Some(scheme_end) = url.find("://") else {
        return Cow::Borrowed(url);
    };
    let scheme = url[..scheme_end].to_ascii_lowercase();
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    // Userinfo keeps its case; only the host is case-insensitive.
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => authority.split_at(i + 1),
        None => ("", authority),
    };
    let mut host = hostport.to_lowercase();
    let default_port = match scheme.as_str() {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    if let Some(port) = default_port
        && host.ends_with(port)
    {
        host.truncate(host.len() - port.len());
    }
    let (path, query) = match path_and_query.find('?') {
        Some(i) => path_and_query.split_at(i),
        None => (path_and_query, ""),
    };
    let mut path = if path.is_empty() { "/" } else { path };
    if norm == UrlNorm::CanonicalNoTrailingSlash && path.len() > 1 && path.ends_with('/') {
        path = &path[..path.len() - 1];
    }
    let mut out = String::with_capacity(url.len() + 1);
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(userinfo);
    out.push_str(&host);
    out.push_str(path);
    out.push_str(query);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_collapses_and_trims() {
        assert_eq!(
            normalize_text("  a\t\nb  c ", TextNorm::Whitespace),
            "a b c"
        );
        assert!(matches!(
            normalize_text("a b", TextNorm::Whitespace),
            Cow::Borrowed(_)
        ));
        assert_eq!(normalize_text("  a\t\nb ", TextNorm::None), "  a\t\nb ");
    }

    #[test]
    fn whitespace_case_lowercases_unicode() {
        assert_eq!(
            normalize_text(" ÉCOLE  Straße\n", TextNorm::WhitespaceCase),
            "école straße"
        );
    }

    #[test]
    fn url_canonical_rules() {
        let c = |u| normalize_url(u, UrlNorm::Canonical).into_owned();
        assert_eq!(c("HTTP://Example.COM"), "http://example.com/");
        assert_eq!(
            c("http://example.com:80/a/B?x=1#top"),
            "http://example.com/a/B?x=1"
        );
        assert_eq!(c("https://example.com:443/a/"), "https://example.com/a/");
        assert_eq!(
            c("https://example.com:8443/a"),
            "https://example.com:8443/a"
        );
        assert_eq!(
            c("https://User@Example.com?q"),
            "https://User@example.com/?q"
        );
        assert_eq!(c(" not a url#frag "), "not a url");
        let s = |u| normalize_url(u, UrlNorm::CanonicalNoTrailingSlash).into_owned();
        assert_eq!(s("http://a.com/x/"), "http://a.com/x");
        assert_eq!(s("http://a.com/"), "http://a.com/");
        assert_eq!(
            normalize_url("HTTP://A.com/#x", UrlNorm::Exact),
            "HTTP://A.com/#x"
        );
    }
}
