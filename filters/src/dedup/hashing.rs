//! A pass-through hasher for hash tables keyed by values that are already xxh3 output.

use std::hash::{BuildHasherDefault, Hasher};

/// Uses the key's own (already uniformly random) bits as the table hash instead of
/// hashing them a second time with SipHash.
#[derive(Default, Debug, Clone, Copy)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // `[u64; 2]` keys arrive here as 16 bytes (integer slices hash as one byte write).
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(5) ^ n;
    }
    fn write_usize(&mut self, _len: usize) {
        // Array length prefixes are constants; ignoring them keeps the key's own bits.
    }
}

/// `BuildHasher` for [`PassThrough`].
pub type PassThroughBuild = BuildHasherDefault<PassThrough>;

/// Approximate bytes of a hashbrown table of usable `capacity` with `slot`-byte entries:
/// the bucket count is the next power of two above `capacity * 8 / 7` (its maximum load
/// is 7/8), and every bucket has its slot plus one control byte.
pub fn table_bytes(capacity: usize, slot: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = (capacity * 8 / 7).next_power_of_two();
    buckets * (slot + 1)
}
