//! `curate verify RUN`: re-reads every shard of a run and checks it against the manifest.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, UInt32Type};
use arrow::ipc::reader::StreamReader;
use clap::Args;
use xxhash_rust::xxh3::Xxh3;

use crate::job::spec::Remainder;
use crate::stages::shard::columns::shard_schema;
use crate::stages::shard::manifest::{MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, Manifest};
use crate::stages::shard::write::ShardFile;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The run directory (or its `shards` directory).
    pub run: PathBuf,
}

pub fn run(args: VerifyArgs) -> Result<()> {
    let dir = if args.run.join(MANIFEST_FILE).is_file() {
        args.run.clone()
    } else {
        args.run.join("shards")
    };
    let manifest = Manifest::read(&dir)?;
    let problems = verify(&dir, &manifest);
    if problems.is_empty() {
        println!(
            "{}: {} shards, {} sequences of {} tokens, {} tokens: all checksums, counts and ids \
             match the manifest",
            dir.display(),
            manifest.shards.len(),
            manifest.sequences,
            manifest.seq_len,
            manifest.tokens
        );
        return Ok(());
    }
    for problem in &problems {
        eprintln!("error: {problem}");
    }
    bail!(
        "{}: {} problem(s); the shards do not match {MANIFEST_FILE}",
        dir.display(),
        problems.len()
    )
}

/// Every way the shards in `dir` differ from `manifest`, one message each.
pub fn verify(dir: &Path, manifest: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    if manifest.format != MANIFEST_FORMAT || manifest.format_version != MANIFEST_VERSION {
        problems.push(format!(
            "{MANIFEST_FILE} is format {} version {}; this curate reads {MANIFEST_FORMAT} \
             version {MANIFEST_VERSION}",
            manifest.format, manifest.format_version
        ));
        return problems;
    }
    let tokenizer = dir.join(&manifest.tokenizer.path);
    match file_digest(&tokenizer) {
        Ok((_, digest)) if digest == manifest.tokenizer.xxh3 => {}
        Ok((_, digest)) => problems.push(format!(
            "{}: checksum {digest}, the manifest says {}",
            tokenizer.display(),
            manifest.tokenizer.xxh3
        )),
        Err(e) => problems.push(format!("{}: {e:#}", tokenizer.display())),
    }
    let (mut sequences, mut tokens) = (0u64, 0u64);
    for shard in &manifest.shards {
        match verify_shard(dir, manifest, shard) {
            Ok((s, t)) => {
                sequences += s;
                tokens += t;
            }
            Err(e) => problems.push(format!("{}: {e:#}", shard.file)),
        }
    }
    if problems.is_empty() && (sequences, tokens) != (manifest.sequences, manifest.tokens) {
        problems.push(format!(
            "the shards hold {sequences} sequences and {tokens} tokens, the manifest says {} \
             and {}",
            manifest.sequences, manifest.tokens
        ));
    }
    problems
}

/// Checks one shard: size and checksum first (cheap, and they catch any change), then the
/// schema, every row's length and every id against the vocabulary.
fn verify_shard(dir: &Path, manifest: &Manifest, shard: &ShardFile) -> Result<(u64, u64)> {
    let path = dir.join(&shard.file);
    if !path.is_file() {
        bail!("missing");
    }
    let (bytes, digest) = file_digest(&path)?;
    if bytes != shard.bytes {
        bail!(
            "{bytes} bytes, the manifest says {} (truncated or replaced)",
            shard.bytes
        );
    }
    if digest != shard.xxh3 {
        bail!(
            "checksum {digest}, the manifest says {} (the file was altered)",
            shard.xxh3
        );
    }
    let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader =
        StreamReader::try_new(BufReader::new(file), None).context("not an Arrow IPC stream")?;
    let expected = shard_schema(manifest.remainder == Remainder::Pad);
    if reader.schema().fields() != expected.fields() {
        bail!("schema {:?} is not the shard schema", reader.schema());
    }
    let (mut sequences, mut tokens) = (0u64, 0u64);
    for batch in reader {
        let batch = batch.context("cannot read a record batch")?;
        let ids = batch
            .column_by_name("input_ids")
            .and_then(|c| c.as_list_opt::<i32>())
            .context("no input_ids list column")?;
        if ids.value_type() != DataType::UInt32 {
            bail!("input_ids hold {}, not UInt32", ids.value_type());
        }
        for row in 0..ids.len() {
            let length = ids.value_length(row) as usize;
            if length != manifest.seq_len {
                bail!(
                    "sequence {} has {length} tokens, not {}",
                    sequences + row as u64,
                    manifest.seq_len
                );
            }
        }
        let values = ids
            .values()
            .as_primitive_opt::<UInt32Type>()
            .context("input_ids are not UInt32")?;
        if let Some(bad) = values
            .values()
            .iter()
            .find(|&&id| id as usize >= manifest.vocab_size)
        {
            bail!(
                "id {bad} is outside the vocabulary of {} ids",
                manifest.vocab_size
            );
        }
        sequences += ids.len() as u64;
        tokens += ids.len() as u64 * manifest.seq_len as u64;
    }
    if (sequences, tokens) != (shard.sequences, shard.tokens) {
        bail!(
            "{sequences} sequences and {tokens} tokens, the manifest says {} and {}",
            shard.sequences,
            shard.tokens
        );
    }
    Ok((sequences, tokens))
}

/// Size and xxh3-64 (16 hex digits) of a file, read in blocks.
fn file_digest(path: &Path) -> Result<(u64, String)> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Xxh3::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok((bytes, format!("{:016x}", hasher.digest())))
}
