//! Pass 3 of the shuffle: each shard is written from its own sequence spills, rows in
//! output-position order, as an Arrow IPC stream file with its checksum taken on the way.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use arrow::array::{AsArray, UInt32Array};
use arrow::compute::{concat_batches, take_record_batch};
use arrow::datatypes::UInt64Type;
use arrow::ipc::writer::StreamWriter;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::columns::{POSITION, bucket_schema, shard_schema};
use super::gather::shard_prefix;
use super::spill::{read_spills, spill_files};
use crate::run::atomic::AtomicFile;

/// Rows per record batch inside a shard file: small enough for streaming readers.
const BATCH_ROWS: usize = 1024;

/// One shard file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardFile {
    pub file: String,
    pub sequences: u64,
    pub tokens: u64,
    pub bytes: u64,
    /// xxh3-64 of the file's bytes, 16 hex digits.
    pub xxh3: String,
}

/// The file name of shard `index` of `shards`, as HF `datasets` names its own.
pub fn shard_file_name(index: usize, shards: usize) -> String {
    format!("data-{index:05}-of-{shards:05}.arrow")
}

/// What a shard must hold: rows `first..first + rows` of the output order.
pub struct ShardSpec<'a> {
    pub work_dir: &'a Path,
    pub shards_dir: &'a Path,
    pub index: usize,
    pub shards: usize,
    pub first: u64,
    pub rows: u64,
    pub seq_len: usize,
    pub pad: bool,
}

/// Writes one shard.
pub fn write_shard(spec: &ShardSpec<'_>) -> Result<ShardFile> {
    let files = spill_files(spec.work_dir, &shard_prefix(spec.index))?;
    let batches = read_spills(&files)?;
    let all = concat_batches(&bucket_schema(spec.pad), &batches)?;
    drop(batches);
    if all.num_rows() as u64 != spec.rows {
        bail!(
            "shard {} received {} sequences, expected {}",
            spec.index,
            all.num_rows(),
            spec.rows
        );
    }
    let positions = all
        .column_by_name(POSITION)
        .and_then(|c| c.as_primitive_opt::<UInt64Type>())
        .context("sequence spills have no positions")?;
    // take[row in the shard] = row in the spills.
    let mut take = vec![u32::MAX; all.num_rows()];
    for (spilled, &position) in positions.values().iter().enumerate() {
        let row = position
            .checked_sub(spec.first)
            .filter(|r| *r < spec.rows)
            .with_context(|| format!("position {position} is not in shard {}", spec.index))?;
        if take[row as usize] != u32::MAX {
            bail!("position {position} was packed twice");
        }
        take[row as usize] = spilled as u32;
    }
    let ordered = take_record_batch(&all, &UInt32Array::from(take))?;
    drop(all);
    let ordered = ordered.project(&(1..ordered.num_columns()).collect::<Vec<_>>())?;

    let name = shard_file_name(spec.index, spec.shards);
    let path = spec.shards_dir.join(&name);
    let mut file =
        AtomicFile::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut hashing = HashingWriter::new(BufWriter::new(file.try_clone_file()?));
    {
        let mut writer = StreamWriter::try_new(&mut hashing, &shard_schema(spec.pad))?;
        let mut offset = 0;
        while offset < ordered.num_rows() {
            let length = BATCH_ROWS.min(ordered.num_rows() - offset);
            writer.write(&ordered.slice(offset, length))?;
            offset += length;
        }
        writer.finish()?;
    }
    hashing.flush()?;
    let (bytes, digest) = (hashing.bytes, hashing.hasher.digest());
    drop(hashing);
    file.commit()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ShardFile {
        file: name,
        sequences: spec.rows,
        tokens: spec.rows * spec.seq_len as u64,
        bytes,
        xxh3: format!("{digest:016x}"),
    })
}

/// A writer that hashes and counts what passes through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Xxh3,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Xxh3::new(),
            bytes: 0,
        }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
