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

    /// What went wrong, without the URL: for messages that name it already, and for the
    /// `io::Error`s readers see (whose callers report them with the file's name).
    pub fn reason(&self) -> String {
        let text = self.to_string();
        let url = match self {
            StorageError::Configure { url, .. }
            | StorageError::NotFound { url }
            | StorageError::Changed { url, .. }
            | StorageError::AlreadyExists { url }
            | StorageError::NoMatch { url, .. }
            | StorageError::Request { url, .. } => url,
            StorageError::BadUrl { .. } | StorageError::Local { .. } => return text,
        };
        match text.strip_prefix(&format!("{url}: ")) {
            Some(reason) => reason.to_owned(),
            None => text,
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

/// Readers see a missing object as `NotFound` and every other failure of the store as
/// `ConnectionAborted`: an I/O error of the stream, never damage of the data.
impl From<StorageError> for std::io::Error {
    fn from(error: StorageError) -> std::io::Error {
        let kind = match error {
            StorageError::NotFound { .. } => std::io::ErrorKind::NotFound,
            _ => std::io::ErrorKind::ConnectionAborted,
        };
        std::io::Error::new(kind, error.reason())
    }
}
