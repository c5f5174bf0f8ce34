//! The filter stage: each document runs the chain of its source's profile, in order, the
//! first drop deciding. Kept documents go to `part-NNNNN.parquet` (with the text as
//! text-editing filters left it, and the filters' annotations as columns: the detected
//! language, classifier scores), dropped ones to `rejected/part-NNNNN.parquet` with the
//! profile, the filter, the reason and the evidence (the dropping filter's signals).
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
use crate::filtering::{ChainOutcome, FilterChain};
use crate::progress::human_bytes;
use crate::run::fingerprint::{InputFile, fingerprint_config, fingerprint_inputs};
use crate::run::funnel::{Counts, Funnel, FunnelSummary, SourceFunnels, admit};
use crate::run::part_writer::PartWriter;
use crate::run::stage_record::{FORMAT_VERSION, partition_key};
use curate_filters::AnnotationValue;
use curate_filters::filter::{AnnotationColumn, ColumnKind};

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
    /// What editing filters changed in kept documents (see [`Edits`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub edits: Edits,
    pub seconds: f64,
}

/// Sums of the `<filter>.edits.<what>` signals over the kept documents: what editing
/// filters replaced or cut (`pii.edits.email`: e-mail addresses replaced by their
/// placeholder; `decontaminate.edits.spans`: benchmark spans cut out).
pub type Edits = BTreeMap<String, u64>;

/// Adds the edit signals of a kept document's verdicts.
fn add_edits(edits: &mut Edits, outcome: &ChainOutcome) {
    for verdict in &outcome.verdicts {
        for signal in &verdict.verdict.signals {
            if signal.name.contains(".edits.") && signal.value > 0.0 {
                *edits.entry(signal.name.to_owned()).or_default() += signal.value as u64;
            }
        }
    }
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
    /// The filter profile each source ran.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, String>,
    /// What editing filters changed in kept documents, summed (see [`Edits`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub edits: Edits,
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
    let chains = Chains::build(job)?;
    let list_files: Vec<InputFile> = chains
        .files()
        .iter()
        .map(|f| InputFile::describe(&base_dir.join(f)).with_context(|| format!("cannot read {f}")))
        .collect::<Result<_>>()?;
    let source_profiles: BTreeMap<&str, &str> = job
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.filters.as_str()))
        .collect();
    let plan = PartitionPlan {
        stage: "filter",
        stage_dir: &stage_dir,
        config_fingerprint: fingerprint_config(&(
            FORMAT_VERSION,
            &job.filter,
            &source_profiles,
            fingerprint_inputs(&list_files),
        )),
        input_fingerprint: upstream.fingerprint.clone(),
        inputs: list_files,
        partitions: upstream.partitions(),
    };
    let write_rejected = job.filter.write_rejected;
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
            let (sources, routed, edits) = filter_part(
                &chains,
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
                edits,
                seconds: started.elapsed().as_secs_f64(),
            })
        },
        |partitions| {
            let mut routed: BTreeMap<String, Routed> = BTreeMap::new();
            let mut edits = Edits::new();
            for partition in partitions.values() {
                for (name, count) in &partition.edits {
                    *edits.entry(name.clone()).or_default() += count;
                }
                for (name, r) in &partition.routed {
                    routed.entry(name.clone()).or_default().add(r);
                }
            }
            FilterSummary {
                funnel: FunnelSummary::from_partitions(partitions.values().map(|p| &p.sources)),
                routed,
                edits,
                profiles: job
                    .sources
                    .iter()
                    .map(|s| (s.name.clone(), s.filters.clone()))
                    .collect(),
            }
        },
    )?;
    Ok(match finished {
        Err(up_to_date) => up_to_date,
        Ok(finished) => finished.outcome(summary_line),
    })
}

/// The chain of every profile the job's sources run, and which source runs which.
pub struct Chains {
    chains: Vec<FilterChain>,
    by_source: BTreeMap<String, usize>,
    /// The annotation columns of every chain, in first-seen order.
    columns: Vec<AnnotationColumn>,
}

impl Chains {
    /// Builds every profile of the job (already validated when the job was loaded).
    pub fn build(job: &crate::job::ResolvedJob) -> Result<Chains> {
        let base_dir = job.base_dir();
        let mut chains = Vec::new();
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (name, profile) in &job.filter.profile {
            index.insert(name.as_str(), chains.len());
            chains.push(
                FilterChain::build(name, profile, &base_dir)
                    .with_context(|| format!("cannot build the filters of profile `{name}`"))?,
            );
        }
        let mut by_source = BTreeMap::new();
        for source in &job.sources {
            let chain = index
                .get(source.filters.as_str())
                .copied()
                .with_context(|| {
                    format!(
                        "source {} runs profile `{}`, which the resolved job lacks",
                        source.name, source.filters
                    )
                })?;
            by_source.insert(source.name.clone(), chain);
        }
        let mut columns: Vec<AnnotationColumn> = Vec::new();
        for chain in &chains {
            for column in chain.annotation_columns() {
                if !columns.iter().any(|c| c.name == column.name) {
                    columns.push(column);
                }
            }
        }
        Ok(Chains {
            chains,
            by_source,
            columns,
        })
    }

    /// Every file the chains read.
    fn files(&self) -> Vec<String> {
        let mut files: Vec<String> = Vec::new();
        for chain in &self.chains {
            for file in chain.files() {
                if !files.contains(file) {
                    files.push(file.clone());
                }
            }
        }
        files
    }

    /// The chain of a source (a source the job does not name runs no filter).
    fn of(&self, source: &str) -> Option<&FilterChain> {
        self.by_source.get(source).map(|&i| &self.chains[i])
    }
}

fn filter_part(
    chains: &Chains,
    input: &std::path::Path,
    output: &std::path::Path,
    rejected_output: Option<&std::path::Path>,
    row_group_rows: usize,
    progress: &crate::progress::StageProgress,
) -> Result<(SourceFunnels, RoutedByClassifier, Edits)> {
    let mut funnels: BTreeMap<String, (String, Funnel)> = BTreeMap::new();
    let mut edits = Edits::new();
    let mut routed: BTreeMap<String, Routed> = BTreeMap::new();
    let mut kept_writer: Option<PartWriter> = None;
    let mut rejected_writer: Option<PartWriter> = None;
    let mut kept_schema = None;
    for batch in open_part(input)? {
        let batch = batch.with_context(|| format!("cannot read {}", input.display()))?;
        let columns = DocumentColumns::of(&batch)?;
        let outcomes: Vec<ChainOutcome> = (0..batch.num_rows())
            .into_par_iter()
            .map(|row| match chains.of(columns.sources.value(row)) {
                Some(chain) => chain.evaluate(columns.texts.value(row), columns.url(row)),
                None => ChainOutcome::default(),
            })
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
            match (outcome.dropped_by, outcome.drop_step()) {
                (Some((_, reason)), Some(step)) => {
                    funnel.record_drop(&step, reason, text_len);
                }
                _ => {
                    let new_len = outcome.new_text.as_ref().map_or(text_len, String::len);
                    funnel.output.add(Counts::one(new_len));
                    add_edits(&mut edits, outcome);
                    funnel.bytes_edited_out += (text_len - new_len.min(text_len)) as u64;
                    if let Some(target) = outcome.route()
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
        let kept = kept_batch(&batch, &columns, &outcomes, chains)?;
        let schema = kept.schema();
        if kept_writer.is_none() {
            kept_writer = Some(PartWriter::create(output, schema.clone(), row_group_rows)?);
            kept_schema = Some(schema);
        }
        if let Some(writer) = kept_writer.as_mut() {
            writer.write(&kept)?;
        }
        if let Some(path) = rejected_output {
            let rejected = rejected_batch(&batch, &columns, &outcomes, chains)?;
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
            empty_kept_schema(chains, kept_schema),
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
    Ok((funnels, routed, edits))
}

/// The annotation columns the input does not already have.
fn annotation_fields(chains: &Chains, schema: &Schema) -> Vec<(usize, Field)> {
    chains
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let data_type = match c.kind {
                ColumnKind::Text => DataType::Utf8,
                ColumnKind::Number => DataType::Float32,
            };
            (i, Field::new(c.name.clone(), data_type, true))
        })
        .filter(|(_, f)| schema.column_with_name(f.name()).is_none())
        .collect()
}

fn empty_kept_schema(
    chains: &Chains,
    known: Option<arrow::datatypes::SchemaRef>,
) -> arrow::datatypes::SchemaRef {
    known.unwrap_or_else(|| {
        let schema = &crate::document::DOCUMENT_SCHEMA;
        let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.extend(
            annotation_fields(chains, schema)
                .into_iter()
                .map(|(_, f)| f),
        );
        Arc::new(Schema::new(fields))
    })
}

/// One annotation column over the rows: text or number, null where no filter made it.
fn annotation_array(outcomes: &[ChainOutcome], column: &AnnotationColumn) -> ArrayRef {
    match column.kind {
        ColumnKind::Text => {
            let values: StringArray = outcomes
                .iter()
                .map(|o| match o.annotation(&column.name) {
                    Some(AnnotationValue::Text(t)) => Some(t.as_str()),
                    _ => None,
                })
                .collect();
            Arc::new(values)
        }
        ColumnKind::Number => {
            let values: Float32Array = outcomes
                .iter()
                .map(|o| o.number(&column.name).map(|n| n as f32))
                .collect();
            Arc::new(values)
        }
    }
}

/// The kept rows, with edited text, the annotation columns, and the domain of routed
/// documents rewritten.
fn kept_batch(
    batch: &RecordBatch,
    columns: &DocumentColumns<'_>,
    outcomes: &[ChainOutcome],
    chains: &Chains,
) -> Result<RecordBatch> {
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
    for (i, field) in annotation_fields(chains, &schema) {
        arrays.push(annotation_array(outcomes, &chains.columns[i]));
        fields.push(field);
    }
    if outcomes.iter().any(|o| o.route().is_some()) {
        let domains: StringArray = outcomes
            .iter()
            .enumerate()
            .map(|(row, o)| Some(o.route().map_or(columns.domains.value(row), |(_, d)| d)))
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
    fields.push(Field::new("profile", DataType::Utf8, false));
    fields.push(Field::new("filter", DataType::Utf8, false));
    fields.push(Field::new("reason", DataType::Utf8, false));
    fields.push(Field::new("evidence", DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

/// The dropped rows, unchanged, with the profile, the filter and reason that dropped them,
/// and the evidence (the dropping filter's signals and annotations, as JSON).
fn rejected_batch(
    batch: &RecordBatch,
    columns: &DocumentColumns<'_>,
    outcomes: &[ChainOutcome],
    chains: &Chains,
) -> Result<RecordBatch> {
    let profiles: StringArray = (0..batch.num_rows())
        .map(|row| {
            Some(
                chains
                    .of(columns.sources.value(row))
                    .map_or("", FilterChain::profile),
            )
        })
        .collect();
    let filters: StringArray = outcomes
        .iter()
        .map(|o| Some(o.drop_step().unwrap_or_default()))
        .collect();
    let reasons: StringArray = outcomes
        .iter()
        .map(|o| Some(o.dropped_by.map_or("", |(_, r)| r)))
        .collect();
    let evidence: StringArray = outcomes.iter().map(|o| Some(o.drop_evidence())).collect();
    let mut arrays = batch.columns().to_vec();
    arrays.push(Arc::new(profiles));
    arrays.push(Arc::new(filters));
    arrays.push(Arc::new(reasons));
    arrays.push(Arc::new(evidence));
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
    if !summary.edits.is_empty() {
        let edits: Vec<String> = summary
            .edits
            .iter()
            .map(|(name, count)| format!("{} {count}", name.replace(".edits.", " ")))
            .collect();
        line.push_str(&format!("; edited: {}", edits.join(", ")));
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
