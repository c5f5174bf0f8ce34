//! Reading an object as a stream, with bounded memory.
//!
//! An object is read in ranges of [`CHUNK_BYTES`], one range ahead of the reader, so a
//! 1 GB WARC holds at most two ranges in memory and never lands on disk. Every range is
//! pinned to the ETag the object was listed with: an object replaced while it is read is an
//! error, not a file spliced from two versions. Transport errors are retried, by the
//! client for each request and here for a body cut off midway; what still fails is
//! recorded for the URL ([`take_read_failure`]), and the ingest stage turns it into an error
//! for the partition: a storage outage must fail the run, never become a shorter corpus.

use std::collections::HashMap;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore};

use super::StorageError;
use super::client::{block_on, spawn, store_for};
use super::list::{ObjectInfo, describe};
use super::url::ObjectUrl;

/// Bytes fetched per range request.
pub const CHUNK_BYTES: u64 = 8 << 20;

/// Attempts at a range whose body was cut off (each request is retried by the client too).
const BODY_ATTEMPTS: u32 = 4;

/// The streams that could not be finished in this process, by URL.
fn failures() -> &'static Mutex<HashMap<String, String>> {
    static FAILURES: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    FAILURES.get_or_init(Default::default)
}

/// Why the last stream of `url` in this process could not be finished, if it could not
/// (readers turn a read error into a skipped record; this tells the caller it was the
/// store, not the data). Clears the entry.
pub fn take_read_failure(url: &str) -> Option<String> {
    failures()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .remove(url)
}

/// The object behind a reader.
struct Object {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    info: ObjectInfo,
}

/// A `Read` over one object.
pub struct ObjectReader {
    object: Arc<Object>,
    /// Where the next range starts.
    next_offset: u64,
    current: Bytes,
    ahead: Option<tokio::task::JoinHandle<Result<Bytes, StorageError>>>,
    failure: Option<String>,
}

impl ObjectReader {
    /// Opens `url` for reading (one HEAD unless the object was listed in this process:
    /// sources are read as they were listed).
    pub fn open(url: &ObjectUrl) -> Result<ObjectReader, StorageError> {
        ObjectReader::from_info(describe(url)?)
    }

    /// Opens `url` as it is now (one HEAD), for objects this process may have written.
    pub fn open_fresh(url: &ObjectUrl) -> Result<ObjectReader, StorageError> {
        ObjectReader::from_info(super::list::head(url)?)
    }

    /// Opens the object a listing described.
    pub fn from_info(info: ObjectInfo) -> Result<ObjectReader, StorageError> {
        let object = Object {
            store: store_for(&info.url)?,
            path: info.url.object_path()?,
            info,
        };
        Ok(ObjectReader {
            object: Arc::new(object),
            next_offset: 0,
            current: Bytes::new(),
            ahead: None,
            failure: None,
        })
    }

    fn range_at(&self, start: u64) -> Range<u64> {
        start..(start + CHUNK_BYTES).min(self.object.info.size)
    }

    fn next_chunk(&mut self) -> Result<Bytes, StorageError> {
        let range = self.range_at(self.next_offset);
        let chunk = match self.ahead.take() {
            Some(handle) => block_on(handle).map_err(|error| StorageError::Request {
                url: self.object.info.url.to_string(),
                detail: format!("read-ahead failed: {error}"),
            })?,
            None => block_on(fetch(self.object.clone(), range.clone())),
        }?;
        if chunk.len() as u64 != range.end - range.start {
            return Err(StorageError::Request {
                url: self.object.info.url.to_string(),
                detail: format!(
                    "asked for bytes {}..{}, got {} bytes",
                    range.start,
                    range.end,
                    chunk.len()
                ),
            });
        }
        self.next_offset = range.end;
        if self.next_offset < self.object.info.size {
            let object = self.object.clone();
            let following = self.range_at(self.next_offset);
            self.ahead = Some(spawn(fetch(object, following)));
        }
        Ok(chunk)
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.current.is_empty() {
            if self.next_offset >= self.object.info.size || self.failure.is_some() {
                return match &self.failure {
                    Some(message) => Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        message.to_owned(),
                    )),
                    None => Ok(0),
                };
            }
            match self.next_chunk() {
                Ok(chunk) => self.current = chunk,
                Err(error) => {
                    let reason = error.reason();
                    failures()
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .insert(self.object.info.url.to_string(), reason.clone());
                    self.failure = Some(reason);
                    return Err(error.into());
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        if let Some(handle) = self.ahead.take() {
            handle.abort();
        }
    }
}

/// One range of the object, pinned to its ETag, retried when the body is cut off.
async fn fetch(object: Arc<Object>, range: Range<u64>) -> Result<Bytes, StorageError> {
    let url = object.info.url.to_string();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let options = GetOptions {
            if_match: object.info.etag.clone(),
            range: Some(GetRange::Bounded(range.clone())),
            ..GetOptions::default()
        };
        // The request itself has been retried by the client already; what is retried
        // here is a body cut off midway.
        let response = match object.store.get_opts(&object.path, options).await {
            Ok(response) => response,
            Err(object_store::Error::Precondition { .. }) => {
                return Err(StorageError::Changed {
                    url,
                    etag: object.info.etag.clone().unwrap_or_default(),
                });
            }
            Err(error) => return Err(StorageError::from_store(&url, error)),
        };
        let error = match response.bytes().await {
            Ok(bytes) => return Ok(bytes),
            Err(error) => StorageError::from_store(&url, error),
        };
        if !error.is_transient() || attempt >= BODY_ATTEMPTS {
            return Err(error);
        }
        tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
    }
}

/// Opens an input for reading: a local file, or an object streamed from its store.
pub fn open_object(path: &std::path::Path) -> io::Result<Box<dyn Read + Send>> {
    match ObjectUrl::from_path(path) {
        Some(url) => Ok(Box::new(ObjectReader::open(&url)?)),
        None => Ok(Box::new(std::fs::File::open(path)?)),
    }
}

/// Copies an object into `file` (for formats that need random access, such as Parquet,
/// and for run directories pulled from a bucket). Returns the bytes copied.
pub fn download_to_file(info: &ObjectInfo, file: &mut std::fs::File) -> Result<u64, StorageError> {
    let url = &info.url;
    let mut reader = ObjectReader::from_info(info.clone())?;
    io::copy(&mut reader, file).map_err(|error| match reader.failure.take() {
        Some(reason) => StorageError::Request {
            url: url.to_string(),
            detail: reason,
        },
        None => StorageError::Local {
            path: format!("a local copy of {url}"),
            source: error,
        },
    })
}
