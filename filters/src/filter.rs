//! The interface every document filter implements, and the document it sees.

use std::sync::OnceLock;

use crate::analysis::Analysis;
use crate::verdict::Verdict;

/// A document as the filters see it: its text, its URL if known, and the shared
/// [`Analysis`], computed on first use so filters that never look at words (URL,
/// language) never pay for it.
#[derive(Debug)]
pub struct Document<'a> {
    text: &'a str,
    url: Option<&'a str>,
    analysis: OnceLock<Analysis>,
}

impl<'a> Document<'a> {
    pub fn new(text: &'a str, url: Option<&'a str>) -> Self {
        Document {
            text,
            url,
            analysis: OnceLock::new(),
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn url(&self) -> Option<&'a str> {
        self.url
    }

    /// Lines, paragraphs and words of the text, computed once.
    pub fn analysis(&self) -> &Analysis {
        self.analysis.get_or_init(|| Analysis::new(self.text))
    }
}

/// A keep/drop rule over one document. Implementations are immutable after construction
/// and shared across threads.
pub trait Filter: Send + Sync {
    /// Stable name used in stage statistics and signal prefixes (`"gopher_quality"`).
    fn name(&self) -> &'static str;

    /// Decides on one document.
    fn check(&self, doc: &Document<'_>) -> Verdict;
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
}
