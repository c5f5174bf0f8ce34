//! The alerts at the top of a report: what needs a look, each with the number that
//! triggered it and where to look. They are derived from the report's own numbers, so
//! `report.json` and the pages always agree with them.

use super::model::{Alert, Report, Severity, StageFunnel};
use super::text::{count, percent};

/// A source repeated this many times or more is worth a look while other tokens go unused.
const REPEAT_EPOCHS: f64 = 2.0;
/// A domain using less than this share of its tokens counts as mostly unused.
const UNUSED_SHARE: f64 = 0.5;

fn alert(
    kind: &str,
    severity: Severity,
    subject: &str,
    message: String,
    value: Option<f64>,
    look_at: String,
) -> Alert {
    Alert {
        kind: kind.to_owned(),
        severity,
        subject: subject.to_owned(),
        message,
        value,
        look_at,
    }
}

/// Every alert of the report, most severe first (then in the order found).
pub fn alerts(report: &Report) -> Vec<Alert> {
    let mut alerts = Vec::new();
    if let Some(failure) = &report.failure {
        alerts.push(alert(
            "stage_failed",
            Severity::Error,
            &failure.stage,
            format!("stage {} failed: {}", failure.stage, failure.error),
            None,
            "the banner above; run.json; the stages before it kept their output".to_owned(),
        ));
    }
    if let Some((stage, cause)) = emptied(&report.funnel) {
        let dir = report
            .stages
            .iter()
            .find(|s| s.stage == stage.stage)
            .map_or(stage.stage.as_str(), |s| s.dir.as_str());
        alerts.push(alert(
            "stage_empty",
            Severity::Error,
            &stage.stage,
            format!("{} left no documents: {cause}", stage.stage),
            Some(stage.total.input.documents as f64),
            format!("Top reasons for dropping; {dir}/rejected/ or `curate query RUN \"SELECT step, reason, count(*) FROM drops GROUP BY 1, 2\"`"),
        ));
    }
    source_retention(report, &mut alerts);
    tokenizer(report, &mut alerts);
    mix(report, &mut alerts);
    alerts.sort_by_key(|a| a.severity);
    alerts
}

/// The first document stage that took documents in and let none out, and why.
pub fn emptied(funnels: &[StageFunnel]) -> Option<(&StageFunnel, String)> {
    let stage = funnels
        .iter()
        .find(|f| f.total.input.documents > 0 && f.total.output.documents == 0)?;
    Some((stage, empty_cause(stage)))
}

/// Which step removed everything: "language dropped all 18 documents".
pub fn empty_cause(stage: &StageFunnel) -> String {
    let total = stage.total.input.documents;
    if let Some(step) = stage
        .steps
        .iter()
        .find(|s| s.input.documents > 0 && s.output.documents == 0)
    {
        return if step.input.documents == total {
            format!("{} dropped all {} documents", step.step, count(total))
        } else {
            format!(
                "{} dropped all {} documents left of {}",
                step.step,
                count(step.input.documents),
                count(total)
            )
        };
    }
    let mut reasons: Vec<(&String, u64)> = stage
        .total
        .reasons
        .iter()
        .map(|(reason, flow)| (reason, flow.documents))
        .collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let named: Vec<String> = reasons
        .iter()
        .take(3)
        .map(|(reason, n)| format!("{reason} {}", count(*n)))
        .collect();
    format!(
        "all {} documents dropped ({})",
        count(total),
        if named.is_empty() {
            "no reason recorded".to_owned()
        } else {
            named.join(", ")
        }
    )
}

/// Sources that lost every document: the reason that took most of them, and the profile.
fn source_retention(report: &Report, alerts: &mut Vec<Alert>) {
    let Some(retained) = &report.retained else {
        return;
    };
    for (source, retention) in &retained.by_source {
        if retention.input.documents == 0 || retention.output.documents > 0 {
            continue;
        }
        let top = report
            .funnel
            .iter()
            .filter_map(|f| Some((f, f.by_source.get(source)?)))
            // Documents, not the records ingest skipped: those never reached the source.
            .flat_map(|(f, g)| {
                g.reasons
                    .iter()
                    .filter(|(_, flow)| flow.bytes.is_some())
                    .map(move |(r, flow)| (f, r, flow.documents))
            })
            .max_by(|a, b| a.2.cmp(&b.2).then(b.1.cmp(a.1)));
        let profile = report
            .filter_profiles
            .get(source)
            .map(|p| format!(" (filter profile {p})"))
            .unwrap_or_default();
        let why = top
            .map(|(f, reason, n)| format!(", mostly {reason} in {} ({})", f.stage, count(n)))
            .unwrap_or_default();
        alerts.push(alert(
            "source_zero_retention",
            Severity::Warning,
            source,
            format!(
                "source {source}{profile} kept 0% of its {} documents{why}",
                count(retention.input.documents)
            ),
            Some(0.0),
            format!(
                "Funnel, by source; `curate query RUN \"SELECT stage, step, reason, count(*) FROM drops WHERE source = '{source}' GROUP BY 1, 2, 3\"`"
            ),
        ));
    }
}

fn tokenizer(report: &Report, alerts: &mut Vec<Alert>) {
    let Some(tok) = &report.tokenizer else {
        return;
    };
    if let (Some(have), Some(asked)) = (tok.vocab_size, tok.requested_vocab_size)
        && have < asked
    {
        alerts.push(alert(
            "tokenizer_smaller",
            Severity::Warning,
            "tokenizer",
            format!(
                "the tokenizer has {} ids, {} were asked for: too little text to learn more merges",
                count(have),
                count(asked)
            ),
            Some(have as f64),
            "Tokenizer; tokenizer/_stage.json (add text or lower [tokenizer] vocab_size)"
                .to_owned(),
        ));
    }
}

/// The domain that binds the mix, and sources repeated while other tokens go unused.
fn mix(report: &Report, alerts: &mut Vec<Alert>) {
    let Some(mix) = &report.mix else {
        return;
    };
    let targeted: Vec<(&String, &super::model::DomainMixRow)> = mix
        .by_domain
        .iter()
        .filter(|(_, d)| d.target_share > 0.0)
        .collect();
    let used = |d: &super::model::DomainMixRow| {
        if d.available_tokens == 0 {
            0.0
        } else {
            d.realised_tokens as f64 / d.available_tokens as f64
        }
    };
    if targeted.len() >= 2
        && let Some((name, binding)) = targeted.iter().min_by(|a, b| {
            let key = |d: &super::model::DomainMixRow| d.available_tokens as f64 / d.target_share;
            key(a.1).total_cmp(&key(b.1))
        })
    {
        alerts.push(alert(
            "mix_binding_domain",
            Severity::Info,
            name,
            format!(
                "{name} binds the mix: {} unique tokens for a {} target, repeated {:.2} epochs",
                count(binding.available_tokens),
                percent(binding.target_share),
                binding.epochs
            ),
            Some(binding.epochs),
            "Mix (epochs per domain); [mix] max_epochs and the shares".to_owned(),
        ));
    }
    for (source, row) in &mix.by_source {
        if row.rate < REPEAT_EPOCHS {
            continue;
        }
        let unused = mix
            .by_domain
            .iter()
            .filter(|(domain, d)| **domain != row.domain && d.available_tokens > 0)
            .map(|(domain, d)| (domain, used(d)))
            .filter(|(_, share)| *share < UNUSED_SHARE)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((domain, share)) = unused {
            alerts.push(alert(
                "repeated_while_unused",
                Severity::Warning,
                source,
                format!(
                    "source {source} is repeated {:.2} epochs while domain {domain} uses only {} of its tokens",
                    row.rate,
                    percent(share)
                ),
                Some(row.rate),
                "Mix, by source (rate, full repeats); consider a smaller share for its domain or more of its text".to_owned(),
            ));
        }
    }
}
