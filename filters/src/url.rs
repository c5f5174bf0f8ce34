//! URL blocklist filter in the manner of RefinedWeb and datatrove's `URLFilter`.
//!
//! A document is dropped, in this order, when its URL's host
//! 1. is on the domain blocklist, or is a subdomain of an entry (`example.com` blocks
//!    `www.example.com` and `a.b.example.com`, never `notexample.com`): `url_blocklist_domain`;
//! 2. with its path starts with an entry of the URL blocklist (UT1 `urls` files are
//!    scheme-less `host/path` prefixes; the entry's host matches subdomains as in 1):
//!    `url_blocklist_url`;
//! 3. has a token (a maximal run of ASCII letters and digits of the lower-cased URL) that is
//!    a banned word: `url_banned_word`;
//! 4. has at least `soft_word_threshold` distinct soft-banned words among its tokens:
//!    `url_soft_banned_words`;
//! 5. contains a banned sub-word anywhere in its normalised form (lower-cased, everything
//!    but ASCII letters and digits removed): `url_banned_subword`.
//!
//! A host on the allow-list (exact or as a subdomain) overrides all of these. Documents
//! without a URL are kept: the filter has nothing to judge.
//!
//! Differences from datatrove, on purpose: datatrove matches the domain list against the
//! registered domain and the full host only (so an entry `b.example.com` does not block
//! `a.b.example.com`), compares the URL list with the whole URL string (UT1 URL entries have
//! no scheme, so they never match there), and splits the URL into words without lower-casing
//! it. Here every host suffix is checked, URL entries are prefixes of `host/path`, and the
//! URL is lower-cased once, so `PornHub.com` and `pornhub.com` are judged alike.
//!
//! Cost per URL: one buffer (the lower-cased URL followed by its normalised form), one hash
//! lookup per host label for each of the domain, URL and allow lists, one per token for
//! the word lists, and one Aho-Corasick pass over the normalised URL.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use crate::verdict::{Signal, Verdict};

/// Signal: number of distinct soft-banned words among the URL's tokens.
pub const SIGNAL_SOFT_BANNED_COUNT: &str = "url_soft_banned_count";

/// Reason: the host is (a subdomain of) a blocked domain.
pub const REASON_DOMAIN: &str = "url_blocklist_domain";
/// Reason: `host/path` starts with a blocked URL prefix.
pub const REASON_URL: &str = "url_blocklist_url";
/// Reason: a URL token is a banned word.
pub const REASON_BANNED_WORD: &str = "url_banned_word";
/// Reason: too many soft-banned words among the URL tokens.
pub const REASON_SOFT_BANNED: &str = "url_soft_banned_words";
/// Reason: the normalised URL contains a banned sub-word.
pub const REASON_BANNED_SUBWORD: &str = "url_banned_subword";

/// datatrove's default number of soft-banned words that drops a URL.
pub const DEFAULT_SOFT_WORD_THRESHOLD: usize = 2;

/// Errors building a [`UrlFilter`].
#[derive(Debug, thiserror::Error)]
pub enum UrlFilterError {
    /// The sub-word automaton could not be built (the pattern set is too large).
    #[error("cannot build the banned sub-word matcher: {0}")]
    SubwordMatcher(#[from] aho_corasick::BuildError),
    /// A threshold of zero would drop every URL.
    #[error("soft_word_threshold must be at least 1")]
    ZeroSoftThreshold,
}

/// The non-empty, non-comment entries of a list file's contents: lines are trimmed, and
/// lines that are empty or start with `#` are skipped (datatrove's word lists use `#` to
/// disable entries such as `#ass`, which live in the soft list instead).
pub fn list_entries(contents: &str) -> impl Iterator<Item = &str> {
    contents
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// The parts of a URL the filter looks at, as slices of the lower-cased URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// The host: no scheme, userinfo, port or trailing dot; IPv6 brackets kept.
    pub host: &'a str,
    /// Everything after the host and port (`/path?query#fragment`), possibly empty.
    pub rest: &'a str,
}

/// Splits an (already lower-cased) URL into host and the rest. Accepts scheme-less URLs
/// (`example.com/x`), scheme-relative ones (`//example.com`), userinfo, ports and
/// trailing dots. Internationalised hosts are returned as they are (no punycode).
pub fn split_url(url: &str) -> UrlParts<'_> {
    let url = url.trim();
    let after_scheme = match url.find("://") {
        Some(pos) if !url[..pos].contains(['/', '?', '#']) => &url[pos + 3..],
        _ => url.strip_prefix("//").unwrap_or(url),
    };
    let authority_end = after_scheme
        .find(['/', '?', '#', '\\'])
        .unwrap_or(after_scheme.len());
    let (authority, rest) = after_scheme.split_at(authority_end);
    let host_port = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let host = if host_port.starts_with('[') {
        match host_port.find(']') {
            Some(end) => &host_port[..=end],
            None => host_port,
        }
    } else {
        match host_port.find(':') {
            Some(colon) => &host_port[..colon],
            None => host_port,
        }
    };
    UrlParts {
        host: host.trim_end_matches('.'),
        rest,
    }
}

/// Normalises a domain-list entry: trimmed, lower-cased, scheme, path, `*.` wildcard and
/// leading/trailing dots removed. Returns `None` for an empty entry.
fn normalize_domain(entry: &str) -> Option<String> {
    let lower = entry.trim().to_ascii_lowercase();
    let parts = split_url(&lower);
    let host = parts.host.trim_start_matches("*.").trim_matches('.');
    (!host.is_empty()).then(|| host.to_owned())
}

/// Normalises a word-list entry as datatrove does: lower-cased, with every character that
/// is not an ASCII letter or digit removed (`2 girls 1 cup` becomes `2girls1cup`).
fn normalize_word(entry: &str) -> Option<String> {
    let word: String = entry
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Sets and maps keyed by short strings: xxh3 hashes them several times faster than the
/// default SipHash, and the keys come from public lists, not from an adversary.
type FastSet = HashSet<Box<str>, Xxh3DefaultBuilder>;
type FastMap<V> = HashMap<Box<str>, V, Xxh3DefaultBuilder>;

/// Host suffixes at label boundaries, longest first: `a.b.c` → `a.b.c`, `b.c`, `c`.
fn host_suffixes(host: &str) -> impl Iterator<Item = &str> {
    std::iter::once(host).chain(
        host.match_indices('.')
            .map(move |(pos, _)| &host[pos + 1..])
            .filter(|suffix| !suffix.is_empty()),
    )
}

/// Builder for [`UrlFilter`]. Every list starts empty; entries are normalised on insertion.
#[derive(Debug, Clone)]
pub struct UrlFilterBuilder {
    blocked_domains: FastSet,
    blocked_urls: FastMap<Vec<Box<str>>>,
    allowed_domains: FastSet,
    banned_words: FastSet,
    banned_subwords: Vec<String>,
    soft_banned_words: FastMap<usize>,
    soft_word_threshold: usize,
}

impl Default for UrlFilterBuilder {
    fn default() -> Self {
        UrlFilterBuilder {
            blocked_domains: FastSet::with_hasher(Xxh3DefaultBuilder::new()),
            blocked_urls: FastMap::with_hasher(Xxh3DefaultBuilder::new()),
            allowed_domains: FastSet::with_hasher(Xxh3DefaultBuilder::new()),
            banned_words: FastSet::with_hasher(Xxh3DefaultBuilder::new()),
            banned_subwords: Vec::new(),
            soft_banned_words: FastMap::with_hasher(Xxh3DefaultBuilder::new()),
            soft_word_threshold: DEFAULT_SOFT_WORD_THRESHOLD,
        }
    }
}

impl UrlFilterBuilder {
    /// Blocks these domains and all their subdomains (UT1 `domains` entries).
    pub fn block_domains<I, S>(mut self, domains: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for domain in domains {
            if let Some(domain) = normalize_domain(domain.as_ref()) {
                self.blocked_domains.insert(domain.into());
            }
        }
        self
    }

    /// Blocks URLs whose `host/path` starts with one of these prefixes (UT1 `urls`
    /// entries such as `020sextoy.com/sk`; a scheme, if present, is ignored). Matching is
    /// case-insensitive and the prefix's host also matches its subdomains.
    pub fn block_urls<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for url in urls {
            let lower = url.as_ref().trim().to_ascii_lowercase();
            let parts = split_url(&lower);
            let host = parts.host.trim_start_matches("www.");
            if host.is_empty() {
                continue;
            }
            // Without the fragment: a prefix never needs one, and it would never match.
            let path = parts.rest.split('#').next().unwrap_or_default();
            let paths = self.blocked_urls.entry(host.into()).or_default();
            if !paths.iter().any(|p| p.as_ref() == path) {
                paths.push(path.into());
            }
        }
        self
    }

    /// Never drops URLs on these domains or their subdomains, whatever the other lists say.
    pub fn allow_domains<I, S>(mut self, domains: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for domain in domains {
            if let Some(domain) = normalize_domain(domain.as_ref()) {
                self.allowed_domains.insert(domain.into());
            }
        }
        self
    }

    /// Drops URLs having one of these words as a whole token.
    pub fn banned_words<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for word in words {
            if let Some(word) = normalize_word(word.as_ref()) {
                self.banned_words.insert(word.into());
            }
        }
        self
    }

    /// Drops URLs whose normalised form contains one of these anywhere.
    pub fn banned_subwords<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for word in words {
            if let Some(word) = normalize_word(word.as_ref())
                && !self.banned_subwords.contains(&word)
            {
                self.banned_subwords.push(word);
            }
        }
        self
    }

    /// Drops URLs with at least `soft_word_threshold` distinct words of this list as tokens.
    pub fn soft_banned_words<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for word in words {
            if let Some(word) = normalize_word(word.as_ref()) {
                let next = self.soft_banned_words.len();
                self.soft_banned_words.entry(word.into()).or_insert(next);
            }
        }
        self
    }

    /// How many distinct soft-banned words drop a URL (datatrove: 2).
    pub fn soft_word_threshold(mut self, threshold: usize) -> Self {
        self.soft_word_threshold = threshold;
        self
    }

    /// Builds the filter.
    pub fn build(self) -> Result<UrlFilter, UrlFilterError> {
        if self.soft_word_threshold == 0 {
            return Err(UrlFilterError::ZeroSoftThreshold);
        }
        let subwords = if self.banned_subwords.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&self.banned_subwords)?,
            )
        };
        Ok(UrlFilter {
            blocked_domains: self.blocked_domains,
            blocked_urls: self.blocked_urls,
            allowed_domains: self.allowed_domains,
            banned_words: self.banned_words,
            subwords,
            soft_banned_words: self.soft_banned_words,
            soft_word_threshold: self.soft_word_threshold,
        })
    }
}

/// URL blocklist filter; see the module documentation for the rules and their order.
#[derive(Debug, Clone)]
pub struct UrlFilter {
    blocked_domains: FastSet,
    blocked_urls: FastMap<Vec<Box<str>>>,
    allowed_domains: FastSet,
    banned_words: FastSet,
    subwords: Option<AhoCorasick>,
    soft_banned_words: FastMap<usize>,
    soft_word_threshold: usize,
}

impl UrlFilter {
    /// A builder with empty lists and datatrove's soft-word threshold.
    pub fn builder() -> UrlFilterBuilder {
        UrlFilterBuilder::default()
    }

    /// Number of blocked domains.
    pub fn blocked_domain_count(&self) -> usize {
        self.blocked_domains.len()
    }

    /// Judges a document by its URL; `text` is not read (it is there so that every filter
    /// has the same shape). A document without a URL is kept.
    pub fn check(&self, _text: &str, url: Option<&str>) -> Verdict {
        match url {
            Some(url) => self.check_url(url),
            None => Verdict::keep(vec![Signal {
                name: SIGNAL_SOFT_BANNED_COUNT,
                value: 0.0,
            }]),
        }
    }

    /// Judges one URL.
    pub fn check_url(&self, url: &str) -> Verdict {
        // One buffer: the lower-cased URL, then its normalised (alphanumeric-only) form.
        let mut buf = String::with_capacity(url.len() * 2);
        for c in url.chars() {
            buf.push(c.to_ascii_lowercase());
        }
        let lower_len = buf.len();
        for c in url.chars().filter(char::is_ascii_alphanumeric) {
            buf.push(c.to_ascii_lowercase());
        }
        let (lower, normalized) = buf.split_at(lower_len);
        let parts = split_url(lower);

        let (banned_word, soft) = self.scan_tokens(lower);
        let signals = vec![Signal {
            name: SIGNAL_SOFT_BANNED_COUNT,
            value: soft as f64,
        }];

        if host_suffixes(parts.host).any(|s| self.allowed_domains.contains(s)) {
            return Verdict::keep(signals);
        }
        if host_suffixes(parts.host).any(|s| self.blocked_domains.contains(s)) {
            return Verdict::drop(REASON_DOMAIN, signals);
        }
        if self.url_listed(parts) {
            return Verdict::drop(REASON_URL, signals);
        }
        if banned_word {
            return Verdict::drop(REASON_BANNED_WORD, signals);
        }
        if soft >= self.soft_word_threshold {
            return Verdict::drop(REASON_SOFT_BANNED, signals);
        }
        if let Some(ac) = &self.subwords
            && ac.is_match(normalized)
        {
            return Verdict::drop(REASON_BANNED_SUBWORD, signals);
        }
        Verdict::keep(signals)
    }

    /// Whether `host/path` starts with a listed URL prefix.
    fn url_listed(&self, parts: UrlParts<'_>) -> bool {
        if self.blocked_urls.is_empty() {
            return false;
        }
        host_suffixes(parts.host).any(|suffix| {
            self.blocked_urls
                .get(suffix)
                .is_some_and(|paths| paths.iter().any(|p| parts.rest.starts_with(p.as_ref())))
        })
    }

    /// One pass over the tokens: whether one is a banned word, and how many distinct
    /// soft-banned words there are (a token repeated counts once).
    fn scan_tokens(&self, lower: &str) -> (bool, usize) {
        if self.banned_words.is_empty() && self.soft_banned_words.is_empty() {
            return (false, 0);
        }
        let mut banned = false;
        let mut seen: Vec<usize> = Vec::new();
        for token in tokens(lower) {
            banned |= self.banned_words.contains(token);
            if let Some(&index) = self.soft_banned_words.get(token)
                && !seen.contains(&index)
            {
                seen.push(index);
            }
        }
        (banned, seen.len())
    }
}

impl crate::filter::Filter for UrlFilter {
    fn name(&self) -> &'static str {
        "url"
    }

    fn check(&self, doc: &crate::filter::Document<'_>) -> Verdict {
        UrlFilter::check(self, doc.text(), doc.url())
    }
}

/// Maximal runs of ASCII letters and digits (datatrove splits on `[^a-zA-Z0-9]+`).
fn tokens(lower: &str) -> impl Iterator<Item = &str> {
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
}

/// `[filter.url]` as a job writes it: blocklists as files (UT1 `domains` / `urls` files,
/// one entry per line) and word lists (one word per line, as datatrove ships them), each
/// relative to the job file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UrlSettings {
    pub block_domain_files: Vec<String>,
    pub block_url_files: Vec<String>,
    pub allow_domain_files: Vec<String>,
    pub banned_word_files: Vec<String>,
    pub banned_subword_files: Vec<String>,
    pub soft_banned_word_files: Vec<String>,
    /// Drop a URL with at least this many soft-banned words.
    pub soft_word_threshold: Option<usize>,
}

/// `[filter.url]`: domain and URL blocklists, banned words in URLs.
pub const DEF: crate::registry::FilterDef = crate::registry::FilterDef {
    name: "url",
    about: "URL blocklists (UT1 domains and URLs) and banned words in URLs",
    build: |settings| {
        let s: UrlSettings = settings.parse()?;
        let mut builder = UrlFilter::builder()
            .block_domains(settings.read_entries("block_domain_files", &s.block_domain_files)?)
            .block_urls(settings.read_entries("block_url_files", &s.block_url_files)?)
            .allow_domains(settings.read_entries("allow_domain_files", &s.allow_domain_files)?)
            .banned_words(settings.read_entries("banned_word_files", &s.banned_word_files)?)
            .banned_subwords(
                settings.read_entries("banned_subword_files", &s.banned_subword_files)?,
            )
            .soft_banned_words(
                settings.read_entries("soft_banned_word_files", &s.soft_banned_word_files)?,
            );
        if let Some(threshold) = s.soft_word_threshold {
            builder = builder.soft_word_threshold(threshold);
        }
        let filter = builder
            .build()
            .map_err(|e| crate::registry::BuildError::new("soft_word_threshold", e.to_string()))?;
        Ok(Box::new(filter))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_url_handles_odd_forms() {
        let cases = [
            ("http://www.example.com/a?b", "www.example.com", "/a?b"),
            ("example.com", "example.com", ""),
            ("example.com/x/y", "example.com", "/x/y"),
            ("//cdn.example.com/x", "cdn.example.com", "/x"),
            (
                "https://user:pw@shop.example.com:8443/p",
                "shop.example.com",
                "/p",
            ),
            ("http://example.com./", "example.com", "/"),
            ("http://[::1]:80/x", "[::1]", "/x"),
            ("http://bücher.de/x", "bücher.de", "/x"),
            (
                "example.com?q=http://evil.com",
                "example.com",
                "?q=http://evil.com",
            ),
            ("  http://example.com#frag  ", "example.com", "#frag"),
        ];
        for (url, host, rest) in cases {
            assert_eq!(split_url(url), UrlParts { host, rest }, "{url}");
        }
    }

    #[test]
    fn domains_match_exactly_and_as_suffix_only() {
        let f = UrlFilter::builder()
            .block_domains(["Example.com.", "*.bad.org", "http://x.net/whatever"])
            .build()
            .unwrap();
        for url in [
            "http://example.com",
            "https://WWW.EXAMPLE.COM/path",
            "a.b.example.com:8080",
            "https://u@example.com./",
            "http://bad.org",
            "http://sub.x.net",
        ] {
            assert_eq!(f.check_url(url).drop_reason, Some(REASON_DOMAIN), "{url}");
        }
        for url in [
            "http://notexample.com",
            "http://example.com.au",
            "http://example.co",
            "http://ok.com/example.com",
            "http://ok.com/?r=example.com",
        ] {
            assert!(f.check_url(url).is_keep(), "{url}");
        }
    }

    #[test]
    fn url_prefixes_match_host_and_path() {
        let f = UrlFilter::builder()
            .block_urls(["020sextoy.com/sk", "www.site.org/Bad/Page"])
            .build()
            .unwrap();
        assert_eq!(
            f.check_url("http://020sextoy.com/sk/anything").drop_reason,
            Some(REASON_URL)
        );
        assert_eq!(
            f.check_url("https://www.site.org/bad/page?x=1").drop_reason,
            Some(REASON_URL)
        );
        assert!(f.check_url("http://020sextoy.com/").is_keep());
        assert!(f.check_url("http://site.org/good").is_keep());
        assert!(f.check_url("http://other.com/020sextoy.com/sk").is_keep());
    }

    #[test]
    fn words_are_whole_tokens_subwords_are_substrings() {
        let f = UrlFilter::builder()
            .banned_words(["porn", "#ass"])
            .banned_subwords(["big tits"])
            .soft_banned_words(["sex", "cam", "girls"])
            .build()
            .unwrap();
        assert_eq!(
            f.check_url("http://x.com/free-PORN-videos").drop_reason,
            Some(REASON_BANNED_WORD)
        );
        // Not a token: `pornography` is one token, and `#ass` normalises to `ass`.
        assert!(f.check_url("http://x.com/pornography").is_keep());
        assert_eq!(
            f.check_url("http://x.com/ass").drop_reason,
            Some(REASON_BANNED_WORD)
        );
        assert_eq!(
            f.check_url("http://x.com/BigTits/1").drop_reason,
            Some(REASON_BANNED_SUBWORD)
        );
        let one = f.check_url("http://x.com/sex/sex/sex");
        assert!(one.is_keep());
        assert_eq!(one.signal(SIGNAL_SOFT_BANNED_COUNT), Some(1.0));
        let two = f.check_url("http://cam.x.com/sex");
        assert_eq!(two.drop_reason, Some(REASON_SOFT_BANNED));
        assert_eq!(two.signal(SIGNAL_SOFT_BANNED_COUNT), Some(2.0));
    }

    #[test]
    fn allow_list_overrides_everything() {
        let f = UrlFilter::builder()
            .block_domains(["example.com"])
            .banned_words(["porn"])
            .allow_domains(["safe.example.com"])
            .build()
            .unwrap();
        assert!(f.check_url("http://a.safe.example.com/porn").is_keep());
        assert_eq!(
            f.check_url("http://example.com").drop_reason,
            Some(REASON_DOMAIN)
        );
    }

    #[test]
    fn missing_url_is_kept_and_zero_threshold_rejected() {
        let f = UrlFilter::builder()
            .block_domains(["a.com"])
            .build()
            .unwrap();
        assert!(f.check("text", None).is_keep());
        assert!(matches!(
            UrlFilter::builder().soft_word_threshold(0).build(),
            Err(UrlFilterError::ZeroSoftThreshold)
        ));
    }

    #[test]
    fn works_through_the_filter_trait() {
        use crate::filter::{Document, Filter};
        let f = UrlFilter::builder()
            .block_domains(["bad.com"])
            .build()
            .unwrap();
        let f: &dyn Filter = &f;
        assert_eq!(f.name(), "url");
        let doc = Document::new("text", Some("http://x.bad.com/"));
        assert_eq!(f.check(&doc).drop_reason, Some(REASON_DOMAIN));
        assert!(f.check(&Document::new("text", None)).is_keep());
    }

    #[test]
    fn list_entries_skip_comments_and_blanks() {
        let got: Vec<&str> = list_entries("a\n\n#b\n c \r\nd").collect();
        assert_eq!(got, ["a", "c", "d"]);
    }
}
