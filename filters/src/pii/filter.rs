//! `[filter.pii]`: the redactor as a filter of the chain. It edits (placeholders replace the
//! hits; later filters see the redacted text) and drops only a document with more hits than
//! `max_per_doc`. The hits per kind are signals named `pii.edits.<kind>`, summed into the
//! filter stage's summary and the report.

use super::{PiiConfig, PiiKind, PiiRedactor};
use crate::filter::{Document, Filter};
use crate::registry::{BuildError, FilterDef};
use crate::verdict::{Signal, Verdict};

/// Reason: more hits than `max_per_doc`.
pub const REASON_OVER_LIMIT: &str = "pii_over_limit";

/// `[filter.pii]`: e-mail and public IP addresses by default, as FineWeb.
pub const DEF: FilterDef = FilterDef {
    name: "pii",
    about: "PII redaction: e-mail and public IP (default), phone, card, IBAN; placeholders, or drop past max_per_doc",
    build: |settings| {
        let config: PiiConfig = settings.parse()?;
        let redactor = PiiRedactor::new(config).map_err(|e| BuildError::new("", e.to_string()))?;
        Ok(Box::new(redactor))
    },
};

/// The signal of one kind's hits.
fn signal_name(kind: PiiKind) -> &'static str {
    match kind {
        PiiKind::Email => "pii.edits.email",
        PiiKind::Ip => "pii.edits.ip",
        PiiKind::Phone => "pii.edits.phone",
        PiiKind::CreditCard => "pii.edits.credit_card",
        PiiKind::Iban => "pii.edits.iban",
    }
}

impl Filter for PiiRedactor {
    fn name(&self) -> &'static str {
        "pii"
    }

    fn check(&self, doc: &Document<'_>) -> Verdict {
        let outcome = self.redact(doc.text());
        let signals = PiiKind::ALL
            .into_iter()
            .filter(|&kind| self.config().enabled(kind))
            .map(|kind| Signal {
                name: signal_name(kind),
                value: outcome.counts.get(kind) as f64,
            })
            .collect();
        if outcome.should_drop() {
            return Verdict::drop(REASON_OVER_LIMIT, signals);
        }
        Verdict::keep(signals).with_edited_text(outcome.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_and_counts_through_the_filter_interface() {
        let filter = PiiRedactor::default();
        let verdict = filter.check(&Document::new(
            "Write to ir@example-corp.com or see 8.8.4.4 and 10.0.0.1 for $4.25 on 2021-03-04.",
            None,
        ));
        assert!(verdict.is_keep());
        assert_eq!(verdict.signal("pii.edits.email"), Some(1.0));
        let text = verdict.edited_text.expect("edited");
        assert!(text.contains("<EMAIL_ADDRESS>"), "{text}");
        assert!(text.contains("10.0.0.1"), "private addresses stay: {text}");
        assert!(text.contains("$4.25 on 2021-03-04"), "{text}");
    }

    #[test]
    fn past_the_limit_the_document_is_dropped() {
        let config = PiiConfig {
            max_per_doc: Some(1),
            ..PiiConfig::default()
        };
        let filter = PiiRedactor::new(config).expect("valid");
        let verdict = filter.check(&Document::new(
            "a@b-corp.com c@d-corp.com e@f-corp.com",
            None,
        ));
        assert_eq!(verdict.drop_reason, Some(REASON_OVER_LIMIT));
    }
}
