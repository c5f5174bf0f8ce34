//! `curate publish`: copy a run's shards to object storage for the trainers to read.
//!
//! What is copied: every shard, the Megatron pair when there is one, the tokenizer copy,
//! HF `datasets` metadata (`dataset_info.json`, `state.json`) and `manifest.json`, last.
//! Each object is read back after upload and its xxh3 compared with the manifest's (or the
//! local file's), so a published dataset is checked end to end, not only sent. Publishing
//! again skips every object already there with the right checksum, so an interrupted
//! publish resumes; a manifest already there that differs is removed first, so readers
//! never see a new manifest before all of its shards.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::commands::verify::{CheckedShards, check_shards};
use crate::run::fingerprint::{file_digest, stream_digest};
use crate::stages::shard::manifest::{MANIFEST_FILE, Manifest};
use crate::storage::{ObjectReader, ObjectUrl, StorageError, delete_object, head, put_file};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The run directory (or its `shards` directory).
    pub run: PathBuf,
    /// Where the shards go: `s3://bucket/datasets/finance-v1` (also `gs://`, `az://`).
    pub dest: String,
}

/// One file to publish and the checksum it must have.
struct Published {
    name: String,
    bytes: u64,
    xxh3: String,
}

pub fn run(args: PublishArgs) -> Result<()> {
    let dest = match ObjectUrl::parse(&args.dest) {
        Some(url) => url?,
        None => bail!(
            "`{}` is not a storage URL: publish copies shards to s3://, gs:// or az:// (a local \
             copy is `cp -r`)",
            args.dest
        ),
    };
    let CheckedShards {
        dir,
        manifest,
        problems,
    } = check_shards(&args.run)?;
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("error: {problem}");
        }
        bail!(
            "{}: the shards do not match {MANIFEST_FILE} ({} problems): nothing was published",
            dir.display(),
            problems.len()
        );
    }
    let files = files_to_publish(&dir, &manifest)?;
    // Readers find a dataset through its manifest: an old one goes before any shard changes.
    let manifest_url = dest.join(MANIFEST_FILE);
    let local_manifest = digest(&dir.join(MANIFEST_FILE))?;
    if let Ok(info) = head(&manifest_url)
        && (info.size != local_manifest.bytes
            || remote_digest(&manifest_url)? != local_manifest.xxh3)
    {
        delete_object(&manifest_url)?;
    }
    let (mut uploaded, mut kept, mut bytes) = (0u64, 0u64, 0u64);
    for file in files.iter().chain(std::iter::once(&local_manifest)) {
        let url = dest.join(&file.name);
        let already = match head(&url) {
            Ok(info) => info.size == file.bytes && remote_digest(&url)? == file.xxh3,
            Err(StorageError::NotFound { .. }) => false,
            Err(error) => return Err(error.into()),
        };
        if already {
            kept += 1;
            continue;
        }
        put_file(&dir.join(&file.name), &url)?;
        let read_back = remote_digest(&url)?;
        if read_back != file.xxh3 {
            bail!(
                "{url}: read back with xxh3 {read_back}, expected {} (uploaded from {}): \
                 publish again",
                file.xxh3,
                dir.join(&file.name).display()
            );
        }
        uploaded += 1;
        bytes += file.bytes;
    }
    println!(
        "{dest}: {} files ({uploaded} uploaded, {} bytes; {kept} already there), every \
         checksum read back and matching {MANIFEST_FILE}",
        files.len() + 1,
        bytes
    );
    Ok(())
}

/// The shards, the Megatron pair, the tokenizer and the HF metadata, with the checksums
/// the manifest gives (or, for the metadata, those of the local files).
fn files_to_publish(dir: &Path, manifest: &Manifest) -> Result<Vec<Published>> {
    let mut files: Vec<Published> = manifest
        .shards
        .iter()
        .map(|s| Published {
            name: s.file.clone(),
            bytes: s.bytes,
            xxh3: s.xxh3.clone(),
        })
        .chain(manifest.megatron.iter().map(|m| Published {
            name: m.file.clone(),
            bytes: m.bytes,
            xxh3: m.xxh3.clone(),
        }))
        .collect();
    let tokenizer = digest(&dir.join(&manifest.tokenizer.path))?;
    if tokenizer.xxh3 != manifest.tokenizer.xxh3 {
        bail!(
            "{}: xxh3 {} but {MANIFEST_FILE} says {}",
            dir.join(&manifest.tokenizer.path).display(),
            tokenizer.xxh3,
            manifest.tokenizer.xxh3
        );
    }
    files.push(tokenizer);
    for metadata in ["dataset_info.json", "state.json"] {
        if dir.join(metadata).is_file() {
            files.push(digest(&dir.join(metadata))?);
        }
    }
    Ok(files)
}

fn digest(path: &Path) -> Result<Published> {
    let (bytes, xxh3) =
        file_digest(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Published {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
        xxh3,
    })
}

/// xxh3-64 of an object, streamed back from the store.
fn remote_digest(url: &ObjectUrl) -> Result<String> {
    let mut reader = ObjectReader::open_fresh(url)?;
    let (_, digest) =
        stream_digest(&mut reader).with_context(|| format!("cannot read back {url}"))?;
    Ok(digest)
}
