//! Fingerprints that decide whether a stage's output is still valid.
//!
//! A stage is up to date when its configuration and its inputs are what they were when it
//! ran. Configuration is fingerprinted by content (the canonical JSON of the resolved
//! settings); input files by path, size and modification time, which is what build tools
//! use and costs no read of the data.

use std::path::Path;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

/// Hex xxh3-64 of some bytes.
pub fn hex_digest(bytes: &[u8]) -> String {
    format!("{:016x}", xxh3_64(bytes))
}

/// Fingerprint of any serializable configuration.
pub fn fingerprint_config(config: &impl Serialize) -> String {
    // Serializing plain data to JSON cannot fail; fall back to a constant that forces a rerun.
    let bytes = serde_json::to_vec(config).unwrap_or_default();
    hex_digest(&bytes)
}

/// What a stage knew of an input file when it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    pub bytes: u64,
    pub modified_ns: u128,
}

impl InputFile {
    pub fn describe(path: &Path) -> std::io::Result<InputFile> {
        let metadata = std::fs::metadata(path)?;
        let modified_ns = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Ok(InputFile {
            path: path.to_string_lossy().into_owned(),
            bytes: metadata.len(),
            modified_ns,
        })
    }
}

/// Fingerprint of a list of input files.
pub fn fingerprint_inputs(inputs: &[InputFile]) -> String {
    fingerprint_config(&inputs)
}
