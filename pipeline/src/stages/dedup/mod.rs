//! The dedup stage: its decisions see every upstream document.
//!
//! Pass 1 reads every upstream part (in parallel) and keeps a fixed-size record per
//! document: exact hash, MinHash band hashes, group and priority. The global step decides
//! every document ([`decide`]). With `[dedup.lines]`, the text of the documents kept is
//! read once more to count their lines (so removed copies do not count). Pass 2 re-reads
//! the text part by part and writes `part-NNNNN.parquet` (kept documents, repeated lines
//! removed) and `removed/part-NNNNN.parquet` (`id, source, domain, reason, cluster,
//! kept_id`).
//!
//! Pass 2 is partitioned and resumable. On one machine the decisions are not cached: a
//! resumed run recomputes them with pass 1, which gives the same decisions because they
//! depend only on the upstream documents and their order. On a cluster the stage is three
//! steps: `dedup-sign` (pass 1 per rank, [`sign_step`]), `dedup` (the global step on rank
//! 0, its decisions written per partition, [`decision_step`]) and `dedup-write` (pass 2
//! per rank from those files).

pub mod decide;
pub mod decision_step;
mod external_sort;
mod scan;
pub mod sign_step;
pub mod signatures;
mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use self::decide::{DecisionStats, IndexBudget, decide};
use self::decision_step::{DecisionsRecord, PartitionDecisions};
use self::scan::{SourceKeys, count_kept_lines, number_parts, read_column, scan_parts};
use self::signatures::Signer;
use self::write::{PartDecisions, WritePlan, write_part};
use super::partitioned::{
    PartitionPlan, PartitionStats, record_fingerprint, run_partitioned, run_rank,
};
use super::upstream::Upstream;
use super::{Execution, StageContext, StageOutcome};
use crate::cluster::Step;
use crate::job::{DedupScope, DedupSection, ResolvedJob};
use crate::progress::{StageProgress, human_bytes};
use crate::run::fingerprint::fingerprint_config;
use crate::run::funnel::{FunnelSummary, SourceFunnels};
use crate::run::stage_record::{FORMAT_VERSION, StageRecord, partition_key};

/// The index's scratch directory (sorted run files), inside the stage directory.
const WORK_DIR: &str = ".work";

/// Statistics of one written part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DedupPartitionStats {
    pub part: String,
    pub removed: Option<String>,
    /// Funnel per source of the documents in this part (with the source's domain).
    pub sources: SourceFunnels,
    pub seconds: f64,
}

impl PartitionStats for DedupPartitionStats {
    fn outputs(&self) -> Vec<String> {
        std::iter::once(self.part.clone())
            .chain(self.removed.clone())
            .collect()
    }
}

/// `summary` of the stage record: the funnel, and the global step's counters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DedupSummary {
    #[serde(flatten)]
    pub funnel: FunnelSummary,
    pub dedup: DecisionStats,
    /// Seconds of pass 1 and the global step (in the run that completed the stage).
    pub index_seconds: f64,
}

pub fn run(context: &StageContext<'_>, upstream: &Upstream) -> Result<StageOutcome> {
    let job = context.job;
    let section = &job.dedup;
    let stage_dir = context.stage_dir("dedup");
    let sources = source_keys(job)?;
    let plan = PartitionPlan {
        stage: "dedup",
        stage_dir: &stage_dir,
        // The memory budget changes where the index is held, never what it decides.
        config_fingerprint: fingerprint_config(&(
            FORMAT_VERSION,
            DedupSection {
                memory_mb: None,
                ..section.clone()
            },
            &sources,
        )),
        input_fingerprint: upstream.fingerprint.clone(),
        inputs: Vec::new(),
        partitions: upstream.partitions(),
    };
    // The index is built only when there is something to write.
    if !context.force
        && let Some(record) = StageRecord::<DedupPartitionStats, DedupSummary>::read(&stage_dir)
        && record.is_complete_for(&plan.config_fingerprint, &plan.input_fingerprint)
    {
        // The run's last step: the cluster steps' files have served.
        if context.ends_run {
            remove_step_files(&stage_dir);
        }
        return Ok(StageOutcome::UpToDate {
            fingerprint: record_fingerprint(&record),
        });
    }
    let fingerprints = (
        plan.config_fingerprint.clone(),
        plan.input_fingerprint.clone(),
    );
    let fingerprints = (fingerprints.0.as_str(), fingerprints.1.as_str());
    // What the record will be fingerprinted as once the stage is complete.
    let planned_fingerprint = fingerprint_config(&(fingerprints.0, fingerprints.1));
    if context.execution == Execution::Seal {
        return seal(context, plan);
    }

    let started = Instant::now();
    let signer = Signer::new(section)?;
    if let Execution::Rank { rank, world_size } = context.execution {
        // Every step after the decisions finds them and has nothing to sign.
        let decided = DecisionsRecord::read_for(&stage_dir, fingerprints);
        return match (context.step, decided) {
            // On a cluster, the map step `dedup-write`: this rank's parts, from the decisions.
            (Some(Step::DedupWrite), decided) => {
                let decided = decided.with_context(|| {
                    format!(
                        "dedup has not decided for this input in {}: run step dedup first                          (`curate run JOB --step dedup`, or `curate launch` again)",
                        stage_dir.display()
                    )
                })?;
                let parts = number_parts(&upstream.parts)?;
                write_rank(context, plan, &parts, &signer, &decided, (rank, world_size))
            }
            (_, Some(_)) => Ok(StageOutcome::UpToDate {
                fingerprint: planned_fingerprint,
            }),
            // The map step `dedup-sign` (or the end of `ingest-filter-sign`): this rank's
            // share of pass 1, nothing else.
            (_, None) => sign_step::sign_rank(
                context,
                &stage_dir,
                fingerprints,
                &upstream.parts,
                &signer,
                &sources,
                rank,
                world_size,
            ),
        };
    }
    let parts = number_parts(&upstream.parts)?;
    // On a cluster, the reduce step `dedup` decides and leaves the writing to `dedup-write`.
    let decides_only = context.step == Some(Step::Dedup);
    if decides_only && DecisionsRecord::read_for(&stage_dir, fingerprints).is_some() {
        return Ok(StageOutcome::UpToDate {
            fingerprint: planned_fingerprint,
        });
    }
    let budget = IndexBudget {
        dir: context.work_dir("dedup", stage_dir.join(WORK_DIR)),
        bytes: Some(section.memory_mb().saturating_mul(1 << 20)),
    };
    // Run files of an interrupted run are not reused: the index is rebuilt from pass 1.
    if budget.dir.exists() {
        std::fs::remove_dir_all(&budget.dir)
            .with_context(|| format!("cannot clear {}", budget.dir.display()))?;
    }
    std::fs::create_dir_all(&budget.dir)
        .with_context(|| format!("cannot create {}", budget.dir.display()))?;
    let documents = parts.iter().map(|p| p.rows as usize).sum();
    let bands = budget.band_sorter(&signer, documents);
    // Pass 1 as the cluster's map step left it, else here.
    let signatures = match sign_step::load_signed(&stage_dir, fingerprints, &parts, &bands)? {
        Some(signatures) => {
            tracing::info!(
                event = "signatures_loaded",
                stage = "dedup",
                partitions = parts.len(),
                "pass 1 read from the dedup-sign step: {} partitions, {} documents",
                parts.len(),
                signatures.len()
            );
            signatures
        }
        None => scan_parts(context.pool, &parts, &signer, &sources, &bands)?,
    };
    let verify = section.minhash.as_ref().and_then(|m| m.verify_threshold);
    let mut decisions = decide(signatures, bands, &signer, verify, &budget, |wanted| {
        read_column(&parts, wanted, "text")
    })?;
    std::fs::remove_dir_all(&budget.dir)
        .with_context(|| format!("cannot remove {}", budget.dir.display()))?;
    if signer.counts_lines() {
        let counts = count_kept_lines(context.pool, &parts, &signer, &decisions)?;
        decisions.set_line_counts(counts);
    }
    let keeper_ids = read_column(&parts, &decisions.keepers(), "id")?;
    let index_seconds = started.elapsed().as_secs_f64();
    if decides_only {
        let record = decision_step::save(
            &stage_dir,
            fingerprints,
            &parts,
            &decisions,
            &keeper_ids,
            index_seconds,
        )?;
        // The decisions supersede the signatures.
        remove_dir_if_present(&sign_step::signatures_dir(&stage_dir));
        return Ok(StageOutcome::Ran {
            fingerprint: planned_fingerprint,
            summary: decided_line(&record),
        });
    }

    let writing = PartWriting::new(job, &stage_dir, &parts, &decisions.line_dedupers)?;
    let stats = decisions.stats.clone();
    let finished = run_partitioned(
        context,
        plan,
        |partition, progress| {
            let input = writing.input(partition)?;
            let part_decisions = PartDecisions::of(&decisions, input, &keeper_ids)?;
            writing.write(input, &part_decisions, progress)
        },
        |partitions| {
            let funnel = FunnelSummary::from_partitions(partitions.values().map(|p| &p.sources));
            DedupSummary {
                funnel,
                dedup: stats,
                index_seconds,
            }
        },
    )?;
    Ok(match finished {
        Err(up_to_date) => up_to_date,
        Ok(finished) => {
            // The cluster steps' records (of an earlier attempt) have served.
            remove_step_files(&stage_dir);
            finished.outcome(summary_line)
        }
    })
}

/// What pass 2 needs for every partition, on one machine and on a `dedup-write` rank.
struct PartWriting<'a> {
    plan: WritePlan<'a>,
    stage_dir: &'a Path,
    write_removed: bool,
    by_partition: BTreeMap<usize, &'a scan::PartInput>,
}

impl<'a> PartWriting<'a> {
    /// Ready to write (with `removed/` made when the job keeps removed documents).
    fn new(
        job: &ResolvedJob,
        stage_dir: &'a Path,
        parts: &'a [scan::PartInput],
        line_dedupers: &'a BTreeMap<u32, curate_filters::dedup::LineDeduper>,
    ) -> Result<Self> {
        let write_removed = job.dedup.write_removed();
        if write_removed {
            std::fs::create_dir_all(stage_dir.join("removed"))?;
        }
        Ok(PartWriting {
            plan: WritePlan {
                line_dedupers,
                row_group_rows: job.ingest.batch_docs,
            },
            stage_dir,
            write_removed,
            by_partition: parts.iter().map(|p| (p.partition, p)).collect(),
        })
    }

    fn input(&self, partition: usize) -> Result<&'a scan::PartInput> {
        self.by_partition
            .get(&partition)
            .copied()
            .with_context(|| format!("no upstream part for partition {partition}"))
    }

    /// Pass 2 of one partition: its kept documents to `part-NNNNN.parquet`, its removed
    /// ones to `removed/`.
    fn write(
        &self,
        input: &scan::PartInput,
        decisions: &PartDecisions<'_>,
        progress: &StageProgress,
    ) -> Result<DedupPartitionStats> {
        let started = Instant::now();
        let part = format!("part-{}.parquet", partition_key(input.partition));
        let removed = self.write_removed.then(|| format!("removed/{part}"));
        let sources = write_part(
            &self.plan,
            decisions,
            input,
            &self.stage_dir.join(&part),
            removed.as_ref().map(|r| self.stage_dir.join(r)).as_deref(),
            progress,
        )
        .with_context(|| format!("dedup of {} failed", input.path.display()))?;
        Ok(DedupPartitionStats {
            part,
            removed,
            sources,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// One rank's share of `dedup-write`: its partitions, each from its own decision file.
fn write_rank(
    context: &StageContext<'_>,
    plan: PartitionPlan<'_>,
    parts: &[scan::PartInput],
    signer: &Signer,
    decided: &DecisionsRecord,
    (rank, world_size): (usize, usize),
) -> Result<StageOutcome> {
    let stage_dir = plan.stage_dir;
    let line_dedupers =
        decision_step::load_line_dedupers(stage_dir, decided, signer.line_config())?;
    let writing = PartWriting::new(context.job, stage_dir, parts, &line_dedupers)?;
    run_rank(
        context,
        plan,
        |partition, progress| {
            let input = writing.input(partition)?;
            let loaded = PartitionDecisions::load(stage_dir, decided, input)?;
            writing.write(input, &loaded.as_part(), progress)
        },
        rank,
        world_size,
    )
}

/// Builds `_stage.json` from the `dedup-write` markers, with the counters the decisions
/// recorded.
fn seal(context: &StageContext<'_>, plan: PartitionPlan<'_>) -> Result<StageOutcome> {
    let stage_dir = plan.stage_dir.to_path_buf();
    let decided = DecisionsRecord::read_for(
        &stage_dir,
        (&plan.config_fingerprint, &plan.input_fingerprint),
    )
    .with_context(|| {
        format!(
            "stage dedup is not complete: it has no decisions for this input in {} (run              step dedup, then dedup-write)",
            decision_step::decisions_dir(&stage_dir).display()
        )
    })?;
    let finished = run_partitioned(
        context,
        plan,
        |partition, _| -> Result<DedupPartitionStats> {
            anyhow::bail!("a seal writes no partition ({partition})")
        },
        |partitions| DedupSummary {
            funnel: FunnelSummary::from_partitions(partitions.values().map(|p| &p.sources)),
            dedup: decided.stats.clone(),
            index_seconds: decided.index_seconds,
        },
    )?;
    if context.ends_run {
        remove_step_files(&stage_dir);
    }
    Ok(match finished {
        Err(up_to_date) => up_to_date,
        Ok(finished) => finished.outcome(summary_line),
    })
}

/// Removes what the cluster steps leave for each other (signatures, decisions) once the
/// stage is complete.
fn remove_step_files(stage_dir: &Path) {
    remove_dir_if_present(&sign_step::signatures_dir(stage_dir));
    remove_dir_if_present(&decision_step::decisions_dir(stage_dir));
}

fn remove_dir_if_present(dir: &Path) {
    if dir.exists()
        && let Err(error) = std::fs::remove_dir_all(dir)
    {
        tracing::warn!("cannot remove {}: {error}", dir.display());
    }
}

fn decided_line(record: &DecisionsRecord) -> String {
    let stats = &record.stats;
    format!(
        "decided {} documents: {} exact and {} near duplicates to remove, {} repeated lines; \
         dedup-write writes the parts",
        stats.documents, stats.exact_removed, stats.minhash_removed, stats.frequent_lines
    )
}

/// Each source's dedup group (its own under `per_source`, else one for all) and the rank
/// of its priority (lower wins).
fn source_keys(job: &ResolvedJob) -> Result<SourceKeys> {
    let priorities: BTreeSet<i64> = job.sources.iter().map(|s| s.priority).collect();
    let rank = |p: i64| priorities.iter().position(|&q| q == p).unwrap_or(0) as u32;
    job.sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let group = match job.dedup.scope {
                DedupScope::Global => 0,
                DedupScope::PerSource => u32::try_from(i).context("too many sources")?,
            };
            Ok((source.name.clone(), (group, rank(source.priority))))
        })
        .collect()
}

fn summary_line(summary: &DedupSummary, seconds: f64, resumed: usize) -> String {
    let total = &summary.funnel.total;
    let mut line = format!(
        "kept {} of {} documents, {} of {} in {:.1}s",
        total.output.documents,
        total.input.documents,
        human_bytes(total.output.bytes),
        human_bytes(total.input.bytes),
        seconds + summary.index_seconds
    );
    if !total.dropped.is_empty() {
        let by: Vec<String> = total
            .dropped
            .iter()
            .map(|(reason, counts)| format!("{reason} {}", counts.documents))
            .collect();
        line.push_str(&format!("; removed {}", by.join(", ")));
    }
    if total.bytes_edited_out > 0 {
        line.push_str(&format!(
            "; {} of repeated lines removed",
            human_bytes(total.bytes_edited_out)
        ));
    }
    line.push_str(&format!(
        "; index {:.0} bytes/document",
        summary.dedup.memory.bytes_per_document
    ));
    if resumed > 0 {
        line.push_str(&format!(
            "; {resumed} partitions kept from an interrupted run"
        ));
    }
    line
}
