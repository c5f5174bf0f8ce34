//! A small, bounded document tree built from our tokenizer ([`crate::tokenize`]).
//!
//! The spec tree builder is not used: its adoption-agency and scope rules cost time that
//! grows with nesting depth, and it has no depth or time bound. Instead the tokens feed a
//! simple builder that knows the few implied end tags that matter for text (`p`, `li`,
//! table cells, `option`), caps the nesting depth (deeper start tags are flattened into the
//! deepest kept element), skips the contents of non-text elements without building them,
//! and checks a time budget as the input is read.

use crate::tokenize::{StartTag, TokenSink, tokenize};
use crate::{ExtractError, Limits};

/// Index of a node in [`Dom::nodes`].
pub type NodeId = usize;

/// An element with the attributes extraction looks at.
#[derive(Debug, Clone, Default)]
pub struct Element {
    /// Lowercase tag name.
    pub tag: String,
    /// `class` and `id` values, lowercased and joined by a space.
    pub class_id: String,
    /// `role` attribute, lowercased.
    pub role: String,
    /// `itemprop` attribute, lowercased.
    pub itemprop: String,
    /// Hidden by the `hidden` attribute, `aria-hidden="true"` or an inline
    /// `display:none` / `visibility:hidden` style.
    pub hidden: bool,
}

/// What a node holds.
#[derive(Debug, Clone)]
pub enum NodeKind {
    /// The document root.
    Root,
    /// An element.
    Element(Element),
    /// Character data, entities decoded, whitespace as in the source.
    Text(String),
}

/// One node of the tree.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its content.
    pub kind: NodeKind,
    /// Parent node (the root is its own parent).
    pub parent: NodeId,
    /// Children in document order.
    pub children: Vec<NodeId>,
}

impl Node {
    /// The element, if this node is one.
    pub fn element(&self) -> Option<&Element> {
        match &self.kind {
            NodeKind::Element(e) => Some(e),
            _ => None,
        }
    }
}

/// A parsed page: the tree plus the head metadata extraction reports.
#[derive(Debug, Clone, Default)]
pub struct Dom {
    /// All nodes; index 0 is the root.
    pub nodes: Vec<Node>,
    /// Text of the first `<title>`.
    pub title: String,
    /// `content` of `<meta property="og:title">`.
    pub og_title: String,
    /// `lang` of `<html>`, else `content` of `<meta http-equiv="content-language">`.
    pub lang: String,
    /// The walk stopped early (time budget); the tree holds what came before.
    pub truncated: bool,
}

/// Elements with no content or end tag.
fn is_void(tag: &str) -> bool {
    matches!(
        tag,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "keygen"
    )
}

/// Elements whose whole content is skipped: not text a reader sees. (`noscript` is parsed
/// as markup, as a browser without scripts does: some sites serve their whole content in
/// it; boilerplate rules drop it unless it holds the page.)
fn is_skipped(tag: &str) -> bool {
    matches!(
        tag,
        "script"
            | "style"
            | "template"
            | "svg"
            | "math"
            | "iframe"
            | "object"
            | "canvas"
            | "noembed"
            | "noframes"
            | "xmp"
            | "select"
            | "textarea"
            | "head"
            | "ix:header"
            | "ix:hidden"
    )
}

/// Block starts that close an open `<p>` (HTML's implied end tag).
fn closes_p(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "ul"
            | "ol"
            | "dl"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "section"
            | "article"
            | "aside"
            | "nav"
            | "header"
            | "footer"
            | "main"
            | "blockquote"
            | "pre"
            | "form"
            | "hr"
            | "figure"
            | "address"
            | "details"
            | "fieldset"
    )
}

/// How many end-tag lookups walk up the open-element stack before giving up: bounds the
/// work of a stray end tag on a deep stack.
const END_TAG_SEARCH: usize = 256;

/// The time budget is checked each time the tokenizer has read this many more bytes.
const CHECK_BYTES: usize = 64 * 1024;

struct Builder {
    dom: Dom,
    /// Open elements, innermost last.
    stack: Vec<NodeId>,
    /// Start tags past the depth cap not yet closed.
    overflow: usize,
    /// Name of the element whose content is being skipped, and its nesting count.
    skipping: Option<(String, usize)>,
    in_title: bool,
    max_depth: usize,
}

impl Builder {
    fn current(&self) -> NodeId {
        self.stack.last().copied().unwrap_or(0)
    }

    fn push_node(&mut self, kind: NodeKind) -> NodeId {
        let parent = self.current();
        let id = self.dom.nodes.len();
        self.dom.nodes.push(Node {
            kind,
            parent,
            children: Vec::new(),
        });
        self.dom.nodes[parent].children.push(id);
        id
    }

    fn text(&mut self, s: &str) {
        if self.skipping.is_some() {
            return;
        }
        if self.in_title {
            if self.dom.title.len() < 4096 {
                self.dom.title.push_str(s);
            }
            return;
        }
        let cur = self.current();
        if let Some(&last) = self.dom.nodes[cur].children.last()
            && let NodeKind::Text(t) = &mut self.dom.nodes[last].kind
        {
            t.push_str(s);
            return;
        }
        self.push_node(NodeKind::Text(s.to_string()));
    }

    /// Pops open elements up to and including the innermost `name`, if it is open within
    /// [`END_TAG_SEARCH`] levels and not behind a `stop_at` element.
    fn close(&mut self, name: &str, stop_at: &[&str]) {
        let found = self
            .stack
            .iter()
            .rev()
            .take(END_TAG_SEARCH)
            .map(|&id| self.dom.nodes[id].element().map_or("", |e| e.tag.as_str()))
            .take_while(|tag| !stop_at.contains(tag))
            .position(|tag| tag == name);
        if let Some(pos) = found {
            let keep = self.stack.len() - pos - 1;
            self.stack.truncate(keep);
        }
    }

    fn start(&mut self, tag: &StartTag<'_, '_>) {
        let name = tag.name;
        if let Some((skip, depth)) = &mut self.skipping {
            if name == skip.as_str() && !tag.self_closing {
                *depth += 1;
            }
            return;
        }
        match name {
            "title" if self.dom.title.is_empty() => {
                self.in_title = true;
                return;
            }
            "html" => {
                if let Some(lang) = tag.attr("lang").and_then(language_tag) {
                    self.dom.lang = lang;
                }
                return;
            }
            "meta" => {
                self.meta(tag);
                return;
            }
            "body" => return,
            _ => {}
        }
        if is_skipped(name) {
            if !tag.self_closing && name != "head" {
                self.skipping = Some((name.to_string(), 1));
            }
            return;
        }
        // Implied end tags.
        if closes_p(name) {
            self.close("p", &["div", "td", "th", "li", "blockquote", "table"]);
        }
        match name {
            "li" => self.close("li", &["ul", "ol", "table"]),
            "dt" | "dd" => {
                self.close("dt", &["dl", "table"]);
                self.close("dd", &["dl", "table"]);
            }
            "td" | "th" => {
                self.close("td", &["tr", "table"]);
                self.close("th", &["tr", "table"]);
            }
            "tr" => self.close("tr", &["table"]),
            "option" => self.close("option", &["select"]),
            _ => {}
        }
        let element = element_of(tag);
        let is_void = is_void(name) || tag.self_closing;
        if !is_void && self.stack.len() >= self.max_depth {
            self.overflow += 1;
            return;
        }
        let id = self.push_node(NodeKind::Element(element));
        if !is_void {
            self.stack.push(id);
        }
    }

    fn end(&mut self, name: &str) {
        if let Some((skip, depth)) = &mut self.skipping {
            if name == skip.as_str() {
                *depth -= 1;
                if *depth == 0 {
                    self.skipping = None;
                }
            }
            return;
        }
        if name == "title" {
            self.in_title = false;
            return;
        }
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        self.close(name, &[]);
    }

    fn meta(&mut self, tag: &StartTag<'_, '_>) {
        let attr = |key: &str| {
            tag.attr(key)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let content = attr("content");
        if attr("property").eq_ignore_ascii_case("og:title") && self.dom.og_title.is_empty() {
            self.dom.og_title = content;
        } else if attr("http-equiv").eq_ignore_ascii_case("content-language")
            && self.dom.lang.is_empty()
            && let Some(lang) = language_tag(&content)
        {
            self.dom.lang = lang;
        }
    }
}

/// The first language tag of a `lang` or `content-language` value (`"en-GB"`, `"de, en"`),
/// when it is shaped like one (BCP 47: a 2-3 letter language, then script, region and
/// variant subtags of 2-8 letters or digits). Pages put charsets (`"UTF-8"`) and words there
/// too; those are no hint.
pub fn language_tag(value: &str) -> Option<String> {
    let tag = value.split(',').next()?.trim();
    let mut subtags = tag.split(['-', '_']);
    let language = subtags.next()?;
    let language_ok =
        (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok =
        subtags.all(|s| (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    (language_ok && rest_ok).then(|| tag.to_owned())
}

/// The attributes extraction uses, normalised.
fn element_of(tag: &StartTag<'_, '_>) -> Element {
    let mut e = Element {
        tag: tag.name.to_string(),
        ..Element::default()
    };
    for (name, value) in tag.attrs {
        match name.as_ref() {
            "class" | "id" => {
                if !e.class_id.is_empty() {
                    e.class_id.push(' ');
                }
                e.class_id.push_str(&value.to_ascii_lowercase());
            }
            "role" => e.role = value.to_ascii_lowercase(),
            "itemprop" => e.itemprop = value.to_ascii_lowercase(),
            "hidden" => e.hidden = true,
            "aria-hidden" => e.hidden |= value.eq_ignore_ascii_case("true"),
            "style" => {
                let style: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_ascii_lowercase();
                e.hidden |= style.contains("display:none") || style.contains("visibility:hidden");
            }
            _ => {}
        }
    }
    e
}

impl TokenSink for Builder {
    fn start_tag(&mut self, tag: &StartTag<'_, '_>) {
        self.start(tag);
    }

    fn end_tag(&mut self, name: &str) {
        self.end(name);
    }

    fn text(&mut self, text: &str) {
        Builder::text(self, text);
    }
}

/// Parses `html` (already truncated to the byte limit) into a [`Dom`].
///
/// Returns [`ExtractError::WorkBudget`] when the budget runs out before any text was
/// read; otherwise a budget overrun ends the parse early with `truncated` set.
pub(crate) fn parse(html: &str, limits: &Limits, work: &crate::Work) -> Result<Dom, ExtractError> {
    let mut builder = Builder {
        dom: Dom {
            nodes: vec![Node {
                kind: NodeKind::Root,
                parent: 0,
                children: Vec::new(),
            }],
            ..Dom::default()
        },
        stack: Vec::new(),
        overflow: 0,
        skipping: None,
        in_title: false,
        max_depth: limits.max_depth.max(1),
    };
    let truncated = tokenize(html, &mut builder, CHECK_BYTES, &mut || {
        work.spend(CHECK_BYTES as u64)
    });
    let mut dom = builder.dom;
    dom.truncated = truncated;
    if truncated && dom.nodes.len() <= 1 {
        return Err(ExtractError::WorkBudget);
    }
    Ok(dom)
}
