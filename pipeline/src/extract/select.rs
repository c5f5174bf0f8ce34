//! Picking the main-content subtrees of a pruned page.
//!
//! Semantic markup wins when it is substantial: an `itemprop=articleBody`, a dominant
//! `<article>`, or `<main>`/`role=main`. Otherwise paragraphs vote for their ancestors as in
//! Readability (score 1 + commas + length/100, capped; the parent gets it all, the
//! grandparent half, higher levels less), the votes are discounted by link density, and the
//! best container plus its high-scoring or prose-like siblings are the content. A page where
//! no container holds enough text falls back to all of its unpruned text.

use super::Favor;
use super::boilerplate::Pruned;
use super::dom::{Dom, NodeId, NodeKind};

/// Elements whose text votes for its ancestors.
const VOTERS: &[&str] = &["p", "pre", "td", "blockquote", "li", "h2", "h3", "dd"];

/// Elements whose own text (not that of child paragraphs) votes when long enough.
const TEXT_HOLDERS: &[&str] = &[
    "div", "section", "article", "span", "font", "center", "main",
];

/// Ancestor levels that receive a paragraph's vote.
const VOTE_LEVELS: usize = 4;

/// Share of the page's text a semantic container must hold to be taken as the content.
const SEMANTIC_SHARE: f32 = 0.25;

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
    let best = (1..dom.nodes.len())
        .filter(|&id| scores[id] > 0.0)
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)));
    let Some(best) = best else {
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
            if scores[sib] >= threshold || prose || recall_extra {
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

/// A substantial semantic main-content container, if the page has one.
fn semantic(dom: &Dom, pruned: &Pruned, total: u32) -> Option<NodeId> {
    let floor = (SEMANTIC_SHARE * total as f32) as u32;
    let mut body: Option<NodeId> = None;
    let mut articles: Vec<NodeId> = Vec::new();
    let mut main: Option<NodeId> = None;
    for (id, node) in dom.nodes.iter().enumerate().skip(1) {
        if pruned.dropped[id] {
            continue;
        }
        let Some(e) = node.element() else { continue };
        let text = pruned.text_len[id];
        if text < 100 || text < floor {
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
    // One article holding most of the text is the content; several comparable ones are a
    // listing, whose container (main, or the scoring) is the content.
    articles.sort_by_key(|&id| std::cmp::Reverse(pruned.text_len[id]));
    if let Some(&first) = articles.first() {
        let outer = articles
            .iter()
            .filter(|&&a| !is_ancestor(dom, first, a) && !is_ancestor(dom, a, first))
            .map(|&a| pruned.text_len[a])
            .max()
            .unwrap_or(0);
        if outer * 2 < pruned.text_len[first] {
            return Some(first);
        }
    }
    main
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
        let (text, commas) = if VOTERS.contains(&e.tag.as_str()) {
            (pruned.text_len[id], pruned.commas[id])
        } else if TEXT_HOLDERS.contains(&e.tag.as_str()) {
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
        *s *= 1.0 - link_density(pruned, id);
    }
    scores
}
