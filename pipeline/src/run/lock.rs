//! One `curate run` per run directory: an exclusive lock on `<run>/.lock`, held for the
//! whole run and released when the process ends (even by a crash: the operating system
//! drops the lock with the file descriptor). A second run on the same directory fails at
//! once and says who holds it, instead of deleting the first run's temporary files.
//!
//! The tasks of a cluster run (`curate run --step`), many processes writing one run
//! directory, take the same lock *shared*: they exclude a whole-job `curate run` (which
//! would clean their temporary files away) but not each other; each partition is owned
//! through its completion marker. (On a shared filesystem this needs working `flock`, as
//! NFSv4 and Lustre with `flock` mounted give; elsewhere the lock only covers one node.)

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The lock file's name in the run directory.
pub const LOCK_FILE: &str = ".lock";

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// Takes the lock of `run_dir`, or fails naming the process that holds it.
    pub fn acquire(run_dir: &Path) -> Result<RunLock> {
        let (path, mut file) = open_lock_file(run_dir)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                bail!(
                    "the run directory {} is in use by another curate run ({}), or by the \
                     steps of a cluster run (`curate status` shows them); wait for it to \
                     finish or stop it",
                    run_dir.display(),
                    if holder.is_empty() {
                        "holder unknown"
                    } else {
                        holder
                    }
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        let holder = format!(
            "pid {} on {} since {}",
            std::process::id(),
            super::run_record::host_name(),
            unix_seconds()
        );
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(holder.as_bytes())?;
        file.flush()?;
        Ok(RunLock { _file: file, path })
    }

    /// Takes the lock shared (a task of a cluster step), or fails when a whole-job run
    /// holds it.
    pub fn acquire_shared(run_dir: &Path) -> Result<RunLock> {
        let (path, mut file) = open_lock_file(run_dir)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(RunLock { _file: file, path }),
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                bail!(
                    "the run directory {} is in use by a `curate run` of the whole job ({}); \
                     cluster steps wait for it to finish",
                    run_dir.display(),
                    holder.trim()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The lock file of `run_dir`, created if absent (its contents, the holder, are kept).
fn open_lock_file(run_dir: &Path) -> Result<(PathBuf, File)> {
    let path = run_dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    Ok((path, file))
}

fn unix_seconds() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| format!("unix time {}", d.as_secs()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_fails_naming_the_holder_and_the_first_releases_on_drop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = RunLock::acquire(dir.path()).expect("first lock");
        let second = RunLock::acquire(dir.path()).expect_err("second lock must fail");
        let message = format!("{second:#}");
        assert!(
            message.contains("in use by another curate run"),
            "{message}"
        );
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        let task = RunLock::acquire_shared(dir.path()).expect_err("a task waits for a run");
        assert!(
            format!("{task:#}").contains("in use by a `curate run` of the whole job"),
            "{task:#}"
        );
        drop(first);
        let first_task = RunLock::acquire_shared(dir.path()).expect("tasks share the lock");
        let second_task = RunLock::acquire_shared(dir.path()).expect("tasks share the lock");
        RunLock::acquire(dir.path()).expect_err("a run waits for the tasks");
        drop((first_task, second_task));
        RunLock::acquire(dir.path()).expect("lock after release");
    }
}
