//! The interface every document filter implements, and the document it sees.

use std::sync::OnceLock;

use crate::analysis::Analysis;
use crate::verdict::Verdict;

/// A drop that a filter proposed but left to a later one to confirm (a word-list toxicity
/// drop that waits for the toxicity classifier, `combine = "both"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeferredDrop {
    pub filter: &'static str,
    pub reason: &'static str,
}

/// A document as the filters see it: its text, its URL if known, the drops earlier
/// filters deferred, and the shared [`Analysis`], computed on first use so filters that
/// never look at words (URL, language) never pay for it.
#[derive(Debug)]
pub struct Document<'a> {
    text: &'a str,
    url: Option<&'a str>,
    deferred: &'a [DeferredDrop],
    analysis: OnceLock<Analysis>,
}

impl<'a> Document<'a> {
    pub fn new(text: &'a str, url: Option<&'a str>) -> Self {
        Document::in_chain(text, url, &[])
    }

    /// A document in the middle of a chain, with the drops earlier filters deferred.
    pub fn in_chain(text: &'a str, url: Option<&'a str>, deferred: &'a [DeferredDrop]) -> Self {
        Document {
            text,
            url,
            deferred,
            analysis: OnceLock::new(),
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn url(&self) -> Option<&'a str> {
        self.url
    }

    /// The reason an earlier filter named `filter` proposed to drop the document, when it
    /// deferred that drop to this one.
    pub fn deferred_drop(&self, filter: &str) -> Option<&'static str> {
        self.deferred
            .iter()
            .find(|d| d.filter == filter)
            .map(|d| d.reason)
    }

    /// Lines, paragraphs and words of the text, computed once.
    pub fn analysis(&self) -> &Analysis {
        self.analysis.get_or_init(|| Analysis::new(self.text))
    }
}

/// The type of a column a filter adds to the kept documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// UTF-8 text (`lang`).
    Text,
    /// A 32-bit float (`lang_score`, `<classifier>_score`).
    Number,
}

/// A column a filter fills from its annotations on every document it sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// A keep/drop rule over one document: the single extension point of the filter chain.
/// Implementations are immutable after construction and shared across threads; one is
/// registered with its settings in [`crate::registry`].
pub trait Filter: Send + Sync {
    /// Stable name used in stage statistics and signal prefixes (`"gopher_quality"`).
    fn name(&self) -> &'static str;

    /// Decides on one document.
    fn check(&self, doc: &Document<'_>) -> Verdict;

    /// The annotations this filter stores as columns of the kept documents, in order.
    fn annotation_columns(&self) -> Vec<AnnotationColumn> {
        Vec::new()
    }

    /// Earlier filters whose drops this one decides (their drops reach it as
    /// [`Document::deferred_drop`] instead of dropping the document).
    fn decides_for(&self) -> Vec<&'static str> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_is_computed_once_and_lazily() {
        let d = Document::new("one two", Some("https://x.org/"));
        assert_eq!(d.url(), Some("https://x.org/"));
        assert!(d.analysis.get().is_none());
        let first: *const Analysis = d.analysis();
        assert!(std::ptr::eq(first, d.analysis()));
        assert_eq!(d.analysis().words().len(), 2);
    }

    #[test]
    fn deferred_drops_are_found_by_filter() {
        let deferred = [DeferredDrop {
            filter: "toxicity",
            reason: "toxicity_bad_word_count",
        }];
        let d = Document::in_chain("x", None, &deferred);
        assert_eq!(d.deferred_drop("toxicity"), Some("toxicity_bad_word_count"));
        assert_eq!(d.deferred_drop("url"), None);
    }
}
