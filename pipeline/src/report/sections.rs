//! The sections of the report that read one stage's own numbers: dedup's clusters, the
//! tokenizer, the mix plan and budget (`05-mix/plan.json`), the shards' manifest.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use curate_tokenizer::budget::{pf_days, training_flops};
use serde::Deserialize;
use serde_json::Value;

use super::model::{
    BudgetView, DedupReport, DomainMixRow, DuplicateShare, GroupFunnel, MixReport, ShardsReport,
    ShareRow, SliceMixRow, SourceMixRow, StageFunnel, TokenFit, TokenizerReport,
};
use super::records::{StageDir, f64_at, read_json, str_at, u64_at};
use crate::stages::Stage;
use crate::stages::mix::{MixSummary, PLAN_FILE, SourceSelection};
use crate::stages::shard::manifest::{MANIFEST_FILE, Manifest};

fn ratio(part: f64, whole: f64) -> f64 {
    if whole == 0.0 { 0.0 } else { part / whole }
}

fn opt_ratio(part: Option<u64>, whole: Option<u64>) -> Option<f64> {
    match (part, whole) {
        (Some(p), Some(w)) if w > 0 => Some(p as f64 / w as f64),
        _ => None,
    }
}

fn duplicate_share(group: &GroupFunnel) -> DuplicateShare {
    DuplicateShare {
        input: group.input,
        removed: group.dropped,
        document_share: ratio(group.dropped.documents as f64, group.input.documents as f64),
        byte_share: opt_ratio(group.dropped.bytes, group.input.bytes),
        token_share: opt_ratio(group.dropped.tokens, group.input.tokens),
    }
}

/// Duplicates per source and the cluster sizes the dedup stage recorded.
pub fn dedup(stage: &StageDir, funnel: &StageFunnel) -> Option<DedupReport> {
    let stats = stage.summary().and_then(|s| s.get("dedup"));
    let number = |key: &str| stats.and_then(|s| u64_at(s, &[key])).unwrap_or(0);
    let cluster_sizes: BTreeMap<u64, u64> = stats
        .and_then(|s| s.get("cluster_sizes"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(size, n)| Some((size.parse().ok()?, n.as_u64()?)))
        .collect();
    Some(DedupReport {
        documents: stats
            .and_then(|s| u64_at(s, &["documents"]))
            .unwrap_or(funnel.total.input.documents),
        exact_removed: number("exact_removed"),
        minhash_removed: number("minhash_removed"),
        lines_removed: funnel.total.by_step.get("lines").map_or(0, |f| f.documents),
        candidate_pairs: number("candidate_pairs"),
        confirmed_pairs: number("confirmed_pairs"),
        frequent_lines: number("frequent_lines"),
        bytes_edited_out: funnel.total.edited_bytes,
        cluster_sizes,
        index_bytes_per_document: stats
            .and_then(|s| f64_at(s, &["memory", "bytes_per_document"]))
            .unwrap_or(0.0),
        by_source: funnel
            .by_source
            .iter()
            .map(|(name, g)| (name.clone(), duplicate_share(g)))
            .collect(),
        total: duplicate_share(&funnel.total),
    })
}

fn fit(flow: &super::model::Flow) -> Option<TokenFit> {
    let (bytes, tokens) = (flow.bytes?, flow.tokens?);
    Some(TokenFit {
        documents: flow.documents,
        bytes,
        tokens,
        bytes_per_token: ratio(bytes as f64, tokens as f64),
    })
}

/// The tokenizer's record, and bytes per token of the last stage whose tokens are known.
pub fn tokenizer(
    stage: Option<&StageDir>,
    counted: Option<&StageFunnel>,
) -> Option<TokenizerReport> {
    let summary = stage.and_then(StageDir::summary);
    if summary.is_none() && counted.is_none() {
        return None;
    }
    let text = |key: &str| summary.and_then(|s| str_at(s, &[key])).map(str::to_owned);
    Some(TokenizerReport {
        vocab_size: summary.and_then(|s| u64_at(s, &["vocab_size"])),
        requested_vocab_size: summary.and_then(|s| u64_at(s, &["requested_vocab_size"])),
        origin: text("origin"),
        fingerprint: text("fingerprint"),
        eos_token: text("eos_token"),
        bytes_per_token: counted
            .and_then(|f| fit(&f.total.output))
            .map(|f| f.bytes_per_token),
        by_domain: counted
            .into_iter()
            .flat_map(|f| &f.by_domain)
            .filter_map(|(name, g)| Some((name.clone(), fit(&g.output)?)))
            .collect(),
        by_source: counted
            .into_iter()
            .flat_map(|f| &f.by_source)
            .filter_map(|(name, g)| Some((name.clone(), fit(&g.output)?)))
            .collect(),
    })
}

/// `plan.json` as far as the report reads it.
#[derive(Debug, Deserialize)]
struct PlanFileView {
    budget: Option<BudgetFileView>,
    plan: Option<PlanView>,
    #[serde(default)]
    selection: BTreeMap<String, SourceSelection>,
}

#[derive(Debug, Deserialize)]
struct PlanView {
    #[serde(default)]
    sources: Vec<PlanSourceView>,
}

#[derive(Debug, Deserialize)]
struct PlanSourceView {
    name: String,
    domain: String,
    available_tokens: u64,
    planned_tokens: u64,
    rate: f64,
    full_repeats: u64,
}

#[derive(Debug, Deserialize)]
struct BudgetFileView {
    params: f64,
    target_tokens: f64,
    target_tokens_per_param: f64,
    available_tokens: f64,
    surplus_tokens: f64,
    epochs_needed: f64,
    compute_flops: f64,
    compute_pf_days: f64,
}

fn read_plan(stage: &StageDir) -> Result<Option<PlanFileView>> {
    let path = stage.path.join(PLAN_FILE);
    let Some(value) = read_json(&path)? else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_value(value).with_context(|| {
        format!("{} is not a mix plan", path.display())
    })?))
}

/// Target against realised shares per domain and source, with the shards' where written.
pub fn mix(stage: &StageDir, shards: Option<&ShardsReport>) -> Result<Option<MixReport>> {
    let Some(summary) = stage.summary() else {
        return Ok(None);
    };
    let summary: MixSummary = serde_json::from_value(summary.clone())
        .with_context(|| format!("{} holds no mix summary", stage.path.display()))?;
    let plan = read_plan(stage)?;
    let shard_domain = |name: &str| shards.and_then(|s| s.by_domain.get(name)).copied();
    let shard_source = |name: &str| shards.and_then(|s| s.by_source.get(name)).copied();
    let by_domain = summary
        .by_domain
        .iter()
        .map(|(name, d)| {
            let row = DomainMixRow {
                target_share: d.target_share,
                available_tokens: d.available_tokens,
                planned_tokens: d.planned_tokens,
                planned_share: d.planned_share,
                realised_tokens: d.realised_tokens,
                realised_share: d.realised_share,
                epochs: d.epochs,
                shard_tokens: shard_domain(name).map(|s| s.tokens),
                shard_share: shard_domain(name).map(|s| s.share),
            };
            (name.clone(), row)
        })
        .collect();
    let mut by_source = BTreeMap::new();
    let mut routed_slices = Vec::new();
    if let Some(plan) = &plan {
        // The plan has one entry per slice; a source with routed documents has several.
        let mut slices: BTreeMap<&str, Vec<&PlanSourceView>> = BTreeMap::new();
        for slice in plan.plan.iter().flat_map(|p| &p.sources) {
            slices.entry(slice.name.as_str()).or_default().push(slice);
        }
        for (name, slices) in slices {
            let selected = plan.selection.get(name).cloned().unwrap_or_default();
            let available: u64 = slices.iter().map(|s| s.available_tokens).sum();
            let planned: u64 = slices.iter().map(|s| s.planned_tokens).sum();
            let (domain, rate) = match (slices.as_slice(), &selected.slices) {
                ([only], None) => (only.domain.clone(), only.rate),
                _ => (
                    selected.domain.clone(),
                    ratio(planned as f64, available as f64),
                ),
            };
            let row = SourceMixRow {
                domain,
                available_tokens: available,
                planned_tokens: planned,
                planned_share: ratio(planned as f64, summary.planned_tokens as f64),
                realised_tokens: selected.realised_tokens,
                realised_share: ratio(
                    selected.realised_tokens as f64,
                    summary.realised_tokens as f64,
                ),
                rate,
                full_repeats: slices.iter().map(|s| s.full_repeats).min().unwrap_or(0),
                documents: selected.documents,
                documents_selected: selected.documents_selected,
                copies: selected.copies,
                shard_tokens: shard_source(name).map(|s| s.tokens),
                shard_share: shard_source(name).map(|s| s.share),
            };
            by_source.insert(name.to_owned(), row);
            let Some(selected_slices) = &selected.slices else {
                continue;
            };
            for slice in slices {
                let got = selected_slices
                    .get(&slice.domain)
                    .cloned()
                    .unwrap_or_default();
                routed_slices.push(SliceMixRow {
                    source: name.to_owned(),
                    domain: slice.domain.clone(),
                    available_tokens: slice.available_tokens,
                    planned_tokens: slice.planned_tokens,
                    realised_tokens: got.realised_tokens,
                    rate: slice.rate,
                    full_repeats: slice.full_repeats,
                    documents: got.documents,
                    documents_selected: got.documents_selected,
                    copies: got.copies,
                });
            }
        }
    }
    Ok(Some(MixReport {
        planned_tokens: summary.planned_tokens,
        realised_tokens: summary.realised_tokens,
        by_domain,
        by_source,
        routed_slices,
        shortfall: summary.shortfall,
    }))
}

/// The Chinchilla budget of `plan.json` against the unique tokens and the output's.
pub fn budget(
    stage: &StageDir,
    mix: Option<&MixReport>,
    shards: Option<&ShardsReport>,
) -> Result<Option<BudgetView>> {
    let Some(budget) = read_plan(stage)?.and_then(|p| p.budget) else {
        return Ok(None);
    };
    let output_tokens = shards
        .map(|s| s.tokens)
        .or(mix.map(|m| m.realised_tokens))
        .unwrap_or(0);
    let output_flops = training_flops(budget.params, output_tokens as f64);
    Ok(Some(BudgetView {
        params: budget.params,
        target_tokens: budget.target_tokens,
        target_tokens_per_param: budget.target_tokens_per_param,
        available_tokens: budget.available_tokens,
        surplus_tokens: budget.surplus_tokens,
        epochs_needed: budget.epochs_needed,
        available_tokens_per_param: ratio(budget.available_tokens, budget.params),
        output_tokens,
        output_tokens_per_param: ratio(output_tokens as f64, budget.params),
        output_surplus_tokens: output_tokens as f64 - budget.target_tokens,
        target_flops: budget.compute_flops,
        target_pf_days: budget.compute_pf_days,
        output_flops,
        output_pf_days: pf_days(output_flops),
    }))
}

/// The shards from `shards/manifest.json`; `None` when the run wrote none.
pub fn shards(run_dir: &Path) -> Result<Option<ShardsReport>> {
    let dir = run_dir.join(Stage::Shard.dir_name());
    if !dir.join(MANIFEST_FILE).is_file() {
        return Ok(None);
    }
    let manifest = Manifest::read(&dir)?;
    let row = |tokens: u64, share: f64| ShareRow { tokens, share };
    Ok(Some(ShardsReport {
        seq_len: manifest.seq_len as u64,
        sequences: manifest.sequences,
        tokens: manifest.tokens,
        padding_tokens: manifest.padding_tokens,
        dropped_tokens: manifest.dropped_tokens,
        files: manifest.shards.len() as u64,
        bytes: manifest.shards.iter().map(|f| f.bytes).sum(),
        by_domain: (manifest.mix.by_domain.iter())
            .map(|(name, t)| (name.clone(), row(t.tokens, t.share)))
            .collect(),
        by_source: (manifest.mix.by_source.iter())
            .map(|(name, t)| (name.clone(), row(t.tokens, t.share)))
            .collect(),
    }))
}
