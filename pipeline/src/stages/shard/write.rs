//! Pass 3 of the shuffle: each shard is written from its own sequence spills, rows in
//! output-position order, as an Arrow IPC stream file with its checksum taken on the way.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use arrow::array::{AsArray, BooleanArray, RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, filter_record_batch, take_record_batch};
use arrow::datatypes::UInt64Type;
use arrow::ipc::writer::StreamWriter;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::columns::{POSITION, bucket_schema, shard_schema};
use super::gather::shard_prefix;
use super::spill::{for_each_spill_batch, spill_files};
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
    /// What writing this shard may hold in memory (bytes): the rows are put in order a
    /// chunk at a time, never the whole shard at once.
    pub memory_bytes: u64,
}

/// Writes one shard, a chunk of output rows at a time: every chunk reads the shard's spills
/// (streamed, a batch at a time), keeps the rows whose position falls in the chunk, and
/// writes them in position order. A chunk is a whole number of the file's record batches,
/// so the bytes of the shard do not depend on the memory budget.
pub fn write_shard(spec: &ShardSpec<'_>) -> Result<ShardFile> {
    let files = spill_files(spec.work_dir, &shard_prefix(spec.index))?;
    let chunk_rows = chunk_rows(spec, &files)?;
    let name = shard_file_name(spec.index, spec.shards);
    let path = spec.shards_dir.join(&name);
    let mut file =
        AtomicFile::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut hashing = HashingWriter::new(BufWriter::new(file.try_clone_file()?));
    {
        let mut writer = StreamWriter::try_new(&mut hashing, &shard_schema(spec.pad))?;
        let mut chunk_first = 0;
        while chunk_first < spec.rows {
            let length = chunk_rows.min(spec.rows - chunk_first);
            let ordered = ordered_chunk(spec, &files, spec.first + chunk_first, length)?;
            let mut offset = 0;
            while offset < ordered.num_rows() {
                let rows = BATCH_ROWS.min(ordered.num_rows() - offset);
                writer.write(&ordered.slice(offset, rows))?;
                offset += rows;
            }
            chunk_first += length;
        }
        writer.finish()?;
    }
    hashing.flush()?;
    let (bytes, xxh3) = hashing.summary();
    drop(hashing);
    file.commit()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ShardFile {
        file: name,
        sequences: spec.rows,
        tokens: spec.rows * spec.seq_len as u64,
        bytes,
        xxh3,
    })
}

/// Output rows per chunk: what fits the budget three times over (the rows kept from the
/// spills, their concatenation, the reordered copy), in whole record batches, at least one.
fn chunk_rows(spec: &ShardSpec<'_>, files: &[std::path::PathBuf]) -> Result<u64> {
    let mut spilled = 0u64;
    for path in files {
        spilled += std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
    }
    let row_bytes = (spilled / spec.rows.max(1)).max(1);
    let batches = (spec.memory_bytes / (3 * row_bytes * BATCH_ROWS as u64)).max(1);
    Ok(batches * BATCH_ROWS as u64)
}

/// Rows `first..first + rows` of the output order, read from the shard's spills, in order,
/// without the position column.
fn ordered_chunk(
    spec: &ShardSpec<'_>,
    files: &[std::path::PathBuf],
    first: u64,
    rows: u64,
) -> Result<RecordBatch> {
    let mut kept = Vec::new();
    let mut received = 0u64;
    for_each_spill_batch(files, |batch| {
        let positions = batch
            .column_by_name(POSITION)
            .and_then(|c| c.as_primitive_opt::<UInt64Type>())
            .context("sequence spills have no positions")?;
        received += batch.num_rows() as u64;
        let mut mask = Vec::with_capacity(positions.len());
        for &position in positions.values() {
            if position < spec.first || position - spec.first >= spec.rows {
                bail!("position {position} is not in shard {}", spec.index);
            }
            mask.push(position >= first && position - first < rows);
        }
        kept.push(filter_record_batch(&batch, &BooleanArray::from(mask))?);
        Ok(())
    })?;
    if received != spec.rows {
        bail!(
            "shard {} received {received} sequences, expected {}",
            spec.index,
            spec.rows
        );
    }
    let all = concat_batches(&bucket_schema(spec.pad), &kept)?;
    drop(kept);
    let positions = all
        .column_by_name(POSITION)
        .and_then(|c| c.as_primitive_opt::<UInt64Type>())
        .context("sequence spills have no positions")?;
    // take[row in the chunk] = row in `all`.
    let mut take = vec![u32::MAX; rows as usize];
    for (spilled, &position) in positions.values().iter().enumerate() {
        let row = (position - first) as usize;
        if take[row] != u32::MAX {
            bail!("position {position} was packed twice");
        }
        take[row] = spilled as u32;
    }
    if take.contains(&u32::MAX) {
        bail!("shard {} is missing sequences", spec.index);
    }
    let ordered = take_record_batch(&all, &UInt32Array::from(take))?;
    drop(all);
    Ok(ordered.project(&(1..ordered.num_columns()).collect::<Vec<_>>())?)
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

    /// The bytes written so far and their xxh3-64 as 16 hex digits, as the manifest
    /// records files.
    pub fn summary(&self) -> (u64, String) {
        (self.bytes, format!("{:016x}", self.hasher.digest()))
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

#[cfg(test)]
mod tests {
    use arrow::array::Array;

    use super::super::columns::bucket_batch;
    use super::super::pack::{Segment, Sequence};
    use super::super::spill::write_spill;
    use super::*;

    /// Spills of shard 0 holding `rows` sequences of 4 ids whose positions are shuffled
    /// across three spill files, as the gather pass leaves them.
    fn spill_shard(dir: &Path, rows: u64) {
        let sequence = |position: u64| Sequence {
            tokens: vec![position as u32; 4],
            segments: vec![Segment {
                source: "s".into(),
                domain: "d".into(),
                id: format!("doc-{position}"),
                start: 0,
                offset: 0,
                length: 4,
                has_eos: false,
            }],
            real_tokens: 4,
        };
        let mut positions: Vec<u64> = (0..rows).collect();
        positions.sort_by_key(|p| (p * 7919) % rows);
        for (index, chunk) in positions.chunks(rows as usize / 3 + 1).enumerate() {
            let rows: Vec<(u64, Sequence)> = chunk.iter().map(|&p| (p, sequence(p))).collect();
            let batch = bucket_batch(&rows, false).unwrap();
            let path = dir.join(format!("{}c{index:05}.arrow", shard_prefix(0)));
            write_spill(&path, &batch).unwrap();
        }
    }

    #[test]
    fn a_shard_written_in_chunks_within_a_small_budget_has_the_same_bytes() {
        let rows = 3 * BATCH_ROWS as u64 + 17;
        let work = tempfile::tempdir().unwrap();
        spill_shard(work.path(), rows);
        let write = |memory_bytes: u64| {
            let out = tempfile::tempdir().unwrap();
            let spec = ShardSpec {
                work_dir: work.path(),
                shards_dir: out.path(),
                index: 0,
                shards: 1,
                first: 0,
                rows,
                seq_len: 4,
                pad: false,
                memory_bytes,
            };
            let files = spill_files(work.path(), &shard_prefix(0)).unwrap();
            let chunk = chunk_rows(&spec, &files).unwrap();
            let file = write_shard(&spec).unwrap();
            let bytes = std::fs::read(out.path().join(&file.file)).unwrap();
            (chunk, file, bytes)
        };
        let (small_chunk, small, small_bytes) = write(1);
        let (large_chunk, large, large_bytes) = write(1 << 30);
        assert_eq!(small_chunk, BATCH_ROWS as u64, "one batch at a time");
        assert!(large_chunk >= rows, "the whole shard at once");
        assert_eq!(small, large);
        assert_eq!(small_bytes, large_bytes);

        // Rows are in position order.
        let reader =
            arrow::ipc::reader::StreamReader::try_new(small_bytes.as_slice(), None).unwrap();
        let mut next = 0u32;
        for batch in reader {
            let ids = batch.unwrap().column(0).as_list::<i32>().clone();
            for row in 0..ids.len() {
                assert_eq!(
                    ids.value(row)
                        .as_primitive::<arrow::datatypes::UInt32Type>()
                        .value(0),
                    next
                );
                next += 1;
            }
        }
        assert_eq!(u64::from(next), rows);
    }
}
