//! Which elements are boilerplate: by tag, ARIA role, hidden state, class/id keywords, and
//! link density.
//!
//! Keyword rules are the riskiest (a wrapper `div class="has-sidebar"` holds the whole
//! page), so an element that contains the page's semantic main content (`article`, `main`,
//! `role=main`, `itemprop=articleBody`) is never removed by keyword.

use super::dom::{Dom, Element, NodeKind};
use super::{Favor, Links, Options};

/// Elements that are navigation, chrome or interactive controls, never main text.
const DROP_TAGS: &[&str] = &[
    "nav", "aside", "footer", "form", "button", "dialog", "menu", "label", "input", "fieldset",
    "legend", "noscript",
];

/// ARIA landmark roles outside the main content.
const DROP_ROLES: &[&str] = &[
    "navigation",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
    "toolbar",
    "tablist",
];

/// Substrings of class/id values that mark boilerplate wherever they appear.
const SUBSTRINGS: &[&str] = &[
    "navigation",
    "breadcrumb",
    "sidebar",
    "cookie",
    "consent",
    "newsletter",
    "comment",
    "advert",
    "sponsor",
    "disqus",
    "outbrain",
    "taboola",
    "popup",
    "pagination",
    "masthead",
    "sr-only",
    "screen-reader",
    "visually-hidden",
    "visuallyhidden",
    "share-",
    "social",
];

/// Whole class/id words (split on non-alphanumerics) that mark boilerplate.
const WORDS: &[&str] = &[
    "nav",
    "navbar",
    "menu",
    "footer",
    "share",
    "sharing",
    "related",
    "subscribe",
    "signup",
    "login",
    "ad",
    "ads",
    "promo",
    "modal",
    "skip",
    "pager",
    "toolbar",
    "gdpr",
    "print",
];

/// Extra words removed when precision is favoured.
const PRECISION_WORDS: &[&str] = &[
    "banner",
    "tags",
    "tag",
    "recommended",
    "trending",
    "popular",
    "teaser",
    "more",
    "meta",
    "byline",
    "author",
    "caption",
    "widget",
];

/// Words that recall mode keeps after all (lists of related links can be content).
const RECALL_KEEP: &[&str] = &["related", "promo", "share", "sharing"];

/// Share of the page's raw text above which an element is a wrapper, not boilerplate.
const WRAPPER_SHARE: f32 = 0.4;

/// Per-node verdicts and text statistics of the pruned tree.
#[derive(Debug, Clone)]
pub struct Pruned {
    /// Node is removed (itself or an ancestor is boilerplate).
    pub dropped: Vec<bool>,
    /// Characters of visible, non-dropped text in the subtree (whitespace runs count 1).
    pub text_len: Vec<u32>,
    /// Of `text_len`, characters inside links.
    pub link_len: Vec<u32>,
    /// Commas in the subtree's text (a sign of prose).
    pub commas: Vec<u32>,
    /// Node is or contains semantic main content.
    pub contains_main: Vec<bool>,
}

/// True for the element kinds that declare themselves the page's main content.
pub fn is_semantic_main(e: &Element) -> bool {
    e.tag == "main" || e.tag == "article" || e.role == "main" || e.itemprop == "articlebody"
}

/// Whether the element's own markup marks it boilerplate (not counting ancestors).
pub fn is_boilerplate(e: &Element, favor: Favor, inside_main: bool) -> bool {
    if e.hidden {
        return true;
    }
    if DROP_TAGS.contains(&e.tag.as_str()) {
        return true;
    }
    if e.tag == "header" && !inside_main {
        return true;
    }
    if DROP_ROLES.contains(&e.role.as_str()) || (e.role == "banner" && !inside_main) {
        return true;
    }
    if e.class_id.is_empty() {
        return false;
    }
    if SUBSTRINGS.iter().any(|s| e.class_id.contains(s)) {
        return true;
    }
    e.class_id
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| match favor {
            Favor::Precision => WORDS.contains(&w) || PRECISION_WORDS.contains(&w),
            Favor::Balanced => WORDS.contains(&w),
            Favor::Recall => WORDS.contains(&w) && !RECALL_KEEP.contains(&w),
        })
}

/// Counts the characters of `s` with whitespace runs counted once, and its commas.
fn measure(s: &str) -> (u32, u32) {
    let mut len = 0u32;
    let mut commas = 0u32;
    let mut in_space = true;
    for c in s.chars() {
        if c.is_whitespace() {
            if !in_space {
                len = len.saturating_add(1);
            }
            in_space = true;
        } else {
            in_space = false;
            len = len.saturating_add(1);
            if c == ',' || c == '，' || c == '、' {
                commas += 1;
            }
        }
    }
    (len, commas)
}

/// Link-density limit above which a short block is navigation.
fn link_density_limit(favor: Favor) -> f32 {
    match favor {
        Favor::Precision => 0.35,
        Favor::Balanced => 0.5,
        Favor::Recall => 0.75,
    }
}

/// Block containers whose link density is judged.
const DENSITY_BLOCKS: &[&str] = &[
    "ul", "ol", "dl", "div", "section", "p", "table", "li", "span", "header",
];

/// Marks boilerplate and computes text statistics. Node ids are in document (pre-)order,
/// so every pass is one linear loop: forward for inherited facts, backward for sums.
pub fn prune(dom: &Dom, options: &Options) -> Pruned {
    let n = dom.nodes.len();
    let mut contains_main = vec![false; n];
    for id in (1..n).rev() {
        let node = &dom.nodes[id];
        if node.element().is_some_and(is_semantic_main) {
            contains_main[id] = true;
        }
        if contains_main[id] {
            contains_main[node.parent] = true;
        }
    }
    // Keyword rules never remove an element holding this share of the page's raw text:
    // such an element is a page wrapper (`layout-with-sidebar`, `widget Blog`), not a
    // sidebar or widget.
    let raw_text = sums(dom, &vec![false; n]).0;
    let wrapper_floor = (WRAPPER_SHARE * raw_text[0] as f32) as u32;
    let mut dropped = vec![false; n];
    let mut inside_main = vec![false; n];
    for id in 1..n {
        let node = &dom.nodes[id];
        let parent = node.parent;
        inside_main[id] = inside_main[parent];
        if dropped[parent] {
            dropped[id] = true;
            continue;
        }
        if let Some(e) = node.element() {
            if e.tag == "table" && !options.tables {
                dropped[id] = true;
                continue;
            }
            // A page wrapper is never boilerplate, whatever its markup says (ASP.NET pages
            // wrap the whole body in a `<form>`, some in a hidden `div` that scripts show).
            let wrapper = raw_text[id] >= wrapper_floor && raw_text[id] >= 200;
            // Comments and sharing bars also sit inside articles: keyword rules apply
            // inside main content, but never to an ancestor of it.
            let keyword_ok = !contains_main[id] || is_semantic_main(e);
            if !wrapper && !is_semantic_main(e) {
                dropped[id] = if keyword_ok {
                    is_boilerplate(e, options.favor, inside_main[id])
                } else {
                    e.hidden || DROP_TAGS.contains(&e.tag.as_str())
                };
            }
            inside_main[id] |= is_semantic_main(e);
        }
    }
    let mut stats = sums(dom, &dropped);
    if options.links == Links::DropDense {
        let limit = link_density_limit(options.favor);
        let mut changed = false;
        for id in 1..n {
            let node = &dom.nodes[id];
            if dropped[node.parent] {
                dropped[id] = true;
                continue;
            }
            if dropped[id] || contains_main[id] {
                continue;
            }
            let Some(e) = node.element() else { continue };
            if !DENSITY_BLOCKS.contains(&e.tag.as_str()) {
                continue;
            }
            let (text, links) = (stats.0[id], stats.1[id]);
            let prose = text.saturating_sub(links);
            if text > 0 && links as f32 > limit * text as f32 && prose < 300 {
                dropped[id] = true;
                changed = true;
            }
        }
        if changed {
            stats = sums(dom, &dropped);
        }
    }
    let (text_len, link_len, commas) = stats;
    Pruned {
        dropped,
        text_len,
        link_len,
        commas,
        contains_main,
    }
}

type Sums = (Vec<u32>, Vec<u32>, Vec<u32>);

/// Text length, link text length and commas per subtree, leaving out dropped nodes.
fn sums(dom: &Dom, dropped: &[bool]) -> Sums {
    let n = dom.nodes.len();
    let mut text = vec![0u32; n];
    let mut links = vec![0u32; n];
    let mut commas = vec![0u32; n];
    for id in (1..n).rev() {
        if dropped[id] {
            continue;
        }
        let node = &dom.nodes[id];
        match &node.kind {
            NodeKind::Text(s) => {
                let (len, c) = measure(s);
                text[id] = len;
                commas[id] = c;
            }
            NodeKind::Element(e) if e.tag == "a" => links[id] = text[id],
            _ => {}
        }
        let p = node.parent;
        text[p] = text[p].saturating_add(text[id]);
        links[p] = links[p].saturating_add(links[id]);
        commas[p] = commas[p].saturating_add(commas[id]);
    }
    (text, links, commas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(tag: &str, class_id: &str) -> Element {
        Element {
            tag: tag.into(),
            class_id: class_id.into(),
            ..Element::default()
        }
    }

    #[test]
    fn keywords_match_words_and_substrings() {
        let b = Favor::Balanced;
        assert!(is_boilerplate(&el("div", "cookie-banner"), b, false));
        assert!(is_boilerplate(&el("div", "site-nav"), b, false));
        assert!(is_boilerplate(&el("div", "ad"), b, false));
        assert!(!is_boilerplate(&el("div", "header-add"), b, false));
        assert!(!is_boilerplate(&el("div", "article-body"), b, false));
        assert!(is_boilerplate(&el("header", ""), b, false));
        assert!(!is_boilerplate(&el("header", ""), b, true));
        assert!(is_boilerplate(&el("div", "tags"), Favor::Precision, false));
        assert!(!is_boilerplate(&el("div", "tags"), b, false));
        assert!(!is_boilerplate(&el("div", "related"), Favor::Recall, false));
    }

    #[test]
    fn measure_collapses_whitespace() {
        assert_eq!(measure("  a,  b \n c "), (7, 1));
    }
}
