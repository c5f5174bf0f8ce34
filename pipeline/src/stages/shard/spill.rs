//! Spill files of the on-disk shuffle: Arrow IPC stream files in the stage's work
//! directory, one per flush of a bucket's buffer, named so that a sorted listing groups a
//! bucket's files in the order they were written.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::array::RecordBatch;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;

/// Writes one spill file (under a temporary name, renamed when whole).
pub fn write_spill(path: &Path, batch: &RecordBatch) -> Result<()> {
    let mut file = crate::run::atomic::AtomicFile::create(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    {
        let handle = file.try_clone_file()?;
        let mut writer = StreamWriter::try_new(BufWriter::new(handle), &batch.schema())?;
        writer.write(batch)?;
        writer.finish()?;
        writer.into_inner()?.flush()?;
    }
    file.commit()
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The spill files whose names start with `prefix`, in name order.
pub fn spill_files(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with(prefix) && name.ends_with(".arrow") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Every batch of the given spill files, in order.
pub fn read_spills(files: &[PathBuf]) -> Result<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    for path in files {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let reader = StreamReader::try_new(BufReader::new(file), None)
            .with_context(|| format!("cannot read {}", path.display()))?;
        for batch in reader {
            batches.push(batch.with_context(|| format!("cannot read {}", path.display()))?);
        }
    }
    Ok(batches)
}

/// Calls `each` on every batch of the given spill files, in order, one batch in memory at
/// a time.
pub fn for_each_spill_batch(
    files: &[PathBuf],
    mut each: impl FnMut(RecordBatch) -> Result<()>,
) -> Result<()> {
    for path in files {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let reader = StreamReader::try_new(BufReader::new(file), None)
            .with_context(|| format!("cannot read {}", path.display()))?;
        for batch in reader {
            each(batch.with_context(|| format!("cannot read {}", path.display()))?)?;
        }
    }
    Ok(())
}

/// How many bytes a buffer may hold before it is spilled: the memory the pass may use,
/// shared by every open buffer, within sane bounds.
pub fn flush_bytes(memory_bytes: u64, buffers: usize) -> usize {
    let share = memory_bytes / (4 * buffers.max(1) as u64);
    share.clamp(64 << 10, 64 << 20) as usize
}
