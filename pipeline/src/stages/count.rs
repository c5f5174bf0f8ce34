//! The count stage: every document encoded once with the run's tokenizer. Parts keep the
//! document columns and add `token_count` (UInt64) and `input_ids` (List<UInt32>), which the
//! shard stage packs without encoding again; `_stage.json` holds the tokens per slice (a
//! source's documents in one domain), which the mix stage plans with, and their totals per
//! source and per domain.
//!
//! A document counts under its `domain` column as the filter stage left it: the domain its
//! source declares, or the one a domain classifier routed it to. So finance pages found in
//! a web crawl count toward the finance share, as a `web`/`finance` slice beside the
//! `web`/`general` one.
//!
//! Special-token text inside a document (a literal `<|endoftext|>` on a web page) is
//! encoded as text, so no document can put a separator into a packed sequence.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use arrow::array::{ArrayRef, ListArray, RecordBatch, RecordBatchReader, UInt32Array, UInt64Array};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use curate_tokenizer::BpeTokenizer;
use serde::{Deserialize, Serialize};

use super::partitioned::{PartitionPlan, PartitionStats, run_partitioned};
use super::parts::{DocumentColumns, open_part};
use super::tokenizer::{load_for_counting, run_tokenizer_path};
use super::upstream::Upstream;
use super::{StageContext, StageOutcome};
use crate::progress::human_bytes;
use crate::run::fingerprint::fingerprint_config;
use crate::run::stage_record::{FORMAT_VERSION, StageRecord, partition_key};

/// The record of the count stage.
pub type CountRecord = StageRecord<CountPartitionStats, TokenSummary>;

/// Documents, text bytes and tokens of a group of documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenCounts {
    pub documents: u64,
    pub bytes: u64,
    pub tokens: u64,
    /// UTF-8 bytes per token (0 without tokens): how well the vocabulary fits the text.
    pub bytes_per_token: f64,
}

impl TokenCounts {
    pub fn add(&mut self, other: &TokenCounts) {
        self.documents += other.documents;
        self.bytes += other.bytes;
        self.tokens += other.tokens;
        self.bytes_per_token = if self.tokens == 0 {
            0.0
        } else {
            self.bytes as f64 / self.tokens as f64
        };
    }

    fn one(bytes: usize, tokens: usize) -> TokenCounts {
        let mut counts = TokenCounts::default();
        counts.add(&TokenCounts {
            documents: 1,
            bytes: bytes as u64,
            tokens: tokens as u64,
            bytes_per_token: 0.0,
        });
        counts
    }
}

/// One source's tokens, with its domain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceTokenCounts {
    pub domain: String,
    #[serde(flatten)]
    pub counts: TokenCounts,
}

/// Tokens per slice: source, then the documents' (declared or routed) domain.
pub type SliceTokens = BTreeMap<String, BTreeMap<String, TokenCounts>>;

/// Statistics of one counted part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountPartitionStats {
    pub part: String,
    /// Per source, under the domain the source declares.
    pub sources: BTreeMap<String, SourceTokenCounts>,
    /// Per slice, under the documents' own domains.
    pub slices: SliceTokens,
    pub seconds: f64,
}

impl PartitionStats for CountPartitionStats {
    fn outputs(&self) -> Vec<String> {
        vec![self.part.clone()]
    }
}

/// Tokens of the whole stage: total, per source, per domain, per slice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenSummary {
    /// xxh3-64 of the `tokenizer.json` the counts were made with.
    pub tokenizer: String,
    /// `fast` (curate's byte-level BPE encoder, ids identical to Hugging Face
    /// `tokenizers`) or `huggingface` (the tokenizer has features the fast path does not
    /// cover), and why.
    #[serde(default)]
    pub encoder: String,
    pub total: TokenCounts,
    /// Every document of a source, with the domain the source declares.
    pub by_source: BTreeMap<String, SourceTokenCounts>,
    /// By the documents' own domains: routed documents count under their new domain.
    pub by_domain: BTreeMap<String, TokenCounts>,
    /// Source, then document domain: the units the mix plans (one per source without
    /// routing).
    pub by_slice: SliceTokens,
}

impl TokenSummary {
    /// Adds one part's counts.
    fn add_part(&mut self, stats: &CountPartitionStats) {
        for (source, counts) in &stats.sources {
            self.total.add(&counts.counts);
            let entry = self.by_source.entry(source.clone()).or_default();
            entry.domain = counts.domain.clone();
            entry.counts.add(&counts.counts);
        }
        for (source, domains) in &stats.slices {
            for (domain, counts) in domains {
                self.by_domain
                    .entry(domain.clone())
                    .or_default()
                    .add(counts);
                self.by_slice
                    .entry(source.clone())
                    .or_default()
                    .entry(domain.clone())
                    .or_default()
                    .add(counts);
            }
        }
    }
}

pub fn run(context: &StageContext<'_>, upstream: &Upstream) -> Result<StageOutcome> {
    let job = context.job;
    let stage_dir = context.stage_dir("count");
    let tokenizer_path = run_tokenizer_path(job);
    let tokenizer = load_for_counting(&tokenizer_path)?;
    let tokenizer_fingerprint = tokenizer.fingerprint_hex();
    let declared_domains: BTreeMap<String, String> = job
        .sources
        .iter()
        .map(|s| (s.name.clone(), s.domain.clone()))
        .collect();
    let plan = PartitionPlan {
        stage: "count",
        stage_dir: &stage_dir,
        config_fingerprint: fingerprint_config(&(
            FORMAT_VERSION,
            &tokenizer_fingerprint,
            job.tokenizer.count_funnel,
        )),
        input_fingerprint: upstream.fingerprint.clone(),
        inputs: Vec::new(),
        partitions: upstream.partitions(),
    };
    let finished = run_partitioned(
        context,
        plan,
        |partition, progress| {
            let started = Instant::now();
            let input = upstream.part(partition)?;
            let part = format!("part-{}.parquet", partition_key(partition));
            let (sources, slices) = count_part(
                &tokenizer,
                &declared_domains,
                input,
                &stage_dir.join(&part),
                job.ingest.batch_docs,
                progress,
            )
            .with_context(|| format!("counting {} failed", input.display()))?;
            Ok(CountPartitionStats {
                part,
                sources,
                slices,
                seconds: started.elapsed().as_secs_f64(),
            })
        },
        |partitions| {
            let mut summary = TokenSummary {
                tokenizer: tokenizer_fingerprint.clone(),
                encoder: format!(
                    "{} ({})",
                    tokenizer.encoder_path(),
                    tokenizer.encoder_path_reason()
                ),
                ..TokenSummary::default()
            };
            for stats in partitions.values() {
                summary.add_part(stats);
            }
            summary
        },
    )?;
    Ok(match finished {
        Err(up_to_date) => up_to_date,
        Ok(finished) => finished.outcome(summary_line),
    })
}

/// Counts the funnel's tokens, when the job asks for them and they are missing: written
/// into the earlier stages' records after this stage's own record says complete, so a run
/// stopped in between finds them missing (or made with another tokenizer) and counts them,
/// whether this stage ran or was up to date. The runner calls it after the stage, as its
/// own measured step. Returns whether it counted.
pub fn annotate_funnel(context: &StageContext<'_>) -> Result<bool> {
    let job = context.job;
    if !job.tokenizer.count_funnel {
        return Ok(false);
    }
    let tokenizer = load_for_counting(&run_tokenizer_path(job))?;
    let fingerprint = tokenizer.fingerprint_hex();
    if super::funnel_tokens::is_annotated(context, &fingerprint) {
        return Ok(false);
    }
    let Some(record) = CountRecord::read(&context.stage_dir("count")) else {
        return Ok(false);
    };
    let counted: BTreeMap<String, u64> = record
        .summary
        .iter()
        .flat_map(|summary| &summary.by_source)
        .map(|(source, counts)| (source.clone(), counts.counts.tokens))
        .collect();
    super::funnel_tokens::annotate(context, &tokenizer, &counted)
        .context("cannot count the tokens of the earlier stages")?;
    Ok(true)
}

/// The schema of a counted part: the upstream columns, then the two token columns.
fn counted_schema(upstream: &Schema) -> SchemaRef {
    let mut fields: Vec<Field> = upstream
        .fields()
        .iter()
        .filter(|f| f.name() != "token_count" && f.name() != "input_ids")
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("token_count", DataType::UInt64, false));
    fields.push(Field::new(
        "input_ids",
        DataType::List(Arc::new(Field::new_list_field(DataType::UInt32, false))),
        false,
    ));
    Arc::new(Schema::new(fields))
}

/// Counts a part's tokens twice over: per source under the domain the source declares in
/// the job, and per slice under the document's `domain` column, which the filter stage
/// rewrote for documents a classifier routed. The part keeps that column as it is, so the
/// mix and shard stages see the same domain the counts used.
fn count_part(
    tokenizer: &BpeTokenizer,
    declared_domains: &BTreeMap<String, String>,
    input: &std::path::Path,
    output: &std::path::Path,
    row_group_rows: usize,
    progress: &crate::progress::StageProgress,
) -> Result<(BTreeMap<String, SourceTokenCounts>, SliceTokens)> {
    let mut sources: BTreeMap<String, SourceTokenCounts> = BTreeMap::new();
    let mut slices = SliceTokens::new();
    let mut writer = None;
    let mut reader = open_part(input)?;
    let upstream_schema = reader.schema();
    let schema = counted_schema(&upstream_schema);
    for batch in reader.by_ref() {
        let batch = batch.with_context(|| format!("cannot read {}", input.display()))?;
        let columns = DocumentColumns::of(&batch)?;
        let texts: Vec<&str> = (0..batch.num_rows())
            .map(|row| columns.texts.value(row))
            .collect();
        let ids = tokenizer
            .encode_batch(&texts)
            .context("the tokenizer failed")?;
        let mut bytes = 0u64;
        for (row, (text, doc_ids)) in texts.iter().zip(&ids).enumerate() {
            bytes += text.len() as u64;
            let document = TokenCounts::one(text.len(), doc_ids.len());
            let source = columns.sources.value(row);
            slices
                .entry(source.to_owned())
                .or_default()
                .entry(columns.domains.value(row).to_owned())
                .or_default()
                .add(&document);
            let entry = sources
                .entry(columns.sources.value(row).to_owned())
                .or_insert_with(|| SourceTokenCounts {
                    domain: declared_domains
                        .get(columns.sources.value(row))
                        .cloned()
                        .unwrap_or_else(|| columns.domains.value(row).to_owned()),
                    counts: TokenCounts::default(),
                });
            entry.counts.add(&document);
        }
        let counted = counted_batch(&batch, &schema, &ids)?;
        if writer.is_none() {
            writer = Some(crate::run::part_writer::PartWriter::create(
                output,
                schema.clone(),
                row_group_rows,
            )?);
        }
        if let Some(writer) = writer.as_mut() {
            writer.write(&counted)?;
        }
        progress.add(batch.num_rows() as u64, bytes);
    }
    let writer = match writer {
        Some(writer) => writer,
        None => crate::run::part_writer::PartWriter::create(output, schema, row_group_rows)?,
    };
    writer.commit()?;
    Ok((sources, slices))
}

/// The batch with `token_count` and `input_ids` appended (replacing older ones).
fn counted_batch(batch: &RecordBatch, schema: &SchemaRef, ids: &[Vec<u32>]) -> Result<RecordBatch> {
    let total: usize = ids.iter().map(Vec::len).sum();
    if total > i32::MAX as usize {
        bail!("{total} token ids in one batch exceed the 32-bit offsets of a list column");
    }
    let counts: UInt64Array = ids.iter().map(|d| Some(d.len() as u64)).collect();
    let flat: UInt32Array = ids.iter().flatten().copied().map(Some).collect();
    let list = ListArray::try_new(
        Arc::new(Field::new_list_field(DataType::UInt32, false)),
        OffsetBuffer::from_lengths(ids.iter().map(Vec::len)),
        Arc::new(flat),
        None,
    )?;
    let upstream = batch.schema();
    let mut arrays: Vec<ArrayRef> = upstream
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(f, _)| f.name() != "token_count" && f.name() != "input_ids")
        .map(|(_, c)| c.clone())
        .collect();
    arrays.push(Arc::new(counts));
    arrays.push(Arc::new(list));
    Ok(RecordBatch::try_new(schema.clone(), arrays)?)
}

fn summary_line(summary: &TokenSummary, seconds: f64, resumed: usize) -> String {
    let domains: Vec<String> = summary
        .by_domain
        .iter()
        .map(|(d, c)| {
            format!(
                "{d} {} ({:.2} bytes/token)",
                curate_tokenizer::format::thousands(c.tokens),
                c.bytes_per_token
            )
        })
        .collect();
    let mut line = format!(
        "{} tokens in {} documents, {}: {} in {:.1}s",
        curate_tokenizer::format::thousands(summary.total.tokens),
        summary.total.documents,
        human_bytes(summary.total.bytes),
        domains.join(", "),
        seconds
    );
    if let Some(path) = summary.encoder.split(' ').next().filter(|p| !p.is_empty()) {
        line.push_str(&format!("; {path} encoder"));
    }
    if resumed > 0 {
        line.push_str(&format!(
            "; {resumed} partitions kept from an interrupted run"
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use arrow::array::{AsArray, StringArray};
    use arrow::datatypes::{UInt32Type, UInt64Type};

    use super::*;

    #[test]
    fn counted_batch_appends_counts_and_ids_in_row_order() {
        let upstream = Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, false)]));
        let batch = RecordBatch::try_new(
            upstream.clone(),
            vec![Arc::new(StringArray::from(vec!["a", "b", "c"]))],
        )
        .unwrap();
        let schema = counted_schema(&upstream);
        let ids = vec![vec![5, 6], vec![], vec![7]];
        let counted = counted_batch(&batch, &schema, &ids).unwrap();
        let counts = counted
            .column_by_name("token_count")
            .unwrap()
            .as_primitive::<UInt64Type>();
        assert_eq!(counts.values().to_vec(), vec![2, 0, 1]);
        let lists = counted
            .column_by_name("input_ids")
            .unwrap()
            .as_list::<i32>();
        let row = |i: usize| {
            lists
                .value(i)
                .as_primitive::<UInt32Type>()
                .values()
                .to_vec()
        };
        assert_eq!((row(0), row(1), row(2)), (vec![5, 6], vec![], vec![7]));
        // Counting again replaces the columns instead of adding a second pair.
        let recounted = counted_batch(&counted, &counted_schema(&schema), &ids).unwrap();
        assert_eq!(recounted.num_columns(), 3);
    }

    #[test]
    fn routed_documents_count_under_their_domain_and_their_source() {
        let part = |web_general: u64, web_finance: u64| {
            let counts = |tokens: u64| TokenCounts {
                documents: 1,
                bytes: 4 * tokens,
                tokens,
                bytes_per_token: 4.0,
            };
            let mut web = SourceTokenCounts {
                domain: "general".into(),
                ..SourceTokenCounts::default()
            };
            web.counts.add(&counts(web_general));
            web.counts.add(&counts(web_finance));
            CountPartitionStats {
                part: String::new(),
                sources: BTreeMap::from([("web".to_string(), web)]),
                slices: BTreeMap::from([(
                    "web".to_string(),
                    BTreeMap::from([
                        ("general".to_string(), counts(web_general)),
                        ("finance".to_string(), counts(web_finance)),
                    ]),
                )]),
                seconds: 0.0,
            }
        };
        let mut summary = TokenSummary::default();
        summary.add_part(&part(100, 30));
        summary.add_part(&part(50, 20));
        assert_eq!(summary.total.tokens, 200);
        assert_eq!(summary.by_source["web"].domain, "general");
        assert_eq!(summary.by_source["web"].counts.tokens, 200);
        let domains: Vec<(&str, u64, u64)> = summary
            .by_domain
            .iter()
            .map(|(d, c)| (d.as_str(), c.documents, c.tokens))
            .collect();
        assert_eq!(domains, vec![("finance", 2, 50), ("general", 2, 150)]);
        assert_eq!(summary.by_slice["web"]["finance"].tokens, 50);
        assert_eq!(summary.by_slice["web"]["general"].tokens, 150);
    }

    #[test]
    fn token_counts_keep_bytes_per_token() {
        let mut total = TokenCounts::default();
        total.add(&TokenCounts::one(10, 4));
        total.add(&TokenCounts::one(20, 6));
        assert_eq!((total.documents, total.bytes, total.tokens), (2, 30, 10));
        assert_eq!(total.bytes_per_token, 3.0);
    }
}
