//! The result every filter returns: keep or drop, the reason, and the signals behind it.
//!
//! Signals are the numbers a filter computed on the way to its decision (a ratio, a count,
//! a language score). They are returned even when the document is kept, so that reports,
//! `curate tag` and SQL can show how close a document came to each threshold.

/// One named number a filter computed (`"gopher_quality.word_count"`, `"lang.score"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub name: &'static str,
    pub value: f64,
}

/// A filter's decision on one document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Verdict {
    /// `None` keeps the document; `Some(reason)` drops it. Reasons are stable snake_case
    /// codes (`"gopher_short_doc"`, `"c4_lorem_ipsum"`, `"url_blocklist_domain"`), the same
    /// strings that appear in `_stage.json`, the rejected documents and the tag output.
    pub drop_reason: Option<&'static str>,
    /// The signal values computed, in a fixed order per filter.
    pub signals: Vec<Signal>,
}

impl Verdict {
    /// A keep decision with the given signals.
    pub fn keep(signals: Vec<Signal>) -> Self {
        Verdict {
            drop_reason: None,
            signals,
        }
    }

    /// A drop decision with its reason and the given signals.
    pub fn drop(reason: &'static str, signals: Vec<Signal>) -> Self {
        Verdict {
            drop_reason: Some(reason),
            signals,
        }
    }

    /// Whether the document is kept.
    pub fn is_keep(&self) -> bool {
        self.drop_reason.is_none()
    }

    /// The value of a signal by name, if the filter computed it.
    pub fn signal(&self, name: &str) -> Option<f64> {
        self.signals
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.value)
    }
}
