//! Near-duplicate clusters and the rule that picks the one document each cluster keeps.
//!
//! The rule is deterministic and independent of how the pairs were found: in each
//! cluster the document with the lowest `(priority, index)` is kept, i.e. the lowest
//! priority value wins (e.g. a source's rank), and among equals the first seen.

use super::error::DedupError;
use super::union_find::UnionFind;

/// The decision for one document after near-dup clustering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NearDupDecision {
    /// The document is kept (alone, or the chosen member of its cluster).
    Keep,
    /// The document is dropped as a near-duplicate of the kept document `of`.
    DuplicateOf(u32),
}

impl NearDupDecision {
    /// Whether the document is kept.
    pub fn is_keep(self) -> bool {
        self == NearDupDecision::Keep
    }
}

/// Clusters `num_docs` documents connected by `pairs` and decides each document.
///
/// `priorities[i]` is document `i`'s priority (lower wins); an empty slice gives every
/// document the same priority. Returns one decision per document.
pub fn resolve_clusters(
    num_docs: u32,
    pairs: &[(u32, u32)],
    priorities: &[u32],
) -> Result<Vec<NearDupDecision>, DedupError> {
    let mut clusters = Clusters::new(num_docs);
    for &(a, b) in pairs {
        clusters.connect(a, b)?;
    }
    clusters.decide(priorities)
}

/// Clusters built from pairs as they stream in (e.g. from a merge of sorted files), so
/// the pairs never have to be held: 8 bytes per document.
#[derive(Debug, Clone)]
pub struct Clusters {
    uf: UnionFind,
}

impl Clusters {
    /// `num_docs` documents, each alone.
    pub fn new(num_docs: u32) -> Self {
        Clusters {
            uf: UnionFind::new(num_docs),
        }
    }

    /// Puts documents `a` and `b` in one cluster.
    pub fn connect(&mut self, a: u32, b: u32) -> Result<(), DedupError> {
        self.uf.union(a, b).map(|_| ())
    }

    /// One decision per document: in each cluster the lowest `(priority, index)` is kept.
    /// `priorities` as for [`resolve_clusters`].
    pub fn decide(mut self, priorities: &[u32]) -> Result<Vec<NearDupDecision>, DedupError> {
        let num_docs = self.uf.len();
        if !priorities.is_empty() && priorities.len() != num_docs as usize {
            return Err(super::error::invalid(
                "priorities",
                format!("{} priorities for {num_docs} documents", priorities.len()),
            ));
        }
        let roots = self.uf.roots();
        drop(self.uf);
        let prio = |d: u32| priorities.get(d as usize).copied().unwrap_or(0);
        // The best member of each cluster, stored at the cluster's root.
        let mut best: Vec<u32> = (0..num_docs).collect();
        for d in 0..num_docs {
            let r = roots[d as usize] as usize;
            let cur = best[r];
            if (prio(d), d) < (prio(cur), cur) {
                best[r] = d;
            }
        }
        Ok((0..num_docs)
            .map(|d| {
                let keeper = best[roots[d as usize] as usize];
                if keeper == d {
                    NearDupDecision::Keep
                } else {
                    NearDupDecision::DuplicateOf(keeper)
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NearDupDecision::*;

    #[test]
    fn first_seen_wins_without_priorities() {
        let d = resolve_clusters(5, &[(3, 1), (1, 4)], &[]).unwrap();
        assert_eq!(d, vec![Keep, Keep, Keep, DuplicateOf(1), DuplicateOf(1)]);
    }

    #[test]
    fn priority_then_index() {
        // Cluster {0, 2, 3}: doc 3 has the best priority; cluster {1, 4}: tie -> doc 1.
        let d = resolve_clusters(5, &[(0, 2), (2, 3), (1, 4)], &[5, 1, 5, 0, 1]).unwrap();
        assert_eq!(
            d,
            vec![DuplicateOf(3), Keep, DuplicateOf(3), Keep, DuplicateOf(1)]
        );
        assert!(resolve_clusters(5, &[], &[1]).is_err());
        assert!(resolve_clusters(2, &[(0, 2)], &[]).is_err());
    }
}
