//! Readers for markup files that are not web archives: an HTML page per file (SEC filings
//! as EDGAR serves them), and SGML-style tagged records (Reuters-21578's `<REUTERS>`,
//! EDGAR full submissions' `<DOCUMENT>`), one document per record.

use std::io::{BufRead, Read};
use std::path::Path;

use super::decompress::{Compression, open_decompressed};
use super::text::{document, skipped};
use super::warc::{WebReaderOptions, page_text};
use super::{Position, ReadItem, SkipReason};

/// One HTML page per file, its main text extracted as in WARC ingest.
pub struct HtmlFileReader {
    stream: Option<(Box<dyn BufRead + Send>, Compression)>,
    options: WebReaderOptions,
}

impl HtmlFileReader {
    pub fn open(path: &Path, options: WebReaderOptions) -> std::io::Result<Self> {
        Ok(HtmlFileReader {
            stream: Some(open_decompressed(path)?),
            options,
        })
    }
}

impl Iterator for HtmlFileReader {
    type Item = ReadItem;

    fn next(&mut self) -> Option<ReadItem> {
        let (stream, compression) = self.stream.take()?;
        let position = Position::Byte(0);
        let limit = self.options.max_html_bytes as u64 + 1;
        let mut bytes = Vec::new();
        if let Err(error) = stream.take(limit).read_to_end(&mut bytes) {
            return Some(skipped(
                compression.classify(&error),
                position,
                error.to_string(),
            ));
        }
        Some(match page_text(&bytes, Some("text/html"), &self.options) {
            Ok(page) if page.text.trim().is_empty() => skipped(
                SkipReason::EmptyText,
                position,
                "the page has no main text".into(),
            ),
            Ok(page) => document(page.text, position),
            Err((reason, detail)) => skipped(reason, position, detail),
        })
    }
}

/// How tagged records are found: the record element and the element holding the text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaggedRecords {
    /// The element each record is (`REUTERS`, `DOCUMENT`).
    pub record: String,
    /// The element holding the text (`BODY`, `TEXT`).
    pub text: String,
    /// An element whose text is put first, as a title line (`TITLE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// SGML-style records, one document each. The text element's content is extracted as
/// HTML when it is HTML (EDGAR documents), else its tags are removed and its character
/// references decoded (Reuters). A record without the text element is skipped as empty;
/// a record over `max_record_bytes` is skipped as too large, without being held whole.
pub struct TaggedRecordReader {
    stream: Box<dyn BufRead + Send>,
    compression: Compression,
    tags: TaggedRecords,
    options: WebReaderOptions,
    line: u64,
    buffer: Vec<u8>,
    finished: bool,
}

impl TaggedRecordReader {
    pub fn open(
        path: &Path,
        tags: TaggedRecords,
        options: WebReaderOptions,
    ) -> std::io::Result<Self> {
        let (stream, compression) = open_decompressed(path)?;
        Ok(TaggedRecordReader {
            stream,
            compression,
            tags,
            options,
            line: 0,
            buffer: Vec::new(),
            finished: false,
        })
    }

    /// Reads one line into `self.buffer`; `Ok(false)` at the end of the file.
    fn read_line(&mut self) -> Result<bool, ReadItem> {
        self.buffer.clear();
        match self.stream.read_until(b'\n', &mut self.buffer) {
            Ok(0) => Ok(false),
            Ok(_) => {
                self.line += 1;
                Ok(true)
            }
            Err(error) => Err(skipped(
                self.compression.classify(&error),
                Position::Line(self.line + 1),
                error.to_string(),
            )),
        }
    }

    fn record_text(&self, record: &str) -> Result<String, (SkipReason, String)> {
        let Some(body) = element(record, &self.tags.text) else {
            return Err((
                SkipReason::EmptyText,
                format!("the record has no <{}>", self.tags.text),
            ));
        };
        let body_text = if looks_like_html(body) {
            page_text(body.as_bytes(), Some("text/html"), &self.options)?.text
        } else {
            plain_text(body)
        };
        let title = self
            .tags
            .title
            .as_deref()
            .and_then(|t| element(record, t))
            .map(plain_text)
            .filter(|t| !t.trim().is_empty());
        Ok(match title {
            Some(title) => format!("{}\n\n{}", title.trim(), body_text.trim()),
            None => body_text.trim().to_owned(),
        })
    }
}

impl Iterator for TaggedRecordReader {
    type Item = ReadItem;

    fn next(&mut self) -> Option<ReadItem> {
        if self.finished {
            return None;
        }
        let open = format!("<{}", self.tags.record);
        let close = format!("</{}>", self.tags.record);
        // Find the next record start.
        let start_line;
        let mut record: Vec<u8> = Vec::new();
        loop {
            match self.read_line() {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Err(item) => {
                    self.finished = true;
                    return Some(item);
                }
            }
            if let Some(at) = find(&self.buffer, open.as_bytes())
                && self.buffer[at + open.len()..]
                    .first()
                    .is_some_and(|b| matches!(b, b'>' | b' ' | b'\t' | b'\r' | b'\n'))
            {
                start_line = self.line;
                record.extend_from_slice(&self.buffer[at..]);
                break;
            }
        }
        let limit = self.options.max_record_bytes;
        let mut too_large = false;
        while find(&record, close.as_bytes()).is_none() {
            match self.read_line() {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return Some(skipped(
                        SkipReason::TruncatedRecord,
                        Position::Line(start_line),
                        format!("the file ends inside <{}>", self.tags.record),
                    ));
                }
                Err(item) => {
                    self.finished = true;
                    return Some(item);
                }
            }
            if too_large {
                if find(&self.buffer, close.as_bytes()).is_some() {
                    break;
                }
                continue;
            }
            record.extend_from_slice(&self.buffer);
            if record.len() as u64 > limit {
                too_large = true;
                record.clear();
            }
        }
        let position = Position::Line(start_line);
        if too_large {
            return Some(skipped(
                SkipReason::TooLarge,
                position,
                format!("record over the limit of {limit} bytes"),
            ));
        }
        let record = String::from_utf8_lossy(&record);
        Some(match self.record_text(&record) {
            Ok(text) if text.trim().is_empty() => skipped(
                SkipReason::EmptyText,
                position,
                "the record has no text".into(),
            ),
            Ok(text) => document(text, position),
            Err((reason, detail)) => skipped(reason, position, detail),
        })
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// The content of the first `<TAG ...>...</TAG>` in `record`.
fn element<'r>(record: &'r str, tag: &str) -> Option<&'r str> {
    let open = format!("<{tag}");
    let mut from = 0;
    while let Some(at) = record[from..].find(&open) {
        let start = from + at;
        let after = &record[start + open.len()..];
        if after.starts_with(['>', ' ', '\t', '\r', '\n']) {
            let content_start = start + open.len() + after.find('>')? + 1;
            let close = format!("</{tag}>");
            let end = record[content_start..]
                .find(&close)
                .map_or(record.len(), |e| content_start + e);
            return Some(&record[content_start..end]);
        }
        from = start + open.len();
    }
    None
}

/// Whether markup is an HTML document (EDGAR `<TEXT>` of a 10-K) rather than plain text
/// with a few SGML tags.
fn looks_like_html(text: &str) -> bool {
    let head = &text[..text.len().min(4096)];
    let lower = head.to_ascii_lowercase();
    lower.contains("<html")
        || lower.contains("<body")
        || lower.contains("<div")
        || lower.contains("<p>")
        || lower.contains("<table")
}

/// Text with tags removed, character references decoded, control characters dropped. A
/// tag is `<` then a letter, `/`, `!` or `?`, up to a `>` on the same line: other `<` are
/// text (a uuencoded payload holds many, and must keep its lines for the integrity filter
/// to recognise it).
fn plain_text(markup: &str) -> String {
    let mut out = String::with_capacity(markup.len());
    let mut rest = markup;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix('<') {
            let is_tag = after
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
            let end = tail
                .find(['>', '\n'])
                .filter(|&e| tail.as_bytes()[e] == b'>');
            match (is_tag, end) {
                (true, Some(end)) => rest = &tail[end + 1..],
                _ => {
                    out.push('<');
                    rest = after;
                }
            }
            continue;
        }
        let (decoded, used) = decode_reference(tail);
        if let Some(c) = decoded
            && (!c.is_control() || matches!(c, '\n' | '\t'))
        {
            out.push(c);
        }
        rest = &tail[used..];
    }
    out.push_str(rest);
    out
}

/// Decodes `&lt;`, `&gt;`, `&amp;`, `&quot;`, `&apos;`, `&#NN;`, `&#xNN;` at the start of
/// `text`: the character (None for a control character reference that decodes to
/// nothing) and the bytes used. Anything else is a literal `&`.
fn decode_reference(text: &str) -> (Option<char>, usize) {
    let Some(end) = text[..text.len().min(12)].find(';') else {
        return (Some('&'), 1);
    };
    let name = &text[1..end];
    let c = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let code =
                if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
            match code {
                Some(code) => char::from_u32(code),
                None => return (Some('&'), 1),
            }
        }
    };
    (c, end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_tags_and_decodes_references() {
        assert_eq!(
            plain_text("Inco &lt;N> said &amp; closed 1-3/8 lower\n&#3;"),
            "Inco <N> said & closed 1-3/8 lower\n"
        );
        assert_eq!(plain_text("<TYPE>EX-99\n<P>Text</P>"), "EX-99\nText");
    }

    #[test]
    fn plain_text_keeps_angle_brackets_that_are_not_tags() {
        let payload = "M4$L#!!0 <( +.#FU\nM'-]S>B)\"\"4LXD7^:$<\n";
        assert_eq!(plain_text(payload), payload);
    }

    #[test]
    fn element_finds_the_first_element_with_attributes() {
        let record =
            "<REUTERS NEWID=\"1\"><TEXT TYPE=\"X\"><TITLE>T</TITLE><BODY>b</BODY></TEXT></REUTERS>";
        assert_eq!(element(record, "TITLE"), Some("T"));
        assert_eq!(element(record, "BODY"), Some("b"));
        assert_eq!(
            element(record, "TEXT"),
            Some("<TITLE>T</TITLE><BODY>b</BODY>")
        );
        assert_eq!(element(record, "DATE"), None);
    }
}
