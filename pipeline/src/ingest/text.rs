//! Plain-text reader: the whole file as one document, or one document per line.

use std::io::{BufRead, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::bounded::{BoundedLine, DEFAULT_MAX_DOC_BYTES, read_line_bounded};
use super::decompress::{Compression, open_decompressed};
use super::{Position, RawDocument, ReadItem, SkipReason, Skipped};

/// How a plain-text file is cut into documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextUnit {
    /// The whole file is one document (books, filings).
    #[default]
    File,
    /// Every non-blank line is a document (sentence lists, headlines).
    Line,
}

/// Streams documents out of a plain-text file.
pub struct TextReader {
    stream: Box<dyn BufRead + Send>,
    unit: TextUnit,
    /// A line matching this starts a new document (whole-file mode only).
    split_before: Option<regex::Regex>,
    /// The first line of the next document, read while ending the previous one.
    pending: Option<(String, u64)>,
    buffer: Vec<u8>,
    line_number: u64,
    finished: bool,
    /// How the stream was compressed: decides what a read error means.
    compression: Compression,
    /// Larger documents (files, lines, sections) are skipped as `too_large`, read past in
    /// bounded chunks rather than loaded.
    max_doc_bytes: u64,
}

impl TextReader {
    pub fn open(path: &Path, unit: TextUnit) -> std::io::Result<Self> {
        let (stream, compression) = open_decompressed(path)?;
        Ok(Self::new(stream, unit).with_compression(compression))
    }

    pub fn new(stream: Box<dyn BufRead + Send>, unit: TextUnit) -> Self {
        TextReader {
            stream,
            unit,
            split_before: None,
            pending: None,
            buffer: Vec::new(),
            line_number: 0,
            finished: false,
            compression: Compression::None,
            max_doc_bytes: DEFAULT_MAX_DOC_BYTES,
        }
    }

    /// Documents larger than `max_doc_bytes` are skipped as `too_large`.
    pub fn with_max_doc_bytes(mut self, max_doc_bytes: u64) -> Self {
        self.max_doc_bytes = max_doc_bytes;
        self
    }

    /// Cuts a file into documents at every line matching `regex` (the matching line starts
    /// the new document). Lines before the first match form a document of their own.
    pub fn split_before(mut self, regex: regex::Regex) -> Self {
        self.split_before = Some(regex);
        self
    }

    fn next_section(&mut self) -> Option<ReadItem> {
        let (mut text, start) = match self.pending.take() {
            Some(pending) => pending,
            None => (String::new(), self.line_number + 1),
        };
        // The section outgrew `max_doc_bytes`: its lines are read past, not kept.
        let mut too_large = false;
        loop {
            match read_line_bounded(&mut *self.stream, &mut self.buffer, self.max_doc_bytes) {
                Ok(BoundedLine::Eof) => {
                    self.finished = true;
                    break;
                }
                Ok(BoundedLine::Line) => self.line_number += 1,
                Ok(BoundedLine::TooLong { .. }) => {
                    self.line_number += 1;
                    too_large = true;
                    text = String::new();
                    continue;
                }
                Err(error) => {
                    self.finished = true;
                    return Some(skipped(
                        self.compression.classify(&error),
                        Position::Line(self.line_number + 1),
                        error.to_string(),
                    ));
                }
            }
            let line = match std::str::from_utf8(&self.buffer) {
                Ok(line) => line,
                Err(error) => {
                    return Some(skipped(
                        SkipReason::InvalidUtf8,
                        Position::Line(self.line_number),
                        error.to_string(),
                    ));
                }
            };
            let starts_new = self
                .split_before
                .as_ref()
                .is_some_and(|r| r.is_match(line.trim_end_matches(['\n', '\r'])));
            if starts_new && (too_large || !text.trim().is_empty()) {
                self.pending = Some((line.to_owned(), self.line_number));
                return Some(self.section(text, start, too_large));
            }
            if too_large || text.len() + line.len() > self.max_doc_bytes as usize {
                too_large = true;
                text = String::new();
            } else {
                text.push_str(line);
            }
        }
        if too_large {
            Some(self.section(text, start, too_large))
        } else if text.trim().is_empty() {
            None
        } else {
            Some(document(text.trim().to_owned(), Position::Line(start)))
        }
    }

    /// The document of a section that started on line `start`, or its skip when it was over
    /// `max_doc_bytes`.
    fn section(&self, text: String, start: u64, too_large: bool) -> ReadItem {
        if too_large {
            skipped(
                SkipReason::TooLarge,
                Position::Line(start),
                format!("a section over max_doc_bytes {}", self.max_doc_bytes),
            )
        } else {
            document(text.trim().to_owned(), Position::Line(start))
        }
    }

    /// Tells the reader how its stream was compressed, so read errors are named right.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    fn next_file(&mut self) -> Option<ReadItem> {
        self.finished = true;
        let position = Position::Line(1);
        // One byte over the bound is enough to know the file is too large.
        let limit = self.max_doc_bytes.saturating_add(1);
        if let Err(error) = (&mut self.stream).take(limit).read_to_end(&mut self.buffer) {
            return Some(skipped(
                self.compression.classify(&error),
                position,
                error.to_string(),
            ));
        }
        if self.buffer.len() as u64 > self.max_doc_bytes {
            self.buffer = Vec::new();
            return Some(skipped(
                SkipReason::TooLarge,
                position,
                format!("a file over max_doc_bytes {}", self.max_doc_bytes),
            ));
        }
        let bytes = std::mem::take(&mut self.buffer);
        let bytes = bytes
            .strip_prefix(b"\xef\xbb\xbf")
            .map(<[u8]>::to_vec)
            .unwrap_or(bytes);
        match String::from_utf8(bytes) {
            Ok(text) if text.trim().is_empty() => Some(skipped(
                SkipReason::EmptyText,
                position,
                "file holds no text".into(),
            )),
            Ok(text) => Some(document(text, position)),
            Err(error) => Some(skipped(
                SkipReason::InvalidUtf8,
                Position::Byte(error.utf8_error().valid_up_to() as u64),
                error.to_string(),
            )),
        }
    }

    fn next_line(&mut self) -> Option<ReadItem> {
        loop {
            self.line_number += 1;
            let position = Position::Line(self.line_number);
            match read_line_bounded(&mut *self.stream, &mut self.buffer, self.max_doc_bytes) {
                Ok(BoundedLine::Eof) => {
                    self.finished = true;
                    return None;
                }
                Ok(BoundedLine::Line) => {}
                Ok(BoundedLine::TooLong { bytes }) => {
                    return Some(skipped(
                        SkipReason::TooLarge,
                        position,
                        format!(
                            "a line of {bytes} bytes, over max_doc_bytes {}",
                            self.max_doc_bytes
                        ),
                    ));
                }
                Err(error) => {
                    self.finished = true;
                    return Some(skipped(
                        self.compression.classify(&error),
                        position,
                        error.to_string(),
                    ));
                }
            }
            let line = self.buffer.strip_suffix(b"\n").unwrap_or(&self.buffer);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line = if self.line_number == 1 {
                line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
            } else {
                line
            };
            match std::str::from_utf8(line) {
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => return Some(document(text.to_owned(), position)),
                Err(error) => {
                    return Some(skipped(
                        SkipReason::InvalidUtf8,
                        position,
                        error.to_string(),
                    ));
                }
            }
        }
    }
}

impl Iterator for TextReader {
    type Item = ReadItem;

    fn next(&mut self) -> Option<ReadItem> {
        if self.finished {
            return None;
        }
        if self.split_before.is_some() {
            return self.next_section();
        }
        match self.unit {
            TextUnit::File => self.next_file(),
            TextUnit::Line => self.next_line(),
        }
    }
}

/// A document read at `position`, with no id or URL of its own.
pub(crate) fn document(text: String, position: Position) -> ReadItem {
    ReadItem::Document {
        document: RawDocument {
            id: None,
            url: None,
            text,
        },
        position,
    }
}

/// A record passed over at `position`, and why.
pub(crate) fn skipped(reason: SkipReason, position: Position, detail: String) -> ReadItem {
    ReadItem::Skipped(Skipped {
        reason,
        position,
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn texts(input: &'static [u8], unit: TextUnit) -> Vec<String> {
        describe(TextReader::new(Box::new(Cursor::new(input)), unit))
    }

    /// Each item as `position: text` or `position: reason`.
    fn describe(reader: TextReader) -> Vec<String> {
        reader
            .map(|item| match item {
                ReadItem::Document { document, position } => {
                    format!("{position}: {}", document.text)
                }
                ReadItem::Skipped(s) => format!("{}: {}", s.position, s.reason),
            })
            .collect()
    }

    #[test]
    fn one_document_per_file() {
        assert_eq!(
            texts(b"\xef\xbb\xbfa\nb\n", TextUnit::File),
            ["line 1: a\nb\n"]
        );
        assert_eq!(texts(b" \n", TextUnit::File), ["line 1: empty_text"]);
        assert_eq!(
            texts(b"ok\xff", TextUnit::File),
            ["byte offset 2: invalid_utf8"]
        );
    }

    fn bounded(input: &'static [u8], unit: TextUnit, split: Option<&str>) -> Vec<String> {
        let mut reader = TextReader::new(Box::new(Cursor::new(input)), unit).with_max_doc_bytes(8);
        if let Some(pattern) = split {
            reader = reader.split_before(regex::Regex::new(pattern).unwrap());
        }
        describe(reader)
    }

    #[test]
    fn documents_over_max_doc_bytes_are_skipped() {
        assert_eq!(
            bounded(b"12345678", TextUnit::File, None),
            ["line 1: 12345678"]
        );
        assert_eq!(
            bounded(b"123456789", TextUnit::File, None),
            ["line 1: too_large"]
        );
        assert_eq!(
            bounded(
                b"a
123456789
b
",
                TextUnit::Line,
                None
            ),
            ["line 1: a", "line 2: too_large", "line 3: b"]
        );
        assert_eq!(
            bounded(
                b"= A
x
= B
1234
5678
= C
z
",
                TextUnit::File,
                Some("^= ")
            ),
            ["line 1: = A\nx", "line 3: too_large", "line 6: = C\nz"]
        );
    }

    #[test]
    fn one_document_per_line_skipping_blank_lines() {
        assert_eq!(
            texts(b"a\r\n\n  \nb\xff\nc", TextUnit::Line),
            ["line 1: a", "line 4: invalid_utf8", "line 5: c"]
        );
    }
}
