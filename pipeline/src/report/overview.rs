//! The first screen of a report: the headline numbers, the filter profiles and what each
//! step of the run cost, read from the report's sections and the run's records.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{CostLine, Headline, MixHeadline, Report, StageTiming};
use super::records::StageDir;
use crate::run::cost::StepCost;
use crate::run::run_record::RunRecord;
use crate::runner::FUNNEL_COST_KEY;

/// Tokens in and kept, the realised mix against its target, and the Chinchilla gap.
pub fn headline(report: &Report) -> Headline {
    let retained = report.retained.as_ref().map(|r| &r.total);
    Headline {
        documents_in: retained.map(|r| r.input.documents),
        documents_kept: retained.map(|r| r.output.documents),
        tokens_in: retained.and_then(|r| r.input.tokens),
        tokens_kept: retained.and_then(|r| r.output.tokens),
        token_retention: retained.and_then(|r| r.token_share),
        mix: report
            .mix
            .iter()
            .flat_map(|m| &m.by_domain)
            .map(|(domain, d)| MixHeadline {
                domain: domain.clone(),
                target_share: d.target_share,
                realised_share: d.shard_share.unwrap_or(d.realised_share),
            })
            .collect(),
        target_tokens: report.budget.as_ref().map(|b| b.target_tokens),
        output_tokens: report.budget.as_ref().map(|b| b.output_tokens),
        chinchilla_gap_tokens: report.budget.as_ref().map(|b| b.output_surplus_tokens),
        params: report.budget.as_ref().map(|b| b.params),
    }
}

/// Source to filter profile, from the filter stage's summary.
pub fn filter_profiles(stages: &[StageDir]) -> BTreeMap<String, String> {
    stages
        .iter()
        .find(|s| s.name == "filter")
        .and_then(StageDir::summary)
        .and_then(|s| s.get("profiles"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(source, profile)| Some((source.clone(), profile.as_str()?.to_owned())))
        .collect()
}

fn cost_at(record: Option<&Value>, key: &str) -> Option<StepCost> {
    serde_json::from_value(record?.get(key)?.clone()).ok()
}

/// A stage's cost, as the runner recorded it in its `_stage.json`.
pub fn stage_cost(stage: &StageDir) -> Option<StepCost> {
    cost_at(stage.record.as_ref(), "cost")
}

/// The measured steps in run order: setup, each stage that has a cost (the funnel counting
/// after count). The report's own line is added when it is written.
pub fn cost_lines(
    run: Option<&RunRecord>,
    stages: &[StageDir],
    timings: &[StageTiming],
) -> Vec<CostLine> {
    let mut lines = Vec::new();
    if let Some(setup) = run.and_then(|r| r.setup) {
        lines.push(CostLine {
            step: "setup".to_owned(),
            cost: setup,
        });
    }
    for (stage, timing) in stages.iter().zip(timings) {
        let failed = run
            .and_then(|r| r.failure.as_ref())
            .filter(|f| f.stage == timing.stage);
        if let Some(cost) = timing.cost.or(failed.and_then(|f| f.cost)) {
            lines.push(CostLine {
                step: timing.stage.clone(),
                cost,
            });
        }
        if let Some(cost) = cost_at(stage.record.as_ref(), FUNNEL_COST_KEY) {
            lines.push(CostLine {
                step: format!("{}.funnel", stage.name),
                cost,
            });
        }
    }
    lines
}
