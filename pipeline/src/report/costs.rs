//! The stages table: status, time, throughput and what each step cost (CPU seconds, peak
//! memory), with the steps that are not stages (setup, the funnel's token counting, the
//! report itself) on their own lines and a total that adds up to the process.

use super::layout::{Block, h2, table};
use super::model::{CostLine, Report};
use super::text::{UNKNOWN, megabytes_per_second, opt_count, rate, seconds};
use crate::progress::human_bytes;
use crate::run::cost::{PeakScope, StepCost};

fn cost_cells(cost: Option<&StepCost>) -> [String; 3] {
    match cost {
        Some(c) => [
            seconds(c.wall_seconds),
            seconds(c.cpu_seconds),
            c.peak_rss_bytes.map_or_else(
                || UNKNOWN.to_owned(),
                |b| match c.peak_rss_scope {
                    PeakScope::Step => human_bytes(b),
                    PeakScope::Process => format!("{} (process)", human_bytes(b)),
                },
            ),
        ],
        None => [UNKNOWN.to_owned(), UNKNOWN.to_owned(), UNKNOWN.to_owned()],
    }
}

fn step_row(line: &CostLine) -> Vec<String> {
    let mut row = vec![
        line.step.clone(),
        String::new(),
        String::new(),
        String::new(),
        seconds(line.cost.wall_seconds),
    ];
    row.extend(cost_cells(Some(&line.cost)).into_iter().skip(1));
    row.extend([UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN].map(str::to_owned));
    row
}

pub fn timing(report: &Report, blocks: &mut Vec<Block>) {
    blocks.push(h2("Stages"));
    let extra = |step: &str| report.costs.iter().find(|c| c.step == step);
    let mut rows = Vec::new();
    if let Some(setup) = extra("setup") {
        rows.push(step_row(setup));
    }
    for s in &report.stages {
        let partitions = if s.partitions_total > 0 {
            format!("{}/{}", s.partitions_done, s.partitions_total)
        } else {
            UNKNOWN.to_owned()
        };
        let mut row = vec![
            s.stage.clone(),
            s.dir.clone(),
            s.state.as_str().to_owned(),
            partitions,
            seconds(s.seconds),
        ];
        row.extend(cost_cells(s.cost.as_ref()).into_iter().skip(1));
        row.extend([
            opt_count(s.documents_out),
            opt_count(s.tokens_out),
            rate(s.documents_per_second),
            megabytes_per_second(s.bytes_per_second),
        ]);
        rows.push(row);
        if let Some(funnel) = extra(&format!("{}.funnel", s.stage)) {
            rows.push(step_row(funnel));
        }
    }
    if let Some(own) = extra("report") {
        rows.push(step_row(own));
    }
    let total_cpu: f64 = report.costs.iter().map(|c| c.cost.cpu_seconds).sum();
    let total_wall: f64 = report.costs.iter().map(|c| c.cost.wall_seconds).sum();
    let mut total = vec![
        "total".to_owned(),
        String::new(),
        String::new(),
        String::new(),
        seconds(total_wall),
        seconds(total_cpu),
    ];
    total.extend([UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN].map(str::to_owned));
    rows.push(total);
    blocks.push(table(
        &[
            "stage",
            "directory",
            "status",
            "partitions",
            "time",
            "CPU",
            "peak RSS",
            "documents out",
            "tokens out",
            "documents in/s",
            "bytes in/s",
        ],
        3,
        rows,
    ));
    blocks.push(Block::Paragraph(
        "Time is the stage's wall clock; CPU is user plus system seconds of every thread of \
         the process during the step, so the lines add up to the process's CPU time; peak \
         RSS is the most memory the process held during the step. setup is the start and \
         the job's loading, count.funnel the tokens counted for the funnel, report this \
         report."
            .to_owned(),
    ));
}
