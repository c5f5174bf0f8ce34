//! `[filter.decontaminate]`: benchmark decontamination as a filter of the chain. The
//! reference files (evaluation sets a lab will report) are read when the job loads and
//! indexed by their n-grams; a document sharing one drops (or loses the matched spans),
//! with the reference and the n-gram as its evidence.

use serde::{Deserialize, Serialize};

use crate::decontaminate::{DecontaminationConfig, DecontaminationMode, Decontaminator};
use crate::filter::{Document, Filter};
use crate::registry::{BuildError, FilterDef, Settings};
use crate::verdict::{AnnotationValue, Signal, Verdict};

/// Reason: the document shares an n-gram with a reference.
pub const REASON_CONTAMINATED: &str = "decontaminate_benchmark_overlap";

/// `[filter.decontaminate]` as a job writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecontaminateSettings {
    /// Evaluation text, relative to the job file: `.jsonl`/`.json` (one object a line,
    /// the text in `text_field`, or a JSON string a line), anything else one example a
    /// line; compressed files are read as inputs are.
    pub references: Vec<String>,
    /// The field holding the text in JSONL references (default `text`).
    #[serde(default = "default_text_field")]
    pub text_field: String,
    /// Words per n-gram (default 13, as GPT-3).
    #[serde(default = "default_n")]
    pub n: usize,
    /// `drop` (default) the document, or `remove_spans` (cut the matched spans out).
    #[serde(default)]
    pub mode: DecontaminationMode,
    /// Matched n-grams from which a document counts as contaminated (default 1).
    #[serde(default = "default_min_matches")]
    pub min_matches: usize,
    /// References shorter than `n` but at least this many words are matched whole.
    #[serde(default = "default_short_min_words")]
    pub short_min_words: usize,
}

fn default_text_field() -> String {
    "text".to_owned()
}
fn default_n() -> usize {
    DecontaminationConfig::default().n
}
fn default_min_matches() -> usize {
    DecontaminationConfig::default().min_matches
}
fn default_short_min_words() -> usize {
    DecontaminationConfig::default().short_min_words
}

/// The examples of one reference file.
fn examples(
    settings: &Settings<'_>,
    file: &str,
    text_field: &str,
) -> Result<Vec<String>, BuildError> {
    let text = settings.read_text("references", file)?;
    let bare = file
        .trim_end_matches(".gz")
        .trim_end_matches(".zst")
        .trim_end_matches(".lz4");
    let json = bare.ends_with(".jsonl") || bare.ends_with(".json");
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if !json {
            out.push(line.to_owned());
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            BuildError::new("references", format!("{file} line {}: {e}", number + 1))
        })?;
        match value
            .get(text_field)
            .or(Some(&value))
            .and_then(|v| v.as_str())
        {
            Some(example) => out.push(example.to_owned()),
            None => {
                return Err(BuildError::new(
                    "text_field",
                    format!("{file} line {}: no string `{text_field}`", number + 1),
                ));
            }
        }
    }
    Ok(out)
}

/// `[filter.decontaminate]`: drops documents that share long n-grams with evaluation sets.
pub const DEF: FilterDef = FilterDef {
    name: "decontaminate",
    about: "benchmark decontamination: drops documents sharing a 13-gram with reference eval sets (or cuts the spans)",
    build: |settings| {
        let s: DecontaminateSettings = settings.parse()?;
        if s.references.is_empty() {
            return Err(BuildError::new("references", "names no reference file"));
        }
        let config = DecontaminationConfig {
            n: s.n,
            mode: s.mode,
            min_matches: s.min_matches,
            short_min_words: s.short_min_words,
        };
        let mut references = Vec::new();
        for file in &s.references {
            for example in examples(settings, file, &s.text_field)? {
                references.push((file.clone(), example));
            }
        }
        let decontaminator = Decontaminator::new(config, references).map_err(|e| {
            let key = match &e {
                crate::decontaminate::DecontaminationError::InvalidSetting { name, .. } => *name,
                _ => "references",
            };
            BuildError::new(key, e.to_string())
        })?;
        Ok(Box::new(decontaminator))
    },
};

impl Filter for Decontaminator {
    fn name(&self) -> &'static str {
        "decontaminate"
    }

    fn check(&self, doc: &Document<'_>) -> Verdict {
        let outcome = Decontaminator::check(self, doc.text());
        let mut signals = vec![Signal {
            name: "decontaminate.matches",
            value: outcome.matches.len() as f64,
        }];
        let mut verdict = if outcome.drop {
            Verdict::drop(REASON_CONTAMINATED, Vec::new())
        } else {
            if outcome.text.is_some() {
                signals.push(Signal {
                    name: "decontaminate.edits.spans",
                    value: outcome.matches.len() as f64,
                });
            }
            Verdict::keep(Vec::new()).with_edited_text(outcome.text)
        };
        verdict.signals = signals;
        if outcome.contaminated
            && let Some(first) = outcome.matches.first()
        {
            verdict = verdict
                .annotate(
                    "decontaminate.reference",
                    AnnotationValue::Text(first.reference.to_string()),
                )
                .annotate(
                    "decontaminate.ngram",
                    AnnotationValue::Text(first.ngram.clone()),
                );
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files;
    impl crate::registry::Resources for Files {
        fn read_text(&self, file: &str) -> Result<String, String> {
            match file {
                "evals/fpb.txt" => Ok("Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007 representing 7.7 % of net sales .\n".to_owned()),
                "evals/qa.jsonl" => Ok("{\"text\": \"What was the change in the company's total revenue between fiscal 2019 and fiscal 2020 in millions\"}\n".to_owned()),
                _ => Err("no such file".to_owned()),
            }
        }
        fn read_bytes(&self, file: &str) -> Result<Vec<u8>, String> {
            self.read_text(file).map(String::into_bytes)
        }
    }

    fn build(mode: &str) -> Box<dyn Filter> {
        let value =
            serde_json::json!({"references": ["evals/fpb.txt", "evals/qa.jsonl"], "mode": mode});
        (DEF.build)(&Settings::new(&value, &Files)).expect("builds")
    }

    #[test]
    fn a_document_quoting_a_reference_is_dropped_with_its_evidence() {
        let doc = "In the quarter, operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007, analysts said.";
        let verdict = build("drop").check(&Document::new(doc, None));
        assert_eq!(verdict.drop_reason, Some(REASON_CONTAMINATED));
        assert_eq!(
            verdict.annotation("decontaminate.reference"),
            Some(&AnnotationValue::Text("evals/fpb.txt".to_owned()))
        );
        let clean =
            "Operating profit rose sharply this year, the company said in a statement on Tuesday.";
        assert!(build("drop").check(&Document::new(clean, None)).is_keep());
    }

    #[test]
    fn remove_spans_keeps_the_rest_of_the_document() {
        let doc = "Intro line. What was the change in the company's total revenue between fiscal 2019 and fiscal 2020 in millions? Outro line.";
        let verdict = build("remove_spans").check(&Document::new(doc, None));
        assert!(verdict.is_keep());
        let text = verdict.edited_text.expect("edited");
        assert!(
            text.starts_with("Intro line.") && text.ends_with("Outro line."),
            "{text}"
        );
        assert!(!text.contains("total revenue"), "{text}");
    }

    #[test]
    fn a_missing_reference_file_is_an_error_naming_it() {
        let value = serde_json::json!({"references": ["evals/missing.txt"]});
        let error = (DEF.build)(&Settings::new(&value, &Files))
            .err()
            .expect("fails");
        assert_eq!(error.key, "references");
        assert!(
            error.message.contains("evals/missing.txt"),
            "{}",
            error.message
        );
    }
}
