//! Dedup algorithms: exact (text and URL), MinHash LSH near-dup, corpus-wide repeated
//! lines (boilerplate over `k` documents, or C4's keep-first), and dolma-style
//! first-seen paragraphs.
//!
//! Everything here takes texts (or ids and hashes) and returns decisions; reading
//! documents, threads and disk-backed merging belong to the pipeline. The in-memory
//! structures are built from plain records — `(hash, doc)` for exact dedup,
//! [`BandRecord`] `(band, hash, doc)` for LSH, `(line hash, count)` for lines — so that a
//! pipeline can write them to files, sort and merge them, and get the same answers.
//!
//! Memory per document at the defaults:
//! - exact: 28–57 bytes per distinct document (24-byte slot + control byte, table slack);
//! - MinHash: 16 bytes per band (224 at 14 bands) + 4 bytes priority + 8 bytes
//!   union-find while clustering = 236 bytes, independent of document length;
//! - lines: 17–34 bytes per distinct line in pass 1; 9–18 per removed line in pass 2.

pub mod cluster;
pub mod error;
pub mod exact;
mod hashing;
pub mod lines;
pub mod lsh;
pub mod minhash;
pub mod near_dup;
pub mod normalize;
pub mod paragraphs;
pub mod params;
pub mod simplify;
pub mod union_find;

pub use cluster::{Clusters, NearDupDecision, resolve_clusters};
pub use error::DedupError;
pub use exact::{ExactDecision, ExactDeduper, exact_hash, url_hash};
pub use lines::{
    DROP_ALL_LINES_REPEATED, LineCounter, LineDedupConfig, LineDedupResult, LineDeduper,
};
pub use lsh::{BandRecord, LshIndex, candidate_pairs_sorted};
pub use minhash::{MinHasher, Scratch, jaccard_sorted};
pub use near_dup::{NearDupDeduper, NearDupOutcome, verify_pairs};
pub use normalize::{TextNorm, UrlNorm, normalize_text, normalize_url};
pub use paragraphs::{CharSpan, FirstSeenParagraphs, remove_char_spans};
pub use params::{DEFAULT_VERIFY_THRESHOLD, MinHashConfig, MinHashPreset, optimal_param};
pub use simplify::{NumberMode, simplify_text};
pub use union_find::UnionFind;
