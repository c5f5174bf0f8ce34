//! A small, fast, non-cryptographic hasher for in-memory maps keyed by short strings
//! (special-case words, lines). The streaming xxh3 hasher sets up a large state per key,
//! which dominates the cost of hashing a five-byte word; this one is a multiply-rotate
//! mix over 8-byte blocks (the scheme rustc's own `FxHasher` uses). Not DoS-resistant:
//! keys come from a document being analysed, not from a network peer holding a map open.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0xf135_7aea_2e62_a9c5;

/// Multiply-rotate hasher over 8-byte blocks.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, v: u64) {
        self.0 = (self.0.wrapping_add(v)).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// `BuildHasher` for [`FastHasher`].
pub type FastBuildHasher = BuildHasherDefault<FastHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn distinguishes_short_strings() {
        let words = ["a", "b", "ab", "ba", "abcdefgh", "abcdefghi", "", "\0"];
        let set: HashSet<&str, FastBuildHasher> = words.iter().copied().collect();
        assert_eq!(set.len(), words.len());
        let hashes: HashSet<u64> = words
            .iter()
            .map(|w| {
                let mut h = FastHasher::default();
                h.write(w.as_bytes());
                h.finish()
            })
            .collect();
        assert_eq!(hashes.len(), words.len());
    }
}
