//! Errors of object storage, each naming the URL it concerns.

/// What went wrong with an object or a bucket.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("`{url}` is not a storage URL this build reads: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("{url}: cannot configure the store: {detail}")]
    Configure { url: String, detail: String },
    #[error("{url}: no such object (removed after it was listed?)")]
    NotFound { url: String },
    #[error("{url}: the object changed while it was being read (its ETag is no longer {etag})")]
    Changed { url: String, etag: String },
    #[error("{url}: already exists")]
    AlreadyExists { url: String },
    #[error("{url}: `{pattern}` matches no object")]
    NoMatch { url: String, pattern: String },
    #[error("{url}: {detail}")]
    Request { url: String, detail: String },
    #[error("{path}: {source}")]
    Local {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl StorageError {
    /// Classifies an `object_store` error about `url`.
    pub(crate) fn from_store(url: &str, error: object_store::Error) -> StorageError {
        match error {
            object_store::Error::NotFound { .. } => StorageError::NotFound {
                url: url.to_owned(),
            },
            object_store::Error::AlreadyExists { .. } => StorageError::AlreadyExists {
                url: url.to_owned(),
            },
            object_store::Error::Precondition { .. } => StorageError::Changed {
                url: url.to_owned(),
                etag: "the listed one".to_owned(),
            },
            other => {
                let mut detail = flatten(&other);
                if let Some(hint) = hint(&detail) {
                    detail.push_str(" (");
                    detail.push_str(hint);
                    detail.push(')');
                }
                StorageError::Request {
                    url: url.to_owned(),
                    detail,
                }
            }
        }
    }

    /// Whether retrying the same request could succeed (a transport error, not a missing
    /// or changed object).
    pub fn is_transient(&self) -> bool {
        matches!(self, StorageError::Request { .. })
    }
}

/// What to check, for the refusals people meet first.
fn hint(detail: &str) -> Option<&'static str> {
    if detail.contains("NoSuchBucket") {
        Some("the bucket does not exist, or the endpoint is another server's")
    } else if detail.contains("403") || detail.contains("401") {
        Some(
            "the store refused the credentials: they come from the environment \
             (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, GOOGLE_APPLICATION_CREDENTIALS, \
             AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY)",
        )
    } else if detail.contains("error sending request") || detail.contains("onnect") {
        Some(
            "the store did not answer within CURATE_STORAGE_RETRY_SECONDS of retries; is the \
             endpoint (AWS_ENDPOINT_URL) up?",
        )
    } else {
        None
    }
}

/// The error with its chain of causes on one line, as people read it in a log.
fn flatten(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
