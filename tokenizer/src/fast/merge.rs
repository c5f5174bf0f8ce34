//! Byte-pair merging of one pre-tokenized piece, with the merge rules of HF's BPE model.
//!
//! HF merges the adjacent pair with the lowest rank in the merge list, leftmost first on
//! ties, until no adjacent pair has a rule; the rule of a pair gives the merged id. That is
//! what [`Bpe::encode`] does, directly on bytes: the byte-level alphabet maps each byte to
//! one vocabulary symbol, so a piece never needs its `Ġ`-style string. Short pieces use a
//! linear scan (faster than a heap below a few dozen symbols, as in tiktoken); long ones a
//! heap with a linked list, as HF does, so a megabyte without a split point stays
//! `O(n log n)`.
//!
//! Most pieces of real text are one token, so pieces whose merge ends in a single token are
//! looked up whole before any merging (the table is built from the vocabulary at load time
//! by merging every token, so it never disagrees with the rules); the other short pieces
//! are cached per thread once merged.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

/// Where ids go: a vector of ids, or a counter that keeps only their number.
pub(crate) trait Sink {
    /// One id.
    fn push(&mut self, id: u32);
    /// Several ids.
    fn push_all(&mut self, ids: &[u32]);
}

impl Sink for Vec<u32> {
    #[inline]
    fn push(&mut self, id: u32) {
        Vec::push(self, id);
    }
    #[inline]
    fn push_all(&mut self, ids: &[u32]) {
        self.extend_from_slice(ids);
    }
}

/// Counts ids without storing them.
#[derive(Debug, Default)]
pub(crate) struct Count(pub(crate) usize);

impl Sink for Count {
    #[inline]
    fn push(&mut self, _id: u32) {
        self.0 += 1;
    }
    #[inline]
    fn push_all(&mut self, ids: &[u32]) {
        self.0 += ids.len();
    }
}

#[inline]
fn read2(s: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([s[at], s[at + 1]]))
}

#[inline]
fn read4(s: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]]))
}

#[inline]
fn read8(s: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&s[at..at + 8]);
    u64::from_le_bytes(b)
}

/// A piece of 1 to 7 bytes as one integer: the bytes, zero padding, the length in the top
/// byte. Built from two overlapping loads (no byte copy, which would stall the load that
/// reads the key back); hashing and comparing it costs a few instructions where a
/// byte-slice key costs a `memcmp` call, and the table of such keys is half the size.
#[inline]
fn key7(p: &[u8]) -> u64 {
    let n = p.len();
    let v = match n {
        0 => 0,
        1 => u64::from(p[0]),
        2 | 3 => read2(p, 0) | ((read2(p, n - 2) >> (8 * (4 - n))) << 16),
        _ => read4(p, 0) | ((read4(p, n - 4) >> (8 * (8 - n))) << 32),
    };
    v | ((n as u64) << 56)
}

/// The same for 8 to 15 bytes.
#[inline]
fn key15(p: &[u8]) -> u128 {
    let n = p.len();
    let tail = if n == 8 {
        0
    } else {
        read8(p, n - 8) >> (8 * (16 - n))
    };
    u128::from(read8(p, 0)) | (u128::from(tail | ((n as u64) << 56)) << 64)
}

/// [`key7`] or [`key15`] as one cache key (lengths differ in the top byte of each).
#[inline]
fn short_key(p: &[u8]) -> Option<u128> {
    match p.len() {
        0..=7 => Some(u128::from(key7(p))),
        8..=SHORT => Some(key15(p)),
        _ => None,
    }
}

/// Longest piece with a [`short_key`].
const SHORT: usize = 15;

/// Entries kept in a [`Scratch`]'s cache before it is emptied.
const CACHE_ENTRIES: usize = 1 << 16;

/// Pieces longer than this many bytes are merged with the heap.
const LINEAR_MAX: usize = 96;

/// Packs a merge rule as `rank << 32 | new_id`, so comparing packed values compares ranks
/// (ranks are unique).
#[inline]
fn pack(rank: u32, id: u32) -> u64 {
    (u64::from(rank) << 32) | u64::from(id)
}

/// The merge rules and lookup tables of one vocabulary.
#[derive(Debug)]
pub(crate) struct Bpe {
    /// Id of the symbol of each byte.
    byte_ids: [u32; 256],
    /// `(left << 32 | right)` to packed `(rank, new_id)`.
    merges: FxHashMap<u64, u64>,
    /// Pieces of up to 7 bytes whose encoding is a single token, by [`key7`]. With
    /// `ignore_merges`, every vocabulary entry, which HF then looks up before merging.
    whole7: FxHashMap<u64, u32>,
    /// The same for 8 to 15 bytes, by [`key15`].
    whole15: FxHashMap<u128, u32>,
    /// The same for longer pieces.
    whole_long: FxHashMap<Box<[u8]>, u32>,
}

/// Working space of one merge.
#[derive(Debug, Default)]
struct Work {
    ids: Vec<u32>,
    ranks: Vec<u64>,
    next: Vec<usize>,
    prev: Vec<usize>,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
}

/// Scratch space reused across pieces, with a cache of the short pieces that merge to
/// several tokens (a word's ids are computed once per thread, not at every occurrence).
/// A cache belongs to one [`Bpe`]; the caller keeps them together.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    work: Work,
    /// `short_key` to `offset << 16 | len` in `arena`.
    cache: FxHashMap<u128, u64>,
    arena: Vec<u32>,
}

impl Bpe {
    /// Builds the tables. `vocab` holds the byte strings of the vocabulary entries that are
    /// made of byte-level symbols; `merges` the rules as `(left, right, new)` ids in rank
    /// order (a later rule for the same pair replaces an earlier one, as in HF).
    pub(crate) fn new(
        byte_ids: [u32; 256],
        vocab: &[(Vec<u8>, u32)],
        merges: &[(u32, u32, u32)],
        ignore_merges: bool,
    ) -> Self {
        let mut map = FxHashMap::default();
        map.reserve(merges.len());
        for (rank, &(a, b, id)) in merges.iter().enumerate() {
            map.insert((u64::from(a) << 32) | u64::from(b), pack(rank as u32, id));
        }
        let mut bpe = Self {
            byte_ids,
            merges: map,
            whole7: FxHashMap::default(),
            whole15: FxHashMap::default(),
            whole_long: FxHashMap::default(),
        };
        let (mut w7, mut w15, mut long) = (
            FxHashMap::default(),
            FxHashMap::default(),
            FxHashMap::default(),
        );
        let mut work = Work::default();
        let mut ids = Vec::new();
        for (bytes, id) in vocab {
            if !ignore_merges {
                ids.clear();
                bpe.merge(bytes, &mut work, &mut ids);
                if ids.as_slice() != [*id] {
                    continue;
                }
            }
            match bytes.len() {
                0..=7 => w7.insert(key7(bytes), *id),
                8..=SHORT => w15.insert(key15(bytes), *id),
                _ => long.insert(bytes.clone().into_boxed_slice(), *id),
            };
        }
        bpe.whole7 = w7;
        bpe.whole15 = w15;
        bpe.whole_long = long;
        bpe
    }

    /// Rule for the pair `(a, b)`, packed, or `u64::MAX`.
    #[inline]
    fn rule(&self, a: u32, b: u32) -> u64 {
        self.merges
            .get(&((u64::from(a) << 32) | u64::from(b)))
            .copied()
            .unwrap_or(u64::MAX)
    }

    /// Emits the ids of one piece.
    #[inline]
    pub(crate) fn encode(&self, piece: &[u8], scratch: &mut Scratch, out: &mut impl Sink) {
        if let [b] = piece {
            out.push(self.byte_ids[*b as usize]);
            return;
        }
        let whole = match piece.len() {
            0..=7 => self.whole7.get(&key7(piece)),
            8..=SHORT => self.whole15.get(&key15(piece)),
            _ => self.whole_long.get(piece),
        };
        if let Some(&id) = whole {
            out.push(id);
            return;
        }
        let Some(key) = short_key(piece) else {
            self.merge(piece, &mut scratch.work, out);
            return;
        };
        let Scratch { work, cache, arena } = scratch;
        let (start, len) = match cache.get(&key) {
            Some(&v) => ((v >> 16) as usize, (v & 0xffff) as usize),
            None => {
                if cache.len() >= CACHE_ENTRIES {
                    cache.clear();
                    arena.clear();
                }
                let start = arena.len();
                self.merge(piece, work, arena);
                let len = arena.len() - start;
                cache.insert(key, ((start as u64) << 16) | len as u64);
                (start, len)
            }
        };
        out.push_all(&arena[start..start + len]);
    }

    fn merge(&self, piece: &[u8], work: &mut Work, out: &mut impl Sink) {
        if piece.len() <= LINEAR_MAX {
            self.merge_linear(piece, work, out);
        } else {
            self.merge_heap(piece, work, out);
        }
    }

    fn merge_linear(&self, piece: &[u8], work: &mut Work, out: &mut impl Sink) {
        let ids = &mut work.ids;
        let ranks = &mut work.ranks;
        ids.clear();
        ids.extend(piece.iter().map(|&b| self.byte_ids[b as usize]));
        ranks.clear();
        ranks.extend(ids.windows(2).map(|w| self.rule(w[0], w[1])));
        loop {
            let mut best = u64::MAX;
            let mut at = 0;
            for (i, &r) in ranks.iter().enumerate() {
                if r < best {
                    best = r;
                    at = i;
                }
            }
            if best == u64::MAX {
                break;
            }
            ids[at] = best as u32;
            ids.remove(at + 1);
            ranks.remove(at);
            if at + 1 < ids.len() {
                ranks[at] = self.rule(ids[at], ids[at + 1]);
            }
            if at > 0 {
                ranks[at - 1] = self.rule(ids[at - 1], ids[at]);
            }
        }
        out.push_all(ids);
    }

    /// HF's algorithm: a heap of `(rule, position)`, stale entries skipped.
    fn merge_heap(&self, piece: &[u8], work: &mut Work, out: &mut impl Sink) {
        const NONE: usize = usize::MAX;
        let n = piece.len();
        let Work {
            ids,
            next,
            prev,
            heap,
            ..
        } = work;
        ids.clear();
        ids.extend(piece.iter().map(|&b| self.byte_ids[b as usize]));
        next.clear();
        next.extend((1..=n).map(|i| if i < n { i } else { NONE }));
        prev.clear();
        prev.extend((0..n).map(|i| if i > 0 { i - 1 } else { NONE }));
        heap.clear();
        for i in 0..n - 1 {
            let r = self.rule(ids[i], ids[i + 1]);
            if r != u64::MAX {
                heap.push(Reverse((r, i)));
            }
        }
        // `removed[i]` is marked by `ids[i] == u32::MAX`.
        while let Some(Reverse((r, i))) = heap.pop() {
            if ids[i] == u32::MAX || next[i] == NONE {
                continue;
            }
            let j = next[i];
            if self.rule(ids[i], ids[j]) != r {
                continue;
            }
            ids[i] = r as u32;
            ids[j] = u32::MAX;
            next[i] = next[j];
            if next[j] != NONE {
                prev[next[j]] = i;
            }
            if prev[i] != NONE {
                let p = prev[i];
                let r = self.rule(ids[p], ids[i]);
                if r != u64::MAX {
                    heap.push(Reverse((r, p)));
                }
            }
            if next[i] != NONE {
                let r = self.rule(ids[i], ids[next[i]]);
                if r != u64::MAX {
                    heap.push(Reverse((r, i)));
                }
            }
        }
        let mut i = 0;
        while i != NONE {
            out.push(ids[i]);
            i = next[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy vocabulary: bytes are their own ids; rules a+b=256 (rank 0), b+c=257 (rank 1),
    /// 256+c=258 (rank 2), a+257=259 (rank 3).
    fn toy() -> Bpe {
        let mut byte_ids = [0u32; 256];
        for (i, id) in byte_ids.iter_mut().enumerate() {
            *id = i as u32;
        }
        let (a, b, c) = (u32::from(b'a'), u32::from(b'b'), u32::from(b'c'));
        let merges = [(a, b, 256), (b, c, 257), (256, c, 258), (a, 257, 259)];
        let vocab = vec![
            (b"ab".to_vec(), 256),
            (b"bc".to_vec(), 257),
            (b"abc".to_vec(), 258),
        ];
        Bpe::new(byte_ids, &vocab, &merges, false)
    }

    #[test]
    fn linear_and_heap_agree() {
        let bpe = toy();
        let mut w = Work::default();
        for text in ["abc", "bcabcab", "aabbcc", "abcabcabcbcbcaaab"] {
            let long = text.repeat(40);
            let (mut lin, mut heap) = (Vec::new(), Vec::new());
            bpe.merge_linear(long.as_bytes(), &mut w, &mut lin);
            bpe.merge_heap(long.as_bytes(), &mut w, &mut heap);
            assert_eq!(lin, heap, "{text}");
        }
        let mut s = Scratch::default();
        let mut ids = Vec::new();
        bpe.encode(b"abc", &mut s, &mut ids);
        assert_eq!(ids, [258]);
        ids.clear();
        bpe.encode(b"bcab", &mut s, &mut ids);
        assert_eq!(ids, [257, 256]);
    }

    /// Inverse of [`short_key`]: the key holds the bytes in order and the length, so two
    /// pieces never share a key.
    fn unkey(key: u128) -> Vec<u8> {
        let (lo, hi) = (key as u64, (key >> 64) as u64);
        if hi == 0 {
            let n = (lo >> 56) as usize;
            return lo.to_le_bytes()[..n].to_vec();
        }
        let n = (hi >> 56) as usize;
        let mut v = lo.to_le_bytes().to_vec();
        v.extend_from_slice(&hi.to_le_bytes()[..n - 8]);
        v
    }

    #[test]
    fn short_keys_hold_the_piece() {
        let mut x = 0x1234_5678_9abc_def1u64;
        for n in 1..=SHORT {
            for round in 0..2_000 {
                let p: Vec<u8> = (0..n)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        // Small alphabets too, where overlapping loads could alias.
                        if round % 2 == 0 {
                            x as u8
                        } else {
                            (x % 3) as u8
                        }
                    })
                    .collect();
                assert_eq!(unkey(short_key(&p).unwrap()), p);
            }
        }
        assert!(short_key(&[0; SHORT + 1]).is_none());
    }
}
