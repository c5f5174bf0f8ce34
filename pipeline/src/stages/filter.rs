//! The filter stage: every configured filter over the documents of the stage before, in
//! order, the first drop deciding. Kept documents go to `part-NNNNN.parquet` (with the text
//! as text-editing filters left it, and the detected language when the language filter
//! runs), dropped ones to `rejected/part-NNNNN.parquet` with the filter and reason.
//!
//! Trained classifiers add a `<name>_score` column to the kept documents; a domain
//! classifier rewrites the `domain` of the documents it routes, and the routed documents
//! and bytes are counted per classifier and source in `_stage.json` (`routed`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use arrow::array::{
    ArrayRef, BooleanArray, Float32Array, LargeStringArray, RecordBatch, StringArray,
};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{DataType, Field, Schema};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::partitioned::{PartitionPlan, PartitionStats, run_partitioned};
use super::parts::{DocumentColumns, open_part};
use super::upstream::Upstream;
use super::{StageContext, StageOutcome};
use crate::filtering::{ChainOutcome, ClassifierUse, FilterChain};
use crate::progress::human_bytes;
use crate::run::fingerprint::{InputFile, fingerprint_config};
use crate::run::funnel::{Counts, Funnel, FunnelSummary, SourceFunnels, admit};
use crate::run::part_writer::PartWriter;
use crate::run::stage_record::{FORMAT_VERSION, partition_key};

/// Statistics of one filtered part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilterPartitionStats {
    pub part: String,
    pub rejected: Option<String>,
    /// Funnel per source of the documents in this part (with the source's domain).
    pub sources: SourceFunnels,
    /// Documents routed to another domain, per domain classifier and source.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub routed: BTreeMap<String, Routed>,
    pub seconds: f64,
}

/// Documents a domain classifier routed: to which domain, in all and per source (the
/// bytes are those of the kept text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Routed {
    pub domain: String,
    pub total: Counts,
    pub by_source: BTreeMap<String, Counts>,
}

impl Routed {
    fn add(&mut self, other: &Routed) {
        self.domain.clone_from(&other.domain);
        self.total.add(other.total);
        for (source, counts) in &other.by_source {
            self.by_source
                .entry(source.clone())
                .or_default()
                .add(*counts);
        }
    }
}

/// Routed documents per domain classifier.
pub type RoutedByClassifier = BTreeMap<String, Routed>;

/// The filter stage's summary: the funnel (its fields at the top level, as every
/// document stage writes them) and the routed documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FilterSummary {
    #[serde(flatten)]
    pub funnel: FunnelSummary,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub routed: BTreeMap<String, Routed>,
}

impl PartitionStats for FilterPartitionStats {
    fn outputs(&self) -> Vec<String> {
        std::iter::once(self.part.clone())
            .chain(self.rejected.clone())
            .collect()
    }
}

pub fn run(context: &StageContext<'_>, upstream: &Upstream) -> Result<StageOutcome> {
    let job = context.job;
    let stage_dir = context.stage_dir("filter");
    let base_dir = job.base_dir();
    check_classifiers(&job.filter)?;
    let chain = FilterChain::build(&job.filter, &base_dir).context("cannot build the filters")?;
    let list_files: Vec<InputFile> = list_files(&job.filter)
        .iter()
        .map(|f| InputFile::describe(&base_dir.join(f)).with_context(|| format!("cannot read {f}")))
        .collect::<Result<_>>()?;
    let plan = PartitionPlan {
        stage: "filter",
        stage_dir: &stage_dir,
        config_fingerprint: fingerprint_config(&(FORMAT_VERSION, &job.filter, &list_files)),
        input_fingerprint: upstream.fingerprint.clone(),
        inputs: list_files,
        partitions: upstream.partitions(),
    };
    let write_rejected = job.filter.write_rejected();
    if write_rejected {
        std::fs::create_dir_all(stage_dir.join("rejected"))?;
    }
    let finished = run_partitioned(
        context,
        plan,
        |partition, progress| {
            let started = Instant::now();
            let input = upstream.part(partition)?;
            let part = format!("part-{}.parquet", partition_key(partition));
            let rejected = write_rejected.then(|| format!("rejected/{part}"));
            let (sources, routed) = filter_part(
                &chain,
                input,
                &stage_dir.join(&part),
                rejected.as_ref().map(|r| stage_dir.join(r)).as_deref(),
                job.ingest.batch_docs,
                progress,
            )
            .with_context(|| format!("filtering {} failed", input.display()))?;
            Ok(FilterPartitionStats {
                part,
                rejected,
                sources,
                routed,
                seconds: started.elapsed().as_secs_f64(),
            })
        },
        |partitions| {
            let mut routed: BTreeMap<String, Routed> = BTreeMap::new();
            for partition in partitions.values() {
                for (name, r) in &partition.routed {
                    routed.entry(name.clone()).or_default().add(r);
                }
            }
            FilterSummary {
                funnel: FunnelSummary::from_partitions(partitions.values().map(|p| &p.sources)),
                routed,
            }
        },
    )?;
    Ok(match finished {
        Err(up_to_date) => up_to_date,
        Ok(finished) => finished.outcome(summary_line),
    })
}

/// What a job's classifiers need beyond what `curate tag` does: a threshold each, and no
/// `keep_fraction` (it needs every score of the stage before any partition is decided).
fn check_classifiers(section: &crate::filtering::FilterSection) -> Result<()> {
    for (name, c) in &section.classifier {
        if let Some(fraction) = c.keep_fraction {
            anyhow::bail!(
                "filter.classifier.{name}: keep_fraction = {fraction} is not supported in a job: \
                 run `curate tag --job ...` (or see `curate train-classifier`'s output) for the \
                 threshold that keeps that fraction, and set `threshold`"
            );
        }
        if c.threshold.is_none() {
            anyhow::bail!("filter.classifier.{name}: `threshold` is required");
        }
    }
    Ok(())
}

/// Every list and model file the filters read: a change in one reruns the stage.
fn list_files(section: &crate::filtering::FilterSection) -> Vec<String> {
    let mut files = Vec::new();
    files.extend(section.classifier.values().map(|c| c.model.clone()));
    if let Some(url) = &section.url {
        for list in [
            &url.block_domain_files,
            &url.block_url_files,
            &url.allow_domain_files,
            &url.banned_word_files,
            &url.banned_subword_files,
            &url.soft_banned_word_files,
        ] {
            files.extend(list.iter().cloned());
        }
    }
    if let Some(words) = &section.c4_badwords {
        files.push(words.list_file.clone());
    }
    if let Some(toxicity) = &section.toxicity {
        files.extend(toxicity.word_files.iter().cloned());
        files.extend(toxicity.allow_phrase_files.iter().cloned());
    }
    files
}

fn filter_part(
    chain: &FilterChain,
    input: &std::path::Path,
    output: &std::path::Path,
    rejected_output: Option<&std::path::Path>,
    row_group_rows: usize,
    progress: &crate::progress::StageProgress,
) -> Result<(SourceFunnels, RoutedByClassifier)> {
    let mut funnels: BTreeMap<String, (String, Funnel)> = BTreeMap::new();
    let mut routed: BTreeMap<String, Routed> = BTreeMap::new();
    let mut kept_writer: Option<PartWriter> = None;
    let mut rejected_writer: Option<PartWriter> = None;
    let mut kept_schema = None;
    for batch in open_part(input)? {
        let batch = batch.with_context(|| format!("cannot read {}", input.display()))?;
        let columns = DocumentColumns::of(&batch)?;
        let outcomes: Vec<ChainOutcome> = (0..batch.num_rows())
            .into_par_iter()
            .map(|row| chain.evaluate(columns.texts.value(row), columns.url(row)))
            .collect();
        let mut bytes = 0;
        for (row, outcome) in outcomes.iter().enumerate() {
            let text_len = columns.texts.value(row).len();
            bytes += text_len;
            let funnel = admit(
                &mut funnels,
                columns.sources.value(row),
                columns.domains.value(row),
                text_len,
            );
            match outcome.dropped_by {
                Some((filter, reason)) => {
                    let step = outcome
                        .dropped_by_classifier
                        .map_or(filter.as_str(), |i| chain.classifiers()[i].step.as_str());
                    funnel.record_drop(step, reason, text_len);
                }
                None => {
                    let new_len = outcome.new_text.as_ref().map_or(text_len, String::len);
                    funnel.output.add(Counts::one(new_len));
                    funnel.bytes_edited_out += (text_len - new_len.min(text_len)) as u64;
                    if let Some(target) = route_target(chain, outcome)
                        && target.1 != columns.domains.value(row)
                    {
                        let entry = routed.entry(target.0.to_owned()).or_default();
                        entry.domain = target.1.to_owned();
                        entry.total.add(Counts::one(new_len));
                        entry
                            .by_source
                            .entry(columns.sources.value(row).to_owned())
                            .or_default()
                            .add(Counts::one(new_len));
                    }
                }
            }
        }
        let kept = kept_batch(&batch, &columns, &outcomes, chain)?;
        let schema = kept.schema();
        if kept_writer.is_none() {
            kept_writer = Some(PartWriter::create(output, schema.clone(), row_group_rows)?);
            kept_schema = Some(schema);
        }
        if let Some(writer) = kept_writer.as_mut() {
            writer.write(&kept)?;
        }
        if let Some(path) = rejected_output {
            let rejected = rejected_batch(&batch, &outcomes)?;
            if rejected_writer.is_none() {
                rejected_writer =
                    Some(PartWriter::create(path, rejected.schema(), row_group_rows)?);
            }
            if let Some(writer) = rejected_writer.as_mut() {
                writer.write(&rejected)?;
            }
        }
        progress.add(batch.num_rows() as u64, bytes as u64);
    }
    // An empty input part still gives (empty) outputs, so every partition has its files.
    let kept_writer = match kept_writer {
        Some(writer) => writer,
        None => PartWriter::create(
            output,
            empty_kept_schema(chain, kept_schema),
            row_group_rows,
        )?,
    };
    kept_writer.commit()?;
    if let Some(path) = rejected_output {
        let writer = match rejected_writer {
            Some(writer) => writer,
            None => PartWriter::create(
                path,
                rejected_schema(&crate::document::DOCUMENT_SCHEMA),
                row_group_rows,
            )?,
        };
        writer.commit()?;
    }
    Ok((funnels, routed))
}

/// The domain classifier routing a kept document, and its domain: `(name, domain)`.
fn route_target<'c>(chain: &'c FilterChain, outcome: &ChainOutcome) -> Option<(&'c str, &'c str)> {
    let classifier = &chain.classifiers()[outcome.routed_by?];
    match (classifier.purpose, classifier.domain.as_deref()) {
        (ClassifierUse::Domain, Some(domain)) => Some((classifier.name.as_str(), domain)),
        _ => None,
    }
}

/// Score columns of the chain's classifiers that the input does not already have.
fn score_fields(chain: &FilterChain, schema: &Schema) -> Vec<(usize, Field)> {
    chain
        .classifiers()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let column = crate::filtering::ClassifierSection::score_column(&c.name);
            (i, Field::new(column, DataType::Float32, true))
        })
        .filter(|(_, f)| schema.column_with_name(f.name()).is_none())
        .collect()
}

fn empty_kept_schema(
    chain: &FilterChain,
    known: Option<arrow::datatypes::SchemaRef>,
) -> arrow::datatypes::SchemaRef {
    let with_language = chain.has_language();
    known.unwrap_or_else(|| {
        let mut fields: Vec<Field> = crate::document::DOCUMENT_SCHEMA
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        if with_language {
            fields.extend(language_fields());
        }
        let scores = score_fields(chain, &Schema::new(fields.clone()));
        fields.extend(scores.into_iter().map(|(_, f)| f));
        Arc::new(Schema::new(fields))
    })
}

fn language_fields() -> [Field; 2] {
    [
        Field::new("lang", DataType::Utf8, true),
        Field::new("lang_score", DataType::Float32, true),
    ]
}

/// The kept rows, with edited text, the language and score columns, and the domain of
/// routed documents rewritten.
fn kept_batch(
    batch: &RecordBatch,
    columns: &DocumentColumns<'_>,
    outcomes: &[ChainOutcome],
    chain: &FilterChain,
) -> Result<RecordBatch> {
    let with_language = chain.has_language();
    let schema = batch.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
    if outcomes.iter().any(|o| o.new_text.is_some()) {
        let texts: LargeStringArray = outcomes
            .iter()
            .enumerate()
            .map(|(row, o)| {
                Some(
                    o.new_text
                        .as_deref()
                        .unwrap_or_else(|| columns.texts.value(row)),
                )
            })
            .collect();
        let index = schema.index_of("text")?;
        arrays[index] = Arc::new(texts);
    }
    if with_language && schema.column_with_name("lang").is_none() {
        let langs: StringArray = outcomes
            .iter()
            .map(|o| o.language.map(|d| d.lang))
            .collect();
        let scores: Float32Array = outcomes
            .iter()
            .map(|o| o.language.map(|d| d.score))
            .collect();
        fields.extend(language_fields());
        arrays.push(Arc::new(langs));
        arrays.push(Arc::new(scores));
    }
    for (i, field) in score_fields(chain, &schema) {
        let scores: Float32Array = outcomes.iter().map(|o| o.scores.get(i).copied()).collect();
        fields.push(field);
        arrays.push(Arc::new(scores));
    }
    if outcomes.iter().any(|o| route_target(chain, o).is_some()) {
        let domains: StringArray = outcomes
            .iter()
            .enumerate()
            .map(|(row, o)| {
                Some(route_target(chain, o).map_or(columns.domains.value(row), |(_, d)| d))
            })
            .collect();
        let index = schema.index_of("domain")?;
        arrays[index] = Arc::new(domains);
    }
    let full = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
    let keep: BooleanArray = outcomes
        .iter()
        .map(|o| Some(o.dropped_by.is_none()))
        .collect();
    Ok(filter_record_batch(&full, &keep)?)
}

fn rejected_schema(schema: &Schema) -> arrow::datatypes::SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new("filter", DataType::Utf8, false));
    fields.push(Field::new("reason", DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

/// The dropped rows, unchanged, with the filter and reason that dropped them.
fn rejected_batch(batch: &RecordBatch, outcomes: &[ChainOutcome]) -> Result<RecordBatch> {
    let filters: StringArray = outcomes
        .iter()
        .map(|o| Some(o.dropped_by.map_or("", |(f, _)| f.as_str())))
        .collect();
    let reasons: StringArray = outcomes
        .iter()
        .map(|o| Some(o.dropped_by.map_or("", |(_, r)| r)))
        .collect();
    let mut arrays = batch.columns().to_vec();
    arrays.push(Arc::new(filters));
    arrays.push(Arc::new(reasons));
    let full = RecordBatch::try_new(rejected_schema(&batch.schema()), arrays)?;
    let drop: BooleanArray = outcomes
        .iter()
        .map(|o| Some(o.dropped_by.is_some()))
        .collect();
    Ok(filter_record_batch(&full, &drop)?)
}

fn summary_line(summary: &FilterSummary, seconds: f64, resumed: usize) -> String {
    let total = &summary.funnel.total;
    let mut line = format!(
        "kept {} of {} documents, {} of {} ({:.1}%) in {:.1}s",
        total.output.documents,
        total.input.documents,
        human_bytes(total.output.bytes),
        human_bytes(total.input.bytes),
        100.0 * total.output.bytes as f64 / (total.input.bytes.max(1)) as f64,
        seconds
    );
    if !total.dropped_by.is_empty() {
        let by: Vec<String> = total
            .dropped_by
            .iter()
            .map(|(filter, counts)| format!("{filter} {}", counts.documents))
            .collect();
        line.push_str(&format!("; dropped by {}", by.join(", ")));
    }
    for (name, routed) in &summary.routed {
        line.push_str(&format!(
            "; {name} routed {} documents ({}) to {}",
            routed.total.documents,
            human_bytes(routed.total.bytes),
            routed.domain
        ));
    }
    if resumed > 0 {
        line.push_str(&format!(
            "; {resumed} partitions kept from an interrupted run"
        ));
    }
    line
}
