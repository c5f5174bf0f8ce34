//! Storage URLs: `s3://bucket/key`, `gs://bucket/key`, `az://container/key`,
//! `https://host/path` (single files) and `file:///path` (a local path).

use std::path::{Path, PathBuf};

use object_store::path::Path as ObjectPath;

use super::StorageError;

/// The kinds of store a URL can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    S3,
    Gcs,
    Azure,
    Http,
    Https,
}

/// An object (or a prefix of objects) in a store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectUrl {
    pub scheme: Scheme,
    /// The bucket (container for Azure; host and port for HTTP).
    pub bucket: String,
    /// The key within the bucket, without a leading `/`.
    pub key: String,
}

/// Whether `text` is a URL of a store (not a local path, not `file://`).
pub fn is_url(text: &str) -> bool {
    scheme_of(text).is_some()
}

/// A `file://` URL as the local path it names; any other text unchanged.
pub fn local_path_of(text: &str) -> &str {
    text.strip_prefix("file://").unwrap_or(text)
}

fn scheme_of(text: &str) -> Option<(Scheme, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme = match scheme {
        "s3" | "s3a" => Scheme::S3,
        "gs" | "gcs" => Scheme::Gcs,
        "az" | "azure" | "abfs" | "abfss" => Scheme::Azure,
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return None,
    };
    Some((scheme, rest))
}

impl ObjectUrl {
    /// Parses a storage URL; `None` for local paths.
    pub fn parse(text: &str) -> Option<Result<ObjectUrl, StorageError>> {
        let (scheme, rest) = scheme_of(text)?;
        let bad = |reason: &str| StorageError::BadUrl {
            url: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let parsed = if bucket.is_empty() {
            Err(bad("it names no bucket (s3://BUCKET/KEY)"))
        } else if key.starts_with('/') || key.contains("//") {
            Err(bad("it has an empty path segment (`//`)"))
        } else {
            Ok(ObjectUrl {
                scheme,
                bucket: bucket.to_owned(),
                key: key.trim_end_matches('/').to_owned(),
            })
        };
        Some(parsed)
    }

    /// The URL a path holds, when it holds one (sources keep their URLs as paths).
    pub fn from_path(path: &Path) -> Option<ObjectUrl> {
        ObjectUrl::parse(path.to_str()?)?.ok()
    }

    /// `scheme://bucket`: the store this object lives in.
    pub fn store_root(&self) -> String {
        format!("{}://{}", self.scheme_name(), self.bucket)
    }

    fn scheme_name(&self) -> &'static str {
        match self.scheme {
            Scheme::S3 => "s3",
            Scheme::Gcs => "gs",
            Scheme::Azure => "az",
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The key as the store's path type.
    pub fn object_path(&self) -> Result<ObjectPath, StorageError> {
        ObjectPath::parse(&self.key).map_err(|error| StorageError::BadUrl {
            url: self.to_string(),
            reason: error.to_string(),
        })
    }

    /// The object `name` below this prefix.
    pub fn join(&self, name: &str) -> ObjectUrl {
        let key = if self.key.is_empty() {
            name.trim_start_matches('/').to_owned()
        } else {
            format!("{}/{}", self.key, name.trim_start_matches('/'))
        };
        ObjectUrl {
            key,
            ..self.clone()
        }
    }

    /// The key relative to `prefix` (`None` when it is not below it).
    pub fn relative_to(&self, prefix: &ObjectUrl) -> Option<String> {
        if self.scheme != prefix.scheme || self.bucket != prefix.bucket {
            return None;
        }
        if prefix.key.is_empty() {
            return Some(self.key.clone());
        }
        self.key
            .strip_prefix(&prefix.key)?
            .strip_prefix('/')
            .map(str::to_owned)
    }

    /// As a path, the form source file lists keep.
    pub fn to_path(&self) -> PathBuf {
        PathBuf::from(self.to_string())
    }
}

impl std::fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.store_root(), self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_print_back() {
        let url = ObjectUrl::parse("s3://bucket/crawl/a.warc.gz")
            .unwrap()
            .unwrap();
        assert_eq!(url.bucket, "bucket");
        assert_eq!(url.key, "crawl/a.warc.gz");
        assert_eq!(url.to_string(), "s3://bucket/crawl/a.warc.gz");
        let prefix = ObjectUrl::parse("s3://bucket/crawl/").unwrap().unwrap();
        assert_eq!(url.relative_to(&prefix).as_deref(), Some("a.warc.gz"));
        assert_eq!(prefix.join("b/c.json").key, "crawl/b/c.json");
        assert!(ObjectUrl::parse("runs/finance").is_none());
        assert!(ObjectUrl::parse("file:///tmp/x").is_none());
        assert_eq!(local_path_of("file:///tmp/x"), "/tmp/x");
        assert!(ObjectUrl::parse("s3:///key").unwrap().is_err());
        assert!(ObjectUrl::parse("gs://b//k").unwrap().is_err());
        let path = url.to_path();
        assert_eq!(ObjectUrl::from_path(&path), Some(url));
    }
}
