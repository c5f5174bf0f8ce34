//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing loaded
//! from the network) with the same blocks as `report.md` and the charts drawn in.

use anyhow::Result;

use super::charts;
use super::layout::{Block, Table};
use super::model::Report;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;\
margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1d1d1f;line-height:1.4}\
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #ddd}\
h3{font-size:1.05rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}\
th,td{border:1px solid #ddd;padding:.2rem .5rem;vertical-align:top}\
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:1rem 0}svg{max-width:100%;height:auto}";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the page; the charts come from `report`.
pub fn render(blocks: &[Block], report: &Report) -> Result<String> {
    let title = blocks
        .iter()
        .find_map(|b| match b {
            Block::Heading(1, text) => Some(text.as_str()),
            _ => None,
        })
        .unwrap_or("Run report");
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    );
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&format!("<h{level}>{}</h{level}>\n", escape(text)));
            }
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::Bullets(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str(&format!("<li>{}</li>\n", escape(item)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(table) => render_table(table, &mut out),
            Block::Chart(chart) => {
                if let Some(svg) = charts::render(*chart, report)? {
                    out.push_str("<figure class=\"chart\">\n");
                    out.push_str(&svg);
                    out.push_str("\n</figure>\n");
                }
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

fn render_table(table: &Table, out: &mut String) {
    out.push_str("<table>\n<thead><tr>");
    for header in &table.headers {
        out.push_str(&format!("<th>{}</th>", escape(header)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if i < table.text_columns {
                ""
            } else {
                " class=\"n\""
            };
            out.push_str(&format!("<td{class}>{}</td>", escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
