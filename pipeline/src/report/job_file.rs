//! What the report needs from `job.resolved.toml`: the job's name, each source's domain
//! (so a source that lost every document still has one) and the order filters ran in.

use std::path::Path;

use serde::Deserialize;

use crate::filtering::ResolvedFilters;
use crate::runner::RESOLVED_JOB_FILE;

use super::funnel::SourceDomains;

/// The parts of the resolved job the report reads.
#[derive(Debug, Clone, Default)]
pub struct JobView {
    pub name: Option<String>,
    pub domains: SourceDomains,
    /// The filters in the order they ran; empty when unknown.
    pub filter_order: Vec<String>,
}

#[derive(Deserialize)]
struct ResolvedFile {
    job: Option<JobTable>,
    #[serde(default)]
    source: Vec<SourceTable>,
    filter: Option<ResolvedFilters>,
}

#[derive(Deserialize)]
struct JobTable {
    name: Option<String>,
}

#[derive(Deserialize)]
struct SourceTable {
    name: String,
    domain: String,
}

impl JobView {
    /// Reads the run's resolved job; a missing or unreadable file gives an empty view (the
    /// records still name sources and domains).
    pub fn read(run_dir: &Path) -> JobView {
        let Ok(text) = std::fs::read_to_string(run_dir.join(RESOLVED_JOB_FILE)) else {
            return JobView::default();
        };
        let Ok(file) = toml::from_str::<ResolvedFile>(&text) else {
            return JobView::default();
        };
        JobView {
            name: file.job.and_then(|j| j.name),
            domains: file
                .source
                .into_iter()
                .map(|s| (s.name, s.domain))
                .collect(),
            filter_order: file.filter.map(|f| f.all_filters()).unwrap_or_default(),
        }
    }
}
