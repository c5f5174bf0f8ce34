//! Listing: source globs over a bucket, and what an object is (size, ETag, date).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use futures::TryStreamExt;
use object_store::{ObjectMeta, ObjectStoreExt};

use super::StorageError;
use super::client::{block_on, store_for};
use super::url::{ObjectUrl, Scheme};

/// What a listing says of an object: enough to fingerprint it without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub url: ObjectUrl,
    pub size: u64,
    pub etag: Option<String>,
    /// Last modification, nanoseconds since the epoch.
    pub modified_ns: u128,
}

impl ObjectInfo {
    fn from_meta(prefix: &ObjectUrl, meta: ObjectMeta) -> ObjectInfo {
        let modified_ns = meta
            .last_modified
            .timestamp_nanos_opt()
            .map_or(0, |ns| ns.max(0) as u128);
        ObjectInfo {
            url: ObjectUrl {
                key: meta.location.to_string(),
                ..prefix.clone()
            },
            size: meta.size,
            etag: meta.e_tag,
            modified_ns,
        }
    }
}

/// What was listed or asked of each object in this process: a job lists its sources once,
/// and every stage fingerprints them from that listing (a changed object is caught by the
/// ETag every read is pinned to).
fn known() -> &'static Mutex<HashMap<String, ObjectInfo>> {
    static KNOWN: OnceLock<Mutex<HashMap<String, ObjectInfo>>> = OnceLock::new();
    KNOWN.get_or_init(Default::default)
}

fn remember(info: &ObjectInfo) {
    known()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(info.url.to_string(), info.clone());
}

/// Size, ETag and date of one object: from this process's listing, else asked of the store.
pub fn describe(url: &ObjectUrl) -> Result<ObjectInfo, StorageError> {
    let cached = known()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&url.to_string())
        .cloned();
    if let Some(info) = cached {
        return Ok(info);
    }
    let info = head(url)?;
    remember(&info);
    Ok(info)
}

/// Asks the store about one object, bypassing what was listed.
pub fn head(url: &ObjectUrl) -> Result<ObjectInfo, StorageError> {
    let store = store_for(url)?;
    let path = url.object_path()?;
    let meta = block_on(store.head(&path))
        .map_err(|error| StorageError::from_store(&url.to_string(), error))?;
    Ok(ObjectInfo::from_meta(url, meta))
}

/// Every object below `prefix` (recursively), sorted by key.
pub fn list_prefix(prefix: &ObjectUrl) -> Result<Vec<ObjectInfo>, StorageError> {
    if matches!(prefix.scheme, Scheme::Http | Scheme::Https) {
        return Err(StorageError::BadUrl {
            url: prefix.to_string(),
            reason: "HTTP URLs name single files: they cannot be listed or matched by a glob"
                .to_owned(),
        });
    }
    let store = store_for(prefix)?;
    let path = prefix.object_path()?;
    let listed: Vec<ObjectMeta> = block_on(
        store
            .list(if prefix.key.is_empty() {
                None
            } else {
                Some(&path)
            })
            .try_collect(),
    )
    .map_err(|error| StorageError::from_store(&prefix.to_string(), error))?;
    let mut objects: Vec<ObjectInfo> = listed
        .into_iter()
        .map(|meta| ObjectInfo::from_meta(prefix, meta))
        .collect();
    objects.sort_by(|a, b| a.url.key.cmp(&b.url.key));
    Ok(objects)
}

/// The objects a source pattern matches, sorted: the same semantics as local globs (`*`
/// and `?` stay within one path segment, `**` crosses them, `[...]` is a class). A pattern
/// without glob characters names one object, which must exist.
pub fn expand_glob(pattern: &str) -> Result<Vec<ObjectInfo>, StorageError> {
    let url = match ObjectUrl::parse(pattern) {
        Some(parsed) => parsed?,
        None => {
            return Err(StorageError::BadUrl {
                url: pattern.to_owned(),
                reason: "not a storage URL".to_owned(),
            });
        }
    };
    let glob_at = url.key.find(['*', '?', '[']);
    let Some(glob_at) = glob_at else {
        let info = head(&url)?;
        remember(&info);
        return Ok(vec![info]);
    };
    let matcher = glob::Pattern::new(&url.key).map_err(|error| StorageError::BadUrl {
        url: pattern.to_owned(),
        reason: error.to_string(),
    })?;
    // List below the last directory before the first glob character.
    let directory = url.key[..glob_at].rfind('/').map_or("", |i| &url.key[..i]);
    let prefix = ObjectUrl {
        key: directory.to_owned(),
        ..url.clone()
    };
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let matched: Vec<ObjectInfo> = list_prefix(&prefix)?
        .into_iter()
        .filter(|info| matcher.matches_with(&info.url.key, options))
        .collect();
    if matched.is_empty() {
        return Err(StorageError::NoMatch {
            url: prefix.to_string(),
            pattern: pattern.to_owned(),
        });
    }
    matched.iter().for_each(remember);
    Ok(matched)
}
