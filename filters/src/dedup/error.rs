//! Errors of the dedup algorithms: invalid settings and index overflow.

use thiserror::Error;

/// Why a dedup structure could not be built or fed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DedupError {
    /// A setting is outside its valid range (zero bands, a threshold above 1, ...).
    #[error("invalid dedup setting `{name}`: {reason}")]
    InvalidSetting { name: &'static str, reason: String },
    /// Document indices are `u32`; a single in-memory index holds at most `u32::MAX`
    /// documents. Larger corpora are split by hash prefix before they reach this crate.
    #[error("too many documents for one dedup index (limit {limit})")]
    TooManyDocuments { limit: u64 },
    /// A band-hash row did not carry one hash per band.
    #[error("expected {expected} band hashes, got {got}")]
    BandCountMismatch { expected: usize, got: usize },
    /// A document index refers past the documents the clustering was sized for.
    #[error("document index {index} out of range (documents: {len})")]
    DocumentOutOfRange { index: u32, len: u32 },
}

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> DedupError {
    DedupError::InvalidSetting {
        name,
        reason: reason.into(),
    }
}
