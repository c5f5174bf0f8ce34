//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing loaded
//! from the network) with the same blocks as `report.md` and the charts drawn in.

use anyhow::Result;

use super::charts;
use super::layout::{Block, Table};
use super::model::Report;

/// Long ids, paths and error messages wrap (`overflow-wrap:anywhere`) and wide tables
/// scroll inside their box, so nothing runs past the window at 1,280 px; the first screen
/// (banner, run, headline, alerts) is compact enough to fit above 900 px.
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;\
margin:1.2rem auto;max-width:1200px;padding:0 1rem;color:#1d1d1f;line-height:1.4;\
overflow-wrap:anywhere}\
h1{font-size:1.5rem;margin:.2rem 0 .6rem}\
h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:1px solid #ddd}\
h1+.banner+h2,h1+h2,.top h2{margin-top:.8rem}\
h3{font-size:1.05rem}\
.wide{max-width:100%;overflow-x:auto}\
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}\
th,td{border:1px solid #ddd;padding:.2rem .5rem;vertical-align:top}\
td{max-width:28rem}\
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums;\
white-space:nowrap}\
figure{margin:1rem 0}svg{max-width:100%;height:auto}\
.banner{background:#fdecea;border:1px solid #d93025;color:#8c1d18;padding:.6rem .8rem;\
border-radius:4px;font-weight:600}\
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr) max-content minmax(0,1fr);\
gap:.1rem .8rem;margin:.4rem 0;font-size:.9rem}\
dl.facts dt{font-weight:600;color:#555}dl.facts dd{margin:0}\
ul.alerts{list-style:none;padding:0;margin:.4rem 0;font-size:.9rem}\
ul.alerts li{border-left:4px solid #999;padding:.2rem .6rem;margin:.25rem 0;background:#f7f7f7}\
ul.alerts li.error{border-color:#d93025;background:#fdecea}\
ul.alerts li.warning{border-color:#e8a100;background:#fff6e0}\
ul.alerts li.info{border-color:#1a73e8;background:#eef4fd}\
ul.alerts .look{color:#555;font-size:.85em}\
details pre{background:#f7f7f7;padding:.6rem;overflow-x:auto;font-size:.8rem;\
white-space:pre-wrap}";

/// A heading's `id`: its words in lower case joined by `-` (`Run report: x` → `run-report-x`).
fn slug(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_lowercase());
    }
    out
}

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
                out.push_str(&format!(
                    "<h{level} id=\"{}\">{}</h{level}>\n",
                    slug(text),
                    escape(text)
                ));
            }
            Block::Banner(text) => {
                out.push_str(&format!(
                    "<div class=\"banner\" id=\"failure\" role=\"alert\">{}</div>\n",
                    escape(text)
                ));
            }
            Block::Facts(facts) => {
                out.push_str("<dl class=\"facts\">\n");
                for (label, value) in facts {
                    out.push_str(&format!(
                        "<dt>{}</dt><dd>{}</dd>\n",
                        escape(label),
                        escape(value)
                    ));
                }
                out.push_str("</dl>\n");
            }
            Block::Alerts(alerts) => {
                out.push_str("<ul class=\"alerts\" id=\"alert-list\">\n");
                for alert in alerts {
                    let severity = alert.severity.as_str();
                    out.push_str(&format!(
                        "<li class=\"{severity}\"><b>{severity}</b> {} <span class=\"look\">→ {}</span></li>\n",
                        escape(&alert.message),
                        escape(&alert.look_at)
                    ));
                }
                out.push_str("</ul>\n");
            }
            Block::Details(summary, text) => {
                out.push_str(&format!(
                    "<details><summary>{}</summary>\n<pre>{}</pre>\n</details>\n",
                    escape(summary),
                    escape(text)
                ));
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
    out.push_str("<div class=\"wide\"><table>\n<thead><tr>");
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
    out.push_str("</tbody>\n</table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_ids() {
        assert_eq!(slug("Run report: finance-web"), "run-report-finance-web");
        assert_eq!(slug("Alerts"), "alerts");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
