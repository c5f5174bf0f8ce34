//! Reads a run directory into a [`Report`]: the stage records, the Parquet files of dropped
//! documents (ids only), the mix plan and the shard manifest.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;

use super::drops::{DroppedIds, read_dropped_ids};
use super::funnel::{
    SourceTokens, StageGroups, build_stage_funnel, infer_reason_steps, stage_groups,
};
use super::job_file::JobView;
use super::model::{
    DropReason, Flow, GroupFunnel, REPORT_FORMAT, REPORT_FORMAT_VERSION, Report, Retained,
    Retention, StageFunnel, StageState, StageTiming,
};
use super::records::{StageDir, discover, u64_at};
use super::sections;
use super::{alerts, overview};
use crate::run::run_record::RunRecord;
use crate::runner::RESOLVED_JOB_FILE;
use crate::stages::dedup::decide::Reason;

/// Example ids kept per drop reason.
pub const EXAMPLES_PER_REASON: usize = 3;

/// Reads everything the report shows from `run_dir`.
pub fn collect(run_dir: &Path) -> Result<Report> {
    let stages = discover(run_dir)?;
    let job = JobView::read(run_dir);
    let mut domains = job.domains.clone();

    // Pass 1: the groups of every document stage (which also completes the domain map).
    let mut grouped: Vec<(&StageDir, StageGroups)> = Vec::new();
    for stage in &stages {
        if let Some(groups) = stage_groups(stage, &mut domains) {
            grouped.push((stage, groups));
        }
    }

    // Pass 2: tokens and steps, each stage's input tokens being the last one's output.
    let mut funnels: Vec<StageFunnel> = Vec::new();
    let mut dropped_ids: BTreeMap<String, DroppedIds> = BTreeMap::new();
    let mut previous_output: Option<BTreeMap<String, u64>> = None;
    for (stage, groups) in grouped {
        let ids = read_dropped_ids(&stage.path, EXAMPLES_PER_REASON)?;
        let reason_steps = reason_steps(&ids, &groups);
        let order = if stage.name == "filter" {
            job.filter_order.clone()
        } else {
            Vec::new()
        };
        let tokens = SourceTokens::of(stage);
        let funnel = build_stage_funnel(
            &stage.name,
            groups,
            tokens.as_ref(),
            previous_output.as_ref(),
            &reason_steps,
            &order,
            &domains,
        );
        previous_output = funnel
            .by_source
            .iter()
            .map(|(source, g)| Some((source.clone(), g.output.tokens?)))
            .collect();
        dropped_ids.insert(stage.name.clone(), with_steps(ids, reason_steps));
        funnels.push(funnel);
    }

    let drop_reasons = drop_reasons(&funnels, &dropped_ids);
    let timings: Vec<StageTiming> = stages
        .iter()
        .map(|stage| timing(stage, funnels.iter().find(|f| f.stage == stage.name)))
        .collect();
    let run = RunRecord::read(run_dir);
    let costs = overview::cost_lines(run.as_ref(), &stages, &timings);
    let mix_dir = stages.iter().find(|s| s.name == "mix");
    let shards = sections::shards(run_dir)?;
    let mix = match mix_dir {
        Some(stage) => sections::mix(stage, shards.as_ref())?,
        None => None,
    };
    let budget = match mix_dir {
        Some(stage) => sections::budget(stage, mix.as_ref(), shards.as_ref())?,
        None => None,
    };
    let mut report = Report {
        format: REPORT_FORMAT.to_owned(),
        format_version: REPORT_FORMAT_VERSION,
        job: job.name,
        identity: run.as_ref().map(|r| r.identity.clone()),
        failure: run.and_then(|r| r.failure),
        filter_profiles: overview::filter_profiles(&stages),
        headline: Default::default(),
        alerts: Vec::new(),
        costs,
        resolved_job: std::fs::read_to_string(run_dir.join(RESOLVED_JOB_FILE)).ok(),
        retained: retained(&funnels),
        dedup: funnels
            .iter()
            .find(|f| f.stage == "dedup")
            .and_then(|f| sections::dedup(stages.iter().find(|s| s.name == "dedup")?, f)),
        tokenizer: sections::tokenizer(
            stages.iter().find(|s| s.name == "tokenizer"),
            funnels
                .iter()
                .rev()
                .find(|f| f.total.output.tokens.is_some()),
        ),
        notes: notes(&stages, &funnels),
        stages: timings,
        funnel: funnels,
        drop_reasons,
        mix,
        budget,
        shards,
    };
    report.headline = overview::headline(&report);
    report.alerts = alerts::alerts(&report);
    Ok(report)
}

/// Which step gives each reason: the `filter` column of the stored drops, else what the
/// funnels show, else the dedup methods' own names.
fn reason_steps(ids: &DroppedIds, groups: &StageGroups) -> BTreeMap<String, String> {
    let mut steps = infer_reason_steps(&groups.all_groups);
    for reason in [Reason::Exact, Reason::MinHash, Reason::LinesAllRepeated] {
        steps
            .entry(reason.as_str().to_owned())
            .or_insert_with(|| reason.method().to_owned());
    }
    for (reason, stored) in &ids.by_reason {
        if let Some(step) = &stored.step {
            steps.insert(reason.clone(), step.clone());
        }
    }
    steps.retain(|reason, _| groups.total.reasons.contains_key(reason));
    steps
}

fn with_steps(mut ids: DroppedIds, steps: BTreeMap<String, String>) -> DroppedIds {
    for (reason, step) in steps {
        let entry = ids.by_reason.entry(reason).or_default();
        entry.step.get_or_insert(step);
    }
    ids
}

/// Every reason of every stage, most documents first (then most tokens, stage order).
fn drop_reasons(
    funnels: &[StageFunnel],
    dropped_ids: &BTreeMap<String, DroppedIds>,
) -> Vec<DropReason> {
    let mut reasons: Vec<(usize, DropReason)> = Vec::new();
    for (position, funnel) in funnels.iter().enumerate() {
        let ids = dropped_ids.get(&funnel.stage);
        for (reason, flow) in &funnel.total.reasons {
            let stored = ids.and_then(|i| i.by_reason.get(reason));
            let examples = stored.map(|s| s.examples.clone()).unwrap_or_default();
            let examples_note = if !examples.is_empty() {
                None
            } else if ids.is_some_and(|i| !i.stored_in.is_empty()) {
                Some(format!(
                    "the {} stage stored no ids for this reason",
                    funnel.stage
                ))
            } else if flow.bytes.is_none() {
                Some("skipped records are counted, not stored: they have no document".into())
            } else {
                Some(format!(
                    "the {} stage stores no ids of dropped documents",
                    funnel.stage
                ))
            };
            reasons.push((
                position,
                DropReason {
                    stage: funnel.stage.clone(),
                    step: stored.and_then(|s| s.step.clone()),
                    reason: reason.clone(),
                    dropped: *flow,
                    examples,
                    examples_note,
                },
            ));
        }
    }
    reasons.sort_by(|(pa, a), (pb, b)| {
        b.dropped
            .documents
            .cmp(&a.dropped.documents)
            .then(b.dropped.tokens.cmp(&a.dropped.tokens))
            .then(pa.cmp(pb))
            .then(a.reason.cmp(&b.reason))
    });
    reasons.into_iter().map(|(_, r)| r).collect()
}

fn timing(stage: &StageDir, funnel: Option<&StageFunnel>) -> StageTiming {
    let summary = stage.summary();
    let from_summary =
        |paths: &[&[&str]]| summary.and_then(|s| paths.iter().find_map(|path| u64_at(s, path)));
    let seconds = stage.seconds();
    let documents_in = funnel.map(|f| f.total.input.documents);
    let bytes_in = funnel
        .and_then(|f| f.total.input.bytes)
        .or_else(|| from_summary(&[&["total", "input_bytes"], &["input_bytes"]]));
    let documents_out = funnel
        .map(|f| f.total.output.documents)
        .or_else(|| from_summary(&[&["documents"], &["total", "documents"]]));
    let tokens_out = funnel
        .and_then(|f| f.total.output.tokens)
        .or_else(|| from_summary(&[&["tokens"], &["realised_tokens"], &["total", "tokens"]]));
    let rate = |n: Option<u64>| n.filter(|_| seconds > 0.0).map(|n| n as f64 / seconds);
    StageTiming {
        stage: stage.name.clone(),
        dir: stage.dir_name.clone(),
        state: stage.state,
        partitions_done: stage.partitions_done(),
        partitions_total: stage.partitions_total(),
        seconds,
        documents_in,
        bytes_in,
        documents_out,
        tokens_out,
        documents_per_second: rate(documents_in),
        bytes_per_second: rate(bytes_in),
        cost: overview::stage_cost(stage),
    }
}

fn share(part: Option<u64>, whole: Option<u64>) -> Option<f64> {
    match (part, whole) {
        (Some(part), Some(whole)) if whole > 0 => Some(part as f64 / whole as f64),
        _ => None,
    }
}

fn retention(input: &GroupFunnel, output: Option<&GroupFunnel>) -> Retention {
    let output = output.map(|g| g.output).unwrap_or(Flow {
        documents: 0,
        bytes: Some(0),
        tokens: input.output.tokens.map(|_| 0),
    });
    let input = input.output;
    Retention {
        input,
        output,
        document_share: share(Some(output.documents), Some(input.documents)),
        byte_share: share(output.bytes, input.bytes),
        token_share: share(output.tokens, input.tokens),
    }
}

/// What the last document stage kept of what the first one produced.
fn retained(funnels: &[StageFunnel]) -> Option<Retained> {
    let (first, last) = (funnels.first()?, funnels.last()?);
    Some(Retained {
        from_stage: first.stage.clone(),
        to_stage: last.stage.clone(),
        total: retention(&first.total, Some(&last.total)),
        by_source: first
            .by_source
            .iter()
            .map(|(name, g)| (name.clone(), retention(g, last.by_source.get(name))))
            .collect(),
        by_domain: first
            .by_domain
            .iter()
            .map(|(name, g)| (name.clone(), retention(g, last.by_domain.get(name))))
            .collect(),
    })
}

fn notes(stages: &[StageDir], funnels: &[StageFunnel]) -> Vec<String> {
    let mut notes = Vec::new();
    for stage in stages {
        match stage.state {
            StageState::Running => notes.push(format!(
                "{} is incomplete: {} of {} partitions done; its numbers cover those",
                stage.name,
                stage.partitions_done(),
                stage.partitions_total()
            )),
            StageState::Unreadable => {
                notes.push(format!("{}/_stage.json could not be read", stage.dir_name))
            }
            StageState::Absent | StageState::Complete => {}
        }
    }
    let absent: Vec<&str> = stages
        .iter()
        .filter(|s| s.state == StageState::Absent)
        .map(|s| s.name.as_str())
        .collect();
    if !absent.is_empty() {
        notes.push(format!("not run: {}", absent.join(", ")));
    }
    if funnels.iter().any(|f| f.total.output.tokens.is_none()) {
        notes.push(
            "tokens are known once the count stage has run (with count_funnel for the \
             stages before it)"
                .to_owned(),
        );
    }
    notes
}
