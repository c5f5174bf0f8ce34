//! Running one job as many processes: steps, ranks, the plan, and the Slurm launcher.
//!
//! The rank contract is scheduler-agnostic: `curate run JOB --step STEP --rank I
//! --world-size N` runs task `I` of `N` of one step. A map step (ingest, filter, dedup's
//! signing and writing, count, the shuffle's scatter) runs the partitions `p % N == I`, each finished partition
//! leaving a completion marker; a reduce step (dedup's decisions, tokenizer, mix, shard)
//! runs whole on rank 0, the other ranks exit at once; the `seal` step builds the records
//! of what is left and the report. Every step first seals the stages before it that end
//! in a map step, from their markers, so a missing partition is an error that names it,
//! never a silent gap. Partitions come from the inputs, not from `N`: the output is the
//! same bytes whatever the number of tasks.

pub mod plan;
pub mod slurm;
pub mod status;
pub mod task;

use clap::ValueEnum;

use crate::job::ResolvedJob;
use crate::stages::Stage;

/// One step of a job on a cluster: a stage, or the final seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Step {
    Ingest,
    Filter,
    /// Ingest then filter, fused per partition: a rank filters the partitions it has just
    /// ingested, one task and one trip through the scheduler instead of two.
    IngestFilter,
    /// Ingest, filter and dedup's pass 1, fused per partition: a rank signs the partitions
    /// it has just filtered (numbering their documents from 0; the `dedup` step places
    /// them).
    IngestFilterSign,
    /// Dedup's pass 1 (exact and MinHash signatures) split over ranks; the `dedup` step
    /// then decides on rank 0 from the signatures.
    DedupSign,
    /// Dedup's global step: every document's decision, written per partition for
    /// `dedup-write`.
    Dedup,
    /// Dedup's pass 2 split over ranks: each partition's kept and removed documents,
    /// written from its decisions.
    DedupWrite,
    Tokenizer,
    Count,
    Mix,
    /// The shuffle's pass 1 split over ranks: every selected copy of each count part
    /// spilled to its document bucket, for the `shard` step to pack.
    ShardScatter,
    /// The shuffle's packing on rank 0: the sequences spilled per shard, for `shard-write`.
    Shard,
    /// The shuffle's pass 3 split over ranks: each shard written from its spills.
    ShardWrite,
    /// Seal every stage from its markers, annotate the token funnel, write `run.json` and
    /// the report: the last step of a job whose last stage step is a map step (else that
    /// reduce step does it, one trip through the scheduler fewer). It can always be run
    /// by hand.
    Seal,
}

/// Whether a step's work is split over ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Partitions split over every rank.
    Map,
    /// Done whole by rank 0.
    Reduce,
}

impl Step {
    pub fn stage(self) -> Option<Stage> {
        match self {
            Step::Ingest => Some(Stage::Ingest),
            // The stage whose output (and markers) the step leaves.
            Step::Filter | Step::IngestFilter | Step::IngestFilterSign => Some(Stage::Filter),
            Step::DedupSign | Step::Dedup | Step::DedupWrite => Some(Stage::Dedup),
            Step::Tokenizer => Some(Stage::Tokenizer),
            Step::Count => Some(Stage::Count),
            Step::Mix => Some(Stage::Mix),
            Step::ShardScatter | Step::Shard | Step::ShardWrite => Some(Stage::Shard),
            Step::Seal => None,
        }
    }

    pub fn of(stage: Stage) -> Step {
        match stage {
            Stage::Ingest => Step::Ingest,
            Stage::Filter => Step::Filter,
            Stage::Dedup => Step::Dedup,
            Stage::Tokenizer => Step::Tokenizer,
            Stage::Count => Step::Count,
            Stage::Mix => Step::Mix,
            Stage::Shard => Step::Shard,
        }
    }

    /// The stages the step runs, first and last.
    pub fn stages(self) -> Option<(Stage, Stage)> {
        match self {
            Step::IngestFilter => Some((Stage::Ingest, Stage::Filter)),
            Step::IngestFilterSign => Some((Stage::Ingest, Stage::Dedup)),
            _ => self.stage().map(|stage| (stage, stage)),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Step::IngestFilter => "ingest-filter",
            Step::IngestFilterSign => "ingest-filter-sign",
            Step::DedupSign => "dedup-sign",
            Step::DedupWrite => "dedup-write",
            Step::ShardScatter => "shard-scatter",
            Step::ShardWrite => "shard-write",
            Step::Seal => "seal",
            _ => self.stage().map_or("seal", Stage::name),
        }
    }

    pub fn kind(self) -> StepKind {
        match self {
            Step::DedupSign
            | Step::DedupWrite
            | Step::IngestFilter
            | Step::IngestFilterSign
            | Step::ShardScatter
            | Step::ShardWrite => StepKind::Map,
            _ => match self.stage() {
                Some(stage) if stage_is_map(stage) => StepKind::Map,
                _ => StepKind::Reduce,
            },
        }
    }

    /// The steps a job runs, in order: its enabled stages (ingest, filter and dedup's
    /// signing fused, dedup's deciding and writing, shard as scattering, packing and writing), then
    /// the seal unless the last of them is a reduce step, which seals the run itself.
    pub fn all_for(job: &ResolvedJob) -> Vec<Step> {
        let mut steps = Self::stage_steps(job);
        if steps.last().is_none_or(|step| step.kind() == StepKind::Map) {
            steps.push(Step::Seal);
        }
        steps
    }

    /// Whether this step finishes the run: it writes `run.json` and the report, and removes
    /// what the steps left for each other. `seal`, or the job's last step.
    pub fn ends_run(self, job: &ResolvedJob) -> bool {
        self == Step::Seal || Self::all_for(job).last() == Some(&self)
    }

    fn stage_steps(job: &ResolvedJob) -> Vec<Step> {
        let filtered = Stage::Filter.is_enabled(job);
        // Signing fuses with ingest and filter when both run before it.
        let fused_sign = filtered && Stage::Dedup.is_enabled(job);
        Stage::ALL
            .into_iter()
            .filter(|stage| stage.is_enabled(job))
            .flat_map(|stage| match stage {
                Stage::Ingest if fused_sign => vec![Step::IngestFilterSign],
                Stage::Ingest if filtered => vec![Step::IngestFilter],
                Stage::Filter => vec![],
                Stage::Dedup if fused_sign => vec![Step::Dedup, Step::DedupWrite],
                Stage::Dedup => vec![Step::DedupSign, Step::Dedup, Step::DedupWrite],
                Stage::Shard => vec![Step::ShardScatter, Step::Shard, Step::ShardWrite],
                other => vec![Step::of(other)],
            })
            .collect()
    }
}

/// The stages whose partitions are independent (one input part, one output part): split
/// over ranks. The tokenizer and the mix are global, and the shard stage shuffles across
/// everything: they run whole.
pub fn stage_is_map(stage: Stage) -> bool {
    matches!(stage, Stage::Ingest | Stage::Filter | Stage::Count)
}

/// The stages whose last step is a map step, so the steps after them seal them from their
/// markers: the map stages, dedup (its parts are written by `dedup-write`) and shard (its
/// shards by `shard-write`).
pub fn stage_ends_in_map(stage: Stage) -> bool {
    stage_is_map(stage) || matches!(stage, Stage::Dedup | Stage::Shard)
}
