//! Models built into curate, named `builtin:NAME` wherever a model file is named, so a
//! preset can use a classifier with nothing to download. Each is trained by a script in
//! `filters/models/` from public corpora, byte for byte reproducible.

/// The prefix that names a built-in model instead of a file.
pub const BUILTIN_PREFIX: &str = "builtin:";

pub struct BuiltinModel {
    pub name: &'static str,
    pub about: &'static str,
    pub bytes: &'static [u8],
}

/// Every built-in model. A changed model gets a new name (`-v2`): the name is part of the
/// filter's configuration fingerprint, so runs made with the old one are redone.
pub const MODELS: &[BuiltinModel] = &[BuiltinModel {
    name: "quality-en-v1",
    about: "English quality, GPT-3 style: Wikipedia articles and Project Gutenberg books \
            against Common Crawl documents (DCLM's human-labelled sample); hashed word \
            unigrams and bigrams, 65,536 buckets (filters/models/README.md)",
    bytes: include_bytes!("../../models/quality-en-v1.clf"),
}];

/// `Some` when `model` names a built-in model: its bytes, or why there is none.
pub fn resolve(model: &str) -> Option<Result<&'static BuiltinModel, String>> {
    let name = model.strip_prefix(BUILTIN_PREFIX)?;
    Some(MODELS.iter().find(|m| m.name == name).ok_or_else(|| {
        format!(
            "no built-in model `{name}` (known: {})",
            MODELS
                .iter()
                .map(|m| format!("{BUILTIN_PREFIX}{}", m.name))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::Classifier;

    #[test]
    fn every_builtin_model_loads_and_unknown_names_are_listed() {
        for model in MODELS {
            Classifier::read(model.bytes, None).expect(model.name);
        }
        let error = resolve("builtin:nope").unwrap().err().unwrap();
        assert!(error.contains("builtin:quality-en-v1"), "{error}");
        assert!(resolve("models/quality.clf").is_none());
    }
}
