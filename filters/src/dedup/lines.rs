//! Corpus-wide repeated-line removal, in two passes, with two rules
//! ([`LineDedupMode`]): remove boilerplate lines found in more than `k` documents
//! everywhere, or keep every line only in the first document that has it (C4).
//!
//! Pass 1 ([`LineCounter::observe`]) counts, for every normalised line, the number of
//! distinct documents it occurs in (a line counts at most once per document). Pass 2
//! ([`LineDeduper::apply`]) removes from each document every line that occurs in more
//! than `max_docs` documents — all its occurrences, the first included, since a line
//! repeated across that many documents is boilerplate (navigation, legal footers,
//! newswire trailers) rather than content one copy of which should survive. The document
//! is kept unless nothing but whitespace is left, in which case it is dropped with
//! [`DROP_ALL_LINES_REPEATED`].
//!
//! Lines are split on `\n`, trimmed (so a `\r` or indentation does not matter), optionally
//! lowercased, and hashed with xxh3-64. Blank lines and lines shorter than
//! `min_line_chars` are never counted nor removed.
//!
//! C4's rule (TFDS `c4_utils.remove_duplicate_text`, its realisation of "discard all but
//! one of any three-sentence span occurring more than once"): every line (stripped,
//! lowercased) is kept in exactly one document and removed from all others, and repeated
//! copies inside the keeping document are removed too. C4 picks the keeping document by
//! the smallest MD5 of its URL; here it is the first document (lowest index), which a
//! caller can make C4's choice by ordering documents accordingly. C4 then drops pages
//! left with fewer than 3 sentences; sentence splitting belongs to the C4 filter, so
//! [`LineDeduper::apply`] only drops documents left empty. Use `lowercase = true` for C4.
//!
//! Memory: pass 1 holds one slot per distinct line — hash (8), document count (4) and
//! first document (4), 16 bytes plus a control byte, 17 to 34 bytes per distinct line
//! depending on table fill; pass 2 holds only the lines it removes (the frequent lines;
//! in C4 mode the lines in more than one document, with their keeping document). Counts
//! of partitions (observed with global document indices) are merged exactly
//! ([`LineCounter::merge`]: counts add, first documents take the minimum), or written as
//! sorted `(hash, stats)` records ([`LineCounter::sorted_counts`]) for a disk merge.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::hashing::{PassThroughBuild, table_bytes};

/// The drop reason of a document whose every line was removed.
pub const DROP_ALL_LINES_REPEATED: &str = "dedup_lines_all_repeated";

/// Which lines pass 2 removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineDedupMode {
    /// Remove every occurrence of a line found in more than `max_docs` documents.
    #[default]
    Frequent,
    /// Keep each line only in the first document that has it, once (C4).
    KeepFirst,
}

/// Settings of repeated-line removal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineDedupConfig {
    /// Which lines are removed.
    pub mode: LineDedupMode,
    /// `Frequent` mode: a line found in more than this many documents is removed.
    pub max_docs: u32,
    /// Compare lines case-insensitively.
    pub lowercase: bool,
    /// Lines shorter than this (in characters, after trimming) are left alone.
    pub min_line_chars: usize,
}

impl Default for LineDedupConfig {
    fn default() -> Self {
        LineDedupConfig {
            mode: LineDedupMode::Frequent,
            max_docs: 10,
            lowercase: false,
            min_line_chars: 1,
        }
    }
}

/// The key of one line, or `None` for a line that is never counted or removed.
fn line_key(line: &str, config: &LineDedupConfig) -> Option<u64> {
    let t = line.trim();
    if t.is_empty() || (config.min_line_chars > 1 && t.chars().count() < config.min_line_chars) {
        return None;
    }
    Some(if config.lowercase && t.chars().any(char::is_uppercase) {
        xxh3_64(t.to_lowercase().as_bytes())
    } else {
        xxh3_64(t.as_bytes())
    })
}

/// What pass 1 knows about one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineStats {
    /// Documents the line occurs in.
    pub documents: u32,
    /// The lowest index of a document that has the line.
    pub first_doc: u32,
}

/// Pass 1: document counts per line.
#[derive(Debug, Clone, Default)]
pub struct LineCounter {
    config: LineDedupConfig,
    counts: HashMap<u64, LineStats, PassThroughBuild>,
    doc_keys: Vec<u64>,
    documents: u64,
}

impl LineCounter {
    /// An empty counter.
    pub fn new(config: LineDedupConfig) -> Self {
        LineCounter {
            config,
            ..LineCounter::default()
        }
    }

    /// Counts the distinct lines of the next document; documents are numbered in the
    /// order observed (0, 1, ...), saturating at `u32::MAX`.
    pub fn observe(&mut self, text: &str) {
        let doc = u32::try_from(self.documents).unwrap_or(u32::MAX);
        self.observe_doc(doc, text);
    }

    /// Counts the distinct lines of document `doc` (a global index, for partitions).
    pub fn observe_doc(&mut self, doc: u32, text: &str) {
        self.doc_keys.clear();
        self.doc_keys
            .extend(text.split('\n').filter_map(|l| line_key(l, &self.config)));
        self.doc_keys.sort_unstable();
        self.doc_keys.dedup();
        for &k in &self.doc_keys {
            let e = self.counts.entry(k).or_insert(LineStats {
                documents: 0,
                first_doc: doc,
            });
            e.documents = e.documents.saturating_add(1);
            e.first_doc = e.first_doc.min(doc);
        }
        self.documents += 1;
    }

    /// Adds another partition's counts (same settings, global document indices).
    pub fn merge(&mut self, other: &LineCounter) {
        for (&k, &o) in &other.counts {
            let e = self.counts.entry(k).or_insert(LineStats {
                documents: 0,
                first_doc: o.first_doc,
            });
            e.documents = e.documents.saturating_add(o.documents);
            e.first_doc = e.first_doc.min(o.first_doc);
        }
        self.documents += other.documents;
    }

    /// Documents observed.
    pub fn documents(&self) -> u64 {
        self.documents
    }

    /// Distinct lines seen.
    pub fn distinct_lines(&self) -> usize {
        self.counts.len()
    }

    /// In how many documents a line occurs (0 if never, or if it is never counted).
    pub fn count(&self, line: &str) -> u32 {
        line_key(line, &self.config)
            .and_then(|k| self.counts.get(&k))
            .map_or(0, |s| s.documents)
    }

    /// The statistics as `(hash, stats)` sorted by hash, for writing to disk.
    pub fn sorted_counts(&self) -> Vec<(u64, LineStats)> {
        let mut v: Vec<(u64, LineStats)> = self.counts.iter().map(|(&k, &c)| (k, c)).collect();
        v.sort_unstable();
        v
    }

    /// Bytes held by the count table (slots plus control bytes).
    pub fn memory_bytes(&self) -> usize {
        table_bytes(
            self.counts.capacity(),
            std::mem::size_of::<(u64, LineStats)>(),
        )
    }

    /// Pass 2's deduper from these counts.
    pub fn into_deduper(self) -> LineDeduper {
        let counts = self.counts.into_iter();
        LineDeduper::from_counts(self.config, counts)
    }
}

/// What [`LineDeduper::apply`] did to one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDedupResult {
    /// The text without the repeated lines.
    pub text: String,
    /// Bytes removed (the lines and their newlines).
    pub removed_bytes: usize,
    /// Lines removed.
    pub removed_lines: usize,
    /// `Some(DROP_ALL_LINES_REPEATED)` when lines were removed and only whitespace is left.
    pub drop_reason: Option<&'static str>,
}

/// Pass 2: removes the lines the mode selects.
#[derive(Debug, Clone)]
pub struct LineDeduper {
    config: LineDedupConfig,
    /// `Frequent`: the lines to remove (value unused). `KeepFirst`: the lines in more than
    /// one document, with the document that keeps them.
    lines: HashMap<u64, u32, PassThroughBuild>,
}

impl LineDeduper {
    /// From `(line hash, stats)` records (e.g. merged from disk); only the lines pass 2
    /// can remove are kept in memory.
    pub fn from_counts(
        config: LineDedupConfig,
        counts: impl IntoIterator<Item = (u64, LineStats)>,
    ) -> Self {
        let lines = counts
            .into_iter()
            .filter(|(_, s)| match config.mode {
                LineDedupMode::Frequent => s.documents > config.max_docs,
                LineDedupMode::KeepFirst => s.documents > 1,
            })
            .map(|(k, s)| (k, s.first_doc))
            .collect();
        LineDeduper { config, lines }
    }

    /// The lines held with their keeping document, sorted by line hash: the same list
    /// whatever the hash table's order, so it can be written to a file byte for byte.
    pub fn sorted_lines(&self) -> Vec<(u64, u32)> {
        let mut lines: Vec<(u64, u32)> = self.lines.iter().map(|(&k, &d)| (k, d)).collect();
        lines.sort_unstable();
        lines
    }

    /// A deduper from the lines [`LineDeduper::sorted_lines`] listed (read back from a
    /// file, on another machine).
    pub fn from_lines(
        config: LineDedupConfig,
        lines: impl IntoIterator<Item = (u64, u32)>,
    ) -> Self {
        LineDeduper {
            config,
            lines: lines.into_iter().collect(),
        }
    }

    /// Lines held: in `Frequent` mode, lines that will be removed everywhere; in
    /// `KeepFirst` mode, lines shared by more than one document.
    pub fn frequent_lines(&self) -> usize {
        self.lines.len()
    }

    /// Removes the selected lines from document `doc`'s `text` (`doc` matters only in
    /// `KeepFirst` mode, where it must be the index pass 1 gave the document).
    pub fn apply_doc(&self, doc: u32, text: &str) -> LineDedupResult {
        let mut out = String::with_capacity(text.len());
        let mut removed_lines = 0;
        let mut kept_here: HashSet<u64, PassThroughBuild> = HashSet::default();
        for line in text.split_inclusive('\n') {
            let content = line.strip_suffix('\n').unwrap_or(line);
            let remove = match (line_key(content, &self.config), self.config.mode) {
                (None, _) => false,
                (Some(k), LineDedupMode::Frequent) => self.lines.contains_key(&k),
                (Some(k), LineDedupMode::KeepFirst) => {
                    let elsewhere = self.lines.get(&k).is_some_and(|&first| first != doc);
                    // A second copy inside the keeping document goes too.
                    elsewhere || !kept_here.insert(k)
                }
            };
            if remove {
                removed_lines += 1;
            } else {
                out.push_str(line);
            }
        }
        let removed_bytes = text.len() - out.len();
        let drop_reason =
            (removed_lines > 0 && out.trim().is_empty()).then_some(DROP_ALL_LINES_REPEATED);
        LineDedupResult {
            text: out,
            removed_bytes,
            removed_lines,
            drop_reason,
        }
    }

    /// [`LineDeduper::apply_doc`] for `Frequent` mode, where the document index is unused.
    pub fn apply(&self, text: &str) -> LineDedupResult {
        self.apply_doc(0, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: LineDedupConfig, docs: &[&str]) -> Vec<LineDedupResult> {
        let mut c = LineCounter::new(config);
        for d in docs {
            c.observe(d);
        }
        let dd = c.into_deduper();
        docs.iter().map(|d| dd.apply(d)).collect()
    }

    #[test]
    fn removes_lines_in_more_than_k_documents() {
        let cfg = LineDedupConfig {
            max_docs: 2,
            ..Default::default()
        };
        let docs = [
            "Story one.\nSubscribe now\n",
            "Story two.\n  Subscribe now  \nSubscribe now\n",
            "Story three.\nSubscribe now",
            "Story one.\n",
        ];
        let out = run(cfg, &docs);
        assert_eq!(out[0].text, "Story one.\n");
        assert_eq!(out[0].removed_bytes, "Subscribe now\n".len());
        // Both copies in document 1 go; the line counted once there.
        assert_eq!(out[1].text, "Story two.\n");
        assert_eq!(out[1].removed_lines, 2);
        assert_eq!(out[2].text, "Story three.\n");
        // "Story one." occurs in 2 documents, not more than 2: kept.
        assert_eq!(out[3].text, "Story one.\n");
        assert!(out.iter().all(|r| r.drop_reason.is_none()));
    }

    #[test]
    fn drops_documents_left_empty_and_counts_once_per_doc() {
        let cfg = LineDedupConfig {
            max_docs: 1,
            lowercase: true,
            ..Default::default()
        };
        let docs = [
            "Menu\nHOME\n\n",
            "menu\nHome",
            "menu\nmenu\nmenu\nreal text",
        ];
        let mut c = LineCounter::new(cfg.clone());
        for d in docs {
            c.observe(d);
        }
        assert_eq!(c.count("MENU"), 3);
        assert_eq!(c.count("home"), 2);
        assert_eq!(c.count("real text"), 1);
        assert_eq!(c.count(""), 0);
        let out = run(cfg, &docs);
        assert_eq!(out[0].text, "\n");
        assert_eq!(out[0].drop_reason, Some(DROP_ALL_LINES_REPEATED));
        assert_eq!(out[1].drop_reason, Some(DROP_ALL_LINES_REPEATED));
        assert_eq!(out[2].text, "real text");
        assert_eq!(out[2].removed_bytes, 15);
    }

    #[test]
    fn partitions_merge_to_the_same_counts() {
        let cfg = LineDedupConfig::default();
        let docs = ["a\nb", "b\nc", "a\nc\nd", "a"];
        let mut whole = LineCounter::new(cfg.clone());
        let (mut p1, mut p2) = (LineCounter::new(cfg.clone()), LineCounter::new(cfg));
        for (i, d) in docs.iter().enumerate() {
            whole.observe(d);
            if i % 2 == 0 {
                p1.observe_doc(i as u32, d)
            } else {
                p2.observe_doc(i as u32, d)
            }
        }
        p1.merge(&p2);
        assert_eq!(p1.sorted_counts(), whole.sorted_counts());
        assert_eq!(p1.documents(), 4);
        assert_eq!(whole.count("a"), 3);
    }

    #[test]
    fn keep_first_mode_keeps_each_line_once_in_the_first_document() {
        let cfg = LineDedupConfig {
            mode: LineDedupMode::KeepFirst,
            lowercase: true,
            ..Default::default()
        };
        let docs = [
            "Intro\nShared line\nshared LINE\n",
            "Other\n  Shared line\nIntro",
            "Shared line",
        ];
        let out = run(cfg, &docs);
        // `run` applies `apply`, i.e. as document 0, which is right for document 0 only.
        assert_eq!(out[0].text, "Intro\nShared line\n");
        let mut c = LineCounter::new(LineDedupConfig {
            mode: LineDedupMode::KeepFirst,
            lowercase: true,
            ..Default::default()
        });
        for d in docs {
            c.observe(d);
        }
        let dd = c.into_deduper();
        assert_eq!(dd.frequent_lines(), 2);
        let r: Vec<LineDedupResult> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| dd.apply_doc(i as u32, d))
            .collect();
        assert_eq!(r[0].text, "Intro\nShared line\n");
        assert_eq!(r[0].removed_lines, 1);
        assert_eq!(r[1].text, "Other\n");
        assert_eq!(r[1].removed_bytes, "  Shared line\nIntro".len());
        assert_eq!(r[2].text, "");
        assert_eq!(r[2].drop_reason, Some(DROP_ALL_LINES_REPEATED));
    }

    #[test]
    fn merge_keeps_the_lowest_first_document() {
        let cfg = LineDedupConfig::default();
        let (mut p1, mut p2) = (LineCounter::new(cfg.clone()), LineCounter::new(cfg));
        p2.observe_doc(7, "x\ny");
        p1.observe_doc(3, "y");
        p1.merge(&p2);
        let stats = p1.sorted_counts();
        let y = stats.iter().find(|(k, _)| *k == xxh3_64(b"y")).unwrap().1;
        assert_eq!(
            y,
            LineStats {
                documents: 2,
                first_doc: 3
            }
        );
    }

    #[test]
    fn short_lines_are_left_alone() {
        let cfg = LineDedupConfig {
            max_docs: 1,
            min_line_chars: 4,
            ..Default::default()
        };
        let out = run(cfg, &["ok\nlong line", "ok\nlong line\nmore"]);
        assert_eq!(out[0].text, "ok\n");
        assert_eq!(out[1].text, "ok\nmore");
    }
}
