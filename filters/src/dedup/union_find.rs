//! Union-find over document indices, with path compression (halving) and union by size.
//!
//! Memory: 8 bytes per document (a `u32` parent and a `u32` set size).

use super::error::DedupError;

/// Disjoint sets of documents `0..len`.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `len` singleton sets.
    pub fn new(len: u32) -> Self {
        UnionFind {
            parent: (0..len).collect(),
            size: vec![1; len as usize],
        }
    }

    /// Number of documents.
    pub fn len(&self) -> u32 {
        self.parent.len() as u32
    }

    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    fn check(&self, x: u32) -> Result<(), DedupError> {
        if x < self.len() {
            Ok(())
        } else {
            Err(DedupError::DocumentOutOfRange {
                index: x,
                len: self.len(),
            })
        }
    }

    /// The representative of `x`'s set (shortening the path on the way).
    pub fn find(&mut self, x: u32) -> Result<u32, DedupError> {
        self.check(x)?;
        Ok(self.find_unchecked(x))
    }

    fn find_unchecked(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        x
    }

    /// Merges the sets of `a` and `b`; returns whether they were separate.
    pub fn union(&mut self, a: u32, b: u32) -> Result<bool, DedupError> {
        self.check(a)?;
        self.check(b)?;
        let (ra, rb) = (self.find_unchecked(a), self.find_unchecked(b));
        if ra == rb {
            return Ok(false);
        }
        // Attach the smaller tree; on equal sizes the lower index becomes the root, so the
        // structure (not only the partition) is independent of hash-table order.
        let (root, child) = match self.size[ra as usize].cmp(&self.size[rb as usize]) {
            std::cmp::Ordering::Greater => (ra, rb),
            std::cmp::Ordering::Less => (rb, ra),
            std::cmp::Ordering::Equal => (ra.min(rb), ra.max(rb)),
        };
        self.parent[child as usize] = root;
        self.size[root as usize] += self.size[child as usize];
        Ok(true)
    }

    /// The size of `x`'s set.
    pub fn set_size(&mut self, x: u32) -> Result<u32, DedupError> {
        let r = self.find(x)?;
        Ok(self.size[r as usize])
    }

    /// Every document's representative, fully compressed.
    pub fn roots(&mut self) -> Vec<u32> {
        (0..self.len()).map(|x| self.find_unchecked(x)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unions_and_finds() {
        let mut uf = UnionFind::new(6);
        assert!(uf.union(0, 1).unwrap());
        assert!(uf.union(3, 4).unwrap());
        assert!(uf.union(1, 4).unwrap());
        assert!(!uf.union(0, 3).unwrap());
        assert_eq!(uf.set_size(4).unwrap(), 4);
        let roots = uf.roots();
        assert!(roots[0] == roots[1] && roots[1] == roots[3] && roots[3] == roots[4]);
        assert_ne!(roots[2], roots[0]);
        assert_ne!(roots[5], roots[2]);
        assert!(uf.union(0, 6).is_err());
        assert!(uf.find(9).is_err());
    }

    #[test]
    fn long_chain_compresses() {
        let mut uf = UnionFind::new(10_000);
        for i in 1..10_000 {
            uf.union(i - 1, i).unwrap();
        }
        let root = uf.find(9_999).unwrap();
        assert!(uf.roots().iter().all(|&r| r == root));
    }
}
