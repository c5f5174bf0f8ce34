//! `[dedup]`: which dedup methods run, with which settings, over which scope.
//!
//! Each method runs when its table is present (`[dedup.exact]`, `[dedup.minhash]`,
//! `[dedup.lines]`), in that order: exact duplicates go first, near-duplicates are
//! clustered among the documents left, and repeated lines are removed from the documents
//! kept. In every cluster the document kept is the one from the source with the lowest
//! `priority`, and among equals the first in partition and row order.

use curate_filters::dedup::{
    LineDedupConfig, MinHashConfig, MinHashPreset, NumberMode, TextNorm, UrlNorm,
};
use serde::{Deserialize, Serialize};

/// The near-duplicate index's default memory budget: 4 GiB holds the band records of
/// about 19 million documents at 14 bands before anything goes to disk.
pub const DEFAULT_MEMORY_MB: u64 = 4096;

/// `[dedup]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DedupSection {
    /// Whether documents of different sources can be duplicates of each other.
    pub scope: DedupScope,
    /// Write removed documents with their reason to `removed/` (default true).
    pub write_removed: Option<bool>,
    /// Memory, in MiB, the near-duplicate index may hold in band records (16 bytes per
    /// band per document) and candidate pairs. Past it they are sorted into run files in
    /// the stage's `.work/` and merged from disk, with the same decisions. Default 4096.
    pub memory_mb: Option<u64>,
    pub exact: Option<ExactSection>,
    pub minhash: Option<MinHashSection>,
    pub lines: Option<LineDedupConfig>,
}

/// Where duplicates are looked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupScope {
    /// Across every source of the job.
    #[default]
    Global,
    /// Within each source separately (as BloombergGPT deduplicated each dataset).
    PerSource,
}

/// `[dedup.exact]`: one 128-bit hash of the normalised text (or URL) per document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExactSection {
    /// `none`, `whitespace` (default) or `whitespace_case`.
    pub normalization: TextNorm,
    /// Key documents by their URL instead of their text (documents without a URL are
    /// keyed by their text).
    pub by_url: bool,
    /// How URLs are normalised when `by_url` is set.
    pub url_normalization: UrlNorm,
}

/// `[dedup.minhash]`: a preset (default FineWeb's shingles and bands, numbers kept) with
/// any of its values overridden.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinHashSection {
    /// `fineweb`, `redpajama_v2` or `text_dedup`; absent: FineWeb's shingles and bands
    /// with numbers kept (finance notes differing only in figures are different facts).
    pub preset: Option<MinHashPreset>,
    pub ngram: Option<usize>,
    pub bands: Option<usize>,
    pub rows: Option<usize>,
    pub seed: Option<u64>,
    pub numbers: Option<NumberMode>,
    /// Confirm LSH candidate pairs by their exact shingle Jaccard similarity.
    pub verify_threshold: Option<f64>,
}

impl MinHashSection {
    /// The settings this table asks for.
    pub fn config(&self) -> MinHashConfig {
        let base = self.preset.map(MinHashConfig::preset).unwrap_or_default();
        MinHashConfig {
            ngram: self.ngram.unwrap_or(base.ngram),
            bands: self.bands.unwrap_or(base.bands),
            rows: self.rows.unwrap_or(base.rows),
            seed: self.seed.unwrap_or(base.seed),
            numbers: self.numbers.unwrap_or(base.numbers),
            verify_threshold: self.verify_threshold.or(base.verify_threshold),
        }
    }

    /// The table with every value filled in, as `job.resolved.toml` records it.
    pub fn resolved(&self) -> MinHashSection {
        let c = self.config();
        MinHashSection {
            preset: self.preset,
            ngram: Some(c.ngram),
            bands: Some(c.bands),
            rows: Some(c.rows),
            seed: Some(c.seed),
            numbers: Some(c.numbers),
            verify_threshold: c.verify_threshold,
        }
    }
}

/// The key a MinHash error is about, so the error names the line it is written on: one
/// setting, or for `bands/rows` the one that is zero (else `bands`).
fn minhash_key(error: &curate_filters::dedup::DedupError, config: &MinHashConfig) -> String {
    let name = match error {
        curate_filters::dedup::DedupError::InvalidSetting { name, .. } => *name,
        _ => return "dedup.minhash".to_owned(),
    };
    let name = match name {
        "bands/rows" if config.bands != 0 && config.rows == 0 => "rows",
        "bands/rows" => "bands",
        name => name,
    };
    format!("dedup.minhash.{name}")
}

impl DedupSection {
    /// Whether any method is configured (the stage runs only then).
    pub fn is_enabled(&self) -> bool {
        self.exact.is_some() || self.minhash.is_some() || self.lines.is_some()
    }

    pub fn write_removed(&self) -> bool {
        self.write_removed.unwrap_or(true)
    }

    /// The index's memory budget in MiB.
    pub fn memory_mb(&self) -> u64 {
        self.memory_mb.unwrap_or(DEFAULT_MEMORY_MB)
    }

    /// The section with every default filled in.
    pub fn resolved(&self) -> DedupSection {
        DedupSection {
            minhash: self.minhash.as_ref().map(MinHashSection::resolved),
            memory_mb: Some(self.memory_mb()),
            ..self.clone()
        }
    }

    /// Checks every value's range; the error names the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if let Some(minhash) = &self.minhash {
            let config = minhash.config();
            config
                .validate()
                .map_err(|e| (minhash_key(&e, &config), e.to_string()))?;
        }
        if self.memory_mb == Some(0) {
            return Err((
                "dedup.memory_mb".to_owned(),
                "must be at least 1".to_owned(),
            ));
        }
        if let Some(lines) = &self.lines
            && lines.max_docs == 0
        {
            return Err((
                "dedup.lines.max_docs".to_owned(),
                "must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_switch_methods_on_and_overrides_apply() {
        let section: DedupSection = toml::from_str(
            "scope = \"per_source\"\n[minhash]\npreset = \"redpajama_v2\"\nbands = 4\n",
        )
        .unwrap();
        assert!(section.is_enabled());
        assert_eq!(section.scope, DedupScope::PerSource);
        let config = section.minhash.as_ref().unwrap().config();
        assert_eq!((config.ngram, config.bands, config.rows), (13, 4, 13));
        assert!(section.exact.is_none() && section.lines.is_none());
        assert!(!DedupSection::default().is_enabled());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(toml::from_str::<DedupSection>("[exact]\nnormalisation = \"none\"").is_err());
        let bad: DedupSection = toml::from_str("[minhash]\nrows = 0").unwrap();
        assert_eq!(bad.validate().unwrap_err().0, "dedup.minhash.rows");
        let bad: DedupSection = toml::from_str("[lines]\nmax_docs = 0").unwrap();
        assert_eq!(bad.validate().unwrap_err().0, "dedup.lines.max_docs");
    }

    #[test]
    fn resolved_fills_the_minhash_defaults() {
        let section: DedupSection = toml::from_str("[minhash]\n[exact]").unwrap();
        let text = toml::to_string(&section.resolved()).unwrap();
        assert!(text.contains("bands = 14"), "{text}");
        assert!(text.contains("normalization = \"whitespace\""), "{text}");
    }
}
