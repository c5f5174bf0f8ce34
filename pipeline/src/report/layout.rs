//! The report as a list of blocks (headings, paragraphs, tables, charts) that the Markdown
//! and HTML writers render alike, so both always show the same numbers.

use super::model::{Flow, Report, Severity, StageFunnel};
use super::text::{UNKNOWN, count, flops, large, opt_count, opt_percent, percent, signed};

/// The charts of the HTML report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Tokens (or bytes, before tokens are counted) out of every document stage.
    Funnel,
    /// Target against realised token share per domain.
    Mix,
    /// Tokens available and in the output against the Chinchilla target.
    Budget,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns after the first `text_columns` are numbers (right-aligned).
    pub text_columns: usize,
}

/// One alert as the pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertLine {
    pub severity: Severity,
    pub message: String,
    pub look_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Level 1, 2 or 3.
    Heading(u8, String),
    Paragraph(String),
    Bullets(Vec<String>),
    Table(Table),
    Chart(Chart),
    /// The run failed: what the reader must see first.
    Banner(String),
    /// Labelled values (the run's identity, the headline numbers).
    Facts(Vec<(String, String)>),
    Alerts(Vec<AlertLine>),
    /// Text folded away by default (the resolved job): a summary line and the text.
    Details(String, String),
}

pub fn table(headers: &[&str], text_columns: usize, rows: Vec<Vec<String>>) -> Block {
    Block::Table(Table {
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        text_columns,
    })
}

pub fn h2(text: &str) -> Block {
    Block::Heading(2, text.to_owned())
}

fn h3(text: &str) -> Block {
    Block::Heading(3, text.to_owned())
}

/// Every block of the report, in reading order.
pub fn layout(report: &Report) -> Vec<Block> {
    let title = match &report.job {
        Some(job) => format!("Run report: {job}"),
        None => "Run report".to_owned(),
    };
    let mut blocks = vec![Block::Heading(1, title)];
    super::first_screen::first_screen(report, &mut blocks);
    if !report.notes.is_empty() {
        blocks.push(Block::Bullets(report.notes.clone()));
    }
    funnel(report, &mut blocks);
    drop_reasons(report, &mut blocks);
    dedup(report, &mut blocks);
    tokenizer(report, &mut blocks);
    mix(report, &mut blocks);
    budget(report, &mut blocks);
    shards(report, &mut blocks);
    super::costs::timing(report, &mut blocks);
    if let Some(resolved) = &report.resolved_job {
        blocks.push(h2("Resolved job"));
        blocks.push(Block::Details(
            "job.resolved.toml: every default filled in, every glob expanded".to_owned(),
            resolved.clone(),
        ));
    }
    blocks
}

fn kept(flow_in: Option<u64>, flow_out: Option<u64>) -> String {
    match (flow_in, flow_out) {
        (Some(i), Some(o)) if i > 0 => percent(o as f64 / i as f64),
        _ => UNKNOWN.to_owned(),
    }
}

fn funnel_row(first: Vec<String>, input: Flow, output: Flow, dropped: Flow) -> Vec<String> {
    let mut row = first;
    row.extend([
        count(input.documents),
        count(output.documents),
        count(dropped.documents),
        opt_count(input.bytes),
        opt_count(output.bytes),
        opt_count(input.tokens),
        opt_count(output.tokens),
        opt_count(dropped.tokens),
        kept(input.tokens, output.tokens),
    ]);
    row
}

const FUNNEL_COLUMNS: [&str; 9] = [
    "docs in",
    "docs out",
    "docs dropped",
    "bytes in",
    "bytes out",
    "tokens in",
    "tokens out",
    "tokens dropped",
    "tokens kept",
];

fn funnel(report: &Report, blocks: &mut Vec<Block>) {
    if report.funnel.is_empty() {
        return;
    }
    blocks.push(h2("Funnel"));
    if let Some(retained) = &report.retained {
        let total = &retained.total;
        blocks.push(Block::Paragraph(format!(
            "From {} to {}: {} of {} tokens retained ({}), {} of {} documents, {} of {} bytes.",
            retained.from_stage,
            retained.to_stage,
            opt_count(total.output.tokens),
            opt_count(total.input.tokens),
            opt_percent(total.token_share),
            count(total.output.documents),
            count(total.input.documents),
            opt_count(total.output.bytes),
            opt_count(total.input.bytes),
        )));
    }
    blocks.push(Block::Chart(Chart::Funnel));
    let mut headers = vec!["stage"];
    headers.extend(FUNNEL_COLUMNS);
    let rows = report
        .funnel
        .iter()
        .map(|f| {
            let name = if f.complete {
                f.stage.clone()
            } else {
                format!("{} (incomplete)", f.stage)
            };
            funnel_row(vec![name], f.total.input, f.total.output, f.total.dropped)
        })
        .collect();
    blocks.push(table(&headers, 1, rows));
    blocks.push(Block::Paragraph(
        "Ingest reads records and writes documents; records it skipped have no text. Bytes \
         and tokens removed from kept documents (repeated or boilerplate lines) are the \
         difference between in and out plus dropped."
            .to_owned(),
    ));

    for (title, pick) in [
        ("By source", by_source as GroupPick),
        ("By domain", by_domain as GroupPick),
    ] {
        blocks.push(h3(title));
        let mut headers = vec!["stage", title.trim_start_matches("By ")];
        headers.extend(FUNNEL_COLUMNS);
        let mut rows = Vec::new();
        for stage in &report.funnel {
            for (name, group) in pick(stage) {
                rows.push(funnel_row(
                    vec![stage.stage.clone(), name.clone()],
                    group.input,
                    group.output,
                    group.dropped,
                ));
            }
        }
        blocks.push(table(&headers, 2, rows));
    }

    let with_steps: Vec<&StageFunnel> = report
        .funnel
        .iter()
        .filter(|f| !f.steps.is_empty())
        .collect();
    if !with_steps.is_empty() {
        blocks.push(h3("Every filter and dedup method"));
        let mut rows = Vec::new();
        for stage in with_steps {
            for step in &stage.steps {
                rows.push(vec![
                    stage.stage.clone(),
                    step.step.clone(),
                    count(step.input.documents),
                    count(step.dropped.documents),
                    count(step.output.documents),
                    opt_count(step.input.bytes),
                    opt_count(step.dropped.bytes),
                    opt_count(step.output.bytes),
                    opt_count(step.input.tokens),
                    opt_count(step.dropped.tokens),
                    opt_count(step.output.tokens),
                ]);
            }
        }
        blocks.push(table(
            &[
                "stage",
                "step",
                "docs in",
                "docs dropped",
                "docs out",
                "bytes in",
                "bytes dropped",
                "bytes out",
                "tokens in",
                "tokens dropped",
                "tokens out",
            ],
            2,
            rows,
        ));
        let edits: Vec<String> = report
            .funnel
            .iter()
            .filter(|f| f.total.edited_bytes > 0)
            .map(|f| {
                format!(
                    "{}: {} bytes ({} tokens) removed from kept documents",
                    f.stage,
                    count(f.total.edited_bytes),
                    signed(f.total.edited_tokens)
                )
            })
            .collect();
        if !edits.is_empty() {
            blocks.push(Block::Bullets(edits));
        }
    }
}

type GroupPick = fn(&StageFunnel) -> &std::collections::BTreeMap<String, super::model::GroupFunnel>;

fn by_source(
    stage: &StageFunnel,
) -> &std::collections::BTreeMap<String, super::model::GroupFunnel> {
    &stage.by_source
}

fn by_domain(
    stage: &StageFunnel,
) -> &std::collections::BTreeMap<String, super::model::GroupFunnel> {
    &stage.by_domain
}

fn drop_reasons(report: &Report, blocks: &mut Vec<Block>) {
    if report.drop_reasons.is_empty() {
        return;
    }
    blocks.push(h2("Top reasons for dropping"));
    let rows = report
        .drop_reasons
        .iter()
        .map(|r| {
            let examples = if r.examples.is_empty() {
                r.examples_note.clone().unwrap_or_default()
            } else {
                r.examples.join(", ")
            };
            vec![
                r.reason.clone(),
                r.stage.clone(),
                r.step.clone().unwrap_or_else(|| UNKNOWN.to_owned()),
                examples,
                count(r.dropped.documents),
                opt_count(r.dropped.bytes),
                opt_count(r.dropped.tokens),
            ]
        })
        .collect();
    blocks.push(table(
        &[
            "reason",
            "stage",
            "step",
            "example ids",
            "documents",
            "bytes",
            "tokens",
        ],
        4,
        rows,
    ));
}

fn dedup(report: &Report, blocks: &mut Vec<Block>) {
    let Some(dedup) = &report.dedup else {
        return;
    };
    blocks.push(h2("Dedup"));
    blocks.push(Block::Paragraph(format!(
        "{} documents indexed: {} exact and {} near duplicates removed, {} documents whose \
         every line was repeated; {} candidate pairs, {} confirmed; {} frequent lines, {} \
         bytes of them removed from kept documents; index {:.0} bytes per document.",
        count(dedup.documents),
        count(dedup.exact_removed),
        count(dedup.minhash_removed),
        count(dedup.lines_removed),
        count(dedup.candidate_pairs),
        count(dedup.confirmed_pairs),
        count(dedup.frequent_lines),
        count(dedup.bytes_edited_out),
        dedup.index_bytes_per_document,
    )));
    let mut rows: Vec<Vec<String>> = dedup
        .by_source
        .iter()
        .map(|(name, s)| {
            vec![
                name.clone(),
                count(s.input.documents),
                count(s.removed.documents),
                percent(s.document_share),
                opt_percent(s.byte_share),
                opt_percent(s.token_share),
            ]
        })
        .collect();
    let t = &dedup.total;
    rows.push(vec![
        "all".to_owned(),
        count(t.input.documents),
        count(t.removed.documents),
        percent(t.document_share),
        opt_percent(t.byte_share),
        opt_percent(t.token_share),
    ]);
    blocks.push(table(
        &[
            "source",
            "documents",
            "duplicates",
            "duplicate share",
            "of bytes",
            "of tokens",
        ],
        1,
        rows,
    ));
    if dedup.cluster_sizes.is_empty() {
        blocks.push(Block::Paragraph("No clusters of duplicates.".to_owned()));
    } else {
        blocks.push(table(
            &["cluster size", "clusters"],
            0,
            dedup
                .cluster_sizes
                .iter()
                .map(|(size, n)| vec![count(*size), count(*n)])
                .collect(),
        ));
    }
}

fn tokenizer(report: &Report, blocks: &mut Vec<Block>) {
    let Some(tok) = &report.tokenizer else {
        return;
    };
    blocks.push(h2("Tokenizer"));
    blocks.push(Block::Bullets(vec![
        format!("vocabulary: {} ids", opt_count(tok.vocab_size)),
        format!(
            "{} ({})",
            tok.origin.as_deref().unwrap_or(UNKNOWN),
            tok.fingerprint.as_deref().unwrap_or(UNKNOWN)
        ),
        format!(
            "end of text: {}",
            tok.eos_token.as_deref().unwrap_or("none")
        ),
        format!(
            "bytes per token: {}",
            tok.bytes_per_token
                .map_or_else(|| UNKNOWN.to_owned(), |b| format!("{b:.3}"))
        ),
    ]));
    let rows = tok
        .by_domain
        .iter()
        .map(|(name, fit)| ("domain", name, fit))
        .chain(
            tok.by_source
                .iter()
                .map(|(name, fit)| ("source", name, fit)),
        )
        .map(|(kind, name, fit)| {
            vec![
                kind.to_owned(),
                name.clone(),
                count(fit.documents),
                count(fit.bytes),
                count(fit.tokens),
                format!("{:.3}", fit.bytes_per_token),
            ]
        })
        .collect();
    blocks.push(table(
        &["", "name", "documents", "bytes", "tokens", "bytes/token"],
        2,
        rows,
    ));
}

fn mix(report: &Report, blocks: &mut Vec<Block>) {
    let Some(mix) = &report.mix else {
        return;
    };
    blocks.push(h2("Mix"));
    blocks.push(Block::Paragraph(format!(
        "{} tokens planned, {} selected (repeats included).{}",
        count(mix.planned_tokens),
        count(mix.realised_tokens),
        mix.shortfall
            .as_ref()
            .map(|s| format!(" Shortfall: {s}"))
            .unwrap_or_default()
    )));
    blocks.push(Block::Chart(Chart::Mix));
    let shards = report.shards.is_some();
    let mut headers = vec![
        "domain",
        "target",
        "planned",
        "realised",
        "realised tokens",
        "available",
        "epochs",
    ];
    if shards {
        headers.extend(["in shards", "shard tokens"]);
    }
    let rows = mix
        .by_domain
        .iter()
        .map(|(name, d)| {
            let mut row = vec![
                name.clone(),
                percent(d.target_share),
                percent(d.planned_share),
                percent(d.realised_share),
                count(d.realised_tokens),
                count(d.available_tokens),
                format!("{:.2}", d.epochs),
            ];
            if shards {
                row.extend([opt_percent(d.shard_share), opt_count(d.shard_tokens)]);
            }
            row
        })
        .collect();
    blocks.push(table(&headers, 1, rows));
    if !mix.by_source.is_empty() {
        let mut headers = vec![
            "source",
            "domain",
            "planned share",
            "realised share",
            "available",
            "planned",
            "realised",
            "rate",
            "full repeats",
            "documents",
            "selected",
            "copies",
        ];
        if shards {
            headers.extend(["in shards", "shard tokens"]);
        }
        let rows = mix
            .by_source
            .iter()
            .map(|(name, s)| {
                let mut row = vec![
                    name.clone(),
                    s.domain.clone(),
                    percent(s.planned_share),
                    percent(s.realised_share),
                    count(s.available_tokens),
                    count(s.planned_tokens),
                    count(s.realised_tokens),
                    format!("{:.3}", s.rate),
                    count(s.full_repeats),
                    count(s.documents),
                    count(s.documents_selected),
                    count(s.copies),
                ];
                if shards {
                    row.extend([opt_percent(s.shard_share), opt_count(s.shard_tokens)]);
                }
                row
            })
            .collect();
        blocks.push(table(&headers, 2, rows));
    }
    if !mix.routed_slices.is_empty() {
        blocks.push(Block::Paragraph(
            "Sources with documents a classifier routed to another domain, by slice: the \
             routed documents count toward their new domain's share, at their own rate."
                .to_owned(),
        ));
        let headers = [
            "source",
            "domain",
            "available",
            "planned",
            "realised",
            "rate",
            "full repeats",
            "documents",
            "selected",
            "copies",
        ];
        let rows = mix
            .routed_slices
            .iter()
            .map(|s| {
                vec![
                    s.source.clone(),
                    s.domain.clone(),
                    count(s.available_tokens),
                    count(s.planned_tokens),
                    count(s.realised_tokens),
                    format!("{:.3}", s.rate),
                    count(s.full_repeats),
                    count(s.documents),
                    count(s.documents_selected),
                    count(s.copies),
                ]
            })
            .collect();
        blocks.push(table(&headers, 2, rows));
    }
}

fn budget(report: &Report, blocks: &mut Vec<Block>) {
    let Some(b) = &report.budget else {
        return;
    };
    blocks.push(h2("Budget"));
    blocks.push(Block::Chart(Chart::Budget));
    let gap = |surplus: f64| {
        if surplus < 0.0 {
            format!("shortfall {}", large(-surplus))
        } else {
            format!("surplus {}", large(surplus))
        }
    };
    blocks.push(table(
        &["", "value"],
        1,
        vec![
            vec!["model parameters".into(), large(b.params)],
            vec![
                "target tokens (Chinchilla)".into(),
                format!(
                    "{} ({} per parameter)",
                    large(b.target_tokens),
                    b.target_tokens_per_param
                ),
            ],
            vec![
                "unique tokens available".into(),
                format!(
                    "{} ({}; {:.3e} per parameter)",
                    large(b.available_tokens),
                    gap(b.surplus_tokens),
                    b.available_tokens_per_param
                ),
            ],
            vec![
                "epochs over them to reach the target".into(),
                format!("{:.2}", b.epochs_needed),
            ],
            vec![
                "output tokens (repeats included)".into(),
                format!(
                    "{} ({}; {:.3e} per parameter)",
                    large(b.output_tokens as f64),
                    gap(b.output_surplus_tokens),
                    b.output_tokens_per_param
                ),
            ],
            vec![
                "compute of the target, 6ND".into(),
                format!(
                    "{} FLOPs, {:.4} PF-days",
                    flops(b.target_flops),
                    b.target_pf_days
                ),
            ],
            vec![
                "compute of the output, 6ND".into(),
                format!(
                    "{} FLOPs, {:.3e} PF-days",
                    flops(b.output_flops),
                    b.output_pf_days
                ),
            ],
        ],
    ));
}

fn shards(report: &Report, blocks: &mut Vec<Block>) {
    let Some(s) = &report.shards else {
        return;
    };
    blocks.push(h2("Shards"));
    blocks.push(Block::Paragraph(format!(
        "{} sequences of {} tokens in {} files ({} bytes): {} tokens, {} of them padding; {} \
         tokens left over.",
        count(s.sequences),
        count(s.seq_len),
        count(s.files),
        count(s.bytes),
        count(s.tokens),
        count(s.padding_tokens),
        count(s.dropped_tokens),
    )));
}
