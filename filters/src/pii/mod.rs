//! Redaction of personal data: e-mail addresses, public IP addresses and, optionally,
//! phone numbers, payment card numbers and IBANs.
//!
//! Defaults follow FineWeb's use of datatrove's `PIIFormatter`: e-mail and public IP on,
//! everything else off. Each kind is found by a hand-written scanner rather than a regex
//! over the whole text: e-mail from each `@` (memchr), the numeric kinds from each digit
//! run (a word-at-a-time digit search), so clean prose costs little more than two memory
//! passes. All scanners require the candidate to stand alone as a token and validate it
//! (public address ranges, numbering plan, Luhn, mod 97), because finance text is full of
//! digit groups that look like PII to a loose pattern: dates, accession numbers, CUSIPs,
//! section and version numbers, table rows.
//!
//! Placeholders default to `<EMAIL_ADDRESS>`, `<IP_ADDRESS>`, `<PHONE_NUMBER>`,
//! `<CREDIT_CARD>` and `<IBAN>`. The names are Presidio's entity names, which dolma's PII
//! tagger also uses (dolma writes them as `|||EMAIL_ADDRESS|||`); datatrove instead
//! substitutes realistic fake values (`email@example.com`, rotating random public IPs).
//! A fixed tag is chosen because it is deterministic (datatrove's rotation depends on how
//! many replacements came before in the same worker), it can never be mistaken for, or
//! re-detected as, real data (datatrove's fake IPs are themselves public addresses), and
//! it can be counted or mapped to a special token downstream. `<...>` reads better than
//! dolma's `|||...|||` and is what the Presidio anonymizer emits.
//!
//! Hits of different kinds never overlap: when they would, the one that starts first (the
//! longer one on a tie) is kept. `max_per_doc` follows dolma's practice of removing
//! documents with many PII spans (dolma drops past 5) instead of editing them: such pages
//! are directories and contact lists whose remaining text is of little use.

mod bounds;
mod card;
mod email;
mod iban;
mod ip;
mod phone;

pub mod filter;

use std::ops::Range;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The kinds of personal data the redactor finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Email,
    Ip,
    Phone,
    CreditCard,
    Iban,
}

impl PiiKind {
    /// Every kind, in report order.
    pub const ALL: [PiiKind; 5] = [
        PiiKind::Email,
        PiiKind::Ip,
        PiiKind::Phone,
        PiiKind::CreditCard,
        PiiKind::Iban,
    ];

    /// Stable name for reports and signal names (`email`, `ip`, `phone`, `credit_card`,
    /// `iban`).
    pub fn name(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Ip => "ip",
            PiiKind::Phone => "phone",
            PiiKind::CreditCard => "credit_card",
            PiiKind::Iban => "iban",
        }
    }
}

/// The text written in place of each kind of hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PiiPlaceholders {
    pub email: String,
    pub ip: String,
    pub phone: String,
    pub credit_card: String,
    pub iban: String,
}

impl Default for PiiPlaceholders {
    fn default() -> Self {
        PiiPlaceholders {
            email: "<EMAIL_ADDRESS>".into(),
            ip: "<IP_ADDRESS>".into(),
            phone: "<PHONE_NUMBER>".into(),
            credit_card: "<CREDIT_CARD>".into(),
            iban: "<IBAN>".into(),
        }
    }
}

impl PiiPlaceholders {
    /// The placeholder of `kind`.
    pub fn get(&self, kind: PiiKind) -> &str {
        match kind {
            PiiKind::Email => &self.email,
            PiiKind::Ip => &self.ip,
            PiiKind::Phone => &self.phone,
            PiiKind::CreditCard => &self.credit_card,
            PiiKind::Iban => &self.iban,
        }
    }
}

/// Which kinds to redact, with what, and when to give up on a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PiiConfig {
    /// E-mail addresses (default on, as in FineWeb).
    pub email: bool,
    /// Public IPv4 and IPv6 addresses (default on, as in FineWeb).
    pub ip: bool,
    /// International `+CC ...` and North American phone numbers (default off).
    pub phone: bool,
    /// Luhn-valid payment card numbers with a card network prefix (default off).
    pub credit_card: bool,
    /// Mod-97-valid IBANs (default off).
    pub iban: bool,
    /// Replacement text per kind.
    pub placeholders: PiiPlaceholders,
    /// More hits than this in one document drop it instead of redacting it (dolma
    /// style); `None` (default) never drops. `Some(0)` drops every document with a hit.
    pub max_per_doc: Option<usize>,
    /// Leave dotted quads after a numbering word (`Section 1.2.3.4`, `version 2.1.0.9`)
    /// alone even when they read as public addresses (default on; off matches datatrove).
    pub ip_skip_numbering_context: bool,
}

impl Default for PiiConfig {
    fn default() -> Self {
        PiiConfig {
            email: true,
            ip: true,
            phone: false,
            credit_card: false,
            iban: false,
            placeholders: PiiPlaceholders::default(),
            max_per_doc: None,
            ip_skip_numbering_context: true,
        }
    }
}

/// Why a [`PiiConfig`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PiiConfigError {
    /// Every kind is off: the redactor would do nothing, which is never what a config that
    /// names it means. Leave the stage out instead.
    #[error("PII redaction enables no kind (email, ip, phone, credit_card, iban are all false)")]
    NoKindEnabled,
    /// An empty placeholder deletes the hit and glues its neighbours together.
    #[error("PII placeholder for `{}` is empty", .0.name())]
    EmptyPlaceholder(PiiKind),
    /// Placeholders are inserted into training text: line breaks and control characters
    /// would change its structure.
    #[error("PII placeholder for `{}` contains a control character or line break", .0.name())]
    ControlInPlaceholder(PiiKind),
    /// A placeholder that is itself detected (such as a real-looking address) makes
    /// redaction non-idempotent: a second pass would count and replace it again.
    #[error("PII placeholder for `{}` ({placeholder:?}) is itself detected as `{}`", .kind.name(), .detected.name())]
    PlaceholderDetected {
        kind: PiiKind,
        placeholder: String,
        detected: PiiKind,
    },
}

impl PiiConfig {
    /// Whether `kind` is enabled.
    pub fn enabled(&self, kind: PiiKind) -> bool {
        match kind {
            PiiKind::Email => self.email,
            PiiKind::Ip => self.ip,
            PiiKind::Phone => self.phone,
            PiiKind::CreditCard => self.credit_card,
            PiiKind::Iban => self.iban,
        }
    }

    /// Checks the settings; [`PiiRedactor::new`] calls it.
    pub fn validate(&self) -> Result<(), PiiConfigError> {
        if !PiiKind::ALL.iter().any(|&k| self.enabled(k)) {
            return Err(PiiConfigError::NoKindEnabled);
        }
        let scanner = PiiRedactor {
            config: self.clone(),
        };
        for kind in PiiKind::ALL.into_iter().filter(|&k| self.enabled(k)) {
            let p = self.placeholders.get(kind);
            if p.is_empty() {
                return Err(PiiConfigError::EmptyPlaceholder(kind));
            }
            if p.chars().any(char::is_control) {
                return Err(PiiConfigError::ControlInPlaceholder(kind));
            }
            // Surrounded by spaces, as it will be in text.
            if let Some(hit) = scanner.find(&format!(" {p} ")).first() {
                return Err(PiiConfigError::PlaceholderDetected {
                    kind,
                    placeholder: p.to_owned(),
                    detected: hit.kind,
                });
            }
        }
        Ok(())
    }
}

/// One piece of personal data: its kind and byte range in the input text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiHit {
    pub kind: PiiKind,
    pub range: Range<usize>,
}

/// Hits per kind in one document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PiiCounts {
    pub email: usize,
    pub ip: usize,
    pub phone: usize,
    pub credit_card: usize,
    pub iban: usize,
}

impl PiiCounts {
    /// Count of `kind`.
    pub fn get(&self, kind: PiiKind) -> usize {
        match kind {
            PiiKind::Email => self.email,
            PiiKind::Ip => self.ip,
            PiiKind::Phone => self.phone,
            PiiKind::CreditCard => self.credit_card,
            PiiKind::Iban => self.iban,
        }
    }

    fn add(&mut self, kind: PiiKind) {
        match kind {
            PiiKind::Email => self.email += 1,
            PiiKind::Ip => self.ip += 1,
            PiiKind::Phone => self.phone += 1,
            PiiKind::CreditCard => self.credit_card += 1,
            PiiKind::Iban => self.iban += 1,
        }
    }

    /// All hits.
    pub fn total(&self) -> usize {
        self.email + self.ip + self.phone + self.credit_card + self.iban
    }
}

/// What redaction did to one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiOutcome {
    /// The redacted text; `None` when there was nothing to replace, or when the document
    /// is dropped (`over_limit`) and editing it would be wasted work.
    pub text: Option<String>,
    /// Hits per kind.
    pub counts: PiiCounts,
    /// The hits, in text order, with byte ranges into the input.
    pub hits: Vec<PiiHit>,
    /// More hits than `max_per_doc`: the document should be dropped.
    pub over_limit: bool,
}

impl PiiOutcome {
    /// Whether the document should be dropped (`max_per_doc` exceeded).
    pub fn should_drop(&self) -> bool {
        self.over_limit
    }
}

/// Finds and replaces personal data in documents. Stateless between documents, so one
/// redactor can be shared by threads, and its output depends on the document alone.
/// `Default` is FineWeb's setting: e-mail and public IP.
#[derive(Debug, Clone, Default)]
pub struct PiiRedactor {
    config: PiiConfig,
}

impl PiiRedactor {
    /// A redactor for a validated config.
    pub fn new(config: PiiConfig) -> Result<Self, PiiConfigError> {
        config.validate()?;
        Ok(PiiRedactor { config })
    }

    pub fn config(&self) -> &PiiConfig {
        &self.config
    }

    /// The hits of `text` in order, non-overlapping.
    pub fn find(&self, text: &str) -> Vec<PiiHit> {
        let c = &self.config;
        let mut emails = Vec::new();
        if c.email {
            email::scan(text, |s, e| {
                emails.push(PiiHit {
                    kind: PiiKind::Email,
                    range: s..e,
                })
            });
        }
        let mut numeric = Vec::new();
        if c.ip || c.phone || c.credit_card || c.iban {
            self.scan_numeric(text, &mut numeric);
        }
        if emails.is_empty() {
            return numeric;
        }
        if numeric.is_empty() {
            return emails;
        }
        let mut all = emails;
        all.extend(numeric);
        all.sort_by_key(|h| (h.range.start, std::cmp::Reverse(h.range.end)));
        let mut kept: Vec<PiiHit> = Vec::with_capacity(all.len());
        for h in all {
            if kept.last().is_none_or(|k| h.range.start >= k.range.end) {
                kept.push(h);
            }
        }
        kept
    }

    /// Numeric kinds, from each digit that starts a digit run.
    fn scan_numeric(&self, text: &str, out: &mut Vec<PiiHit>) {
        let b = text.as_bytes();
        let mut i = 0;
        let mut last_end = 0;
        while let Some(p) = bounds::next_digit(b, i) {
            let run_end = bounds::digit_run_end(b, p);
            let hit = self.numeric_at(text, p, run_end);
            i = run_end;
            if let Some(h) = hit
                && h.range.start >= last_end
            {
                i = i.max(h.range.end);
                last_end = h.range.end;
                out.push(h);
            }
        }
    }

    /// The numeric hit around the digit run `p..run_end`, trying the most specific shapes
    /// first.
    fn numeric_at(&self, text: &str, p: usize, run_end: usize) -> Option<PiiHit> {
        let c = &self.config;
        let b = text.as_bytes();
        let hit = |kind, range| Some(PiiHit { kind, range });
        if c.ip {
            if ip::v6_candidate(b, p)
                && let Some(e) = ip::v6_at(text, p)
            {
                return hit(PiiKind::Ip, p..e);
            }
            if run_end - p <= 3
                && b.get(run_end) == Some(&b'.')
                && let Some(e) = ip::v4_at(text, p, c.ip_skip_numbering_context)
            {
                return hit(PiiKind::Ip, p..e);
            }
        }
        if c.iban
            && p >= 2
            && b[p - 1].is_ascii_uppercase()
            && b[p - 2].is_ascii_uppercase()
            && let Some(e) = iban::at(text, p - 2)
        {
            return hit(PiiKind::Iban, p - 2..e);
        }
        if c.phone
            && let Some((s, e)) = phone::at(text, p, run_end)
        {
            return hit(PiiKind::Phone, s..e);
        }
        if c.credit_card
            && let Some(e) = card::at(text, p, run_end)
        {
            return hit(PiiKind::CreditCard, p..e);
        }
        None
    }

    /// Finds the hits of `text` and replaces each with its kind's placeholder.
    pub fn redact(&self, text: &str) -> PiiOutcome {
        let hits = self.find(text);
        let mut counts = PiiCounts::default();
        for h in &hits {
            counts.add(h.kind);
        }
        let over_limit = self.config.max_per_doc.is_some_and(|m| hits.len() > m);
        let text = (!hits.is_empty() && !over_limit).then(|| self.replace(text, &hits));
        PiiOutcome {
            text,
            counts,
            hits,
            over_limit,
        }
    }

    /// `text` with each hit replaced by its placeholder (hits sorted, non-overlapping).
    pub fn replace(&self, text: &str, hits: &[PiiHit]) -> String {
        let mut out = String::with_capacity(text.len() + 16 * hits.len());
        let mut at = 0;
        for h in hits {
            if h.range.start < at || h.range.end > text.len() {
                continue;
            }
            out.push_str(&text[at..h.range.start]);
            out.push_str(self.config.placeholders.get(h.kind));
            at = h.range.end;
        }
        out.push_str(&text[at..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_kinds() -> PiiRedactor {
        PiiRedactor::new(PiiConfig {
            phone: true,
            credit_card: true,
            iban: true,
            ..PiiConfig::default()
        })
        .expect("valid config")
    }

    #[test]
    fn defaults_redact_email_and_public_ip_only() {
        let r = PiiRedactor::default();
        let out = r.redact("Mail jane@acme-corp.com from 93.184.216.34, call (212) 555-0100.");
        assert_eq!(
            out.text.as_deref(),
            Some("Mail <EMAIL_ADDRESS> from <IP_ADDRESS>, call (212) 555-0100.")
        );
        assert_eq!(out.counts.email, 1);
        assert_eq!(out.counts.ip, 1);
        assert_eq!(out.counts.phone, 0);
        assert_eq!(out.hits[0].range, 5..23);
        assert!(!out.should_drop());
    }

    #[test]
    fn clean_text_is_not_copied() {
        let out = PiiRedactor::default().redact("Revenue rose 12% to $1.2 billion in 2021.");
        assert_eq!(out.text, None);
        assert_eq!(out.counts.total(), 0);
    }

    #[test]
    fn every_kind_with_placeholders() {
        let r = all_kinds();
        let t =
            "a@b.com 81.2.69.160 +44 20 7946 0958 4111 1111 1111 1111 DE89370400440532013000 end";
        let out = r.redact(t);
        assert_eq!(
            out.text.as_deref(),
            Some("<EMAIL_ADDRESS> <IP_ADDRESS> <PHONE_NUMBER> <CREDIT_CARD> <IBAN> end")
        );
        for k in PiiKind::ALL {
            assert_eq!(out.counts.get(k), 1, "{}", k.name());
        }
    }

    #[test]
    fn max_per_doc_drops_without_editing() {
        let r = PiiRedactor::new(PiiConfig {
            max_per_doc: Some(2),
            ..PiiConfig::default()
        })
        .expect("valid");
        let out = r.redact("a@x.com b@x.com c@x.com");
        assert!(out.should_drop());
        assert_eq!(out.text, None);
        assert_eq!(out.counts.email, 3);
        assert!(!r.redact("a@x.com b@x.com").should_drop());
    }

    #[test]
    fn overlapping_kinds_keep_the_first() {
        let r = all_kinds();
        // The IP inside an e-mail-like token is part of the address.
        let out = r.redact("x 81.2.3.4@acme.com y");
        assert_eq!(out.hits.len(), 1);
        assert_eq!(out.hits[0].kind, PiiKind::Email);
    }

    #[test]
    fn finance_near_misses_are_left_alone() {
        let r = all_kinds();
        for t in [
            "Revenue was $1,234.5 million, up 12.3% from fiscal 2021.",
            "On 2021-03-04 and 03/04/2021 at 10:30:45 a.m. ET",
            "Accession No. 0001193125-21-012345, CIK 0000320193",
            "CUSIP 037833100 and ISIN US0378331005",
            "See Section 1.2.3.4 and Item 7A; version 4.10.2.3",
            "Net income   1,234   5,678   (9,012)   12.5%",
            "IRS Employer Identification No. 94-2404110, ZIP 94043-1351",
            "Commission File Number 001-36743",
            "EPS of $2.31 vs. $2.01; FY2022 guidance 4.5%-5.0%",
            "Rule 10b5-1 plan; Form 10-K; Exhibit 31.1; 17 CFR 240.14a-101",
            "shares 1,234,567,890,123; ratio 2:1; 1.2.3",
        ] {
            let hits = r.find(t);
            assert!(hits.is_empty(), "{t}: {hits:?}");
        }
    }

    #[test]
    fn validate_rejects_nonsense() {
        let none = PiiConfig {
            email: false,
            ip: false,
            ..PiiConfig::default()
        };
        assert_eq!(none.validate(), Err(PiiConfigError::NoKindEnabled));
        let mut empty = PiiConfig::default();
        empty.placeholders.email.clear();
        assert_eq!(
            empty.validate(),
            Err(PiiConfigError::EmptyPlaceholder(PiiKind::Email))
        );
        let mut nl = PiiConfig::default();
        nl.placeholders.ip = "<IP>\n".into();
        assert_eq!(
            nl.validate(),
            Err(PiiConfigError::ControlInPlaceholder(PiiKind::Ip))
        );
        let mut fake = PiiConfig::default();
        fake.placeholders.ip = "22.214.171.124".into();
        assert!(matches!(
            fake.validate(),
            Err(PiiConfigError::PlaceholderDetected {
                kind: PiiKind::Ip,
                detected: PiiKind::Ip,
                ..
            })
        ));
        assert_eq!(PiiConfig::default().validate(), Ok(()));
    }

    #[test]
    fn config_serde_rejects_unknown_fields_and_fills_defaults() {
        let c: PiiConfig =
            serde_json::from_str(r#"{"phone": true, "max_per_doc": 5}"#).expect("parses");
        assert!(c.email && c.ip && c.phone && !c.iban);
        assert_eq!(c.max_per_doc, Some(5));
        assert_eq!(c.placeholders.phone, "<PHONE_NUMBER>");
        assert!(serde_json::from_str::<PiiConfig>(r#"{"emails": true}"#).is_err());
        assert!(serde_json::from_str::<PiiConfig>(r#"{"placeholders": {"mail": "x"}}"#).is_err());
    }
}
