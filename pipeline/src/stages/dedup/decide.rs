//! The global step of dedup: from every document's pass-1 record to one decision per
//! document. Exact duplicates first (the copy with the lowest `(priority, index)` stays),
//! then MinHash LSH clusters over the documents left (same keep rule); the line dedupers
//! of pass 2 come from the line counts of the documents kept
//! ([`Decisions::set_line_counts`]).
//!
//! The decisions depend only on the records and their global order, never on threads.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context, Result};
use curate_filters::dedup::{
    BandRecord, Clusters, ExactDecision, ExactDeduper, LineDeduper, NearDupDecision, TextNorm,
    verify_pairs,
};
use serde::{Deserialize, Serialize};

use super::external_sort::{ExternalSorter, SortStats, Sorted};
use super::signatures::{LineCounts, Signatures, Signer};

/// Why dedup removed a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Exact,
    MinHash,
    LinesAllRepeated,
}

impl Reason {
    /// The reason code in `removed/` and the funnel.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Exact => "dedup_exact",
            Reason::MinHash => "dedup_minhash",
            Reason::LinesAllRepeated => curate_filters::dedup::DROP_ALL_LINES_REPEATED,
        }
    }

    /// The dedup method, as the funnel's `dropped_by` names it.
    pub fn method(self) -> &'static str {
        match self {
            Reason::Exact => "exact",
            Reason::MinHash => "minhash",
            Reason::LinesAllRepeated => "lines",
        }
    }
}

/// A document removed as a duplicate: why, and the document its cluster keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removal {
    pub reason: Reason,
    /// Global index of the kept document (followed through chains: an exact copy of a
    /// near-duplicate points at the near-duplicate cluster's keeper).
    pub keeper: u32,
}

/// Counters of the global step, recorded in `_stage.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionStats {
    pub documents: u64,
    pub exact_removed: u64,
    pub minhash_removed: u64,
    /// Documents without a MinHash signature (fewer words than the shingle size).
    pub without_signature: u64,
    pub candidate_pairs: u64,
    /// Candidate pairs that passed verification (all of them without verification).
    pub confirmed_pairs: u64,
    /// Lines selected for removal, over all groups.
    pub frequent_lines: u64,
    /// Size of each cluster of duplicates (kept document included) to number of clusters.
    pub cluster_sizes: BTreeMap<u64, u64>,
    pub memory: IndexMemory,
}

/// What the index held, in bytes: fixed-size records per document, no text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexMemory {
    /// Per-document records of pass 1 (group, priority, exact hash, signature flag).
    pub records: u64,
    /// The exact-dedup hash tables.
    pub exact_table: u64,
    /// The LSH band records held in memory at once (all of them unless the budget made
    /// them spill), or the candidate pairs held later, whichever is more.
    pub lsh_index: u64,
    /// The near-duplicate clusters (union-find).
    #[serde(default)]
    pub union_find: u64,
    /// Bytes of band records and pairs written to sorted run files (0: all in memory).
    #[serde(default)]
    pub spilled_bytes: u64,
    /// Run files written.
    #[serde(default)]
    pub runs: u64,
    /// Merge passes over the runs before the final merge.
    #[serde(default)]
    pub merge_passes: u64,
    /// The line count tables (grow with distinct lines, not documents).
    pub line_counts: u64,
    /// `(records + exact_table + lsh_index + union_find) / documents`.
    pub bytes_per_document: f64,
}

impl IndexMemory {
    /// Records what sorting the band records and the candidate pairs cost.
    fn add_sort(&mut self, bands: &SortStats, pairs: &SortStats) {
        self.lsh_index = bands.peak_memory.max(pairs.peak_memory);
        self.spilled_bytes = bands.spilled_bytes + pairs.spilled_bytes;
        self.runs = bands.runs + pairs.runs;
        self.merge_passes = bands.merge_passes + pairs.merge_passes;
    }
}

/// Every decision of the global step.
pub struct Decisions {
    /// One per document; `None`: kept (lines may still be removed from it).
    pub removed: Vec<Option<Removal>>,
    /// The group of each document, to find its line deduper.
    pub groups: Vec<u32>,
    pub line_dedupers: BTreeMap<u32, LineDeduper>,
    pub stats: DecisionStats,
}

impl Decisions {
    /// Sets the line dedupers from the line counts of the documents kept.
    pub fn set_line_counts(&mut self, counts: LineCounts) {
        self.stats.memory.line_counts = counts
            .by_group
            .values()
            .map(|c| c.memory_bytes() as u64)
            .sum();
        self.line_dedupers = counts
            .by_group
            .into_iter()
            .map(|(group, counter)| (group, counter.into_deduper()))
            .collect();
        self.stats.frequent_lines = self
            .line_dedupers
            .values()
            .map(|d| d.frequent_lines() as u64)
            .sum();
    }

    /// Global indices of documents that a removed document names as its keeper.
    pub fn keepers(&self) -> BTreeSet<u32> {
        self.removed.iter().flatten().map(|r| r.keeper).collect()
    }
}

/// Where the index may spill and how much memory it may hold.
#[derive(Debug, Clone)]
pub struct IndexBudget {
    /// The stage's scratch directory for run files.
    pub dir: std::path::PathBuf,
    /// Bytes of band records (and, later, candidate pairs) held in memory at once;
    /// `None`: everything in memory.
    pub bytes: Option<u64>,
}

impl IndexBudget {
    /// The sorter pass 1 sends its band records to, sized for `documents`.
    pub fn band_sorter(&self, signer: &Signer, documents: usize) -> ExternalSorter<BandRecord> {
        ExternalSorter::new(
            &self.dir,
            "bands",
            self.bytes,
            documents.saturating_mul(signer.bands()),
        )
    }
}

/// Decides every document. `bands` holds the band records of pass 1. `fetch_texts`
/// returns the texts of the given global indices; it is called only when MinHash
/// candidates are verified, for the documents in candidate pairs.
pub fn decide(
    signatures: Signatures,
    bands: ExternalSorter<BandRecord>,
    signer: &Signer,
    verify_threshold: Option<f64>,
    budget: &IndexBudget,
    mut fetch_texts: impl FnMut(&BTreeSet<u32>) -> Result<HashMap<u32, String>>,
) -> Result<Decisions> {
    let documents = signatures.len();
    let mut stats = DecisionStats {
        documents: documents as u64,
        ..DecisionStats::default()
    };
    stats.memory.records = signatures.record_bytes() as u64;
    signatures.check(signer, signer.exact(), bands.len()?)?;
    let mut removed: Vec<Option<Removal>> = vec![None; documents];

    if signer.exact() && documents > 0 {
        stats.memory.exact_table = exact_step(&signatures, &mut removed)? as u64;
    }
    if let Some(hasher) = signer.hasher() {
        stats.without_signature = (0..documents)
            .filter(|&d| removed[d].is_none() && !signatures.has_bands[d])
            .count() as u64;
        let num_docs = super::signatures::doc_index(documents)?;
        let (records, band_stats) = bands.finish().context("cannot sort the LSH band records")?;
        let pairs = candidate_pairs(records, &removed, budget)?;
        let (pairs, pair_stats) = pairs.finish().context("cannot sort the candidate pairs")?;
        stats.memory.add_sort(&band_stats, &pair_stats);
        let mut clusters = Clusters::new(num_docs);
        let mut to_verify = verify_threshold.map(|_| Vec::new());
        let mut last = None;
        for pair in pairs {
            let pair = pair?;
            if last == Some(pair) {
                continue;
            }
            last = Some(pair);
            stats.candidate_pairs += 1;
            match &mut to_verify {
                Some(pending) => pending.push(pair),
                None => clusters.connect(pair.0, pair.1)?,
            }
        }
        stats.confirmed_pairs = stats.candidate_pairs;
        if let (Some(threshold), Some(pending)) = (verify_threshold, to_verify) {
            let wanted: BTreeSet<u32> = pending.iter().flat_map(|&(a, b)| [a, b]).collect();
            let texts = fetch_texts(&wanted).context("cannot read candidate texts")?;
            let confirmed = verify_pairs(hasher, &pending, threshold, |doc| texts.get(&doc));
            stats.confirmed_pairs = confirmed.len() as u64;
            for (a, b) in confirmed {
                clusters.connect(a, b)?;
            }
        }
        stats.memory.union_find = u64::from(num_docs) * 8;
        let decisions = clusters.decide(&signatures.priorities)?;
        for (doc, decision) in decisions.into_iter().enumerate() {
            if let NearDupDecision::DuplicateOf(keeper) = decision
                && removed[doc].is_none()
            {
                removed[doc] = Some(Removal {
                    reason: Reason::MinHash,
                    keeper,
                });
            }
        }
    }
    follow_chains(&mut removed);
    for removal in removed.iter().flatten() {
        match removal.reason {
            Reason::Exact => stats.exact_removed += 1,
            Reason::MinHash => stats.minhash_removed += 1,
            Reason::LinesAllRepeated => {}
        }
    }
    stats.cluster_sizes = cluster_sizes(&removed);
    stats.memory.bytes_per_document = if documents == 0 {
        0.0
    } else {
        let m = &stats.memory;
        (m.records + m.exact_table + m.lsh_index + m.union_find) as f64 / documents as f64
    };
    Ok(Decisions {
        removed,
        groups: signatures.groups,
        line_dedupers: BTreeMap::new(),
        stats,
    })
}

/// The candidate pairs of the sorted band records, into a sorter of their own: within each
/// run of equal `(band, hash)`, each document pairs with the one before it (as datatrove's
/// bucket step does), documents already removed as exact copies left out.
fn candidate_pairs(
    records: Sorted<BandRecord>,
    removed: &[Option<Removal>],
    budget: &IndexBudget,
) -> Result<ExternalSorter<(u32, u32)>> {
    const BATCH: usize = 4096;
    let pairs = ExternalSorter::new(&budget.dir, "pairs", budget.bytes, 0);
    let mut batch = Vec::with_capacity(BATCH);
    let mut prev: Option<BandRecord> = None;
    for record in records {
        let record = record?;
        if removed[record.doc as usize].is_some() {
            continue;
        }
        if let Some(p) = prev
            && p.band == record.band
            && p.hash == record.hash
        {
            batch.push((p.doc.min(record.doc), p.doc.max(record.doc)));
            if batch.len() == BATCH {
                pairs.extend(&batch)?;
                batch.clear();
            }
        }
        prev = Some(record);
    }
    pairs.extend(&batch)?;
    Ok(pairs)
}

/// Exact dedup per group, documents observed in `(priority, index)` order so the first
/// seen is the keeper the rule asks for. Returns the tables' bytes.
fn exact_step(signatures: &Signatures, removed: &mut [Option<Removal>]) -> Result<usize> {
    let mut order: Vec<u32> = (0..super::signatures::doc_index(signatures.len())?).collect();
    order.sort_by_key(|&d| (signatures.priorities[d as usize], d));
    let mut groups: BTreeMap<u32, (ExactDeduper, Vec<u32>)> = BTreeMap::new();
    for doc in order {
        let (deduper, observed) = groups
            .entry(signatures.groups[doc as usize])
            .or_insert_with(|| (ExactDeduper::new(TextNorm::None), Vec::new()));
        let decision = deduper.observe_hash(signatures.exact[doc as usize])?;
        if let ExactDecision::DuplicateOf(first) = decision {
            removed[doc as usize] = Some(Removal {
                reason: Reason::Exact,
                keeper: observed[first as usize],
            });
        }
        observed.push(doc);
    }
    Ok(groups.values().map(|(d, _)| d.memory_bytes()).sum())
}

/// Points every removed document at the document finally kept for its cluster.
fn follow_chains(removed: &mut [Option<Removal>]) {
    for doc in 0..removed.len() {
        let Some(mut removal) = removed[doc] else {
            continue;
        };
        // Chains are at most two long (exact, then near-duplicate); the bound guards
        // against a cycle all the same.
        for _ in 0..removed.len() {
            match removed[removal.keeper as usize] {
                Some(next) if next.keeper != removal.keeper => removal.keeper = next.keeper,
                _ => break,
            }
        }
        removed[doc] = Some(removal);
    }
}

/// Cluster size (kept document included) to number of clusters.
fn cluster_sizes(removed: &[Option<Removal>]) -> BTreeMap<u64, u64> {
    let mut members: HashMap<u32, u64> = HashMap::new();
    for removal in removed.iter().flatten() {
        *members.entry(removal.keeper).or_default() += 1;
    }
    let mut sizes = BTreeMap::new();
    for count in members.values() {
        *sizes.entry(count + 1).or_default() += 1;
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::DedupSection;
    use curate_filters::dedup::Scratch;

    fn decide_texts(section: &str, docs: &[(u32, &str)]) -> Decisions {
        decide_within(section, docs, None)
    }

    /// As [`decide_texts`], holding at most `budget` bytes of band records and pairs.
    fn decide_within(section: &str, docs: &[(u32, &str)], budget: Option<u64>) -> Decisions {
        let section: DedupSection = toml::from_str(section).unwrap();
        let signer = Signer::new(&section).unwrap();
        let mut signatures = Signatures::default();
        let mut scratch = Scratch::default();
        let mut records = Vec::new();
        for (doc, (priority, text)) in docs.iter().enumerate() {
            let keys = signer.sign(text, None, &mut scratch);
            signatures.push(doc as u32, 0, *priority, keys, &mut records);
        }
        let scratch_dir = tempfile::tempdir().unwrap();
        let budget = IndexBudget {
            dir: scratch_dir.path().to_path_buf(),
            bytes: budget,
        };
        let bands = budget.band_sorter(&signer, docs.len());
        bands.extend(&records).unwrap();
        let texts: Vec<String> = docs.iter().map(|(_, t)| t.to_string()).collect();
        let threshold = section.minhash.as_ref().and_then(|m| m.verify_threshold);
        let mut decisions = decide(signatures, bands, &signer, threshold, &budget, |wanted| {
            Ok(wanted
                .iter()
                .map(|&d| (d, texts[d as usize].clone()))
                .collect())
        })
        .unwrap();
        let mut lines = LineCounts::default();
        for (i, text) in texts.iter().enumerate() {
            if decisions.removed[i].is_none() {
                lines.observe(&signer, 0, i as u32, text);
            }
        }
        decisions.set_line_counts(lines);
        decisions
    }

    fn long(seed: usize, change: Option<usize>) -> String {
        (0..200)
            .map(|i| {
                if Some(i) == change {
                    "changed".to_owned()
                } else {
                    format!("w{}", (i * 7 + seed * 13) % 997)
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn exact_keeps_lowest_priority_then_first() {
        let d = decide_texts(
            "[exact]",
            &[(2, "same text"), (1, "other"), (1, "same  text"), (0, "x")],
        );
        assert_eq!(
            d.removed,
            vec![
                Some(Removal {
                    reason: Reason::Exact,
                    keeper: 2
                }),
                None,
                None,
                None
            ]
        );
        assert_eq!(d.stats.cluster_sizes, BTreeMap::from([(2, 1)]));
    }

    #[test]
    fn near_duplicates_follow_exact_and_chains_resolve() {
        let a = long(1, None);
        let b = long(1, Some(100));
        let c = long(2, None);
        let d = decide_texts(
            "[exact]\n[minhash]\nverify_threshold = 0.8",
            &[(1, &a), (1, &a), (0, &b), (0, &c)],
        );
        let near = |keeper| {
            Some(Removal {
                reason: Reason::MinHash,
                keeper,
            })
        };
        let exact = |keeper| {
            Some(Removal {
                reason: Reason::Exact,
                keeper,
            })
        };
        // b has the lower priority value: it is kept; a's exact copy points at b too.
        assert_eq!(d.removed, vec![near(2), exact(2), None, None]);
        assert_eq!(d.stats.cluster_sizes, BTreeMap::from([(3, 1)]));
        assert_eq!((d.stats.exact_removed, d.stats.minhash_removed), (1, 1));
        assert_eq!(d.stats.confirmed_pairs, 1);
    }

    #[test]
    fn removed_copies_do_not_count_toward_repeated_lines() {
        let page = "alpha line\nbeta line";
        let d = decide_texts(
            "[exact]\n[lines]\nmax_docs = 2",
            &[(0, page), (0, page), (0, page), (0, "alpha line\ngamma")],
        );
        // Without the copies, "alpha line" is in 2 documents: not more than max_docs.
        assert_eq!(d.stats.exact_removed, 2);
        assert_eq!(d.stats.frequent_lines, 0);
        assert_eq!(d.line_dedupers[&0].apply(page).removed_lines, 0);
    }

    #[test]
    fn line_counts_become_dedupers() {
        let docs: Vec<String> = (0..4).map(|i| format!("footer line\nbody {i}")).collect();
        let refs: Vec<(u32, &str)> = docs.iter().map(|t| (0, t.as_str())).collect();
        let d = decide_texts("[lines]\nmax_docs = 3", &refs);
        assert_eq!(d.stats.frequent_lines, 1);
        assert_eq!(d.line_dedupers[&0].apply("footer line\nbody").text, "body");
    }

    #[test]
    fn a_budget_that_spills_gives_the_same_decisions() {
        // 40 documents in 8 near-duplicate families (one word changed per member), with
        // priorities that move the keeper.
        let family = |f: usize, change: usize| -> String {
            (0..200)
                .map(|j| match j == change {
                    true => "changed".to_owned(),
                    false => format!("f{f}w{j}"),
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let texts: Vec<String> = (0..40).map(|i| family(i % 8, 20 + i)).collect();
        let docs: Vec<(u32, &str)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| ((i % 3) as u32, t.as_str()))
            .collect();
        let section = "[exact]\n[minhash]";
        let memory = decide_within(section, &docs, None);
        // 14 bands x 40 documents = 560 records; 160 bytes holds 5 of them per run, so
        // 112 runs, merged in a pass first.
        let spilled = decide_within(section, &docs, Some(160));
        assert_eq!(spilled.removed, memory.removed);
        assert_eq!(memory.stats.memory.runs, 0);
        assert!(spilled.stats.memory.runs > super::super::external_sort::MAX_FAN_IN as u64);
        assert!(spilled.stats.memory.merge_passes >= 1);
        let counters = |d: &Decisions| {
            let s = &d.stats;
            (
                s.exact_removed,
                s.minhash_removed,
                s.candidate_pairs,
                s.cluster_sizes.clone(),
            )
        };
        assert_eq!(counters(&spilled), counters(&memory));
        assert_eq!(
            memory.stats.minhash_removed + memory.stats.exact_removed,
            32
        );
    }
}
