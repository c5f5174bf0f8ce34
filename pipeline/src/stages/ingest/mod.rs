//! The ingest stage: every source's files into Parquet parts of the document schema.
//!
//! Work is split into partitions: one per input file, or one per source when the source
//! has `max_docs` (the limit needs the files read in order). Partitions run in parallel and
//! each writes its own part, so the output does not depend on the number of threads; a
//! resumed run redoes only the partitions `_stage.json` does not list as done.

mod open;
mod partition;
mod stats;

use anyhow::{Context, Result};

pub use partition::generated_id;
use partition::{IngestPartition, PartitionContext, ingest_partition};
pub use stats::{IngestCounts, IngestPartitionStats, IngestSummary};

use super::partitioned::{PartitionPlan, PartitionStats, run_partitioned};
use super::{StageContext, StageOutcome};
use crate::job::spec::Format;
use crate::progress::human_bytes;
use crate::run::fingerprint::{InputFile, fingerprint_config, fingerprint_inputs};
use crate::run::stage_record::{FORMAT_VERSION, partition_key};

impl PartitionStats for IngestPartitionStats {
    fn outputs(&self) -> Vec<String> {
        vec![self.part.clone()]
    }
}

/// The name of the Parquet part of a partition.
pub fn part_file_name(index: usize) -> String {
    format!("part-{}.parquet", partition_key(index))
}

/// How many partitions the job's ingest has (and so every partitioned stage after it):
/// fixed by the inputs, whatever the number of threads or cluster tasks.
pub fn partition_count(job: &crate::job::ResolvedJob) -> usize {
    plan_partitions(job).len()
}

fn plan_partitions(job: &crate::job::ResolvedJob) -> Vec<IngestPartition> {
    let mut partitions = Vec::new();
    for (source_index, source) in job.sources.iter().enumerate() {
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
    // The extractor's identity, for jobs with web archives: a new extractor gives new
    // text from the same pages and settings.
    let extractor = job
        .sources
        .iter()
        .any(|s| s.format == Format::Warc)
        .then_some(crate::ingest::warc::EXTRACTOR);
    fingerprint_config(&(FORMAT_VERSION, &sources, &job.ingest, job.strict, extractor))
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
    let partitions = plan_partitions(context.job);
    let plan = PartitionPlan {
        stage: "ingest",
        stage_dir: &stage_dir,
        config_fingerprint: config_fingerprint(context),
        input_fingerprint: fingerprint_inputs(&inputs),
        inputs,
        partitions: partitions.iter().map(|p| p.index).collect(),
    };
    let finished = run_partitioned(
        context,
        plan,
        |index, progress| {
            let partition = &partitions[index];
            let source = &context.job.sources[partition.source];
            let part_context = PartitionContext {
                source,
                config: &context.job.ingest,
                strict: context.job.strict,
                progress,
            };
            ingest_partition(
                partition,
                &stage_dir.join(part_file_name(index)),
                &part_context,
            )
            .with_context(|| format!("ingest of source `{}` failed", source.name))
        },
        |done| IngestSummary::from_partitions(done.values()),
    )?;
    Ok(match finished {
        Err(up_to_date) => up_to_date,
        Ok(finished) => finished.outcome(summary_line),
    })
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
