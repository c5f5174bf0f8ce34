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

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use memchr::memmem;

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
    /// Where a match can start. The automaton's own prefilter looks for first bytes, and
    /// GPT-NeoX's added tokens (runs of spaces) start with the most common byte of text;
    /// looking for their first two bytes instead skips almost every position.
    starts: Starts,
}

/// Most tokenizers' added tokens begin with one of a few byte pairs (`<|`, two spaces);
/// up to this many are searched for with SIMD substring search, more with a table.
const FEW_STARTS: usize = 8;

/// The byte pairs that begin a pattern (a pattern of one byte begins with that byte).
#[derive(Debug)]
enum Starts {
    /// One substring finder per distinct start.
    Few(Vec<memmem::Finder<'static>>),
    /// A bit per byte pair, and the bytes that are a whole pattern.
    Table(Box<([u64; 1024], [bool; 256])>),
}

/// Where each of [`Starts::Few`]'s finders next matches, plus one (0: not searched yet,
/// `usize::MAX`: no further match).
type Next = [usize; FEW_STARTS];

impl Starts {
    fn new<'a>(patterns: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut starts: Vec<&[u8]> = patterns.map(|p| &p[..p.len().min(2)]).collect();
        starts.sort_unstable();
        starts.dedup();
        // A one-byte start covers the pairs that begin with it.
        let singles: Vec<&[u8]> = starts.iter().copied().filter(|s| s.len() == 1).collect();
        starts.retain(|s| s.len() == 1 || !singles.contains(&&s[..1]));
        if starts.len() <= FEW_STARTS {
            return Starts::Few(
                starts
                    .iter()
                    .map(|s| memmem::Finder::new(s).into_owned())
                    .collect(),
            );
        }
        let mut pairs = [0u64; 1024];
        let mut single = [false; 256];
        let mut set = |a: u8, b: u8| {
            let k = (usize::from(a) << 8) | usize::from(b);
            pairs[k >> 6] |= 1 << (k & 63);
        };
        for s in starts {
            match s {
                [a, b] => set(*a, *b),
                [a] => {
                    single[*a as usize] = true;
                    for b in 0..=255 {
                        set(*a, b);
                    }
                }
                _ => {}
            }
        }
        Starts::Table(Box::new((pairs, single)))
    }

    /// First position at or after `from` where a pattern could start.
    #[inline]
    fn next(&self, s: &[u8], from: usize, next: &mut Next) -> Option<usize> {
        match self {
            Starts::Few(finders) => {
                let mut best = usize::MAX;
                for (f, slot) in finders.iter().zip(next.iter_mut()) {
                    if *slot != usize::MAX && *slot <= from {
                        *slot = match f.find(&s[from..]) {
                            Some(p) => from + p + 1,
                            None => usize::MAX,
                        };
                    }
                    best = best.min(*slot);
                }
                (best != usize::MAX).then(|| best - 1)
            }
            Starts::Table(table) => {
                let (pairs, single) = &**table;
                let mut i = from;
                while i + 1 < s.len() {
                    let k = (usize::from(s[i]) << 8) | usize::from(s[i + 1]);
                    if pairs[k >> 6] & (1 << (k & 63)) != 0 {
                        return Some(i);
                    }
                    i += 1;
                }
                (i + 1 == s.len() && single[s[i] as usize]).then_some(i)
            }
        }
    }
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
        let starts = Starts::new(tokens.iter().map(|(s, _, _)| s.as_bytes()));
        let tokens = tokens.into_iter().map(|(_, id, sp)| (id, sp)).collect();
        Ok(Some(Self {
            automaton,
            tokens,
            starts,
        }))
    }

    #[inline]
    fn split<'a>(&self, text: &'a str, specials_as_text: bool, mut f: impl FnMut(Segment<'a>)) {
        let mut at = 0;
        let mut from = 0;
        let mut next = [0; FEW_STARTS];
        // What `find_iter` does (each search resumes at the previous match's end), with the
        // search started at the first possible match position.
        while let Some(candidate) = self.starts.next(text.as_bytes(), from, &mut next) {
            let input = Input::new(text).span(candidate..text.len());
            let Some(m) = self.automaton.find(input) else {
                break;
            };
            from = m.end();
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

    /// Whether a `normalized: false` token occurs in `text`.
    pub(crate) fn any_raw(&self, text: &str) -> bool {
        self.raw
            .as_ref()
            .is_some_and(|m| m.automaton.is_match(text))
    }

    /// Calls `f` with the segments of `text`, the result of normalizing a text in which no
    /// `normalized: false` token occurs ([`AddedTokens::any_raw`]): HF then normalizes
    /// the text as one segment and looks for the other tokens only.
    pub(crate) fn split_normalized<'a>(
        &self,
        text: &'a str,
        specials_as_text: bool,
        mut f: impl FnMut(Segment<'a>),
    ) {
        match &self.normalized {
            Some(m) => m.split(text, specials_as_text, &mut f),
            None => f(Segment::Text(text)),
        }
    }

    /// Calls `f` with the segments of `text` in order. Normalization must leave `text`
    /// unchanged (otherwise see [`AddedTokens::split_normalized`]).
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
