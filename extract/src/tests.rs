//! Hand-written pages and generated adversarial inputs.

use super::*;

/// Options whose work budget never runs out in a test, so results do not depend on speed.
fn untimed() -> Options {
    Options {
        limits: Limits {
            work_budget: u64::MAX,
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
fn work_budget_stops_the_parse() {
    let para = "<div><p>Words, words, words in a paragraph.</p></div>\n";
    let html = para.repeat(4 * 1024 * 1024 / para.len());
    let options = Options {
        limits: Limits {
            work_budget: 0,
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

/// A paragraph of prose: long, with commas, no links.
fn prose(topic: &str) -> String {
    format!(
        "<p>The {topic} is described here at length, with several clauses, commas, and \
         enough detail that any reader would take it for the body of an article.</p>"
    )
}

#[test]
fn chrome_keywords_yield_to_prose() {
    let html = format!(
        "<body><div class=\"site-nav\"><a href=\"/a\">Home</a> <a href=\"/b\">About</a></div>\
         <div id=\"story\"><div class=\"content-nav-section\"><h2>Part one</h2>{}{}</div>\
         <div class=\"content-nav-section\"><h2>Part two</h2>{}{}</div>\
         <div class=\"content-nav-section\"><h2>Part three</h2>{}</div>\
         <div class=\"share-bar\"><a href=\"/s\">Share this</a></div></div></body>",
        prose("river"),
        prose("valley"),
        prose("mountain"),
        prose("forest"),
        prose("lake")
    );
    let text = text_of(&html);
    for kept in [
        "Part one",
        "The forest is described",
        "Part three",
        "The lake is",
    ] {
        assert!(text.contains(kept), "{kept}: {text}");
    }
    assert!(
        !text.contains("About") && !text.contains("Share this"),
        "{text}"
    );
}

#[test]
fn nested_teaser_articles_are_dropped_but_forum_posts_kept() {
    let teaser =
        "<article><h3><a href=\"/other\">Another story</a></h3><p>Short teaser.</p></article>";
    let html = format!(
        "<body><article><h1>Main story</h1>{}{}{}{}{teaser}{teaser}</article></body>",
        prose("harbour"),
        prose("lighthouse"),
        prose("ferry"),
        prose("tide")
    );
    let text = text_of(&html);
    assert!(text.contains("The tide is described"), "{text}");
    assert!(
        !text.contains("Another story") && !text.contains("Short teaser"),
        "{text}"
    );

    let post = |who: &str| {
        format!(
            "<article class=\"post\"><p>{who} wrote:</p>{}</article>",
            prose(who)
        )
    };
    let html = format!(
        "<body><article class=\"thread\"><h1>Thread</h1>{}{}{}</article></body>",
        post("alice"),
        post("bob"),
        post("carol")
    );
    let text = text_of(&html);
    for who in ["alice", "bob", "carol"] {
        assert!(text.contains(&format!("The {who} is described")), "{text}");
    }
}

#[test]
fn paragraphs_split_into_cards_are_joined() {
    // Each paragraph sits in its own card: no card wins alone, their container does.
    let card = |topic: &str| {
        format!(
            "<div class=\"card\"><div class=\"card-body\">{}</div></div>",
            prose(topic)
        )
    };
    let html = format!(
        "<body><div class=\"menu\"><a href=\"/1\">One</a> <a href=\"/2\">Two</a></div>\
         <div id=\"cards\">{}{}{}{}{}</div>\
         <div class=\"links\"><a href=\"/x\">Imprint</a> <a href=\"/y\">Privacy</a></div></body>",
        card("north"),
        card("south"),
        card("east"),
        card("west"),
        card("centre")
    );
    let text = text_of(&html);
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(!text.contains("Imprint"));
}

#[test]
fn listing_pages_keep_their_headline_links() {
    let item = |n: u32| {
        format!(
            "<div class=\"item\"><h2><a href=\"/story/{n}\">A headline long enough to be a \
             story title, number {n}</a></h2><span>By staff</span></div>"
        )
    };
    let items: String = (1..=6).map(item).collect();
    let html = format!(
        "<body><ul class=\"top\"><li><a href=\"/\">Home</a></li><li><a href=\"/n\">News</a>\
         </li></ul><div id=\"list\">{items}</div></body>"
    );
    let text = text_of(&html);
    assert!(
        text.contains("story title, number 1") && text.contains("number 6"),
        "{text}"
    );
}

#[test]
fn a_single_article_is_taken_whole() {
    let rows: String = (0..40)
        .map(|i| format!("<tr><td>Signatory number {i}, of some institution</td></tr>"))
        .collect();
    let html = format!(
        "<body><article><h1>Open letter</h1>{}{}{}<table>{rows}</table></article>\
         <div class=\"promo\">Subscribe now</div></body>",
        prose("letter"),
        prose("appeal"),
        prose("request")
    );
    let text = text_of(&html);
    assert!(
        text.starts_with("Open letter\nThe letter is described"),
        "{text}"
    );
    assert!(text.contains("Signatory number 39"));
}

#[test]
fn a_page_that_is_all_comments_falls_back_to_markup_rules() {
    let comments: String = (1..=8)
        .map(|i| {
            format!("<li class=\"comment\"><p>Comment {i}: short, but it is the page.</p></li>")
        })
        .collect();
    let html = format!(
        "<body><nav><a href=\"/\">Home</a></nav><ol class=\"comments\">{comments}</ol></body>"
    );
    let text = text_of(&html);
    assert_eq!(text.lines().count(), 8, "{text}");
    assert!(text.starts_with("Comment 1: short") && !text.contains("Home"));
}

#[test]
fn only_language_shaped_hints_are_recorded() {
    use crate::dom::language_tag;
    assert_eq!(language_tag("en-GB").as_deref(), Some("en-GB"));
    assert_eq!(language_tag(" de, en ").as_deref(), Some("de"));
    assert_eq!(language_tag("zh_Hant_TW").as_deref(), Some("zh_Hant_TW"));
    assert_eq!(language_tag("UTF-8"), None);
    assert_eq!(language_tag("english"), None);
    assert_eq!(language_tag(""), None);
    let page = "<html lang=\"UTF-8\"><head><meta http-equiv=\"content-language\" \
                content=\"fr\"></head><body><p>Bonjour.</p></body></html>";
    assert_eq!(extract(page, &untimed()).unwrap().lang, "fr");
}
