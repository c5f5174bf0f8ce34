//! The ingest stage: every source's files into Parquet parts of the document schema.
//!
//! Work is split into partitions: one per input file, or one per source when the source
//! has `max_docs` (the limit needs the files read in order). Partitions run in parallel and
//! each writes its own part, so the output does not depend on the number of threads; a
//! resumed run redoes only the partitions `_stage.json` does not list as done.

mod open;
mod partition;
mod stats;

use std::collections::BTreeMap;
use std::sync::Mutex;

use anyhow::{Context, Result};
use rayon::prelude::*;

pub use partition::generated_id;
use partition::{IngestPartition, PartitionContext, ingest_partition};
pub use stats::{IngestCounts, IngestPartitionStats, IngestSummary};

use super::{StageContext, StageOutcome, prepare_stage_dir};
use crate::progress::{StageProgress, human_bytes};
use crate::run::fingerprint::{InputFile, fingerprint_config, fingerprint_inputs};
use crate::run::stage_record::{FORMAT_VERSION, StageRecord, StageStatus, partition_key};

pub type IngestRecord = StageRecord<IngestPartitionStats, IngestSummary>;

/// The name of the Parquet part of a partition.
pub fn part_file_name(index: usize) -> String {
    format!("part-{}.parquet", partition_key(index))
}

fn plan_partitions(context: &StageContext<'_>) -> Vec<IngestPartition> {
    let mut partitions = Vec::new();
    for (source_index, source) in context.job.sources.iter().enumerate() {
        if source.max_docs.is_some() {
            partitions.push(IngestPartition {
                index: partitions.len(),
                source: source_index,
                files: source.files.clone(),
            });
        } else {
            for file in &source.files {
                partitions.push(IngestPartition {
                    index: partitions.len(),
                    source: source_index,
                    files: vec![file.clone()],
                });
            }
        }
    }
    partitions
}

/// The fingerprint of what ingest is configured to do: sources (minus their file lists,
/// which the input fingerprint covers) and the ingest settings.
fn config_fingerprint(context: &StageContext<'_>) -> String {
    let job = context.job;
    let sources: Vec<_> = job
        .sources
        .iter()
        .map(|s| {
            (
                &s.name,
                &s.domain,
                s.format,
                &s.fields,
                s.text_unit,
                s.max_docs,
                s.files.len(),
            )
        })
        .collect();
    fingerprint_config(&(FORMAT_VERSION, &sources, &job.ingest, job.strict))
}

pub fn run(context: &StageContext<'_>) -> Result<StageOutcome> {
    let stage_dir = context.stage_dir("ingest");
    let inputs: Vec<InputFile> = context
        .job
        .sources
        .iter()
        .flat_map(|s| &s.files)
        .map(|f| InputFile::describe(f).with_context(|| format!("cannot read {}", f.display())))
        .collect::<Result<_>>()?;
    let config_fingerprint = config_fingerprint(context);
    let input_fingerprint = fingerprint_inputs(&inputs);

    let previous = IngestRecord::read(&stage_dir);
    if !context.force
        && let Some(record) = &previous
        && record.is_complete_for(&config_fingerprint, &input_fingerprint)
    {
        return Ok(StageOutcome::UpToDate {
            fingerprint: record_fingerprint(record),
        });
    }
    let kept = previous
        .filter(|r| !context.force && r.matches(&config_fingerprint, &input_fingerprint))
        .map(|r| r.partitions_done)
        .unwrap_or_default();
    let partitions = plan_partitions(context);
    let kept: BTreeMap<String, IngestPartitionStats> = kept
        .into_iter()
        .filter(|(key, stats)| {
            partitions.iter().any(|p| &partition_key(p.index) == key)
                && stage_dir.join(&stats.part).is_file()
        })
        .collect();
    let keep_files: Vec<String> = kept.values().map(|s| s.part.clone()).collect();
    prepare_stage_dir(&stage_dir, &keep_files)?;

    let record = Mutex::new(IngestRecord {
        stage: "ingest".to_owned(),
        format_version: FORMAT_VERSION,
        status: StageStatus::Running,
        config_fingerprint,
        input_fingerprint,
        inputs,
        partitions_total: partitions.len(),
        partitions_done: kept,
        summary: None,
        seconds: 0.0,
    });
    record
        .lock()
        .map_err(|_| anyhow::anyhow!("stage record lock poisoned"))?
        .write(&stage_dir)
        .with_context(|| format!("cannot write {}", stage_dir.display()))?;

    let todo: Vec<&IngestPartition> = {
        let record = record
            .lock()
            .map_err(|_| anyhow::anyhow!("stage record lock poisoned"))?;
        partitions
            .iter()
            .filter(|p| !record.partitions_done.contains_key(&partition_key(p.index)))
            .collect()
    };
    let resumed = partitions.len() - todo.len();
    let progress = StageProgress::new("ingest", partitions.len() as u64, context.show_progress);
    for _ in 0..resumed {
        progress.finish_unit();
    }

    context.pool.install(|| {
        todo.par_iter().try_for_each(|partition| -> Result<()> {
            let source = &context.job.sources[partition.source];
            let part_path = stage_dir.join(part_file_name(partition.index));
            let partition_context = PartitionContext {
                source,
                config: &context.job.ingest,
                strict: context.job.strict,
                progress: &progress,
            };
            let stats = ingest_partition(partition, &part_path, &partition_context)
                .with_context(|| format!("ingest of source `{}` failed", source.name))?;
            let mut record = record
                .lock()
                .map_err(|_| anyhow::anyhow!("stage record lock poisoned"))?;
            record
                .partitions_done
                .insert(partition_key(partition.index), stats);
            record
                .write(&stage_dir)
                .with_context(|| format!("cannot write {}", stage_dir.display()))?;
            progress.finish_unit();
            Ok(())
        })
    })?;

    let mut record = record
        .into_inner()
        .map_err(|_| anyhow::anyhow!("stage record lock poisoned"))?;
    let summary = IngestSummary::from_partitions(record.partitions_done.values());
    record.seconds += progress.elapsed().as_secs_f64();
    let line = summary_line(&summary, record.seconds, resumed);
    record.summary = Some(summary);
    record.status = StageStatus::Complete;
    record
        .write(&stage_dir)
        .with_context(|| format!("cannot write {}", stage_dir.display()))?;
    Ok(StageOutcome::Ran {
        fingerprint: record_fingerprint(&record),
        summary: line,
    })
}

/// What downstream stages fingerprint as their input.
fn record_fingerprint(record: &IngestRecord) -> String {
    fingerprint_config(&(&record.config_fingerprint, &record.input_fingerprint))
}

fn summary_line(summary: &IngestSummary, seconds: f64, resumed: usize) -> String {
    let total = &summary.total;
    let mut line = format!(
        "{} documents, {} of text from {} files ({} on disk) in {:.1}s ({:.1} MB/s)",
        total.documents,
        human_bytes(total.text_bytes),
        total.files,
        human_bytes(total.input_bytes),
        seconds,
        total.input_bytes as f64 / 1e6 / seconds.max(1e-9),
    );
    if total.skipped_total() > 0 {
        let reasons: Vec<String> = total
            .skipped
            .iter()
            .map(|(reason, count)| format!("{reason} {count}"))
            .collect();
        line.push_str(&format!("; skipped {}", reasons.join(", ")));
    }
    if resumed > 0 {
        line.push_str(&format!(
            "; {resumed} partitions kept from an interrupted run"
        ));
    }
    line
}
