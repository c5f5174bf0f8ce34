//! Main-text extraction from HTML: parse into a bounded tree, remove boilerplate, pick the
//! main content, render it as lines.
//!
//! The parser is our tokenizer ([`tokenize`]: WHATWG rules for tags, comments, raw text
//! and character references, scanning text with `memchr`) feeding our own tree builder,
//! which bounds depth and time; see [`dom`]. Every stage is a linear pass over the node
//! arena, so the cost of a page is proportional to its size, and the hard limits in
//! [`Limits`] bound that size, the depth and the wall-clock time.
//!
//! The crate has no I/O beyond [`eval`], which loads the HTML extraction benchmarks and
//! scores extractions against them (`examples/extract_eval.rs` runs it in release).

pub mod boilerplate;
pub mod decode;
pub mod dom;
pub mod eval;
pub mod render;
pub mod select;
pub mod tokenize;

use thiserror::Error;

/// Which way to lean when unsure whether a block is content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Favor {
    /// Remove more (tags, bylines, teasers; stricter link density).
    Precision,
    /// The default trade-off.
    #[default]
    Balanced,
    /// Keep more (related-link lists, looser link density, more sibling blocks).
    Recall,
}

/// What to do with link-dense blocks (menus, tag clouds, link lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Links {
    /// Keep their text.
    Keep,
    /// Remove short blocks whose text is mostly link text.
    #[default]
    DropDense,
}

/// The default work budget: 256 Mi units, about eight times what the largest page the
/// input limit lets through takes (8 MiB tokenized, its nodes rendered twice).
pub const DEFAULT_WORK_BUDGET: u64 = 256 * 1024 * 1024;

/// Work done on one page, against its budget.
pub(crate) struct Work {
    used: std::cell::Cell<u64>,
    budget: u64,
}

impl Work {
    pub(crate) fn new(budget: u64) -> Self {
        Work {
            used: std::cell::Cell::new(0),
            budget,
        }
    }

    /// Counts `units` of work; true when the budget is spent.
    pub(crate) fn spend(&self, units: u64) -> bool {
        let used = self.used.get().saturating_add(units);
        self.used.set(used);
        used > self.budget
    }
}

/// Hard bounds that keep one page from stalling a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Input beyond this many bytes is cut off (at a character boundary).
    pub max_input_bytes: usize,
    /// Elements deeper than this are flattened into their deepest kept ancestor.
    pub max_depth: usize,
    /// Work allowed per page, in units of one byte tokenized or one node rendered;
    /// extraction stops when it is spent. A count, not a clock, so that which pages are cut
    /// short depends on the page alone, never on the machine's load or the threads.
    pub work_budget: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 8 * 1024 * 1024,
            max_depth: 512,
            work_budget: DEFAULT_WORK_BUDGET,
        }
    }
}

/// Extraction settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Precision/recall trade-off.
    pub favor: Favor,
    /// Keep tables (rendered one row per line) or drop them.
    pub tables: bool,
    /// Link-dense block handling.
    pub links: Links,
    /// Size, depth and time bounds.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            favor: Favor::Balanced,
            tables: true,
            links: Links::DropDense,
            limits: Limits::default(),
        }
    }
}

/// Why a page yields nothing.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ExtractError {
    /// The work budget ran out before any content was parsed.
    #[error("work budget spent before any content was parsed")]
    WorkBudget,
}

/// The result for one page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// `og:title`, else `<title>`, whitespace collapsed; empty when neither is present.
    pub title: String,
    /// Language hint from `<html lang>` or `content-language`; empty when absent.
    pub lang: String,
    /// Main text, one paragraph, heading, list item or table row per line.
    pub text: String,
    /// A limit cut the page short (input bytes or time): the text covers only a prefix.
    pub truncated: bool,
}

/// Extracts the main text of a page given as bytes, decoding it first (see
/// [`decode::decode_html`]).
pub fn extract_bytes(html: &[u8], options: &Options) -> Result<Extracted, ExtractError> {
    let cut = html.len().min(options.limits.max_input_bytes);
    let text = decode::decode_html(&html[..cut]);
    let mut out = extract(&text, options)?;
    out.truncated |= cut < html.len();
    Ok(out)
}

/// Extracts the main text of an HTML page.
pub fn extract(html: &str, options: &Options) -> Result<Extracted, ExtractError> {
    let started = Work::new(options.limits.work_budget);
    let mut cut = html.len().min(options.limits.max_input_bytes);
    while !html.is_char_boundary(cut) {
        cut -= 1;
    }
    let dom = dom::parse(&html[..cut], &options.limits, &started)?;
    let (mut text, mut late) = main_text(&dom, options, true, &started);
    if text.len() < FALLBACK_BELOW_BYTES && !late {
        // Keyword rules left (almost) nothing: the page's content carries a boilerplate
        // name. Keep what the markup alone says, if that finds more.
        let (fallback, fallback_late) = main_text(&dom, options, false, &started);
        if fallback.len() > text.len() {
            (text, late) = (fallback, fallback_late);
        }
    }
    let title = if dom.og_title.is_empty() {
        render::one_line(&dom.title)
    } else {
        render::one_line(&dom.og_title)
    };
    Ok(Extracted {
        title,
        lang: dom.lang.clone(),
        text,
        truncated: dom.truncated || late || cut < html.len(),
    })
}

/// Text shorter than this (in bytes) sends a page to the keyword-free fallback.
const FALLBACK_BELOW_BYTES: usize = 250;

/// Prunes, selects and renders `dom`; `true` with the text when the work budget ran out.
fn main_text(dom: &dom::Dom, options: &Options, keywords: bool, work: &Work) -> (String, bool) {
    let mut pruned = boilerplate::prune_with(dom, options, keywords);
    let roots = select::select(dom, &pruned, options.favor);
    select::drop_nested_articles(dom, &mut pruned, &roots, options.favor);
    render::render(dom, &pruned, &roots, true, &|nodes| work.spend(nodes))
}

/// All visible text of a page, no boilerplate removal (used to turn reference HTML into
/// reference text). Hidden elements and non-text elements are still left out.
pub fn visible_text(html: &str, limits: &Limits) -> Result<String, ExtractError> {
    let work = Work::new(limits.work_budget);
    let mut cut = html.len().min(limits.max_input_bytes);
    while !html.is_char_boundary(cut) {
        cut -= 1;
    }
    let dom = dom::parse(&html[..cut], limits, &work)?;
    let n = dom.nodes.len();
    let dropped = dom
        .nodes
        .iter()
        .map(|node| node.element().is_some_and(|e| e.hidden))
        .collect::<Vec<_>>();
    // Hidden elements drop their subtree: propagate in document order.
    let mut dropped = dropped;
    for id in 1..n {
        if dropped[dom.nodes[id].parent] {
            dropped[id] = true;
        }
    }
    let pruned = boilerplate::Pruned {
        dropped,
        text_len: Vec::new(),
        link_len: Vec::new(),
        commas: Vec::new(),
        contains_main: Vec::new(),
        prose: Vec::new(),
    };
    Ok(render::render(&dom, &pruned, &[0], false, &|_| false).0)
}

#[cfg(test)]
mod tests;
