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
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use serde::Deserialize;
use thiserror::Error;

use crate::{ExtractError, Limits, decode, visible_text};

/// Why a benchmark could not be loaded.
#[derive(Debug, Error)]
pub enum EvalError {
    /// A benchmark file could not be read or decompressed.
    #[error("read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A ground-truth record is not the JSON the benchmark documents.
    #[error("parse {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// The reference HTML of a page could not be turned into text.
    #[error("expected text of {id}: {source}")]
    Reference {
        /// The page id.
        id: String,
        /// The underlying error.
        source: ExtractError,
    },
    /// The benchmark name is not one of [`BENCHMARKS`].
    #[error("unknown benchmark {0}")]
    UnknownBenchmark(String),
    /// The benchmark folder holds no pages.
    #[error("no pages found in {0}")]
    Empty(PathBuf),
}

type Result<T> = std::result::Result<T, EvalError>;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EvalError + '_ {
    move |source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn json_err(path: &Path) -> impl FnOnce(serde_json::Error) -> EvalError + '_ {
    move |source| EvalError::Json {
        path: path.to_path_buf(),
        source,
    }
}

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
    GzDecoder::new(File::open(path).map_err(io_err(path))?)
        .read_to_end(&mut out)
        .map_err(io_err(path))?;
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
        other => return Err(EvalError::UnknownBenchmark(other.to_string())),
    };
    if pages.is_empty() {
        return Err(EvalError::Empty(dir));
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
    let path = dir.join("ground_truth.jsonl.gz");
    let truth = read_gz(&path)?;
    let mut pages = Vec::new();
    for line in truth.lines() {
        let line = line.map_err(io_err(&path))?;
        let record: WcxbRecord = serde_json::from_str(&line).map_err(json_err(&path))?;
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
    let path = dir.join("ground-truth.json");
    let file = File::open(&path).map_err(io_err(&path))?;
    let truth: HashMap<String, AebRecord> =
        serde_json::from_reader(BufReader::new(file)).map_err(json_err(&path))?;
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
        .and_then(|dir| dir.map(|e| e.map(|e| e.path())).collect())
        .map_err(io_err(&root))?;
    let limits = Limits {
        work_budget: u64::MAX,
        ..Limits::default()
    };
    for page_dir in entries {
        let id = page_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let html = read_gz(&page_dir.join("source.html.gz"))?;
        let expected_html = read_gz(&page_dir.join("expected.html.gz"))?;
        let expected =
            visible_text(&decode::decode_html(&expected_html), &limits).map_err(|source| {
                EvalError::Reference {
                    id: id.clone(),
                    source,
                }
            })?;
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
    let path = dir.join("annotations.jsonl");
    let file = File::open(&path).map_err(io_err(&path))?;
    let mut pages = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(io_err(&path))?;
        let record: TrafilaturaRecord = serde_json::from_str(&line).map_err(json_err(&path))?;
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

/// CPU time of the calling thread in seconds, from `/proc/thread-self/stat` (user + system
/// clock ticks at the usual 100 Hz); `None` off Linux. CPU time, unlike wall time, does not
/// count the time other processes hold the core, so per-core speed is comparable on a
/// shared machine.
pub fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_name = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = after_name.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// One engine's run over a benchmark: its score and the time it spent.
#[derive(Debug, Clone)]
pub struct Run {
    /// The score.
    pub score: Score,
    /// Wall time of one pass of the engine over the pages (decoding included, scoring
    /// left out).
    pub wall: Duration,
    /// CPU seconds of the calling thread for one pass, when known.
    pub cpu: Option<f64>,
}

impl Run {
    /// Seconds the speed figures divide by: thread CPU time, else wall time.
    pub fn seconds(&self) -> f64 {
        self.cpu.unwrap_or(self.wall.as_secs_f64()).max(1e-9)
    }
}

/// Runs `engine` (raw HTML bytes to text, `None` on failure) over `pages` on the calling
/// thread, then scores the results; scoring is left out of the timings.
pub fn run_engine(pages: &[Page], engine: impl FnMut(&[u8]) -> Option<String>) -> Run {
    run_engine_timed(pages, engine, 0.0)
}

/// [`run_engine`], timed over repeated passes until they add up to `min_seconds` (CPU
/// time where known): one pass over a small benchmark is too short for the 10 ms clock
/// ticks of the thread CPU time. The times in the result are per pass; the score is the
/// first pass's.
pub fn run_engine_timed(
    pages: &[Page],
    mut engine: impl FnMut(&[u8]) -> Option<String>,
    min_seconds: f64,
) -> Run {
    let cpu_before = thread_cpu_seconds();
    let started = Instant::now();
    let results: Vec<Option<String>> = pages.iter().map(|page| engine(&page.html)).collect();
    let mut passes = 1u32;
    let spent = |cpu_before: Option<f64>, started: Instant| {
        cpu_before
            .and_then(|before| thread_cpu_seconds().map(|now| now - before))
            .unwrap_or(started.elapsed().as_secs_f64())
    };
    while spent(cpu_before, started) < min_seconds {
        for page in pages {
            std::hint::black_box(engine(&page.html));
        }
        passes += 1;
    }
    let wall = started.elapsed() / passes;
    let cpu = cpu_before
        .and_then(|before| Some(thread_cpu_seconds()? - before))
        .map(|cpu| cpu / f64::from(passes));
    let mut score = Score::default();
    for (page, got) in pages.iter().zip(&results) {
        score.add(&page.expected, got.as_deref());
    }
    Run { score, wall, cpu }
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
