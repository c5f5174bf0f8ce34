//! What `report.json` holds: every number the Markdown and HTML reports show, so scripts
//! and tests read the same figures people do.
//!
//! Counts that a run did not measure (tokens before the count stage ran, bytes of records
//! that never became documents) are `null`, never zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::run::cost::StepCost;
use crate::run::run_record::{RunFailure, RunIdentity};

/// The `format` field of `report.json`.
pub const REPORT_FORMAT: &str = "curate-report";
/// Bumped when the layout of `report.json` changes.
pub const REPORT_FORMAT_VERSION: u32 = 2;

/// The whole report of one run directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub format_version: u32,
    /// The job's name, from `job.resolved.toml`.
    pub job: Option<String>,
    /// Which run this is (`run.json`); `None` for runs made before curate recorded it.
    #[serde(default)]
    pub identity: Option<RunIdentity>,
    /// The stage that failed and its error.
    #[serde(default)]
    pub failure: Option<RunFailure>,
    /// The filter profile each source ran (the filter stage's `summary.profiles`).
    #[serde(default)]
    pub filter_profiles: BTreeMap<String, String>,
    /// The numbers a team reads first.
    #[serde(default)]
    pub headline: Headline,
    /// What needs a look, most severe first, each with the number behind it.
    #[serde(default)]
    pub alerts: Vec<Alert>,
    /// What every measured step cost, in run order: `setup`, the stages, `count.funnel`,
    /// `report`.
    #[serde(default)]
    pub costs: Vec<CostLine>,
    /// `job.resolved.toml` as the run wrote it.
    #[serde(default)]
    pub resolved_job: Option<String>,
    /// Every stage directory the run has or should have, in pipeline order.
    pub stages: Vec<StageTiming>,
    /// The document stages: what went in, came out and was dropped.
    pub funnel: Vec<StageFunnel>,
    /// The first document stage's output against the last one's.
    pub retained: Option<Retained>,
    /// Every drop reason of every stage, most documents first.
    pub drop_reasons: Vec<DropReason>,
    pub dedup: Option<DedupReport>,
    pub tokenizer: Option<TokenizerReport>,
    pub mix: Option<MixReport>,
    pub budget: Option<BudgetView>,
    pub shards: Option<ShardsReport>,
    /// What the report could not show, in words (missing or incomplete stages).
    pub notes: Vec<String>,
}

/// How far a stage got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    Complete,
    /// Started, not finished: some partitions may be done.
    Running,
    /// The directory or its `_stage.json` is missing.
    Absent,
    /// `_stage.json` is there but is not a stage record.
    Unreadable,
}

impl StageState {
    pub fn as_str(self) -> &'static str {
        match self {
            StageState::Complete => "complete",
            StageState::Running => "incomplete",
            StageState::Absent => "not run",
            StageState::Unreadable => "unreadable",
        }
    }
}

/// Status, time and throughput of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTiming {
    pub stage: String,
    /// The directory inside the run directory.
    pub dir: String,
    pub state: StageState,
    pub partitions_done: usize,
    pub partitions_total: usize,
    /// Wall-clock seconds the stage took (its global step included).
    pub seconds: f64,
    pub documents_in: Option<u64>,
    pub bytes_in: Option<u64>,
    pub documents_out: Option<u64>,
    pub tokens_out: Option<u64>,
    /// Input documents and text bytes per second.
    pub documents_per_second: Option<f64>,
    pub bytes_per_second: Option<f64>,
    /// CPU, wall and peak memory of the run that last ran the stage.
    #[serde(default)]
    pub cost: Option<StepCost>,
}

/// The cost of one measured step of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    /// A stage's name, or `setup`, `count.funnel`, `report`.
    pub step: String,
    #[serde(flatten)]
    pub cost: StepCost,
}

/// The run's headline numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    pub documents_in: Option<u64>,
    pub documents_kept: Option<u64>,
    /// Tokens of the first document stage's output (what ingest read, once counted).
    pub tokens_in: Option<u64>,
    /// Tokens of the last document stage's output.
    pub tokens_kept: Option<u64>,
    pub token_retention: Option<f64>,
    /// Target against realised share per domain.
    pub mix: Vec<MixHeadline>,
    pub target_tokens: Option<f64>,
    /// Tokens the output gives, repeats included.
    pub output_tokens: Option<u64>,
    /// `output - target`: negative is the Chinchilla shortfall.
    pub chinchilla_gap_tokens: Option<f64>,
    pub params: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixHeadline {
    pub domain: String,
    pub target_share: f64,
    pub realised_share: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Something in the run that needs a look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// What kind of alert (`stage_failed`, `stage_empty`, `source_zero_retention`,
    /// `mix_binding_domain`, `repeated_while_unused`, `tokenizer_smaller`): with `subject`,
    /// what `curate report --compare` matches runs' alerts by.
    pub kind: String,
    pub severity: Severity,
    /// The stage, source or domain it is about.
    pub subject: String,
    pub message: String,
    /// The number that triggered it.
    pub value: Option<f64>,
    /// Where to look: a section of the report, a file of the run, a query.
    pub look_at: String,
}

/// A number of documents with their text bytes and tokens, where measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub documents: u64,
    pub bytes: Option<u64>,
    pub tokens: Option<u64>,
}

impl Flow {
    /// Documents and bytes measured, tokens not (yet).
    pub fn counted(documents: u64, bytes: u64) -> Flow {
        Flow {
            documents,
            bytes: Some(bytes),
            tokens: None,
        }
    }

    /// The sum; a count unknown on either side is unknown in the sum.
    pub fn plus(self, other: Flow) -> Flow {
        Flow {
            documents: self.documents + other.documents,
            bytes: both(self.bytes, other.bytes, |a, b| a + b),
            tokens: both(self.tokens, other.tokens, |a, b| a + b),
        }
    }

    /// The difference, saturating at zero; unknown where either side is.
    pub fn minus(self, other: Flow) -> Flow {
        Flow {
            documents: self.documents.saturating_sub(other.documents),
            bytes: both(self.bytes, other.bytes, u64::saturating_sub),
            tokens: both(self.tokens, other.tokens, u64::saturating_sub),
        }
    }
}

fn both(a: Option<u64>, b: Option<u64>, f: impl Fn(u64, u64) -> u64) -> Option<u64> {
    Some(f(a?, b?))
}

/// What one stage did to one group of documents (all, a source, or a domain).
///
/// It adds up: `input = output + dropped + edited` in documents (nothing is edited out of
/// a count of documents), bytes and tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupFunnel {
    pub input: Flow,
    pub output: Flow,
    pub dropped: Flow,
    /// Text bytes removed from documents that were kept (line removal).
    pub edited_bytes: u64,
    /// Tokens those edits removed: `input - output - dropped` (may be negative by a few
    /// tokens when an edit changes how the rest of a document encodes).
    pub edited_tokens: Option<i64>,
    /// Dropped documents by reason code.
    pub reasons: BTreeMap<String, Flow>,
    /// Dropped documents by the filter or method that dropped them.
    pub by_step: BTreeMap<String, Flow>,
}

/// A stage's funnel in total, per source and per domain, and per filter or step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageFunnel {
    pub stage: String,
    /// False when the numbers come from the partitions an unfinished stage completed.
    pub complete: bool,
    pub total: GroupFunnel,
    pub by_source: BTreeMap<String, GroupFunnel>,
    pub by_domain: BTreeMap<String, GroupFunnel>,
    /// The steps of the stage in the order they run (filters of the filter stage, methods
    /// of dedup): what reached each step, what it dropped and what it passed on.
    pub steps: Vec<StepFunnel>,
}

/// One filter or dedup method inside a stage. Bytes and tokens are those of the documents
/// as they entered the stage; edits are counted once, at the stage's end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFunnel {
    pub step: String,
    pub input: Flow,
    pub dropped: Flow,
    pub output: Flow,
}

/// The first document stage's output against the last one's: what share survived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retained {
    pub from_stage: String,
    pub to_stage: String,
    pub total: Retention,
    pub by_source: BTreeMap<String, Retention>,
    pub by_domain: BTreeMap<String, Retention>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    pub input: Flow,
    pub output: Flow,
    pub document_share: Option<f64>,
    pub byte_share: Option<f64>,
    pub token_share: Option<f64>,
}

/// One reason documents were dropped for, with a few of their ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DropReason {
    pub stage: String,
    /// The filter or method that gives the reason, where known.
    pub step: Option<String>,
    pub reason: String,
    pub dropped: Flow,
    /// The first ids stored for the reason, in part order.
    pub examples: Vec<String>,
    /// Why there are no examples, when there are none.
    pub examples_note: Option<String>,
}

/// Duplicates found by the dedup stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DedupReport {
    pub documents: u64,
    pub exact_removed: u64,
    pub minhash_removed: u64,
    /// Documents dropped because every line was a repeated one.
    pub lines_removed: u64,
    pub candidate_pairs: u64,
    pub confirmed_pairs: u64,
    pub frequent_lines: u64,
    /// Text bytes of repeated lines removed from kept documents.
    pub bytes_edited_out: u64,
    /// Cluster size (kept document included) to number of clusters.
    pub cluster_sizes: BTreeMap<u64, u64>,
    pub index_bytes_per_document: f64,
    pub by_source: BTreeMap<String, DuplicateShare>,
    pub total: DuplicateShare,
}

/// The share of a group's documents (bytes, tokens) dedup removed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DuplicateShare {
    pub input: Flow,
    pub removed: Flow,
    pub document_share: f64,
    pub byte_share: Option<f64>,
    pub token_share: Option<f64>,
}

/// The run's tokenizer and how well it fits each domain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenizerReport {
    pub vocab_size: Option<u64>,
    /// The vocabulary size the job asked for, when trained.
    #[serde(default)]
    pub requested_vocab_size: Option<u64>,
    /// `trained` or `copied`.
    pub origin: Option<String>,
    pub fingerprint: Option<String>,
    pub eos_token: Option<String>,
    /// UTF-8 bytes per token over the counted documents.
    pub bytes_per_token: Option<f64>,
    pub by_domain: BTreeMap<String, TokenFit>,
    pub by_source: BTreeMap<String, TokenFit>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenFit {
    pub documents: u64,
    pub bytes: u64,
    pub tokens: u64,
    pub bytes_per_token: f64,
}

/// Target against realised token shares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MixReport {
    pub planned_tokens: u64,
    /// Tokens of the selected document copies.
    pub realised_tokens: u64,
    pub by_domain: BTreeMap<String, DomainMixRow>,
    /// Per source, over all its slices, under the domain it declares.
    pub by_source: BTreeMap<String, SourceMixRow>,
    /// The slices of sources with documents routed to another domain (a source's documents
    /// in one domain each, as the mix planned them); empty without routing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routed_slices: Vec<SliceMixRow>,
    pub shortfall: Option<String>,
}

/// One slice of a source that a classifier routed documents out of.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SliceMixRow {
    pub source: String,
    /// The documents' domain (declared or routed to).
    pub domain: String,
    pub available_tokens: u64,
    pub planned_tokens: u64,
    pub realised_tokens: u64,
    /// Planned passes over the slice (`planned / available`).
    pub rate: f64,
    pub full_repeats: u64,
    pub documents: u64,
    pub documents_selected: u64,
    pub copies: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainMixRow {
    pub target_share: f64,
    pub available_tokens: u64,
    pub planned_tokens: u64,
    pub planned_share: f64,
    pub realised_tokens: u64,
    pub realised_share: f64,
    /// Passes over the domain's unique tokens.
    pub epochs: f64,
    /// Tokens and share in the shards, when they were written.
    pub shard_tokens: Option<u64>,
    pub shard_share: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceMixRow {
    pub domain: String,
    pub available_tokens: u64,
    pub planned_tokens: u64,
    /// The source's share of the planned tokens: its target.
    pub planned_share: f64,
    pub realised_tokens: u64,
    pub realised_share: f64,
    /// Planned passes over the source (`planned / available`; over all its slices when
    /// some of its documents were routed).
    pub rate: f64,
    /// Copies every document gets before the sampled extra one (the fewest of its slices').
    pub full_repeats: u64,
    pub documents: u64,
    pub documents_selected: u64,
    /// Document copies selected (repeats included).
    pub copies: u64,
    pub shard_tokens: Option<u64>,
    pub shard_share: Option<f64>,
}

/// The Chinchilla budget for the job's model against the tokens the run has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BudgetView {
    pub params: f64,
    pub target_tokens: f64,
    pub target_tokens_per_param: f64,
    /// Unique tokens after every filter (one pass over the counted documents).
    pub available_tokens: f64,
    /// `available - target`: negative is a shortfall.
    pub surplus_tokens: f64,
    /// Passes over the unique tokens the target needs.
    pub epochs_needed: f64,
    /// Tokens per parameter of one pass over the unique tokens.
    pub available_tokens_per_param: f64,
    /// Tokens the output gives, repeats included (the shards' tokens when written, else
    /// the mix plan's).
    pub output_tokens: u64,
    pub output_tokens_per_param: f64,
    /// `output - target`.
    pub output_surplus_tokens: f64,
    /// Training compute `6 N D` of the target, in FLOPs and PF-days.
    pub target_flops: f64,
    pub target_pf_days: f64,
    /// The same for the output tokens.
    pub output_flops: f64,
    pub output_pf_days: f64,
}

/// The packed shards, from `shards/manifest.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardsReport {
    pub seq_len: u64,
    pub sequences: u64,
    pub tokens: u64,
    pub padding_tokens: u64,
    pub dropped_tokens: u64,
    pub files: u64,
    pub bytes: u64,
    pub by_domain: BTreeMap<String, ShareRow>,
    pub by_source: BTreeMap<String, ShareRow>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ShareRow {
    pub tokens: u64,
    pub share: f64,
}
