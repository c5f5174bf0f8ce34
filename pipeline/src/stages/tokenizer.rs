//! The tokenizer stage: `tokenizer/tokenizer.json` for the count and shard stages.
//!
//! With `[tokenizer] path` the named file is copied in (a `.json.gz` is unpacked), so the run
//! directory holds the exact vocabulary its token counts were made with. Otherwise a
//! byte-level BPE is trained on a sample of the documents of the stage before, drawn per
//! domain so that the sample follows the target mix (`[mix.shares]`) by bytes, up to
//! `sample_bytes`: a tokenizer trained on the corpus as it is would spend its vocabulary on
//! whatever domain dominates the raw data, not on what the model will see. Which documents
//! are sampled depends only on the job's seed and the document ids.
//!
//! Not a document stage: it writes no parts, and the count stage reads the documents of
//! the stage before it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use curate_tokenizer::{BpeTokenizer, ENDOFTEXT, TrainConfig, sample};
use serde::{Deserialize, Serialize};

use super::parts::{DocumentColumns, open_part};
use super::upstream::Upstream;
use super::{StageContext, StageOutcome, invalidate_record, prepare_stage_dir};
use crate::job::ResolvedJob;
use crate::job::spec::TokenizerSection;
use crate::progress::human_bytes;
use crate::run::fingerprint::{InputFile, fingerprint_config, hex_digest};
use crate::run::stage_record::{FORMAT_VERSION, StageRecord};
use crate::stages::partitioned::record_fingerprint;

/// The tokenizer's file inside the stage directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// The record of the tokenizer stage: no partitions, a summary.
pub type TokenizerRecord = StageRecord<(), TokenizerSummary>;

/// What the tokenizer stage made, for `_stage.json` and the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenizerSummary {
    /// `file` (copied from `[tokenizer] path`) or `trained`.
    pub origin: String,
    /// The file it was copied from.
    pub copied_from: Option<String>,
    /// xxh3-64 of `tokenizer.json`, as the shard manifest will name it.
    pub fingerprint: String,
    /// The ids the tokenizer has.
    pub vocab_size: usize,
    /// The ids `[tokenizer] vocab_size` asked for, when trained: fewer were reached when
    /// the sample had too few distinct pairs to merge.
    #[serde(default)]
    pub requested_vocab_size: Option<usize>,
    pub eos_token: Option<String>,
    pub eos_id: Option<u32>,
    /// The training sample, when trained.
    pub sample: Option<SampleSummary>,
}

/// The training sample: its byte target and what each domain gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSummary {
    pub target_bytes: u64,
    pub documents: u64,
    pub bytes: u64,
    pub by_domain: BTreeMap<String, SampleDomain>,
    /// Domains with less text than their share of the sample: they gave all of it, and
    /// the other domains filled the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short_domains: Vec<String>,
}

/// One domain's part of the training sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleDomain {
    /// Text bytes of the domain in the stage before.
    pub available_bytes: u64,
    /// Fraction of its documents drawn (by id hash).
    pub fraction: f64,
    pub documents: u64,
    pub bytes: u64,
}

/// The training settings a `[tokenizer]` table stands for. The end-of-text token is
/// `<|endoftext|>` when listed, else the first special token.
pub fn train_config(section: &TokenizerSection) -> TrainConfig {
    let eos_token = if section.special_tokens.iter().any(|t| t == ENDOFTEXT) {
        ENDOFTEXT.to_owned()
    } else {
        section
            .special_tokens
            .first()
            .cloned()
            .unwrap_or_else(|| ENDOFTEXT.to_owned())
    };
    TrainConfig {
        vocab_size: section.vocab_size,
        min_frequency: section.min_frequency,
        special_tokens: section.special_tokens.clone(),
        eos_token,
        ..TrainConfig::default()
    }
}

/// Whether the tokenizer file is the one a record names (its xxh3-64): a record is never
/// trusted for a file that another run replaced.
fn file_matches(path: &Path, fingerprint: &str) -> bool {
    std::fs::read(path).is_ok_and(|bytes| hex_digest(&bytes) == fingerprint)
}

/// The bytes of a `tokenizer.json`, unpacked when the file is gzip (`.gz`).
pub fn read_tokenizer_bytes(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut json = Vec::with_capacity(raw.len() * 4);
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut json)
        .with_context(|| format!("cannot unpack {}", path.display()))?;
    Ok(json)
}

/// Loads a tokenizer file (plain or gzip) for counting: special-token text inside a
/// document counts as text, so no document can inject a separator.
pub fn load_for_counting(path: &Path) -> Result<BpeTokenizer> {
    let json = read_tokenizer_bytes(path)?;
    Ok(BpeTokenizer::from_json_bytes(json)
        .with_context(|| format!("{} is not a tokenizer.json", path.display()))?
        .with_special_tokens_as_text(true))
}

/// The tokenizer of a run, written by this stage.
pub fn run_tokenizer_path(job: &ResolvedJob) -> std::path::PathBuf {
    job.run_dir
        .join(super::Stage::Tokenizer.dir_name())
        .join(TOKENIZER_FILE)
}

pub fn run(context: &StageContext<'_>, upstream: &Upstream) -> Result<StageOutcome> {
    let job = context.job;
    let section = &job.tokenizer;
    let stage_dir = context.stage_dir("tokenizer");
    let output = stage_dir.join(TOKENIZER_FILE);
    let (config_fingerprint, input_fingerprint, inputs, file_bytes) = match &section.path {
        Some(path) => {
            let path = job.base_dir().join(path);
            let bytes = read_tokenizer_bytes(&path)?;
            let inputs = vec![InputFile::describe(&path)?];
            let fingerprint = hex_digest(&bytes);
            (
                fingerprint_config(&(FORMAT_VERSION, section)),
                fingerprint,
                inputs,
                Some(bytes),
            )
        }
        None => (
            fingerprint_config(&(FORMAT_VERSION, section, &job.mix.shares, job.seed)),
            upstream.fingerprint.clone(),
            Vec::new(),
            None,
        ),
    };
    if !context.force
        && let Some(record) = TokenizerRecord::read(&stage_dir)
        && record.is_complete_for(&config_fingerprint, &input_fingerprint)
        && record
            .summary
            .as_ref()
            .is_some_and(|summary| file_matches(&output, &summary.fingerprint))
    {
        return Ok(StageOutcome::UpToDate {
            fingerprint: record_fingerprint(&record),
        });
    }
    prepare_stage_dir(&stage_dir, &[])?;
    invalidate_record(&stage_dir)?;
    let started = Instant::now();
    let (tokenizer, origin, sample) = match file_bytes {
        Some(bytes) => {
            let tokenizer = BpeTokenizer::from_json_bytes(bytes)
                .context("the [tokenizer] path is not a tokenizer.json")?;
            (tokenizer, "file", None)
        }
        None => {
            let (texts, sample) = draw_sample(job, upstream, section.sample_bytes)?;
            if texts.is_empty() {
                bail!("no documents to train the tokenizer on");
            }
            let config = train_config(section);
            let tokenizer = context
                .pool
                .install(|| BpeTokenizer::train(texts.iter(), &config))
                .context("tokenizer training failed")?;
            (tokenizer, "trained", Some(sample))
        }
    };
    tokenizer
        .save(&output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    let summary = TokenizerSummary {
        origin: origin.to_owned(),
        copied_from: section.path.clone(),
        fingerprint: tokenizer.fingerprint_hex(),
        vocab_size: tokenizer.vocab_size(),
        requested_vocab_size: (origin == "trained").then_some(section.vocab_size),
        eos_token: tokenizer.eos_token().map(str::to_owned),
        eos_id: tokenizer.eos_id(),
        sample,
    };
    let record = TokenizerRecord::complete(
        "tokenizer",
        config_fingerprint,
        input_fingerprint,
        inputs,
        summary.clone(),
        started.elapsed().as_secs_f64(),
    );
    record
        .write(&stage_dir)
        .with_context(|| format!("cannot write {}", stage_dir.display()))?;
    Ok(StageOutcome::Ran {
        fingerprint: record_fingerprint(&record),
        summary: summary_line(&summary, record.seconds),
    })
}

/// Draws the training sample: per domain a fraction of the documents (by id hash under the
/// job's seed) such that the domains' bytes follow the target shares and sum to at most
/// `target_bytes`. Without shares, every domain gives the same fraction.
fn draw_sample(
    job: &ResolvedJob,
    upstream: &Upstream,
    target_bytes: u64,
) -> Result<(Vec<String>, SampleSummary)> {
    let mut available: BTreeMap<String, u64> = BTreeMap::new();
    for (_, part) in &upstream.parts {
        for batch in open_part(part)? {
            let batch = batch.with_context(|| format!("cannot read {}", part.display()))?;
            let columns = DocumentColumns::of(&batch)?;
            for row in 0..batch.num_rows() {
                *available
                    .entry(columns.domains.value(row).to_owned())
                    .or_default() += columns.texts.value(row).len() as u64;
            }
        }
    }
    let fractions = sample_fractions(&available, &job.mix.shares, target_bytes);
    let mut by_domain: BTreeMap<String, SampleDomain> = available
        .iter()
        .map(|(domain, &bytes)| {
            let sample = SampleDomain {
                available_bytes: bytes,
                fraction: fractions.get(domain).copied().unwrap_or(0.0),
                documents: 0,
                bytes: 0,
            };
            (domain.clone(), sample)
        })
        .collect();
    let mut texts = Vec::new();
    for (_, part) in &upstream.parts {
        for batch in open_part(part)? {
            let batch = batch.with_context(|| format!("cannot read {}", part.display()))?;
            let columns = DocumentColumns::of(&batch)?;
            for row in 0..batch.num_rows() {
                let Some(domain) = by_domain.get_mut(columns.domains.value(row)) else {
                    continue;
                };
                if sample::include(job.seed, columns.ids.value(row), domain.fraction) {
                    let text = columns.texts.value(row);
                    domain.documents += 1;
                    domain.bytes += text.len() as u64;
                    texts.push(text.to_owned());
                }
            }
        }
    }
    let summary = SampleSummary {
        target_bytes,
        documents: by_domain.values().map(|d| d.documents).sum(),
        bytes: by_domain.values().map(|d| d.bytes).sum(),
        by_domain,
        short_domains: short_domains(&available, &job.mix.shares, &fractions, target_bytes),
    };
    Ok((texts, summary))
}

/// The fraction of each domain's documents to draw so that the sample reaches
/// `target_bytes`: by the target shares where every domain has enough text, and where one
/// has too little, all of it, with the others filling the rest in proportion to their
/// shares (water-filling). A tokenizer trained on less text than it could have had falls
/// short of its vocabulary: the smallest domain must not cap the sample. Without shares,
/// every domain gives the same fraction.
pub fn sample_fractions(
    available: &BTreeMap<String, u64>,
    shares: &BTreeMap<String, f64>,
    target_bytes: u64,
) -> BTreeMap<String, f64> {
    if shares.is_empty() {
        let total: u64 = available.values().sum();
        let fraction = if total == 0 {
            0.0
        } else {
            (target_bytes as f64 / total as f64).min(1.0)
        };
        return available.keys().map(|d| (d.clone(), fraction)).collect();
    }
    let mut allocated: BTreeMap<&str, f64> = BTreeMap::new();
    let mut open: Vec<&str> = available
        .iter()
        .filter(|(d, a)| **a > 0 && shares.get(*d).is_some_and(|s| *s > 0.0))
        .map(|(d, _)| d.as_str())
        .collect();
    let mut remaining = target_bytes as f64;
    while !open.is_empty() && remaining > 0.0 {
        let total_share: f64 = open.iter().map(|d| shares[*d]).sum();
        // Domains whose proportional part of what remains exceeds what they have left.
        let capped: Vec<&str> = open
            .iter()
            .copied()
            .filter(|d| {
                let left = available[*d] as f64 - allocated.get(d).copied().unwrap_or(0.0);
                remaining * shares[*d] / total_share >= left
            })
            .collect();
        if capped.is_empty() {
            for d in &open {
                *allocated.entry(d).or_default() += remaining * shares[*d] / total_share;
            }
            break;
        }
        for d in capped {
            let left = available[d] as f64 - allocated.get(d).copied().unwrap_or(0.0);
            *allocated.entry(d).or_default() += left;
            remaining -= left;
            open.retain(|o| *o != d);
        }
    }
    available
        .iter()
        .map(|(d, &a)| {
            let fraction = if a == 0 {
                0.0
            } else {
                (allocated.get(d.as_str()).copied().unwrap_or(0.0) / a as f64).min(1.0)
            };
            (d.clone(), fraction)
        })
        .collect()
}

/// The domains that gave all their text while their share asked for more: the rest of the
/// sample was filled from the others.
fn short_domains(
    available: &BTreeMap<String, u64>,
    shares: &BTreeMap<String, f64>,
    fractions: &BTreeMap<String, f64>,
    target_bytes: u64,
) -> Vec<String> {
    // When every domain gave all its text the corpus is simply small: nothing was filled.
    if fractions.values().all(|f| *f >= 1.0) {
        return Vec::new();
    }
    available
        .iter()
        .filter(|(d, a)| {
            let wanted = shares.get(*d).copied().unwrap_or(0.0) * target_bytes as f64;
            fractions.get(*d).copied().unwrap_or(0.0) >= 1.0 && (**a as f64) < wanted
        })
        .map(|(d, _)| d.clone())
        .collect()
}

fn summary_line(summary: &TokenizerSummary, seconds: f64) -> String {
    let mut line = format!(
        "{} tokenizer, {} ids, {} in {:.1}s",
        summary.origin, summary.vocab_size, summary.fingerprint, seconds
    );
    if let Some(requested) = summary.requested_vocab_size
        && requested > summary.vocab_size
    {
        line.push_str(&format!(
            "; WARNING: {requested} ids were asked for, the sample gave only {} (too little \
             text for the vocabulary: add text or lower [tokenizer] vocab_size)",
            summary.vocab_size
        ));
    }
    if let Some(sample) = &summary.sample {
        if !sample.short_domains.is_empty() {
            line.push_str(&format!(
                "; {} gave all their text, below their share, and the other domains filled the sample",
                sample.short_domains.join(", ")
            ));
        }
        let domains: Vec<String> = sample
            .by_domain
            .iter()
            .map(|(d, s)| format!("{d} {}", human_bytes(s.bytes)))
            .collect();
        line.push_str(&format!(
            "; sample of {} documents, {} ({})",
            sample.documents,
            human_bytes(sample.bytes),
            domains.join(", ")
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map<T: Copy>(pairs: &[(&str, T)]) -> BTreeMap<String, T> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn sample_follows_the_shares_within_the_target() {
        let available = map(&[("finance", 1_000u64), ("general", 10_000)]);
        let shares = map(&[("finance", 0.5), ("general", 0.5)]);
        // Finance has 1,000 bytes of the 500,000 its share asks: it gives everything and
        // general fills the rest, all it has.
        let f = sample_fractions(&available, &shares, 1_000_000);
        assert_eq!(f["finance"], 1.0);
        assert_eq!(f["general"], 1.0);
        // A target of 4,000: finance gives its 1,000, general fills 3,000.
        let f = sample_fractions(&available, &shares, 4_000);
        assert_eq!(f["finance"], 1.0);
        assert_eq!(f["general"], 0.3);
        assert_eq!(
            short_domains(&available, &shares, &f, 4_000),
            vec!["finance".to_owned()]
        );
        // A small target: 500 bytes each.
        let f = sample_fractions(&available, &shares, 1_000);
        assert_eq!(f["finance"], 0.5);
        assert_eq!(f["general"], 0.05);
        // No shares: one fraction for all.
        let f = sample_fractions(&available, &BTreeMap::new(), 5_500);
        assert_eq!(f["finance"], 0.5);
        assert_eq!(f["general"], 0.5);
    }

    #[test]
    fn train_config_picks_endoftext() {
        let mut section = TokenizerSection::default();
        assert_eq!(train_config(&section).eos_token, ENDOFTEXT);
        section.special_tokens = vec!["<pad>".into(), "</s>".into()];
        assert_eq!(train_config(&section).eos_token, "<pad>");
    }
}
