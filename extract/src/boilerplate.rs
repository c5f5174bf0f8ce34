//! Which elements are boilerplate: by tag, ARIA role, hidden state, class/id keywords, and
//! link density.
//!
//! Keyword rules are the riskiest (a wrapper `div class="has-sidebar"` holds the whole
//! page), so an element is never removed by keyword when it contains the page's semantic
//! main content (`article`, `main`, `role=main`, `itemprop=articleBody`), most of its text
//! or most of its prose paragraphs; and keywords of page chrome (navigation, sharing, tags)
//! do not remove an element holding a prose paragraph. Link density is judged leniently on
//! listing pages (little prose), where links with headline-length text are the content.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::dom::{Dom, Element, NodeKind};
use crate::{Favor, Links, Options};

/// Elements that are navigation, chrome or interactive controls, never main text.
fn is_drop_tag(tag: &str) -> bool {
    matches!(
        tag,
        "nav"
            | "aside"
            | "footer"
            | "form"
            | "button"
            | "dialog"
            | "menu"
            | "label"
            | "input"
            | "fieldset"
            | "legend"
            | "noscript"
    )
}

/// Elements beside the running text: image captions and credits, publication times.
/// Kept only when recall is favoured.
fn is_side_tag(tag: &str) -> bool {
    matches!(tag, "figcaption" | "time")
}

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
    "masthead",
    "sr-only",
    "screen-reader",
    "visually-hidden",
    "visuallyhidden",
    "footer",
    "related",
    "viral",
    "syndication",
    "byline",
    "user-info",
    "user-profile",
    "-ad-",
    "criteo",
    "most-popular",
    "lightbox",
    "legend",
    "copyright",
    "disclaimer",
    "caption",
    "credit",
    "donat",
    "author",
    "noprint",
];

/// Substrings of class/id values that mark page chrome: navigation, sharing bars, tag
/// lists, buttons, ratings, dates. Unlike other keywords they yield to prose: chrome holds
/// links and labels, never paragraphs, so an element so named that holds paragraphs is a
/// section of the text (`content-nav-section` of an article split into sections for its
/// table of contents, `sharing-with-a-single-developer` as a section id made from its
/// heading).
const CHROME_SUBSTRINGS: &[&str] = &[
    "navigation",
    "breadcrumb",
    "pagination",
    "subnav",
    "share-",
    "social",
    "timestamp",
    "tag-list",
    "skip-link",
    "skiplink",
    "skip-to",
    "skip-nav",
    "button",
    "reading-time",
    "rating",
];

/// Whole class/id words that mark page chrome (see [`CHROME_SUBSTRINGS`]).
const CHROME_WORDS: &[&str] = &[
    "nav", "navbar", "menu", "pager", "toolbar", "share", "sharing", "tags", "meta",
];

/// Whole class/id words (split on non-alphanumerics) that mark boilerplate.
const WORDS: &[&str] = &[
    "footer",
    "related",
    "subscribe",
    "signup",
    "login",
    "ad",
    "ads",
    "promo",
    "modal",
    "gdpr",
    "adv",
];

/// Extra words removed when precision is favoured.
const PRECISION_WORDS: &[&str] = &[
    "banner",
    "tag",
    "recommended",
    "trending",
    "popular",
    "teaser",
    "more",
    "byline",
    "author",
    "caption",
    "widget",
];

/// Words that recall mode keeps after all (lists of related links can be content).
const RECALL_KEEP: &[&str] = &["related", "promo", "share", "sharing"];

/// Share of the page's raw text above which an element is a wrapper, not boilerplate.
const WRAPPER_SHARE: f32 = 0.6;

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
    /// Of `text_len`, characters in prose paragraphs (long `p` elements, few links).
    pub prose: Vec<u32>,
}

/// True for the element kinds that declare themselves the page's main content.
pub fn is_semantic_main(e: &Element) -> bool {
    e.tag == "main" || e.tag == "article" || e.role == "main" || e.itemprop == "articlebody"
}

/// Whether the element's own markup marks it boilerplate (not counting ancestors).
pub fn is_boilerplate(e: &Element, favor: Favor, inside_main: bool) -> bool {
    markup_boilerplate(e, favor, inside_main) || keyword(e, favor).is_some()
}

/// Boilerplate by hidden state, tag or ARIA role.
fn markup_boilerplate(e: &Element, favor: Favor, inside_main: bool) -> bool {
    e.hidden
        || is_drop_tag(&e.tag)
        || (favor != Favor::Recall && is_side_tag(&e.tag))
        || (e.tag == "header" && !inside_main)
        || DROP_ROLES.contains(&e.role.as_str())
        || (e.role == "banner" && !inside_main)
}

/// What a class/id keyword says an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Page chrome only: menus, breadcrumbs, pagers, sharing bars, tag lists.
    Chrome,
    /// Other boilerplate: ads, sharing, comments, related content, cookie notices.
    Other,
}

/// The boilerplate keyword in the element's class/id, if any; [`Keyword::Other`] wins
/// when both kinds match.
pub fn keyword(e: &Element, favor: Favor) -> Option<Keyword> {
    if e.class_id.is_empty() {
        return None;
    }
    let tables = &*KEYWORDS;
    let other_substring = if favor == Favor::Recall {
        tables
            .substrings
            .find_overlapping_iter(&e.class_id)
            .any(|m| !RECALL_KEEP.contains(&SUBSTRINGS[m.pattern().as_usize()]))
    } else {
        tables.substrings.is_match(&e.class_id)
    };
    if other_substring {
        return Some(Keyword::Other);
    }
    let mut chrome = tables.chrome_substrings.is_match(&e.class_id);
    for w in e.class_id.split(|c: char| !c.is_ascii_alphanumeric()) {
        let Some(&flags) = tables.words.get(w) else {
            continue;
        };
        let other = match favor {
            Favor::Precision => flags & (WORD | PRECISION_WORD) != 0,
            Favor::Balanced => flags & WORD != 0,
            Favor::Recall => flags & WORD != 0 && flags & KEEP_FOR_RECALL == 0,
        };
        if other {
            return Some(Keyword::Other);
        }
        let kept_for_recall = favor == Favor::Recall && flags & KEEP_FOR_RECALL != 0;
        chrome |= flags & CHROME_WORD != 0 && !kept_for_recall;
    }
    chrome.then_some(Keyword::Chrome)
}

/// Word flags in [`Keywords::words`].
const WORD: u8 = 1;
const PRECISION_WORD: u8 = 2;
const KEEP_FOR_RECALL: u8 = 4;
const CHROME_WORD: u8 = 8;

/// The keyword lists compiled for matching: substrings by Aho-Corasick, words by hash.
struct Keywords {
    substrings: AhoCorasick,
    chrome_substrings: AhoCorasick,
    words: HashMap<&'static str, u8>,
}

static KEYWORDS: LazyLock<Keywords> = LazyLock::new(|| {
    let mut words: HashMap<&'static str, u8> = HashMap::new();
    for (list, flag) in [
        (WORDS, WORD),
        (PRECISION_WORDS, PRECISION_WORD),
        (RECALL_KEEP, KEEP_FOR_RECALL),
        (CHROME_WORDS, CHROME_WORD),
    ] {
        for &w in list {
            *words.entry(w).or_insert(0) |= flag;
        }
    }
    Keywords {
        // Building from these constant lists cannot fail.
        substrings: AhoCorasick::new(SUBSTRINGS).expect("constant patterns"),
        chrome_substrings: AhoCorasick::new(CHROME_SUBSTRINGS).expect("constant patterns"),
        words,
    }
});

/// Counts the characters of `s` with whitespace runs counted once, and its commas.
fn measure(s: &str) -> (u32, u32) {
    let mut len = 0u32;
    let mut commas = 0u32;
    let mut in_space = true;
    if s.is_ascii() {
        for b in s.bytes() {
            if b.is_ascii_whitespace() || b == b'\x0b' {
                if !in_space {
                    len = len.saturating_add(1);
                }
                in_space = true;
            } else {
                in_space = false;
                len = len.saturating_add(1);
                commas += u32::from(b == b',');
            }
        }
        return (len, commas);
    }
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

/// A page with fewer characters of prose paragraphs than this is a listing.
const LISTING_PROSE: u32 = 1000;

/// Link-density limit for blocks of a listing page.
const LISTING_LINK_DENSITY: f32 = 0.8;

/// A `p` this long is never dropped for its links.
const LONG_PARAGRAPH: u32 = 100;

/// Mean characters per link from which a listing's links are headlines of its items.
const HEADLINE_LINK_CHARS: u32 = 30;

/// Links holding text per subtree.
fn count_links(dom: &Dom, text: &[u32]) -> Vec<u32> {
    let n = dom.nodes.len();
    let mut count = vec![0u32; n];
    for id in (1..n).rev() {
        let node = &dom.nodes[id];
        if node.element().is_some_and(|e| e.tag == "a") && text[id] > 0 {
            count[id] += 1;
        }
        let p = node.parent;
        count[p] = count[p].saturating_add(count[id]);
    }
    count
}

/// Block containers whose link density is judged.
fn is_density_block(tag: &str) -> bool {
    matches!(
        tag,
        "ul" | "ol" | "dl" | "div" | "section" | "p" | "table" | "li" | "span" | "header"
    )
}

/// Marks boilerplate and computes text statistics. Node ids are in document (pre-)order,
/// so every pass is one linear loop: forward for inherited facts, backward for sums.
pub fn prune(dom: &Dom, options: &Options) -> Pruned {
    prune_with(dom, options, true)
}

/// [`prune`], with class/id keyword rules on or off. Off is the fallback for pages whose
/// every text block carries a boilerplate keyword (a comment thread that is the page, a
/// site that names its content `widget`): tag, role, hidden-state and link-density rules
/// still apply.
pub fn prune_with(dom: &Dom, options: &Options, keywords: bool) -> Pruned {
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
    // Text is measured once; the sums below are redone as nodes are dropped.
    let measured: Vec<(u32, u32)> = dom
        .nodes
        .iter()
        .map(|node| match &node.kind {
            NodeKind::Text(s) => measure(s),
            _ => (0, 0),
        })
        .collect();
    let (raw_text, raw_links, _) = sums(dom, &measured, &vec![false; n]);
    let wrapper_floor = (WRAPPER_SHARE * raw_text[0] as f32) as u32;
    // Nor one holding most of the page's prose: the article of a page whose chrome
    // outweighs it (`article-content sticky-sidebar`, `entry-content has-paywall`).
    let prose = prose_sums(dom, &raw_text, &raw_links);
    let prose_floor = ((PROSE_SHARE * prose[0] as f32) as u32).max(MIN_PROSE);
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
            let wrapper =
                (raw_text[id] >= wrapper_floor && raw_text[id] >= 200) || prose[id] >= prose_floor;
            // Comments and sharing bars also sit inside articles: keyword rules apply
            // inside main content, but never to an ancestor of it.
            let keyword_ok = keywords && (!contains_main[id] || is_semantic_main(e));
            if !wrapper && !is_semantic_main(e) {
                dropped[id] = if keyword_ok {
                    markup_boilerplate(e, options.favor, inside_main[id])
                        || match keyword(e, options.favor) {
                            Some(Keyword::Other) => true,
                            Some(Keyword::Chrome) => prose[id] < CHROME_MAX_PROSE,
                            None => false,
                        }
                } else {
                    e.hidden || is_drop_tag(&e.tag)
                };
            }
            inside_main[id] |= is_semantic_main(e);
        }
    }
    let mut stats = sums(dom, &measured, &dropped);
    if options.links == Links::DropDense {
        // A page with little prose is a listing (home page, category, search results):
        // its content is links with short descriptions, so only blocks that are nearly all
        // links go. On an article page the same blocks are "more stories" rails.
        let listing = prose[0] < LISTING_PROSE;
        let limit = if listing {
            link_density_limit(options.favor).max(LISTING_LINK_DENSITY)
        } else {
            link_density_limit(options.favor)
        };
        let link_count = if listing {
            count_links(dom, &stats.0)
        } else {
            Vec::new()
        };
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
            if !is_density_block(&e.tag) {
                continue;
            }
            let (text, links) = (stats.0[id], stats.1[id]);
            let prose = text.saturating_sub(links);
            // On a listing, links that read like headlines (long on average) are the
            // listed items, not navigation.
            let headlines = listing
                && link_count[id] > 0
                && links >= HEADLINE_LINK_CHARS.saturating_mul(link_count[id]);
            // A long paragraph that is one link is still a paragraph (a linked summary,
            // a quoted question); menus are not written as paragraphs.
            let long_paragraph = e.tag == "p" && text >= LONG_PARAGRAPH;
            if text > 0
                && links as f32 > limit * text as f32
                && prose < 300
                && !headlines
                && !long_paragraph
            {
                dropped[id] = true;
                changed = true;
            }
        }
        if changed {
            stats = sums(dom, &measured, &dropped);
        }
    }
    let (text_len, link_len, commas) = stats;
    let prose = prose_sums(dom, &text_len, &link_len);
    Pruned {
        prose,
        dropped,
        text_len,
        link_len,
        commas,
        contains_main,
    }
}

/// Prose, in characters, from which an element named as chrome is text after all: one
/// prose paragraph.
const CHROME_MAX_PROSE: u32 = PROSE_PARAGRAPH;

/// Share of the page's prose above which an element is the article, not boilerplate.
const PROSE_SHARE: f32 = 0.5;

/// Prose, in characters, an element needs before [`PROSE_SHARE`] protects it.
const MIN_PROSE: u32 = 400;

/// A paragraph this long, with at most [`PROSE_LINK_SHARE`] of it in links, is prose.
const PROSE_PARAGRAPH: u32 = 100;

/// Link share above which a long paragraph is a link list, not prose.
const PROSE_LINK_SHARE: f32 = 0.3;

/// Characters of prose paragraphs per subtree, counted from the given text and link sums.
fn prose_sums(dom: &Dom, text: &[u32], links: &[u32]) -> Vec<u32> {
    let n = dom.nodes.len();
    let mut prose = vec![0u32; n];
    for id in (1..n).rev() {
        let node = &dom.nodes[id];
        if node.element().is_some_and(|e| e.tag == "p")
            && text[id] >= PROSE_PARAGRAPH
            && (links[id] as f32) <= PROSE_LINK_SHARE * text[id] as f32
        {
            prose[id] = text[id];
        }
        let p = node.parent;
        prose[p] = prose[p].saturating_add(prose[id]);
    }
    prose
}

type Sums = (Vec<u32>, Vec<u32>, Vec<u32>);

/// Text length, link text length and commas per subtree, leaving out dropped nodes.
fn sums(dom: &Dom, measured: &[(u32, u32)], dropped: &[bool]) -> Sums {
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
            NodeKind::Text(_) => (text[id], commas[id]) = measured[id],
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
        assert!(is_boilerplate(&el("div", "post-tags"), b, false));
        assert!(!is_boilerplate(&el("span", "tagstyle"), b, false));
        assert!(is_boilerplate(
            &el("div", "teaser"),
            Favor::Precision,
            false
        ));
        assert!(!is_boilerplate(&el("div", "teaser"), b, false));
        assert!(!is_boilerplate(&el("div", "related"), Favor::Recall, false));
    }

    #[test]
    fn measure_collapses_whitespace() {
        assert_eq!(measure("  a,  b \n c "), (7, 1));
    }
}
