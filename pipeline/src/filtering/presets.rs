//! Built-in filter chains a profile can start from (`preset = "fineweb"`) or a source can
//! name directly (`filters = "curated"`).

/// A preset: its name, what it is for, and its filter tables as TOML fragments (a preset
/// that extends another lists that one's fragment first).
pub struct Preset {
    pub name: &'static str,
    pub about: &'static str,
    pub tables: &'static [&'static str],
}

impl Preset {
    /// The preset's filter tables, as one TOML document.
    pub fn toml(&self) -> String {
        self.tables.concat()
    }
}

/// datatrove's FineWeb chain.
const FINEWEB: &str = r#"
[language]
languages = ["en"]
min_score = 0.65

[gopher_repetition]

[gopher_quality]

[c4]
filter_no_terminal_punct = false

[fineweb]
"#;

/// The built-in quality classifier at the threshold that keeps about 2% of raw web tokens.
const QUALITY_CLASSIFIER: &str = r#"
[classifier.quality]
model = "builtin:quality-en-v1"
use = "quality"
threshold = 0.23
"#;

/// Every preset.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "fineweb",
        about: "datatrove's FineWeb chain for raw web text: English at 0.65, Gopher repetition \
                and quality, C4 lines (terminal punctuation not required), FineWeb lines",
        tables: &[FINEWEB],
    },
    Preset {
        name: "strict",
        about: "the FineWeb chain, then the built-in English quality classifier \
                (builtin:quality-en-v1) at 0.23: keeps about 2% of the tokens of raw web \
                pages (1-3% on the shared web samples), the top of the crawl by likeness to \
                Wikipedia and books",
        tables: &[FINEWEB, QUALITY_CLASSIFIER],
    },
    Preset {
        name: "curated",
        about: "curated domain text (filings, transcripts, news): only what is broken is \
                removed (encoded payloads, binary, mojibake); tables and numbers are kept",
        tables: &["[integrity]\n"],
    },
    Preset {
        name: "none",
        about: "no filter at all: every document goes on to dedup",
        tables: &[],
    },
];

/// The preset named `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The names of every preset.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_and_names_registered_filters() {
        for preset in PRESETS {
            let tables: toml::Table = toml::from_str(&preset.toml()).expect(preset.name);
            for name in tables.keys() {
                assert!(
                    curate_filters::registry::find(name).is_some(),
                    "{}: {name}",
                    preset.name
                );
            }
        }
    }
}
