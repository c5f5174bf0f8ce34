//! JSON Lines reader: one JSON object per line, plain or compressed.

use std::io::BufRead;
use std::path::Path;

use super::bounded::{BoundedLine, DEFAULT_MAX_DOC_BYTES, read_line_bounded};
use super::decompress::{Compression, open_decompressed};
use super::fields::{FieldMap, id_string, lookup};
use super::{Position, RawDocument, ReadItem, SkipReason, Skipped};

/// Streams documents out of a JSONL file, one line at a time.
pub struct JsonlReader {
    stream: Box<dyn BufRead + Send>,
    fields: FieldMap,
    line: Vec<u8>,
    line_number: u64,
    finished: bool,
    /// How the stream was compressed: decides what a read error means.
    compression: Compression,
    /// Longer lines are skipped as `too_large` without being held in memory.
    max_doc_bytes: u64,
}

impl JsonlReader {
    pub fn open(path: &Path, fields: FieldMap) -> std::io::Result<Self> {
        let (stream, compression) = open_decompressed(path)?;
        Ok(Self::new(stream, fields).with_compression(compression))
    }

    pub fn new(stream: Box<dyn BufRead + Send>, fields: FieldMap) -> Self {
        JsonlReader {
            stream,
            fields,
            line: Vec::with_capacity(64 * 1024),
            line_number: 0,
            finished: false,
            compression: Compression::None,
            max_doc_bytes: DEFAULT_MAX_DOC_BYTES,
        }
    }

    /// Lines (documents) longer than `max_doc_bytes` are skipped as `too_large`.
    pub fn with_max_doc_bytes(mut self, max_doc_bytes: u64) -> Self {
        self.max_doc_bytes = max_doc_bytes;
        self
    }

    /// Tells the reader how its stream was compressed, so read errors are named right.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    fn parse_line(&self, position: Position) -> Option<ReadItem> {
        let bytes = trim_line_end(&self.line);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let skipped = |reason, detail: String| {
            Some(ReadItem::Skipped(Skipped {
                reason,
                position,
                detail,
            }))
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => return skipped(SkipReason::InvalidUtf8, error.to_string()),
        };
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(value @ serde_json::Value::Object(_)) => value,
            Ok(_) => return skipped(SkipReason::InvalidJson, "not a JSON object".to_owned()),
            Err(error) => return skipped(SkipReason::InvalidJson, error.to_string()),
        };
        let Some(document_text) = lookup(&value, &self.fields.text).and_then(text_of) else {
            return skipped(
                SkipReason::MissingText,
                format!(
                    "no field `{}` holding a string or a list of strings",
                    self.fields.text
                ),
            );
        };
        let id = lookup(&value, &self.fields.id).and_then(id_string);
        let url = lookup(&value, &self.fields.url)
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        Some(ReadItem::Document {
            document: RawDocument {
                id,
                url,
                text: document_text,
            },
            position,
        })
    }
}

impl Iterator for JsonlReader {
    type Item = ReadItem;

    fn next(&mut self) -> Option<ReadItem> {
        while !self.finished {
            self.line_number += 1;
            let position = Position::Line(self.line_number);
            match read_line_bounded(&mut *self.stream, &mut self.line, self.max_doc_bytes) {
                Ok(BoundedLine::Eof) => self.finished = true,
                Ok(BoundedLine::Line) => {
                    if let Some(item) = self.parse_line(position) {
                        return Some(item);
                    }
                }
                Ok(BoundedLine::TooLong { bytes }) => {
                    return Some(ReadItem::Skipped(Skipped {
                        reason: SkipReason::TooLarge,
                        position,
                        detail: format!(
                            "a line of {bytes} bytes, over max_doc_bytes {}",
                            self.max_doc_bytes
                        ),
                    }));
                }
                Err(error) => {
                    // A decompression error leaves nothing after it that can be trusted.
                    self.finished = true;
                    return Some(ReadItem::Skipped(Skipped {
                        reason: self.compression.classify(&error),
                        position,
                        detail: error.to_string(),
                    }));
                }
            }
        }
        None
    }
}

/// The text of a field: a string, or a list of strings (sentences, paragraphs) joined with
/// newlines, as some corpora store documents.
fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| item.as_str())
            .collect::<Option<Vec<&str>>>()
            .map(|parts| parts.join("\n")),
        _ => None,
    }
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read(input: &'static [u8]) -> Vec<ReadItem> {
        JsonlReader::new(Box::new(Cursor::new(input)), FieldMap::default()).collect()
    }

    #[test]
    fn maps_fields_and_keeps_line_numbers() {
        let items =
            read(b"{\"id\": 7, \"text\": \"a\", \"url\": \"http://x\"}\n\n{\"text\": \"b\"}\r\n");
        assert_eq!(
            items,
            vec![
                ReadItem::Document {
                    document: RawDocument {
                        id: Some("7".into()),
                        url: Some("http://x".into()),
                        text: "a".into()
                    },
                    position: Position::Line(1)
                },
                ReadItem::Document {
                    document: RawDocument {
                        id: None,
                        url: None,
                        text: "b".into()
                    },
                    position: Position::Line(3)
                },
            ]
        );
    }

    #[test]
    fn bad_lines_are_skipped_with_reasons_and_reading_goes_on() {
        let items =
            read(b"{\"text\": \"ok\"}\n{broken\n\xff\xfe\n[1]\n{\"txt\": 1}\n{\"text\": \"last\"}");
        let reasons: Vec<_> = items
            .iter()
            .map(|item| match item {
                ReadItem::Document { document, .. } => document.text.clone(),
                ReadItem::Skipped(s) => format!("{}@{}", s.reason, s.position),
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "ok",
                "invalid_json@line 2",
                "invalid_utf8@line 3",
                "invalid_json@line 4",
                "missing_text@line 5",
                "last"
            ]
        );
    }

    #[test]
    fn a_list_of_strings_is_joined_into_lines() {
        let fields = FieldMap {
            text: "sentences".into(),
            ..FieldMap::default()
        };
        let input: &[u8] = b"{\"sentences\": [\"One.\", \"Two.\"]}\n{\"sentences\": [1]}\n";
        let items: Vec<_> = JsonlReader::new(Box::new(Cursor::new(input)), fields).collect();
        let ReadItem::Document { document, .. } = &items[0] else {
            panic!("expected a document, got {items:?}");
        };
        assert_eq!(document.text, "One.\nTwo.");
        assert!(matches!(&items[1], ReadItem::Skipped(s) if s.reason == SkipReason::MissingText));
    }

    #[test]
    fn a_line_over_max_doc_bytes_is_skipped_and_the_next_read() {
        let long = format!("{{\"text\": \"{}\"}}\n", "x".repeat(100_000));
        let input = format!("{{\"text\": \"a\"}}\n{long}{{\"text\": \"b\"}}\n");
        let stream = Box::new(std::io::BufReader::with_capacity(1024, Cursor::new(input)));
        let items: Vec<_> = JsonlReader::new(stream, FieldMap::default())
            .with_max_doc_bytes(1000)
            .collect();
        assert_eq!(items.len(), 3);
        assert!(matches!(&items[1], ReadItem::Skipped(s)
            if s.reason == SkipReason::TooLarge && s.position == Position::Line(2)));
        assert!(matches!(&items[2], ReadItem::Document { document, .. } if document.text == "b"));
    }

    #[test]
    fn nested_field_paths() {
        let fields = FieldMap {
            url: "metadata.url".into(),
            ..FieldMap::default()
        };
        let input: &[u8] = b"{\"text\": \"t\", \"metadata\": {\"url\": \"https://a.b/\"}}\n";
        let items: Vec<_> = JsonlReader::new(Box::new(Cursor::new(input)), fields).collect();
        let ReadItem::Document { document, .. } = &items[0] else {
            panic!("expected a document, got {items:?}");
        };
        assert_eq!(document.url.as_deref(), Some("https://a.b/"));
    }
}
