//! Rendering the selected subtrees as text: one line per paragraph, heading, list item or
//! table row (cells joined by " | "), whitespace collapsed, empty lines dropped.

use crate::boilerplate::Pruned;
use crate::dom::{Dom, NodeId, NodeKind};

/// Elements that start and end a line.
fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "pre"
            | "table"
            | "tr"
            | "section"
            | "article"
            | "main"
            | "header"
            | "figure"
            | "figcaption"
            | "hr"
            | "br"
            | "address"
            | "details"
            | "summary"
            | "caption"
            | "thead"
            | "tbody"
            | "tfoot"
            | "center"
    )
}

/// Table cells: separated by " | " within their row.
fn is_cell(tag: &str) -> bool {
    matches!(tag, "td" | "th")
}

/// A "heading" longer than this is prose set in a heading element, and never dropped.
const MAX_HEADING_BYTES: usize = 200;

/// Share of a line's text in links from which the line is a link, not prose.
const LINK_LINE: f32 = 0.8;

/// A finished line.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    /// Heading level (1-6; 0 for other lines).
    level: u8,
    /// Share of its bytes inside links.
    link_share: f32,
}

impl Line {
    /// A short line from a heading element.
    fn is_heading(&self) -> bool {
        self.level > 0 && self.text.len() <= MAX_HEADING_BYTES
    }

    fn is_link(&self) -> bool {
        self.link_share >= LINK_LINE
    }
}

/// Collects lines of text.
#[derive(Default)]
struct Lines {
    out: Vec<Line>,
    line: String,
    /// Heading level of the line being collected.
    level: u8,
    /// Open `a` elements around the current text.
    in_link: u32,
    /// Bytes of the current line written inside links.
    link_bytes: usize,
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
            if self.in_link > 0 {
                self.link_bytes += word.len();
            }
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
            self.out.push(Line {
                text: line.to_string(),
                level: self.level,
                link_share: self.link_bytes as f32 / line.len() as f32,
            });
        }
        self.line.clear();
        self.link_bytes = 0;
        self.level = 0;
        self.sep_pending = false;
    }

    /// The text, one line per block. With `drop_empty_sections`, two kinds of leftovers
    /// of removed boilerplate go: a heading that heads nothing (one followed by a heading
    /// of the same or a higher rank, or ending the text: "Related articles" above a
    /// dropped link list), and the run of link-only lines and headings that ends the text
    /// ("More on this topic" and its links), as long as some prose stays.
    fn finish(mut self, drop_empty_sections: bool) -> String {
        self.break_line();
        let mut keep = vec![true; self.out.len()];
        if drop_empty_sections && self.out.iter().any(|l| !l.is_heading()) {
            // Walking backwards, `next` is the level of the next kept line: 0 for a body
            // line, and the end of the text closes headings of every rank, as an `h1`
            // would.
            let mut next = 1u8;
            for (i, line) in self.out.iter().enumerate().rev() {
                let level = if line.is_heading() { line.level } else { 0 };
                if level > 0 && next > 0 && next <= level {
                    keep[i] = false;
                    continue;
                }
                next = level;
            }
            let last_prose = self
                .out
                .iter()
                .rposition(|l| !l.is_heading() && !l.is_link());
            if let Some(last) = last_prose {
                keep[last + 1..].fill(false);
            }
        }
        let mut text = String::new();
        for (line, keep) in self.out.iter().zip(keep) {
            if keep {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&line.text);
            }
        }
        text
    }
}

/// The rank of a heading element, 0 for other tags.
fn heading_level(tag: &str) -> u8 {
    match tag {
        "h1" => 1,
        "h2" => 2,
        "h3" => 3,
        "h4" => 4,
        "h5" => 5,
        "h6" => 6,
        _ => 0,
    }
}

/// Renders `roots` (in order) as lines. Stops early, returning what it has and `true`,
/// when `spend` says the work budget is spent (4,096 nodes counted at a time).
/// `drop_empty_sections` leaves out headings that head nothing and the link-only lines
/// that end the text (leftovers of removed related-content blocks).
pub fn render(
    dom: &Dom,
    pruned: &Pruned,
    roots: &[NodeId],
    drop_empty_sections: bool,
    spend: &dyn Fn(u64) -> bool,
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
                if tag.is_some_and(is_block) {
                    lines.break_line();
                } else if tag == Some("a") {
                    lines.in_link = lines.in_link.saturating_sub(1);
                }
                continue;
            }
            visited += 1;
            if visited.is_multiple_of(4096) && spend(4096) {
                return (lines.finish(drop_empty_sections), true);
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
                if is_block(t) {
                    lines.break_line();
                    lines.level = heading_level(t);
                } else if is_cell(t) {
                    lines.cell();
                } else if t == "img" || t == "wbr" {
                    continue;
                } else if t == "a" {
                    lines.in_link += 1;
                }
            }
            stack.push((id, true));
            stack.extend(node.children.iter().rev().map(|&c| (c, false)));
        }
        lines.break_line();
    }
    (lines.finish(drop_empty_sections), false)
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
        assert_eq!(l.finish(true), "Hello world\na | b");
    }

    #[test]
    fn headings_that_head_nothing_are_dropped() {
        let mut l = Lines::default();
        for (text, level) in [
            ("Title", 1),
            ("Intro", 0),
            ("Empty section", 2),
            ("Section", 2),
            ("Subsection", 3),
            ("Body", 0),
            ("Related articles", 2),
        ] {
            l.level = level;
            l.text(text);
            l.break_line();
        }
        let mut all = Lines {
            out: l.out.clone(),
            ..Lines::default()
        };
        assert_eq!(l.finish(true), "Title\nIntro\nSection\nSubsection\nBody");
        all.level = 2;
        all.text("Last");
        assert_eq!(all.out.len(), 7);
        assert_eq!(all.finish(false).lines().count(), 8);
    }

    #[test]
    fn trailing_link_lines_are_dropped() {
        let mut l = Lines::default();
        l.text("A paragraph of prose.");
        l.break_line();
        l.in_link = 1;
        l.text("A link between paragraphs");
        l.in_link = 0;
        l.break_line();
        l.text("More prose with a ");
        l.in_link = 1;
        l.text("link");
        l.in_link = 0;
        l.break_line();
        l.level = 2;
        l.text("More stories");
        l.break_line();
        l.in_link = 1;
        l.text("Story one");
        l.break_line();
        l.text("Story two");
        l.break_line();
        assert_eq!(
            l.finish(true),
            "A paragraph of prose.\nA link between paragraphs\nMore prose with a link"
        );
    }
}
