//! The filters a job can name, each built from its own settings table.
//!
//! A filter is one module that implements [`Filter`] and exports a [`FilterDef`]: its name
//! and a `build` function that parses its settings (with serde: unknown keys are errors,
//! defaults are filled in) and reads whatever files they name through [`Resources`]. The
//! pipeline builds every chain from this list when a job is loaded, so a bad setting or a
//! missing list file fails `curate check` rather than a run hours later. Adding a filter is
//! one file and one line in [`FILTERS`].

use std::cell::RefCell;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::filter::Filter;

/// Where a filter's files come from: the pipeline reads them relative to the job file.
/// This crate does no I/O of its own.
pub trait Resources {
    /// The contents of a text file named in a setting.
    fn read_text(&self, file: &str) -> Result<String, String>;
    /// The contents of a binary file named in a setting (a model).
    fn read_bytes(&self, file: &str) -> Result<Vec<u8>, String>;
}

/// Why a filter could not be built. `key` is the setting at fault within the filter's
/// table (empty for the table itself), so the pipeline can name the file and line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct BuildError {
    pub key: String,
    pub message: String,
}

impl BuildError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        BuildError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Checks that setting `key` is a share: a finite number from 0 to 1.
pub fn fraction(key: &str, value: f64) -> Result<(), BuildError> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(BuildError::new(
            key,
            format!("{value} is not between 0 and 1"),
        ))
    }
}

/// Checks that setting `key` is a finite number of at least 0.
pub fn non_negative(key: &str, value: f64) -> Result<(), BuildError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(BuildError::new(
            key,
            format!("{value} must be a number of at least 0"),
        ))
    }
}

/// One filter's settings as given in a job (`[filter.gopher_quality]`), in JSON form, and
/// what its build read.
pub struct Settings<'a> {
    value: &'a serde_json::Value,
    resources: &'a dyn Resources,
    resolved: RefCell<Option<serde_json::Value>>,
    files: RefCell<Vec<String>>,
}

impl<'a> Settings<'a> {
    pub fn new(value: &'a serde_json::Value, resources: &'a dyn Resources) -> Self {
        Settings {
            value,
            resources,
            resolved: RefCell::new(None),
            files: RefCell::new(Vec::new()),
        }
    }

    /// The settings as the filter's config type, defaults filled in. The parsed value is
    /// kept as the resolved settings (what `job.resolved.toml` records).
    pub fn parse<T: DeserializeOwned + Serialize>(&self) -> Result<T, BuildError> {
        let config: T = serde_json::from_value(self.value.clone())
            .map_err(|e| BuildError::new("", e.to_string()))?;
        let resolved =
            serde_json::to_value(&config).map_err(|e| BuildError::new("", e.to_string()))?;
        *self.resolved.borrow_mut() = Some(resolved);
        Ok(config)
    }

    /// The text of a file named by setting `key`; the file is recorded so that a change in
    /// it reruns the stage.
    pub fn read_text(&self, key: &str, file: &str) -> Result<String, BuildError> {
        self.files.borrow_mut().push(file.to_owned());
        self.resources
            .read_text(file)
            .map_err(|e| BuildError::new(key, format!("cannot read {file}: {e}")))
    }

    /// Every entry of every list file of setting `key`, in order (blank and `#` lines
    /// skipped, as the UT1 and LDNOOBW lists are written).
    pub fn read_entries(&self, key: &str, files: &[String]) -> Result<Vec<String>, BuildError> {
        let mut entries = Vec::new();
        for file in files {
            let contents = self.read_text(key, file)?;
            entries.extend(crate::url::list_entries(&contents).map(str::to_owned));
        }
        Ok(entries)
    }

    /// The bytes of a file named by setting `key` (recorded as [`Settings::read_text`]).
    pub fn read_bytes(&self, key: &str, file: &str) -> Result<Vec<u8>, BuildError> {
        self.files.borrow_mut().push(file.to_owned());
        self.resources
            .read_bytes(file)
            .map_err(|e| BuildError::new(key, format!("cannot read {file}: {e}")))
    }

    /// The settings with every default filled in (after [`Settings::parse`]).
    pub fn resolved(&self) -> serde_json::Value {
        self.resolved
            .borrow()
            .clone()
            .unwrap_or_else(|| self.value.clone())
    }

    /// The files the build read, in order.
    pub fn files(&self) -> Vec<String> {
        self.files.borrow().clone()
    }
}

/// A filter as the registry knows it.
pub struct FilterDef {
    /// The table name in a job (`[filter.NAME]`) and the name in statistics.
    pub name: &'static str,
    /// One line for `curate check` and the README.
    pub about: &'static str,
    /// Parses the settings and builds the filter.
    pub build: fn(&Settings<'_>) -> Result<Box<dyn Filter>, BuildError>,
}

/// Every filter, in the default order of a chain: cheap checks first, so expensive ones
/// see fewer documents; decontamination and PII redaction last, on what is kept (as
/// FineWeb redacted PII after its filters).
pub const FILTERS: &[FilterDef] = &[
    crate::url::DEF,
    crate::integrity::DEF,
    crate::language::DEF,
    crate::gopher_repetition::DEF,
    crate::gopher_quality::DEF,
    crate::c4::DEF,
    crate::c4::BADWORDS_DEF,
    crate::fineweb::DEF,
    crate::toxicity::DEF,
    crate::classifier::step::DEF,
    crate::decontaminate_filter::DEF,
    crate::pii::filter::DEF,
];

/// The filter named `name`, if there is one.
pub fn find(name: &str) -> Option<&'static FilterDef> {
    FILTERS.iter().find(|f| f.name == name)
}

/// The names of every filter, in default order.
pub fn names() -> Vec<&'static str> {
    FILTERS.iter().map(|f| f.name).collect()
}

/// Resources for a filter whose settings name no files (unit tests, `curate tag` without
/// a job): every read fails with a clear message.
pub struct NoFiles;

impl Resources for NoFiles {
    fn read_text(&self, file: &str) -> Result<String, String> {
        Err(format!("no files can be read here ({file})"))
    }
    fn read_bytes(&self, file: &str) -> Result<Vec<u8>, String> {
        Err(format!("no files can be read here ({file})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_snake_case() {
        let names = names();
        for (i, name) in names.iter().enumerate() {
            assert!(!names[..i].contains(name), "{name} twice");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            );
        }
    }

    #[test]
    fn every_filter_without_files_builds_from_an_empty_table_or_says_why() {
        let empty = serde_json::json!({});
        for def in FILTERS {
            let settings = Settings::new(&empty, &NoFiles);
            match (def.build)(&settings) {
                Ok(filter) => assert_eq!(filter.name(), def.name),
                Err(e) => assert!(!e.message.is_empty(), "{}", def.name),
            }
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        let value = serde_json::json!({"min_score": 0.5, "min_scroe": 1});
        let settings = Settings::new(&value, &NoFiles);
        let error = (find("language")
            .map(|d| d.build)
            .unwrap_or(|_| unreachable!()))(&settings)
        .err()
        .map(|e| e.message);
        assert!(error.is_some_and(|m| m.contains("min_scroe")));
    }
}
