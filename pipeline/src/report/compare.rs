//! Two runs side by side: the funnel and the mix of each, and what changed.

use std::collections::BTreeSet;

use super::layout::{Block, Table};
use super::markdown;
use super::model::Report;
use super::text::{UNKNOWN, count, opt_count, opt_percent};

fn delta(a: Option<u64>, b: Option<u64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b >= a => format!("+{}", count(b - a)),
        (Some(a), Some(b)) => format!("-{}", count(a - b)),
        _ => UNKNOWN.to_owned(),
    }
}

/// A change of a share in percentage points.
fn points(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{:+.2} pp", (b - a) * 100.0),
        _ => UNKNOWN.to_owned(),
    }
}

fn table(headers: &[&str], text_columns: usize, rows: Vec<Vec<String>>) -> Block {
    Block::Table(Table {
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        text_columns,
    })
}

/// The comparison of run `a` (named `a_name`) with run `b`, as Markdown.
pub fn compare_markdown(a_name: &str, a: &Report, b_name: &str, b: &Report) -> String {
    let mut blocks = vec![
        Block::Heading(1, "Run comparison".to_owned()),
        Block::Bullets(vec![format!("A: {a_name}"), format!("B: {b_name}")]),
        Block::Heading(2, "Funnel".to_owned()),
    ];
    let stages: Vec<&str> = {
        let mut seen = BTreeSet::new();
        a.funnel
            .iter()
            .chain(&b.funnel)
            .map(|f| f.stage.as_str())
            .filter(|s| seen.insert(*s))
            .collect()
    };
    let mut rows = Vec::new();
    for stage in stages {
        let fa = a.funnel.iter().find(|f| f.stage == stage);
        let fb = b.funnel.iter().find(|f| f.stage == stage);
        let docs = |f: Option<&super::model::StageFunnel>| f.map(|f| f.total.output.documents);
        let bytes = |f: Option<&super::model::StageFunnel>| f.and_then(|f| f.total.output.bytes);
        let tokens = |f: Option<&super::model::StageFunnel>| f.and_then(|f| f.total.output.tokens);
        rows.push(vec![
            stage.to_owned(),
            opt_count(docs(fa)),
            opt_count(docs(fb)),
            delta(docs(fa), docs(fb)),
            opt_count(bytes(fa)),
            opt_count(bytes(fb)),
            delta(bytes(fa), bytes(fb)),
            opt_count(tokens(fa)),
            opt_count(tokens(fb)),
            delta(tokens(fa), tokens(fb)),
        ]);
    }
    blocks.push(table(
        &[
            "stage",
            "docs A",
            "docs B",
            "Δ docs",
            "bytes A",
            "bytes B",
            "Δ bytes",
            "tokens A",
            "tokens B",
            "Δ tokens",
        ],
        1,
        rows,
    ));
    let share = |r: &Report| r.retained.as_ref().and_then(|r| r.total.token_share);
    blocks.push(Block::Paragraph(format!(
        "Tokens retained: A {}, B {} ({}).",
        opt_percent(share(a)),
        opt_percent(share(b)),
        points(share(a), share(b))
    )));

    let reasons: BTreeSet<(&str, &str)> = a
        .drop_reasons
        .iter()
        .chain(&b.drop_reasons)
        .map(|r| (r.stage.as_str(), r.reason.as_str()))
        .collect();
    if !reasons.is_empty() {
        blocks.push(Block::Heading(2, "Drop reasons".to_owned()));
        let find = |r: &Report, stage: &str, reason: &str| {
            r.drop_reasons
                .iter()
                .find(|d| d.stage == stage && d.reason == reason)
                .map(|d| d.dropped.documents)
        };
        let rows = reasons
            .iter()
            .map(|(stage, reason)| {
                let (da, db) = (
                    find(a, stage, reason).or(Some(0)),
                    find(b, stage, reason).or(Some(0)),
                );
                vec![
                    (*stage).to_owned(),
                    (*reason).to_owned(),
                    opt_count(da),
                    opt_count(db),
                    delta(da, db),
                ]
            })
            .collect();
        blocks.push(table(
            &["stage", "reason", "docs A", "docs B", "Δ docs"],
            2,
            rows,
        ));
    }

    let domains: BTreeSet<&String> = a
        .mix
        .iter()
        .chain(&b.mix)
        .flat_map(|m| m.by_domain.keys())
        .collect();
    if !domains.is_empty() {
        blocks.push(Block::Heading(2, "Mix".to_owned()));
        let rows = domains
            .iter()
            .map(|domain| {
                let ra = a.mix.as_ref().and_then(|m| m.by_domain.get(*domain));
                let rb = b.mix.as_ref().and_then(|m| m.by_domain.get(*domain));
                vec![
                    (*domain).clone(),
                    opt_percent(ra.map(|d| d.target_share)),
                    opt_percent(rb.map(|d| d.target_share)),
                    opt_percent(ra.map(|d| d.realised_share)),
                    opt_percent(rb.map(|d| d.realised_share)),
                    points(ra.map(|d| d.realised_share), rb.map(|d| d.realised_share)),
                    opt_count(ra.map(|d| d.realised_tokens)),
                    opt_count(rb.map(|d| d.realised_tokens)),
                    delta(ra.map(|d| d.realised_tokens), rb.map(|d| d.realised_tokens)),
                ]
            })
            .collect();
        blocks.push(table(
            &[
                "domain",
                "target A",
                "target B",
                "realised A",
                "realised B",
                "Δ share",
                "tokens A",
                "tokens B",
                "Δ tokens",
            ],
            1,
            rows,
        ));
    }
    alerts_changed(a, b, &mut blocks);
    costs_changed(a, b, &mut blocks);
    let output = |r: &Report| r.budget.as_ref().map(|b| b.output_tokens);
    if output(a).is_some() || output(b).is_some() {
        blocks.push(Block::Paragraph(format!(
            "Output tokens against the budget: A {}, B {} ({}).",
            opt_count(output(a)),
            opt_count(output(b)),
            delta(output(a), output(b))
        )));
    }
    markdown::render(&blocks)
}

/// Alerts of B that A did not have, and those of A that B no longer has, matched by kind
/// and subject (the numbers in a message change from run to run).
fn alerts_changed(a: &Report, b: &Report, blocks: &mut Vec<Block>) {
    let key = |alert: &super::model::Alert| (alert.kind.clone(), alert.subject.clone());
    let keys_a: BTreeSet<_> = a.alerts.iter().map(key).collect();
    let keys_b: BTreeSet<_> = b.alerts.iter().map(key).collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for alert in b.alerts.iter().filter(|x| !keys_a.contains(&key(x))) {
        rows.push(vec![
            "appeared in B".to_owned(),
            alert.severity.as_str().to_owned(),
            alert.message.clone(),
        ]);
    }
    for alert in a.alerts.iter().filter(|x| !keys_b.contains(&key(x))) {
        rows.push(vec![
            "gone in B".to_owned(),
            alert.severity.as_str().to_owned(),
            alert.message.clone(),
        ]);
    }
    blocks.push(Block::Heading(2, "Alerts".to_owned()));
    if rows.is_empty() {
        blocks.push(Block::Paragraph(format!(
            "The same alerts in both runs ({}).",
            a.alerts.len()
        )));
    } else {
        blocks.push(table(&["change", "severity", "alert"], 3, rows));
    }
}

fn signed_seconds(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{:+.2} s", b - a),
        _ => UNKNOWN.to_owned(),
    }
}

fn opt_seconds(s: Option<f64>) -> String {
    s.map_or_else(|| UNKNOWN.to_owned(), |s| format!("{s:.2} s"))
}

/// CPU and wall seconds of every measured step in A and B.
fn costs_changed(a: &Report, b: &Report, blocks: &mut Vec<Block>) {
    let mut steps: Vec<&str> = Vec::new();
    for line in a.costs.iter().chain(&b.costs) {
        if !steps.contains(&line.step.as_str()) {
            steps.push(&line.step);
        }
    }
    if steps.is_empty() {
        return;
    }
    let find = |r: &Report, step: &str| r.costs.iter().find(|c| c.step == step).map(|c| c.cost);
    let mut rows: Vec<Vec<String>> = steps
        .iter()
        .map(|step| {
            let (ca, cb) = (find(a, step), find(b, step));
            let cpu = |c: Option<crate::run::cost::StepCost>| c.map(|c| c.cpu_seconds);
            let wall = |c: Option<crate::run::cost::StepCost>| c.map(|c| c.wall_seconds);
            vec![
                (*step).to_owned(),
                opt_seconds(cpu(ca)),
                opt_seconds(cpu(cb)),
                signed_seconds(cpu(ca), cpu(cb)),
                opt_seconds(wall(ca)),
                opt_seconds(wall(cb)),
                signed_seconds(wall(ca), wall(cb)),
            ]
        })
        .collect();
    let total = |r: &Report, f: fn(&crate::run::cost::StepCost) -> f64| {
        (!r.costs.is_empty()).then(|| r.costs.iter().map(|c| f(&c.cost)).sum::<f64>())
    };
    let (cpu_a, cpu_b) = (total(a, |c| c.cpu_seconds), total(b, |c| c.cpu_seconds));
    let (wall_a, wall_b) = (total(a, |c| c.wall_seconds), total(b, |c| c.wall_seconds));
    rows.push(vec![
        "total".to_owned(),
        opt_seconds(cpu_a),
        opt_seconds(cpu_b),
        signed_seconds(cpu_a, cpu_b),
        opt_seconds(wall_a),
        opt_seconds(wall_b),
        signed_seconds(wall_a, wall_b),
    ]);
    blocks.push(Block::Heading(2, "Cost per stage".to_owned()));
    blocks.push(table(
        &[
            "step", "CPU A", "CPU B", "Δ CPU", "time A", "time B", "Δ time",
        ],
        1,
        rows,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_are_signed() {
        assert_eq!(delta(Some(10), Some(4)), "-6");
        assert_eq!(delta(Some(4), Some(4)), "+0");
        assert_eq!(delta(None, Some(4)), UNKNOWN);
        assert_eq!(points(Some(0.5), Some(0.4)), "-10.00 pp");
    }
}
