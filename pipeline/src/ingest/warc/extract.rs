//! Main-text extraction from HTML with the `trafilatura` crate, bounded in size and depth.
//!
//! Deeply nested pages are the danger: the HTML parser's tree building slows with the
//! square of the nesting depth, and recursive walks need stack. A cheap scan of the tags
//! estimates the depth first; pages deeper than [`MAX_NESTING`] are skipped with a reason.

use memchr::memchr_iter;

/// Deepest element nesting handed to the extractor (real pages stay far below it). The
/// HTML parser's tree building costs grow with the square of the depth (a 100,000-deep
/// page takes minutes), so the limit also bounds time, not only the stack.
pub(crate) const MAX_NESTING: usize = 1_000;

/// Elements without end tags, and elements whose end tag is implied by the next sibling:
/// neither deepens the tree in practice.
const NON_NESTING: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
    b"p",
    b"li",
    b"option",
    b"dt",
    b"dd",
    b"tr",
    b"td",
    b"th",
    b"keygen",
    b"!doctype",
];

/// Estimates the maximum nesting depth of the elements in `html` (start tags minus end
/// tags, ignoring void and self-closing tags). Stops counting once over `cap`.
pub(crate) fn nesting_depth(html: &[u8], cap: usize) -> usize {
    let mut depth = 0usize;
    let mut max = 0usize;
    for at in memchr_iter(b'<', html) {
        let rest = &html[at + 1..];
        match rest.first() {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(b) if b.is_ascii_alphabetic() => {
                let name_len = rest
                    .iter()
                    .position(|&c| !c.is_ascii_alphanumeric() && c != b'-' && c != b':')
                    .unwrap_or(rest.len());
                let name = rest[..name_len].to_ascii_lowercase();
                if NON_NESTING.contains(&name.as_slice()) {
                    continue;
                }
                let tag_end = memchr::memchr(b'>', rest).unwrap_or(rest.len());
                if tag_end > 0 && rest[tag_end - 1] == b'/' {
                    continue;
                }
                depth += 1;
                max = max.max(depth);
                if max > cap {
                    return max;
                }
            }
            _ => {}
        }
    }
    max
}

/// The main text of a page, paragraphs as lines, or `None` when nothing is extracted.
///
/// The crate's `content_text` joins the whole article into one line, so the text is
/// rendered here from the extracted HTML, with a line break at every block element.
pub(crate) fn main_text(html: &str) -> Option<String> {
    let options = trafilatura::Options::default()
        .with_exclude_comments(true)
        .with_focus(trafilatura::ExtractionFocus::Balanced)
        .with_fallback(true);
    let result = trafilatura::extract(html, &options).ok()?;
    let text = html_to_lines(&result.content_html);
    (!text.is_empty()).then_some(text)
}

/// Elements that start and end a line of text.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "li",
    "item",
    "ul",
    "ol",
    "list",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "quote",
    "pre",
    "table",
    "tr",
    "row",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "figure",
    "figcaption",
    "hr",
    "br",
    "lb",
    "form",
    "fieldset",
    "address",
    "details",
    "summary",
    "title",
    "body",
    "html",
];
/// Elements whose text is not content.
const SKIP_TAGS: &[&str] = &["script", "style", "noscript", "template"];
/// Elements that get a space before them (table cells).
const SPACED_TAGS: &[&str] = &["td", "th", "cell"];

/// Renders HTML as text: one line per block element, whitespace collapsed, empty lines
/// dropped. Walks the tree with an explicit stack, so depth cannot overflow it.
fn html_to_lines(html: &str) -> String {
    let doc = trafilatura::dom::Document::parse(html);
    let mut lines = LineBuilder::default();
    let mut stack = vec![(doc.root(), false)];
    while let Some((id, closing)) = stack.pop() {
        if closing {
            lines.break_line();
            continue;
        }
        if doc.is_text(id) {
            lines.push_text(&doc.text_content(id));
            continue;
        }
        if doc.is_element(id) {
            let tag = doc.tag_name(id).to_ascii_lowercase();
            if SKIP_TAGS.contains(&tag.as_str()) {
                continue;
            }
            if BLOCK_TAGS.contains(&tag.as_str()) {
                lines.break_line();
                stack.push((id, true));
            } else if SPACED_TAGS.contains(&tag.as_str()) {
                lines.push_text(" ");
            }
        }
        stack.extend(
            doc.child_nodes(id)
                .into_iter()
                .rev()
                .map(|child| (child, false)),
        );
    }
    lines.finish()
}

/// Accumulates text into lines, collapsing whitespace.
#[derive(Default)]
struct LineBuilder {
    out: String,
    line: String,
    pending_space: bool,
}

impl LineBuilder {
    fn push_text(&mut self, text: &str) {
        for (i, word) in text.split(char::is_whitespace).enumerate() {
            if i > 0 {
                self.pending_space = true;
            }
            if word.is_empty() {
                continue;
            }
            if self.pending_space && !self.line.is_empty() {
                self.line.push(' ');
            }
            self.pending_space = false;
            self.line.push_str(word);
        }
    }

    fn break_line(&mut self) {
        self.pending_space = false;
        if self.line.is_empty() {
            return;
        }
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out.push_str(&self.line);
        self.line.clear();
    }

    fn finish(mut self) -> String {
        self.break_line();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_estimate() {
        assert_eq!(
            nesting_depth(
                b"<html><body><div><p>a<p>b<br><img src=x/></div></body></html>",
                100
            ),
            3
        );
        assert_eq!(nesting_depth(&b"<div>".repeat(5000), 100), 101);
        assert_eq!(nesting_depth(b"<!-- x --><!DOCTYPE html><a>x</a>", 100), 1);
    }

    #[test]
    fn extracts_paragraphs_as_lines() {
        let paragraph = "The river carried sediment from the high mountains down to the wide sea, and over thousands of years it shaped the valleys, the plains and the delta that farmers still work today.";
        let html = format!(
            "<html><body><nav>Home | About | Contact</nav><article><h1>Title here</h1>\
             <p>The first paragraph. {paragraph}</p><p>The second paragraph. {paragraph}</p>\
             <p>The third paragraph. {paragraph}</p></article><footer>Copyright</footer></body></html>"
        );
        let text = main_text(&html).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0], "Title here");
        assert!(
            lines[2].starts_with("The second paragraph. The river"),
            "{text}"
        );
        assert!(
            !text.contains("Copyright") && !text.contains("Contact"),
            "{text}"
        );
        assert!(!text.contains("\n\n"));
    }

    #[test]
    fn nesting_just_under_the_limit_fits_a_small_stack() {
        // Worker threads get 2 MiB stacks by default; the limit must be safe there.
        let depth = MAX_NESTING - 10;
        let html = format!(
            "<html><body>{}<p>Some words deep inside the page, enough to be kept as text.</p>{}</body></html>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        assert!(nesting_depth(html.as_bytes(), MAX_NESTING) <= MAX_NESTING);
        let handle = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || main_text(&html))
            .unwrap();
        handle.join().unwrap();
    }

    #[test]
    fn html_rendering() {
        assert_eq!(
            html_to_lines(
                "<p>One  <b>bold</b>\n word.</p><p>Two<br>lines</p><table><tr><td>a</td><td>b</td></tr></table><script>x()</script>"
            ),
            "One bold word.\nTwo\nlines\na b"
        );
        let deep = format!(
            "{}<p>deep</p>{}",
            "<div>".repeat(MAX_NESTING),
            "</div>".repeat(MAX_NESTING)
        );
        assert_eq!(html_to_lines(&deep), "deep");
    }

    #[test]
    fn empty_page_gives_none() {
        assert_eq!(main_text("<html><body></body></html>"), None);
    }
}
