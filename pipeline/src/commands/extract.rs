//! `curate extract`: main text of HTML pages and of the HTML pages in web archives, and
//! its evaluation on the HTML extraction benchmarks (`--eval DIR`) against the
//! `trafilatura` crate (kept as a dependency only for this comparison).
//!
//! Inputs are HTML files (gzip'd when named `.gz`) or web archives (WARC, ARC, WET; see
//! [`warc::is_web_archive`]). An archive is read by the ingest reader and every HTML page
//! it holds is extracted exactly as ingest extracts it (declared charset first, the same
//! size, depth and time bounds), with the options given here.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use flate2::read::GzDecoder;
use serde::Serialize;

use crate::extract::eval::{self, BENCHMARKS};
use crate::extract::{self, Favor, Links, Options, decode};
use crate::ingest::warc::{self, RecordItem, WarcRecords, WebReaderOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The text of each page, pages separated by an empty line.
    Text,
    /// One `{"path", "url", "title", "lang", "text"}` object per page (`url` is the
    /// record's target URI in a web archive, null for an HTML file).
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FavorArg {
    Precision,
    Balanced,
    Recall,
}

/// Which extractor the evaluation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// `curate_extract`, this crate's extractor.
    Curate,
    /// The `trafilatura` crate (balanced focus, comments excluded, fallback on), for comparison.
    TrafilaturaCrate,
    /// Both, one after the other.
    Both,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// HTML files (`.gz` is decompressed) or web archives (WARC, ARC, WET; every HTML
    /// page in them is extracted).
    #[arg(required_unless_present = "eval")]
    pub inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Lean towards precision or recall.
    #[arg(long, value_enum, default_value_t = FavorArg::Balanced)]
    pub favor: FavorArg,
    /// Leave tables out of the text.
    #[arg(long)]
    pub no_tables: bool,
    /// Keep the text of link-dense blocks (menus, link lists).
    #[arg(long)]
    pub keep_link_blocks: bool,
    /// Print all visible text (hidden and non-text elements still left out), with no
    /// boilerplate removal: the baseline the main text is a part of.
    #[arg(long)]
    pub all_text: bool,
    /// Evaluate on the benchmarks under DIR (`html_extraction_benchmarks`) instead.
    #[arg(long, value_name = "DIR")]
    pub eval: Option<PathBuf>,
    /// Extractor(s) to evaluate.
    #[arg(long, value_enum, default_value_t = Engine::Both)]
    pub engine: Engine,
    /// At most this many pages per benchmark (first by id).
    #[arg(long)]
    pub max_pages: Option<usize>,
}

/// One line of `--format jsonl`.
#[derive(Serialize)]
struct PageLine<'a> {
    path: &'a str,
    url: Option<&'a str>,
    title: &'a str,
    lang: &'a str,
    text: &'a str,
}

fn options_of(args: &ExtractArgs) -> Options {
    Options {
        favor: match args.favor {
            FavorArg::Precision => Favor::Precision,
            FavorArg::Balanced => Favor::Balanced,
            FavorArg::Recall => Favor::Recall,
        },
        tables: !args.no_tables,
        links: if args.keep_link_blocks {
            Links::Keep
        } else {
            Links::DropDense
        },
        ..Options::default()
    }
}

fn read_input(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let file = File::open(path).with_context(|| format!("open {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        GzDecoder::new(file).read_to_end(&mut bytes)?;
    } else {
        let mut file = file;
        file.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

pub fn run(args: ExtractArgs) -> Result<()> {
    let options = options_of(&args);
    if let Some(dir) = &args.eval {
        return evaluate(dir, &args, &options);
    }
    let stdout = std::io::stdout();
    let mut out = Output {
        writer: BufWriter::new(stdout.lock()),
        format: args.format,
        pages: 0,
    };
    for path in &args.inputs {
        if warc::is_web_archive(path) {
            extract_archive(path, &args, &options, &mut out)?;
            continue;
        }
        let bytes = read_input(path)?;
        let page = if args.all_text {
            let text = extract::visible_text(&decode::decode_html(&bytes), &options.limits)
                .with_context(|| format!("extract {}", path.display()))?;
            extract::Extracted {
                text,
                ..extract::Extracted::default()
            }
        } else {
            extract::extract_bytes(&bytes, &options)
                .with_context(|| format!("extract {}", path.display()))?
        };
        out.page(&PageLine {
            path: &path.to_string_lossy(),
            url: None,
            title: &page.title,
            lang: &page.lang,
            text: &page.text,
        })?;
    }
    out.writer.flush()?;
    Ok(())
}

/// Pages written so far, in the chosen format.
struct Output<W: Write> {
    writer: W,
    format: Format,
    pages: usize,
}

impl<W: Write> Output<W> {
    fn page(&mut self, line: &PageLine<'_>) -> Result<()> {
        match self.format {
            Format::Text => {
                if self.pages > 0 {
                    writeln!(self.writer)?;
                }
                writeln!(self.writer, "{}", line.text)?;
            }
            Format::Jsonl => {
                serde_json::to_writer(&mut self.writer, line)?;
                writeln!(self.writer)?;
            }
        }
        self.pages += 1;
        Ok(())
    }
}

/// Extracts every HTML page of a web archive, in file order, and says on stderr how many
/// records gave a page and why the others did not.
fn extract_archive<W: Write>(
    path: &Path,
    args: &ExtractArgs,
    options: &Options,
    out: &mut Output<W>,
) -> Result<()> {
    let reader = WebReaderOptions {
        extract: !args.all_text,
        extraction: *options,
        ..WebReaderOptions::default()
    };
    let file = File::open(path).with_context(|| format!("open {}", path.display()))?;
    let shown = path.to_string_lossy();
    let mut pages = 0usize;
    let mut skipped: BTreeMap<&'static str, usize> = BTreeMap::new();
    for item in WarcRecords::new(file, reader.max_record_bytes) {
        let record = match item {
            RecordItem::Record(record) => record,
            RecordItem::Skipped(s) => {
                *skipped.entry(s.reason.as_str()).or_default() += 1;
                continue;
            }
        };
        // WET conversions are text already: no HTML page to extract.
        if record.record_type() == "conversion" {
            *skipped.entry("text_conversion").or_default() += 1;
            continue;
        }
        let page = match warc::record_page(&record, &reader) {
            Ok(page) => page,
            Err(s) => {
                *skipped.entry(s.reason.as_str()).or_default() += 1;
                continue;
            }
        };
        let text = if args.all_text {
            extract::visible_text(&page.text, &options.limits)
                .with_context(|| format!("extract {shown} at {}", record.position()))?
        } else {
            page.text
        };
        let url = warc::record_url(&record);
        out.page(&PageLine {
            path: &shown,
            url: url.as_deref(),
            title: &page.title,
            lang: &page.lang,
            text: &text,
        })?;
        pages += 1;
    }
    let skipped: Vec<String> = skipped
        .iter()
        .map(|(reason, n)| format!("{reason} {n}"))
        .collect();
    eprintln!(
        "{shown}: pages {pages}; records skipped: {}",
        if skipped.is_empty() {
            "none".to_owned()
        } else {
            skipped.join(", ")
        }
    );
    Ok(())
}

/// The `trafilatura` crate, configured as a peer for comparison; its plain-text output.
fn trafilatura_crate(html: &str) -> Option<String> {
    let options = trafilatura::Options::default()
        .with_exclude_comments(true)
        .with_focus(trafilatura::ExtractionFocus::Balanced)
        .with_fallback(true);
    trafilatura::extract(html, &options)
        .ok()
        .map(|r| r.content_text)
}

/// Runs one engine over pages on this thread.
fn score_engine(pages: &[eval::Page], engine: Engine, options: &Options) -> eval::Run {
    match engine {
        Engine::TrafilaturaCrate => {
            eval::run_engine(pages, |html| trafilatura_crate(&decode::decode_html(html)))
        }
        _ => eval::run_engine(pages, |html| {
            extract::extract_bytes(html, options).ok().map(|e| e.text)
        }),
    }
}

fn evaluate(dir: &Path, args: &ExtractArgs, options: &Options) -> Result<()> {
    let engines: &[Engine] = match args.engine {
        Engine::Both => &[Engine::Curate, Engine::TrafilaturaCrate],
        Engine::Curate => &[Engine::Curate],
        Engine::TrafilaturaCrate => &[Engine::TrafilaturaCrate],
    };
    // Speeds are per CPU second of the extracting thread (wall time where that is unknown).
    println!("benchmark\tengine\tpages\tfailed\tprecision\trecall\tf1\tpages_per_s\tmb_per_s");
    for bench in BENCHMARKS {
        let pages = eval::load(dir, bench, args.max_pages)?;
        let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
        for &engine in engines {
            let run = score_engine(&pages, engine, options);
            let score = &run.score;
            let (p, r, f) = score.prf();
            let secs = run.seconds();
            let name = match engine {
                Engine::TrafilaturaCrate => "trafilatura-crate",
                _ => "curate",
            };
            println!(
                "{bench}\t{name}\t{}\t{}\t{p:.3}\t{r:.3}\t{f:.3}\t{:.1}\t{:.2}",
                score.pages,
                score.failed,
                pages.len() as f64 / secs,
                bytes as f64 / 1e6 / secs,
            );
        }
    }
    Ok(())
}
