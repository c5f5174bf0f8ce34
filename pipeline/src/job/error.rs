//! Errors in a job file, each naming the file, the line and the key.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("cannot read job file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// TOML syntax errors and schema errors (unknown key, wrong type, missing key): the
    /// TOML library's message already shows the line, the column and the offending key.
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A value that parses but cannot be used.
    #[error("{path}:{line}: `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
}
