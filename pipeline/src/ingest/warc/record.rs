//! The record layer: WARC (any `WARC/x.y`) and ARC v1 records from a decompressed stream,
//! with the lenient recovery described in the module docs of [`super`].

use std::io::{self, Read};

use memchr::memchr_iter;

use super::arc::{ArcHeader, is_arc_header_line};
use super::input::{Input, ScanEnd};
use crate::ingest::decompress::{Compression, decompressing_reader};
use crate::ingest::{Position, SkipReason, Skipped};

/// Longest header line accepted (WARC named field, ARC URL line).
const MAX_LINE: usize = 64 * 1024;
/// Largest WARC header block accepted.
const MAX_HEADER_BYTES: usize = 1024 * 1024;
/// How many CR/LF bytes after a block are looked through for the next record start.
const MAX_SEPARATOR: usize = 256;

/// Which legacy format a stream is in, recognised from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    Warc,
    /// ARC v1 (Internet Archive, Common Crawl 2008-2012): records are presented with
    /// WARC-style headers (`WARC-Type` `warcinfo` for the `filedesc://` record,
    /// `response` for the others; `WARC-Target-URI`, `Content-Type` from the URL line).
    Arc,
}

/// One record: its headers and its block, the block cut or extended to where the record
/// really ends when the declared length was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarcRecord {
    pub format: ArchiveFormat,
    /// The version line (`WARC/1.0`, `WARC/0.18`), or `ARC/1` for ARC records.
    pub version: String,
    /// Header fields in file order, names as written (look-ups ignore case), values
    /// trimmed, continuation lines joined with a space.
    pub headers: Vec<(String, String)>,
    pub block: Vec<u8>,
    /// Offset of the record's first byte in the decompressed stream.
    pub offset: u64,
    /// The `Content-Length` (ARC: length field) the header declared.
    pub declared_length: u64,
    /// Set when the declared length did not match where the record ends: says how the
    /// block was cut or extended.
    pub length_mismatch: Option<String>,
}

impl WarcRecord {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers_named(name).next()
    }

    /// Every header of that name (case-insensitive), in file order.
    pub fn headers_named<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`, lower-cased (`response`, `conversion`, ...; empty when absent).
    pub fn record_type(&self) -> String {
        self.header("WARC-Type").unwrap_or("").to_ascii_lowercase()
    }

    pub fn position(&self) -> Position {
        Position::Byte(self.offset)
    }
}

/// One step of [`WarcRecords`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordItem {
    Record(WarcRecord),
    Skipped(Skipped),
}

/// Streaming iterator over the records of a WARC or ARC stream (compressed or not).
pub struct WarcRecords {
    input: Input,
    compression: Compression,
    format: Option<ArchiveFormat>,
    max_record_bytes: u64,
    /// An error found while opening, reported as the first item.
    pending: Option<Skipped>,
    done: bool,
    line: Vec<u8>,
}

/// Whether a line (without its terminator) is a WARC version line: `WARC/` digits `.` digits.
pub(crate) fn is_warc_version_line(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(rest) = line.strip_prefix(b"WARC/") else {
        return false;
    };
    let mut parts = rest.splitn(2, |&b| b == b'.');
    let major = parts.next().unwrap_or(b"");
    let minor = parts.next().unwrap_or(b"");
    !major.is_empty()
        && major.iter().all(u8::is_ascii_digit)
        && !minor.is_empty()
        && minor.iter().all(u8::is_ascii_digit)
}

/// Whether `tail` (bytes at a line start) could be the beginning of a version line:
/// `WARC/<digit>` or, when the bytes stop early, a prefix of it.
fn could_start_version_line(tail: &[u8]) -> bool {
    const PREFIX: &[u8] = b"WARC/";
    let n = tail.len().min(PREFIX.len());
    tail[..n] == PREFIX[..n] && (tail.len() <= PREFIX.len() || tail[PREFIX.len()].is_ascii_digit())
}

fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl WarcRecords {
    /// Reads records from `reader`, decompressing it as its first bytes call for. Blocks
    /// longer than `max_record_bytes` are skipped (not loaded) and reported.
    pub fn new(reader: impl Read + Send + 'static, max_record_bytes: u64) -> Self {
        let (inner, compression, pending): (Box<dyn Read + Send>, _, _) =
            match decompressing_reader(Box::new(reader)) {
                Ok((inner, compression)) => (inner, compression, None),
                Err(err) => (
                    Box::new(io::empty()),
                    Compression::None,
                    Some(Skipped {
                        reason: SkipReason::Io,
                        position: Position::Byte(0),
                        detail: format!("cannot read the stream: {err}"),
                    }),
                ),
            };
        WarcRecords {
            input: Input::new(inner),
            compression,
            format: None,
            max_record_bytes,
            pending,
            done: false,
            line: Vec::new(),
        }
    }

    /// The compression recognised from the stream's first bytes.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Bytes of the decompressed stream consumed so far.
    pub fn consumed(&self) -> u64 {
        self.input.offset()
    }

    /// WARC or ARC, once the first record has been looked at.
    pub fn format(&self) -> Option<ArchiveFormat> {
        self.format
    }

    fn skipped(reason: SkipReason, offset: u64, detail: String) -> RecordItem {
        RecordItem::Skipped(Skipped {
            reason,
            position: Position::Byte(offset),
            detail,
        })
    }

    fn io_error(&mut self, err: &io::Error, offset: u64) -> RecordItem {
        self.done = true;
        let reason = self.compression.classify(err);
        Self::skipped(
            reason,
            offset,
            format!(
                "read error at decompressed offset {}: {err}",
                self.input.offset()
            ),
        )
    }

    fn step(&mut self) -> io::Result<Option<RecordItem>> {
        let format = match self.format {
            Some(format) => format,
            None => {
                let head = self.input.peek(11)?;
                let format = if head.starts_with(b"filedesc://") {
                    ArchiveFormat::Arc
                } else {
                    ArchiveFormat::Warc
                };
                self.format = Some(format);
                format
            }
        };
        match format {
            ArchiveFormat::Warc => self.next_warc(),
            ArchiveFormat::Arc => self.next_arc(),
        }
    }

    /// Skips bytes up to the next line that `is_start` accepts, as one garbage item.
    fn garbage(&mut self, start: u64, is_start: &dyn Fn(&[u8]) -> bool) -> io::Result<RecordItem> {
        let end = self
            .input
            .scan_to_start(None, u64::MAX, MAX_LINE, is_start)?;
        let detail = match end {
            ScanEnd::Found(n) => format!("{n} bytes that are not a record before the next record"),
            _ => format!(
                "{} bytes that are not a record before the end of the stream",
                end.count()
            ),
        };
        Ok(Self::skipped(
            SkipReason::GarbageBetweenRecords,
            start,
            detail,
        ))
    }

    fn next_warc(&mut self) -> io::Result<Option<RecordItem>> {
        self.input.skip_newlines()?;
        let start = self.input.offset();
        if self.input.fill()?.is_empty() {
            return Ok(None);
        }
        let is_version =
            matches!(self.input.peek_line(MAX_LINE)?, Some(line) if is_warc_version_line(line));
        if !is_version {
            return self.garbage(start, &is_warc_version_line).map(Some);
        }
        self.line.clear();
        self.input.read_line(&mut self.line, MAX_LINE)?;
        let version = lossy(trim_line(&self.line));

        let mut headers: Vec<(String, String)> = Vec::new();
        let mut header_bytes = 0usize;
        loop {
            self.line.clear();
            let (n, complete) = self.input.read_line(&mut self.line, MAX_LINE)?;
            if n == 0 {
                self.done = true;
                return Ok(Some(Self::skipped(
                    SkipReason::TruncatedRecord,
                    start,
                    "the stream ends inside the record header".into(),
                )));
            }
            header_bytes += n;
            if !complete || header_bytes > MAX_HEADER_BYTES {
                return self.bad_header(start, "header line or header block too long".into());
            }
            if !self.line.ends_with(b"\n") {
                self.done = true;
                return Ok(Some(Self::skipped(
                    SkipReason::TruncatedRecord,
                    start,
                    "the stream ends inside the record header".into(),
                )));
            }
            let line = trim_line(&self.line);
            if line.is_empty() {
                break;
            }
            if line[0] == b' ' || line[0] == b'\t' {
                if let Some((_, value)) = headers.last_mut() {
                    value.push(' ');
                    value.push_str(lossy(line).trim());
                }
                continue;
            }
            // A line without a colon carries no field; it is passed over.
            if let Some(colon) = memchr::memchr(b':', line) {
                let name = lossy(&line[..colon]).trim().to_string();
                let value = lossy(&line[colon + 1..]).trim().to_string();
                headers.push((name, value));
            }
        }

        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
            .map(|(_, v)| v.parse::<u64>());
        let declared = match length {
            Some(Ok(n)) => n,
            Some(Err(_)) => return self.bad_header(start, "Content-Length is not a number".into()),
            None => return self.bad_header(start, "no Content-Length".into()),
        };

        if declared > self.max_record_bytes {
            return self.skip_large(start, declared);
        }
        let mut block = Vec::with_capacity(usize::try_from(declared.min(1 << 20)).unwrap_or(0));
        let got = self.input.read_exact_into(&mut block, declared)?;
        if got < declared {
            self.done = true;
            return Ok(Some(Self::skipped(
                SkipReason::TruncatedRecord,
                start,
                format!("Content-Length {declared} but the stream ends after {got} bytes"),
            )));
        }
        let length_mismatch = self.fix_block_end(&mut block, declared)?;
        Ok(Some(RecordItem::Record(WarcRecord {
            format: ArchiveFormat::Warc,
            version,
            headers,
            block,
            offset: start,
            declared_length: declared,
            length_mismatch,
        })))
    }

    /// Reports a header that cannot be used and skips to the next record start.
    fn bad_header(&mut self, start: u64, why: String) -> io::Result<Option<RecordItem>> {
        let end = self
            .input
            .scan_to_start(None, u64::MAX, MAX_LINE, &is_warc_version_line)?;
        Ok(Some(Self::skipped(
            SkipReason::BadRecordHeader,
            start,
            format!("{why}; {} bytes skipped to the next record", end.count()),
        )))
    }

    fn skip_large(&mut self, start: u64, declared: u64) -> io::Result<Option<RecordItem>> {
        let got = self.input.skip(declared)?;
        if got < declared {
            self.done = true;
            return Ok(Some(Self::skipped(
                SkipReason::TruncatedRecord,
                start,
                format!("Content-Length {declared} but the stream ends after {got} bytes"),
            )));
        }
        Ok(Some(Self::skipped(
            SkipReason::TooLarge,
            start,
            format!(
                "record block of {declared} bytes is over the limit of {}",
                self.max_record_bytes
            ),
        )))
    }

    /// What follows a block: end of stream, a record start (after CR/LF), or other bytes.
    fn next_is_boundary(&mut self) -> io::Result<bool> {
        let head = self.input.peek(MAX_SEPARATOR)?;
        let Some(skip) = head.iter().position(|&b| b != b'\r' && b != b'\n') else {
            if head.len() < MAX_SEPARATOR {
                return Ok(true);
            }
            // A long run of empty lines: consume it and look again.
            self.input.skip_newlines()?;
            return Ok(self.input.fill()?.is_empty()
                || matches!(self.input.peek_line(MAX_LINE)?, Some(l) if is_warc_version_line(l)));
        };
        Ok(matches!(self.input.peek_line_from(skip, MAX_LINE)?, Some(l) if is_warc_version_line(l)))
    }

    /// Makes the block end where the record really ends when the bytes after it are not
    /// a record start: cut at a record start inside the block (length too long), else
    /// extend to the next record start (length too short). Returns what was done.
    fn fix_block_end(&mut self, block: &mut Vec<u8>, declared: u64) -> io::Result<Option<String>> {
        if self.next_is_boundary()? {
            return Ok(None);
        }
        let starts: Vec<usize> = memchr_iter(b'\n', block)
            .map(|i| i + 1)
            .filter(|&p| p < block.len() && could_start_version_line(&block[p..]))
            .collect();
        for p in starts {
            let tail_len = block.len() - p;
            self.input.unread(&block[p..]);
            if matches!(self.input.peek_line(MAX_LINE)?, Some(l) if is_warc_version_line(l)) {
                block.truncate(p);
                return Ok(Some(format!(
                    "Content-Length {declared} but the next record starts after {p} bytes"
                )));
            }
            self.input.consume(tail_len);
        }
        let room = self.max_record_bytes.saturating_sub(block.len() as u64);
        let end = self
            .input
            .scan_to_start(Some(block), room, MAX_LINE, &is_warc_version_line)?;
        let total = declared + end.count();
        Ok(Some(match end {
            ScanEnd::Found(_) => {
                format!("Content-Length {declared} but the next record starts after {total} bytes")
            }
            ScanEnd::Eof(_) => {
                format!("Content-Length {declared} but the stream ends after {total} bytes")
            }
            ScanEnd::Limit(_) => format!(
                "Content-Length {declared} is too short; the block was extended to the limit of {total} bytes"
            ),
        }))
    }

    fn next_arc(&mut self) -> io::Result<Option<RecordItem>> {
        self.input.skip_newlines()?;
        let start = self.input.offset();
        if self.input.fill()?.is_empty() {
            return Ok(None);
        }
        let header = match self.input.peek_line(MAX_LINE)? {
            Some(line) => ArcHeader::parse(line),
            None => None,
        };
        let Some(header) = header else {
            return self.garbage(start, &is_arc_header_line).map(Some);
        };
        self.line.clear();
        self.input.read_line(&mut self.line, MAX_LINE)?;
        let declared = match &header.length {
            Ok(n) => *n,
            Err(field) => {
                return Ok(Some(Self::skipped(
                    SkipReason::BadRecordHeader,
                    start,
                    format!("ARC record for {} has length field {field:?}", header.url),
                )));
            }
        };
        if declared > self.max_record_bytes {
            return self.skip_large(start, declared);
        }
        let mut block = Vec::with_capacity(usize::try_from(declared.min(1 << 20)).unwrap_or(0));
        let got = self.input.read_exact_into(&mut block, declared)?;
        if got < declared {
            self.done = true;
            return Ok(Some(Self::skipped(
                SkipReason::TruncatedRecord,
                start,
                format!(
                    "ARC record for {} declares {declared} bytes but the stream ends after {got}",
                    header.url
                ),
            )));
        }
        Ok(Some(RecordItem::Record(WarcRecord {
            format: ArchiveFormat::Arc,
            version: "ARC/1".into(),
            headers: header.clone().into_headers(declared),
            block,
            offset: start,
            declared_length: declared,
            length_mismatch: None,
        })))
    }
}

impl Iterator for WarcRecords {
    type Item = RecordItem;

    fn next(&mut self) -> Option<RecordItem> {
        if let Some(skipped) = self.pending.take() {
            self.done = true;
            return Some(RecordItem::Skipped(skipped));
        }
        if self.done {
            return None;
        }
        let start = self.input.offset();
        match self.step() {
            Ok(item) => {
                if item.is_none() {
                    self.done = true;
                }
                item
            }
            Err(err) => Some(self.io_error(&err, start)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_lines() {
        for ok in [
            &b"WARC/1.0"[..],
            b"WARC/0.18\r",
            b"WARC/1.1",
            b"WARC/0.17",
            b"WARC/12.34",
        ] {
            assert!(is_warc_version_line(ok), "{ok:?}");
        }
        for bad in [
            &b"WARC/"[..],
            b"WARC/1",
            b"WARC/1.",
            b"WARC/a.b",
            b"warc/1.0",
            b" WARC/1.0",
            b"WARC/1.0 x",
        ] {
            assert!(!is_warc_version_line(bad), "{bad:?}");
        }
        assert!(could_start_version_line(b"WAR"));
        assert!(could_start_version_line(b"WARC/1.0\n"));
        assert!(!could_start_version_line(b"WARC/x"));
        assert!(!could_start_version_line(b"Hello"));
    }
}
