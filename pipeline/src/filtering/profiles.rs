//! Resolving a job's filter profiles: presets expanded, every filter built once (so a bad
//! setting, a missing list or model file fails when the job is loaded), defaults filled in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use curate_filters::registry::{self, BuildError, Resources, Settings};

use super::config::{
    DEFAULT_PROFILE, FilterSection, ProfileSection, ResolvedFilters, ResolvedProfile,
};
use super::presets;

/// A setting that is wrong: the dotted key in the job file (`filter.profile.web.c4.x`) and
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileError {
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for ProfileError {}

/// Files named by filter settings, read relative to the job file's directory.
pub struct JobFiles {
    pub base_dir: PathBuf,
}

impl Resources for JobFiles {
    /// Lists and reference files may be compressed (gzip, zstd, lz4): they are read as
    /// the ingest readers read inputs.
    fn read_text(&self, file: &str) -> Result<String, String> {
        use std::io::Read;
        let path = self.base_dir.join(file);
        let describe = |e: std::io::Error| format!("{}: {e}", path.display());
        let (mut stream, _) =
            crate::ingest::decompress::open_decompressed(&path).map_err(describe)?;
        let mut text = String::new();
        stream.read_to_string(&mut text).map_err(describe)?;
        Ok(text)
    }

    fn read_bytes(&self, file: &str) -> Result<Vec<u8>, String> {
        let path = self.base_dir.join(file);
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The key prefix of a profile's tables in the job file.
pub fn profile_key(profile: &str) -> String {
    if profile == DEFAULT_PROFILE {
        "filter".to_owned()
    } else {
        format!("filter.profile.{profile}")
    }
}

/// The profile section named `name`: `[filter]`'s own tables for `default`, a
/// `[filter.profile.NAME]`, or a preset by that name.
fn section_of(section: &FilterSection, name: &str) -> Option<ProfileSection> {
    if name == DEFAULT_PROFILE {
        return Some(section.top.clone());
    }
    if let Some(profile) = section.profile.get(name) {
        return Some(profile.clone());
    }
    presets::find(name).map(|_| ProfileSection {
        preset: Some(name.to_owned()),
        ..ProfileSection::default()
    })
}

/// Resolves the profiles that `sources` (`(name, filters, domain)`) run, building every
/// filter to validate it. Returns the resolved filters and each source's profile.
pub fn resolve(
    section: &FilterSection,
    sources: &[(String, Option<String>, String)],
    base_dir: &Path,
) -> Result<(ResolvedFilters, BTreeMap<String, String>), ProfileError> {
    let known = || {
        let mut names: Vec<String> = section.profile.keys().cloned().collect();
        names.push(DEFAULT_PROFILE.to_owned());
        names.extend(presets::names().into_iter().map(str::to_owned));
        names.join(", ")
    };
    for (domain, profile) in &section.profile_by_domain {
        if section_of(section, profile).is_none() {
            return Err(ProfileError {
                key: format!("filter.profile_by_domain.{domain}"),
                message: format!("no profile `{profile}` (known: {})", known()),
            });
        }
    }
    if let Some(profile) = &section.default_profile
        && section_of(section, profile).is_none()
    {
        return Err(ProfileError {
            key: "filter.default_profile".into(),
            message: format!("no profile `{profile}` (known: {})", known()),
        });
    }
    let files = JobFiles {
        base_dir: base_dir.to_owned(),
    };
    let mut by_source = BTreeMap::new();
    let mut profiles = BTreeMap::new();
    for (index, (source, filters, domain)) in sources.iter().enumerate() {
        let name = section.profile_for(filters.as_deref(), domain);
        let Some(profile) = section_of(section, &name) else {
            return Err(ProfileError {
                key: format!("source[{index}].filters"),
                message: format!("no profile `{name}` (known: {})", known()),
            });
        };
        if !profiles.contains_key(&name) {
            let resolved = resolve_profile(&name, &profile, &files)?;
            profiles.insert(name.clone(), resolved);
        }
        by_source.insert(source.clone(), name);
    }
    // Profiles no source runs are still checked: a typo in one is a typo.
    for (name, profile) in &section.profile {
        if !profiles.contains_key(name) {
            resolve_profile(name, profile, &files)?;
        }
    }
    Ok((
        ResolvedFilters {
            write_rejected: section.write_rejected(),
            profile: profiles,
        },
        by_source,
    ))
}

/// One profile: its preset's tables, its own on top (a table replaces the preset's of the
/// same name), each filter built and its settings resolved.
pub fn resolve_profile(
    name: &str,
    profile: &ProfileSection,
    files: &dyn Resources,
) -> Result<ResolvedProfile, ProfileError> {
    let key = profile_key(name);
    let mut tables: BTreeMap<String, toml::Value> = BTreeMap::new();
    if let Some(preset_name) = &profile.preset {
        let Some(preset) = presets::find(preset_name) else {
            return Err(ProfileError {
                key: format!("{key}.preset"),
                message: format!(
                    "no preset `{preset_name}` (known: {})",
                    presets::names().join(", ")
                ),
            });
        };
        let preset_tables: toml::Table =
            toml::from_str(&preset.toml()).map_err(|e| ProfileError {
                key: format!("{key}.preset"),
                message: format!("preset `{preset_name}` does not parse: {e}"),
            })?;
        tables.extend(preset_tables);
    }
    for (filter, table) in &profile.filters {
        if registry::find(filter).is_none() {
            return Err(ProfileError {
                key: format!("{key}.{filter}"),
                message: format!(
                    "unknown filter `{filter}` (known: {})",
                    registry::names().join(", ")
                ),
            });
        }
        if !table.is_table() {
            return Err(ProfileError {
                key: format!("{key}.{filter}"),
                message: format!("must be a table ([{key}.{filter}])"),
            });
        }
        tables.insert(filter.clone(), table.clone());
    }
    let order: Vec<String> = match &profile.order {
        Some(order) => {
            for (i, filter) in order.iter().enumerate() {
                if !tables.contains_key(filter) {
                    return Err(ProfileError {
                        key: format!("{key}.order"),
                        message: format!(
                            "`{filter}` is listed in `order` but has no [{key}.{filter}] table"
                        ),
                    });
                }
                if order[..i].contains(filter) {
                    return Err(ProfileError {
                        key: format!("{key}.order"),
                        message: format!("`{filter}` is listed twice"),
                    });
                }
            }
            order.clone()
        }
        None => registry::FILTERS
            .iter()
            .map(|f| f.name.to_owned())
            .filter(|f| tables.contains_key(f))
            .collect(),
    };
    let mut resolved = BTreeMap::new();
    let mut built: Vec<(String, Vec<&'static str>)> = Vec::new();
    for filter in &order {
        let table = &tables[filter];
        let one = build_filter(filter, table, files).map_err(|e| ProfileError {
            key: join_key(&format!("{key}.{filter}"), &e.key),
            message: e.message,
        })?;
        built.push((filter.clone(), one.filter.decides_for()));
        resolved.insert(filter.clone(), one.resolved);
    }
    // A filter that decides for another needs it to run before it.
    for (i, (filter, decides_for)) in built.iter().enumerate() {
        for other in decides_for {
            if !built[..i].iter().any(|(name, _)| name == other) {
                return Err(ProfileError {
                    key: format!("{key}.{filter}"),
                    message: format!(
                        "its settings need [{key}.{other}], running before `{filter}`"
                    ),
                });
            }
        }
    }
    Ok(ResolvedProfile {
        preset: profile.preset.clone(),
        order,
        filters: resolved,
    })
}

fn join_key(prefix: &str, key: &str) -> String {
    if key.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A filter built from its table, with what the build learnt.
pub struct BuiltFilter {
    pub name: &'static str,
    pub filter: Box<dyn curate_filters::filter::Filter>,
    /// The settings with every default filled in, as `job.resolved.toml` writes them.
    pub resolved: toml::Value,
    /// The files the build read (lists, models, references), relative to the job.
    pub files: Vec<String>,
}

/// Builds the registered filter `name` from its table: the one way a filter is built, when
/// the job loads (to validate and resolve it) and when the filter stage runs.
pub fn build_filter(
    name: &str,
    table: &toml::Value,
    files: &dyn Resources,
) -> Result<BuiltFilter, BuildError> {
    let def = registry::find(name)
        .ok_or_else(|| BuildError::new("", format!("unknown filter `{name}`")))?;
    let json = serde_json::to_value(table).map_err(|e| BuildError::new("", e.to_string()))?;
    let settings = Settings::new(&json, files);
    let filter = (def.build)(&settings)?;
    let resolved = json_to_toml(settings.resolved())
        .ok_or_else(|| BuildError::new("", "its settings cannot be written as TOML"))?;
    Ok(BuiltFilter {
        name: def.name,
        filter,
        resolved,
        files: settings.files(),
    })
}

/// JSON settings as TOML, nulls (unset options) left out.
pub fn json_to_toml(value: serde_json::Value) -> Option<toml::Value> {
    use serde_json::Value as J;
    Some(match value {
        J::Null => return None,
        J::Bool(b) => toml::Value::Boolean(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        J::String(s) => toml::Value::String(s),
        J::Array(items) => toml::Value::Array(items.into_iter().filter_map(json_to_toml).collect()),
        J::Object(map) => toml::Value::Table(
            map.into_iter()
                .filter_map(|(k, v)| json_to_toml(v).map(|v| (k, v)))
                .collect(),
        ),
    })
}

/// What a job needs of its classifiers beyond what `curate tag` does: a threshold each, and
/// no `keep_fraction` (it needs every score of the stage before any partition is decided).
/// Checked on the settings as written, before any model is read.
pub fn check_job_classifiers(section: &FilterSection) -> Result<(), ProfileError> {
    let profiles = std::iter::once((DEFAULT_PROFILE, &section.top))
        .chain(section.profile.iter().map(|(name, p)| (name.as_str(), p)));
    for (profile, resolved) in profiles {
        let Some(table) = resolved.filters.get("classifier") else {
            continue;
        };
        let key = profile_key(profile);
        let sections: BTreeMap<String, curate_filters::classifier::step::ClassifierSection> = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| ProfileError {
                key: format!("{key}.classifier"),
                message: e.to_string(),
            })?;
        for (name, c) in &sections {
            if let Some(fraction) = c.keep_fraction {
                return Err(ProfileError {
                    key: format!("{key}.classifier.{name}.keep_fraction"),
                    message: format!(
                        "keep_fraction = {fraction} is not supported in a job: run `curate tag \
                         --job ...` (or see `curate train-classifier`'s output) for the \
                         threshold that keeps that fraction, and set `threshold`"
                    ),
                });
            }
            if c.threshold.is_none() {
                return Err(ProfileError {
                    key: format!("{key}.classifier.{name}"),
                    message: "`threshold` is required".into(),
                });
            }
        }
    }
    Ok(())
}
