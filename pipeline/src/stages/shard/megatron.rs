//! The shards as a Megatron-LM indexed dataset (`megatron/data.bin` + `data.idx`), the
//! layout of `megatron.core.datasets.indexed_dataset`:
//!
//! - `data.bin`: the token ids of every sequence, back to back, little-endian `uint16`
//!   when the vocabulary has fewer than 65,500 ids (as Megatron's preprocessing chooses),
//!   `int32` otherwise;
//! - `data.idx`: the header `MMIDIDX\0\0`, version (`u64` 1), the dtype code (`u8`: 8 for
//!   uint16, 4 for int32), the sequence count (`u64`), the document count (`u64`), then the
//!   sequence lengths (`i32` each), the byte offset of each sequence in `data.bin` (`i64`
//!   each) and the document boundaries (`i64` each: 0, then the index after each document).
//!
//! Each packed sequence is written as one sequence and one document, in shard order, so a
//! Megatron `GPTDataset` with the same sequence length reads the same samples.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray};
use arrow::datatypes::UInt32Type;
use arrow::ipc::reader::StreamReader;

use super::manifest::Manifest;
use super::write::HashingWriter;
use crate::run::atomic::AtomicFile;

/// The directory of the Megatron files inside the shard directory.
pub const MEGATRON_DIR: &str = "megatron";
const INDEX_HEADER: &[u8; 9] = b"MMIDIDX\x00\x00";
const DTYPE_INT32: u8 = 4;
const DTYPE_UINT16: u8 = 8;

/// Writes `megatron/data.bin` and `megatron/data.idx` from the shards of `manifest`;
/// returns their sizes and checksums for the manifest, so `curate verify` can check them.
pub fn write(shards_dir: &Path, manifest: &Manifest) -> Result<Vec<MegatronFile>> {
    let dir = shards_dir.join(MEGATRON_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let narrow = manifest.vocab_size < 65_500;
    let item_bytes: i64 = if narrow { 2 } else { 4 };
    let bin_path = dir.join("data.bin");
    let mut bin_file = AtomicFile::create(&bin_path)
        .with_context(|| format!("cannot create {}", bin_path.display()))?;
    let mut bin = HashingWriter::new(BufWriter::new(bin_file.try_clone_file()?));
    let mut lengths: Vec<i32> = Vec::new();
    for shard in &manifest.shards {
        let path = shards_dir.join(&shard.file);
        let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        for batch in StreamReader::try_new(BufReader::new(file), None)? {
            let batch = batch.with_context(|| format!("cannot read {}", path.display()))?;
            let ids = batch
                .column_by_name("input_ids")
                .and_then(|c| c.as_list_opt::<i32>())
                .with_context(|| format!("{} has no input_ids", path.display()))?;
            for row in 0..ids.len() {
                let sequence = ids.value(row);
                let values = sequence
                    .as_primitive_opt::<UInt32Type>()
                    .context("input_ids are not UInt32")?
                    .values();
                for &id in values.iter() {
                    if narrow {
                        bin.write_all(&(id as u16).to_le_bytes())?;
                    } else {
                        bin.write_all(&(id as i32).to_le_bytes())?;
                    }
                }
                lengths.push(i32::try_from(values.len()).context("sequence too long")?);
            }
        }
    }
    bin.flush()?;
    let bin_summary = bin.summary();
    drop(bin);
    bin_file
        .commit()
        .with_context(|| format!("cannot write {}", bin_path.display()))?;

    let idx_path = dir.join("data.idx");
    let mut idx_file = AtomicFile::create(&idx_path)
        .with_context(|| format!("cannot create {}", idx_path.display()))?;
    let mut idx = HashingWriter::new(BufWriter::new(idx_file.try_clone_file()?));
    idx.write_all(INDEX_HEADER)?;
    idx.write_all(&1u64.to_le_bytes())?;
    idx.write_all(&[if narrow { DTYPE_UINT16 } else { DTYPE_INT32 }])?;
    idx.write_all(&(lengths.len() as u64).to_le_bytes())?;
    idx.write_all(&(lengths.len() as u64 + 1).to_le_bytes())?;
    for length in &lengths {
        idx.write_all(&length.to_le_bytes())?;
    }
    let mut pointer: i64 = 0;
    for length in &lengths {
        idx.write_all(&pointer.to_le_bytes())?;
        pointer += i64::from(*length) * item_bytes;
    }
    for document in 0..=lengths.len() as i64 {
        idx.write_all(&document.to_le_bytes())?;
    }
    idx.flush()?;
    let idx_summary = idx.summary();
    drop(idx);
    idx_file
        .commit()
        .with_context(|| format!("cannot write {}", idx_path.display()))?;
    let file = |name: &str, (bytes, xxh3): (u64, String)| MegatronFile {
        file: format!("{MEGATRON_DIR}/{name}"),
        bytes,
        xxh3,
    };
    Ok(vec![
        file("data.bin", bin_summary),
        file("data.idx", idx_summary),
    ])
}

/// A Megatron file as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MegatronFile {
    /// Relative to the shard directory (`megatron/data.bin`).
    pub file: String,
    pub bytes: u64,
    /// xxh3-64 of the file's bytes, 16 hex digits.
    pub xxh3: String,
}

/// Checks `data.idx` against the manifest: the header, one sequence of `seq_len` tokens
/// per packed sequence, offsets that tile `data.bin`, whose size they give.
pub fn check_index(shards_dir: &Path, manifest: &Manifest) -> Result<()> {
    let dir = shards_dir.join(MEGATRON_DIR);
    let idx = std::fs::read(dir.join("data.idx")).context("cannot read data.idx")?;
    let bin_bytes = std::fs::metadata(dir.join("data.bin"))
        .context("cannot read data.bin")?
        .len();
    let take = |at: usize, n: usize| -> Result<&[u8]> {
        idx.get(at..at + n).context("data.idx is truncated")
    };
    anyhow::ensure!(
        take(0, 9)? == INDEX_HEADER,
        "data.idx has no MMIDIDX header"
    );
    let narrow = manifest.vocab_size < 65_500;
    let dtype = take(17, 1)?[0];
    anyhow::ensure!(
        dtype == if narrow { DTYPE_UINT16 } else { DTYPE_INT32 },
        "data.idx dtype {dtype} does not fit a vocabulary of {} ids",
        manifest.vocab_size
    );
    let u64_at = |at: usize| -> Result<u64> {
        Ok(u64::from_le_bytes(
            take(at, 8)?.try_into().context("data.idx")?,
        ))
    };
    let sequences = u64_at(18)?;
    anyhow::ensure!(
        sequences == manifest.sequences,
        "data.idx holds {sequences} sequences, the manifest {}",
        manifest.sequences
    );
    let item_bytes: u64 = if narrow { 2 } else { 4 };
    let count = usize::try_from(sequences).context("too many sequences")?;
    let lengths_at = 34;
    let expected_len = lengths_at + count * 4 + count * 8 + (count + 1) * 8;
    anyhow::ensure!(
        idx.len() == expected_len,
        "data.idx is {} bytes, its header says {expected_len}",
        idx.len()
    );
    for i in 0..count {
        let length = i32::from_le_bytes(
            take(lengths_at + 4 * i, 4)?
                .try_into()
                .context("data.idx")?,
        );
        anyhow::ensure!(
            usize::try_from(length).ok() == Some(manifest.seq_len),
            "data.idx sequence {i} has {length} tokens, not {}",
            manifest.seq_len
        );
    }
    let expected_bin = sequences * manifest.seq_len as u64 * item_bytes;
    anyhow::ensure!(
        bin_bytes == expected_bin,
        "data.bin is {bin_bytes} bytes, the index gives {expected_bin}"
    );
    Ok(())
}
