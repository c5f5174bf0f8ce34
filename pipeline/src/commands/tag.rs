//! `curate tag`: every filter run independently on every document, one row per document
//! with each filter's decision and signals, to study thresholds before using them.
//! Trained classifiers (`--classifier NAME=MODEL[:THRESHOLD]`, or the job's
//! `[filter.classifier.*]`) add `NAME_score` and, with a threshold, `NAME_keep`; the
//! score thresholds that keep 50/10/3/1 % of the documents are printed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow::array::{
    Array, ArrayRef, BooleanArray, Float32Array, Float64Builder, MapBuilder, RecordBatch,
    StringArray, StringBuilder,
};
use arrow::datatypes::{Field, Schema, SchemaRef};
use clap::{Args, ValueEnum};
use rayon::prelude::*;

use super::inputs::for_each_raw_document;
use crate::filtering::chain::prefixed_signals;
use crate::filtering::config::DEFAULT_PROFILE;
use crate::filtering::{
    ChainOutcome, ClassifierSection, ClassifierUse, FilterChain, ResolvedProfile,
};
use crate::ingest::RawDocument;
use crate::ingest::fields::FieldMap;
use crate::job::load_job_for_tagging;
use crate::run::part_writer::PartWriter;

/// Documents tagged per batch: bounds memory.
const BATCH_DOCS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TagFormat {
    Parquet,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// JSONL (optionally gzip/zstd) or Parquet files to tag.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where to write the tags (a file).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Take the filters and their settings from this job's [filter] section.
    #[arg(long)]
    pub job: Option<PathBuf>,
    /// With --job: the filter profile to run (default: the job's `default` profile, or
    /// its only one).
    #[arg(long)]
    pub profile: Option<String>,
    /// Only these filters (comma-separated). Without a job, the heuristic filters and
    /// language ID run with their default settings.
    #[arg(long, value_delimiter = ',')]
    pub filters: Vec<String>,
    #[arg(long, value_enum, default_value_t = TagFormat::Parquet)]
    pub format: TagFormat,
    /// Field (or Parquet column) holding the text.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    #[arg(long, default_value = "id")]
    pub id_field: String,
    #[arg(long, default_value = "url")]
    pub url_field: String,
    /// A trained model to score with, as a quality scorer: `NAME=MODEL[:THRESHOLD]`
    /// (repeatable). Adds `NAME_score`, and `NAME_keep` (score >= threshold) when a
    /// threshold is given. Works with curate models and fastText `.bin` models.
    #[arg(long = "classifier", value_name = "NAME=MODEL[:THRESHOLD]")]
    pub classifiers: Vec<String>,
}

/// Fractions of documents whose keep thresholds are printed.
const RETENTION: [f64; 4] = [0.5, 0.1, 0.03, 0.01];

/// Parses `NAME=MODEL[:THRESHOLD]` into a quality classifier section (model path made
/// absolute, so it does not depend on a job's folder).
fn parse_classifier(spec: &str) -> Result<(String, ClassifierSection)> {
    let (name, rest) = spec
        .split_once('=')
        .with_context(|| format!("--classifier {spec}: expected NAME=MODEL[:THRESHOLD]"))?;
    let (model, threshold) = match rest.rsplit_once(':') {
        Some((model, t)) if t.parse::<f32>().is_ok() => (model, t.parse::<f32>().ok()),
        _ => (rest, None),
    };
    let model = std::path::absolute(model)
        .with_context(|| format!("--classifier {spec}: bad model path"))?;
    Ok((
        name.to_owned(),
        ClassifierSection {
            model: model.display().to_string(),
            purpose: ClassifierUse::Quality,
            threshold,
            keep_fraction: None,
            domain: None,
            combine: None,
            label: None,
        },
    ))
}

/// Whether a classifier's own rule keeps a document (`None` without a threshold).
fn classifier_keeps(classifier: &ClassifierSection, score: f32) -> Option<bool> {
    let threshold = classifier.threshold?;
    Some(match classifier.purpose {
        ClassifierUse::Quality => score >= threshold,
        ClassifierUse::Toxicity => score < threshold,
        ClassifierUse::Domain => true,
    })
}

pub fn run(args: TagArgs) -> Result<()> {
    let known = curate_filters::registry::names();
    let mut requested: Vec<&'static str> =
        args.filters
            .iter()
            .map(|name| {
                known.iter().copied().find(|k| k == name).with_context(|| {
                    format!("unknown filter `{name}` (known: {})", known.join(", "))
                })
            })
            .collect::<Result<_>>()?;
    let ad_hoc: Vec<(String, ClassifierSection)> = args
        .classifiers
        .iter()
        .map(|spec| parse_classifier(spec))
        .collect::<Result<_>>()?;
    if !ad_hoc.is_empty() && !requested.is_empty() && !requested.contains(&"classifier") {
        requested.push("classifier");
    }
    let (mut profile, base_dir) = match &args.job {
        Some(job) => {
            let job = load_job_for_tagging(job)?;
            let base_dir = job.base_dir();
            (job_profile(&job, args.profile.as_deref())?, base_dir)
        }
        None => (default_profile(&requested)?, Path::new(".").to_path_buf()),
    };
    if !ad_hoc.is_empty() {
        let table = profile
            .filters
            .entry("classifier".to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let Some(table) = table.as_table_mut() else {
            bail!("the job's [filter.classifier] is not a table");
        };
        for (name, classifier) in ad_hoc {
            if table.contains_key(&name) {
                bail!("--classifier {name}: the job already has a classifier of that name");
            }
            table.insert(name, toml::Value::try_from(&classifier)?);
        }
        if !profile.order.iter().any(|f| f == "classifier") {
            profile.order.push("classifier".to_owned());
        }
    }
    let keep_fractions: Vec<(String, f64)> = profile
        .filters
        .get("classifier")
        .and_then(|t| {
            t.clone()
                .try_into::<BTreeMap<String, ClassifierSection>>()
                .ok()
        })
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, c)| c.keep_fraction.map(|f| (name, f)))
        .collect();
    let mut chain = FilterChain::build("tag", &profile, &base_dir)?;
    if !requested.is_empty() {
        chain.retain(&requested);
    }
    let names = chain.names();
    if names.is_empty() {
        bail!("no filter to run: name some with --filters or give a job with a [filter] section");
    }
    let classifiers: Vec<(String, ClassifierSection)> = chain.classifiers().to_vec();
    let fields = FieldMap {
        text: args.text_field.clone(),
        id: args.id_field.clone(),
        url: args.url_field.clone(),
    };
    let mut sink = TagSink::create(&args.output, args.format, &names, &classifiers)?;
    let mut all_scores: Vec<Vec<f32>> = vec![Vec::new(); classifiers.len()];
    let mut documents = 0u64;
    let mut kept_by: BTreeMap<&'static str, u64> = BTreeMap::new();
    for input in &args.inputs {
        let mut batch: Vec<(String, RawDocument)> = Vec::with_capacity(BATCH_DOCS);
        let mut flush =
            |batch: &mut Vec<(String, RawDocument)>, sink: &mut TagSink| -> Result<()> {
                let outcomes: Vec<ChainOutcome> = batch
                    .par_iter()
                    .map(|(_, doc)| chain.evaluate_all(&doc.text, doc.url.as_deref()))
                    .collect();
                for outcome in &outcomes {
                    for (scores, score) in all_scores
                        .iter_mut()
                        .zip(outcome_scores(outcome, &classifiers))
                    {
                        if let Some(score) = score {
                            scores.push(score);
                        }
                    }
                    for verdict in &outcome.verdicts {
                        if verdict.verdict.is_keep() {
                            *kept_by.entry(verdict.filter).or_default() += 1;
                        }
                    }
                }
                documents += batch.len() as u64;
                sink.write(batch, &outcomes, &classifiers)?;
                batch.clear();
                Ok(())
            };
        for_each_raw_document(input, fields.clone(), |id, document| {
            batch.push((id, document));
            if batch.len() == BATCH_DOCS {
                flush(&mut batch, &mut sink)?;
            }
            Ok(())
        })?;
        flush(&mut batch, &mut sink)?;
    }
    sink.finish()?;
    let summary: Vec<String> = names
        .iter()
        .map(|f| {
            let kept = kept_by.get(f).copied().unwrap_or(0);
            format!(
                "{} keeps {:.1}%",
                f,
                100.0 * kept as f64 / documents.max(1) as f64
            )
        })
        .collect();
    eprintln!("tagged {documents} documents: {}", summary.join(", "));
    for ((classifier_name, _), scores) in classifiers.iter().zip(&all_scores) {
        let thresholds: Vec<String> = RETENTION
            .iter()
            .filter_map(|&fraction| {
                curate_filters::classifier::threshold_for_keep_fraction(scores, fraction)
                    .map(|t| format!("{:.0}% at {t:.4}", 100.0 * fraction))
            })
            .collect();
        eprintln!(
            "{}: score thresholds that keep {}",
            classifier_name,
            thresholds.join(", ")
        );
        for (name, fraction) in keep_fractions.iter().filter(|(n, _)| n == classifier_name) {
            if let Some(t) =
                curate_filters::classifier::threshold_for_keep_fraction(scores, *fraction)
            {
                eprintln!("{name}: keep_fraction {fraction} is threshold {t}");
            }
        }
    }
    Ok(())
}

/// The scores of an outcome's classifiers, in the chain's order (`None` where the
/// classifier did not run).
fn outcome_scores(
    outcome: &ChainOutcome,
    classifiers: &[(String, ClassifierSection)],
) -> Vec<Option<f32>> {
    classifiers
        .iter()
        .map(|(name, _)| {
            outcome
                .number(&ClassifierSection::score_column(name))
                .map(|s| s as f32)
        })
        .collect()
}

/// The profile `curate tag --job` runs: the one named, else `default`, else the job's
/// only profile.
fn job_profile(job: &crate::job::ResolvedJob, name: Option<&str>) -> Result<ResolvedProfile> {
    let profiles = &job.filter.profile;
    let chosen = match name {
        Some(name) => profiles.get(name),
        None if profiles.len() == 1 => profiles.values().next(),
        None => profiles.get(DEFAULT_PROFILE),
    };
    chosen.cloned().with_context(|| {
        let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
        format!(
            "the job runs several filter profiles: name one with --profile ({})",
            known.join(", ")
        )
    })
}

/// Without a job: the named filters (or the FineWeb chain) with their defaults.
fn default_profile(requested: &[&'static str]) -> Result<ResolvedProfile> {
    let wanted: Vec<&str> = if requested.is_empty() {
        vec![
            "language",
            "gopher_repetition",
            "gopher_quality",
            "c4",
            "fineweb",
        ]
    } else {
        requested.to_vec()
    };
    let mut profile = ResolvedProfile::default();
    for name in wanted {
        match name {
            // Classifiers come from --classifier.
            "classifier" => {}
            "url" | "c4_badwords" | "toxicity" => bail!(
                "filter `{name}` needs word lists: give a job (--job) whose [filter.{name}] names them"
            ),
            _ => {
                profile.order.push(name.to_owned());
                profile
                    .filters
                    .insert(name.to_owned(), toml::Value::Table(toml::Table::new()));
            }
        }
    }
    Ok(profile)
}

/// Where tags go: Parquet with a decision column and a signals map per filter, or JSONL
/// with `{"id", "<filter>": "keep"|reason, "<filter>_signals": {...}}`; then
/// `<classifier>_score` and `<classifier>_keep` per classifier.
enum TagSink {
    Parquet {
        writer: Option<Box<PartWriter>>,
        schema: SchemaRef,
        names: Vec<&'static str>,
    },
    Jsonl(BufWriter<File>),
}

impl TagSink {
    fn create(
        path: &Path,
        format: TagFormat,
        names: &[&'static str],
        classifiers: &[(String, ClassifierSection)],
    ) -> Result<TagSink> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        Ok(match format {
            TagFormat::Jsonl => TagSink::Jsonl(BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            )),
            TagFormat::Parquet => {
                let mut fields = vec![Field::new("id", arrow::datatypes::DataType::Utf8, false)];
                for name in names {
                    fields.push(Field::new(*name, arrow::datatypes::DataType::Utf8, false));
                    let map =
                        MapBuilder::new(None, StringBuilder::new(), Float64Builder::new()).finish();
                    fields.push(Field::new(
                        format!("{name}_signals"),
                        map.data_type().clone(),
                        false,
                    ));
                }
                for (name, c) in classifiers {
                    fields.push(Field::new(
                        ClassifierSection::score_column(name),
                        arrow::datatypes::DataType::Float32,
                        true,
                    ));
                    if c.threshold.is_some() {
                        fields.push(Field::new(
                            format!("{name}_keep"),
                            arrow::datatypes::DataType::Boolean,
                            true,
                        ));
                    }
                }
                let schema: SchemaRef = Arc::new(Schema::new(fields));
                TagSink::Parquet {
                    writer: Some(Box::new(PartWriter::create(
                        path,
                        schema.clone(),
                        BATCH_DOCS,
                    )?)),
                    schema,
                    names: names.to_vec(),
                }
            }
        })
    }

    fn write(
        &mut self,
        docs: &[(String, RawDocument)],
        outcomes: &[ChainOutcome],
        classifiers: &[(String, ClassifierSection)],
    ) -> Result<()> {
        match self {
            TagSink::Jsonl(out) => {
                for ((id, _), outcome) in docs.iter().zip(outcomes) {
                    let mut row = serde_json::Map::new();
                    row.insert("id".into(), id.clone().into());
                    for verdict in &outcome.verdicts {
                        let name = verdict.filter;
                        row.insert(
                            name.into(),
                            verdict.verdict.drop_reason.unwrap_or("keep").into(),
                        );
                        let signals: serde_json::Map<String, serde_json::Value> =
                            prefixed_signals(verdict.filter, &verdict.verdict.signals)
                                .into_iter()
                                .map(|(k, v)| (k, serde_json::json!(v)))
                                .collect();
                        row.insert(format!("{name}_signals"), signals.into());
                    }
                    for ((name, c), score) in
                        classifiers.iter().zip(outcome_scores(outcome, classifiers))
                    {
                        let Some(score) = score else { continue };
                        row.insert(
                            ClassifierSection::score_column(name),
                            serde_json::json!(score),
                        );
                        if let Some(keep) = classifier_keeps(c, score) {
                            row.insert(format!("{name}_keep"), keep.into());
                        }
                    }
                    serde_json::to_writer(&mut *out, &row)?;
                    out.write_all(b"\n")?;
                }
                Ok(())
            }
            TagSink::Parquet {
                writer,
                schema,
                names,
            } => {
                let ids: StringArray = docs.iter().map(|(id, _)| Some(id.as_str())).collect();
                let mut columns: Vec<ArrayRef> = vec![Arc::new(ids)];
                for name in names.iter() {
                    let mut decisions = StringBuilder::new();
                    let mut signals =
                        MapBuilder::new(None, StringBuilder::new(), Float64Builder::new());
                    for outcome in outcomes {
                        let verdict = outcome.verdicts.iter().find(|v| v.filter == *name);
                        decisions.append_value(
                            verdict
                                .and_then(|v| v.verdict.drop_reason)
                                .unwrap_or("keep"),
                        );
                        for (key, value) in verdict
                            .map(|v| prefixed_signals(name, &v.verdict.signals))
                            .unwrap_or_default()
                        {
                            signals.keys().append_value(key);
                            signals.values().append_value(value);
                        }
                        signals.append(true)?;
                    }
                    columns.push(Arc::new(decisions.finish()));
                    columns.push(Arc::new(signals.finish()));
                }
                for (i, (_, c)) in classifiers.iter().enumerate() {
                    let per_row: Vec<Option<f32>> = outcomes
                        .iter()
                        .map(|o| outcome_scores(o, classifiers)[i])
                        .collect();
                    let scores: Float32Array = per_row.iter().copied().collect();
                    columns.push(Arc::new(scores));
                    if c.threshold.is_some() {
                        let keeps: BooleanArray = per_row
                            .iter()
                            .map(|s| s.and_then(|s| classifier_keeps(c, s)))
                            .collect();
                        columns.push(Arc::new(keeps));
                    }
                }
                let batch = RecordBatch::try_new(schema.clone(), columns)?;
                if let Some(writer) = writer.as_mut() {
                    writer.write(&batch)?;
                }
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            TagSink::Jsonl(mut out) => Ok(out.flush()?),
            TagSink::Parquet { writer, .. } => {
                if let Some(writer) = writer {
                    writer.commit()?;
                }
                Ok(())
            }
        }
    }
}
