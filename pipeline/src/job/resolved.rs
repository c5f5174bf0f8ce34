//! A job with every default filled in and every glob expanded: what stages run on, and
//! what `job.resolved.toml` records for audit and reruns.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::dedup::DedupSection;
use super::spec::{
    BudgetSection, Format, IngestConfig, MixSection, ShardSection, TokenizerSection,
};
use crate::filtering::ResolvedFilters;
use crate::ingest::fields::FieldMap;
use crate::ingest::text::TextUnit;

#[derive(Debug, Clone, Serialize)]
pub struct ResolvedJob {
    #[serde(skip)]
    pub job_file: PathBuf,
    #[serde(skip)]
    pub run_dir: PathBuf,
    pub name: String,
    pub output_dir: String,
    pub seed: u64,
    pub strict: bool,
    #[serde(rename = "source")]
    pub sources: Vec<ResolvedSource>,
    pub ingest: IngestConfig,
    pub filter: ResolvedFilters,
    pub dedup: DedupSection,
    pub tokenizer: TokenizerSection,
    pub budget: BudgetSection,
    pub mix: MixSection,
    pub shard: ShardSection,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResolvedSource {
    pub name: String,
    pub domain: String,
    pub format: Format,
    /// The directory document ids are relative to (deepest directory holding every file).
    pub root: PathBuf,
    /// Every file the globs matched, sorted.
    pub files: Vec<PathBuf>,
    pub fields: FieldMap,
    pub text_unit: TextUnit,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<crate::ingest::markup::TaggedRecords>,
    pub max_docs: Option<u64>,
    pub priority: i64,
    /// The filter profile the source runs.
    pub filters: String,
}

impl ResolvedSource {
    /// The name a file goes by in document ids and messages: its path below the source root.
    pub fn display_name(&self, file: &Path) -> String {
        file.strip_prefix(&self.root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    }
}

impl ResolvedJob {
    /// The directory of the job file: relative paths in the job are relative to it.
    pub fn base_dir(&self) -> PathBuf {
        self.job_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned()
    }

    /// Moves the run directory under `dir` (the `--output-dir` of the command line; a
    /// bucket URL such as `s3://bucket/runs` puts the run there).
    pub fn set_output_dir(&mut self, dir: &Path) {
        self.output_dir = dir.to_string_lossy().into_owned();
        self.run_dir = if crate::storage::is_url(&self.output_dir) {
            PathBuf::from(format!(
                "{}/{}",
                self.output_dir.trim_end_matches('/'),
                self.name
            ))
        } else {
            dir.join(&self.name)
        };
    }

    /// The run directory's URL, when the run lives in a bucket.
    pub fn remote_run(&self) -> Option<crate::storage::ObjectUrl> {
        crate::storage::ObjectUrl::from_path(&self.run_dir)
    }
}

/// The `[job]` table as written back, beside the resolved sections.
#[derive(Serialize)]
struct JobTable<'a> {
    name: &'a str,
    output_dir: &'a str,
    seed: u64,
    strict: bool,
}

#[derive(Serialize)]
struct ResolvedFile<'a> {
    job: JobTable<'a>,
    #[serde(rename = "source")]
    sources: &'a [ResolvedSource],
    ingest: &'a IngestConfig,
    filter: &'a ResolvedFilters,
    dedup: &'a DedupSection,
    tokenizer: &'a TokenizerSection,
    budget: &'a BudgetSection,
    mix: &'a MixSection,
    shard: &'a ShardSection,
}

impl ResolvedJob {
    /// The resolved job as TOML, with a header saying where it came from.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let file = ResolvedFile {
            job: JobTable {
                name: &self.name,
                output_dir: &self.output_dir,
                seed: self.seed,
                strict: self.strict,
            },
            sources: &self.sources,
            ingest: &self.ingest,
            filter: &self.filter,
            dedup: &self.dedup,
            tokenizer: &self.tokenizer,
            budget: &self.budget,
            mix: &self.mix,
            shard: &self.shard,
        };
        let body = toml::to_string_pretty(&file)?;
        Ok(format!(
            "# Resolved from {}: every default filled in, every glob expanded.\n\n{body}",
            self.job_file.display()
        ))
    }
}
