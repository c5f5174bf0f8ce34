//! `shards/manifest.json`, and the two files that make the shard directory a dataset HF
//! `datasets.load_from_disk` opens (`dataset_info.json`, `state.json`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::gather::PackedTokens;
use super::write::ShardFile;
use crate::job::spec::Remainder;
use crate::run::atomic::write_atomic;

/// The manifest's file name in the shard directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// What `format` says in every manifest.
pub const MANIFEST_FORMAT: &str = "curate-shards";
/// Bumped when the layout of the shards or of the manifest changes.
pub const MANIFEST_VERSION: u32 = 1;

/// Everything a trainer (and `curate verify`) needs to know about the shards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// Tokens per sequence: every row of `input_ids` has exactly this many.
    pub seq_len: usize,
    pub eos_id: u32,
    pub eos_token: String,
    /// Ids are below this (added tokens included).
    pub vocab_size: usize,
    /// The vocabulary `[tokenizer] vocab_size` asked for, when the run trained its
    /// tokenizer (`vocab_size` is what training reached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_vocab_size: Option<usize>,
    pub tokenizer: TokenizerRef,
    pub seed: u64,
    /// Changes whenever the shards' configuration or input changes.
    pub job_fingerprint: String,
    pub remainder: Remainder,
    /// The columns of every shard, in order.
    pub columns: Vec<String>,
    pub sequences: u64,
    /// `sequences * seq_len`: text, end-of-text and padding tokens.
    pub tokens: u64,
    pub text_tokens: u64,
    pub eos_tokens: u64,
    pub padding_tokens: u64,
    /// Tokens after the last full sequence, left out.
    pub dropped_tokens: u64,
    pub mix: ManifestMix,
    pub shards: Vec<ShardFile>,
    /// The Megatron pair (`[shard] megatron = true`), with sizes and checksums.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub megatron: Vec<super::megatron::MegatronFile>,
}

/// The tokenizer the ids come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerRef {
    /// Relative to the shard directory: `tokenizer.json`, a copy kept beside the shards.
    pub path: String,
    /// xxh3-64 of the file's bytes.
    pub xxh3: String,
}

/// Text tokens in the shards per domain and per source, with their shares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestMix {
    /// By each document's own domain: a document a classifier routed counts under the
    /// domain it was routed to, as it did in the mix plan.
    pub by_domain: BTreeMap<String, PackedTokens>,
    pub by_source: BTreeMap<String, SourceMix>,
}

/// One source's text tokens in the shards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceMix {
    /// The domain the source declares (its routed documents count elsewhere in `by_domain`).
    pub domain: String,
    pub tokens: u64,
    pub share: f64,
}

impl Manifest {
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a shard manifest", path.display()))
    }

    /// Writes the manifest and the HF `datasets` metadata, manifest last.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let json = |value: &serde_json::Value| -> Result<Vec<u8>> {
            let mut bytes = serde_json::to_vec_pretty(value)?;
            bytes.push(b'\n');
            Ok(bytes)
        };
        // Features are left to `datasets` to infer from the Arrow schema, which is exact;
        // spelling them out would tie the files to one `datasets` release's feature syntax.
        let info = serde_json::json!({
            "description": format!(
                "Packed sequences of {} tokens written by curate; see manifest.json.",
                self.seq_len
            ),
            "citation": "",
            "homepage": "",
            "license": "",
            "dataset_size": self.shards.iter().map(|s| s.bytes).sum::<u64>(),
        });
        let state = serde_json::json!({
            "_data_files": self.shards.iter().map(|s| serde_json::json!({"filename": s.file})).collect::<Vec<_>>(),
            "_fingerprint": self.job_fingerprint,
            "_format_columns": null,
            "_format_kwargs": {},
            "_format_type": null,
            "_output_all_columns": false,
            "_split": null,
        });
        let write = |name: &str, bytes: Vec<u8>| {
            write_atomic(&dir.join(name), &bytes)
                .with_context(|| format!("cannot write {}", dir.join(name).display()))
        };
        write("dataset_info.json", json(&info)?)?;
        write("state.json", json(&state)?)?;
        write(
            MANIFEST_FILE,
            json(&serde_json::to_value(self).context("cannot encode the manifest")?)?,
        )
    }
}
