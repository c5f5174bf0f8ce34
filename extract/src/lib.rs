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

use std::time::{Duration, Instant};

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

/// Hard bounds that keep one page from stalling a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Input beyond this many bytes is cut off (at a character boundary).
    pub max_input_bytes: usize,
    /// Elements deeper than this are flattened into their deepest kept ancestor.
    pub max_depth: usize,
    /// Wall-clock budget per page; parsing stops when it is spent.
    pub time_budget: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 8 * 1024 * 1024,
            max_depth: 512,
            time_budget: Duration::from_secs(2),
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
    /// The time budget ran out before any content was parsed.
    #[error("time budget spent before any content was parsed")]
    TimeBudget,
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
    let started = Instant::now();
    let mut cut = html.len().min(options.limits.max_input_bytes);
    while !html.is_char_boundary(cut) {
        cut -= 1;
    }
    let dom = dom::parse(&html[..cut], &options.limits, started)?;
    let (mut text, mut late) = main_text(&dom, options, true, started);
    if text.len() < FALLBACK_BELOW_BYTES && !late {
        // Keyword rules left (almost) nothing: the page's content carries a boilerplate
        // name. Keep what the markup alone says, if that finds more.
        let (fallback, fallback_late) = main_text(&dom, options, false, started);
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

/// Prunes, selects and renders `dom`; `true` with the text when the time budget ran out.
fn main_text(
    dom: &dom::Dom,
    options: &Options,
    keywords: bool,
    started: Instant,
) -> (String, bool) {
    let mut pruned = boilerplate::prune_with(dom, options, keywords);
    let roots = select::select(dom, &pruned, options.favor);
    select::drop_nested_articles(dom, &mut pruned, &roots, options.favor);
    let budget = options.limits.time_budget;
    render::render(dom, &pruned, &roots, true, &|| started.elapsed() > budget)
}

/// All visible text of a page, no boilerplate removal (used to turn reference HTML into
/// reference text). Hidden elements and non-text elements are still left out.
pub fn visible_text(html: &str, limits: &Limits) -> Result<String, ExtractError> {
    let started = Instant::now();
    let mut cut = html.len().min(limits.max_input_bytes);
    while !html.is_char_boundary(cut) {
        cut -= 1;
    }
    let dom = dom::parse(&html[..cut], limits, started)?;
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
    Ok(render::render(&dom, &pruned, &[0], false, &|| false).0)
}

#[cfg(test)]
mod tests;
