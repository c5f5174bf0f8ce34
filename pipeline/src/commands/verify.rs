//! `curate verify RUN`: re-reads every shard of a run and checks it against the manifest.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, UInt32Type};
use arrow::ipc::reader::StreamReader;
use clap::Args;

use crate::job::spec::Remainder;
use crate::stages::shard::columns::shard_schema;
use crate::stages::shard::manifest::{MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, Manifest};
use crate::stages::shard::write::ShardFile;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The run directory (or its `shards` directory); a run in a bucket (`s3://...`) is
    /// pulled into a local working copy first.
    pub run: PathBuf,
}

/// A run's shards as `verify` found them.
pub struct CheckedShards {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Every way the shards differ from the manifest; empty when they match.
    pub problems: Vec<String>,
}

/// Reads and checks the shards of a run named on the command line: a run directory, its
/// `shards` directory, or a run in a bucket (whose shards are pulled first).
pub fn check_shards(run: &Path) -> Result<CheckedShards> {
    let (run, _mirror) =
        crate::storage::run_mirror::open_run(run, crate::storage::run_mirror::PullScope::Shards)?;
    let dir = if run.join(MANIFEST_FILE).is_file() {
        run
    } else {
        run.join("shards")
    };
    let manifest = Manifest::read(&dir)?;
    let problems = verify(&dir, &manifest);
    Ok(CheckedShards {
        dir,
        manifest,
        problems,
    })
}

pub fn run(args: VerifyArgs) -> Result<()> {
    let CheckedShards {
        dir,
        manifest,
        problems,
    } = check_shards(&args.run)?;
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
        Ok((_, digest)) if digest == manifest.tokenizer.xxh3 => {
            problems.extend(check_tokenizer(&tokenizer, manifest));
        }
        Ok((_, digest)) => problems.push(format!(
            "{}: checksum {digest}, the manifest says {}",
            tokenizer.display(),
            manifest.tokenizer.xxh3
        )),
        Err(e) => problems.push(format!("{}: {e:#}", tokenizer.display())),
    }
    problems.extend(check_shard_list(dir, manifest));
    problems.extend(check_totals(manifest));
    problems.extend(check_run_record(dir, manifest));
    for file in &manifest.megatron {
        match file_digest(&dir.join(&file.file)) {
            Ok((bytes, digest)) if (bytes, &digest) == (file.bytes, &file.xxh3) => {}
            Ok((bytes, digest)) => problems.push(format!(
                "{}: {bytes} bytes, checksum {digest}; the manifest says {} bytes, {}",
                file.file, file.bytes, file.xxh3
            )),
            Err(e) => problems.push(format!("{}: {e:#}", file.file)),
        }
    }
    if !manifest.megatron.is_empty()
        && let Err(e) = crate::stages::shard::megatron::check_index(dir, manifest)
    {
        problems.push(format!("megatron: {e:#}"));
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

/// The tokenizer the manifest names must have the manifest's vocabulary size and map its
/// end-of-text token to its `eos_id`: a trainer sizes its embedding and separates
/// documents by them.
fn check_tokenizer(path: &Path, manifest: &Manifest) -> Vec<String> {
    let tokenizer = match crate::stages::tokenizer::load_for_counting(path) {
        Ok(tokenizer) => tokenizer,
        Err(e) => return vec![format!("{}: {e:#}", path.display())],
    };
    let mut problems = Vec::new();
    if tokenizer.vocab_size() != manifest.vocab_size {
        problems.push(format!(
            "vocab_size is {} in the manifest, {} in {}",
            manifest.vocab_size,
            tokenizer.vocab_size(),
            path.display()
        ));
    }
    match tokenizer.token_to_id(&manifest.eos_token) {
        Some(id) if id == manifest.eos_id => {}
        Some(id) => problems.push(format!(
            "eos_id is {} in the manifest, but {} is id {id} in the tokenizer",
            manifest.eos_id, manifest.eos_token
        )),
        None => problems.push(format!(
            "the end-of-text token {} is not in the tokenizer",
            manifest.eos_token
        )),
    }
    problems
}

/// The shard list names `data-00000-of-N.arrow` to `data-(N-1)-of-N.arrow`, each once,
/// and the directory holds no shard the list lacks.
fn check_shard_list(dir: &Path, manifest: &Manifest) -> Vec<String> {
    use crate::stages::shard::write::shard_file_name;
    let mut problems = Vec::new();
    let n = manifest.shards.len();
    if n == 0 && manifest.sequences > 0 {
        problems.push(format!(
            "the manifest lists no shard but says {} sequences",
            manifest.sequences
        ));
    }
    for (index, shard) in manifest.shards.iter().enumerate() {
        let expected = shard_file_name(index, n);
        if shard.file != expected {
            problems.push(format!(
                "shard entry {index} is {}, expected {expected} (an entry dropped, duplicated \
                 or reordered)",
                shard.file
            ));
        }
    }
    let listed: std::collections::BTreeSet<&str> =
        manifest.shards.iter().map(|s| s.file.as_str()).collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut stray: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".arrow") && !listed.contains(name.as_str()))
            .collect();
        stray.sort();
        for name in stray {
            problems.push(format!(
                "{name} is in the shard directory but not in the manifest"
            ));
        }
    }
    problems
}

/// The manifest's numbers agree with each other: tokens are sequences times `seq_len`,
/// text, end-of-text and padding tokens add up to them, the shards add up to the totals,
/// the mix adds up to the text tokens with shares that are its fractions.
fn check_totals(manifest: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    let seq_len = manifest.seq_len as u64;
    if manifest.tokens != manifest.sequences * seq_len {
        problems.push(format!(
            "tokens {} is not sequences {} x seq_len {seq_len}",
            manifest.tokens, manifest.sequences
        ));
    }
    let parts = manifest.text_tokens + manifest.eos_tokens + manifest.padding_tokens;
    if parts != manifest.tokens {
        problems.push(format!(
            "text {} + eos {} + padding {} tokens = {parts}, not the {} tokens of the shards",
            manifest.text_tokens, manifest.eos_tokens, manifest.padding_tokens, manifest.tokens
        ));
    }
    let shard_sequences: u64 = manifest.shards.iter().map(|s| s.sequences).sum();
    let shard_tokens: u64 = manifest.shards.iter().map(|s| s.tokens).sum();
    if (shard_sequences, shard_tokens) != (manifest.sequences, manifest.tokens) {
        problems.push(format!(
            "the shard entries add up to {shard_sequences} sequences and {shard_tokens} tokens, \
             the totals say {} and {}",
            manifest.sequences, manifest.tokens
        ));
    }
    let text = manifest.text_tokens;
    for (what, tokens, shares) in [
        (
            "by_domain",
            manifest
                .mix
                .by_domain
                .values()
                .map(|t| t.tokens)
                .sum::<u64>(),
            manifest
                .mix
                .by_domain
                .iter()
                .map(|(d, t)| (d.clone(), t.tokens, t.share))
                .collect::<Vec<_>>(),
        ),
        (
            "by_source",
            manifest
                .mix
                .by_source
                .values()
                .map(|t| t.tokens)
                .sum::<u64>(),
            manifest
                .mix
                .by_source
                .iter()
                .map(|(s, t)| (s.clone(), t.tokens, t.share))
                .collect::<Vec<_>>(),
        ),
    ] {
        if tokens != text {
            problems.push(format!(
                "mix.{what} adds up to {tokens} tokens, not the {text} text tokens"
            ));
        }
        for (name, tokens, share) in shares {
            let expected = if text == 0 {
                0.0
            } else {
                tokens as f64 / text as f64
            };
            if (share - expected).abs() > 1e-9 {
                problems.push(format!(
                    "mix.{what}.{name}: share {share}, but {tokens} of {text} tokens is {expected}"
                ));
            }
        }
    }
    problems
}

/// In a run directory, the shard stage's record and the resolved job vouch for the
/// manifest's fingerprint and seed.
fn check_run_record(dir: &Path, manifest: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(record) = crate::stages::shard::ShardRecord::read(dir) {
        let fingerprint = crate::stages::partitioned::record_fingerprint(&record);
        if fingerprint != manifest.job_fingerprint {
            problems.push(format!(
                "job_fingerprint is {} in the manifest, {fingerprint} in the shard stage's record",
                manifest.job_fingerprint
            ));
        }
    }
    let resolved = dir
        .parent()
        .map(|run| run.join(crate::runner::RESOLVED_JOB_FILE));
    if let Some(text) = resolved.and_then(|p| std::fs::read_to_string(p).ok())
        && let Ok(value) = toml::from_str::<toml::Table>(&text)
        && let Some(seed) = value
            .get("job")
            .and_then(|j| j.get("seed"))
            .and_then(toml::Value::as_integer)
        && u64::try_from(seed).ok() != Some(manifest.seed)
    {
        problems.push(format!(
            "seed is {} in the manifest, {seed} in the run's resolved job",
            manifest.seed
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

/// Size and xxh3-64 (16 hex digits) of a file.
fn file_digest(path: &Path) -> Result<(u64, String)> {
    crate::run::fingerprint::file_digest(path)
        .with_context(|| format!("cannot read {}", path.display()))
}
