//! Scoring extractions against the four HTML extraction benchmarks.
//!
//! Full-text benchmarks (WCXB `main_content`, Scrapinghub AEB `articleBody`, Mozilla
//! Readability `expected.html` as text) are scored with bag-of-words token precision,
//! recall and F1 per page, averaged over pages: tokens are maximal runs of alphanumeric
//! characters or `_` (the `\w+` of the Scrapinghub benchmark), lowercased, counted as a
//! multiset. The Trafilatura benchmark has only snippets that must (`with`) and must not
//! (`without`) appear, so it is scored as Trafilatura scores it: a `with` snippet found is
//! a true positive, one missing a false negative, a `without` snippet found a false
//! positive, summed over pages (whitespace collapsed on both sides before matching).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use flate2::read::GzDecoder;
use serde::Deserialize;

use super::{Limits, decode, visible_text};

/// What a page's extraction is compared with.
#[derive(Debug, Clone)]
pub enum Expected {
    /// The full expected main text.
    Text(String),
    /// Snippets that must and must not appear.
    Snippets {
        /// Must appear.
        with: Vec<String>,
        /// Must not appear.
        without: Vec<String>,
    },
}

/// One benchmark page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Page id within its benchmark.
    pub id: String,
    /// Raw HTML bytes.
    pub html: Vec<u8>,
    /// Reference.
    pub expected: Expected,
}

/// The benchmark folder names, in report order.
pub const BENCHMARKS: [&str; 4] = [
    "wcxb",
    "scrapinghub_aeb",
    "mozilla_readability",
    "trafilatura_eval",
];

fn read_gz(path: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(File::open(path).with_context(|| format!("open {}", path.display()))?)
        .read_to_end(&mut out)
        .with_context(|| format!("gunzip {}", path.display()))?;
    Ok(out)
}

/// Loads one benchmark's pages (sorted by id), at most `max_pages` of them.
pub fn load(root: &Path, bench: &str, max_pages: Option<usize>) -> Result<Vec<Page>> {
    let dir = root.join(bench);
    let mut pages = match bench {
        "wcxb" => load_wcxb(&dir)?,
        "scrapinghub_aeb" => load_aeb(&dir)?,
        "mozilla_readability" => load_readability(&dir)?,
        "trafilatura_eval" => load_trafilatura(&dir)?,
        other => bail!("unknown benchmark {other}"),
    };
    if pages.is_empty() {
        bail!("no pages found in {}", dir.display());
    }
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(max) = max_pages {
        pages.truncate(max);
    }
    Ok(pages)
}

#[derive(Deserialize)]
struct WcxbRecord {
    file_id: String,
    ground_truth: WcxbTruth,
}

#[derive(Deserialize)]
struct WcxbTruth {
    main_content: Option<String>,
}

fn load_wcxb(dir: &Path) -> Result<Vec<Page>> {
    let truth = read_gz(&dir.join("ground_truth.jsonl.gz"))?;
    let mut pages = Vec::new();
    for line in truth.lines() {
        let line = line?;
        let record: WcxbRecord = serde_json::from_str(&line).context("wcxb ground truth")?;
        let Some(text) = record
            .ground_truth
            .main_content
            .filter(|t| !t.trim().is_empty())
        else {
            continue;
        };
        let html = read_gz(&dir.join("html").join(format!("{}.html.gz", record.file_id)))?;
        pages.push(Page {
            id: record.file_id,
            html,
            expected: Expected::Text(text),
        });
    }
    Ok(pages)
}

#[derive(Deserialize)]
struct AebRecord {
    #[serde(rename = "articleBody")]
    article_body: String,
}

fn load_aeb(dir: &Path) -> Result<Vec<Page>> {
    let file = File::open(dir.join("ground-truth.json")).context("aeb ground truth")?;
    let truth: HashMap<String, AebRecord> = serde_json::from_reader(BufReader::new(file))?;
    let mut pages = Vec::new();
    for (id, record) in truth {
        let html = read_gz(&dir.join("html").join(format!("{id}.html.gz")))?;
        pages.push(Page {
            id,
            html,
            expected: Expected::Text(record.article_body),
        });
    }
    Ok(pages)
}

fn load_readability(dir: &Path) -> Result<Vec<Page>> {
    let mut pages = Vec::new();
    let root = dir.join("test-pages");
    let entries: Vec<PathBuf> = std::fs::read_dir(&root)
        .with_context(|| format!("read {}", root.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    let limits = Limits {
        time_budget: std::time::Duration::from_secs(60),
        ..Limits::default()
    };
    for page_dir in entries {
        let id = page_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let html = read_gz(&page_dir.join("source.html.gz"))?;
        let expected_html = read_gz(&page_dir.join("expected.html.gz"))?;
        let expected = visible_text(&decode::decode_html(&expected_html), &limits)
            .with_context(|| format!("expected text of {id}"))?;
        pages.push(Page {
            id,
            html,
            expected: Expected::Text(expected),
        });
    }
    Ok(pages)
}

#[derive(Deserialize)]
struct TrafilaturaRecord {
    page_id: String,
    #[serde(default)]
    with: Vec<String>,
    #[serde(default)]
    without: Vec<String>,
}

fn load_trafilatura(dir: &Path) -> Result<Vec<Page>> {
    let file = File::open(dir.join("annotations.jsonl")).context("trafilatura annotations")?;
    let mut pages = Vec::new();
    for line in BufReader::new(file).lines() {
        let record: TrafilaturaRecord = serde_json::from_str(&line?)?;
        let html = read_gz(
            &dir.join("pages")
                .join(format!("{}.html.gz", record.page_id)),
        )?;
        pages.push(Page {
            id: record.page_id,
            html,
            expected: Expected::Snippets {
                with: record.with,
                without: record.without,
            },
        });
    }
    Ok(pages)
}

/// Lowercased `\w+` tokens with their counts.
pub fn token_bag(text: &str) -> HashMap<String, u32> {
    let mut bag = HashMap::new();
    for token in text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
    {
        *bag.entry(token.to_lowercase()).or_insert(0) += 1;
    }
    bag
}

/// Bag-of-words precision, recall and F1 of `got` against `expected`; all zero when either
/// side has no tokens (an empty extraction of a non-empty page scores zero, not undefined).
pub fn bag_scores(expected: &str, got: &str) -> (f64, f64, f64) {
    let want = token_bag(expected);
    let have = token_bag(got);
    let want_n: u32 = want.values().sum();
    let have_n: u32 = have.values().sum();
    if want_n == 0 || have_n == 0 {
        return (0.0, 0.0, 0.0);
    }
    let overlap: u32 = have
        .iter()
        .map(|(t, &n)| n.min(want.get(t).copied().unwrap_or(0)))
        .sum();
    let p = f64::from(overlap) / f64::from(have_n);
    let r = f64::from(overlap) / f64::from(want_n);
    let f = if overlap == 0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Running totals for one benchmark.
#[derive(Debug, Clone, Default)]
pub struct Score {
    /// Pages scored.
    pub pages: usize,
    sum_p: f64,
    sum_r: f64,
    sum_f: f64,
    tp: u64,
    fn_: u64,
    fp: u64,
    /// Pages whose extraction failed (error or time budget).
    pub failed: usize,
}

impl Score {
    /// Adds one page's extraction (`None` when it failed).
    pub fn add(&mut self, expected: &Expected, got: Option<&str>) {
        self.pages += 1;
        if got.is_none() {
            self.failed += 1;
        }
        let got = got.unwrap_or("");
        match expected {
            Expected::Text(want) => {
                let (p, r, f) = bag_scores(want, got);
                self.sum_p += p;
                self.sum_r += r;
                self.sum_f += f;
            }
            Expected::Snippets { with, without } => {
                let text = collapse(got);
                for s in with {
                    if text.contains(&collapse(s)) {
                        self.tp += 1;
                    } else {
                        self.fn_ += 1;
                    }
                }
                self.fp += without
                    .iter()
                    .filter(|s| text.contains(&collapse(s)))
                    .count() as u64;
            }
        }
    }

    /// Precision, recall and F1: page means for full texts, snippet totals otherwise.
    pub fn prf(&self) -> (f64, f64, f64) {
        if self.tp + self.fn_ + self.fp > 0 {
            let p = self.tp as f64 / (self.tp + self.fp).max(1) as f64;
            let r = self.tp as f64 / (self.tp + self.fn_).max(1) as f64;
            let f = if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            };
            return (p, r, f);
        }
        let n = self.pages.max(1) as f64;
        (self.sum_p / n, self.sum_r / n, self.sum_f / n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bag_scores_count_multisets() {
        let (p, r, f) = bag_scores("The cat, the hat.", "the CAT sat");
        assert!((p - 2.0 / 3.0).abs() < 1e-9);
        assert!((r - 0.5).abs() < 1e-9);
        assert!((f - 4.0 / 7.0).abs() < 1e-9);
        assert_eq!(bag_scores("a", ""), (0.0, 0.0, 0.0));
    }

    #[test]
    fn snippets_are_matched_with_whitespace_collapsed() {
        let mut s = Score::default();
        let expected = Expected::Snippets {
            with: vec!["big  red\ndog".into(), "missing".into()],
            without: vec!["menu".into()],
        };
        s.add(&expected, Some("a big red dog and a menu"));
        assert_eq!((s.tp, s.fn_, s.fp), (1, 1, 1));
        let (p, r, _) = s.prf();
        assert_eq!((p, r), (0.5, 0.5));
    }
}
