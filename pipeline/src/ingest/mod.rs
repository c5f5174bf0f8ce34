//! Readers that turn input files into documents, and the ingest stage that writes them.
//!
//! Every reader is a streaming iterator over [`ReadItem`]s: a document, or a record that was
//! passed over with the reason why. A reader never panics and never stops silently on bad
//! input: what it cannot read becomes a [`ReadItem::Skipped`] naming the position and the
//! reason, and the reader goes on with the next record it can find (or ends, when nothing
//! after the damage can be trusted). Only a file that cannot be opened at all is an `Err`.

pub mod bounded;
pub mod decompress;
pub mod fields;
pub mod jsonl;
pub mod markup;
// The fuzz crate (`fuzz/`) compiles these readers without Arrow.
#[cfg(not(fuzzing))]
pub mod parquet;
pub mod text;
pub mod warc;

use std::fmt;

/// A document as a reader produces it, before the stage adds source and domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDocument {
    /// The id the input gave (JSONL/Parquet id field, `WARC-Record-ID`), if any. The stage
    /// derives a deterministic id from source, file and position when it is absent.
    pub id: Option<String>,
    /// Where the document came from on the web (`WARC-Target-URI`, the URL field).
    pub url: Option<String>,
    /// The text, valid UTF-8 (decoded from the page's charset where needed).
    pub text: String,
}

/// Where in a file a record starts: a 1-based line for line-oriented formats, a 1-based
/// row for Parquet, a byte offset into the (decompressed) stream for record-oriented ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Position {
    Line(u64),
    Row(u64),
    Byte(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(line) => write!(f, "line {line}"),
            Position::Row(row) => write!(f, "row {row}"),
            Position::Byte(offset) => write!(f, "byte offset {offset}"),
        }
    }
}

/// Why a record did not become a document.
///
/// Two families: *damage* (the input is broken: counted, warned about, and fatal when the
/// job is `strict`), and *not a document* (a well-formed record that carries no text we
/// want, such as a WARC `request` or an image payload: counted, never an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    // --- damage ---
    /// Bytes that are not valid UTF-8 where UTF-8 is required (JSONL lines, text files).
    InvalidUtf8,
    /// A JSONL line that does not parse as a JSON object.
    InvalidJson,
    /// The text field is missing or is not a string.
    MissingText,
    /// A compressed stream (gzip, zstd, lz4) ends before its end marker.
    TruncatedCompression,
    /// A compressed stream holds data that does not decompress.
    CorruptCompression,
    /// A WARC/ARC record header that cannot be parsed.
    BadRecordHeader,
    /// A record whose `Content-Length` disagrees with the bytes that follow it.
    BadContentLength,
    /// A record whose block ends before its declared length (end of file inside it).
    TruncatedRecord,
    /// Bytes between records that are not a record (skipped until the next record start).
    GarbageBetweenRecords,
    /// An HTTP payload that cannot be parsed (bad status line, broken chunked encoding).
    BadHttpPayload,
    /// A Parquet row group or column that cannot be read.
    BadParquet,
    /// Any other read error of the underlying file (I/O error mid-file).
    Io,
    // --- not a document ---
    /// A WARC record of a type that carries no document (`request`, `warcinfo`, `metadata`, ...).
    NonDocumentRecord,
    /// A `response`/`resource` whose payload is not HTML or text (images, PDF, ...).
    NonHtmlPayload,
    /// An HTTP response whose status is not 2xx (redirects, errors).
    NonSuccessStatus,
    /// A record that yields no text at all after extraction.
    EmptyText,
    /// A record or page over a configured size or nesting limit (not loaded, not parsed).
    TooLarge,
}

impl SkipReason {
    /// The stable snake_case name used in `_stage.json`, warnings and SQL.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::InvalidUtf8 => "invalid_utf8",
            SkipReason::InvalidJson => "invalid_json",
            SkipReason::MissingText => "missing_text",
            SkipReason::TruncatedCompression => "truncated_compression",
            SkipReason::CorruptCompression => "corrupt_compression",
            SkipReason::BadRecordHeader => "bad_record_header",
            SkipReason::BadContentLength => "bad_content_length",
            SkipReason::TruncatedRecord => "truncated_record",
            SkipReason::GarbageBetweenRecords => "garbage_between_records",
            SkipReason::BadHttpPayload => "bad_http_payload",
            SkipReason::BadParquet => "bad_parquet",
            SkipReason::Io => "io_error",
            SkipReason::NonDocumentRecord => "non_document_record",
            SkipReason::NonHtmlPayload => "non_html_payload",
            SkipReason::NonSuccessStatus => "non_success_status",
            SkipReason::EmptyText => "empty_text",
            SkipReason::TooLarge => "too_large",
        }
    }

    /// Whether this reason means the input is damaged (warned about; fatal when strict).
    pub fn is_damage(self) -> bool {
        !matches!(
            self,
            SkipReason::NonDocumentRecord
                | SkipReason::NonHtmlPayload
                | SkipReason::NonSuccessStatus
                | SkipReason::EmptyText
                | SkipReason::TooLarge
        )
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record that did not become a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub reason: SkipReason,
    pub position: Position,
    /// A human-readable detail for the warning ("Content-Length 370 but the next record
    /// starts after 362 bytes").
    pub detail: String,
}

/// One step of a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadItem {
    Document {
        document: RawDocument,
        position: Position,
    },
    Skipped(Skipped),
}
