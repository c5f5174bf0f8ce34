//! Streaming exact paragraph dedup as dolma's `dedupe.paragraphs` does it: the first
//! occurrence of a paragraph anywhere in the corpus (earlier documents, or earlier in the
//! same document) is kept, every later occurrence is marked as a duplicate span.
//!
//! A paragraph is a `\n`-separated piece of the text, compared byte for byte (no
//! trimming). Spans are in characters (Unicode scalar values), as dolma's attributes are,
//! and include the paragraph's trailing newline. dolma keeps a Bloom filter (false
//! positives possible, fixed size); here a set of 64-bit xxh3 hashes (exact up to hash
//! collisions, 8 bytes plus a control byte per distinct paragraph, 9 to 18 bytes with
//! table slack).
//!
//! One deliberate difference: dolma decides whether to count a paragraph's newline by
//! comparing a character offset with the text's *byte* length, so for a text with
//! multi-byte characters its last span ends one past the text. Here the last span ends
//! at the text's end.

use std::collections::HashSet;

use xxhash_rust::xxh3::xxh3_64;

use super::hashing::PassThroughBuild;

/// A half-open range of characters `[start, end)` in a document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CharSpan {
    pub start: usize,
    pub end: usize,
}

/// Remembers every paragraph seen so far.
#[derive(Debug, Clone, Default)]
pub struct FirstSeenParagraphs {
    seen: HashSet<u64, PassThroughBuild>,
    skip_empty: bool,
}

impl FirstSeenParagraphs {
    /// An empty memory. With `skip_empty`, whitespace-only paragraphs are never marked
    /// (dolma's `skip_empty`, off by default there).
    pub fn new(skip_empty: bool) -> Self {
        FirstSeenParagraphs {
            seen: HashSet::default(),
            skip_empty,
        }
    }

    /// Marks the paragraphs of `text` seen before, and remembers the others.
    pub fn mark(&mut self, text: &str) -> Vec<CharSpan> {
        let mut spans = Vec::new();
        if text.is_empty() {
            return spans;
        }
        let mut offset = 0;
        for piece in text.split_inclusive('\n') {
            let para = piece.strip_suffix('\n').unwrap_or(piece);
            let start = offset;
            offset += piece.chars().count();
            if self.skip_empty && para.trim().is_empty() {
                continue;
            }
            if !self.seen.insert(xxh3_64(para.as_bytes())) {
                spans.push(CharSpan { start, end: offset });
            }
        }
        // A text ending in '\n' has a final empty paragraph after it, as `split('\n')` has.
        if text.ends_with('\n') && !self.skip_empty && !self.seen.insert(xxh3_64(b"")) {
            spans.push(CharSpan {
                start: offset,
                end: offset,
            });
        }
        spans
    }

    /// Distinct paragraphs remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing was remembered yet.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// `text` without the characters in `spans` (sorted, non-overlapping; spans past the end
/// are clamped).
pub fn remove_char_spans(text: &str, spans: &[CharSpan]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut spans = spans.iter().peekable();
    for (i, c) in text.chars().enumerate() {
        while spans.peek().is_some_and(|s| s.end <= i) {
            spans.next();
        }
        if spans.peek().is_none_or(|s| s.start > i) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_occurrences_are_marked_with_char_offsets() {
        let mut p = FirstSeenParagraphs::new(false);
        assert!(p.mark("héllo\nworld\nhéllo").len() == 1);
        let spans = p.mark("new\nworld\nhéllo");
        assert_eq!(
            spans,
            vec![
                CharSpan { start: 4, end: 10 },
                CharSpan { start: 10, end: 15 }
            ]
        );
        assert_eq!(remove_char_spans("new\nworld\nhéllo", &spans), "new\n");
    }

    #[test]
    fn empty_paragraphs_follow_skip_empty() {
        let mut keep = FirstSeenParagraphs::new(false);
        assert_eq!(
            keep.mark("a\n\nb\n\nc"),
            vec![CharSpan { start: 5, end: 6 }]
        );
        let mut skip = FirstSeenParagraphs::new(true);
        assert!(skip.mark("a\n\nb\n\nc").is_empty());
    }

    #[test]
    fn remove_spans_clamps() {
        let spans = [
            CharSpan { start: 1, end: 2 },
            CharSpan { start: 3, end: 99 },
        ];
        assert_eq!(remove_char_spans("abcdef", &spans), "ac");
    }
}
