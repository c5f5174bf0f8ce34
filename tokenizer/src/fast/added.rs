//! Added tokens (`<|endoftext|>`, GPT-NeoX's runs of spaces, ...) found in the text, as HF's
//! `AddedVocabulary::extract_and_normalize` finds them.
//!
//! HF splits them out even when encoding without special tokens: first the tokens marked
//! `normalized: false`, matched on the raw text; then, in the text between those, the
//! `normalized: true` tokens, matched (in their normalized form) on the normalized text.
//! Each pass takes the leftmost match, the longest at that position, and continues after
//! it. With `encode_special_tokens` set, a match of a special token is skipped (left as
//! text), without looking for other tokens inside it, exactly like HF.
//! `lstrip`, `rstrip` and `single_word` are not handled here: the fast path is not taken
//! for tokenizers that use them.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A piece of text between added tokens, or an added token's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    /// Text to pre-tokenize and merge.
    Text(&'a str),
    /// An added token.
    Token(u32),
}

/// One automaton over a set of added-token strings.
#[derive(Debug)]
struct Matcher {
    automaton: AhoCorasick,
    /// `(id, special)` per pattern.
    tokens: Vec<(u32, bool)>,
}

impl Matcher {
    fn new(tokens: Vec<(String, u32, bool)>) -> Result<Option<Self>, String> {
        if tokens.is_empty() {
            return Ok(None);
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(tokens.iter().map(|(s, _, _)| s.as_bytes()))
            .map_err(|e| format!("added-token automaton: {e}"))?;
        let tokens = tokens.into_iter().map(|(_, id, sp)| (id, sp)).collect();
        Ok(Some(Self { automaton, tokens }))
    }

    #[inline]
    fn split<'a>(&self, text: &'a str, specials_as_text: bool, mut f: impl FnMut(Segment<'a>)) {
        let mut at = 0;
        for m in self.automaton.find_iter(text) {
            let (id, special) = self.tokens[m.pattern().as_usize()];
            if specials_as_text && special {
                continue;
            }
            if at < m.start() {
                f(Segment::Text(&text[at..m.start()]));
            }
            f(Segment::Token(id));
            at = m.end();
        }
        if at < text.len() {
            f(Segment::Text(&text[at..]));
        }
    }
}

/// The two passes of added-token matching.
#[derive(Debug)]
pub(crate) struct AddedTokens {
    raw: Option<Matcher>,
    normalized: Option<Matcher>,
}

impl AddedTokens {
    /// `raw` are the `normalized: false` tokens, `normalized` the others with their content
    /// already normalized; each as `(content, id, special)`.
    pub(crate) fn new(
        raw: Vec<(String, u32, bool)>,
        normalized: Vec<(String, u32, bool)>,
    ) -> Result<Self, String> {
        Ok(Self {
            raw: Matcher::new(raw)?,
            normalized: Matcher::new(normalized)?,
        })
    }

    /// Calls `f` with the segments of `text` in order. `text` must already be normalized
    /// (the fast path only runs when normalization changes nothing).
    #[inline]
    pub(crate) fn split<'a>(
        &self,
        text: &'a str,
        specials_as_text: bool,
        mut f: impl FnMut(Segment<'a>),
    ) {
        let mut second = |seg: Segment<'a>| match (seg, &self.normalized) {
            (Segment::Text(t), Some(m)) => m.split(t, specials_as_text, &mut f),
            _ => f(seg),
        };
        match &self.raw {
            Some(m) => m.split(text, specials_as_text, &mut second),
            None => second(Segment::Text(text)),
        }
    }
}
