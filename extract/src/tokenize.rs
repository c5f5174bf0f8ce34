//! A fast HTML tokenizer for text extraction.
//!
//! It follows the WHATWG tokenizer where the text depends on it: tags and attributes
//! (quoted, unquoted, duplicated), comments (including the abrupt `<!-->`), bogus comments
//! (`<!DOCTYPE>`, `<?xml?>`, `<![CDATA[`), raw-text and RCDATA elements (`script`,
//! `style`, `title`, ...) whose content runs to the matching end tag, character
//! references (named, with the longest-prefix rule and the attribute exception; decimal
//! and hex, with the spec's replacements), and end of file inside a tag (the tag is
//! dropped). It skips what text extraction never reads: parse errors, script-data escape
//! states, foreign content, newline normalisation. Text is scanned with `memchr`, a byte
//! at a time only inside tags, and handed out as borrowed slices wherever no character
//! reference needs decoding.

use std::borrow::Cow;

use html5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};
use memchr::{memchr, memchr2, memmem};

/// One attribute: lowercased name and decoded value.
pub type Attr<'a> = (Cow<'a, str>, Cow<'a, str>);

/// A start tag.
#[derive(Debug)]
pub struct StartTag<'t, 'a> {
    /// Lowercased tag name.
    pub name: &'t str,
    /// Attributes in source order, first of each name only.
    pub attrs: &'t [Attr<'a>],
    /// Written as `<name/>`.
    pub self_closing: bool,
}

impl StartTag<'_, '_> {
    /// The value of attribute `name` (lowercase), if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// Receives tokens in document order.
pub trait TokenSink {
    /// A start tag.
    fn start_tag(&mut self, tag: &StartTag<'_, '_>);
    /// An end tag, by lowercased name.
    fn end_tag(&mut self, name: &str);
    /// Character data, references decoded; one run of text may come in several pieces.
    fn text(&mut self, text: &str);
}

/// How the content of an element is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// Markup.
    Markup,
    /// Text up to the matching end tag, no references (`script`, `style`).
    Raw,
    /// Text up to the matching end tag, references decoded (`title`, `textarea`).
    Rcdata,
}

fn content_of(name: &str) -> Content {
    match name {
        "script" | "style" | "xmp" | "iframe" | "noembed" | "noframes" => Content::Raw,
        "title" | "textarea" => Content::Rcdata,
        _ => Content::Markup,
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Lowercases ASCII, borrowing when nothing changes.
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Tokenizes `html`, calling `sink` for each token. Every `check_every` bytes of input
/// `stop` is asked whether to give up; returns `true` when it did (the sink has seen a
/// prefix of the document).
pub fn tokenize(
    html: &str,
    sink: &mut impl TokenSink,
    check_every: usize,
    stop: &mut dyn FnMut() -> bool,
) -> bool {
    let s = html.as_bytes();
    let len = s.len();
    let mut pos = 0;
    let mut next_check = check_every;
    let mut attrs: Vec<Attr<'_>> = Vec::new();
    let mut scratch = String::new();
    while pos < len {
        if pos >= next_check {
            if stop() {
                return true;
            }
            next_check = pos + check_every;
        }
        let Some(at) = memchr2(b'<', b'&', &s[pos..]).map(|i| pos + i) else {
            sink.text(&html[pos..]);
            break;
        };
        if at > pos {
            sink.text(&html[pos..at]);
        }
        if s[at] == b'&' {
            scratch.clear();
            match char_ref(s, at, false, &mut scratch) {
                Some(end) => {
                    sink.text(&scratch);
                    pos = end;
                }
                None => {
                    sink.text("&");
                    pos = at + 1;
                }
            }
            continue;
        }
        // `<`
        let next = s.get(at + 1).copied().unwrap_or(0);
        if next.is_ascii_alphabetic() {
            let Some((tag_end, name_end, self_closing)) = read_tag(html, at + 1, &mut attrs) else {
                break; // end of file inside a tag: the tag is dropped
            };
            let name = lower(&html[at + 1..name_end]);
            sink.start_tag(&StartTag {
                name: &name,
                attrs: &attrs,
                self_closing,
            });
            pos = tag_end;
            let content = content_of(&name);
            if content != Content::Markup && !self_closing {
                let end = raw_end(s, pos, &name);
                if end > pos {
                    if content == Content::Rcdata {
                        decode_into(html, pos, end, &mut scratch);
                        sink.text(&scratch);
                    } else {
                        sink.text(&html[pos..end]);
                    }
                }
                pos = end;
            }
        } else if next == b'/' {
            let after = s.get(at + 2).copied().unwrap_or(0);
            if after.is_ascii_alphabetic() {
                let Some((tag_end, name_end, _)) = read_tag(html, at + 2, &mut attrs) else {
                    break;
                };
                sink.end_tag(&lower(&html[at + 2..name_end]));
                pos = tag_end;
            } else if after == b'>' {
                pos = at + 3; // `</>` is nothing
            } else if at + 2 >= len {
                sink.text("</");
                pos = len;
            } else {
                pos = bogus_comment_end(s, at + 2);
            }
        } else if next == b'!' {
            pos = if s[at + 2..].starts_with(b"--") {
                comment_end(s, at + 4)
            } else {
                bogus_comment_end(s, at + 2)
            };
        } else if next == b'?' {
            pos = bogus_comment_end(s, at + 2);
        } else {
            sink.text("<");
            pos = at + 1;
        }
    }
    false
}

/// Reads a tag from its name (at `start`) to its `>`: returns the index after `>`, the end
/// of the name and the self-closing flag, or `None` at end of file. Attributes go into
/// `attrs` (cleared first).
fn read_tag<'a>(
    html: &'a str,
    start: usize,
    attrs: &mut Vec<Attr<'a>>,
) -> Option<(usize, usize, bool)> {
    let s = html.as_bytes();
    let len = s.len();
    attrs.clear();
    let mut p = start;
    while p < len && !is_space(s[p]) && s[p] != b'/' && s[p] != b'>' {
        p += 1;
    }
    let name_end = p;
    loop {
        while p < len && (is_space(s[p]) || (s[p] == b'/' && s.get(p + 1) != Some(&b'>'))) {
            p += 1;
        }
        if p >= len {
            return None;
        }
        if s[p] == b'>' {
            return Some((p + 1, name_end, false));
        }
        if s[p] == b'/' {
            // `/>`
            return Some((p + 2, name_end, true));
        }
        let name_start = p;
        p += 1; // a name may start with `=`
        while p < len && !is_space(s[p]) && !matches!(s[p], b'/' | b'>' | b'=') {
            p += 1;
        }
        let name_stop = p;
        while p < len && is_space(s[p]) {
            p += 1;
        }
        let mut value: Cow<'a, str> = Cow::Borrowed("");
        if p < len && s[p] == b'=' {
            p += 1;
            while p < len && is_space(s[p]) {
                p += 1;
            }
            if p >= len {
                return None;
            }
            let (from, to, next) = match s[p] {
                q @ (b'"' | b'\'') => {
                    let close = memchr(q, &s[p + 1..])? + p + 1;
                    (p + 1, close, close + 1)
                }
                b'>' => (p, p, p),
                _ => {
                    let mut e = p;
                    while e < len && !is_space(s[e]) && s[e] != b'>' {
                        e += 1;
                    }
                    (p, e, e)
                }
            };
            value = if s[from..to].contains(&b'&') {
                let mut out = String::new();
                decode_attr(html, from, to, &mut out);
                Cow::Owned(out)
            } else {
                Cow::Borrowed(&html[from..to])
            };
            p = next;
        }
        let name = lower(&html[name_start..name_stop]);
        if !attrs.iter().any(|(n, _)| *n == name) {
            attrs.push((name, value));
        }
    }
}

/// Where the content of raw-text element `name` opened before `from` ends: at its end
/// tag (`</name` followed by space, `/` or `>`, any case), else at the end of input.
fn raw_end(s: &[u8], from: usize, name: &str) -> usize {
    let finder = memmem::Finder::new(b"</");
    let n = name.len();
    let mut at = from;
    while let Some(i) = finder.find(&s[at..]) {
        let lt = at + i;
        let name_at = lt + 2;
        let matches = s
            .get(name_at..name_at + n)
            .is_some_and(|cand| cand.eq_ignore_ascii_case(name.as_bytes()));
        let follows = s.get(name_at + n).copied();
        if matches && follows.is_none_or(|b| is_space(b) || b == b'/' || b == b'>') {
            return lt;
        }
        at = lt + 2;
    }
    s.len()
}

/// The index after a comment whose content starts at `from` (just after `<!--`).
fn comment_end(s: &[u8], from: usize) -> usize {
    let rest = &s[from.min(s.len())..];
    if rest.starts_with(b">") {
        return from + 1;
    }
    if rest.starts_with(b"->") {
        return from + 2;
    }
    match memmem::find(rest, b"-->") {
        Some(i) => from + i + 3,
        None => s.len(),
    }
}

/// The index after the `>` that ends a bogus comment starting at `from`.
fn bogus_comment_end(s: &[u8], from: usize) -> usize {
    let from = from.min(s.len());
    memchr(b'>', &s[from..]).map_or(s.len(), |i| from + i + 1)
}

/// Decodes text `html[from..to]` (RCDATA) into `out` (cleared first).
fn decode_into(html: &str, from: usize, to: usize, out: &mut String) {
    out.clear();
    decode_range(html, from, to, false, out);
}

/// Decodes an attribute value `html[from..to]` into `out`.
fn decode_attr(html: &str, from: usize, to: usize, out: &mut String) {
    decode_range(html, from, to, true, out);
}

fn decode_range(html: &str, from: usize, to: usize, in_attr: bool, out: &mut String) {
    let s = &html.as_bytes()[..to];
    let mut pos = from;
    while pos < to {
        let Some(amp) = memchr(b'&', &s[pos..]).map(|i| pos + i) else {
            out.push_str(&html[pos..to]);
            break;
        };
        out.push_str(&html[pos..amp]);
        match char_ref(s, amp, in_attr, out) {
            Some(end) => pos = end,
            None => {
                out.push('&');
                pos = amp + 1;
            }
        }
    }
}

/// Longest named reference, in bytes after the `&`.
const MAX_ENTITY_NAME: usize = 40;

/// Decodes the character reference at `s[amp] == b'&'` into `out`; returns the index
/// after it, or `None` (and writes nothing) when it is not one.
fn char_ref(s: &[u8], amp: usize, in_attr: bool, out: &mut String) -> Option<usize> {
    let next = *s.get(amp + 1)?;
    if next == b'#' {
        let mut p = amp + 2;
        let hex = matches!(s.get(p), Some(b'x' | b'X'));
        if hex {
            p += 1;
        }
        let digits_start = p;
        let mut value: u32 = 0;
        while let Some(&b) = s.get(p) {
            let digit = if hex {
                (b as char).to_digit(16)
            } else {
                (b as char).to_digit(10)
            };
            let Some(d) = digit else { break };
            value = value
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(d);
            p += 1;
        }
        if p == digits_start {
            return None;
        }
        if s.get(p) == Some(&b';') {
            p += 1;
        }
        out.push(numeric_char(value));
        return Some(p);
    }
    if !next.is_ascii_alphanumeric() {
        return None;
    }
    // Longest prefix that names an entity; the map also holds every prefix of every name
    // (mapped to zero), so the walk stops as soon as no name can match.
    let mut best: Option<(usize, u32, u32)> = None;
    let limit = s.len().min(amp + 1 + MAX_ENTITY_NAME);
    let mut end = amp + 1;
    while end < limit {
        let b = s[end];
        if !(b.is_ascii_alphanumeric() || b == b';') {
            break;
        }
        end += 1;
        // ASCII only, so this is a valid str.
        let key = std::str::from_utf8(&s[amp + 1..end]).ok()?;
        match NAMED_ENTITIES.get(key) {
            None => break,
            Some(&(first, second)) => {
                if first != 0 {
                    best = Some((end, first, second));
                }
            }
        }
        if b == b';' {
            break;
        }
    }
    let (end, first, second) = best?;
    if in_attr && s[end - 1] != b';' {
        // Historical exception: `&amp=` / `&ampx` in attributes stay as written.
        if s.get(end)
            .is_some_and(|&b| b == b'=' || b.is_ascii_alphanumeric())
        {
            return None;
        }
    }
    out.push(char::from_u32(first).unwrap_or('\u{FFFD}'));
    if second != 0 {
        out.push(char::from_u32(second).unwrap_or('\u{FFFD}'));
    }
    Some(end)
}

/// The character a numeric reference stands for, with the spec's replacements.
fn numeric_char(value: u32) -> char {
    match value {
        0 => '\u{FFFD}',
        0x80..=0x9F => C1_REPLACEMENTS[(value - 0x80) as usize]
            .or_else(|| char::from_u32(value))
            .unwrap_or('\u{FFFD}'),
        _ => char::from_u32(value).unwrap_or('\u{FFFD}'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Record(Vec<String>);

    impl TokenSink for Record {
        fn start_tag(&mut self, tag: &StartTag<'_, '_>) {
            let mut out = format!("<{}", tag.name);
            for (n, v) in tag.attrs {
                out.push_str(&format!(" {n}={v}"));
            }
            out.push_str(if tag.self_closing { "/>" } else { ">" });
            self.0.push(out);
        }
        fn end_tag(&mut self, name: &str) {
            self.0.push(format!("</{name}>"));
        }
        fn text(&mut self, text: &str) {
            match self.0.last_mut() {
                Some(last) if last.starts_with('"') => {
                    last.pop();
                    last.push_str(text);
                    last.push('"');
                }
                _ => self.0.push(format!("\"{text}\"")),
            }
        }
    }

    fn tokens(html: &str) -> Vec<String> {
        let mut r = Record::default();
        tokenize(html, &mut r, usize::MAX, &mut || false);
        r.0
    }

    #[test]
    fn tags_attributes_and_text() {
        assert_eq!(
            tokens("<DIV Class=\"a b\" id='x' hidden data-x=1 class=dup>Hi<BR/></div >"),
            [
                "<div class=a b id=x hidden= data-x=1>",
                "\"Hi\"",
                "<br/>",
                "</div>"
            ]
        );
        assert_eq!(tokens("a < b <3 </> c"), ["\"a < b <3  c\""]);
    }

    #[test]
    fn comments_and_declarations_are_skipped() {
        assert_eq!(
            tokens("<!DOCTYPE html>a<!-- <p>x</p> -->b<!-->c<!--->d<?xml x?>e<![CDATA[f]]>g"),
            ["\"abcdeg\""]
        );
        assert_eq!(tokens("a<!-- never closed <p>"), ["\"a\""]);
    }

    #[test]
    fn raw_text_runs_to_its_end_tag() {
        assert_eq!(
            tokens("<script>if (a<b) x = '</p>';</SCRIPT>t"),
            ["<script>", "\"if (a<b) x = '</p>';\"", "</script>", "\"t\""]
        );
        assert_eq!(
            tokens("<title>A &amp; B</title>"),
            ["<title>", "\"A & B\"", "</title>"]
        );
        assert_eq!(tokens("<style>p{}"), ["<style>", "\"p{}\""]);
    }

    #[test]
    fn character_references() {
        assert_eq!(
            tokens("&amp;&lt;3 &notit; &#65;&#x42;&#x80; &#0; &bogus; &"),
            ["\"&<3 ¬it; AB€ \u{FFFD} &bogus; &\""]
        );
        assert_eq!(
            tokens("<a href=\"?a=1&amp;b=2&copy=3\" title='&quot;x&quot;'>"),
            ["<a href=?a=1&b=2&copy=3 title=\"x\">"]
        );
    }

    #[test]
    fn end_of_file_inside_a_tag_drops_it() {
        assert_eq!(tokens("text<div class=\"open"), ["\"text\""]);
        assert_eq!(tokens("text<p"), ["\"text\""]);
    }
}
