//! The mix stage, a reduce step over the count stage: how many tokens of each slice go into
//! the output so that each domain gets its target share (`[mix.shares]`), within
//! `max_epochs` passes over any slice, for a total of everything the shares allow
//! (`total = "all"`) or the Chinchilla target of `[budget]` (`total = "budget"`).
//!
//! A slice is a source's documents in one domain (the count stage's `by_slice`): a source
//! is one slice unless a domain classifier routed some of its documents elsewhere, and then
//! the routed documents are planned as a slice of the domain they were routed to, so
//! finance pages found in a web crawl count toward the finance share.
//!
//! Writes `plan.json` (the budget, the plan with a rate per slice, what the selection gives
//! each source and slice, the realised shares and any shortfall in words) and
//! `selection.parquet`: the copies of each selected document (`source`, `id`, `copies`,
//! `token_count`), which the shard stage repeats. A slice at rate `r` gives every document
//! `floor(r)` copies, plus one more to the documents that `sample::select_documents` picks
//! (in seed-keyed order) for the fractional part: that is token-exact to within one
//! document per slice, where an independent per-document draw would miss a 0.1
//! percentage-point target on a few thousand long documents.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use arrow::array::{RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use curate_tokenizer::budget::{BudgetInput, BudgetReport, Compute, DomainTokens, compute_budget};
use curate_tokenizer::format::{percent, thousands, tokens};
use curate_tokenizer::mix::{MixInput, MixPlan, MixTotal, SourcePlan, SourceTokens, plan_mix};
use curate_tokenizer::sample::{id_hash, select_documents};
use serde::{Deserialize, Serialize};

use super::count::{CountRecord, SliceTokens};
use super::partitioned::record_fingerprint;
use super::parts::{READ_BATCH_ROWS, open_columns, typed_column};
use super::{Stage, StageContext, StageOutcome, invalidate_record, prepare_stage_dir};
use crate::job::ResolvedJob;
use crate::run::atomic::write_atomic;
use crate::run::fingerprint::fingerprint_config;
use crate::run::part_writer::PartWriter;
use crate::run::stage_record::{FORMAT_VERSION, StageRecord, StageStatus};

/// The plan, as JSON, in the stage directory.
pub const PLAN_FILE: &str = "plan.json";
/// Copies per selected document, in the stage directory.
pub const SELECTION_FILE: &str = "selection.parquet";

/// The record of the mix stage: no partitions, a summary.
pub type MixRecord = StageRecord<(), MixSummary>;

/// The mix in `_stage.json`: per domain the target, the plan and what the selection gives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MixSummary {
    pub planned_tokens: u64,
    /// Tokens of the selected copies (the planned tokens to within a document per slice).
    pub realised_tokens: u64,
    pub by_domain: BTreeMap<String, DomainMix>,
    /// Why the requested total could not be met with the target shares.
    pub shortfall: Option<String>,
    /// How the output compares with the `[budget]` target, when one is set.
    pub budget: Option<String>,
}

/// One domain in the mix summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainMix {
    pub target_share: f64,
    pub available_tokens: u64,
    pub planned_tokens: u64,
    pub planned_share: f64,
    pub realised_tokens: u64,
    pub realised_share: f64,
    /// Passes over the domain's tokens the selection makes.
    pub epochs: f64,
}

/// What the selection gives one source: the sums over its slices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceSelection {
    /// The domain the source declares.
    pub domain: String,
    pub documents: u64,
    pub documents_selected: u64,
    pub copies: u64,
    pub planned_tokens: u64,
    pub realised_tokens: u64,
    /// Per document domain, present when some of the source's documents were routed out of
    /// its declared domain (absent, the source is one slice in its declared domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slices: Option<BTreeMap<String, SliceSelection>>,
}

/// What the selection gives one slice: a source's documents in one domain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SliceSelection {
    pub documents: u64,
    pub documents_selected: u64,
    pub copies: u64,
    pub planned_tokens: u64,
    pub realised_tokens: u64,
}

impl SourceSelection {
    /// The source's selection from its slices' (`domain -> selection`).
    fn of_slices(declared: &str, slices: BTreeMap<String, SliceSelection>) -> SourceSelection {
        let mut source = SourceSelection {
            domain: declared.to_owned(),
            ..SourceSelection::default()
        };
        for slice in slices.values() {
            source.documents += slice.documents;
            source.documents_selected += slice.documents_selected;
            source.copies += slice.copies;
            source.planned_tokens += slice.planned_tokens;
            source.realised_tokens += slice.realised_tokens;
        }
        let routed = slices.keys().any(|domain| domain != declared);
        source.slices = routed.then_some(slices);
        source
    }
}

/// `plan.json`.
#[derive(Debug, Serialize)]
struct PlanFile<'a> {
    seed: u64,
    /// xxh3-64 of the tokenizer the counts were made with.
    tokenizer: &'a str,
    total: &'a str,
    budget: Option<&'a BudgetReport>,
    plan: &'a MixPlan,
    selection: &'a BTreeMap<String, SourceSelection>,
    summary: &'a MixSummary,
}

pub fn run(context: &StageContext<'_>) -> Result<StageOutcome> {
    let job = context.job;
    let stage_dir = context.stage_dir("mix");
    let count_dir = context.stage_dir("count");
    let counts = CountRecord::read(&count_dir)
        .filter(|r| r.status == StageStatus::Complete)
        .with_context(|| format!("{} holds no complete count stage", count_dir.display()))?;
    let token_summary = counts.summary.clone().unwrap_or_default();
    let config_fingerprint = fingerprint_config(&(FORMAT_VERSION, &job.mix, &job.budget, job.seed));
    let input_fingerprint = record_fingerprint(&counts);
    if !context.force
        && let Some(record) = MixRecord::read(&stage_dir)
        && record.is_complete_for(&config_fingerprint, &input_fingerprint)
        && stage_dir.join(PLAN_FILE).is_file()
        && stage_dir.join(SELECTION_FILE).is_file()
    {
        return Ok(StageOutcome::UpToDate {
            fingerprint: record_fingerprint(&record),
        });
    }
    prepare_stage_dir(&stage_dir, &[])?;
    invalidate_record(&stage_dir)?;
    let started = Instant::now();
    let empty: Vec<&str> = job
        .mix
        .shares
        .iter()
        .filter(|(domain, share)| {
            **share > 0.0
                && token_summary
                    .by_domain
                    .get(*domain)
                    .is_none_or(|c| c.tokens == 0)
        })
        .map(|(domain, _)| domain.as_str())
        .collect();
    if !empty.is_empty() && !job.mix.allow_empty_domains {
        let sources: Vec<&str> = job
            .sources
            .iter()
            .filter(|s| empty.contains(&s.domain.as_str()))
            .map(|s| s.name.as_str())
            .collect();
        bail!(
            "domain {} has no tokens left for the mix: every document of its sources ({}) was \
             dropped before it (the report's funnel, or `curate query RUN \"SELECT source, \
             step, reason, count(*) FROM drops GROUP BY 1, 2, 3\"`, says where); set [mix] \
             allow_empty_domains = true to mix without it",
            empty.join(", "),
            sources.join(", ")
        );
    }

    let shares = shares_without(&job.mix.shares, &empty)?;
    let available: Vec<(String, u64)> = token_summary
        .by_domain
        .iter()
        .map(|(d, c)| (d.clone(), c.tokens))
        .collect();
    let budget = budget_report(job, &available, &shares)?;
    let total = match (job.mix.total.as_str(), &budget) {
        ("budget", Some(report)) => MixTotal::Tokens(report.target_tokens.round() as u64),
        ("budget", None) => bail!("mix.total = \"budget\" needs [budget] params or compute_flops"),
        _ => MixTotal::Everything,
    };
    let input = MixInput {
        sources: slice_inputs(&token_summary.by_slice),
        shares,
        max_epochs: job.mix.max_epochs,
        total,
        on_shortfall: job.mix.on_shortfall,
    };
    let mut plan = plan_mix(&input).context("cannot plan the mix")?;
    let declared: BTreeMap<String, String> = token_summary
        .by_source
        .iter()
        .map(|(name, s)| (name.clone(), s.domain.clone()))
        .collect();
    if let Some(shortfall) = plan.shortfall.as_mut() {
        let short: Vec<String> = shortfall.domains.iter().map(|d| d.domain.clone()).collect();
        shortfall
            .message
            .push_str(&routed_note(&plan.sources, &declared, &short));
    }

    let parts: Vec<std::path::PathBuf> = counts
        .partitions_done
        .values()
        .map(|p| count_dir.join(&p.part))
        .collect();
    let slices = select(&plan, &parts, job.seed, &stage_dir.join(SELECTION_FILE))?;
    let selection = by_source(slices, &declared);
    let summary = summarize(&plan, &selection, budget.as_ref());
    let plan_file = PlanFile {
        seed: job.seed,
        tokenizer: &token_summary.tokenizer,
        total: &job.mix.total,
        budget: budget.as_ref(),
        plan: &plan,
        selection: &selection,
        summary: &summary,
    };
    let mut json = serde_json::to_vec_pretty(&plan_file)?;
    json.push(b'\n');
    write_atomic(&stage_dir.join(PLAN_FILE), &json)
        .with_context(|| format!("cannot write {}", stage_dir.display()))?;
    let record = MixRecord::complete(
        "mix",
        config_fingerprint,
        input_fingerprint,
        Vec::new(),
        summary.clone(),
        started.elapsed().as_secs_f64(),
    );
    record
        .write(&stage_dir)
        .with_context(|| format!("cannot write {}", stage_dir.display()))?;
    Ok(StageOutcome::Ran {
        fingerprint: record_fingerprint(&record),
        summary: summary_line(&summary, record.seconds),
    })
}

/// The Chinchilla budget of `[budget]` against the counted tokens, the target split by the
/// mix shares; `None` when the job names neither a model size nor a compute budget.
/// The target shares without the `empty` domains (`allow_empty_domains`), the others
/// scaled to sum to 1 again: the mix is made of what is left, in the same proportions.
fn shares_without(shares: &BTreeMap<String, f64>, empty: &[&str]) -> Result<BTreeMap<String, f64>> {
    if empty.is_empty() {
        return Ok(shares.clone());
    }
    tracing::warn!(
        "domain {} has no tokens left: mixing without it (allow_empty_domains)",
        empty.join(", ")
    );
    let kept: BTreeMap<String, f64> = shares
        .iter()
        .filter(|(domain, _)| !empty.contains(&domain.as_str()))
        .map(|(domain, share)| (domain.clone(), *share))
        .collect();
    let total: f64 = kept.values().sum();
    if total <= 0.0 {
        bail!("no domain with a share has tokens left for the mix");
    }
    Ok(kept
        .into_iter()
        .map(|(domain, share)| (domain, share / total))
        .collect())
}

fn budget_report(
    job: &ResolvedJob,
    available: &[(String, u64)],
    shares: &BTreeMap<String, f64>,
) -> Result<Option<BudgetReport>> {
    let budget = &job.budget;
    if budget.params.is_none() && budget.compute_flops.is_none() {
        return Ok(None);
    }
    let input = BudgetInput {
        params: budget.params,
        compute: budget.compute_flops.map(Compute::Flops),
        tokens_per_param: budget.tokens_per_param,
        available: available
            .iter()
            .map(|(domain, tokens)| DomainTokens {
                domain: domain.clone(),
                tokens: *tokens as f64,
                target_share: shares.get(domain).copied(),
            })
            .collect(),
        ..BudgetInput::default()
    };
    Ok(Some(
        compute_budget(&input).context("cannot compute the budget")?,
    ))
}

/// The planner's input: one entry per slice, by source then domain name. A job without
/// routing has one slice per source, in source order, as the plan always had.
fn slice_inputs(by_slice: &SliceTokens) -> Vec<SourceTokens> {
    by_slice
        .iter()
        .flat_map(|(name, domains)| {
            domains.iter().map(move |(domain, counts)| SourceTokens {
                name: name.clone(),
                domain: domain.clone(),
                tokens: counts.tokens,
                weight: None,
            })
        })
        .collect()
}

/// One sentence per short domain that holds routed documents, so that the shortfall's
/// "holds N tokens" can be traced: ` Domain "finance" holds 1,234 of them routed from
/// other sources (blog).` Empty when no short domain holds any.
fn routed_note(
    slices: &[SourcePlan],
    declared: &BTreeMap<String, String>,
    short: &[String],
) -> String {
    let mut note = String::new();
    for domain in short {
        let routed: Vec<&SourcePlan> = slices
            .iter()
            .filter(|s| &s.domain == domain && declared.get(&s.name) != Some(&s.domain))
            .collect();
        if routed.is_empty() {
            continue;
        }
        let tokens: u64 = routed.iter().map(|s| s.available_tokens).sum();
        let names: Vec<&str> = routed.iter().map(|s| s.name.as_str()).collect();
        note.push_str(&format!(
            " Domain {domain:?} holds {} of them routed from other sources ({}).",
            thousands(tokens),
            names.join(", ")
        ));
    }
    note
}

/// Decides the copies of every document, writes them to `output`, and returns what each
/// slice got, in plan order. Documents are visited in part order, so the file is the same
/// on every run.
fn select(
    plan: &MixPlan,
    parts: &[std::path::PathBuf],
    seed: u64,
    output: &Path,
) -> Result<Vec<(String, String, SliceSelection)>> {
    // (id, tokens) per slice (source, document domain), in part order.
    let mut docs: BTreeMap<(String, String), Vec<(String, u64)>> = BTreeMap::new();
    for part in parts {
        // Only these columns: not the text or the ids.
        let reader = open_columns(
            part,
            &["id", "source", "domain", "token_count"],
            READ_BATCH_ROWS,
        )?;
        for batch in reader {
            let batch = batch.with_context(|| format!("cannot read {}", part.display()))?;
            let ids: &StringArray = typed_column(&batch, "id", part)?;
            let sources: &StringArray = typed_column(&batch, "source", part)?;
            let domains: &StringArray = typed_column(&batch, "domain", part)?;
            let counts: &UInt64Array = typed_column(&batch, "token_count", part)?;
            for row in 0..batch.num_rows() {
                let slice = (sources.value(row).to_owned(), domains.value(row).to_owned());
                docs.entry(slice)
                    .or_default()
                    .push((ids.value(row).to_owned(), counts.value(row)));
            }
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("id", DataType::Utf8, false),
        Field::new("copies", DataType::UInt32, false),
        Field::new("token_count", DataType::UInt64, false),
    ]));
    let mut writer = PartWriter::create(output, schema.clone(), 65_536)?;
    let mut selection = Vec::with_capacity(plan.sources.len());
    for source in &plan.sources {
        let source_docs = docs
            .remove(&(source.name.clone(), source.domain.clone()))
            .unwrap_or_default();
        let keyed: Vec<(u64, u64)> = source_docs
            .iter()
            .map(|(id, t)| (id_hash(id), *t))
            .collect();
        let extra = select_documents(&keyed, source.sampled_tokens, seed);
        let full = u32::try_from(source.full_repeats).context("too many repeats")?;
        let mut stats = SliceSelection {
            documents: source_docs.len() as u64,
            planned_tokens: source.planned_tokens,
            ..SliceSelection::default()
        };
        let (mut names, mut ids, mut copies, mut counts) = (vec![], vec![], vec![], vec![]);
        for ((id, t), extra) in source_docs.iter().zip(extra) {
            let n = full + u32::from(extra);
            if n == 0 {
                continue;
            }
            stats.documents_selected += 1;
            stats.copies += u64::from(n);
            stats.realised_tokens += u64::from(n) * t;
            names.push(source.name.as_str());
            ids.push(id.as_str());
            copies.push(n);
            counts.push(*t);
        }
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(names)),
                Arc::new(StringArray::from(ids)),
                Arc::new(UInt32Array::from(copies)),
                Arc::new(UInt64Array::from(counts)),
            ],
        )?;
        writer.write(&batch)?;
        selection.push((source.name.clone(), source.domain.clone(), stats));
    }
    writer.commit()?;
    Ok(selection)
}

/// The slices' selections grouped by source, each under the domain its source declares.
fn by_source(
    slices: Vec<(String, String, SliceSelection)>,
    declared: &BTreeMap<String, String>,
) -> BTreeMap<String, SourceSelection> {
    let mut grouped: BTreeMap<String, BTreeMap<String, SliceSelection>> = BTreeMap::new();
    for (source, domain, selection) in slices {
        grouped.entry(source).or_default().insert(domain, selection);
    }
    grouped
        .into_iter()
        .map(|(source, slices)| {
            // A source the count stage saw has its declared domain; the fallback (its only
            // slice's domain) keeps a source out of `by_source` from reading as routed.
            let fallback = slices.keys().next().cloned().unwrap_or_default();
            let domain = declared.get(&source).cloned().unwrap_or(fallback);
            let selection = SourceSelection::of_slices(&domain, slices);
            (source, selection)
        })
        .collect()
}

fn summarize(
    plan: &MixPlan,
    selection: &BTreeMap<String, SourceSelection>,
    budget: Option<&BudgetReport>,
) -> MixSummary {
    let realised_total: u64 = selection.values().map(|s| s.realised_tokens).sum();
    // Realised tokens per document domain: a routed slice counts where it was routed.
    let mut realised_by_domain: BTreeMap<&str, u64> = BTreeMap::new();
    for source in selection.values() {
        match &source.slices {
            Some(slices) => {
                for (domain, slice) in slices {
                    *realised_by_domain.entry(domain).or_default() += slice.realised_tokens;
                }
            }
            None => {
                *realised_by_domain.entry(&source.domain).or_default() += source.realised_tokens;
            }
        }
    }
    let share = |part: u64, whole: u64| {
        if whole == 0 {
            0.0
        } else {
            part as f64 / whole as f64
        }
    };
    let by_domain = plan
        .domains
        .iter()
        .map(|d| {
            let realised = realised_by_domain
                .get(d.domain.as_str())
                .copied()
                .unwrap_or(0);
            let mix = DomainMix {
                target_share: d.target_share,
                available_tokens: d.available_tokens,
                planned_tokens: d.planned_tokens,
                planned_share: d.realised_share,
                realised_tokens: realised,
                realised_share: share(realised, realised_total),
                epochs: share(realised, d.available_tokens),
            };
            (d.domain.clone(), mix)
        })
        .collect();
    MixSummary {
        planned_tokens: plan.total_tokens,
        realised_tokens: realised_total,
        by_domain,
        shortfall: plan.shortfall.as_ref().map(|s| s.message.clone()),
        budget: budget.map(|b| budget_line(b, plan.total_tokens)),
    }
}

/// The budget in one sentence: target, what the plan gives, and the gap.
fn budget_line(report: &BudgetReport, planned: u64) -> String {
    let mut line = format!(
        "target {} for {} parameters ({:.0} per parameter)",
        tokens(report.target_tokens),
        curate_tokenizer::format::si(report.params),
        report.target_tokens_per_param
    );
    let planned = planned as f64;
    if planned < report.target_tokens {
        line.push_str(&format!(
            "; the mix gives {} ({} of it): {} short; the corpus holds {} unique, \
             {} epochs would be needed",
            thousands(planned as u64),
            small_percent(planned / report.target_tokens),
            tokens(report.target_tokens - planned),
            tokens(report.available_tokens),
            epochs(report.epochs_needed)
        ));
    } else {
        line.push_str(&format!("; the mix gives {}", tokens(planned)));
    }
    line
}

/// Epochs as people read them: `3.46`, or `1.06M` when the data is hopelessly short.
fn epochs(value: f64) -> String {
    if value < 1000.0 {
        format!("{value:.2}")
    } else {
        curate_tokenizer::format::si(value)
    }
}

/// A percentage that stays readable when tiny (`0.0004%` rather than `0.00%`).
fn small_percent(fraction: f64) -> String {
    if fraction > 0.0 && fraction < 1e-4 {
        format!("{:.2e}%", fraction * 100.0)
    } else {
        percent(fraction)
    }
}

fn summary_line(summary: &MixSummary, seconds: f64) -> String {
    let domains: Vec<String> = summary
        .by_domain
        .iter()
        .map(|(d, m)| {
            format!(
                "{d} {} (target {}, {:.2} epochs)",
                percent(m.realised_share),
                percent(m.target_share),
                m.epochs
            )
        })
        .collect();
    let mut line = format!(
        "{} tokens selected (plan {}): {} in {:.1}s",
        thousands(summary.realised_tokens),
        thousands(summary.planned_tokens),
        domains.join(", "),
        seconds
    );
    if let Some(shortfall) = &summary.shortfall {
        line.push_str(&format!("; SHORTFALL: {shortfall}"));
    }
    if let Some(budget) = &summary.budget {
        line.push_str(&format!("; budget: {budget}"));
    }
    line
}

/// Whether a job runs the mix stage: it needs token counts and target shares.
pub fn is_enabled(job: &ResolvedJob) -> bool {
    Stage::Count.is_enabled(job) && !job.mix.shares.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(documents: u64, planned: u64, realised: u64) -> SliceSelection {
        SliceSelection {
            documents,
            documents_selected: documents,
            copies: 2 * documents,
            planned_tokens: planned,
            realised_tokens: realised,
        }
    }

    fn plan_entry(name: &str, domain: &str, available: u64) -> SourcePlan {
        SourcePlan {
            name: name.into(),
            domain: domain.into(),
            available_tokens: available,
            weight: available as f64,
            planned_tokens: 0,
            rate: 0.0,
            full_repeats: 0,
            sampled_tokens: 0,
            sample_fraction: 0.0,
        }
    }

    #[test]
    fn slices_are_shown_only_for_routed_sources() {
        let declared = BTreeMap::from([
            ("news".to_string(), "finance".to_string()),
            ("web".to_string(), "general".to_string()),
        ]);
        let selection = by_source(
            vec![
                ("news".into(), "finance".into(), slice(6, 600, 598)),
                ("web".into(), "finance".into(), slice(2, 200, 200)),
                ("web".into(), "general".into(), slice(5, 500, 490)),
            ],
            &declared,
        );
        let news = &selection["news"];
        assert_eq!(
            (news.domain.as_str(), news.realised_tokens),
            ("finance", 598)
        );
        assert_eq!(news.slices, None);
        let web = &selection["web"];
        assert_eq!(web.domain, "general");
        assert_eq!(
            (
                web.documents,
                web.copies,
                web.planned_tokens,
                web.realised_tokens
            ),
            (7, 14, 700, 690)
        );
        let slices = web.slices.as_ref().unwrap();
        assert_eq!(slices["finance"].realised_tokens, 200);
        assert_eq!(slices["general"].realised_tokens, 490);
        // Without routing, `plan.json` holds what it held before slices existed.
        let json = serde_json::to_value(news).unwrap();
        assert!(json.get("slices").is_none(), "{json}");

        // A source whose documents were all routed still shows its one slice.
        let moved = by_source(
            vec![("web".into(), "finance".into(), slice(2, 200, 200))],
            &declared,
        );
        assert_eq!(moved["web"].domain, "general");
        assert!(
            moved["web"]
                .slices
                .as_ref()
                .unwrap()
                .contains_key("finance")
        );
    }

    #[test]
    fn realised_tokens_count_where_documents_were_routed() {
        let plan = plan_mix(&MixInput {
            sources: vec![
                SourceTokens {
                    name: "news".into(),
                    domain: "finance".into(),
                    tokens: 300,
                    weight: None,
                },
                SourceTokens {
                    name: "web".into(),
                    domain: "finance".into(),
                    tokens: 100,
                    weight: None,
                },
                SourceTokens {
                    name: "web".into(),
                    domain: "general".into(),
                    tokens: 1_000,
                    weight: None,
                },
            ],
            shares: BTreeMap::from([("finance".into(), 0.5), ("general".into(), 0.5)]),
            max_epochs: 1.0,
            total: MixTotal::Everything,
            on_shortfall: Default::default(),
        })
        .unwrap();
        assert_eq!(plan.total_tokens, 800);
        let declared = BTreeMap::from([
            ("news".to_string(), "finance".to_string()),
            ("web".to_string(), "general".to_string()),
        ]);
        let selection = by_source(
            vec![
                ("news".into(), "finance".into(), slice(3, 300, 300)),
                ("web".into(), "finance".into(), slice(1, 100, 100)),
                ("web".into(), "general".into(), slice(9, 400, 390)),
            ],
            &declared,
        );
        let summary = summarize(&plan, &selection, None);
        assert_eq!(summary.realised_tokens, 790);
        let finance = &summary.by_domain["finance"];
        assert_eq!(
            (
                finance.available_tokens,
                finance.planned_tokens,
                finance.realised_tokens
            ),
            (400, 400, 400)
        );
        assert_eq!(summary.by_domain["general"].realised_tokens, 390);
    }

    #[test]
    fn a_shortfall_names_the_routed_tokens_of_a_short_domain() {
        let declared = BTreeMap::from([
            ("news".to_string(), "finance".to_string()),
            ("web".to_string(), "general".to_string()),
            ("blog".to_string(), "general".to_string()),
        ]);
        let slices = vec![
            plan_entry("blog", "finance", 1_200),
            plan_entry("news", "finance", 5_000),
            plan_entry("web", "finance", 34),
            plan_entry("web", "general", 90_000),
        ];
        assert_eq!(
            routed_note(&slices, &declared, &["finance".into()]),
            " Domain \"finance\" holds 1,234 of them routed from other sources (blog, web)."
        );
        assert_eq!(routed_note(&slices, &declared, &["general".into()]), "");
    }

    #[test]
    fn tiny_percentages_stay_readable() {
        assert_eq!(small_percent(0.5127), "51.27%");
        assert_eq!(small_percent(3.69e-6), "3.69e-4%");
        assert_eq!(small_percent(0.0), "0.00%");
    }
}
