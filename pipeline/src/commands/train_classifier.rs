//! `curate train-classifier`: a linear text classifier (quality, toxicity or domain)
//! trained on labelled documents, evaluated on a held-out share of them.
//!
//! Labels come either from which files a document is in (`--positive` / `--negative`) or
//! from a field of each record (`--input ... --label-field label`). The held-out split is
//! by a hash of the document id, so it does not change with the order of the inputs or
//! the number of threads. The model goes to `-o MODEL`, the held-out evaluation to
//! `MODEL.eval.json`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use curate_filters::classifier::{
    CharNgrams, Evaluation, FeatureConfig, Labels, LinearModel, Normalization, SparseFeatures,
    TrainConfig, Trainer, threshold_for_keep_fraction, write_model,
};
use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use super::inputs::open_input;
use crate::ingest::fields::FieldMap;
use crate::ingest::text::{TextReader, TextUnit};
use crate::ingest::{RawDocument, ReadItem};
use crate::progress::human_bytes;

/// Documents whose features are extracted together (in parallel).
const BATCH_DOCS: usize = 4096;
/// Fractions of held-out documents whose keep thresholds are reported.
const RETENTION: [f64; 4] = [0.5, 0.1, 0.03, 0.01];

/// How a plain-text input (`.txt`, optionally compressed) is cut into documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextUnitArg {
    /// Every non-blank line is a document.
    Line,
    /// The whole file is one document.
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NormalizationArg {
    Sqrt,
    Mean,
}

#[derive(Debug, Args)]
pub struct TrainClassifierArgs {
    /// Files of positive documents (reference text, toxic text, the target domain).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub positive: Vec<PathBuf>,
    /// Files of negative documents (raw web, clean text, other domains).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub negative: Vec<PathBuf>,
    /// Files of labelled documents (with --label-field).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub input: Vec<PathBuf>,
    /// Field holding each record's label (string or number).
    #[arg(long)]
    pub label_field: Option<String>,
    /// The label value of the positive class.
    #[arg(long, default_value = "1")]
    pub positive_label: String,
    /// Field (or Parquet column) holding the text.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Field holding the document id (the held-out split hashes it); without one, ids
    /// are `FILE:POSITION`.
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// How `.txt` inputs are cut into documents.
    #[arg(long, value_enum, default_value_t = TextUnitArg::Line)]
    pub text_unit: TextUnitArg,
    /// Share of documents held out for evaluation (by id hash).
    #[arg(long, default_value_t = 0.1)]
    pub holdout: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, default_value_t = 5)]
    pub epochs: u32,
    #[arg(long, default_value_t = 10.0)]
    pub lr: f32,
    /// Hash buckets (weights) of the model.
    #[arg(long, alias = "dim", default_value_t = 1 << 20)]
    pub buckets: u32,
    /// Longest word n-gram (1-3).
    #[arg(long, default_value_t = 2)]
    pub word_ngrams: u8,
    /// Character n-grams of each word, `MIN-MAX` (e.g. `3-5`); none by default.
    #[arg(long, value_name = "MIN-MAX")]
    pub char_ngrams: Option<String>,
    /// How feature weights are combined: `mean` (fastText's average, scores independent
    /// of length) or `sqrt` (sum / sqrt(n)).
    #[arg(long, value_enum, default_value_t = NormalizationArg::Mean)]
    pub normalization: NormalizationArg,
    /// Do not weight the classes by their size.
    #[arg(long)]
    pub no_balance: bool,
    /// Names of the classes, `NEGATIVE,POSITIVE`, stored in the model.
    #[arg(long, value_delimiter = ',', num_args = 2, default_values = ["negative", "positive"])]
    pub class_names: Vec<String>,
    /// Where to write the model.
    #[arg(short, long)]
    pub output: PathBuf,
}

/// `MODEL.eval.json`.
#[derive(Debug, Serialize)]
struct EvalReport {
    model: String,
    train_documents: u64,
    train_positives: u64,
    train_negatives: u64,
    held_out: Evaluation,
    /// Score thresholds that keep the best 50/10/3/1 % of held-out documents.
    thresholds_for_retention: Vec<Retention>,
    features: FeatureConfig,
    training: TrainConfig,
}

#[derive(Debug, Serialize)]
struct Retention {
    fraction: f64,
    threshold: f32,
}

/// Where the documents and their labels come from.
enum Source<'a> {
    /// Every document of the file has this label.
    Fixed(&'a Path, bool),
    /// The label is a field of each record.
    Field(&'a Path),
}

pub fn run(args: TrainClassifierArgs) -> Result<()> {
    let features = feature_config(&args)?;
    let training = TrainConfig {
        epochs: args.epochs,
        lr: args.lr,
        seed: args.seed,
        balanced: !args.no_balance,
    };
    if !(0.0..1.0).contains(&args.holdout) {
        bail!("--holdout must be at least 0 and below 1");
    }
    let sources = sources(&args)?;
    let labels = Labels {
        negative: args.class_names[0].clone(),
        positive: args.class_names[1].clone(),
    };
    let mut trainer = Trainer::new(features.clone(), labels)?;
    let mut held_out: Vec<(String, bool)> = Vec::new();
    let mut bytes = 0u64;
    let mut unlabelled = 0u64;
    for source in &sources {
        let mut batch: Vec<(String, String, bool)> = Vec::with_capacity(BATCH_DOCS);
        let mut flush = |batch: &mut Vec<(String, String, bool)>| {
            let (test, train): (Vec<_>, Vec<_>) = batch
                .drain(..)
                .partition(|(id, _, _)| is_held_out(id, args.holdout));
            let extracted: Vec<(SparseFeatures, bool)> = train
                .par_iter()
                .map(|(_, text, label)| (features.extract(text), *label))
                .collect();
            for (f, label) in extracted {
                trainer.add_features(f, label);
            }
            held_out.extend(test.into_iter().map(|(_, text, label)| (text, label)));
        };
        read_labelled(source, &args, |id, text, label| {
            match label {
                Some(label) => {
                    bytes += text.len() as u64;
                    batch.push((id, text, label));
                    if batch.len() == BATCH_DOCS {
                        flush(&mut batch);
                    }
                }
                None => unlabelled += 1,
            }
            Ok(())
        })?;
        flush(&mut batch);
    }
    if unlabelled > 0 {
        eprintln!(
            "warning: {unlabelled} records have no `{}` field and were left out",
            args.label_field.as_deref().unwrap_or("label")
        );
    }
    let (positives, negatives) = trainer.counts();
    let model = trainer
        .fit(&training)
        .with_context(|| format!("cannot train on {} documents", positives + negatives))?;
    write_model_file(&model, &args.output)?;

    let scores: Vec<f32> = held_out.par_iter().map(|(t, _)| model.score(t)).collect();
    let truth: Vec<bool> = held_out.iter().map(|(_, l)| *l).collect();
    let evaluation = Evaluation::new(&scores, &truth, 0.5);
    let retention: Vec<Retention> = RETENTION
        .iter()
        .filter_map(|&fraction| {
            threshold_for_keep_fraction(&scores, fraction).map(|threshold| Retention {
                fraction,
                threshold,
            })
        })
        .collect();
    let report = EvalReport {
        model: args.output.display().to_string(),
        train_documents: positives + negatives,
        train_positives: positives,
        train_negatives: negatives,
        held_out: evaluation,
        thresholds_for_retention: retention,
        features,
        training,
    };
    let eval_path = eval_path(&args.output);
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&eval_path, json + "\n")
        .with_context(|| format!("cannot write {}", eval_path.display()))?;
    print_report(&report, bytes, &eval_path);
    Ok(())
}

/// `MODEL.eval.json` beside the model.
pub fn eval_path(model: &Path) -> PathBuf {
    let mut name = model.as_os_str().to_owned();
    name.push(".eval.json");
    PathBuf::from(name)
}

fn feature_config(args: &TrainClassifierArgs) -> Result<FeatureConfig> {
    let char_ngrams = match &args.char_ngrams {
        None => None,
        Some(spec) => {
            let (min, max) = spec.split_once('-').unwrap_or((spec, spec));
            let parse = |v: &str| {
                v.trim()
                    .parse::<u8>()
                    .with_context(|| format!("--char-ngrams {spec}: expected MIN-MAX"))
            };
            Some(CharNgrams {
                min: parse(min)?,
                max: parse(max)?,
            })
        }
    };
    let config = FeatureConfig {
        buckets: args.buckets,
        word_ngrams: args.word_ngrams,
        char_ngrams,
        lowercase: true,
        normalization: match args.normalization {
            NormalizationArg::Sqrt => Normalization::Sqrt,
            NormalizationArg::Mean => Normalization::Mean,
        },
    };
    config.validate().map_err(anyhow::Error::msg)?;
    Ok(config)
}

fn sources(args: &TrainClassifierArgs) -> Result<Vec<Source<'_>>> {
    let by_file = !args.positive.is_empty() || !args.negative.is_empty();
    match (by_file, args.input.is_empty(), &args.label_field) {
        (true, true, None) => {
            if args.positive.is_empty() || args.negative.is_empty() {
                bail!("give both --positive and --negative files");
            }
            Ok(args
                .positive
                .iter()
                .map(|p| Source::Fixed(p, true))
                .chain(args.negative.iter().map(|p| Source::Fixed(p, false)))
                .collect())
        }
        (false, false, Some(_)) => Ok(args.input.iter().map(|p| Source::Field(p)).collect()),
        (false, false, None) => bail!("--input needs --label-field"),
        _ => bail!("give either --positive/--negative files, or --input files with --label-field"),
    }
}

/// Whether `path` is plain text (`.txt`, optionally compressed).
fn is_text(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [".txt", ".txt.gz", ".txt.zst", ".txt.lz4"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Calls `f(id, text, label)` for every document of `source`; the label is `None` for a
/// record without the label field. Damaged records are skipped with a warning.
fn read_labelled(
    source: &Source<'_>,
    args: &TrainClassifierArgs,
    mut f: impl FnMut(String, String, Option<bool>) -> Result<()>,
) -> Result<()> {
    let (path, fixed) = match source {
        Source::Fixed(path, label) => (*path, Some(*label)),
        Source::Field(path) => (*path, None),
    };
    // With a label field, the reader's id slot carries the label (it accepts strings and
    // numbers) and the URL slot the id.
    let fields = match &args.label_field {
        Some(label) if fixed.is_none() => FieldMap {
            text: args.text_field.clone(),
            id: label.clone(),
            url: args.id_field.clone(),
        },
        _ => FieldMap {
            text: args.text_field.clone(),
            id: args.id_field.clone(),
            ..FieldMap::default()
        },
    };
    let items: Box<dyn Iterator<Item = ReadItem>> = if is_text(path) {
        let unit = match args.text_unit {
            TextUnitArg::Line => TextUnit::Line,
            TextUnitArg::File => TextUnit::File,
        };
        Box::new(
            TextReader::open(path, unit)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )
    } else {
        open_input(path, fields)?
    };
    let name = path.display().to_string();
    for item in items {
        match item {
            ReadItem::Document {
                document: RawDocument { id, url, text },
                position,
            } => {
                let fallback = || format!("{name}:{position}");
                match fixed {
                    Some(label) => f(id.unwrap_or_else(fallback), text, Some(label))?,
                    None => {
                        let label = id.map(|v| v == args.positive_label);
                        f(url.unwrap_or_else(fallback), text, label)?;
                    }
                }
            }
            ReadItem::Skipped(skipped) if skipped.reason.is_damage() => {
                tracing::warn!(
                    "{name}: {}: {}: {}",
                    skipped.position,
                    skipped.reason,
                    skipped.detail
                );
            }
            ReadItem::Skipped(_) => {}
        }
    }
    Ok(())
}

/// Held out when the id's hash falls in the first `share` of the hash range.
fn is_held_out(id: &str, share: f64) -> bool {
    (xxh3_64(id.as_bytes()) as f64) < share * u64::MAX as f64
}

fn write_model_file(model: &LinearModel, path: &Path) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut bytes = Vec::new();
    write_model(model, &mut bytes)?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn print_report(report: &EvalReport, bytes: u64, eval_path: &Path) {
    let e = &report.held_out;
    let m = &e.at_threshold;
    eprintln!(
        "trained on {} documents ({} positive, {} negative; {} of text in all), written to {}",
        report.train_documents,
        report.train_positives,
        report.train_negatives,
        human_bytes(bytes),
        report.model
    );
    match e.roc_auc {
        Some(auc) => eprintln!(
            "held out {} documents ({} positive): ROC AUC {auc:.4}; at 0.5: precision {:.4}, \
             recall {:.4}, F1 {:.4}",
            e.documents, e.positives, m.precision, m.recall, m.f1
        ),
        None => eprintln!(
            "held out {} documents ({} positive): too few of each class for an evaluation",
            e.documents, e.positives
        ),
    }
    for r in &report.thresholds_for_retention {
        eprintln!(
            "threshold for retention {:.0}%: {:.4}",
            100.0 * r.fraction,
            r.threshold
        );
    }
    eprintln!("evaluation written to {}", eval_path.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_file_sits_beside_the_model() {
        assert_eq!(
            eval_path(Path::new("models/quality.clf")),
            PathBuf::from("models/quality.clf.eval.json")
        );
    }

    #[test]
    fn held_out_share_follows_the_hash() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("doc-{i}")).collect();
        let held = ids.iter().filter(|id| is_held_out(id, 0.1)).count();
        assert!((900..1100).contains(&held), "{held}");
        assert_eq!(ids.iter().filter(|id| is_held_out(id, 0.0)).count(), 0);
        assert!(is_text(Path::new("a/b.TXT.gz")));
        assert!(!is_text(Path::new("a/b.jsonl")));
    }
}
