//! Pass 2 of the shuffle: the document buckets are read in order, each sorted by key, and
//! the documents packed into sequences in that (global key) order. The i-th sequence goes
//! to output position `π(i)`; sequences are spilled per shard, so pass 3 writes each shard
//! from its own spill files.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use arrow::array::AsArray;
use arrow::datatypes::{UInt32Type, UInt64Type};
use serde::{Deserialize, Serialize};

use super::columns::bucket_batch;
use super::order::SequencePermutation;
use super::pack::{PackDocument, Packer, Segment, Sequence, Tail};
use super::scatter::bucket_prefix;
use super::spill::{read_spills, spill_files, write_spill};

/// How pass 2 runs.
pub struct GatherPlan<'a> {
    /// Where pass 1 spilled the document buckets (the work directory, or the scatter
    /// step's directory on a cluster).
    pub document_dir: &'a Path,
    /// Where the sequences are spilled, by shard.
    pub work_dir: &'a Path,
    pub document_buckets: usize,
    pub seq_len: usize,
    pub eos: u32,
    pub pad: bool,
    pub permutation: &'a SequencePermutation,
    pub rows_per_shard: u64,
    pub shards: usize,
    pub flush_bytes: usize,
}

/// Tokens packed from one group of documents (a source or a domain).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackedTokens {
    /// Tokens of document text in the sequences (end-of-text tokens not included).
    pub tokens: u64,
    /// Share of all text tokens in the sequences.
    pub share: f64,
}

/// What packing produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Gathered {
    pub sequences: u64,
    pub by_domain: BTreeMap<String, PackedTokens>,
    pub by_source: BTreeMap<String, PackedTokens>,
    pub eos_tokens: u64,
    pub padding_tokens: u64,
    /// Tokens after the last full sequence, left out (`remainder = "drop"`).
    pub dropped_tokens: u64,
}

impl Gathered {
    fn count(&mut self, segments: &[Segment]) {
        for segment in segments {
            let text = segment.text_tokens();
            self.by_domain
                .entry(segment.domain.clone())
                .or_default()
                .tokens += text;
            self.by_source
                .entry(segment.source.clone())
                .or_default()
                .tokens += text;
            self.eos_tokens += u64::from(segment.has_eos);
        }
    }

    fn finish_shares(&mut self) {
        let total: u64 = self.by_domain.values().map(|t| t.tokens).sum();
        for group in self
            .by_domain
            .values_mut()
            .chain(self.by_source.values_mut())
        {
            group.share = if total == 0 {
                0.0
            } else {
                group.tokens as f64 / total as f64
            };
        }
    }
}

/// The spill file name prefix of a shard's sequences.
pub fn shard_prefix(shard: usize) -> String {
    format!("seq-s{shard:05}-")
}

/// Sequences waiting to be spilled, per shard.
struct SequenceBuffers<'a> {
    plan: &'a GatherPlan<'a>,
    rows: Vec<Vec<(u64, Sequence)>>,
    bytes: Vec<usize>,
    spills: Vec<usize>,
    next_index: u64,
}

impl SequenceBuffers<'_> {
    fn add(&mut self, sequence: Sequence) -> Result<()> {
        let plan = self.plan;
        if self.next_index >= plan.permutation.len() {
            bail!(
                "packing made more than the {} sequences the selection allows",
                plan.permutation.len()
            );
        }
        let position = plan.permutation.position(self.next_index);
        self.next_index += 1;
        let shard = (position / plan.rows_per_shard) as usize;
        self.bytes[shard] += 4 * sequence.tokens.len() + 64 * sequence.segments.len();
        self.rows[shard].push((position, sequence));
        if self.bytes[shard] >= plan.flush_bytes {
            self.spill(shard)?;
        }
        Ok(())
    }

    fn spill(&mut self, shard: usize) -> Result<()> {
        if self.rows[shard].is_empty() {
            return Ok(());
        }
        let batch = bucket_batch(&self.rows[shard], self.plan.pad)?;
        let path = self.plan.work_dir.join(format!(
            "{}c{:05}.arrow",
            shard_prefix(shard),
            self.spills[shard]
        ));
        write_spill(&path, &batch)?;
        self.rows[shard].clear();
        self.bytes[shard] = 0;
        self.spills[shard] += 1;
        Ok(())
    }
}

/// Packs every document bucket in order; returns what went into the sequences.
pub fn gather(plan: &GatherPlan<'_>) -> Result<Gathered> {
    let mut buffers = SequenceBuffers {
        plan,
        rows: (0..plan.shards).map(|_| Vec::new()).collect(),
        bytes: vec![0; plan.shards],
        spills: vec![0; plan.shards],
        next_index: 0,
    };
    let mut gathered = Gathered::default();
    let mut packer = Packer::new(plan.seq_len, plan.eos);
    for bucket in 0..plan.document_buckets {
        let files = spill_files(plan.document_dir, &bucket_prefix(bucket))?;
        let batches = read_spills(&files)?;
        let mut order: Vec<(u64, usize, usize)> = Vec::new();
        for (b, batch) in batches.iter().enumerate() {
            let keys = batch
                .column(0)
                .as_primitive_opt::<UInt64Type>()
                .context("spilled keys are not UInt64")?;
            order.extend(
                keys.values()
                    .iter()
                    .enumerate()
                    .map(|(row, &k)| (k, b, row)),
            );
        }
        // Stable: equal keys (a 64-bit collision) keep the order they were scattered in.
        order.sort_by_key(|&(key, _, _)| key);
        for (_, b, row) in order {
            let batch = &batches[b];
            let text = |column: usize| batch.column(column).as_string::<i32>().value(row);
            let list = batch.column(4).as_list::<i32>().value(row);
            let tokens = list
                .as_primitive_opt::<UInt32Type>()
                .context("spilled ids are not UInt32")?;
            let document = PackDocument {
                source: text(1),
                domain: text(2),
                id: text(3),
                tokens: tokens.values(),
            };
            packer.push(document, |sequence| {
                gathered.count(&sequence.segments);
                buffers.add(sequence)
            })?;
        }
    }
    match packer.finish(plan.pad) {
        Tail::Empty => {}
        Tail::Dropped(segments) => {
            gathered.dropped_tokens = segments.iter().map(|s| u64::from(s.length)).sum();
        }
        Tail::Padded(sequence) => {
            gathered.count(&sequence.segments);
            gathered.padding_tokens = (sequence.tokens.len() - sequence.real_tokens) as u64;
            buffers.add(sequence)?;
        }
    }
    for shard in 0..plan.shards {
        buffers.spill(shard)?;
    }
    if buffers.next_index != plan.permutation.len() {
        bail!(
            "packing made {} sequences where the selection's token counts give {}: the count \
             parts and the mix selection disagree",
            buffers.next_index,
            plan.permutation.len()
        );
    }
    gathered.sequences = buffers.next_index;
    gathered.finish_shares();
    Ok(gathered)
}
