//! Errors of the tokenizer crate.

use std::path::PathBuf;

/// Everything that can go wrong while training, loading, saving or using a tokenizer, or while
/// planning a budget or a mix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a `tokenizer.json` failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`reading`, `writing`, ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The HuggingFace `tokenizers` library reported an error (it returns boxed errors, so the
    /// message is kept as text).
    #[error("tokenizer: {0}")]
    Tokenizers(String),
    /// A `tokenizer.json` could not be parsed or serialised.
    #[error("tokenizer json: {0}")]
    Json(#[from] serde_json::Error),
    /// A token that the configuration names is not in the vocabulary.
    #[error("token {0:?} is not in the tokenizer's vocabulary")]
    MissingToken(String),
    /// A training configuration value is out of range.
    #[error("invalid training configuration: {0}")]
    InvalidConfig(String),
    /// A budget input is out of range or incomplete.
    #[error("invalid budget input: {0}")]
    InvalidBudget(String),
    /// A mix input is out of range or inconsistent.
    #[error("invalid mix input: {0}")]
    InvalidMix(String),
}

impl Error {
    pub(crate) fn tokenizers(e: impl std::fmt::Display) -> Self {
        Error::Tokenizers(e.to_string())
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
