//! `curate init`: a commented starter job for given inputs, checked by loading it.
//!
//! Each input (`PATH[=DOMAIN]`, globs allowed) becomes a source; the format comes from the
//! file name; web archives run the FineWeb chain (`web` profile), everything else the
//! `curated` preset (only broken documents removed), since a lab's own corpora are
//! curated text and raw crawl is not. The mix gives every domain an equal share to start.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::job::load_job;
use crate::job::spec::Format;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Inputs as `PATH[=DOMAIN]` (a glob, relative to where you run this); the domain
    /// defaults to `general`.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Where to write the job.
    #[arg(short, long, default_value = "job.toml")]
    pub output: PathBuf,
    /// The job's name (names the run directory).
    #[arg(long, default_value = "curate-job")]
    pub name: String,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// One source of the starter job.
struct Input {
    name: String,
    domain: String,
    format: Format,
    pattern: String,
}

/// The format a file name stands for, compression suffixes aside.
fn format_of(pattern: &str) -> Option<Format> {
    let lower = pattern.to_ascii_lowercase();
    let bare = ["gz", "zst", "zstd", "lz4"]
        .iter()
        .find_map(|ext| lower.strip_suffix(&format!(".{ext}")))
        .unwrap_or(&lower);
    let ext = bare.rsplit('.').next().unwrap_or_default();
    Some(match ext {
        "warc" | "arc" | "wet" => Format::Warc,
        "jsonl" | "json" | "ndjson" => Format::Jsonl,
        "parquet" => Format::Parquet,
        "html" | "htm" => Format::Html,
        "txt" | "text" | "tokens" | "md" => Format::Text,
        _ => return None,
    })
}

/// A source name from a pattern: its file stem or folder, letters, digits and `-`.
fn source_name(pattern: &str, taken: &BTreeSet<String>) -> String {
    let path = Path::new(pattern);
    let stem = path
        .components()
        .rev()
        .filter_map(|c| c.as_os_str().to_str())
        .find(|c| !c.contains('*') && !c.contains('?') && !c.is_empty())
        .unwrap_or("source");
    let stem = stem.split('.').next().unwrap_or(stem);
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if name.trim_matches('-').is_empty() {
        name = "source".to_owned();
    }
    let mut unique = name.clone();
    let mut n = 2;
    while taken.contains(&unique) {
        unique = format!("{name}-{n}");
        n += 1;
    }
    unique
}

pub fn run(args: InitArgs) -> Result<()> {
    if args.output.exists() && !args.force {
        bail!(
            "{} exists: choose another --output or add --force",
            args.output.display()
        );
    }
    let job_dir = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let job_dir = std::path::absolute(job_dir).context("cannot resolve the job's folder")?;
    let mut inputs: Vec<Input> = Vec::new();
    let mut taken = BTreeSet::new();
    for spec in &args.inputs {
        let (pattern, domain) = match spec.rsplit_once('=') {
            Some((p, d)) if !d.is_empty() && !d.contains('/') => (p, d),
            _ => (spec.as_str(), "general"),
        };
        let format = format_of(pattern).with_context(|| {
            format!(
                "{pattern}: cannot tell the format from the name (.warc.gz, .jsonl, .parquet, \
                 .html, .txt, ...): write the source by hand"
            )
        })?;
        let absolute = std::path::absolute(pattern).context("cannot resolve an input path")?;
        let relative = pathdiff(&absolute, &job_dir);
        let name = source_name(pattern, &taken);
        taken.insert(name.clone());
        inputs.push(Input {
            name,
            domain: domain.to_owned(),
            format,
            pattern: relative,
        });
    }
    let text = starter_job(&args.name, &inputs);
    std::fs::create_dir_all(&job_dir)
        .with_context(|| format!("cannot create {}", job_dir.display()))?;
    std::fs::write(&args.output, &text)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    // The starter job must load: a pattern that matches nothing is reported now.
    load_job(&args.output).with_context(|| {
        format!(
            "{} was written but does not load; edit it",
            args.output.display()
        )
    })?;
    eprintln!(
        "wrote {} ({} sources); check it with `curate check {}`",
        args.output.display(),
        inputs.len(),
        args.output.display()
    );
    Ok(())
}

/// `path` relative to `base` when it lies below a common ancestor, with `..` steps.
fn pathdiff(path: &Path, base: &Path) -> String {
    let path_parts: Vec<_> = path.components().collect();
    let base_parts: Vec<_> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    // Sharing only the root (or a drive) is no relation: keep the path absolute.
    if common <= 1 {
        return path.display().to_string();
    }
    let mut out = PathBuf::new();
    for _ in common..base_parts.len() {
        out.push("..");
    }
    for part in &path_parts[common..] {
        out.push(part);
    }
    out.to_string_lossy().replace('\\', "/")
}

fn starter_job(name: &str, inputs: &[Input]) -> String {
    let mut s = String::new();
    let domains: BTreeSet<&str> = inputs.iter().map(|i| i.domain.as_str()).collect();
    let _ = writeln!(
        s,
        "# Written by `curate init`: a starting point. Run `curate check` on it for every\n\
         # setting with its default, and README.md for what each one means. Paths are\n\
         # relative to this file.\n\n[job]\nname = \"{name}\"\noutput_dir = \"runs\"\nseed = 42\n"
    );
    for input in inputs {
        let profile = if input.format == Format::Warc {
            "web"
        } else {
            "curated"
        };
        let _ = writeln!(
            s,
            "[[source]]\nname = \"{}\"\ndomain = \"{}\"\nformat = \"{}\"\npaths = [\"{}\"]\n\
             # web: the FineWeb chain; curated: only broken documents removed; none: no filter\n\
             filters = \"{profile}\"\n",
            input.name,
            input.domain,
            input.format.as_str(),
            input.pattern.replace('\\', "\\\\").replace('"', "\\\"")
        );
    }
    s.push_str(
        "# Raw web text: datatrove's FineWeb chain. Add [filter.profile.web.url] with a\n\
         # blocklist, [filter.profile.web.c4_badwords] with a word list, [filter.pii] ...\n\
         [filter.profile.web]\npreset = \"fineweb\"\n\n\
         # Exact and near-duplicate removal across every source; the copy from the lowest\n\
         # `priority` is kept.\n[dedup]\nscope = \"global\"\n\n[dedup.exact]\n\n[dedup.minhash]\n\n\
         # A byte-level BPE trained on a sample that follows the mix (or `path = ...`).\n\
         [tokenizer]\nvocab_size = 32000\nspecial_tokens = [\"<|endoftext|>\"]\n\n\
         # The model the data is for: the Chinchilla budget (20 tokens per parameter).\n\
         [budget]\nparams = 1e9\n\n\
         # Target shares of output tokens by domain; no source repeated more than max_epochs.\n\
         [mix]\nmax_epochs = 4.0\ntotal = \"all\"\n\n[mix.shares]\n",
    );
    let share = 1.0 / domains.len().max(1) as f64;
    let mut total = 0.0;
    for (i, domain) in domains.iter().enumerate() {
        // The last share takes the rounding, so the shares sum to exactly 1.
        let value = if i + 1 == domains.len() {
            1.0 - total
        } else {
            (share * 1000.0).round() / 1000.0
        };
        total += value;
        let _ = writeln!(s, "{domain} = {value}");
    }
    s.push_str("\n# Packed, shuffled sequences for the trainer.\n[shard]\nseq_len = 2048\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_file_names() {
        assert_eq!(format_of("crawl/*.warc.gz"), Some(Format::Warc));
        assert_eq!(format_of("calls.jsonl.zst"), Some(Format::Jsonl));
        assert_eq!(format_of("a/b.parquet"), Some(Format::Parquet));
        assert_eq!(format_of("filings/**/*.html.gz"), Some(Format::Html));
        assert_eq!(format_of("wiki.valid.tokens.gz"), Some(Format::Text));
        assert_eq!(format_of("data.bin"), None);
    }

    #[test]
    fn names_are_unique_and_plain() {
        let mut taken = BTreeSet::new();
        let a = source_name("corpora/Reuters 21578/*.sgm.gz", &taken);
        taken.insert(a.clone());
        assert_eq!(a, "reuters-21578");
        assert_eq!(
            source_name("x/Reuters 21578/*.gz", &taken),
            "reuters-21578-2"
        );
    }
}
