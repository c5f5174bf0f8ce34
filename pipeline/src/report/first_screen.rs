//! The top of a report, what a team reads before scrolling: a banner when the run failed,
//! which run this is, the headline numbers and the alerts.

use super::layout::{AlertLine, Block, h2};
use super::model::Report;
use super::text::{UNKNOWN, count, large, opt_count, opt_percent, percent};
use crate::progress::human_bytes;

pub fn first_screen(report: &Report, blocks: &mut Vec<Block>) {
    if let Some(failure) = &report.failure {
        blocks.push(Block::Banner(format!(
            "Run failed at stage {}: {}. The stages before it kept their output; this report \
             shows what exists.",
            failure.stage, failure.error
        )));
    }
    identity(report, blocks);
    headline(report, blocks);
    blocks.push(h2("Alerts"));
    if report.alerts.is_empty() {
        blocks.push(Block::Paragraph("No alerts.".to_owned()));
    } else {
        blocks.push(Block::Alerts(
            report
                .alerts
                .iter()
                .map(|a| AlertLine {
                    severity: a.severity,
                    message: a.message.clone(),
                    look_at: a.look_at.clone(),
                })
                .collect(),
        ));
    }
}

fn fact(label: &str, value: String) -> (String, String) {
    (label.to_owned(), value)
}

fn identity(report: &Report, blocks: &mut Vec<Block>) {
    blocks.push(h2("Run"));
    let mut facts = Vec::new();
    match &report.identity {
        Some(id) => {
            facts.push(fact("job", format!("{} ({})", id.job, id.job_file)));
            facts.push(fact(
                "curate",
                format!("{} (git {})", id.curate_version, id.git_revision),
            ));
            facts.push(fact("started", id.started_at.clone()));
            facts.push(fact("seed", id.seed.to_string()));
            facts.push(fact("host", id.host.clone()));
            facts.push(fact("threads", id.threads.to_string()));
            facts.push(fact(
                "input",
                format!(
                    "{} files, {}",
                    count(id.input_files),
                    human_bytes(id.input_bytes)
                ),
            ));
        }
        None => {
            facts.push(fact(
                "job",
                report.job.clone().unwrap_or_else(|| UNKNOWN.to_owned()),
            ));
            facts.push(fact(
                "curate",
                "unknown (the run has no run.json: made before curate recorded it)".to_owned(),
            ));
        }
    }
    let status = match (&report.failure, report.notes.is_empty()) {
        (Some(failure), _) => format!("failed at {}", failure.stage),
        (None, true) => "complete".to_owned(),
        (None, false) => "partial (see the notes below)".to_owned(),
    };
    facts.push(fact("status", status));
    if !report.filter_profiles.is_empty() {
        let profiles: Vec<String> = report
            .filter_profiles
            .iter()
            .map(|(source, profile)| format!("{source}: {profile}"))
            .collect();
        facts.push(fact("filter profiles", profiles.join(", ")));
    }
    blocks.push(Block::Facts(facts));
}

fn headline(report: &Report, blocks: &mut Vec<Block>) {
    let h = &report.headline;
    blocks.push(h2("Headline"));
    let mut facts = vec![
        fact("tokens in", opt_count(h.tokens_in)),
        fact(
            "tokens kept",
            format!(
                "{} ({} retained)",
                opt_count(h.tokens_kept),
                opt_percent(h.token_retention)
            ),
        ),
        fact(
            "documents kept",
            format!(
                "{} of {}",
                opt_count(h.documents_kept),
                opt_count(h.documents_in)
            ),
        ),
    ];
    if !h.mix.is_empty() {
        let mix: Vec<String> = h
            .mix
            .iter()
            .map(|m| {
                format!(
                    "{} {} (target {})",
                    m.domain,
                    percent(m.realised_share),
                    percent(m.target_share)
                )
            })
            .collect();
        facts.push(fact("mix, realised", mix.join("; ")));
    }
    if let (Some(target), Some(output), Some(gap)) =
        (h.target_tokens, h.output_tokens, h.chinchilla_gap_tokens)
    {
        let gap_text = if gap < 0.0 {
            format!(
                "short by {} ({} of the target)",
                large(-gap),
                share(output as f64, target)
            )
        } else {
            format!("{} over", large(gap))
        };
        facts.push(fact(
            "Chinchilla gap",
            format!(
                "{} output tokens against a target of {} for {} parameters: {gap_text}",
                large(output as f64),
                large(target),
                h.params.map_or_else(|| UNKNOWN.to_owned(), large)
            ),
        ));
    }
    blocks.push(Block::Facts(facts));
}

/// A share of the target; tiny ones (a test corpus against a real model's budget) in
/// scientific notation rather than `0.00%`.
fn share(part: f64, whole: f64) -> String {
    match part / whole {
        _ if whole <= 0.0 => UNKNOWN.to_owned(),
        f if f > 0.0 && f < 1e-4 => format!("{:.2e}%", f * 100.0),
        f => percent(f),
    }
}
