//! Writing objects whole: an object becomes visible only once all of its bytes are in.
//!
//! A small file is one PUT; a large one a multipart upload, which the store assembles only
//! when it is completed (an upload cut off by a crash is never visible, and is aborted when
//! the failure is seen here). Object stores have no rename, so this is what makes a write
//! atomic there.

use std::io::Read;
use std::path::Path;

use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload, WriteMultipart};

use super::StorageError;
use super::client::{block_on, store_for};
use super::url::ObjectUrl;

/// Files above this size are uploaded in parts of this size.
const MULTIPART_BYTES: u64 = 16 << 20;

/// Parts uploaded at once by one multipart upload.
const PARTS_IN_FLIGHT: usize = 4;

/// What an upload wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub bytes: u64,
    pub etag: Option<String>,
}

/// Uploads a local file to `url`, replacing what is there.
pub fn put_file(local: &Path, url: &ObjectUrl) -> Result<Uploaded, StorageError> {
    upload(local, url, PutMode::Overwrite)
}

/// Uploads a local file to `url` only if no object is there (a conditional create, where
/// the store supports one): two writers of the same completion record cannot both win.
pub fn put_file_if_absent(local: &Path, url: &ObjectUrl) -> Result<Uploaded, StorageError> {
    upload(local, url, PutMode::Create)
}

fn upload(local: &Path, url: &ObjectUrl, mode: PutMode) -> Result<Uploaded, StorageError> {
    let local_error = |source: std::io::Error| StorageError::Local {
        path: local.display().to_string(),
        source,
    };
    let store = store_for(url)?;
    let path = url.object_path()?;
    let name = url.to_string();
    let mut file = std::fs::File::open(local).map_err(local_error)?;
    let size = file.metadata().map_err(local_error)?.len();
    if size <= MULTIPART_BYTES || mode == PutMode::Create {
        let mut bytes = Vec::with_capacity(size as usize);
        file.read_to_end(&mut bytes).map_err(local_error)?;
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        let put = block_on(store.put_opts(&path, PutPayload::from(bytes), options))
            .map_err(|error| StorageError::from_store(&name, error))?;
        return Ok(Uploaded {
            bytes: size,
            etag: put.e_tag,
        });
    }
    block_on(async {
        let upload = store
            .put_multipart(&path)
            .await
            .map_err(|error| StorageError::from_store(&name, error))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, MULTIPART_BYTES as usize);
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = match file.read(&mut buffer) {
                Ok(n) => n,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(local_error(error));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(error) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(StorageError::from_store(&name, error));
            }
            writer.write(&buffer[..n]);
        }
        let put = writer
            .finish()
            .await
            .map_err(|error| StorageError::from_store(&name, error))?;
        Ok(Uploaded {
            bytes: size,
            etag: put.e_tag,
        })
    })
}

/// Writes `bytes` to `url` only if no object is there (a conditional create).
pub fn put_bytes_if_absent(url: &ObjectUrl, bytes: Vec<u8>) -> Result<Uploaded, StorageError> {
    let store = store_for(url)?;
    let path = url.object_path()?;
    let size = bytes.len() as u64;
    let options = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    let put = block_on(store.put_opts(&path, PutPayload::from(bytes), options))
        .map_err(|error| StorageError::from_store(&url.to_string(), error))?;
    Ok(Uploaded {
        bytes: size,
        etag: put.e_tag,
    })
}

/// Removes an object; one that is already gone is not an error.
pub fn delete_object(url: &ObjectUrl) -> Result<(), StorageError> {
    let store = store_for(url)?;
    let path = url.object_path()?;
    match block_on(store.delete(&path)) {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(error) => Err(StorageError::from_store(&url.to_string(), error)),
    }
}
