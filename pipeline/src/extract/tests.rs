//! Hand-written pages and generated adversarial inputs.

use std::time::Duration;

use super::*;

/// Options whose time budget never runs out in a test, so results do not depend on speed.
fn untimed() -> Options {
    Options {
        limits: Limits {
            time_budget: Duration::from_secs(3600),
            ..Limits::default()
        },
        ..Options::default()
    }
}

fn text_of(html: &str) -> String {
    extract(html, &Options::default()).unwrap().text
}

const ARTICLE: &str = r#"<!doctype html><html lang="en-GB"><head>
<title>  Fallback   title </title>
<meta property="og:title" content="Rivers of the North">
<script>var tracking = "SCRIPT_TEXT";</script><style>p { color: red }</style>
</head><body>
<div class="cookie-banner">We use cookies. Accept all cookies to continue.</div>
<header><a href="/">Home</a> <a href="/news">News</a></header>
<nav><ul><li><a href="/a">Section A</a></li><li><a href="/b">Section B</a></li></ul></nav>
<main><article>
<h1>Rivers of the North</h1>
<p>The northern rivers run fast in spring, carrying snowmelt from the high ground down to
the sea, and the towns along their banks have grown up around the mills they once drove.</p>
<p>In summer the water drops, the gravel bars appear, and the fishing season opens, which
brings visitors, anglers, and a great deal of trade to the small villages upstream.</p>
<div class="share-bar"><a href="/s">Share on social media</a></div>
<section id="comments"><h3>Comments</h3><p>First! Great article, thanks for writing it.</p></section>
</article></main>
<aside><p>Related: the southern rivers, in six parts, with maps and tables.</p></aside>
<footer><p>Copyright 2024 River News. All rights reserved.</p></footer>
</body></html>"#;

#[test]
fn boilerplate_is_removed_and_article_kept() {
    let out = extract(ARTICLE, &Options::default()).unwrap();
    let lines: Vec<&str> = out.text.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.text);
    assert_eq!(lines[0], "Rivers of the North");
    assert!(lines[1].starts_with("The northern rivers run fast in spring, carrying snowmelt"));
    assert!(lines[2].ends_with("to the small villages upstream."));
    for gone in [
        "cookies",
        "Section A",
        "Share",
        "First!",
        "Related",
        "Copyright",
        "SCRIPT",
    ] {
        assert!(!out.text.contains(gone), "{gone} leaked");
    }
    assert_eq!(out.title, "Rivers of the North");
    assert_eq!(out.lang, "en-GB");
    assert!(!out.truncated);
}

#[test]
fn title_falls_back_to_title_element_and_lang_to_meta() {
    let html = "<html><head><title> A \n page </title>\
        <meta http-equiv=\"Content-Language\" content=\"de\"></head><body><p>x</p></body></html>";
    let out = extract(html, &Options::default()).unwrap();
    assert_eq!(out.title, "A page");
    assert_eq!(out.lang, "de");
}

#[test]
fn page_without_semantic_markup_is_scored() {
    let para = "This paragraph is long enough to count as prose, with commas, clauses, and \
        enough words that the scoring treats it as content rather than a menu.";
    let html = format!(
        "<body><div id=\"top\"><a href=\"/1\">One</a> <a href=\"/2\">Two</a> \
         <a href=\"/3\">Three</a></div><div id=\"story\"><p>{para}</p><p>{para}</p>\
         <p>{para}</p></div><div class=\"bottom-links\"><a href=\"/x\">Imprint</a> \
         <a href=\"/y\">Privacy</a></div></body>"
    );
    let text = text_of(&html);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(!text.contains("Imprint") && !text.contains("Three"));
}

#[test]
fn tables_render_as_rows_of_cells() {
    let html = "<article><p>Quarterly figures for the company are shown below in the table \
        of results.</p><table><tr><th>Year<th>Revenue<tr><td>2023</td><td>1,024</td></tr>\
        <tr><td>2024</td><td> 2,048 </td></tr></table></article>";
    let text = text_of(html);
    assert_eq!(
        text.lines().skip(1).collect::<Vec<_>>(),
        ["Year | Revenue", "2023 | 1,024", "2024 | 2,048"]
    );
    let dropped = extract(
        html,
        &Options {
            tables: false,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(!dropped.text.contains("Revenue"));
}

#[test]
fn hidden_blocks_and_entities() {
    let html = "<article><p>Fish &amp; chips &lt;3, served hot, with salt, vinegar and peas \
        on the side.</p><div style=\"display: none\">HIDDEN FACT</div><div hidden>H2</div>\
        <p aria-hidden=\"true\">H3</p></article>";
    let text = text_of(html);
    assert_eq!(
        text,
        "Fish & chips <3, served hot, with salt, vinegar and peas on the side."
    );
}

#[test]
fn huge_input_is_truncated_to_the_byte_limit() {
    let para = "<p>Some words in a paragraph, repeated many times over.</p>\n";
    let html = para.repeat(50 * 1024 * 1024 / para.len());
    let options = untimed();
    let out = extract(&html, &options).unwrap();
    assert!(out.truncated);
    let kept = out.text.lines().count();
    let limit_paras = options.limits.max_input_bytes / para.len();
    assert!(kept <= limit_paras + 1 && kept + 1 >= limit_paras, "{kept}");
}

#[test]
fn deep_nesting_is_flattened() {
    let depth = 100_000;
    let mut html = String::with_capacity(depth * 12);
    html.push_str(&"<div>".repeat(depth));
    html.push_str("<p>Deep text, at the bottom of a very deep tree of divisions.</p>");
    html.push_str(&"</div>".repeat(depth));
    html.push_str("<p>After the tree.</p>");
    let out = extract(&html, &untimed()).unwrap();
    assert!(
        out.text.contains("Deep text, at the bottom"),
        "{}",
        out.text
    );
    assert!(!out.truncated);
}

#[test]
fn one_long_line_is_bounded() {
    let word = "word ";
    let line = word.repeat(10 * 1024 * 1024 / word.len());
    let html = format!("<html><body><p>{line}</p></body></html>");
    let mut options = untimed();
    options.limits.max_input_bytes = 16 * 1024 * 1024;
    let out = extract(&html, &options).unwrap();
    assert!(!out.truncated);
    assert_eq!(out.text.lines().count(), 1);
    assert_eq!(out.text.split(' ').count(), line.len() / word.len());
}

#[test]
fn time_budget_stops_the_parse() {
    let para = "<div><p>Words, words, words in a paragraph.</p></div>\n";
    let html = para.repeat(4 * 1024 * 1024 / para.len());
    let options = Options {
        limits: Limits {
            time_budget: Duration::ZERO,
            ..Limits::default()
        },
        ..Options::default()
    };
    let out = extract(&html, &options).unwrap();
    assert!(out.truncated);
    assert!(out.text.len() < html.len() / 4);
    assert_eq!(
        extract("", &options).map(|o| o.text),
        Ok(String::new()),
        "empty input parses without touching the budget"
    );
}

#[test]
fn unclosed_script_does_not_leak() {
    let text = text_of("<p>Visible paragraph text here.</p><script>document.write('<p>x')");
    assert_eq!(text, "Visible paragraph text here.");
}
