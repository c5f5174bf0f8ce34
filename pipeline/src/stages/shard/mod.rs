//! The shard stage: the mix stage's selection packed into fixed-length sequences,
//! shuffled, and written as Arrow IPC stream shards a training job reads directly.
//!
//! The token ids come from the count stage's parts (documents are encoded once). The
//! shuffle runs on disk in three passes, so memory is bounded by `[shard] memory_mb` and
//! the shard size, never by the corpus:
//!
//! 1. **scatter** ([`scatter`]): every selected copy of a document is keyed by the seed and
//!    spilled to the document bucket of its key;
//! 2. **gather** ([`gather`]): buckets are read in order and sorted, documents packed in
//!    that global order (each followed by the end-of-text token), and the i-th sequence
//!    spilled to the shard of its permuted position ([`order`]);
//! 3. **write** ([`write`]): each shard is written from its spills in position order, with
//!    its xxh3 checksum.
//!
//! Then `manifest.json` and the HF `datasets` metadata are written, manifest last. The
//! stage resumes after a crash in pass 3: shards already written (recorded in
//! `_stage.json`) are kept, the others are written from the spills that are still there.
//!
//! On a cluster, pass 1 is the map step `shard-scatter` ([`scatter_step`]): each rank
//! scatters its count parts into `_scatter/`, and the `shard` step gathers from there.

pub mod columns;
pub mod gather;
pub mod manifest;
pub mod megatron;
pub mod order;
pub mod pack;
pub mod scatter;
pub mod scatter_step;
pub mod spill;
pub mod write;
pub mod write_step;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use self::gather::{GatherPlan, Gathered, PackedTokens, gather};
use self::manifest::{
    MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, Manifest, ManifestMix, SourceMix,
    TokenizerRef,
};
use self::order::SequencePermutation;
use self::pack::sequences_for;
use self::scatter::{ScatterPlan, Selection, scatter_part};
use self::spill::flush_bytes;
use self::write::{ShardFile, ShardSpec, write_shard};
use super::count::CountRecord;
use super::mix::{MixRecord, SELECTION_FILE};
use super::partitioned::record_fingerprint;
use super::tokenizer::{load_for_counting, run_tokenizer_path};
use super::{Execution, Stage, StageContext, StageOutcome};
use crate::cluster::Step;
use crate::job::spec::{Remainder, ShardSection};
use crate::progress::human_bytes;
use crate::run::atomic::{remove_stale_temp_files, write_atomic};
use crate::run::fingerprint::fingerprint_config;
use crate::run::stage_record::{FORMAT_VERSION, StageRecord, StageStatus, partition_key};

/// The spill directory inside the shard directory, removed when the stage completes.
pub const WORK_DIR: &str = ".work";
/// Written when pass 2 is done: what packing produced, so a resumed run skips passes 1-2.
const GATHERED_FILE: &str = "gathered.json";

/// The record of the shard stage: one entry per shard written, and the totals.
pub type ShardRecord = StageRecord<ShardFile, ShardSummary>;

/// The shard stage's totals in `_stage.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardSummary {
    pub sequences: u64,
    pub tokens: u64,
    pub shards: usize,
    pub seq_len: usize,
    pub text_tokens: u64,
    pub padding_tokens: u64,
    pub dropped_tokens: u64,
    pub bytes: u64,
    pub by_domain: BTreeMap<String, PackedTokens>,
    pub by_source: BTreeMap<String, SourceMix>,
}

/// Pass 2's result with the shard layout it was made for, kept in the work directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GatheredFile {
    /// The stage's fingerprints when it was packed (what `shard-write` ranks check).
    #[serde(default)]
    config_fingerprint: String,
    #[serde(default)]
    input_fingerprint: String,
    rows_per_shard: u64,
    shards: usize,
    #[serde(flatten)]
    packed: Gathered,
}

impl GatheredFile {
    /// What shard `index` holds, rows of the output order, and where it is written from
    /// and to; writing it may hold `memory_bytes`.
    fn shard_spec<'a>(
        &self,
        index: usize,
        (work_dir, shards_dir): (&'a Path, &'a Path),
        (seq_len, pad): (usize, bool),
        memory_bytes: u64,
    ) -> ShardSpec<'a> {
        let first = index as u64 * self.rows_per_shard;
        ShardSpec {
            work_dir,
            shards_dir,
            index,
            shards: self.shards,
            first,
            rows: self
                .rows_per_shard
                .min(self.packed.sequences.saturating_sub(first)),
            seq_len,
            pad,
            memory_bytes,
        }
    }
}

/// What the manifest says of the tokenizer.
struct ShardTokenizer {
    bytes: Vec<u8>,
    vocab_size: usize,
    eos_id: u32,
    eos_token: String,
}

/// Whether a job writes shards: whenever it plans a mix.
pub fn is_enabled(job: &crate::job::ResolvedJob) -> bool {
    super::mix::is_enabled(job)
}

pub fn run(context: &StageContext<'_>) -> Result<StageOutcome> {
    let job = context.job;
    let section = &job.shard;
    let stage_dir = context.stage_dir("shard");
    // On a cluster the sequence spills are read by the `shard-write` ranks: they stay in
    // the run directory, never on one node's scratch.
    let work_dir = match context.step {
        Some(_) => stage_dir.join(WORK_DIR),
        None => context.work_dir("shard", stage_dir.join(WORK_DIR)),
    };
    let count_dir = context.stage_dir("count");
    let mix_dir = context.stage_dir("mix");
    let counts = CountRecord::read(&count_dir)
        .filter(|r| r.status == StageStatus::Complete)
        .with_context(|| format!("{} holds no complete count stage", count_dir.display()))?;
    let mix = MixRecord::read(&mix_dir)
        .filter(|r| r.status == StageStatus::Complete)
        .with_context(|| format!("{} holds no complete mix stage", mix_dir.display()))?;

    let tokenizer_path = run_tokenizer_path(job);
    let tokenizer_bytes = std::fs::read(&tokenizer_path)
        .with_context(|| format!("cannot read {}", tokenizer_path.display()))?;
    let mut tokenizer = load_for_counting(&tokenizer_path)?;
    if let Some(token) = &section.eos_token {
        tokenizer = tokenizer
            .with_eos(token)
            .with_context(|| format!("[shard] eos_token {token:?} is not in the tokenizer"))?;
    }
    let (Some(eos_id), Some(eos_token)) = (tokenizer.eos_id(), tokenizer.eos_token()) else {
        bail!(
            "{} has no end-of-text token to separate documents; add one to \
             [tokenizer] special_tokens or name it with [shard] eos_token",
            tokenizer_path.display()
        );
    };
    let eos_token = eos_token.to_owned();

    let config_fingerprint = fingerprint_config(&(FORMAT_VERSION, section, job.seed));
    let input_fingerprint = fingerprint_config(&(
        record_fingerprint(&counts),
        record_fingerprint(&mix),
        format!("{:016x}", xxh3_64(&tokenizer_bytes)),
    ));
    let previous = ShardRecord::read(&stage_dir);
    let scattered_dir = scatter_step::scatter_dir(&stage_dir);
    if !context.force
        && let Some(record) = &previous
        && record.is_complete_for(&config_fingerprint, &input_fingerprint)
        && stage_dir.join(MANIFEST_FILE).is_file()
    {
        return Ok(StageOutcome::UpToDate {
            fingerprint: record_fingerprint(record),
        });
    }
    let fingerprints = (config_fingerprint.as_str(), input_fingerprint.as_str());
    let pad = section.remainder == Remainder::Pad;
    let memory = section.memory_mb.max(16) << 20;
    let count_parts: Vec<std::path::PathBuf> = counts
        .partitions_done
        .values()
        .map(|p| count_dir.join(&p.part))
        .collect();
    let threads = context.pool.current_num_threads();
    let shard_tokenizer = ShardTokenizer {
        vocab_size: tokenizer.vocab_size(),
        bytes: tokenizer_bytes,
        eos_id,
        eos_token,
    };
    let planned_fingerprint = fingerprint_config(&(fingerprints.0, fingerprints.1));
    match (context.execution, context.step) {
        // The run's seal: every shard from its marker, then the manifest.
        (Execution::Seal, _) => {
            let started = Instant::now();
            let (gathered, done, seconds) =
                write_step::sealed_shards(&stage_dir, &work_dir, fingerprints)?;
            let record = ShardRecord {
                stage: "shard".to_owned(),
                format_version: FORMAT_VERSION,
                status: StageStatus::Running,
                config_fingerprint: config_fingerprint.clone(),
                input_fingerprint: input_fingerprint.clone(),
                inputs: Vec::new(),
                partitions_total: gathered.shards,
                partitions_done: done,
                summary: None,
                // Shard seconds summed, as every seal of a map step does.
                seconds,
            };
            return finish(
                context,
                (&stage_dir, &work_dir),
                record,
                &gathered,
                &shard_tokenizer,
                started,
            );
        }
        // The map step `shard-write`: this rank's shards from the packed spills.
        (Execution::Rank { rank, world_size }, Some(Step::ShardWrite)) => {
            return write_step::write_rank(
                context,
                (&stage_dir, &work_dir),
                fingerprints,
                pad,
                (rank, world_size),
            );
        }
        // The reduce step `shard` packs once: `shard-write` writes.
        (Execution::Whole, Some(Step::Shard))
            if write_step::read_gathered(&work_dir, fingerprints).is_some() =>
        {
            return Ok(StageOutcome::UpToDate {
                fingerprint: planned_fingerprint,
            });
        }
        _ => {}
    }
    let packs_only = context.step == Some(Step::Shard);
    // On a cluster, the map step `shard-scatter`: this rank's count parts, scattered into
    // the run directory for the shard step.
    if let Execution::Rank { rank, world_size } = context.execution {
        let (selection, layout) = ShuffleLayout::read(&mix_dir, section, memory)?;
        let plan = layout.scatter_plan(&scattered_dir, &selection, (memory, threads), job.seed);
        return scatter_step::scatter_rank(
            context,
            fingerprints,
            &count_parts,
            &plan,
            (rank, world_size),
        );
    }
    let started = Instant::now();
    // A run interrupted in pass 3 with this configuration keeps its spills and shards.
    let resumable = !context.force
        && previous
            .as_ref()
            .is_some_and(|r| r.matches(&config_fingerprint, &input_fingerprint))
        && work_dir.join(GATHERED_FILE).is_file();
    let mut done: BTreeMap<String, ShardFile> = BTreeMap::new();
    if resumable && let Some(record) = previous {
        done = record
            .partitions_done
            .into_iter()
            .filter(|(_, shard)| stage_dir.join(&shard.file).is_file())
            .collect();
    } else {
        clear_stage_dir(&stage_dir)?;
    }
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("cannot create {}", work_dir.display()))?;
    remove_stale_temp_files(&stage_dir)?;
    remove_stale_temp_files(&work_dir)?;

    let gathered: GatheredFile = if resumable {
        let path = work_dir.join(GATHERED_FILE);
        // Read back exactly (serde_json's `float_roundtrip`): a resumed run's manifest
        // equals an uninterrupted run's byte for byte.
        serde_json::from_slice(&std::fs::read(&path)?)
            .with_context(|| format!("{} is damaged", path.display()))?
    } else {
        let (selection, layout) = ShuffleLayout::read(&mix_dir, section, memory)?;
        // Pass 1 as the cluster's map step left it, else here.
        let (document_dir, copies) =
            match scatter_step::load_scattered(&scattered_dir, fingerprints, count_parts.len())? {
                Some(copies) => {
                    tracing::info!(
                        event = "scatter_loaded",
                        stage = "shard",
                        partitions = count_parts.len(),
                        "pass 1 read from the shard-scatter step: {} partitions, {} copies",
                        count_parts.len(),
                        copies
                    );
                    (scattered_dir.clone(), copies)
                }
                None => {
                    let scatter_plan =
                        layout.scatter_plan(&work_dir, &selection, (memory, threads), job.seed);
                    let scattered: Vec<_> = context.pool.install(|| {
                        count_parts
                            .par_iter()
                            .enumerate()
                            .map(|(index, part)| scatter_part(&scatter_plan, index, part))
                            .collect::<Result<Vec<_>>>()
                    })?;
                    (work_dir.clone(), scattered.iter().map(|s| s.copies).sum())
                }
            };
        if copies != selection.copies_total {
            bail!(
                "the mix selection names {} document copies but the count parts hold {copies} \
                 of them; rerun with --force mix",
                selection.copies_total
            );
        }
        let permutation = SequencePermutation::new(layout.sequences, job.seed);
        let gathered = gather(&GatherPlan {
            document_dir: &document_dir,
            work_dir: &work_dir,
            document_buckets: layout.document_buckets,
            seq_len: section.seq_len,
            eos: eos_id,
            pad,
            permutation: &permutation,
            rows_per_shard: layout.rows_per_shard,
            shards: layout.shards,
            flush_bytes: flush_bytes(memory / 2, layout.shards),
        })?;
        let file = GatheredFile {
            config_fingerprint: config_fingerprint.clone(),
            input_fingerprint: input_fingerprint.clone(),
            rows_per_shard: layout.rows_per_shard,
            shards: layout.shards,
            packed: gathered,
        };
        for bucket in 0..layout.document_buckets {
            for path in spill::spill_files(&work_dir, &scatter::bucket_prefix(bucket))? {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
        write_atomic(&work_dir.join(GATHERED_FILE), &serde_json::to_vec(&file)?)?;
        file
    };
    // Packed: the map step's spills have served (also those of an attempt not used).
    if scattered_dir.exists() {
        std::fs::remove_dir_all(&scattered_dir)
            .with_context(|| format!("cannot remove {}", scattered_dir.display()))?;
    }

    if packs_only {
        return Ok(StageOutcome::Ran {
            fingerprint: planned_fingerprint,
            summary: format!(
                "packed {} sequences for {} shards in {:.1}s; shard-write writes them",
                curate_tokenizer::format::thousands(gathered.packed.sequences),
                gathered.shards,
                started.elapsed().as_secs_f64()
            ),
        });
    }

    let mut record = ShardRecord {
        stage: "shard".to_owned(),
        format_version: FORMAT_VERSION,
        status: StageStatus::Running,
        config_fingerprint,
        input_fingerprint,
        inputs: Vec::new(),
        partitions_total: gathered.shards,
        partitions_done: done,
        summary: None,
        seconds: 0.0,
    };
    record.write(&stage_dir)?;
    write_shards(context, &mut record, &gathered, &work_dir, &stage_dir, pad)?;
    finish(
        context,
        (&stage_dir, &work_dir),
        record,
        &gathered,
        &shard_tokenizer,
        started,
    )
}

/// Every shard is written: the manifest (and the Megatron export, the tokenizer copy),
/// then the work directory goes and the record says complete.
fn finish(
    context: &StageContext<'_>,
    (stage_dir, work_dir): (&Path, &Path),
    mut record: ShardRecord,
    gathered: &GatheredFile,
    tokenizer: &ShardTokenizer,
    started: Instant,
) -> Result<StageOutcome> {
    let job = context.job;
    let section = &job.shard;
    let pad = section.remainder == Remainder::Pad;

    let shards: Vec<ShardFile> = record.partitions_done.values().cloned().collect();
    let text_tokens: u64 = gathered.packed.by_domain.values().map(|t| t.tokens).sum();
    let by_source: BTreeMap<String, SourceMix> = gathered
        .packed
        .by_source
        .iter()
        .map(|(name, t)| {
            let domain = job
                .sources
                .iter()
                .find(|s| &s.name == name)
                .map(|s| s.domain.clone())
                .unwrap_or_default();
            let mix = SourceMix {
                domain,
                tokens: t.tokens,
                share: t.share,
            };
            (name.clone(), mix)
        })
        .collect();
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        format_version: MANIFEST_VERSION,
        seq_len: section.seq_len,
        eos_id: tokenizer.eos_id,
        eos_token: tokenizer.eos_token.clone(),
        vocab_size: tokenizer.vocab_size,
        requested_vocab_size: super::tokenizer::TokenizerRecord::read(
            &job.run_dir.join(Stage::Tokenizer.dir_name()),
        )
        .and_then(|r| r.summary)
        .and_then(|s| s.requested_vocab_size),
        tokenizer: TokenizerRef {
            path: super::tokenizer::TOKENIZER_FILE.to_owned(),
            xxh3: format!("{:016x}", xxh3_64(&tokenizer.bytes)),
        },
        seed: job.seed,
        job_fingerprint: record_fingerprint(&record),
        remainder: section.remainder,
        columns: columns::shard_schema(pad)
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect(),
        sequences: gathered.packed.sequences,
        tokens: gathered.packed.sequences * section.seq_len as u64,
        text_tokens,
        eos_tokens: gathered.packed.eos_tokens,
        padding_tokens: gathered.packed.padding_tokens,
        dropped_tokens: gathered.packed.dropped_tokens,
        mix: ManifestMix {
            by_domain: gathered.packed.by_domain.clone(),
            by_source: by_source.clone(),
        },
        shards,
        megatron: Vec::new(),
    };
    let mut manifest = manifest;
    if section.megatron {
        manifest.megatron = megatron::write(stage_dir, &manifest)?;
    }
    // The shard directory carries its own tokenizer, so it can be copied and verified
    // without the rest of the run.
    let tokenizer_copy = stage_dir.join(super::tokenizer::TOKENIZER_FILE);
    crate::run::atomic::write_atomic(&tokenizer_copy, &tokenizer.bytes)
        .with_context(|| format!("cannot write {}", tokenizer_copy.display()))?;
    manifest.write(stage_dir)?;
    std::fs::remove_dir_all(work_dir)
        .with_context(|| format!("cannot remove {}", work_dir.display()))?;

    let summary = ShardSummary {
        sequences: manifest.sequences,
        tokens: manifest.tokens,
        shards: manifest.shards.len(),
        seq_len: manifest.seq_len,
        text_tokens,
        padding_tokens: manifest.padding_tokens,
        dropped_tokens: manifest.dropped_tokens,
        bytes: manifest.shards.iter().map(|s| s.bytes).sum(),
        by_domain: manifest.mix.by_domain.clone(),
        by_source,
    };
    record.seconds += started.elapsed().as_secs_f64();
    record.status = StageStatus::Complete;
    let line = summary_line(&summary, record.seconds);
    record.summary = Some(summary);
    record.write(stage_dir)?;
    Ok(StageOutcome::Ran {
        fingerprint: record_fingerprint(&record),
        summary: line,
    })
}

/// The shape of the shuffle: how many sequences the selection packs into, how they are
/// cut into shards, and how many document buckets pass 1 spills into (so that one bucket
/// fits in half the memory). A function of the selection and the settings only: every
/// rank of the scatter step computes the same.
struct ShuffleLayout {
    sequences: u64,
    rows_per_shard: u64,
    shards: usize,
    document_buckets: usize,
}

impl ShuffleLayout {
    /// The mix stage's selection and the layout it gives with these settings, where the
    /// shuffle may hold `memory` bytes.
    fn read(mix_dir: &Path, section: &ShardSection, memory: u64) -> Result<(Selection, Self)> {
        let selection = Selection::read(&mix_dir.join(SELECTION_FILE))?;
        let pad = section.remainder == Remainder::Pad;
        let sequences = sequences_for(selection.packed_tokens, section.seq_len, pad);
        let (rows_per_shard, shards) =
            shard_layout(sequences, section.seq_len, section.shard_bytes);
        let spill_bytes = selection.packed_tokens * 4 + selection.copies_total * 64;
        let layout = ShuffleLayout {
            sequences,
            rows_per_shard,
            shards,
            document_buckets: spill_bytes.div_ceil(memory / 2).max(1) as usize,
        };
        Ok((selection, layout))
    }

    /// Pass 1 into `dir`: half the memory for the buckets' buffers of every thread.
    fn scatter_plan<'a>(
        &self,
        dir: &'a Path,
        selection: &'a Selection,
        (memory, threads): (u64, usize),
        seed: u64,
    ) -> ScatterPlan<'a> {
        ScatterPlan {
            work_dir: dir,
            buckets: self.document_buckets,
            flush_bytes: flush_bytes(memory / 2, self.document_buckets * threads),
            seed,
            selection,
        }
    }
}

/// Rows per shard and the number of shards: shards of at most `shard_bytes` of ids, all
/// the same size but the last.
fn shard_layout(sequences: u64, seq_len: usize, shard_bytes: u64) -> (u64, usize) {
    if sequences == 0 {
        return (1, 0);
    }
    let target = (shard_bytes / (4 * seq_len.max(1) as u64)).max(1);
    let rows = sequences.div_ceil(sequences.div_ceil(target));
    (rows, sequences.div_ceil(rows) as usize)
}

/// Pass 3: every shard not yet written, as many at once as memory allows (a shard is held
/// twice while its rows are put in order).
fn write_shards(
    context: &StageContext<'_>,
    record: &mut ShardRecord,
    gathered: &GatheredFile,
    work_dir: &Path,
    stage_dir: &Path,
    pad: bool,
) -> Result<()> {
    let section = &context.job.shard;
    let todo: Vec<usize> = (0..gathered.shards)
        .filter(|s| !record.partitions_done.contains_key(&partition_key(*s)))
        .collect();
    let shard_memory = 2 * gathered.rows_per_shard * (4 * section.seq_len as u64 + 64);
    let memory = section.memory_mb.max(16) << 20;
    let at_once =
        ((memory / shard_memory.max(1)) as usize).clamp(1, context.pool.current_num_threads());
    for group in todo.chunks(at_once) {
        let written: Vec<(usize, ShardFile)> = context.pool.install(|| {
            group
                .par_iter()
                .map(|&index| {
                    let spec = gathered.shard_spec(
                        index,
                        (work_dir, stage_dir),
                        (section.seq_len, pad),
                        memory / at_once as u64,
                    );
                    write_shard(&spec).map(|file| (index, file))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let recorded_before = record.partitions_done.len();
        for (index, file) in written {
            record.partitions_done.insert(partition_key(index), file);
        }
        record.write(stage_dir)?;
        for &index in group {
            for path in spill::spill_files(work_dir, &gather::shard_prefix(index))? {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
        // `abort:shard:K` (see `run::fault`): K shards written and recorded.
        for recorded in recorded_before + 1..=record.partitions_done.len() {
            crate::run::fault::abort_at(&format!("abort:shard:{recorded}"));
        }
    }
    Ok(())
}

/// Removes the output of an earlier run: shards, metadata and spills; not the scatter
/// step's spills, which the shard step reads when they vouch for this input.
fn clear_stage_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}", dir.display()));
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n == scatter_step::SCATTER_DIR)
        {
            continue;
        }
        let result = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        result.with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

fn summary_line(summary: &ShardSummary, seconds: f64) -> String {
    let domains: Vec<String> = summary
        .by_domain
        .iter()
        .map(|(d, t)| format!("{d} {}", curate_tokenizer::format::percent(t.share)))
        .collect();
    format!(
        "{} sequences of {} tokens ({} tokens) in {} shards, {}: {} in {:.1}s",
        curate_tokenizer::format::thousands(summary.sequences),
        summary.seq_len,
        curate_tokenizer::format::thousands(summary.tokens),
        summary.shards,
        human_bytes(summary.bytes),
        domains.join(", "),
        seconds
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_even_and_within_the_size() {
        // 1000 sequences of 512 tokens (2 KiB each), 300 KiB per shard: 150 rows at most.
        let (rows, shards) = shard_layout(1000, 512, 300 << 10);
        assert_eq!((rows, shards), (143, 7));
        assert!(rows * 2048 <= 300 << 10);
        assert_eq!(shard_layout(0, 512, 1 << 20), (1, 0));
        assert_eq!(shard_layout(5, 512, 1), (1, 5));
        assert_eq!(shard_layout(5, 512, 1 << 30), (5, 1));
    }
}
