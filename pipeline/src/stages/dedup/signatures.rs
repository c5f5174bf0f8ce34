//! Pass 1 of dedup: a fixed-size record per document (its group, priority, exact hash and
//! MinHash band hashes), never the text; and the per-group line counts of the documents
//! that exact and near-dup dedup keep.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use curate_filters::dedup::{BandRecord, LineCounter, MinHasher, Scratch, exact_hash, url_hash};

use crate::job::DedupSection;
use crate::job::dedup::ExactSection;

/// Computes what pass 1 keeps of one document. Shared by worker threads (each brings its
/// own [`Scratch`]).
pub struct Signer {
    exact: Option<ExactSection>,
    hasher: Option<MinHasher>,
    lines: Option<curate_filters::dedup::LineDedupConfig>,
}

/// The dedup keys of one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocKeys {
    pub exact: Option<u128>,
    /// `None` for a document too short to shingle (it is never a near-duplicate).
    pub bands: Option<Vec<u64>>,
}

impl Signer {
    pub fn new(section: &DedupSection) -> Result<Self> {
        let hasher = match &section.minhash {
            Some(minhash) => {
                Some(MinHasher::new(minhash.config()).context("invalid [dedup.minhash] settings")?)
            }
            None => None,
        };
        Ok(Signer {
            exact: section.exact.clone(),
            hasher,
            lines: section.lines.clone(),
        })
    }

    /// The number of band hashes per document (0 without MinHash).
    pub fn bands(&self) -> usize {
        self.hasher.as_ref().map_or(0, |h| h.config().bands)
    }

    pub fn hasher(&self) -> Option<&MinHasher> {
        self.hasher.as_ref()
    }

    /// Whether exact dedup runs (every document then has an exact hash).
    pub fn exact(&self) -> bool {
        self.exact.is_some()
    }

    /// The line dedup settings, when `[dedup.lines]` is on.
    pub fn line_config(&self) -> Option<&curate_filters::dedup::LineDedupConfig> {
        self.lines.as_ref()
    }

    pub fn counts_lines(&self) -> bool {
        self.lines.is_some()
    }

    /// The keys of one document.
    pub fn sign(&self, text: &str, url: Option<&str>, scratch: &mut Scratch) -> DocKeys {
        let exact = self.exact.as_ref().map(|exact| match url {
            Some(url) if exact.by_url => url_hash(url, exact.url_normalization),
            _ => exact_hash(text, exact.normalization),
        });
        let bands = self.hasher.as_ref().and_then(|hasher| {
            let mut out = Vec::with_capacity(hasher.config().bands);
            hasher.band_hashes(text, scratch, &mut out).then_some(out)
        });
        DocKeys { exact, bands }
    }

    /// An empty line counter for one group.
    fn line_counter(&self) -> Option<LineCounter> {
        self.lines.clone().map(LineCounter::new)
    }
}

/// The pass-1 records of a run of documents, by global document index. The band hashes
/// are not here: they go, as [`BandRecord`]s, to the sorter that builds the LSH index
/// ([`Signatures::push`]).
#[derive(Debug, Default)]
pub struct Signatures {
    /// The group each document is deduplicated within (its source under `per_source`).
    pub groups: Vec<u32>,
    /// The rank of the document's source priority (lower wins).
    pub priorities: Vec<u32>,
    /// Exact hashes (empty when exact dedup is off).
    pub exact: Vec<u128>,
    /// Whether each document has band hashes (empty when MinHash is off).
    pub has_bands: Vec<bool>,
}

impl Signatures {
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Adds document `doc` (its global index, `self.len()` plus the caller's offset). Its
    /// band hashes are appended to `records` as `(group * bands + band, hash, doc)`, so
    /// that documents of different groups never share an LSH bucket.
    pub fn push(
        &mut self,
        doc: u32,
        group: u32,
        priority: u32,
        keys: DocKeys,
        records: &mut Vec<BandRecord>,
    ) {
        self.groups.push(group);
        self.priorities.push(priority);
        if let Some(hash) = keys.exact {
            self.exact.push(hash);
        }
        if let Some(bands) = &keys.bands {
            let first = group.saturating_mul(bands.len() as u32);
            records.extend(bands.iter().enumerate().map(|(band, &hash)| BandRecord {
                band: first + band as u32,
                hash,
                doc,
            }));
        }
        self.has_bands.push(keys.bands.is_some());
    }

    /// Appends the records of the documents that follow these.
    pub fn append(&mut self, other: Signatures) {
        self.groups.extend(other.groups);
        self.priorities.extend(other.priorities);
        self.exact.extend(other.exact);
        self.has_bands.extend(other.has_bands);
    }

    /// Bytes of the per-document records (not the band records, held by their sorter,
    /// nor the line counts, which grow with distinct lines rather than documents).
    pub fn record_bytes(&self) -> usize {
        self.groups.len() * 4
            + self.priorities.len() * 4
            + self.exact.len() * 16
            + self.has_bands.len()
    }

    /// Checks the records are consistent with `signer` (every document hashed alike);
    /// `band_records` is the number of band records the documents produced.
    pub fn check(&self, signer: &Signer, exact: bool, band_records: u64) -> Result<()> {
        if exact && self.exact.len() != self.len() {
            bail!("exact hashes missing for some documents");
        }
        let with_bands = self.has_bands.iter().filter(|&&b| b).count() as u64;
        if band_records != with_bands * signer.bands() as u64 {
            bail!("band hashes missing for some documents");
        }
        Ok(())
    }
}

/// Document counts per line, per group. Counted over the documents exact and near-dup
/// dedup keep, so that the copies they remove do not make their own lines look like
/// boilerplate (eleven copies of one page would otherwise empty the one kept).
#[derive(Debug, Default)]
pub struct LineCounts {
    pub by_group: BTreeMap<u32, LineCounter>,
}

impl LineCounts {
    /// Counts the lines of document `doc` (a global index) in its group.
    pub fn observe(&mut self, signer: &Signer, group: u32, doc: u32, text: &str) {
        if let Some(counter) = signer.line_counter() {
            self.by_group
                .entry(group)
                .or_insert(counter)
                .observe_doc(doc, text);
        }
    }

    /// Adds the counts of other documents (global indices, same settings).
    pub fn merge(&mut self, other: LineCounts) {
        for (group, counter) in other.by_group {
            match self.by_group.get_mut(&group) {
                Some(mine) => mine.merge(&counter),
                None => {
                    self.by_group.insert(group, counter);
                }
            }
        }
    }
}

/// Global document index, or an error past the index's 32-bit limit.
pub fn doc_index(index: usize) -> Result<u32> {
    u32::try_from(index).context("more than 4,294,967,295 documents in one dedup run")
}
