//! The three charts of the HTML report as inline SVG, drawn with plotters' SVG backend.
//!
//! Without a font backend plotters estimates text widths and writes `<text>` elements that
//! the browser renders with its own fonts, so no system font is needed. Category names are
//! written on the bars rather than on the axis, which keeps them legible whatever the
//! font.

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::Chart;
use super::model::Report;
use super::text::{count, large, percent};

const WIDTH: u32 = 880;
const HEIGHT: u32 = 320;
const FONT: &str = "sans-serif";
const BLUE: RGBColor = RGBColor(0x3b, 0x6e, 0xa8);
const GREY: RGBColor = RGBColor(0xb0, 0xb0, 0xb0);
const GREEN: RGBColor = RGBColor(0x4c, 0x9a, 0x5a);
const ORANGE: RGBColor = RGBColor(0xd9, 0x8c, 0x2b);

fn drawing_error(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot draw the chart: {error}")
}

/// The SVG of one chart; `None` when the run has nothing to draw for it.
pub fn render(chart: Chart, report: &Report) -> Result<Option<String>> {
    match chart {
        Chart::Funnel => funnel(report),
        Chart::Mix => mix(report),
        Chart::Budget => budget(report),
    }
}

fn label_style(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK).pos(Pos::new(h, v))
}

/// Tokens out of every document stage (bytes when tokens are not counted yet).
fn funnel(report: &Report) -> Result<Option<String>> {
    if report.funnel.is_empty() {
        return Ok(None);
    }
    let with_tokens = report
        .funnel
        .iter()
        .all(|f| f.total.output.tokens.is_some());
    let unit = if with_tokens { "tokens" } else { "bytes" };
    let bars: Vec<(String, u64)> = report
        .funnel
        .iter()
        .map(|f| {
            let out = &f.total.output;
            let value = if with_tokens { out.tokens } else { out.bytes };
            (f.stage.clone(), value.unwrap_or(0))
        })
        .collect();
    let max = bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Funnel: {unit} out of each stage"), (FONT, 18))
            .margin(12)
            .x_label_area_size(8)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..bars.len() as f64, 0f64..max * 1.2)
            .map_err(drawing_error)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&|v| large(*v))
            .y_desc(unit)
            .draw()
            .map_err(drawing_error)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let x = i as f64;
                Rectangle::new([(x + 0.15, 0.0), (x + 0.85, *v as f64)], BLUE.filled())
            }))
            .map_err(drawing_error)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (name, v))| {
                Text::new(
                    format!("{name}: {}", count(*v)),
                    (i as f64 + 0.5, *v as f64 + max * 0.02),
                    label_style(14, HPos::Center, VPos::Bottom),
                )
            }))
            .map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(Some(svg))
}

/// Target against realised token share per domain (and the shards' share when written).
fn mix(report: &Report) -> Result<Option<String>> {
    let Some(mix) = &report.mix else {
        return Ok(None);
    };
    if mix.by_domain.is_empty() {
        return Ok(None);
    }
    let with_shards = mix.by_domain.values().any(|d| d.shard_share.is_some());
    let mut series: Vec<(&str, RGBColor, Vec<f64>)> = vec![
        (
            "target",
            GREY,
            mix.by_domain.values().map(|d| d.target_share).collect(),
        ),
        (
            "realised (selected)",
            BLUE,
            mix.by_domain.values().map(|d| d.realised_share).collect(),
        ),
    ];
    if with_shards {
        series.push((
            "in shards",
            GREEN,
            mix.by_domain
                .values()
                .map(|d| d.shard_share.unwrap_or(0.0))
                .collect(),
        ));
    }
    let domains: Vec<&String> = mix.by_domain.keys().collect();
    let max = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().copied())
        .fold(0.0f64, f64::max)
        .max(0.01);
    let width = 0.8 / series.len() as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Mix: share of tokens per domain", (FONT, 18))
            .margin(12)
            .x_label_area_size(8)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..domains.len() as f64, 0f64..max * 1.6)
            .map_err(drawing_error)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .y_desc("share of tokens")
            .draw()
            .map_err(drawing_error)?;
        for (k, (name, color, values)) in series.iter().enumerate() {
            let offset = 0.1 + k as f64 * width;
            chart
                .draw_series(values.iter().enumerate().map(|(i, v)| {
                    let x = i as f64 + offset;
                    Rectangle::new([(x, 0.0), (x + width * 0.92, *v)], color.filled())
                }))
                .map_err(drawing_error)?
                .label(*name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled())
                });
            chart
                .draw_series(values.iter().enumerate().map(|(i, v)| {
                    Text::new(
                        percent(*v),
                        (i as f64 + offset + width * 0.46, *v + max * 0.02),
                        label_style(12, HPos::Center, VPos::Bottom),
                    )
                }))
                .map_err(drawing_error)?;
        }
        chart
            .draw_series(domains.iter().enumerate().map(|(i, name)| {
                Text::new(
                    (*name).clone(),
                    (i as f64 + 0.5, max * 1.2),
                    label_style(15, HPos::Center, VPos::Center),
                )
            }))
            .map_err(drawing_error)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .label_font((FONT, 13))
            .draw()
            .map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(Some(svg))
}

/// Unique tokens and output tokens against the target, on a log scale (they often differ
/// by orders of magnitude); each bar's name and value are written at its left end.
fn budget(report: &Report) -> Result<Option<String>> {
    let Some(budget) = &report.budget else {
        return Ok(None);
    };
    let bars = [
        ("Chinchilla target", budget.target_tokens, GREY),
        (
            "output (repeats included)",
            budget.output_tokens as f64,
            BLUE,
        ),
        ("unique tokens available", budget.available_tokens, ORANGE),
    ];
    let max = bars.iter().map(|(_, v, _)| *v).fold(1.0f64, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 240)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Budget: tokens against the target (log scale)", (FONT, 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(8)
            .build_cartesian_2d((1f64..max * 10.0).log_scale(), 0f64..bars.len() as f64)
            .map_err(drawing_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|v| large(*v))
            .x_desc("tokens")
            .draw()
            .map_err(drawing_error)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v, color))| {
                let y = i as f64;
                Rectangle::new(
                    [(1.0, y + 0.15), (v.max(1.0), y + 0.85)],
                    color.mix(0.6).filled(),
                )
            }))
            .map_err(drawing_error)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (name, v, _))| {
                Text::new(
                    format!("{name}: {}", large(*v)),
                    (1.3, i as f64 + 0.5),
                    label_style(14, HPos::Left, VPos::Center),
                )
            }))
            .map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(Some(svg))
}
