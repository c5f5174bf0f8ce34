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

/// Size and xxh3-64 (16 hex digits) of a file, read in blocks.
pub fn file_digest(path: &Path) -> std::io::Result<(u64, String)> {
    stream_digest(&mut std::fs::File::open(path)?)
}

/// Size and xxh3-64 (16 hex digits) of everything a reader gives (an object read back
/// from its store, a file).
pub fn stream_digest(reader: &mut impl std::io::Read) -> std::io::Result<(u64, String)> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok((bytes, format!("{:016x}", hasher.digest())))
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
    /// Size and modification time of a file; of an object in a store, its size, date and
    /// ETag (from the listing), the ETag kept with the URL.
    pub fn describe(path: &Path) -> std::io::Result<InputFile> {
        if let Some(url) = crate::storage::ObjectUrl::from_path(path) {
            let info = crate::storage::describe(&url)?;
            return Ok(InputFile {
                path: match &info.etag {
                    Some(etag) => format!("{url} etag {etag}"),
                    None => url.to_string(),
                },
                bytes: info.size,
                modified_ns: info.modified_ns,
            });
        }
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

/// Fingerprint of a list of input files. A file is identified by its canonical path, so
/// `jobs/../data/a.txt` and `/repo/data/a.txt` (a job named by a relative path here, by an
/// absolute one in a cluster task) are the same input.
pub fn fingerprint_inputs(inputs: &[InputFile]) -> String {
    let canonical: Vec<(String, u64, u128)> = inputs
        .iter()
        .map(|input| {
            let path = std::fs::canonicalize(&input.path)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| input.path.clone());
            (path, input.bytes, input.modified_ns)
        })
        .collect();
    fingerprint_config(&canonical)
}
