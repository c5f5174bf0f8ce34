//! Which fields of a structured record (JSONL object, Parquet row) hold the text, id and URL.

use serde::{Deserialize, Serialize};

/// Field names for structured inputs. Dotted paths reach into nested objects
/// (`metadata.url` in Dolma/CCNet files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldMap {
    /// The field holding the document text.
    pub text: String,
    /// The field holding the document id; ids are generated from source, file and
    /// position when the field is absent from a record.
    pub id: String,
    /// The field holding the URL, if the records have one.
    pub url: String,
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            text: "text".to_owned(),
            id: "id".to_owned(),
            url: "url".to_owned(),
        }
    }
}

/// Splits a dotted field path into its parts.
pub fn path_parts(path: &str) -> impl Iterator<Item = &str> {
    path.split('.')
}

/// Looks a dotted path up in a JSON value.
pub fn lookup<'a>(value: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path_parts(path).try_fold(value, |current, key| current.get(key))
}

/// Renders an id-like JSON value as a string: strings as they are, numbers in their JSON
/// form; anything else is not an id.
pub fn id_string(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
