//! `report.md`: the blocks as GitHub-flavoured Markdown (charts are in the HTML report).

use super::layout::{Block, Chart, Table};

/// Renders the blocks as Markdown.
pub fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&"#".repeat(usize::from(*level)));
                out.push(' ');
                out.push_str(text);
                out.push_str("\n\n");
            }
            Block::Paragraph(text) => {
                out.push_str(text);
                out.push_str("\n\n");
            }
            Block::Bullets(items) => {
                for item in items {
                    out.push_str("- ");
                    out.push_str(item);
                    out.push('\n');
                }
                out.push('\n');
            }
            Block::Table(table) => {
                render_table(table, &mut out);
                out.push('\n');
            }
            Block::Banner(text) => {
                out.push_str(&format!("> **{}**\n\n", cell(text)));
            }
            Block::Facts(facts) => {
                for (label, value) in facts {
                    out.push_str(&format!("- **{label}**: {value}\n"));
                }
                out.push('\n');
            }
            Block::Alerts(alerts) => {
                for alert in alerts {
                    out.push_str(&format!(
                        "- **{}**: {} (look at: {})\n",
                        alert.severity.as_str(),
                        alert.message,
                        alert.look_at
                    ));
                }
                out.push('\n');
            }
            Block::Details(summary, text) => {
                out.push_str(&format!(
                    "<details><summary>{summary}</summary>\n\n```toml\n{}\n```\n\n</details>\n\n",
                    text.trim_end()
                ));
            }
            Block::Chart(chart) => {
                let name = match chart {
                    Chart::Funnel => "the funnel",
                    Chart::Mix => "the mix",
                    Chart::Budget => "the budget",
                };
                out.push_str(&format!("_A chart of {name} is in report.html._\n\n"));
            }
        }
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A pipe table; number columns right-aligned.
pub fn render_table(table: &Table, out: &mut String) {
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(&table.headers));
    let rule: Vec<String> = (0..table.headers.len())
        .map(|i| {
            if i < table.text_columns {
                "---".to_owned()
            } else {
                "---:".to_owned()
            }
        })
        .collect();
    out.push_str(&format!("|{}|\n", rule.join("|")));
    for row in &table.rows {
        out.push_str(&line(row));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_escape_pipes_and_align_numbers() {
        let table = Table {
            headers: vec!["name".into(), "n".into()],
            rows: vec![vec!["a|b".into(), "1".into()]],
            text_columns: 1,
        };
        let mut out = String::new();
        render_table(&table, &mut out);
        assert_eq!(out, "| name | n |\n|---|---:|\n| a\\|b | 1 |\n");
    }
}
