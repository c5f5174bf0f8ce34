//! The job spec as written in TOML: what a user may say, with every default.
//!
//! Every table denies unknown keys, so a typo (`max_doc = 10`) is an error that names the
//! line instead of a setting silently ignored. Sections for stages that a job does not use
//! may be left out; their defaults are written into `job.resolved.toml` all the same, so a
//! run directory always records the full configuration it ran with.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::dedup::DedupSection;
pub use super::html::{HtmlFavor, HtmlLinks, HtmlSection};
use crate::filtering::FilterSection;
use crate::ingest::fields::FieldMap;
use crate::ingest::text::TextUnit;

/// A whole job file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    pub job: JobSection,
    #[serde(rename = "source", default)]
    pub sources: Vec<SourceSpec>,
    #[serde(default)]
    pub ingest: IngestConfig,
    #[serde(default)]
    pub filter: FilterSection,
    #[serde(default)]
    pub dedup: DedupSection,
    /// Present (even empty) to run the tokenizer and count stages.
    #[serde(default)]
    pub tokenizer: Option<TokenizerSection>,
    #[serde(default)]
    pub budget: BudgetSection,
    #[serde(default)]
    pub mix: MixSection,
    #[serde(default)]
    pub shard: ShardSection,
}

/// `[job]`: the name, where runs go, and the knobs that apply to every stage.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSection {
    /// Names the run directory (`<output_dir>/<name>`).
    pub name: Spanned<String>,
    /// Where run directories are created, relative to the job file.
    #[serde(default = "default_output_dir")]
    pub output_dir: String,
    /// Seeds every random choice (sampling, shuffling, MinHash permutations).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Fail on the first damaged record instead of skipping and counting it.
    #[serde(default)]
    pub strict: bool,
}

fn default_output_dir() -> String {
    "runs".to_owned()
}

fn default_seed() -> u64 {
    42
}

/// The formats a source may have; compression is detected from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// JSON Lines, one object per line (`.jsonl`, `.json.gz`, `.jsonl.zst`, ...).
    Jsonl,
    /// Parquet with a text column.
    Parquet,
    /// Plain text, one document per file or per line (`text_unit`).
    Text,
    /// Web archives: WARC (HTML responses are extracted to text), WET, and legacy ARC.
    Warc,
    /// One HTML page per file (SEC filings as EDGAR serves them), its main text extracted.
    Html,
    /// SGML-style tagged records, one document each (`tags`): Reuters-21578, EDGAR
    /// full submissions.
    Sgml,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
            Format::Text => "text",
            Format::Warc => "warc",
            Format::Html => "html",
            Format::Sgml => "sgml",
        }
    }
}

/// `[[source]]`: one named input with its domain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Unique within the job; stored on every document.
    pub name: Spanned<String>,
    /// The domain the documents count toward in the mix (`finance`, `general`).
    pub domain: String,
    pub format: Format,
    /// Glob patterns, relative to the job file. Each must match at least one file.
    pub paths: Spanned<Vec<String>>,
    /// Field names for JSONL and Parquet inputs.
    #[serde(default)]
    pub fields: Option<FieldMap>,
    /// How plain-text files are cut into documents.
    #[serde(default)]
    pub text_unit: Option<TextUnit>,
    /// Plain text: a line matching this regular expression starts a new document
    /// (WikiText's ` = Title = ` headings).
    #[serde(default)]
    pub split_before: Option<String>,
    /// `format = "sgml"`: the record element and the text element
    /// (`{ record = "REUTERS", text = "BODY", title = "TITLE" }`).
    #[serde(default)]
    pub tags: Option<crate::ingest::markup::TaggedRecords>,
    /// Stop reading this source after this many documents (files in sorted order).
    #[serde(default)]
    pub max_docs: Option<u64>,
    /// Dedup keeps the copy from the source with the lowest priority value.
    #[serde(default)]
    pub priority: i64,
    /// The filter profile this source runs (`[filter.profile.NAME]` or a preset such as
    /// `fineweb`, `curated`, `none`); default: its domain's profile, else `default`.
    #[serde(default)]
    pub filters: Option<String>,
}

/// `[ingest]`: how inputs become Parquet parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Documents per Parquet row group: bounds memory per worker.
    pub batch_docs: usize,
    /// Documents with fewer characters than this (after trimming) are skipped as empty.
    pub min_chars: usize,
    /// Web archive records larger than this are skipped (bytes).
    pub max_record_bytes: u64,
    /// JSONL lines, text documents and Parquet text values larger than this are skipped as
    /// `too_large` (bytes); a long line is read past in chunks, never held whole.
    pub max_doc_bytes: u64,
    /// HTML pages larger than this (after undoing HTTP codings) are skipped as too large
    /// (bytes).
    pub max_html_bytes: usize,
    /// Warnings printed per file and reason before they are only counted.
    pub max_warnings_per_file: usize,
    /// `[ingest.html]`: main-text extraction of the HTML pages in web archives.
    pub html: HtmlSection,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            batch_docs: 4096,
            min_chars: 1,
            max_record_bytes: 64 << 20,
            max_doc_bytes: crate::ingest::bounded::DEFAULT_MAX_DOC_BYTES,
            max_html_bytes: 8 << 20,
            max_warnings_per_file: 5,
            html: HtmlSection::default(),
        }
    }
}

/// `[tokenizer]`: train a byte-level BPE, or use an existing `tokenizer.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenizerSection {
    /// Whether the tokenizer and count stages run. A job without a `[tokenizer]` table
    /// resolves to `false`, so `job.resolved.toml` says what ran.
    pub enabled: bool,
    /// Use this tokenizer instead of training one (path relative to the job file; a
    /// `.json.gz` is read through gzip).
    pub path: Option<String>,
    pub vocab_size: usize,
    /// Bytes of text in the training sample, drawn to follow the target mix.
    pub sample_bytes: u64,
    pub min_frequency: u64,
    pub special_tokens: Vec<String>,
    /// After counting, also count the tokens each earlier stage kept and dropped, so the
    /// funnel is in tokens as well as documents and bytes. Costs one more encoding of
    /// every ingested document; turn off for very large raw crawls.
    pub count_funnel: bool,
}

impl Default for TokenizerSection {
    fn default() -> Self {
        TokenizerSection {
            enabled: true,
            path: None,
            vocab_size: 32_000,
            sample_bytes: 100_000_000,
            min_frequency: 2,
            special_tokens: vec!["<|endoftext|>".to_owned()],
            count_funnel: true,
        }
    }
}

/// `[budget]`: the model the data is for, to hold tokens against a Chinchilla target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetSection {
    /// Model parameters N.
    pub params: Option<f64>,
    /// Training tokens per parameter (Chinchilla: about 20).
    pub tokens_per_param: f64,
    /// Training compute in FLOPs, from which N and D follow (C = 6 N D).
    pub compute_flops: Option<f64>,
}

impl Default for BudgetSection {
    fn default() -> Self {
        BudgetSection {
            params: None,
            tokens_per_param: 20.0,
            compute_flops: None,
        }
    }
}

/// `[mix]`: target shares of the output by tokens, per domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MixSection {
    /// Domain name to share of output tokens; shares sum to 1.
    pub shares: std::collections::BTreeMap<String, f64>,
    /// The most times any source may be repeated to reach its share.
    pub max_epochs: f64,
    /// Output tokens: `"budget"` (the budget's target) or `"all"` (everything the shares allow).
    pub total: String,
    /// When a domain cannot supply its share: `keep_shares` shrinks the total, `keep_total`
    /// lets the other domains fill the gap.
    pub on_shortfall: curate_tokenizer::mix::ShortfallPolicy,
    /// Mix without a domain whose every document was dropped before the mix (default
    /// false: such a run stops with an error naming the domain, rather than writing
    /// shards that silently lack it).
    pub allow_empty_domains: bool,
}

impl Default for MixSection {
    fn default() -> Self {
        MixSection {
            shares: Default::default(),
            max_epochs: 4.0,
            total: "all".to_owned(),
            on_shortfall: Default::default(),
            allow_empty_domains: false,
        }
    }
}

/// `[shard]`: packed, shuffled sequences for the trainer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShardSection {
    /// Tokens per packed sequence.
    pub seq_len: usize,
    /// Target size of one shard file in bytes (of token ids); shards hold equal numbers of
    /// sequences.
    pub shard_bytes: u64,
    /// What happens to the tokens after the last full sequence.
    pub remainder: Remainder,
    /// The end-of-text token that separates documents; by default the tokenizer's
    /// (`<|endoftext|>`, `</s>`, ...).
    pub eos_token: Option<String>,
    /// Memory the shuffle may hold at once, in MiB: the corpus is spread over as many
    /// buckets on disk as this needs.
    pub memory_mb: u64,
    /// Also write the shards as a Megatron-LM indexed dataset (`megatron/data.bin`,
    /// `data.idx`).
    pub megatron: bool,
}

impl Default for ShardSection {
    fn default() -> Self {
        ShardSection {
            seq_len: 2048,
            shard_bytes: 256 << 20,
            remainder: Remainder::Drop,
            eos_token: None,
            memory_mb: 1024,
            megatron: false,
        }
    }
}

/// The tokens that do not fill a last sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remainder {
    /// Left out (counted in the manifest as `dropped_tokens`).
    Drop,
    /// Kept in a last sequence padded with the end-of-text token; an `attention_mask`
    /// column marks the real tokens.
    Pad,
}
