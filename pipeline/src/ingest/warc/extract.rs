//! Main-text extraction of a decoded page with `curate_extract`, within the reader's bounds.
//!
//! The page arrives as text: the reader has already decoded it by the charset the HTTP
//! header or the page declares (`charset`), which a WARC knows better than the
//! extractor's own byte-level guess (valid UTF-8 first). So the extractor's `&str` entry
//! point is used, not its byte one.
//!
//! Bounds: the raw page is at most `max_html_bytes` (checked before decoding); the
//! extractor flattens elements nested deeper than its depth limit, so no page is too deep
//! to walk; and a page that spends the time budget is skipped whole rather than kept as a
//! prefix, so a document is always the whole page's text.

use curate_extract::{ExtractError, Options};

use crate::ingest::SkipReason;

/// The title, language hint and main text of one page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageText {
    /// `og:title`, else `<title>`; empty when absent.
    pub title: String,
    /// `<html lang>` or `content-language`; empty when absent.
    pub lang: String,
    /// Main text, one paragraph, heading, list item or table row per line.
    pub text: String,
}

/// Extracts the main text of a decoded page, or says why there is none.
pub(crate) fn main_text(html: &str, options: &Options) -> Result<PageText, (SkipReason, String)> {
    let mut options = *options;
    // The raw page was held to `max_html_bytes` before decoding; decoding a legacy charset
    // can lengthen it (up to 3 UTF-8 bytes per input byte), and cutting it here would keep
    // a prefix of the page.
    options.limits.max_input_bytes = usize::MAX;
    let budget_spent = || {
        (
            SkipReason::TooLarge,
            format!(
                "extraction ran past its work budget of {} units",
                options.limits.work_budget
            ),
        )
    };
    let page = curate_extract::extract(html, &options).map_err(|e| match e {
        ExtractError::WorkBudget => budget_spent(),
    })?;
    if page.truncated {
        return Err(budget_spent());
    }
    if page.text.is_empty() {
        return Err((SkipReason::EmptyText, "no main text extracted".into()));
    }
    Ok(PageText {
        title: page.title,
        lang: page.lang,
        text: page.text,
    })
}

#[cfg(test)]
mod tests {

    use curate_extract::{Favor, Links};

    use super::*;

    const PARAGRAPH: &str = "The river carried sediment from the high mountains down to the wide sea, and over thousands of years it shaped the valleys, the plains and the delta that farmers still work today.";

    fn article() -> String {
        format!(
            "<html lang=\"en\"><head><title>A river</title></head><body>\
             <nav><a href=\"/\">Home</a> | <a href=\"/a\">About</a> | <a href=\"/c\">Contact</a></nav>\
             <article><h1>Title here</h1>\
             <p>The first paragraph. {PARAGRAPH}</p><p>The second paragraph. {PARAGRAPH}</p>\
             <p>The third paragraph. {PARAGRAPH}</p></article><footer>Copyright</footer></body></html>"
        )
    }

    #[test]
    fn extracts_paragraphs_as_lines_with_title_and_lang() {
        let page = main_text(&article(), &Options::default()).unwrap();
        let lines: Vec<&str> = page.text.lines().collect();
        assert_eq!(lines.len(), 4, "{}", page.text);
        assert_eq!(lines[0], "Title here");
        assert!(lines[2].starts_with("The second paragraph. The river"));
        assert!(!page.text.contains("Copyright") && !page.text.contains("Contact"));
        assert_eq!((page.title.as_str(), page.lang.as_str()), ("A river", "en"));
    }

    #[test]
    fn options_reach_the_extractor() {
        let html = format!(
            "<html><body><article><p>{PARAGRAPH}</p><table><tr><td>cell one</td><td>cell two</td></tr></table></article></body></html>"
        );
        let with = main_text(&html, &Options::default()).unwrap();
        assert!(with.text.contains("cell one | cell two"), "{}", with.text);
        let options = Options {
            tables: false,
            favor: Favor::Precision,
            links: Links::Keep,
            ..Options::default()
        };
        let without = main_text(&html, &options).unwrap();
        assert!(!without.text.contains("cell one"), "{}", without.text);
    }

    #[test]
    fn deep_nesting_is_flattened_on_a_small_stack() {
        // Worker threads get 2 MiB stacks by default; a 100,000-deep page must fit.
        let html = format!(
            "<html><body>{}<p>Some words deep inside the page, enough to be kept as text.</p>{}</body></html>",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        let handle = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || main_text(&html, &Options::default()))
            .unwrap();
        let page = handle.join().unwrap().unwrap();
        assert_eq!(
            page.text,
            "Some words deep inside the page, enough to be kept as text."
        );
    }

    #[test]
    fn a_spent_work_budget_skips_the_page() {
        // The budget is checked every 64 KiB of input: the page must be longer.
        let long = format!(
            "<html><body><article>{}</article></body></html>",
            format!("<p>{PARAGRAPH}</p>").repeat(500)
        );
        let mut options = Options::default();
        assert!(main_text(&long, &options).is_ok());
        options.limits.work_budget = 0;
        let (reason, detail) = main_text(&long, &options).unwrap_err();
        assert_eq!(reason, SkipReason::TooLarge);
        assert!(detail.contains("work budget of 0 units"), "{detail}");
    }

    #[test]
    fn empty_page_is_empty_text() {
        let (reason, _) = main_text("<html><body></body></html>", &Options::default()).unwrap_err();
        assert_eq!(reason, SkipReason::EmptyText);
    }
}
