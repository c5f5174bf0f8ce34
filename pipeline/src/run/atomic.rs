//! Files that are either whole or absent: written under a temporary name, renamed when done.
//!
//! A crash leaves at most a `*.tmp` file behind, which no reader mistakes for output and the
//! next run removes.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The suffix of files being written.
pub const TEMP_SUFFIX: &str = ".tmp";

/// The temporary name a file is written under before it is renamed to `path`: unique per
/// process and per call, so that processes writing one run directory at once (ranks of a
/// cluster step sealing the same stage) never write into each other's temporary files.
pub fn temp_path(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(
        ".{}-{}{TEMP_SUFFIX}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    path.with_file_name(name)
}

/// Writes `contents` to `path` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let temp = temp_path(path);
    {
        let mut file = BufWriter::new(File::create(&temp)?);
        file.write_all(contents)?;
        file.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()?;
    }
    fs::rename(&temp, path)
}

/// A file being written: becomes visible under its final name only on [`AtomicFile::commit`].
/// Dropped without commit, it removes its temporary file.
pub struct AtomicFile {
    path: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> io::Result<Self> {
        let temp = temp_path(path);
        let file = File::create(&temp)?;
        Ok(AtomicFile {
            path: path.to_owned(),
            temp,
            file: Some(file),
        })
    }

    /// The open temporary file, to write into.
    pub fn file(&mut self) -> io::Result<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("file already committed"))
    }

    /// A second handle on the temporary file, for writers that take ownership.
    pub fn try_clone_file(&mut self) -> io::Result<File> {
        self.file()?.try_clone()
    }

    /// Flushes to disk and renames to the final name.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            file.sync_all()?;
        }
        fs::rename(&self.temp, &self.path)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Removes temporary files a crashed run left in `dir`.
pub fn remove_stale_temp_files(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    if !dir.is_dir() {
        return Ok(0);
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(TEMP_SUFFIX) && path.is_file() {
            fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_file_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.parquet");
        {
            let mut file = AtomicFile::create(&path).unwrap();
            file.file().unwrap().write_all(b"half").unwrap();
            assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
            assert!(!path.exists());
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn committed_file_appears_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        let mut file = AtomicFile::create(&path).unwrap();
        file.file().unwrap().write_all(b"{}").unwrap();
        file.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}");
        write_atomic(&path, b"[]").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"[]");
        fs::write(dir.path().join("stale.parquet.tmp"), b"x").unwrap();
        assert_eq!(remove_stale_temp_files(dir.path()).unwrap(), 1);
    }
}
