//! One writer per run directory in a bucket.
//!
//! The local run lock guards a working copy, not the bucket: two machines running the same
//! job into the same URL would each push over the other. A run in a bucket therefore holds
//! a lease, the object `_lock.json` at the run's top level, created only if absent (a
//! conditional create) and removed when the run ends. A lease left by a process that died
//! on this host (`kill -9`, a crash) is taken over; one held by a live process, or by
//! another host, is an error that says who holds it and how to clear it.

use std::io::Read;

use serde::{Deserialize, Serialize};

use super::StorageError;
use super::read::ObjectReader;
use super::url::ObjectUrl;
use super::write::{delete_object, put_bytes_if_absent};

/// The lease object's name at the top of the run.
pub const LEASE_FILE: &str = "_lock.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Holder {
    host: String,
    pid: u32,
    since: String,
}

/// The held lease; dropping it removes the object.
#[derive(Debug)]
pub struct RunLease {
    url: ObjectUrl,
}

impl RunLease {
    /// Takes the lease of the run at `run`, or says who holds it.
    pub fn acquire(run: &ObjectUrl) -> Result<RunLease, StorageError> {
        let url = run.join(LEASE_FILE);
        let me = Holder {
            host: crate::run::run_record::host_name(),
            pid: std::process::id(),
            since: crate::timestamp::now(),
        };
        // A missing bucket or a refused credential is named by a read first: some servers
        // create a missing bucket on the first write. Listing below the lease's own name
        // costs one request whatever the size of the run.
        super::list::list_prefix(&url)?;
        let body = serde_json::to_vec_pretty(&me).unwrap_or_default();
        for _ in 0..2 {
            match put_bytes_if_absent(&url, body.clone()) {
                Ok(_) => return Ok(RunLease { url }),
                Err(StorageError::AlreadyExists { .. }) => {}
                Err(error) => return Err(error),
            }
            let holder = read_holder(&url)?;
            let abandoned = holder
                .as_ref()
                .is_none_or(|h| h.host == me.host && !process_alive(h.pid));
            if !abandoned {
                let holder = holder.unwrap_or_else(|| me.clone());
                return Err(StorageError::Request {
                    url: url.to_string(),
                    detail: format!(
                        "the run is being written by pid {} on {} since {}: one run \
                         directory has one writer at a time (if that process is gone, remove \
                         this object and run again)",
                        holder.pid, holder.host, holder.since
                    ),
                });
            }
            tracing::warn!(
                event = "lease_taken_over",
                url = %url,
                "{url}: taking over the lease of a process that is gone"
            );
            delete_object(&url)?;
        }
        Err(StorageError::Request {
            url: url.to_string(),
            detail: "another process took the lease while this one took over an abandoned one"
                .to_owned(),
        })
    }
}

impl Drop for RunLease {
    fn drop(&mut self) {
        if let Err(error) = delete_object(&self.url) {
            tracing::warn!(
                event = "lease_not_released",
                "cannot remove {}: {error}",
                self.url
            );
        }
    }
}

/// The lease's holder; `None` when the object is gone or unreadable (then it is retaken).
fn read_holder(url: &ObjectUrl) -> Result<Option<Holder>, StorageError> {
    let mut reader = match ObjectReader::open_fresh(url) {
        Ok(reader) => reader,
        Err(StorageError::NotFound { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut bytes = Vec::new();
    if reader.read_to_end(&mut bytes).is_err() {
        return Ok(None);
    }
    Ok(serde_json::from_slice(&bytes).ok())
}

fn process_alive(pid: u32) -> bool {
    // Signal 0 checks existence; EPERM means it exists under another user.
    let result = unsafe { libc::kill(pid as libc::pid_t, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
