//! The run report: the funnel, drop reasons, dedup, tokenizer, mix, budget and timing of a
//! run directory, written as `report.json` (every number), `report.md` and a
//! self-contained `report.html` with charts.
//!
//! Everything is read from what the stages left in the run directory, so a report can be
//! made at any time, of a finished, partial or older run, without the job file.

mod alerts;
mod charts;
mod collect;
mod compare;
mod costs;
mod drops;
mod first_screen;
mod funnel;
mod html;
mod job_file;
mod layout;
mod markdown;
pub mod model;
mod overview;
mod records;
mod sections;
pub mod tables;
mod text;

use std::path::Path;

use anyhow::{Context, Result};

pub use collect::collect;
pub use compare::compare_markdown;
pub use model::Report;

use crate::run::atomic::write_atomic;
use crate::run::cost::CostMeter;
use model::CostLine;

pub const REPORT_JSON: &str = "report.json";
pub const REPORT_MARKDOWN: &str = "report.md";
pub const REPORT_HTML: &str = "report.html";
/// Written into the first run directory by `curate report A --compare B`.
pub const COMPARE_MARKDOWN: &str = "compare.md";

/// The three renderings of a report.
pub struct Rendered {
    pub json: String,
    pub markdown: String,
    pub html: String,
}

/// Renders a report as JSON, Markdown and HTML.
pub fn render(report: &Report) -> Result<Rendered> {
    let mut json = serde_json::to_string_pretty(report).context("cannot write the report")?;
    json.push('\n');
    let blocks = layout::layout(report);
    Ok(Rendered {
        json,
        markdown: markdown::render(&blocks),
        html: html::render(&blocks, report)?,
    })
}

/// Reads `run_dir` and writes `report.json`, `report.md` and `report.html` into it. The
/// report's own cost (reading the run, rendering) is its last cost line.
pub fn write_reports(run_dir: &Path) -> Result<Report> {
    let meter = CostMeter::start();
    let mut report = collect(run_dir)
        .with_context(|| format!("cannot read the run in {}", run_dir.display()))?;
    render(&report)?;
    report.costs.push(CostLine {
        step: "report".to_owned(),
        cost: meter.finish(),
    });
    let rendered = render(&report)?;
    for (name, text) in [
        (REPORT_JSON, &rendered.json),
        (REPORT_MARKDOWN, &rendered.markdown),
        (REPORT_HTML, &rendered.html),
    ] {
        let path = run_dir.join(name);
        write_atomic(&path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(report)
}

/// Why the document stage `stage` of the run left no documents ("language dropped all 18
/// documents"); `None` when it kept some or took none in.
pub fn empty_stage_cause(run_dir: &Path, stage: &str) -> Result<Option<String>> {
    // The stage's own counts first: the whole run is read only when it is empty.
    let stages = records::discover(run_dir)?;
    let Some(dir) = stages.iter().find(|s| s.name == stage) else {
        return Ok(None);
    };
    let mut domains = funnel::SourceDomains::new();
    let Some(groups) = funnel::stage_groups(dir, &mut domains) else {
        return Ok(None);
    };
    if groups.total.input.documents == 0 || groups.total.output.documents > 0 {
        return Ok(None);
    }
    let report = collect(run_dir)?;
    Ok(report
        .funnel
        .iter()
        .find(|f| f.stage == stage)
        .map(alerts::empty_cause))
}
