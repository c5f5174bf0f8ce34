//! Benchmark decontamination: finding evaluation examples (or long pieces of them) in
//! training documents by shared word n-grams, as GPT-3 did (Brown et al. 2020, appendix C).
//!
//! # Normalisation
//!
//! Documents and references are normalised the same way, word by word: the text is split
//! on Unicode whitespace (`char::is_whitespace`); in each piece, punctuation is deleted and
//! the rest lowercased (`char::to_lowercase`); pieces left empty (a lone `-`, `—`, `...`) are
//! not words. Punctuation is ASCII punctuation (Python's `string.punctuation`, which
//! GPT-3's and datatrove's normalisers strip) plus the Unicode punctuation of the
//! Latin-1 supplement (`¡ § « ¶ · » ¿`), the General Punctuation block (dashes, curly
//! quotes, `…`, `‰`), CJK punctuation and the full-width ASCII forms. So `don't` → `dont`,
//! `U.S.` → `us`, `$1.2` → `12`, `EUR 155.2 mn ,` → `eur 1552 mn`: pre-tokenised benchmark
//! text (spaces before commas, as in Financial PhraseBank) matches running prose.
//!
//! # Index
//!
//! Each word is hashed with xxh3-64; an n-gram's hash is the polynomial
//! `sum w[j] * B^(n-1-j) mod 2^64` of its word hashes, finalised with MurmurHash3's
//! `fmix64`. The polynomial slides one word in O(1), so a document's n-grams are hashed in
//! one pass over its words whatever `n` is, with no strings built; two different n-grams
//! of random word hashes collide with probability about 2^-60. The index holds each
//! distinct reference n-gram hash with the id of the first reference name it came from, in
//! a sorted array bucketed by the hash's top bits (about two per bucket), behind a bit
//! filter of at least 16 bits per n-gram indexed by the low bits: 12 bytes per n-gram
//! (8-byte hash, 4-byte name id) + 2-4 bytes of bucket offsets + 2-4 bytes of filter, 16-20
//! bytes per n-gram, 16 MB per million as measured. Most lookups (absent n-grams) stop at
//! the filter, which fits a core's cache for benchmark-sized sets; the rest read one
//! offset pair and a bucket of about two hashes. A document is checked in time linear in
//! its length.
//!
//! Why not a Bloom filter: at 1.2 MB per million n-grams (1% false positives) a 20 KB
//! document's ~3,000 lookups would flag almost every document; pushing false positives
//! down to one in a billion costs 5.4 MB per million and still cannot say which reference
//! or n-gram matched. Exact 64-bit hashes collide with probability n/2^64 per lookup
//! (about 10^-13 for a million n-grams): in practice never.
//!
//! # Short references
//!
//! A reference shorter than `n` words has no n-gram. GPT-3 and datatrove match such an
//! example by its whole text; dolma drops it. Here a reference of at least
//! `short_min_words` (default 8) but fewer than `n` words is indexed whole and matched as a
//! run of exactly its words; shorter ones are skipped (and counted), because a 3-word
//! "example" (`Net sales rose.`) occurs in any finance corpus by chance. Short references
//! are found through their first `short_min_words` words: one more pass over the
//! document's word hashes, then a full-length hash comparison on a prefix hit.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use xxhash_rust::xxh3::xxh3_64;

/// What to do with a contaminated document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecontaminationMode {
    /// Drop the whole document (GPT-3, datatrove).
    #[default]
    Drop,
    /// Cut the matched spans out and keep the rest.
    RemoveSpans,
}

/// Settings of decontamination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecontaminationConfig {
    /// Words per n-gram (default 13, GPT-3's upper value).
    pub n: usize,
    /// Drop the document or remove the matched spans (default drop).
    pub mode: DecontaminationMode,
    /// A document is contaminated from this many matched n-grams on (default 1).
    pub min_matches: usize,
    /// References of at least this many words but fewer than `n` are matched whole;
    /// shorter ones are skipped (default 8; set it to `n` to skip every short reference,
    /// as dolma does).
    pub short_min_words: usize,
}

impl Default for DecontaminationConfig {
    fn default() -> Self {
        DecontaminationConfig {
            n: 13,
            mode: DecontaminationMode::Drop,
            min_matches: 1,
            short_min_words: 8,
        }
    }
}

/// Largest `n` accepted: beyond it overlaps are whole paragraphs, a dedup question.
pub const MAX_N: usize = 64;

/// Why decontamination cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecontaminationError {
    #[error("invalid decontamination setting `{name}`: {reason}")]
    InvalidSetting { name: &'static str, reason: String },
    /// Name ids and table offsets are `u32`.
    #[error("too many reference n-grams or names for one index (limit {limit})")]
    TooLarge { limit: u64 },
}

fn invalid(name: &'static str, reason: impl Into<String>) -> DecontaminationError {
    DecontaminationError::InvalidSetting {
        name,
        reason: reason.into(),
    }
}

impl DecontaminationConfig {
    /// Checks the settings; [`ReferenceIndex::build`] and [`Decontaminator::new`] call it.
    pub fn validate(&self) -> Result<(), DecontaminationError> {
        if self.n == 0 || self.n > MAX_N {
            return Err(invalid("n", format!("must be 1..={MAX_N}, got {}", self.n)));
        }
        if self.min_matches == 0 {
            return Err(invalid(
                "min_matches",
                "must be at least 1 (0 would flag every document)",
            ));
        }
        if self.short_min_words == 0 || self.short_min_words > self.n {
            return Err(invalid(
                "short_min_words",
                format!("must be 1..=n ({}), got {}", self.n, self.short_min_words),
            ));
        }
        Ok(())
    }
}

/// One reference n-gram found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Name of the (first) reference the n-gram belongs to.
    pub reference: Arc<str>,
    /// Byte span in the document, from the first word's first byte to the last word's
    /// last byte (whole whitespace-delimited pieces, punctuation included).
    pub span: Range<usize>,
    /// The normalised n-gram, words joined by single spaces.
    pub ngram: String,
}

/// What building the index kept and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// References read.
    pub references: usize,
    /// References of at least `n` words, indexed by their n-grams.
    pub long: usize,
    /// References indexed whole (between `short_min_words` and `n - 1` words).
    pub short_whole: usize,
    /// References too short to index.
    pub skipped: usize,
    /// Distinct hashes in the index.
    pub ngrams: usize,
}

/// Calls `f(start, end, normalised)` for each word of `text` (see the module
/// documentation for the rules), with its byte span in `text`.
pub fn for_each_word(text: &str, mut f: impl FnMut(usize, usize, &str)) {
    let mut buf = String::new();
    let mut start: Option<usize> = None;
    let mut emit = |s: usize, e: usize, buf: &mut String| {
        buf.clear();
        let piece = &text[s..e];
        if piece.is_ascii() {
            buf.extend(
                piece
                    .bytes()
                    .filter(|b| !b.is_ascii_punctuation())
                    .map(|b| char::from(b.to_ascii_lowercase())),
            );
        } else {
            for c in piece.chars().filter(|&c| !is_punct(c)) {
                buf.extend(c.to_lowercase());
            }
        }
        if !buf.is_empty() {
            f(s, e, buf);
        }
    };
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                emit(s, i, &mut buf);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        emit(s, text.len(), &mut buf);
    }
}

/// The normalised words of `text`, for inspection and tests.
pub fn normalized_words(text: &str) -> Vec<String> {
    let mut v = Vec::new();
    for_each_word(text, |_, _, w| v.push(w.to_owned()));
    v
}

/// Punctuation deleted by normalisation.
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(
        u32::from(c),
        0x00A1 | 0x00A7 | 0x00AB | 0x00B6 | 0x00B7 | 0x00BB | 0x00BF
            | 0x2010..=0x2027
            | 0x2030..=0x205E
            | 0x3001..=0x3003
            | 0x3008..=0x3011
            | 0x3014..=0x301F
            | 0xFF01..=0xFF0F
            | 0xFF1A..=0xFF20
            | 0xFF3B..=0xFF40
            | 0xFF5B..=0xFF65
    )
}

/// Word hashes of a text and the words' byte spans.
fn word_hashes(text: &str) -> (Vec<u64>, Vec<(usize, usize)>) {
    let mut hashes = Vec::with_capacity(text.len() / 6);
    let mut spans = Vec::with_capacity(text.len() / 6);
    for_each_word(text, |s, e, w| {
        hashes.push(xxh3_64(w.as_bytes()));
        spans.push((s, e));
    });
    (hashes, spans)
}

/// Multiplier of the polynomial n-gram hash (odd, from the golden ratio).
const BASE: u64 = 0x9e37_79b9_7f4a_7c15;

/// Finaliser (MurmurHash3 `fmix64`): spreads the polynomial hash over all 64 bits, which
/// the bucket and filter indices take from different ends.
#[inline]
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Hash of the n-gram of word hashes `w`: `fmix(sum w[j] * BASE^(len-1-j))` (mod 2^64).
/// The polynomial form lets [`for_each_ngram`] slide it one word at a time.
fn ngram_hash(w: &[u64]) -> u64 {
    fmix(
        w.iter()
            .fold(0u64, |h, &x| h.wrapping_mul(BASE).wrapping_add(x)),
    )
}

/// Calls `f(i, hash)` for the `len`-word n-gram starting at each word `i`, in O(1) per
/// word (a rolling polynomial hash; equal to [`ngram_hash`] of each window).
fn for_each_ngram(words: &[u64], len: usize, mut f: impl FnMut(usize, u64)) {
    if len == 0 || words.len() < len {
        return;
    }
    let top = (1..len).fold(1u64, |p, _| p.wrapping_mul(BASE)); // BASE^(len-1)
    let mut h = words[..len]
        .iter()
        .fold(0u64, |h, &x| h.wrapping_mul(BASE).wrapping_add(x));
    f(0, fmix(h));
    for i in 1..=words.len() - len {
        h = h
            .wrapping_sub(words[i - 1].wrapping_mul(top))
            .wrapping_mul(BASE)
            .wrapping_add(words[i + len - 1]);
        f(i, fmix(h));
    }
}

/// Sorted hashes bucketed by their top bits, behind a one-hash bit filter indexed by
/// their low bits (see the module documentation).
#[derive(Debug, Clone, Default)]
struct HashTable {
    keys: Vec<u64>,
    ids: Vec<u32>,
    /// `offsets[b]..offsets[b + 1]` is bucket `b`'s range in `keys`.
    offsets: Vec<u32>,
    shift: u32,
    /// At least 16 bits per key: a lookup of an absent hash stops here 15 times in 16
    /// without touching the larger arrays, which do not fit a core's cache.
    filter: Vec<u64>,
    filter_mask: u64,
}

impl HashTable {
    /// Builds from `(hash, id)` pairs; the first pair of each hash (in input order) wins.
    fn build(mut pairs: Vec<(u64, u32)>) -> Result<Self, DecontaminationError> {
        if pairs.len() >= u32::MAX as usize / 2 {
            return Err(DecontaminationError::TooLarge {
                limit: u64::from(u32::MAX / 2),
            });
        }
        // Stable sort keeps input order among equal hashes; dedup keeps the first.
        pairs.sort_by_key(|&(h, _)| h);
        pairs.dedup_by_key(|&mut (h, _)| h);
        let n = pairs.len().max(1);
        // About two keys per bucket: the pair of offsets and the keys are one or two
        // cache lines, and offsets cost 2 bytes per key.
        let bits = (usize::BITS - n.leading_zeros())
            .saturating_sub(1)
            .clamp(1, 32);
        let shift = 64 - bits;
        let buckets = 1usize << bits;
        let mut offsets = vec![0u32; buckets + 1];
        for &(h, _) in &pairs {
            offsets[(h >> shift) as usize + 1] += 1;
        }
        for b in 0..buckets {
            offsets[b + 1] += offsets[b];
        }
        let filter_bits = (n * 16).next_power_of_two().max(64);
        let mut filter = vec![0u64; filter_bits / 64];
        let filter_mask = filter_bits as u64 - 1;
        for &(h, _) in &pairs {
            let bit = h & filter_mask;
            filter[(bit >> 6) as usize] |= 1 << (bit & 63);
        }
        let (keys, ids) = pairs.into_iter().unzip();
        Ok(HashTable {
            keys,
            ids,
            offsets,
            shift,
            filter,
            filter_mask,
        })
    }

    #[inline]
    fn get(&self, h: u64) -> Option<u32> {
        let bit = h & self.filter_mask;
        if self.filter.get((bit >> 6) as usize).copied().unwrap_or(0) & (1 << (bit & 63)) == 0 {
            return None;
        }
        let b = (h >> self.shift) as usize;
        let (lo, hi) = (*self.offsets.get(b)?, *self.offsets.get(b + 1)?);
        let range = lo as usize..hi as usize;
        self.keys[range.clone()]
            .iter()
            .position(|&k| k == h)
            .map(|i| self.ids[range.start + i])
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    fn memory_bytes(&self) -> usize {
        self.keys.capacity() * 8
            + self.ids.capacity() * 4
            + self.offsets.capacity() * 4
            + self.filter.capacity() * 8
    }
}

/// A reference indexed whole (fewer than `n` words).
#[derive(Debug, Clone, Copy)]
struct ShortRef {
    hash: u64,
    words: u32,
    id: u32,
}

/// The n-grams of a set of evaluation examples, to look documents up against.
#[derive(Debug, Clone)]
pub struct ReferenceIndex {
    n: usize,
    short_min_words: usize,
    names: Vec<Arc<str>>,
    /// n-gram hash to name id.
    table: HashTable,
    /// Hash of a short reference's first `short_min_words` words to the index of its
    /// first entry in `shorts`.
    short_prefixes: HashTable,
    /// Short references sorted by prefix hash (entries sharing a prefix are adjacent).
    shorts: Vec<(u64, ShortRef)>,
    stats: IndexStats,
}

impl ReferenceIndex {
    /// Indexes `(reference_name, example_text)` pairs with `config`'s `n` and
    /// `short_min_words`. Names are typically the benchmark (`"mmlu"`), shared by many
    /// examples; a match reports the first name whose example contained the n-gram.
    pub fn build<I, N, T>(
        config: &DecontaminationConfig,
        references: I,
    ) -> Result<Self, DecontaminationError>
    where
        I: IntoIterator<Item = (N, T)>,
        N: AsRef<str>,
        T: AsRef<str>,
    {
        config.validate()?;
        let (n, m) = (config.n, config.short_min_words);
        let too_large = || DecontaminationError::TooLarge {
            limit: u64::from(u32::MAX / 2),
        };
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut name_ids: HashMap<String, u32> = HashMap::new();
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        let mut shorts: Vec<(u64, ShortRef)> = Vec::new();
        let mut stats = IndexStats::default();
        for (name, text) in references {
            stats.references += 1;
            let name = name.as_ref();
            let id = match name_ids.get(name) {
                Some(&id) => id,
                None => {
                    let id = u32::try_from(names.len()).map_err(|_| too_large())?;
                    names.push(Arc::from(name));
                    name_ids.insert(name.to_owned(), id);
                    id
                }
            };
            let (hashes, _) = word_hashes(text.as_ref());
            let words = hashes.len();
            if words >= n {
                stats.long += 1;
                for_each_ngram(&hashes, n, |_, h| pairs.push((h, id)));
            } else if words >= m {
                stats.short_whole += 1;
                let short = ShortRef {
                    hash: ngram_hash(&hashes),
                    words: u32::try_from(words).map_err(|_| too_large())?,
                    id,
                };
                shorts.push((ngram_hash(&hashes[..m]), short));
            } else {
                stats.skipped += 1;
            }
        }
        let table = HashTable::build(pairs)?;
        // Stable: among equal prefixes, input order (first name wins on equal texts).
        shorts.sort_by_key(|&(p, _)| p);
        let mut prefix_pairs: Vec<(u64, u32)> = Vec::new();
        for (i, &(p, _)) in shorts.iter().enumerate() {
            if i == 0 || shorts[i - 1].0 != p {
                prefix_pairs.push((p, u32::try_from(i).map_err(|_| too_large())?));
            }
        }
        let short_prefixes = HashTable::build(prefix_pairs)?;
        stats.ngrams = table.len() + shorts.len();
        Ok(ReferenceIndex {
            n,
            short_min_words: m,
            names,
            table,
            short_prefixes,
            shorts,
            stats,
        })
    }

    /// Words per n-gram.
    pub fn n(&self) -> usize {
        self.n
    }

    /// What was indexed.
    pub fn stats(&self) -> IndexStats {
        self.stats
    }

    /// Heap bytes held by the index (tables, filters and names).
    pub fn memory_bytes(&self) -> usize {
        self.table.memory_bytes()
            + self.short_prefixes.memory_bytes()
            + self.shorts.capacity() * std::mem::size_of::<(u64, ShortRef)>()
            + self.names.iter().map(|s| s.len() + 16).sum::<usize>()
            + self.names.capacity() * 16
    }

    /// The reference n-grams of `text`, in document order (by first word, then length).
    /// One pass over the words for the n-grams and, when short references are indexed,
    /// one for their `short_min_words`-word prefixes.
    pub fn find(&self, text: &str) -> Vec<Match> {
        let (hashes, spans) = word_hashes(text);
        let mut found: Vec<(usize, usize, u32)> = Vec::new(); // (first word, length, id)
        for_each_ngram(&hashes, self.n, |i, h| {
            if let Some(id) = self.table.get(h) {
                found.push((i, self.n, id));
            }
        });
        if !self.shorts.is_empty() {
            for_each_ngram(&hashes, self.short_min_words, |i, h| {
                let Some(first) = self.short_prefixes.get(h) else {
                    return;
                };
                for &(p, s) in &self.shorts[first as usize..] {
                    if p != h {
                        break;
                    }
                    let len = s.words as usize;
                    if i + len <= hashes.len() && ngram_hash(&hashes[i..i + len]) == s.hash {
                        found.push((i, len, s.id));
                    }
                }
            });
            found.sort_unstable();
            found.dedup_by_key(|&mut (i, len, _)| (i, len));
        }
        found
            .into_iter()
            .map(|(i, len, id)| {
                let span = spans[i].0..spans[i + len - 1].1;
                Match {
                    reference: Arc::clone(&self.names[id as usize]),
                    ngram: normalized_words(&text[span.clone()]).join(" "),
                    span,
                }
            })
            .collect()
    }
}

/// `text` without the matched spans. Overlapping and touching spans are merged first;
/// where a removed span had whitespace (or the start of the text) before it, the spaces
/// and tabs after it go too, so no double spaces are left; line breaks stay.
pub fn remove_spans(text: &str, matches: &[Match]) -> String {
    let mut spans: Vec<Range<usize>> = matches
        .iter()
        .map(|m| m.span.clone())
        .filter(|s| s.start < s.end && s.end <= text.len())
        .collect();
    spans.sort_by_key(|s| s.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in merged {
        if s.start < at {
            continue;
        }
        out.push_str(&text[at..s.start]);
        let mut end = s.end;
        if out.is_empty() || out.ends_with(char::is_whitespace) {
            while end < b.len() && matches!(b[end], b' ' | b'\t') {
                end += 1;
            }
        }
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// The decision for one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecontaminationOutcome {
    /// Every reference n-gram found.
    pub matches: Vec<Match>,
    /// At least `min_matches` matches.
    pub contaminated: bool,
    /// Contaminated in `drop` mode: drop the document.
    pub drop: bool,
    /// Contaminated in `remove_spans` mode: the text without the matched spans.
    pub text: Option<String>,
}

/// An index with the settings that turn matches into a decision.
#[derive(Debug, Clone)]
pub struct Decontaminator {
    index: ReferenceIndex,
    config: DecontaminationConfig,
}

impl Decontaminator {
    /// Builds the index of `references` with `config`.
    pub fn new<I, N, T>(
        config: DecontaminationConfig,
        references: I,
    ) -> Result<Self, DecontaminationError>
    where
        I: IntoIterator<Item = (N, T)>,
        N: AsRef<str>,
        T: AsRef<str>,
    {
        let index = ReferenceIndex::build(&config, references)?;
        Ok(Decontaminator { index, config })
    }

    pub fn index(&self) -> &ReferenceIndex {
        &self.index
    }

    pub fn config(&self) -> &DecontaminationConfig {
        &self.config
    }

    /// Finds the matches of `text` and applies the mode.
    pub fn check(&self, text: &str) -> DecontaminationOutcome {
        let matches = self.index.find(text);
        let contaminated = matches.len() >= self.config.min_matches;
        let drop = contaminated && self.config.mode == DecontaminationMode::Drop;
        let text = (contaminated && self.config.mode == DecontaminationMode::RemoveSpans)
            .then(|| remove_spans(text, &matches));
        DecontaminationOutcome {
            matches,
            contaminated,
            drop,
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(n: usize) -> DecontaminationConfig {
        DecontaminationConfig {
            n,
            short_min_words: n.min(3),
            ..DecontaminationConfig::default()
        }
    }

    #[test]
    fn normalisation_lowercases_strips_punctuation_and_splits_on_whitespace() {
        assert_eq!(
            normalized_words("The U.S. company's EUR 155.2 mn , and — “Profit” rose…"),
            [
                "the", "us", "companys", "eur", "1552", "mn", "and", "profit", "rose"
            ]
        );
        assert_eq!(normalized_words("ÉTÉ\u{a0}Straße"), ["été", "straße"]);
        assert!(normalized_words(" -- ... ").is_empty());
    }

    #[test]
    fn finds_an_injected_example_with_spans_and_ngrams() {
        let idx = ReferenceIndex::build(
            &cfg(5),
            [(
                "bench",
                "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn .",
            )],
        )
        .expect("index");
        assert_eq!(idx.stats().ngrams, 7);
        let doc = "Intro.  Operating profit ROSE to EUR 13.1 mn from EUR 8.7 mn. Outro";
        let m = idx.find(doc);
        assert_eq!(m.len(), 7);
        assert_eq!(&doc[m[0].span.clone()], "Operating profit ROSE to EUR");
        assert_eq!(m[0].ngram, "operating profit rose to eur");
        assert_eq!(&*m[0].reference, "bench");
        assert_eq!(&doc[m[6].span.clone()], "mn from EUR 8.7 mn.");
        assert!(idx.find("Operating profit rose to USD 13.1 mn").is_empty());
    }

    #[test]
    fn short_references_are_matched_whole_or_skipped() {
        let config = DecontaminationConfig {
            n: 13,
            short_min_words: 4,
            ..DecontaminationConfig::default()
        };
        let idx = ReferenceIndex::build(
            &config,
            [
                ("h", "Shell shares fall on BG deal"),
                ("h", "Net sales rose"),
            ],
        )
        .expect("index");
        let s = idx.stats();
        assert_eq!((s.short_whole, s.skipped, s.ngrams), (1, 1, 1));
        let m = idx.find("Today: shell shares fall on BG deal, analysts say.");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].ngram, "shell shares fall on bg deal");
        assert!(idx.find("Net sales rose again").is_empty());
    }

    #[test]
    fn first_reference_name_wins() {
        let idx =
            ReferenceIndex::build(&cfg(3), [("a", "x y z"), ("b", "x y z w")]).expect("index");
        let m = idx.find("x y z w");
        assert_eq!(m.len(), 2);
        assert_eq!(&*m[0].reference, "a");
        assert_eq!(&*m[1].reference, "b");
    }

    #[test]
    fn remove_spans_merges_and_tidies_whitespace() {
        let idx = ReferenceIndex::build(&cfg(3), [("r", "one two three four")]).expect("index");
        let doc = "Keep this. One two three four five\nnext line";
        let out = remove_spans(doc, &idx.find(doc));
        assert_eq!(out, "Keep this. five\nnext line");
        let doc2 = "one two three";
        assert_eq!(remove_spans(doc2, &idx.find(doc2)), "");
    }

    #[test]
    fn decontaminator_modes_and_min_matches() {
        let refs = [("r", "a b c d e f")];
        let drop = Decontaminator::new(cfg(3), refs).expect("ok");
        let o = drop.check("z a b c d z");
        assert!(o.contaminated && o.drop && o.text.is_none());
        assert_eq!(o.matches.len(), 2);
        let strict = Decontaminator::new(
            DecontaminationConfig {
                min_matches: 3,
                ..cfg(3)
            },
            refs,
        )
        .expect("ok");
        assert!(!strict.check("z a b c d z").contaminated);
        let cut = Decontaminator::new(
            DecontaminationConfig {
                mode: DecontaminationMode::RemoveSpans,
                ..cfg(3)
            },
            refs,
        )
        .expect("ok");
        let o = cut.check("z a b c d z");
        assert!(!o.drop);
        assert_eq!(o.text.as_deref(), Some("z z"));
    }

    #[test]
    fn validate_rejects_nonsense() {
        for bad in [
            DecontaminationConfig {
                n: 0,
                ..Default::default()
            },
            DecontaminationConfig {
                n: 65,
                ..Default::default()
            },
            DecontaminationConfig {
                min_matches: 0,
                ..Default::default()
            },
            DecontaminationConfig {
                short_min_words: 14,
                ..Default::default()
            },
            DecontaminationConfig {
                short_min_words: 0,
                ..Default::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(DecontaminationConfig::default().validate().is_ok());
        let c: DecontaminationConfig =
            serde_json::from_str(r#"{"n": 8, "mode": "remove_spans"}"#).expect("parses");
        assert_eq!(c.mode, DecontaminationMode::RemoveSpans);
        assert!(serde_json::from_str::<DecontaminationConfig>(r#"{"ngram": 8}"#).is_err());
    }

    #[test]
    fn rolling_hash_equals_direct_hash() {
        let w: Vec<u64> = (0..40u64).map(|i| xxh3_64(&i.to_le_bytes())).collect();
        for len in [1, 3, 13] {
            let mut n = 0;
            for_each_ngram(&w, len, |i, h| {
                assert_eq!(h, ngram_hash(&w[i..i + len]), "len {len} at {i}");
                n += 1;
            });
            assert_eq!(n, w.len() - len + 1);
        }
    }

    #[test]
    fn hash_table_lookups() {
        let pairs: Vec<(u64, u32)> = (0..1000u64)
            .map(|i| (xxh3_64(&i.to_le_bytes()), 7))
            .collect();
        let t = HashTable::build(pairs.clone()).expect("table");
        assert_eq!(t.len(), 1000);
        for (h, _) in &pairs {
            assert_eq!(t.get(*h), Some(7));
        }
        assert_eq!(t.get(12345), None);
        let empty = HashTable::build(Vec::new()).expect("table");
        assert_eq!(empty.get(1), None);
    }
}
