//! `[ingest.html]`: how the main text of HTML pages in web archives is extracted.
//!
//! Each key maps onto one setting of `curate_extract::Options`; the defaults are the
//! extractor's own. The whole table is part of the ingest stage's configuration
//! fingerprint, so changing any key reruns ingest.

use curate_extract::{Favor, Limits, Links, Options};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Which way extraction leans when unsure whether a block is content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HtmlFavor {
    /// Remove more: tags, bylines, teasers; link-dense blocks judged more strictly.
    Precision,
    #[default]
    Balanced,
    /// Keep more: related-link lists, more sibling blocks of the content.
    Recall,
}

/// What happens to short blocks whose text is mostly link text (menus, tag clouds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HtmlLinks {
    /// Removed.
    #[default]
    DropDense,
    /// Kept as text.
    Keep,
}

/// `[ingest.html]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HtmlSection {
    /// `precision`, `balanced` (default) or `recall`.
    pub favor: HtmlFavor,
    /// Keep tables, one row per line with cells joined by ` | ` (default true).
    pub tables: bool,
    /// `drop_dense` (default) or `keep`.
    pub links: HtmlLinks,
    /// Work one page may take, in units of a byte parsed or a node rendered; a page that
    /// runs past it is skipped as `too_large` (a bound against hostile pages, reached by no
    /// real one). A count, not a clock: which pages are kept never depends on the
    /// machine's load or the number of threads.
    pub work_budget: Spanned<u64>,
    /// Elements nested deeper than this are flattened into their deepest kept ancestor.
    pub max_depth: Spanned<usize>,
}

impl Default for HtmlSection {
    fn default() -> Self {
        let limits = Limits::default();
        let options = Options::default();
        HtmlSection {
            favor: HtmlFavor::default(),
            tables: options.tables,
            links: HtmlLinks::default(),
            work_budget: Spanned::new(0..0, limits.work_budget),
            max_depth: Spanned::new(0..0, limits.max_depth),
        }
    }
}

/// Depths below this would flatten the structure of ordinary pages (a body, a layout
/// grid, an article and its paragraphs already take a dozen levels).
pub const MIN_DEPTH: usize = 16;

impl HtmlSection {
    /// Checks every value's range; the error gives the span of the value, the key and why.
    pub fn validate(&self) -> Result<(), (std::ops::Range<usize>, String, String)> {
        if *self.work_budget.get_ref() == 0 {
            return Err((
                self.work_budget.span(),
                "ingest.html.work_budget".to_owned(),
                "must be at least 1".to_owned(),
            ));
        }
        if *self.max_depth.get_ref() < MIN_DEPTH {
            return Err((
                self.max_depth.span(),
                "ingest.html.max_depth".to_owned(),
                format!("must be at least {MIN_DEPTH}"),
            ));
        }
        Ok(())
    }

    /// The extractor settings this table asks for. The input-size limit is the
    /// extractor's default: ingest bounds pages by `[ingest] max_html_bytes` before
    /// decoding.
    pub fn options(&self) -> Options {
        Options {
            favor: match self.favor {
                HtmlFavor::Precision => Favor::Precision,
                HtmlFavor::Balanced => Favor::Balanced,
                HtmlFavor::Recall => Favor::Recall,
            },
            tables: self.tables,
            links: match self.links {
                HtmlLinks::DropDense => Links::DropDense,
                HtmlLinks::Keep => Links::Keep,
            },
            limits: Limits {
                work_budget: *self.work_budget.get_ref(),
                max_depth: *self.max_depth.get_ref(),
                ..Limits::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_extractors() {
        assert_eq!(HtmlSection::default().options(), Options::default());
    }

    #[test]
    fn keys_map_onto_the_extractor_options() {
        let section: HtmlSection = toml::from_str(
            "favor = \"precision\"\ntables = false\nlinks = \"keep\"\nwork_budget = 250\nmax_depth = 64\n",
        )
        .unwrap();
        let options = section.options();
        assert_eq!(options.favor, Favor::Precision);
        assert!(!options.tables);
        assert_eq!(options.links, Links::Keep);
        assert_eq!(options.limits.work_budget, 250);
        assert_eq!(options.limits.max_depth, 64);
        assert_eq!(section.validate(), Ok(()));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(toml::from_str::<HtmlSection>("favour = \"recall\"").is_err());
        assert!(toml::from_str::<HtmlSection>("favor = \"most\"").is_err());
        assert!(toml::from_str::<HtmlSection>("links = \"drop\"").is_err());
        let zero: HtmlSection = toml::from_str("work_budget = 0").unwrap();
        assert_eq!(zero.validate().unwrap_err().1, "ingest.html.work_budget");
        let shallow: HtmlSection = toml::from_str("\nmax_depth = 3").unwrap();
        let (span, key, message) = shallow.validate().unwrap_err();
        assert_eq!((span.start, key.as_str()), (13, "ingest.html.max_depth"));
        assert_eq!(message, "must be at least 16");
    }

    #[test]
    fn resolved_toml_writes_plain_values() {
        let text = toml::to_string(&HtmlSection::default()).unwrap();
        assert_eq!(
            text,
            "favor = \"balanced\"\ntables = true\nlinks = \"drop_dense\"\nwork_budget = 268435456\nmax_depth = 512\n"
        );
    }
}
