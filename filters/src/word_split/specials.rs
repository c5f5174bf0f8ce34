//! spaCy's English tokenizer exceptions ("special cases"): strings that are split in a
//! fixed way (`don't` → `do` `n't`, `10am` → `10` `am`) or kept whole although they contain
//! affix characters (`U.S.`, `e.g.`, `Mr.`, emoticons).
//!
//! `spacy_en_exceptions.txt` is spaCy's English table (MIT licence), one entry a line: the
//! string alone when it stays one token, else the string followed by its pieces, separated
//! by tabs. Entries made of whitespace are left out: whitespace never reaches this table.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::fast_hash::FastBuildHasher;

const DATA: &str = include_str!("spacy_en_exceptions.txt");

struct Entry {
    /// Byte lengths of the pieces (empty: the entry is one token).
    pieces: Box<[u8]>,
    /// The entry contains prefix, suffix or infix characters, so the affix rules can cut
    /// it apart and the second pass must put it back together.
    affix: bool,
}

struct Table {
    map: HashMap<&'static str, Entry, FastBuildHasher>,
    /// One bit per (first byte, last byte) pair of the entries: most words miss here and
    /// skip hashing.
    ends: Box<[u64; 1024]>,
    /// Longest entry in bytes: longer strings skip the lookup.
    max_len: usize,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::with_hasher(FastBuildHasher::default());
        let mut max_len = 0;
        let mut ends = Box::new([0u64; 1024]);
        for line in DATA.lines().filter(|l| !l.is_empty()) {
            let mut parts = line.split('\t');
            let Some(key) = parts.next() else { continue };
            let pieces: Box<[u8]> = parts
                .map(|p| u8::try_from(p.len()).unwrap_or(u8::MAX))
                .collect();
            max_len = max_len.max(key.len());
            let bit = end_bit(key);
            ends[bit / 64] |= 1 << (bit % 64);
            let affix = super::affixes::find_prefix(key) != 0
                || super::affixes::find_suffix(key) != 0
                || super::affixes::has_infix(key);
            map.insert(key, Entry { pieces, affix });
        }
        Table { map, ends, max_len }
    })
}

#[inline]
fn end_bit(s: &str) -> usize {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => usize::from(f) << 8 | usize::from(l),
        _ => 0,
    }
}

impl Table {
    #[inline]
    fn get(&self, s: &str) -> Option<&Entry> {
        if s.len() > self.max_len {
            return None;
        }
        let bit = end_bit(s);
        if self.ends[bit / 64] & (1 << (bit % 64)) == 0 {
            return None;
        }
        self.map.get(s)
    }
}

/// Whether `s` is a special case.
#[inline]
pub(super) fn contains(s: &str) -> bool {
    table().get(s).is_some()
}

/// Whether `s` is a special case that contains affix characters.
#[inline]
pub(super) fn is_affix_case(s: &str) -> bool {
    table().get(s).is_some_and(|e| e.affix)
}

/// Length in bytes of the longest special case.
pub(super) fn max_len() -> usize {
    table().max_len
}

/// If `s` is a special case, emits its pieces (offsets shifted by `offset`) and returns true.
#[inline]
pub(super) fn emit(s: &str, offset: usize, push: &mut impl FnMut(usize, usize)) -> bool {
    let Some(Entry { pieces, .. }) = table().get(s) else {
        return false;
    };
    if pieces.is_empty() {
        push(offset, offset + s.len());
    } else {
        let mut at = offset;
        for &len in pieces.iter() {
            push(at, at + usize::from(len));
            at += usize::from(len);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_and_splits() {
        assert!(contains("e.g."));
        assert!(contains("don't"));
        assert!(!contains("hello"));
        let mut got = Vec::new();
        assert!(emit("can't", 0, &mut |a, b| got.push((a, b))));
        assert_eq!(got, [(0, 2), (2, 5)]);
    }
}
