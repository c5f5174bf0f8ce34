//! WARC, WET and ARC readers.
//!
//! [`open_web_archive`] turns a web archive into [`ReadItem`]s: one document per HTML page
//! (`response` records, `resource` records with an HTML type, ARC records) or WET
//! `conversion` record, and a [`Skipped`] for everything else. Layers, one file each:
//! decompression sniffed from the first bytes ([`crate::ingest::decompress`]: gzip per record or whole
//! file, zstd, LZ4 frame, plain), the record parser ([`record`], with ARC v1 lines in
//! `arc`), the HTTP payload (`http`), the charset (`charset`) and main-text extraction
//! (`extract`). Only one record is in memory at a time; a block longer than
//! [`WebReaderOptions::max_record_bytes`] is skipped without being loaded.
//!
//! # Lenient record boundaries
//!
//! `Content-Length` is trusted when the bytes after the block (after any CR/LF) begin a
//! record (`WARC/<digits>.<digits>` line) or end the stream. Otherwise the record is taken
//! to end where the next record really starts:
//! - *length too long*: when a line inside the block begins a record (checked against
//!   the bytes that follow the block, so a version line cut by the block end is found),
//!   the block is cut there and the rest is read again as the next record;
//! - *length too short*: the block is extended up to the next line that begins a record,
//!   or the end of the stream (at most `max_record_bytes`).
//!
//! Such a record still becomes a document (or its usual skip), and is followed by one
//! [`SkipReason::BadContentLength`] item at the same position: the input is damaged, so
//! it is counted and makes a strict job fail, but no text is lost. Bytes before the first
//! record, or after a record that could not be parsed, are skipped up to the next record
//! start as one [`SkipReason::GarbageBetweenRecords`] item. The end of the stream inside
//! a header or block is [`SkipReason::TruncatedRecord`]; a compressed stream that ends
//! early or does not decode ends the reader with [`SkipReason::TruncatedCompression`] or
//! [`SkipReason::CorruptCompression`] for the record being read.
//!
//! What this reads beyond a strict reader (warcio), by file of the test corpora:
//! - ClueWeb09 (`WARC/0.18`, no blank line between records, one gzip member for the
//!   whole file): the lengths are right and CR/LF between records is optional here, so
//!   all records are read (warcinfo 1 + response 23) with no damage reported.
//! - ClueWeb12 and warcio's `example-bad*.warc.gz` (one gzip member for the whole file):
//!   read sequentially like any other gzip stream (ClueWeb12: warcinfo 1 + response 3).
//! - warcio's `example-wrong-chunks.warc.gz` (gzip members that do not align with
//!   records): the decompressed stream is a valid WARC, read as such.
//! - cc_net's hand-written WET sample (all four lengths wrong): warcinfo 1 + conversion 3
//!   with their full text, and 4 `BadContentLength` items.
//! - warcio's `example-trunc.warc` (2 bytes more than declared after a response): the
//!   response is extended over them and reported as `BadContentLength`.
//! - ARC records with a length field that is not a number (warcio reads them as empty
//!   records) are [`SkipReason::BadRecordHeader`]; in warcio's `bad.arc` that includes
//!   the `filedesc` record, whose version lines are then one garbage item (response 1,
//!   3 bad headers, 1 garbage item).
//!
//! And one place where it reads less: warcio's `example-space-in-url.arc` declares 1591
//! bytes for its last record but 1579 follow. warcio returns the short record; here the
//! end of the stream inside a block is [`SkipReason::TruncatedRecord`], as for any file
//! cut short.
//!
//! # Documents
//!
//! HTTP payloads lose chunked transfer coding and gzip, deflate, brotli or zstd content
//! coding only when the bytes really are chunked or compressed (Common Crawl keeps the
//! original headers on decoded bodies); a payload that claims a coding and does not decode
//! is [`SkipReason::BadHttpPayload`]. A non-2xx status is [`SkipReason::NonSuccessStatus`].
//! Only HTML and XHTML become documents (by `Content-Type`, or by sniffing `<html`/
//! `<!doctype html` when the type is missing); `text/plain` and everything else is
//! [`SkipReason::NonHtmlPayload`], since plain-text responses in crawls are mostly
//! robots.txt, logs and feeds rather than prose. Pages over
//! [`WebReaderOptions::max_html_bytes`] are [`SkipReason::TooLarge`], and so are pages
//! whose extraction runs past its time budget. The page is decoded by its declared charset
//! (`charset`) and its main text extracted by `curate_extract` with
//! [`WebReaderOptions::extraction`] (`extract`); elements nested deeper than its depth limit
//! are flattened, so no page is too deep to read. WET `conversion` records are text already
//! (UTF-8, invalid bytes replaced). `request`, `warcinfo`, `metadata`, `revisit` and
//! unknown types are [`SkipReason::NonDocumentRecord`].
//!
//! [`record_page`] gives what extraction finds beyond the text (the page's title and
//! language hint), which the document schema has no place for; `curate extract` prints it.

pub mod record;

mod arc;
mod charset;
mod extract;
mod http;
mod input;

#[cfg(test)]
mod tests_corpora;
#[cfg(test)]
mod tests_robustness;
#[cfg(test)]
pub(crate) mod tests_support;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use crate::ingest::decompress::Compression;
pub use record::{ArchiveFormat, RecordItem, WarcRecord, WarcRecords};

pub use extract::PageText;

use crate::ingest::{RawDocument, ReadItem, SkipReason, Skipped};
use http::Decoded;

/// Names the main-text extractor and its revision; part of the ingest stage's fingerprint
/// for web archives, so a run made with another extractor is redone.
pub const EXTRACTOR: &str = "curate-extract 2";

/// Limits and switches of the web archive reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebReaderOptions {
    /// Record blocks longer than this are skipped without being loaded.
    pub max_record_bytes: u64,
    /// Pages (after decoding the HTTP payload) longer than this are not extracted.
    pub max_html_bytes: usize,
    /// Extract the main text; `false` yields the decoded HTML itself (for debugging).
    pub extract: bool,
    /// How the main text is extracted. Its `limits.max_input_bytes` is not used: pages
    /// over `max_html_bytes` are skipped whole before decoding instead of cut.
    pub extraction: curate_extract::Options,
}

impl Default for WebReaderOptions {
    fn default() -> Self {
        WebReaderOptions {
            max_record_bytes: 64 * 1024 * 1024,
            max_html_bytes: 8 * 1024 * 1024,
            extract: true,
            extraction: curate_extract::Options::default(),
        }
    }
}

/// Why a web archive cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Opens a WARC, WET or ARC file (compressed or not) as a stream of [`ReadItem`]s.
pub fn open_web_archive(
    path: &Path,
    options: &WebReaderOptions,
) -> Result<WebArchiveReader, WarcError> {
    let input = crate::ingest::decompress::open_input(path).map_err(|source| WarcError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(WebArchiveReader::new(input, options.clone()))
}

/// Whether a file holds a web archive: its name ends in `.warc`, `.arc`, `.wet` or `.wat`
/// (before any `.gz`, `.zst`, `.lz4`), or its first line, once decompressed, is a WARC
/// version line or an ARC `filedesc://` line. A file that cannot be read is not one.
pub fn is_web_archive(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let stem = ["gz", "zst", "lz4"]
        .iter()
        .find_map(|ext| name.strip_suffix(&format!(".{ext}")))
        .unwrap_or(&name);
    if [".warc", ".arc", ".wet", ".wat"]
        .iter()
        .any(|ext| stem.ends_with(ext))
    {
        return true;
    }
    let Ok((stream, _)) = crate::ingest::decompress::open_decompressed(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(256);
    if stream.take(256).read_to_end(&mut head).is_err() {
        return false;
    }
    let start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(head.len());
    let head = &head[start..];
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    record::is_warc_version_line(first_line) || head.starts_with(b"filedesc://")
}

/// Documents and skipped records of one web archive, in file order.
pub struct WebArchiveReader {
    records: WarcRecords,
    options: WebReaderOptions,
    /// A second item produced by the last record (its length mismatch).
    queued: Option<ReadItem>,
}

impl WebArchiveReader {
    pub fn new(reader: impl Read + Send + 'static, options: WebReaderOptions) -> Self {
        WebArchiveReader {
            records: WarcRecords::new(reader, options.max_record_bytes),
            options,
            queued: None,
        }
    }
}

impl Iterator for WebArchiveReader {
    type Item = ReadItem;

    fn next(&mut self) -> Option<ReadItem> {
        if let Some(item) = self.queued.take() {
            return Some(item);
        }
        let record = match self.records.next()? {
            RecordItem::Skipped(skipped) => return Some(ReadItem::Skipped(skipped)),
            RecordItem::Record(record) => record,
        };
        if let Some(detail) = &record.length_mismatch {
            self.queued = Some(ReadItem::Skipped(Skipped {
                reason: SkipReason::BadContentLength,
                position: record.position(),
                detail: format!("{detail}; the record was read to there"),
            }));
        }
        Some(record_item(&record, &self.options))
    }
}

/// The item one record becomes.
pub fn record_item(record: &WarcRecord, options: &WebReaderOptions) -> ReadItem {
    match record_page(record, options) {
        Ok(page) => ReadItem::Document {
            document: RawDocument {
                id: record_id(record),
                url: record_url(record),
                text: page.text,
            },
            position: record.position(),
        },
        Err(skipped) => ReadItem::Skipped(skipped),
    }
}

/// What one record yields as a page: its text with the title and language hint of an
/// HTML page (empty for WET conversions and unextracted HTML), or why it yields nothing.
pub fn record_page(record: &WarcRecord, options: &WebReaderOptions) -> Result<PageText, Skipped> {
    record_text(record, options).map_err(|(reason, detail)| Skipped {
        reason,
        position: record.position(),
        detail,
    })
}

/// The record's target URI, without the `<...>` wget writes around it.
pub fn record_url(record: &WarcRecord) -> Option<String> {
    record.header("WARC-Target-URI").map(strip_angle_brackets)
}

type Outcome = Result<PageText, (SkipReason, String)>;

fn record_id(record: &WarcRecord) -> Option<String> {
    match record.format {
        ArchiveFormat::Warc => record.header("WARC-Record-ID").map(strip_angle_brackets),
        ArchiveFormat::Arc => None,
    }
}

/// `<urn:uuid:...>` → `urn:uuid:...`; wget's `<http://...>` target URIs likewise.
fn strip_angle_brackets(value: &str) -> String {
    value
        .strip_prefix('<')
        .and_then(|v| v.strip_suffix('>'))
        .unwrap_or(value)
        .to_string()
}

fn record_text(record: &WarcRecord, options: &WebReaderOptions) -> Outcome {
    let record_type = record.record_type();
    let content_type = record.header("Content-Type");
    match (record.format, record_type.as_str()) {
        (_, "response") if record.block.starts_with(b"HTTP/") => {
            http_text(&record.block, content_type, options)
        }
        (ArchiveFormat::Arc, "response") => page_text(&record.block, content_type, options),
        (ArchiveFormat::Warc, "response") => {
            let is_http = content_type
                .is_none_or(|ct| ct.to_ascii_lowercase().starts_with("application/http"));
            if is_http {
                let start: String =
                    String::from_utf8_lossy(&record.block[..record.block.len().min(40)]).into();
                Err((
                    SkipReason::BadHttpPayload,
                    format!("response block does not start with an HTTP status line: {start:?}"),
                ))
            } else {
                page_text(&record.block, content_type, options)
            }
        }
        (_, "resource") => page_text(&record.block, content_type, options),
        (_, "conversion") => {
            let text = String::from_utf8_lossy(&record.block);
            let text = text.trim();
            if text.is_empty() {
                Err((
                    SkipReason::EmptyText,
                    "conversion record has no text".into(),
                ))
            } else {
                Ok(PageText {
                    text: text.to_string(),
                    ..PageText::default()
                })
            }
        }
        (_, other) => Err((
            SkipReason::NonDocumentRecord,
            format!(
                "record type {:?}",
                if other.is_empty() { "(none)" } else { other }
            ),
        )),
    }
}

/// An HTTP response block: status, codings, then the page.
fn http_text(block: &[u8], fallback_type: Option<&str>, options: &WebReaderOptions) -> Outcome {
    let response = http::parse_response(block).map_err(|e| (SkipReason::BadHttpPayload, e))?;
    if !(200..300).contains(&response.status) {
        return Err((
            SkipReason::NonSuccessStatus,
            format!("HTTP status {}", response.status),
        ));
    }
    // An ARC's MIME field describes the payload; a WARC's Content-Type the HTTP message.
    let content_type = response
        .header("Content-Type")
        .or(fallback_type.filter(|t| !t.to_ascii_lowercase().starts_with("application/http")));
    let chunked = response
        .header("Transfer-Encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let dechunked = if chunked {
        http::dechunk(response.payload, options.max_html_bytes)
    } else {
        None
    };
    let payload = dechunked.as_deref().unwrap_or(response.payload);
    match http::decode_content(
        payload,
        response.header("Content-Encoding"),
        options.max_html_bytes,
    ) {
        Decoded::Unchanged => page_text(payload, content_type, options),
        Decoded::Bytes(bytes) => page_text(&bytes, content_type, options),
        Decoded::Failed(why) => Err((SkipReason::BadHttpPayload, why)),
    }
}

/// Whether a payload is HTML, by its declared type or (when none) by its first bytes.
fn is_html(bytes: &[u8], content_type: Option<&str>) -> bool {
    let media = content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match media.as_str() {
        "text/html" | "application/xhtml+xml" => true,
        "" | "unknown" | "unk" | "no-type" | "application/octet-stream" => {
            let start = bytes.trim_ascii_start();
            let head = start[..start.len().min(64)].to_ascii_lowercase();
            head.starts_with(b"<!doctype html") || head.starts_with(b"<html")
        }
        _ => false,
    }
}

/// A page's text: type check, limits, charset, extraction.
pub(crate) fn page_text(
    bytes: &[u8],
    content_type: Option<&str>,
    options: &WebReaderOptions,
) -> Outcome {
    if !is_html(bytes, content_type) {
        return Err((
            SkipReason::NonHtmlPayload,
            format!("payload type {:?}", content_type.unwrap_or("(none)")),
        ));
    }
    if bytes.len() > options.max_html_bytes {
        return Err((
            SkipReason::TooLarge,
            format!(
                "page of {} bytes is over the limit of {}",
                bytes.len(),
                options.max_html_bytes
            ),
        ));
    }
    let html = charset::decode_page(bytes, content_type);
    if !options.extract {
        return Ok(PageText {
            text: html,
            ..PageText::default()
        });
    }
    extract::main_text(&html, &options.extraction)
}
