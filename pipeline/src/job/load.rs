//! Reading a job file: parse, validate every value, expand globs, fill defaults.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use super::error::JobError;
use super::resolved::{ResolvedJob, ResolvedSource};
use super::spec::{BudgetSection, Format, JobSpec, MixSection, TokenizerSection};

/// Reads, validates and resolves a job file, for running it: every classifier needs a
/// `threshold` and none may ask for a `keep_fraction`.
pub fn load_job(path: &Path) -> Result<ResolvedJob, JobError> {
    load(path, true)
}

/// Reads a job for `curate tag`, which scores with classifiers that have no threshold yet
/// and reports the threshold a `keep_fraction` stands for.
pub fn load_job_for_tagging(path: &Path) -> Result<ResolvedJob, JobError> {
    load(path, false)
}

fn load(path: &Path, job_rules: bool) -> Result<ResolvedJob, JobError> {
    let contents = std::fs::read_to_string(path).map_err(|source| JobError::Read {
        path: path.to_owned(),
        source,
    })?;
    let spec: JobSpec = toml::from_str(&contents).map_err(|error| JobError::Parse {
        path: path.to_owned(),
        message: error.to_string(),
    })?;
    Validator {
        path,
        contents: &contents,
        job_rules,
    }
    .resolve(spec)
}

struct Validator<'a> {
    path: &'a Path,
    contents: &'a str,
    job_rules: bool,
}

impl Validator<'_> {
    /// An error at the line where `key` is written (or its nearest written parent).
    fn invalid_key(&self, key: &str, message: impl Into<String>) -> JobError {
        JobError::Invalid {
            path: self.path.to_owned(),
            line: super::locate::line_of(self.contents, key),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn invalid(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> JobError {
        let line = self.contents[..span.start.min(self.contents.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1;
        JobError::Invalid {
            path: self.path.to_owned(),
            line,
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn resolve(&self, spec: JobSpec) -> Result<ResolvedJob, JobError> {
        let base_dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        let name_span = spec.job.name.span();
        let name = spec.job.name.get_ref().clone();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            || name.starts_with('.')
        {
            return Err(self.invalid(
                name_span,
                "job.name",
                format!("`{name}` must be a non-empty name of letters, digits, `-`, `_`, `.` (it names the run directory)"),
            ));
        }
        if spec.sources.is_empty() {
            return Err(self.invalid_key("source", "the job has no [[source]]"));
        }
        if spec.ingest.batch_docs == 0 {
            return Err(self.invalid_key("ingest.batch_docs", "must be at least 1"));
        }
        if spec.ingest.max_doc_bytes == 0 {
            return Err(self.invalid_key("ingest.max_doc_bytes", "must be at least 1"));
        }
        if let Err((span, key, message)) = spec.ingest.html.validate() {
            return Err(self.invalid(span, &key, message));
        }

        let mut names = BTreeSet::new();
        let mut sources = Vec::with_capacity(spec.sources.len());
        for source in &spec.sources {
            let span = source.name.span();
            let source_name = source.name.get_ref().clone();
            if source_name.is_empty() || source_name.contains(['/', '\\', ':']) {
                return Err(self.invalid(
                    span,
                    "source.name",
                    format!("`{source_name}` must be non-empty and contain no `/`, `\\` or `:`"),
                ));
            }
            if !names.insert(source_name.clone()) {
                return Err(self.invalid(
                    span,
                    "source.name",
                    format!("duplicate source name `{source_name}`"),
                ));
            }
            if source.domain.trim().is_empty() {
                return Err(self.invalid(span, "source.domain", "must not be empty"));
            }
            if source.text_unit.is_some() && source.format != Format::Text {
                return Err(self.invalid(
                    span,
                    "source.text_unit",
                    format!(
                        "only applies to format = \"text\", not \"{}\"",
                        source.format.as_str()
                    ),
                ));
            }
            if source.fields.is_some() && !matches!(source.format, Format::Jsonl | Format::Parquet)
            {
                return Err(self.invalid(
                    span,
                    "source.fields",
                    format!(
                        "only applies to jsonl and parquet, not \"{}\"",
                        source.format.as_str()
                    ),
                ));
            }
            if let Some(pattern) = &source.split_before {
                if source.format != Format::Text {
                    return Err(self.invalid(
                        span.clone(),
                        "source.split_before",
                        "only applies to format = \"text\"",
                    ));
                }
                if let Err(e) = regex::Regex::new(pattern) {
                    return Err(self.invalid(span, "source.split_before", e.to_string()));
                }
            }
            match (&source.tags, source.format) {
                (None, Format::Sgml) => {
                    return Err(self.invalid(
                        span,
                        "source.tags",
                        "format = \"sgml\" needs tags = { record = \"...\", text = \"...\" }",
                    ));
                }
                (Some(_), format) if format != Format::Sgml => {
                    return Err(self.invalid(
                        span,
                        "source.tags",
                        "only applies to format = \"sgml\"",
                    ));
                }
                (Some(tags), _) if tags.record.trim().is_empty() || tags.text.trim().is_empty() => {
                    return Err(self.invalid(
                        span,
                        "source.tags",
                        "`record` and `text` must not be empty",
                    ));
                }
                _ => {}
            }
            if source.max_docs == Some(0) {
                return Err(self.invalid(span, "source.max_docs", "must be at least 1"));
            }
            let files =
                self.expand_globs(&base_dir, source.paths.get_ref(), source.paths.span())?;
            sources.push(ResolvedSource {
                name: source_name,
                domain: source.domain.clone(),
                format: source.format,
                root: common_dir(&files),
                files,
                fields: source.fields.clone().unwrap_or_default(),
                text_unit: source.text_unit.unwrap_or_default(),
                split_before: source.split_before.clone(),
                tags: source.tags.clone(),
                max_docs: source.max_docs,
                priority: source.priority,
                filters: String::new(),
            });
        }
        if self.job_rules {
            crate::filtering::profiles::check_job_classifiers(&spec.filter)
                .map_err(|e| self.invalid_key(&e.key, e.message))?;
        }
        let profile_sources: Vec<(String, Option<String>, String)> = spec
            .sources
            .iter()
            .map(|s| {
                (
                    s.name.get_ref().clone(),
                    s.filters.clone(),
                    s.domain.clone(),
                )
            })
            .collect();
        let (filter, source_profiles) =
            crate::filtering::profiles::resolve(&spec.filter, &profile_sources, &base_dir)
                .map_err(|e| self.invalid_key(&e.key, e.message))?;
        for source in &mut sources {
            if let Some(profile) = source_profiles.get(&source.name) {
                source.filters.clone_from(profile);
            }
        }

        if let Some((domain, share)) = spec
            .mix
            .shares
            .iter()
            .find(|(_, s)| !(s.is_finite() && **s >= 0.0))
        {
            return Err(self.invalid_key(
                &format!("mix.shares.{domain}"),
                format!("{share} is not a share: give a number from 0 to 1"),
            ));
        }
        let shares_total: f64 = spec.mix.shares.values().sum();
        if !spec.mix.shares.is_empty() && (shares_total - 1.0).abs() > 1e-6 {
            return Err(
                self.invalid_key("mix.shares", format!("shares sum to {shares_total}, not 1"))
            );
        }
        let domains: BTreeSet<&str> = sources.iter().map(|s| s.domain.as_str()).collect();
        if let Some(missing) = spec
            .mix
            .shares
            .keys()
            .find(|d| !domains.contains(d.as_str()))
        {
            return Err(self.invalid_key(
                "mix.shares",
                format!(
                    "domain `{missing}` has no source (domains: {})",
                    join(&domains)
                ),
            ));
        }
        if !spec.mix.shares.is_empty()
            && let Some(unshared) = domains.iter().find(|d| !spec.mix.shares.contains_key(**d))
        {
            return Err(self.invalid_key(
                "mix.shares",
                format!("domain `{unshared}` has sources but no share"),
            ));
        }
        if let Err((key, message)) = spec.dedup.validate() {
            return Err(self.invalid_key(&key, message));
        }
        let tokenizer = spec.tokenizer.unwrap_or(TokenizerSection {
            enabled: false,
            ..TokenizerSection::default()
        });
        self.check_tokenizer(&base_dir, &tokenizer)?;
        self.check_budget_and_mix(&spec.budget, &spec.mix)?;
        self.check_shard(&spec.shard, &tokenizer)?;

        Ok(ResolvedJob {
            job_file: self.path.to_owned(),
            run_dir: run_dir_of(&base_dir, &spec.job.output_dir, &name),
            name,
            output_dir: spec.job.output_dir,
            seed: spec.job.seed,
            strict: spec.job.strict,
            sources,
            ingest: spec.ingest,
            filter,
            dedup: spec.dedup.resolved(),
            tokenizer,
            budget: spec.budget,
            mix: spec.mix,
            shard: spec.shard,
        })
    }

    /// `[tokenizer]`: an existing file, or settings a training run accepts.
    fn check_tokenizer(
        &self,
        base_dir: &Path,
        tokenizer: &TokenizerSection,
    ) -> Result<(), JobError> {
        if let Some(path) = &tokenizer.path {
            let resolved = base_dir.join(path);
            if !resolved.is_file() {
                return Err(
                    self.invalid_key("tokenizer.path", format!("no file {}", resolved.display()))
                );
            }
            return Ok(());
        }
        if tokenizer.special_tokens.is_empty() {
            return Err(self.invalid_key(
                "tokenizer.special_tokens",
                "must name at least the end-of-text token placed between documents",
            ));
        }
        if tokenizer.sample_bytes == 0 {
            return Err(self.invalid_key("tokenizer.sample_bytes", "must be at least 1"));
        }
        // Checked here too, so the error names the line of `vocab_size`.
        let floor = 256 + tokenizer.special_tokens.len();
        if tokenizer.vocab_size <= floor {
            return Err(self.invalid_key(
                "tokenizer.vocab_size",
                format!(
                    "{} must exceed 256 byte symbols + {} special tokens",
                    tokenizer.vocab_size,
                    tokenizer.special_tokens.len()
                ),
            ));
        }
        crate::stages::tokenizer::train_config(tokenizer)
            .validate()
            .map_err(|e| self.invalid_key("tokenizer", e.to_string()))
    }

    /// `[budget]` and `[mix]`: positive numbers, a known total, a budget when the mix asks
    /// for one.
    fn check_budget_and_mix(
        &self,
        budget: &BudgetSection,
        mix: &MixSection,
    ) -> Result<(), JobError> {
        let positive = |v: Option<f64>| v.is_none_or(|v| v > 0.0 && v.is_finite());
        if !positive(budget.params) {
            return Err(self.invalid_key("budget.params", "must be a positive number"));
        }
        if !positive(budget.compute_flops) {
            return Err(self.invalid_key("budget.compute_flops", "must be a positive number"));
        }
        if !positive(Some(budget.tokens_per_param)) {
            return Err(self.invalid_key("budget.tokens_per_param", "must be a positive number"));
        }
        if !positive(Some(mix.max_epochs)) {
            return Err(self.invalid_key("mix.max_epochs", "must be a positive number"));
        }
        match mix.total.as_str() {
            "all" => {}
            "budget" if budget.params.is_some() || budget.compute_flops.is_some() => {}
            "budget" => {
                return Err(self.invalid_key(
                    "mix.total",
                    "\"budget\" needs [budget] params or compute_flops",
                ));
            }
            other => {
                return Err(self.invalid_key(
                    "mix.total",
                    format!("`{other}` must be \"all\" or \"budget\""),
                ));
            }
        }
        Ok(())
    }

    /// `[shard]`: sequences that hold text, shards and a budget that are not empty, an
    /// end-of-text token the trained tokenizer will have.
    fn check_shard(
        &self,
        shard: &super::spec::ShardSection,
        tokenizer: &TokenizerSection,
    ) -> Result<(), JobError> {
        if shard.seq_len < 2 {
            return Err(self.invalid_key(
                "shard.seq_len",
                format!(
                    "{} tokens cannot hold text and the end-of-text token: use at least 2 \
                     (2048 or 4096 are usual)",
                    shard.seq_len
                ),
            ));
        }
        if shard.shard_bytes == 0 {
            return Err(self.invalid_key("shard.shard_bytes", "must be at least 1"));
        }
        if shard.memory_mb < 16 {
            return Err(self.invalid_key("shard.memory_mb", "must be at least 16"));
        }
        if let Some(eos) = &shard.eos_token
            && tokenizer.enabled
            && tokenizer.path.is_none()
            && !tokenizer.special_tokens.contains(eos)
        {
            return Err(self.invalid_key(
                "shard.eos_token",
                format!(
                    "`{eos}` is not one of [tokenizer] special_tokens ({})",
                    tokenizer.special_tokens.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Expands the glob patterns of a source to the sorted list of files they match.
    fn expand_globs(
        &self,
        base_dir: &Path,
        patterns: &[String],
        span: Range<usize>,
    ) -> Result<Vec<PathBuf>, JobError> {
        if patterns.is_empty() {
            return Err(self.invalid(span, "source.paths", "no paths given"));
        }
        let mut files = BTreeSet::new();
        for pattern in patterns {
            if crate::storage::is_url(pattern) {
                let objects = crate::storage::expand_glob(pattern).map_err(|error| {
                    self.invalid(span.clone(), "source.paths", error.to_string())
                })?;
                files.extend(objects.into_iter().map(|info| info.url.to_path()));
                continue;
            }
            let pattern = crate::storage::local_path_of(pattern);
            let full = base_dir.join(pattern);
            let full = full.to_string_lossy();
            let matches = glob::glob(&full).map_err(|error| {
                self.invalid(
                    span.clone(),
                    "source.paths",
                    format!("bad pattern `{pattern}`: {error}"),
                )
            })?;
            let mut matched = 0;
            for entry in matches {
                let path = entry.map_err(|error| {
                    self.invalid(
                        span.clone(),
                        "source.paths",
                        format!("`{pattern}`: {error}"),
                    )
                })?;
                if path.is_file() {
                    files.insert(path);
                    matched += 1;
                }
            }
            if matched == 0 {
                return Err(self.invalid(
                    span.clone(),
                    "source.paths",
                    format!(
                        "`{pattern}` matches no file (looked in {})",
                        base_dir.display()
                    ),
                ));
            }
        }
        Ok(files.into_iter().collect())
    }
}

/// Where the run directory is: below a local `output_dir` (relative to the job file), or,
/// for an `output_dir` in a bucket, the URL of the run kept as a path (commands that run
/// the job work on a local copy of it; see `storage::run_mirror`).
fn run_dir_of(base_dir: &Path, output_dir: &str, name: &str) -> PathBuf {
    if crate::storage::is_url(output_dir) {
        return PathBuf::from(format!("{}/{name}", output_dir.trim_end_matches('/')));
    }
    normalize(
        &base_dir
            .join(crate::storage::local_path_of(output_dir))
            .join(name),
    )
}

/// Removes `.` and resolves `..` lexically, so paths read as users expect
/// (`runs/finance`, not `jobs/../runs/finance`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The deepest directory that holds every file: document ids are file paths relative to
/// it, so ids do not depend on where the corpus is mounted.
fn common_dir(files: &[PathBuf]) -> PathBuf {
    if let Some(common) = common_url_prefix(files) {
        return common;
    }
    let mut common: Option<PathBuf> = None;
    for file in files {
        let dir = file.parent().unwrap_or(Path::new("")).to_owned();
        common = Some(match common {
            None => dir,
            Some(current) => {
                let shared: PathBuf = current
                    .components()
                    .zip(dir.components())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a)
                    .collect();
                shared
            }
        });
    }
    common.unwrap_or_default()
}

/// Of objects in a store, the deepest common "directory" of their URLs, as a URL (path
/// components would fold `s3://` into `s3:/`).
fn common_url_prefix(files: &[PathBuf]) -> Option<PathBuf> {
    let urls: Vec<&str> = files.iter().map(|f| f.to_str()).collect::<Option<_>>()?;
    if urls.is_empty() || !urls.iter().all(|url| crate::storage::is_url(url)) {
        return None;
    }
    let mut common: &str = urls[0].rsplit_once('/').map_or(urls[0], |(dir, _)| dir);
    for url in &urls[1..] {
        while !(url.starts_with(common) && url[common.len()..].starts_with('/')) {
            common = common.rsplit_once('/').map_or("", |(dir, _)| dir);
            if common.is_empty() {
                return Some(PathBuf::new());
            }
        }
    }
    Some(PathBuf::from(common))
}

fn join(items: &BTreeSet<&str>) -> String {
    items.iter().copied().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_job(dir: &Path, body: &str) -> PathBuf {
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(dir.join("data/a.jsonl"), "{\"text\": \"x\"}\n").unwrap();
        std::fs::write(dir.join("data/b.jsonl"), "{\"text\": \"y\"}\n").unwrap();
        let path = dir.join("job.toml");
        std::fs::write(&path, body).unwrap();
        path
    }

    fn error_of(body: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        load_job(&write_job(dir.path(), body))
            .unwrap_err()
            .to_string()
    }

    const GOOD: &str = "[job]\nname = \"t\"\n\n[[source]]\nname = \"web\"\ndomain = \"general\"\nformat = \"jsonl\"\npaths = [\"data/*.jsonl\"]\n";

    #[test]
    fn resolves_globs_relative_to_the_job_file_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        let job = load_job(&write_job(dir.path(), GOOD)).unwrap();
        let names: Vec<_> = job.sources[0]
            .files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.jsonl", "b.jsonl"]);
        assert_eq!(job.sources[0].root, dir.path().join("data"));
        assert_eq!(job.run_dir, dir.path().join("runs/t"));
        assert_eq!(job.seed, 42);
    }

    #[test]
    fn run_directory_paths_are_normalized() {
        assert_eq!(
            normalize(Path::new("jobs/../runs/finance")),
            Path::new("runs/finance")
        );
        assert_eq!(
            normalize(Path::new("./../runs/./x")),
            Path::new("../runs/x")
        );
        assert_eq!(normalize(Path::new("/a/b/../../../c")), Path::new("/c"));
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let message =
            error_of(&GOOD.replace("format = \"jsonl\"", "format = \"jsonl\"\nmax_doc = 3"));
        assert!(message.contains("line 8"), "{message}");
        assert!(message.contains("unknown field `max_doc`"), "{message}");
    }

    #[test]
    fn wrong_type_names_line_and_key() {
        let message =
            error_of(&GOOD.replace("[job]\nname = \"t\"", "[job]\nname = \"t\"\nseed = \"x\""));
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("seed"), "{message}");
    }

    #[test]
    fn glob_matching_nothing_names_line_and_pattern() {
        let message = error_of(&GOOD.replace("data/*.jsonl", "nothing/*.jsonl"));
        assert!(message.contains("job.toml:8: `source.paths`"), "{message}");
        assert!(
            message.contains("`nothing/*.jsonl` matches no file"),
            "{message}"
        );
    }

    #[test]
    fn duplicate_source_names_are_rejected_at_the_second() {
        let body = format!(
            "{GOOD}\n[[source]]\nname = \"web\"\ndomain = \"finance\"\nformat = \"jsonl\"\npaths = [\"data/a.jsonl\"]\n"
        );
        let message = error_of(&body);
        assert!(
            message.contains("job.toml:11: `source.name`: duplicate source name `web`"),
            "{message}"
        );
    }

    #[test]
    fn unknown_format_and_bad_mix_are_errors() {
        assert!(error_of(&GOOD.replace("\"jsonl\"", "\"csv\"")).contains("unknown variant `csv`"));
        let bad_mix = format!("{GOOD}\n[mix.shares]\ngeneral = 0.5\n");
        assert!(error_of(&bad_mix).contains("shares sum to 0.5"));
        let unknown_domain = format!("{GOOD}\n[mix.shares]\ngeneral = 0.5\nfinance = 0.5\n");
        assert!(error_of(&unknown_domain).contains("domain `finance` has no source"));
    }

    #[test]
    fn html_extraction_keys_resolve_and_bad_values_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let job = load_job(&write_job(dir.path(), GOOD)).unwrap();
        assert_eq!(job.ingest.html, super::super::html::HtmlSection::default());
        let toml = job.to_toml().unwrap();
        assert!(
            toml.contains("[ingest.html]\nfavor = \"balanced\"\ntables = true\nlinks = \"drop_dense\"\nwork_budget = 268435456\nmax_depth = 512\n"),
            "{toml}"
        );
        let with = format!("{GOOD}\n[ingest.html]\nfavor = \"recall\"\nlinks = \"keep\"\n");
        let job = load_job(&write_job(dir.path(), &with)).unwrap();
        let options = job.ingest.html.options();
        assert_eq!(options.favor, curate_extract::Favor::Recall);
        assert_eq!(options.links, curate_extract::Links::Keep);
        let zero = format!("{GOOD}\n[ingest.html]\ntables = false\nwork_budget = 0\n");
        assert!(
            error_of(&zero).contains("job.toml:12: `ingest.html.work_budget`: must be at least 1"),
            "{}",
            error_of(&zero)
        );
        let typo = format!("{GOOD}\n[ingest.html]\nfavour = \"recall\"\n");
        assert!(error_of(&typo).contains("favour"), "{}", error_of(&typo));
        let bad = format!("{GOOD}\n[ingest.html]\nlinks = \"some\"\n");
        assert!(
            error_of(&bad).contains("unknown variant `some`"),
            "{}",
            error_of(&bad)
        );
    }

    #[test]
    fn tokenizer_table_switches_the_token_stages_on() {
        let dir = tempfile::tempdir().unwrap();
        let job = load_job(&write_job(dir.path(), GOOD)).unwrap();
        assert!(!job.tokenizer.enabled);
        let with = format!("{GOOD}\n[tokenizer]\nvocab_size = 1000\n");
        let job = load_job(&write_job(dir.path(), &with)).unwrap();
        assert!(job.tokenizer.enabled);
        assert_eq!(job.tokenizer.vocab_size, 1000);
        assert!(job.to_toml().unwrap().contains("enabled = true"));
    }

    #[test]
    fn bad_tokenizer_budget_and_mix_values_are_errors() {
        let tiny = format!("{GOOD}\n[tokenizer]\nvocab_size = 100\n");
        assert!(error_of(&tiny).contains("must exceed 256 byte symbols"));
        assert!(error_of(&tiny).contains("`tokenizer.vocab_size`"));
        let missing = format!("{GOOD}\n[tokenizer]\npath = \"none.json\"\n");
        assert!(error_of(&missing).contains("`tokenizer.path`: no file"));
        let total = format!("{GOOD}\n[mix]\ntotal = \"most\"\n");
        assert!(error_of(&total).contains("`most` must be \"all\" or \"budget\""));
        let no_budget = format!("{GOOD}\n[mix]\ntotal = \"budget\"\n");
        assert!(error_of(&no_budget).contains("needs [budget] params"));
        let params = format!("{GOOD}\n[budget]\nparams = -1.0\n");
        assert!(error_of(&params).contains("`budget.params`"));
        let unshared = GOOD.replace(
            "paths = [\"data/*.jsonl\"]\n",
            "paths = [\"data/*.jsonl\"]\n\n[[source]]\nname = \"fin\"\ndomain = \"finance\"\nformat = \"jsonl\"\npaths = [\"data/*.jsonl\"]\n\n[mix.shares]\ngeneral = 1.0\n",
        );
        assert!(error_of(&unshared).contains("domain `finance` has sources but no share"));
    }
}
