//! Scores the extractor on the HTML extraction benchmarks, with per-core speed, in a
//! release build that needs none of the pipeline:
//!
//! ```text
//! cargo run --release -p curate-extract --example extract_eval -- DIR [options]
//! ```
//!
//! `DIR` is `html_extraction_benchmarks`. Options: `--engine curate|trafilatura-crate|both`
//! (default both: this crate's extractor and the `trafilatura` crate with the options WARC
//! ingest used before it switched to this crate), `--favor precision|balanced|recall`, `--max-pages N` (first pages by id),
//! `--dump DIR` (write each page's text from this crate's extractor to `DIR/BENCH/ID.txt`).
//!
//! Prints the table `curate extract --eval` prints: per benchmark and engine the pages,
//! failures, precision, recall, F1, and pages/s and MB/s of HTML per CPU second of the one
//! thread that extracts (decoding included, scoring left out), timed over as many passes
//! as make up a second.

use std::path::PathBuf;
use std::process::ExitCode;

use curate_extract::eval::{self, BENCHMARKS};
use curate_extract::{Favor, Options, decode, extract_bytes};

/// Each engine is timed over repeated passes adding up to at least this many CPU seconds.
const MIN_SECONDS: f64 = 1.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Curate,
    TrafilaturaCrate,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Curate => "curate",
            Engine::TrafilaturaCrate => "trafilatura-crate",
        }
    }
}

struct Args {
    dir: PathBuf,
    engines: Vec<Engine>,
    favor: Favor,
    max_pages: Option<usize>,
    dump: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut engines = vec![Engine::Curate, Engine::TrafilaturaCrate];
    let mut favor = Favor::Balanced;
    let mut max_pages = None;
    let mut dump = None;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--engine" => {
                engines = match value("--engine")?.as_str() {
                    "curate" => vec![Engine::Curate],
                    "trafilatura-crate" => vec![Engine::TrafilaturaCrate],
                    "both" => vec![Engine::Curate, Engine::TrafilaturaCrate],
                    other => return Err(format!("unknown engine {other}")),
                }
            }
            "--favor" => {
                favor = match value("--favor")?.as_str() {
                    "precision" => Favor::Precision,
                    "balanced" => Favor::Balanced,
                    "recall" => Favor::Recall,
                    other => return Err(format!("unknown favor {other}")),
                }
            }
            "--max-pages" => {
                let n = value("--max-pages")?;
                max_pages = Some(n.parse().map_err(|_| format!("bad --max-pages {n}"))?);
            }
            "--dump" => dump = Some(PathBuf::from(value("--dump")?)),
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    Ok(Args {
        dir: dir.ok_or("usage: extract_eval DIR [--engine E] [--favor F] [--max-pages N]")?,
        engines,
        favor,
        max_pages,
        dump,
    })
}

/// The ingest configuration of the `trafilatura` crate; its plain-text output.
fn trafilatura_crate(html: &[u8]) -> Option<String> {
    let options = trafilatura::Options::default()
        .with_exclude_comments(true)
        .with_focus(trafilatura::ExtractionFocus::Balanced)
        .with_fallback(true);
    trafilatura::extract(&decode::decode_html(html), &options)
        .ok()
        .map(|r| r.content_text)
}

fn run(args: &Args) -> Result<(), String> {
    let options = Options {
        favor: args.favor,
        ..Options::default()
    };
    println!("benchmark\tengine\tpages\tfailed\tprecision\trecall\tf1\tpages_per_s\tmb_per_s");
    for bench in BENCHMARKS {
        let pages = eval::load(&args.dir, bench, args.max_pages).map_err(|e| e.to_string())?;
        let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
        for &engine in &args.engines {
            let run = match engine {
                Engine::Curate => eval::run_engine_timed(
                    &pages,
                    |html| extract_bytes(html, &options).ok().map(|e| e.text),
                    MIN_SECONDS,
                ),
                Engine::TrafilaturaCrate => {
                    eval::run_engine_timed(&pages, trafilatura_crate, MIN_SECONDS)
                }
            };
            let (p, r, f) = run.score.prf();
            let secs = run.seconds();
            println!(
                "{bench}\t{}\t{}\t{}\t{p:.3}\t{r:.3}\t{f:.3}\t{:.1}\t{:.2}",
                engine.name(),
                run.score.pages,
                run.score.failed,
                pages.len() as f64 / secs,
                bytes as f64 / 1e6 / secs,
            );
        }
        if let Some(dump) = &args.dump {
            let dir = dump.join(bench);
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for page in &pages {
                let text = extract_bytes(&page.html, &options)
                    .map(|e| e.text)
                    .unwrap_or_default();
                let path = dir.join(format!("{}.txt", page.id));
                std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("extract_eval: {e}");
            ExitCode::FAILURE
        }
    }
}
