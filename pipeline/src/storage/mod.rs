//! Object storage: sources listed and streamed from S3, GCS, Azure and HTTP URLs, and run
//! directories kept in a bucket.
//!
//! Everything goes through the `object_store` crate (signing, credentials from each cloud's
//! usual environment, request retries, multipart uploads). The pipeline itself stays
//! synchronous: this module drives the crate on one small tokio runtime of its own and
//! hands the rest of the code plain `Read`ers and files.
//!
//! What a URL can be is decided once, in [`ObjectUrl::parse`]; a path that is not a URL is
//! a local path, and `file://` URLs are local paths too.

mod client;
mod error;
mod list;
mod read;
pub mod run_lease;
pub mod run_mirror;
mod url;
mod write;

pub use client::{block_on, store_for};
pub use error::StorageError;
pub use list::{ObjectInfo, describe, expand_glob, head, list_prefix};
pub use read::{ObjectReader, download_to_file, open_object, take_read_failure};
pub use url::{ObjectUrl, is_url, local_path_of};
pub use write::{Uploaded, delete_object, put_bytes_if_absent, put_file, put_file_if_absent};

use std::path::Path;

/// The size of an input: the file's length, or the object's (from its listing).
pub fn input_size(path: &Path) -> Option<u64> {
    match ObjectUrl::from_path(path) {
        Some(url) => describe(&url).ok().map(|info| info.size),
        None => std::fs::metadata(path).ok().map(|m| m.len()),
    }
}
