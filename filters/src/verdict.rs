//! The result every filter returns: keep or drop, the reason, the signals behind it, and
//! what the filter learnt or changed on the way.
//!
//! Signals are the numbers a filter computed on the way to its decision (a ratio, a count,
//! a language score). They are returned even when the document is kept, so that reports,
//! `curate tag`, the rejected documents and SQL can show how close a document came to each
//! threshold.
//!
//! A filter may also edit the text (C4 removes lines; later filters see the edited text)
//! and annotate the document (the detected language, a classifier's score): annotations
//! become columns of the kept documents.

/// One named number a filter computed (`"gopher_quality.word_count"`, `"lang.score"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub name: &'static str,
    pub value: f64,
}

/// A value a filter attaches to a document.
#[derive(Debug, Clone, PartialEq)]
pub enum AnnotationValue {
    Text(String),
    Number(f64),
}

/// A named fact about a document (`lang = "en"`, `quality_score = 0.93`).
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub name: String,
    pub value: AnnotationValue,
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
    /// The text as this filter leaves it, when it changed it.
    pub edited_text: Option<String>,
    /// Facts about the document, kept as columns of the kept documents (see
    /// [`crate::filter::Filter::annotation_columns`]) and as evidence of a drop.
    pub annotations: Vec<Annotation>,
}

impl Verdict {
    /// A keep decision with the given signals.
    pub fn keep(signals: Vec<Signal>) -> Self {
        Verdict {
            drop_reason: None,
            signals,
            ..Verdict::default()
        }
    }

    /// A drop decision with its reason and the given signals.
    pub fn drop(reason: &'static str, signals: Vec<Signal>) -> Self {
        Verdict {
            drop_reason: Some(reason),
            signals,
            ..Verdict::default()
        }
    }

    /// The same decision, with the text as the filter left it.
    pub fn with_edited_text(mut self, text: Option<String>) -> Self {
        self.edited_text = text;
        self
    }

    /// The same decision, with one more annotation.
    pub fn annotate(mut self, name: impl Into<String>, value: AnnotationValue) -> Self {
        self.annotations.push(Annotation {
            name: name.into(),
            value,
        });
        self
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

    /// An annotation by name, if the filter made it.
    pub fn annotation(&self, name: &str) -> Option<&AnnotationValue> {
        self.annotations
            .iter()
            .find(|a| a.name == name)
            .map(|a| &a.value)
    }
}
