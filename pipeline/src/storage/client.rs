//! One configured client per bucket, and the runtime that drives them.
//!
//! Credentials, regions and endpoints come from each cloud's environment, as the
//! `object_store` builders read it (`AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`,
//! `AWS_ALLOW_HTTP`, `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME`, ...), never
//! from the job file, so a resolved job or a run record holds URLs and no secret.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::http::HttpBuilder;
use object_store::{BackoffConfig, ObjectStore, RetryConfig};

use super::StorageError;
use super::url::{ObjectUrl, Scheme};

/// How long one request is retried (transport errors, throttling, 5xx) before it fails:
/// `CURATE_STORAGE_RETRY_SECONDS`, else two minutes.
fn retry_config() -> RetryConfig {
    let seconds = std::env::var("CURATE_STORAGE_RETRY_SECONDS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .unwrap_or(120);
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            base: 2.0,
        },
        max_retries: 10,
        retry_timeout: Duration::from_secs(seconds),
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("curate-storage")
            .enable_all()
            .build()
            // Without a runtime no object can be read; nothing else can be done about it.
            .expect("cannot start the object storage runtime")
    })
}

/// Runs a storage future to completion from synchronous code (a worker thread, the main
/// thread). Must not be called from inside another tokio runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

/// Starts a storage future in the background (a read-ahead).
pub(crate) fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    runtime().spawn(future)
}

/// The client of the store `url` lives in, built once per bucket.
pub fn store_for(url: &ObjectUrl) -> Result<Arc<dyn ObjectStore>, StorageError> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<dyn ObjectStore>>>> = OnceLock::new();
    let root = url.store_root();
    let mut stores = STORES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(store) = stores.get(&root) {
        return Ok(store.clone());
    }
    let configure = |error: object_store::Error| StorageError::Configure {
        url: root.clone(),
        detail: error.to_string(),
    };
    let store: Arc<dyn ObjectStore> = match url.scheme {
        Scheme::S3 => Arc::new(
            AmazonS3Builder::from_env()
                .with_bucket_name(&url.bucket)
                .with_retry(retry_config())
                .build()
                .map_err(configure)?,
        ),
        Scheme::Gcs => Arc::new(
            GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(&url.bucket)
                .with_retry(retry_config())
                .build()
                .map_err(configure)?,
        ),
        Scheme::Azure => Arc::new(
            MicrosoftAzureBuilder::from_env()
                .with_container_name(&url.bucket)
                .with_retry(retry_config())
                .build()
                .map_err(configure)?,
        ),
        Scheme::Http | Scheme::Https => Arc::new(
            HttpBuilder::new()
                .with_url(&root)
                .with_client_options(
                    object_store::ClientOptions::new().with_allow_http(url.scheme == Scheme::Http),
                )
                .with_retry(retry_config())
                .build()
                .map_err(configure)?,
        ),
    };
    stores.insert(root, store.clone());
    Ok(store)
}
