//! Picking the main-content subtrees of a pruned page.
//!
//! Semantic markup wins when it is substantial (a share of the text, or most of the prose
//! paragraphs): an `itemprop=articleBody`, a dominant `<article>`, or `<main>`/`role=main`.
//! Otherwise paragraphs vote for their ancestors as in Readability (score 1 + commas +
//! length/100, capped; the parent gets it all, the grandparent half, higher levels less;
//! a prior for the container's tag and class), the votes are discounted by link density,
//! and the best container, widened to the common ancestor of split content, plus its
//! high-scoring or prose-like siblings are the content. A page where no container holds
//! enough text falls back to all of its unpruned text. Below the picked roots, articles
//! nested in an article as teasers or comments are removed ([`drop_nested_articles`]).

use crate::Favor;
use crate::boilerplate::Pruned;
use crate::dom::{Dom, Element, NodeId, NodeKind};

/// Elements whose text votes for its ancestors.
fn is_voter(tag: &str) -> bool {
    matches!(tag, "p" | "pre" | "td" | "blockquote" | "h2" | "h3" | "dd")
}

/// Elements whose own text (not that of child paragraphs) votes when long enough.
fn is_text_holder(tag: &str) -> bool {
    matches!(
        tag,
        "div" | "section" | "article" | "span" | "font" | "center" | "main"
    )
}

/// Ancestor levels that receive a paragraph's vote.
const VOTE_LEVELS: usize = 4;

/// Share of the page's text a semantic container must hold to be taken as the content.
const SEMANTIC_SHARE: f32 = 0.25;

/// Or share of the page's prose paragraphs.
const SEMANTIC_PROSE_SHARE: f32 = 0.6;

/// Prose characters a semantic container needs to qualify by prose share.
const MIN_SEMANTIC_PROSE: u32 = 500;

/// Returns the subtrees to render, in document order.
pub fn select(dom: &Dom, pruned: &Pruned, favor: Favor) -> Vec<NodeId> {
    let total = pruned.text_len[0];
    if total == 0 {
        return Vec::new();
    }
    if let Some(id) = semantic(dom, pruned, total) {
        return vec![id];
    }
    let scores = vote(dom, pruned);
    let Some(best) = top_candidate(dom, pruned, &scores) else {
        return vec![0];
    };
    let min_share = match favor {
        Favor::Precision => 0.1,
        Favor::Balanced => 0.15,
        Favor::Recall => 0.3,
    };
    if (pruned.text_len[best] as f32) < min_share * total as f32 && pruned.text_len[best] < 500 {
        return vec![0];
    }
    let mut picked = vec![best];
    let parent = dom.nodes[best].parent;
    if best != 0 {
        let threshold = (scores[best] * 0.2).max(10.0);
        for &sib in &dom.nodes[parent].children {
            if sib == best || pruned.dropped[sib] {
                continue;
            }
            let text = pruned.text_len[sib];
            let density = link_density(pruned, sib);
            // Readability appends only `<p>` siblings; documents laid out as flat `div`s
            // (filings, old sites) need every prose-like sibling block.
            let prose = match &dom.nodes[sib].kind {
                NodeKind::Element(e) if e.tag == "p" => text > 80 && density < 0.25,
                NodeKind::Element(_) => favor != Favor::Precision && text > 80 && density < 0.1,
                _ => false,
            };
            let recall_extra = favor == Favor::Recall && text > 40 && density < 0.3;
            // A sibling scoring like content but made of links is a teaser list.
            let scored = scores[sib] >= threshold && density < SIBLING_LINK_DENSITY;
            if scored || prose || recall_extra {
                picked.push(sib);
            }
        }
        picked.sort_unstable();
    }
    // A pick holding a sliver of the pruned page means the scoring split a long flat
    // document (a filing laid out as thousands of sibling blocks): take the whole page.
    let picked_text: u32 = picked.iter().map(|&id| pruned.text_len[id]).sum();
    if picked_text.saturating_mul(10) < total && total > 20_000 {
        return vec![0];
    }
    picked
}

/// Removes, below the selected roots, `article` elements nested inside another `article`
/// when together they hold less than half of its text: by HTML's own definition those are
/// comments and related-content cards (teasers of other articles) beside the article's
/// own text. Nested articles that make up most of their enclosing one are its content
/// (the posts of a forum thread, the items of a listing) and stay. Kept when recall is
/// favoured.
pub fn drop_nested_articles(dom: &Dom, pruned: &mut Pruned, roots: &[NodeId], favor: Favor) {
    if favor == Favor::Recall {
        return;
    }
    let n = dom.nodes.len();
    let is_article = |id: NodeId| dom.nodes[id].element().is_some_and(|e| e.tag == "article");
    // Ids are in document order: a subtree is the id range [id, end[id]).
    let mut end: Vec<NodeId> = (1..=n).collect();
    for id in (1..n).rev() {
        let parent = dom.nodes[id].parent;
        end[parent] = end[parent].max(end[id]);
    }
    // The nearest enclosing article of each node (0: none), and per article the text of
    // the articles nested directly in it.
    let mut enclosing = vec![0; n];
    let mut nested_text = vec![0u32; n];
    for id in 1..n {
        let parent = dom.nodes[id].parent;
        enclosing[id] = if is_article(parent) {
            parent
        } else {
            enclosing[parent]
        };
        if is_article(id) && enclosing[id] != 0 && !pruned.dropped[id] {
            let outer = enclosing[id];
            nested_text[outer] = nested_text[outer].saturating_add(pruned.text_len[id]);
        }
    }
    for &root in roots {
        let mut id = root + 1;
        while id < end[root] {
            let outer = enclosing[id];
            let teaser = is_article(id)
                && outer != 0
                && !pruned.dropped[id]
                && nested_text[outer].saturating_mul(2) < pruned.text_len[outer];
            if teaser {
                pruned.dropped[id..end[id]].fill(true);
                id = end[id];
            } else {
                id += 1;
            }
        }
    }
}

/// Link density from which a high-scoring sibling of the content is not added to it.
const SIBLING_LINK_DENSITY: f32 = 0.35;

/// How many of the best-scoring containers are compared when looking for a common
/// ancestor of split content.
const TOP_CANDIDATES: usize = 5;

/// Of those, how many must share an ancestor (and score within [`ALTERNATIVE_SHARE`] of the
/// best) for that ancestor to be taken instead.
const MIN_ALTERNATIVES: usize = 3;

/// Score, relative to the best, at which another container counts as an alternative.
const ALTERNATIVE_SHARE: f32 = 0.75;

/// The best-scoring container, widened when the content is split: paragraphs each wrapped
/// in their own card or box give every box a similar score, and the real container is
/// their common ancestor. As in Readability: (1) when at least three of the top five
/// score close to the best, the nearest ancestor of the best that holds three of them
/// wins; (2) walking up, a parent scoring higher than its child (and not below a third of
/// the best) wins; (3) an only child gives way to its parent, so that sibling blocks
/// beside the parent can join.
fn top_candidate(dom: &Dom, pruned: &Pruned, scores: &[f32]) -> Option<NodeId> {
    let mut top: Vec<NodeId> = Vec::with_capacity(TOP_CANDIDATES + 1);
    for id in 1..dom.nodes.len() {
        if scores[id] <= 0.0 {
            continue;
        }
        let at = top.partition_point(|&t| scores[t] >= scores[id]);
        if at < TOP_CANDIDATES {
            top.insert(at, id);
            top.truncate(TOP_CANDIDATES);
        }
    }
    let mut best = *top.first()?;
    let alternatives: Vec<NodeId> = top[1..]
        .iter()
        .copied()
        .filter(|&id| scores[id] >= ALTERNATIVE_SHARE * scores[best])
        .collect();
    if alternatives.len() >= MIN_ALTERNATIVES {
        let mut at = dom.nodes[best].parent;
        while at != 0 {
            let holds = alternatives
                .iter()
                .filter(|&&a| is_ancestor(dom, at, a))
                .count();
            if holds >= MIN_ALTERNATIVES {
                best = at;
                break;
            }
            at = dom.nodes[at].parent;
        }
    }
    let mut last = scores[best];
    let floor = last / 3.0;
    let mut at = dom.nodes[best].parent;
    while at != 0 && scores[at] >= floor {
        if scores[at] > last {
            best = at;
            break;
        }
        last = scores[at];
        at = dom.nodes[at].parent;
    }
    loop {
        let parent = dom.nodes[best].parent;
        if parent == 0 || only_child(dom, pruned, parent) != Some(best) {
            break;
        }
        best = parent;
    }
    Some(grow_by_prose(dom, pruned, best))
}

/// Widens `best` to the highest ancestor that adds mostly prose: page builders wrap each
/// paragraph group of one article in its own stack of section, column and widget boxes,
/// deeper than votes reach, so the best box holds one group only. Each ancestor is
/// measured against `best`: it is taken when it adds prose paragraphs and what else it
/// adds stays within a quarter of the added text (or a heading's worth); the climb stops
/// at the first ancestor adding more other text than that (menus, teasers, forms).
fn grow_by_prose(dom: &Dom, pruned: &Pruned, best: NodeId) -> NodeId {
    let mut picked = best;
    let mut at = best;
    loop {
        at = dom.nodes[at].parent;
        if at == 0 {
            return picked;
        }
        let added = pruned.text_len[at].saturating_sub(pruned.text_len[best]);
        let added_prose = pruned.prose[at].saturating_sub(pruned.prose[best]);
        let other = added.saturating_sub(added_prose);
        if other > (added / 4).max(GROW_SLACK) {
            return picked;
        }
        if added_prose > 0 {
            picked = at;
        }
    }
}

/// Non-prose text an ancestor may add however little prose it adds: headings, labels.
const GROW_SLACK: u32 = 150;

/// The one child of `id` that holds text or is an element, if there is exactly one.
fn only_child(dom: &Dom, pruned: &Pruned, id: NodeId) -> Option<NodeId> {
    let mut kept = dom.nodes[id].children.iter().copied().filter(|&c| {
        !pruned.dropped[c]
            && match &dom.nodes[c].kind {
                NodeKind::Text(t) => !t.trim().is_empty(),
                _ => true,
            }
    });
    let first = kept.next()?;
    kept.next().is_none().then_some(first)
}

/// A substantial semantic main-content container, if the page has one.
fn semantic(dom: &Dom, pruned: &Pruned, total: u32) -> Option<NodeId> {
    let floor = (SEMANTIC_SHARE * total as f32) as u32;
    let prose_floor = (SEMANTIC_PROSE_SHARE * pruned.prose[0] as f32) as u32;
    let mut body: Option<NodeId> = None;
    let mut articles: Vec<NodeId> = Vec::new();
    // Text of all outermost articles, large or small.
    let mut outermost_text = 0u32;
    let mut main: Option<NodeId> = None;
    for (id, node) in dom.nodes.iter().enumerate().skip(1) {
        if pruned.dropped[id] {
            continue;
        }
        let Some(e) = node.element() else { continue };
        let text = pruned.text_len[id];
        if e.tag == "article" && text > 0 && !has_article_ancestor(dom, pruned, id) {
            outermost_text = outermost_text.saturating_add(text);
        }
        // Short of a share of all text, a container holding most of the page's prose
        // still qualifies: the article of a page padded with long tables or lists.
        let prose = pruned.prose[id];
        if text < 100 || (text < floor && (prose < prose_floor || prose < MIN_SEMANTIC_PROSE)) {
            continue;
        }
        if e.itemprop == "articlebody" && body.is_none_or(|b| text > pruned.text_len[b]) {
            body = Some(id);
        } else if e.tag == "article" {
            articles.push(id);
        } else if (e.tag == "main" || e.role == "main") && main.is_none() {
            main = Some(id);
        }
    }
    if body.is_some() {
        return body;
    }
    // One article holding over a third of the text of all outermost articles is the
    // content (beside it: teasers of other articles); otherwise the articles are a listing, or the content blocks of a CMS that
    // wraps every block in an `article`, and their container (main, or the scoring) is
    // the content.
    let first = articles
        .iter()
        .copied()
        .max_by(|&a, &b| pruned.text_len[a].cmp(&pruned.text_len[b]).then(b.cmp(&a)));
    if let Some(first) = first {
        // The largest qualifying article is outermost: an enclosing one holds more.
        let others = outermost_text.saturating_sub(pruned.text_len[first]);
        if others < pruned.text_len[first].saturating_mul(2) {
            return Some(first);
        }
    }
    main
}

/// True when a kept `article` encloses `id`.
fn has_article_ancestor(dom: &Dom, pruned: &Pruned, id: NodeId) -> bool {
    let mut at = dom.nodes[id].parent;
    while at != 0 {
        if !pruned.dropped[at] && dom.nodes[at].element().is_some_and(|e| e.tag == "article") {
            return true;
        }
        at = dom.nodes[at].parent;
    }
    false
}

/// True when `a` is an ancestor of `b`.
fn is_ancestor(dom: &Dom, a: NodeId, b: NodeId) -> bool {
    let mut at = b;
    while at != 0 {
        at = dom.nodes[at].parent;
        if at == a {
            return true;
        }
    }
    false
}

fn link_density(pruned: &Pruned, id: NodeId) -> f32 {
    let text = pruned.text_len[id];
    if text == 0 {
        0.0
    } else {
        pruned.link_len[id] as f32 / text as f32
    }
}

/// Readability-style votes of paragraphs for their ancestors, discounted by link density.
fn vote(dom: &Dom, pruned: &Pruned) -> Vec<f32> {
    let n = dom.nodes.len();
    let mut scores = vec![0f32; n];
    for (id, node) in dom.nodes.iter().enumerate().skip(1) {
        if pruned.dropped[id] {
            continue;
        }
        let Some(e) = node.element() else { continue };
        let (text, commas) = if is_voter(&e.tag) {
            (pruned.text_len[id], pruned.commas[id])
        } else if is_text_holder(&e.tag) {
            // Text written straight into a div (with `<br>` breaks) is a paragraph too.
            node.children
                .iter()
                .filter(|&&c| matches!(dom.nodes[c].kind, NodeKind::Text(_)))
                .fold((0, 0), |(t, k), &c| {
                    (t + pruned.text_len[c], k + pruned.commas[c])
                })
        } else {
            continue;
        };
        if text < 25 {
            continue;
        }
        let score = 1.0 + commas as f32 + (text as f32 / 100.0).min(3.0);
        let mut at = node.parent;
        for level in 0..VOTE_LEVELS {
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            scores[at] += score / divider;
            if at == 0 {
                break;
            }
            at = dom.nodes[at].parent;
        }
    }
    for (id, s) in scores.iter_mut().enumerate() {
        if *s > 0.0
            && let Some(e) = dom.nodes[id].element()
        {
            *s += markup_weight(e);
        }
        *s *= 1.0 - link_density(pruned, id);
    }
    scores
}

/// Class/id substrings of containers that usually hold the main text.
const POSITIVE: &[&str] = &[
    "article", "body", "content", "entry", "hentry", "main", "page", "post", "text", "blog",
    "story",
];

/// Class/id substrings of containers that usually hold something else.
const NEGATIVE: &[&str] = &[
    "-ad-",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "foot",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "widget",
];

/// Readability's prior for a candidate container from its tag and class/id: a `div` is a
/// likely container, list and heading elements are not; content-like names add, and
/// chrome-like names subtract, the weight of a few paragraphs.
fn markup_weight(e: &Element) -> f32 {
    let tag = match e.tag.as_str() {
        "div" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    let mut class = 0.0;
    if NEGATIVE.iter().any(|k| e.class_id.contains(k)) {
        class -= 25.0;
    }
    if POSITIVE.iter().any(|k| e.class_id.contains(k)) {
        class += 25.0;
    }
    tag + class
}
