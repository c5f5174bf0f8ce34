//! Rendering the selected subtrees as text: one line per paragraph, heading, list item or
//! table row (cells joined by " | "), whitespace collapsed, empty lines dropped.

use super::boilerplate::Pruned;
use super::dom::{Dom, NodeId, NodeKind};

/// Elements that start and end a line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "table",
    "tr",
    "section",
    "article",
    "main",
    "header",
    "figure",
    "figcaption",
    "hr",
    "br",
    "address",
    "details",
    "summary",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "center",
];

/// Table cells: separated by " | " within their row.
const CELLS: &[&str] = &["td", "th"];

/// Collects lines of text.
#[derive(Default)]
struct Lines {
    out: String,
    line: String,
    /// A cell started after text on this line: the next word gets a " | " before it, so
    /// empty cells add no separators.
    sep_pending: bool,
}

impl Lines {
    fn text(&mut self, s: &str) {
        for (i, word) in s.split_whitespace().enumerate() {
            if self.sep_pending {
                let trimmed = self.line.trim_end().len();
                self.line.truncate(trimmed);
                self.line.push_str(" | ");
                self.sep_pending = false;
            } else {
                let space_before = i > 0 || s.starts_with(char::is_whitespace);
                if !self.line.is_empty() && space_before && !self.line.ends_with(' ') {
                    self.line.push(' ');
                }
            }
            self.line.push_str(word);
        }
        if s.ends_with(char::is_whitespace) && !self.line.is_empty() && !self.line.ends_with(' ') {
            self.line.push(' ');
        }
    }

    fn cell(&mut self) {
        self.sep_pending = !self.line.trim().is_empty();
    }

    fn break_line(&mut self) {
        let line = self.line.trim();
        if !line.is_empty() {
            if !self.out.is_empty() {
                self.out.push('\n');
            }
            self.out.push_str(line);
        }
        self.line.clear();
        self.sep_pending = false;
    }
}

/// Renders `roots` (in order) as lines. Stops early, returning what it has and `true`,
/// when `deadline_passed` says the time budget is spent (checked every 4,096 nodes).
pub fn render(
    dom: &Dom,
    pruned: &Pruned,
    roots: &[NodeId],
    deadline_passed: &dyn Fn() -> bool,
) -> (String, bool) {
    let mut lines = Lines::default();
    let mut stack: Vec<(NodeId, bool)> = Vec::new();
    let mut visited = 0usize;
    for &root in roots {
        stack.push((root, false));
        while let Some((id, closing)) = stack.pop() {
            let node = &dom.nodes[id];
            let tag = node.element().map(|e| e.tag.as_str());
            if closing {
                if tag.is_some_and(|t| BLOCKS.contains(&t)) {
                    lines.break_line();
                }
                continue;
            }
            visited += 1;
            if visited.is_multiple_of(4096) && deadline_passed() {
                lines.break_line();
                return (lines.out, true);
            }
            if pruned.dropped[id] {
                continue;
            }
            match &node.kind {
                NodeKind::Text(s) => {
                    lines.text(s);
                    continue;
                }
                NodeKind::Element(_) | NodeKind::Root => {}
            }
            if let Some(t) = tag {
                if BLOCKS.contains(&t) {
                    lines.break_line();
                } else if CELLS.contains(&t) {
                    lines.cell();
                } else if t == "img" || t == "wbr" {
                    continue;
                }
            }
            stack.push((id, true));
            stack.extend(node.children.iter().rev().map(|&c| (c, false)));
        }
        lines.break_line();
    }
    (lines.out, false)
}

/// Collapses whitespace in a one-line string (titles).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_join_words_and_cells() {
        let mut l = Lines::default();
        l.text("  Hello ");
        l.text("world");
        l.break_line();
        l.cell();
        l.text("a");
        l.cell();
        l.cell();
        l.text(" b ");
        l.break_line();
        assert_eq!(l.out, "Hello world\na | b");
    }
}
