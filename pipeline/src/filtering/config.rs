//! `[filter]`: named filter profiles, which source runs which, and the settings of each
//! filter.
//!
//! A job's top-level filter tables (`[filter.gopher_quality]`, ...) form the profile
//! `default`, which sources that name none run. Named profiles (`[filter.profile.web]`,
//! with tables `[filter.profile.web.gopher_quality]`) hold chains of their own; a profile
//! may start from a preset (`preset = "fineweb"`) and add or replace tables. A source says
//! `filters = "web"` (or a preset's name directly); `profile_by_domain` gives a profile
//! to every source of a domain that names none. A filter runs when its table is present
//! (an empty table turns it on with its defaults); `order` changes the default order.
//!
//! Which filters exist, and what their tables hold, is the registry's
//! ([`curate_filters::registry`]): this module only knows profiles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[filter]` as a job writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterSection {
    /// Write dropped documents with their reason to `rejected/` (default true).
    pub write_rejected: Option<bool>,
    /// The profile of sources that name none and whose domain has none (default
    /// `"default"`: the filter tables of `[filter]` itself).
    pub default_profile: Option<String>,
    /// A profile per domain, for sources that name none.
    pub profile_by_domain: BTreeMap<String, String>,
    /// Named profiles.
    pub profile: BTreeMap<String, ProfileSection>,
    /// The `default` profile: `order`, `preset` and the filter tables at the top level.
    #[serde(flatten)]
    pub top: ProfileSection,
}

/// One profile: an optional preset, an optional order, and filter tables by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileSection {
    /// A built-in chain to start from (`fineweb`, `curated`, `none`).
    pub preset: Option<String>,
    /// The order filters run in; default: every configured filter in registry order
    /// (cheap ones first).
    pub order: Option<Vec<String>>,
    /// `[filter.NAME]` tables, by filter name.
    #[serde(flatten)]
    pub filters: BTreeMap<String, toml::Value>,
}

impl FilterSection {
    pub fn write_rejected(&self) -> bool {
        self.write_rejected.unwrap_or(true)
    }

    /// The profile a source runs: its own `filters`, else its domain's, else the
    /// default profile.
    pub fn profile_for(&self, source_filters: Option<&str>, domain: &str) -> String {
        source_filters
            .map(str::to_owned)
            .or_else(|| self.profile_by_domain.get(domain).cloned())
            .or_else(|| self.default_profile.clone())
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
    }
}

/// The name of the profile made of `[filter]`'s own tables.
pub const DEFAULT_PROFILE: &str = "default";

/// The resolved profiles of a job: each profile that a source runs, with every filter's
/// settings filled in, in the order its filters run. This is what `job.resolved.toml`
/// records and what the filter stage's fingerprint covers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResolvedFilters {
    pub write_rejected: bool,
    /// Profiles by name (only those some source runs).
    pub profile: BTreeMap<String, ResolvedProfile>,
}

/// One resolved profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResolvedProfile {
    /// The preset it started from, if any (for `curate check` and the report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// The filters in the order they run.
    pub order: Vec<String>,
    /// Each filter's settings, every default filled in.
    #[serde(flatten)]
    pub filters: BTreeMap<String, toml::Value>,
}

impl ResolvedFilters {
    /// Whether any profile runs a filter (the stage runs only then).
    pub fn is_enabled(&self) -> bool {
        self.profile.values().any(|p| !p.order.is_empty())
    }

    /// Every filter that runs in some profile, in first-seen order (for reports).
    pub fn all_filters(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for profile in self.profile.values() {
            for name in &profile.order {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        names
    }
}
