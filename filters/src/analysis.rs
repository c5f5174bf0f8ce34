//! The one-time analysis of a document that every heuristic filter reads.
//!
//! Splitting text into words is by far the most expensive step of the heuristic filters
//! (the reference spends most of its time there), and each filter needs the same splits:
//! lines, paragraphs, words. They are computed once per document, as byte ranges into the
//! text (nothing is copied per word), and shared. Counts that the filters compare with
//! thresholds are in characters (Unicode scalar values), as in the reference, so a
//! threshold means the same thing on non-ASCII text.

use xxhash_rust::xxh3::xxh3_64;

use crate::word_split::{self, is_datatrove_punct, is_py_alpha, is_py_space};

/// A byte range `start..end` of the document text.
pub type Span = (usize, usize);

/// One word: its byte range, its length in characters and two flags the Gopher rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    /// Length in characters.
    pub chars: u32,
    /// Made only of punctuation characters (the Gopher rules do not count such words).
    pub is_symbol: bool,
    /// Contains at least one alphabetic character.
    pub has_alpha: bool,
}

/// Lines, paragraphs and words of one document.
#[derive(Debug, Clone)]
pub struct Analysis {
    char_len: usize,
    newline_count: usize,
    nl_lines: Vec<Span>,
    splitlines: Vec<Span>,
    paragraphs: Vec<Span>,
    words: Vec<Word>,
    word_hashes: Vec<u64>,
}

impl Analysis {
    /// Analyses `text`. Cost is linear in the text length.
    pub fn new(text: &str) -> Self {
        let mut nl_lines = Vec::new();
        let mut start = 0;
        for i in memchr::memchr_iter(b'\n', text.as_bytes()) {
            nl_lines.push((start, i));
            start = i + 1;
        }
        nl_lines.push((start, text.len()));
        let newline_count = nl_lines.len() - 1;

        let mut spans = Vec::with_capacity(text.len() / 5 + 1);
        word_split::split_words(text, &mut spans);
        let mut words = Vec::with_capacity(spans.len());
        let mut word_hashes = Vec::with_capacity(spans.len());
        for (s, e) in spans {
            let w = &text[s..e];
            let (chars, is_symbol, has_alpha) = if w.is_ascii() {
                let b = w.as_bytes();
                (
                    b.len() as u32,
                    b.iter().all(|&c| is_datatrove_punct(c as char)),
                    b.iter().any(u8::is_ascii_alphabetic),
                )
            } else {
                (
                    w.chars().count() as u32,
                    w.chars().all(is_datatrove_punct),
                    w.chars().any(is_py_alpha),
                )
            };
            words.push(Word {
                start: s,
                end: e,
                chars,
                is_symbol,
                has_alpha,
            });
            word_hashes.push(xxh3_64(w.as_bytes()));
        }

        Analysis {
            char_len: char_count(text),
            newline_count,
            splitlines: splitlines(text, &nl_lines),
            paragraphs: paragraphs(text),
            nl_lines,
            words,
            word_hashes,
        }
    }

    /// Length of the text in characters.
    pub fn char_len(&self) -> usize {
        self.char_len
    }

    /// Number of `\n` in the text.
    pub fn newline_count(&self) -> usize {
        self.newline_count
    }

    /// The text split at every `\n` (empty lines included; one more line than newlines).
    pub fn nl_lines(&self) -> &[Span] {
        &self.nl_lines
    }

    /// The text split at every line boundary Python's `str.splitlines` knows (`\n`, `\r`,
    /// `\r\n`, `\v`, `\f`, `\x1c`-`\x1e`, `\x85`, U+2028, U+2029), without a final empty line.
    pub fn splitlines(&self) -> &[Span] {
        &self.splitlines
    }

    /// Paragraphs: the text with outer whitespace stripped, split at runs of two or more `\n`.
    pub fn paragraphs(&self) -> &[Span] {
        &self.paragraphs
    }

    /// Words in order, punctuation tokens included.
    pub fn words(&self) -> &[Word] {
        &self.words
    }

    /// xxh3 of each word's bytes, parallel to [`Analysis::words`].
    pub fn word_hashes(&self) -> &[u64] {
        &self.word_hashes
    }

    /// Total characters of the words `range` (no separators).
    fn word_chars(&self, from: usize, n: usize) -> usize {
        self.words[from..from + n]
            .iter()
            .map(|w| w.chars as usize)
            .sum()
    }

    /// Characters of the most frequent word `n`-gram (words joined by single spaces) times
    /// its count; on a tie the n-gram seen first wins. `None` when there are fewer than `n`
    /// words.
    pub fn top_ngram_chars(&self, n: usize, scratch: &mut NgramScratch) -> Option<usize> {
        if n == 0 || self.words.len() < n {
            return None;
        }
        let mut counts = std::mem::take(&mut scratch.counts);
        counts.reset(self.words.len() + 1 - n);
        let hashes = scratch.hashes_for(self, n);
        let mut best: Option<(u32, u32)> = None; // (count, first index)
        for (i, &h) in hashes.iter().enumerate() {
            let cand = counts.bump(h, i as u32);
            best = match best {
                Some(b) if b.0 > cand.0 || (b.0 == cand.0 && b.1 <= cand.1) => Some(b),
                _ => Some(cand),
            };
        }
        scratch.counts = counts;
        let (count, first) = best?;
        let len = self.word_chars(first as usize, n) + (n - 1);
        Some(len * count as usize)
    }

    /// Characters of repeated word `n`-grams, counted the reference's way: scan left to
    /// right; an n-gram already seen adds its characters and the scan jumps past it,
    /// otherwise it is remembered and the scan moves one word. The reference identifies an
    /// n-gram by its words concatenated without separators, so `ab c` repeats `a bc`; the
    /// same key is used here (a hash of the concatenated bytes), not the word sequence.
    /// `text` is the text this analysis was made from.
    pub fn dup_ngram_chars(&self, text: &str, n: usize, scratch: &mut NgramScratch) -> usize {
        if n == 0 || self.words.len() < n {
            return 0;
        }
        let positions = self.words.len() - n + 1;
        // The hash array is borrowed from the scratch; the set lives beside it.
        let mut seen = std::mem::take(&mut scratch.seen);
        seen.reset(positions);
        let hashes = scratch.concat_hashes_for(self, text, n);
        let mut repeated = 0usize;
        let mut idx = 0usize;
        while idx < positions {
            if seen.insert(finalize(hashes[idx])) {
                idx += 1;
            } else {
                repeated += self.word_chars(idx, n);
                idx += n;
            }
        }
        scratch.seen = seen;
        repeated
    }
}

/// Reusable buffers for n-gram statistics of one document: hashes of the current n-grams
/// (extended one word at a time as `n` grows, so a sweep over n = 2..10 costs one pass per
/// n) and the maps. Word-sequence hashes serve the top n-gram rule, hashes of the
/// concatenated bytes the duplicate n-gram rule.
#[derive(Debug, Default)]
pub struct NgramScratch {
    n: usize,
    hashes: Vec<u64>,
    /// Per word: polynomial hash of its bytes and `BASE^bytes`, both mod 2^64.
    concat_words: Vec<(u64, u64)>,
    concat_n: usize,
    concat: Vec<u64>,
    counts: HashTable,
    seen: HashTable,
}

impl NgramScratch {
    /// Polynomial hashes (mod 2^64) of each run of `n` consecutive words' bytes
    /// concatenated. Concatenation composes: `h(uv) = h(u) * BASE^|v| + h(v)`, so each
    /// larger `n` extends the previous one by a word in one pass.
    fn concat_hashes_for(&mut self, a: &Analysis, text: &str, n: usize) -> &[u64] {
        if self.concat_words.len() != a.words.len() {
            self.concat_words.clear();
            self.concat_words.extend(a.words.iter().map(|w| {
                text.as_bytes()[w.start..w.end]
                    .iter()
                    .fold((0u64, 1u64), |(h, pow), &b| {
                        // Bytes enter as 1..=256 so no byte acts as a zero.
                        (
                            h.wrapping_mul(BASE).wrapping_add(u64::from(b) + 1),
                            pow.wrapping_mul(BASE),
                        )
                    })
            }));
            self.concat_n = 0;
        }
        if self.concat_n == 0 || n < self.concat_n {
            self.concat.clear();
            self.concat
                .extend(self.concat_words.iter().map(|&(h, _)| h));
            self.concat_n = 1;
        }
        while self.concat_n < n {
            let k = self.concat_n;
            let len = self.concat_words.len() + 1 - (k + 1);
            for i in 0..len {
                let (h, pow) = self.concat_words[i + k];
                self.concat[i] = self.concat[i].wrapping_mul(pow).wrapping_add(h);
            }
            self.concat.truncate(len);
            self.concat_n += 1;
        }
        &self.concat
    }

    fn hashes_for(&mut self, a: &Analysis, n: usize) -> &[u64] {
        let wh = &a.word_hashes;
        if self.n == 0 || n < self.n || self.hashes.len() + self.n - 1 != wh.len() {
            self.hashes.clear();
            self.hashes.extend_from_slice(wh);
            self.n = 1;
        }
        while self.n < n {
            let k = self.n;
            let len = wh.len() + 1 - (k + 1);
            for i in 0..len {
                self.hashes[i] = mix(self.hashes[i], wh[i + k]);
            }
            self.hashes.truncate(len);
            self.n += 1;
        }
        &self.hashes
    }
}

#[inline]
fn mix(acc: u64, next: u64) -> u64 {
    (acc.rotate_left(23) ^ next).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Odd base of the concatenation hash (a polynomial over the bytes, mod 2^64: one
/// multiply per byte, which keeps it cheap beside word splitting). Fixed so that results
/// are deterministic. Strings built to collide under it exist (Thue-Morse sequences
/// thousands of bytes long) but do not occur in text.
const BASE: u64 = 0x9E37_79B9_7F4A_7C15 | 1;

/// Spreads a concatenation hash over all 64 bits (a bijection: no new collisions), as
/// the hash table indexes by the low bits.
#[inline]
fn finalize(h: u64) -> u64 {
    let h = (h ^ (h >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 29)
}

/// Open-addressing table keyed by n-gram hashes (already uniform, so the low bits index
/// directly), with a count and first position per key. Cleared and sized per use, so a
/// document's sweep over n reuses one allocation.
#[derive(Debug, Default)]
struct HashTable {
    keys: Vec<u64>,
    vals: Vec<(u32, u32)>,
    mask: usize,
}

/// Marks a free slot; a real hash equal to it is stored as 1 instead (one n-gram in 2^64
/// shares a slot key with another).
const FREE: u64 = 0;

impl HashTable {
    fn reset(&mut self, items: usize) {
        let cap = (items * 2).next_power_of_two().max(16);
        self.keys.clear();
        self.keys.resize(cap, FREE);
        self.vals.clear();
        self.vals.resize(cap, (0, 0));
        self.mask = cap - 1;
    }

    #[inline]
    fn slot(&self, h: u64) -> (usize, bool) {
        let h = if h == FREE { 1 } else { h };
        let mut i = (h ^ (h >> 32)) as usize & self.mask;
        loop {
            let k = self.keys[i];
            if k == h {
                return (i, true);
            }
            if k == FREE {
                return (i, false);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Counts one more occurrence of `h` (first seen at `pos`); returns (count, first).
    #[inline]
    fn bump(&mut self, h: u64, pos: u32) -> (u32, u32) {
        let (i, found) = self.slot(h);
        if !found {
            self.keys[i] = if h == FREE { 1 } else { h };
            self.vals[i] = (0, pos);
        }
        self.vals[i].0 += 1;
        self.vals[i]
    }

    /// Adds `h`; returns whether it was new.
    #[inline]
    fn insert(&mut self, h: u64) -> bool {
        let (i, found) = self.slot(h);
        if !found {
            self.keys[i] = if h == FREE { 1 } else { h };
        }
        !found
    }
}

/// Number of characters (Unicode scalar values) in `s`.
#[inline]
pub fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.as_bytes().iter().filter(|&&b| (b & 0xC0) != 0x80).count()
    }
}

/// `s` without leading and trailing Python whitespace, as a sub-span.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

fn splitlines(text: &str, nl_lines: &[Span]) -> Vec<Span> {
    let bytes = text.as_bytes();
    let other_breaks = bytes
        .iter()
        .any(|&b| matches!(b, b'\r' | 0x0b | 0x0c | 0x1c..=0x1e))
        || memchr::memmem::find(bytes, "\u{85}".as_bytes()).is_some()
        || memchr::memmem::find(bytes, "\u{2028}".as_bytes()).is_some()
        || memchr::memmem::find(bytes, "\u{2029}".as_bytes()).is_some();
    if !other_breaks {
        let mut lines = nl_lines.to_vec();
        if lines.last().is_some_and(|&(s, e)| s == e) {
            lines.pop();
        }
        return lines;
    }
    let mut lines = Vec::new();
    let mut start = 0;
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let brk = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if brk {
            lines.push((start, i));
            let mut next = i + c.len_utf8();
            if c == '\r' && it.peek().is_some_and(|&(_, d)| d == '\n') {
                it.next();
                next += 1;
            }
            start = next;
        }
    }
    if start < text.len() {
        lines.push((start, text.len()));
    }
    lines
}

fn paragraphs(text: &str) -> Vec<Span> {
    let stripped = py_strip(text);
    let base = stripped.as_ptr() as usize - text.as_ptr() as usize;
    let b = stripped.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' && i + 1 < b.len() && b[i + 1] == b'\n' {
            let run_end = i + b[i..].iter().take_while(|&&c| c == b'\n').count();
            out.push((base + start, base + i));
            start = run_end;
            i = run_end;
        } else {
            i += 1;
        }
    }
    out.push((base + start, base + b.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_paragraphs() {
        let t = "\n a\n\n\nb\r\nc\n";
        let a = Analysis::new(t);
        let sl: Vec<&str> = a.splitlines().iter().map(|&(s, e)| &t[s..e]).collect();
        assert_eq!(sl, ["", " a", "", "", "b", "c"]);
        let nl: Vec<&str> = a.nl_lines().iter().map(|&(s, e)| &t[s..e]).collect();
        assert_eq!(nl, ["", " a", "", "", "b\r", "c", ""]);
        let p: Vec<&str> = a.paragraphs().iter().map(|&(s, e)| &t[s..e]).collect();
        assert_eq!(p, ["a", "b\r\nc"]);
        assert_eq!(a.newline_count(), 6);
    }

    #[test]
    fn ngram_statistics() {
        let t = "a b a b a b c";
        let a = Analysis::new(t);
        let mut s = NgramScratch::default();
        // "a b" occurs 3 times, 3 chars each.
        assert_eq!(a.top_ngram_chars(2, &mut s), Some(9));
        // 2-grams: ab ba ab(dup: +2, jump 2) ab(dup at idx 4: +2, jump) -> idx 6 done.
        assert_eq!(a.dup_ngram_chars(t, 2, &mut s), 4);
        assert_eq!(a.top_ngram_chars(8, &mut s), None);
        // Going back to a smaller n recomputes.
        assert_eq!(a.top_ngram_chars(1, &mut s), Some(3));
    }

    #[test]
    fn duplicate_ngrams_are_keyed_by_concatenated_words() {
        // 2-grams "ab"+"c" and "a"+"bc" are both "abc": the second counts as a repeat
        // (3 chars), as in the reference; the top-n-gram rule still tells them apart.
        let t = "ab c x a bc y";
        let a = Analysis::new(t);
        let mut s = NgramScratch::default();
        assert_eq!(a.dup_ngram_chars(t, 2, &mut s), 3);
        assert_eq!(a.dup_ngram_chars(t, 3, &mut s), 0);
        assert_eq!(a.top_ngram_chars(2, &mut s), Some(4));
        // Going back to a smaller n recomputes.
        assert_eq!(a.dup_ngram_chars(t, 2, &mut s), 3);
        let u = "x yz w xy z";
        let b = Analysis::new(u);
        assert_eq!(b.dup_ngram_chars(u, 2, &mut NgramScratch::default()), 3);
    }

    #[test]
    fn concatenation_hash_composes() {
        let h = |s: &[u8]| {
            s.iter().fold(0u64, |h, &b| {
                h.wrapping_mul(BASE).wrapping_add(u64::from(b) + 1)
            })
        };
        let pow = |n: usize| (0..n).fold(1u64, |p, _| p.wrapping_mul(BASE));
        assert_eq!(
            h(b"ab").wrapping_mul(pow(1)).wrapping_add(h(b"c")),
            h(b"abc")
        );
        assert_eq!(
            h(b"a b").wrapping_mul(pow(2)).wrapping_add(h(b"cd")),
            h(b"a bcd")
        );
        assert_ne!(h(b"ab"), h(b"ba"));
        assert_ne!(h(b"a"), h(b"\0a"));
    }

    #[test]
    fn words_carry_flags() {
        let a = Analysis::new("Héllo , 42");
        let w = a.words();
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].chars, 5);
        assert!(w[0].has_alpha && !w[0].is_symbol);
        assert!(w[1].is_symbol);
        assert!(!w[2].has_alpha && !w[2].is_symbol);
    }
}
