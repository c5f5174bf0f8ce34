//! Damaged and hostile input: truncated prefixes of every fixture, random bytes, mutated
//! records, limits, and hand-made records for each lenient rule.

use std::io::Write;

use super::tests_support::{count_records, fixture, skips, types};
use super::{RecordItem, WarcRecords, WebArchiveReader, WebReaderOptions};
use crate::ingest::{Position, ReadItem, SkipReason::*};

fn all_fixtures() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in ["warc_format_fixtures", "web_warc_samples"] {
        let root = fixture(&format!("{dir}/PROVENANCE.md"));
        let root = root.parent().unwrap();
        for sub in std::fs::read_dir(root).unwrap() {
            let sub = sub.unwrap().path();
            if sub.is_dir() {
                for file in std::fs::read_dir(&sub).unwrap() {
                    files.push(file.unwrap().path());
                }
            }
        }
    }
    files.sort();
    assert!(files.len() >= 45, "{}", files.len());
    files
}

/// Reads everything and checks the reader ends within a sane number of steps.
fn drain_records(bytes: Vec<u8>) -> usize {
    let limit = bytes.len() + 10;
    let mut n = 0;
    for _ in WarcRecords::new(std::io::Cursor::new(bytes), 1 << 20) {
        n += 1;
        assert!(n <= limit, "reader does not end");
    }
    n
}

fn drain_documents(bytes: Vec<u8>, extract: bool) -> Vec<ReadItem> {
    let options = WebReaderOptions {
        extract,
        ..Default::default()
    };
    let limit = 2 * bytes.len() + 10;
    let items: Vec<ReadItem> = WebArchiveReader::new(std::io::Cursor::new(bytes), options)
        .take(limit + 1)
        .collect();
    assert!(items.len() <= limit, "reader does not end");
    items
}

#[test]
fn truncated_prefixes_of_every_fixture_end_cleanly() {
    for path in all_fixtures() {
        let bytes = std::fs::read(&path).unwrap();
        let cuts = 40.min(bytes.len());
        for i in 0..=cuts {
            let cut = bytes.len() * i / cuts.max(1);
            drain_records(bytes[..cut].to_vec());
        }
        for cut in [1, 2, 3, 5, 9, 17, 33, 100] {
            if cut < bytes.len() {
                drain_records(bytes[..cut].to_vec());
            }
        }
    }
}

#[test]
fn truncated_prefixes_through_extraction() {
    let path = fixture("warc_format_fixtures/warcio/example.warc");
    let bytes = std::fs::read(path).unwrap();
    for cut in (0..bytes.len()).step_by(97) {
        drain_documents(bytes[..cut].to_vec(), true);
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn random_bytes_and_mutations_end_cleanly() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..200 {
        let len = (rng.next() % 4096) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        drain_records(bytes.clone());
        let mut prefixed = b"WARC/1.0\r\nContent-Length: 5\r\n\r\n".to_vec();
        prefixed.extend_from_slice(&bytes);
        drain_documents(prefixed, false);
    }
    let sources = [
        "warc_format_fixtures/warcio/example.warc",
        "warc_format_fixtures/warcio/example-iana.org-chunked.warc",
        "warc_format_fixtures/cc_net/sample.warc.txt",
        "warc_format_fixtures/warcio/example.arc",
        "warc_format_fixtures/warcio/example.warc.gz",
    ];
    for source in sources {
        let original = std::fs::read(fixture(source)).unwrap();
        for _ in 0..60 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.next() % 8 {
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] = match rng.next() % 4 {
                    0 => b'\n',
                    1 => b'9',
                    2 => b'W',
                    _ => rng.next() as u8,
                };
            }
            drain_records(bytes.clone());
            drain_documents(bytes, true);
        }
    }
}

fn warc_record(headers: &str, block: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "WARC/1.0\r\n{headers}Content-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    out.extend_from_slice(block);
    out.extend_from_slice(b"\r\n\r\n");
    out
}

fn html_response(uri: &str, html: &str) -> Vec<u8> {
    let block = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n{html}");
    warc_record(
        &format!(
            "WARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Target-URI: {uri}\r\nContent-Type: application/http; msgtype=response\r\n"
        ),
        block.as_bytes(),
    )
}

fn reasons(items: &[ReadItem]) -> Vec<String> {
    items
        .iter()
        .map(|item| match item {
            ReadItem::Document { .. } => "document".to_string(),
            ReadItem::Skipped(s) => s.reason.to_string(),
        })
        .collect()
}

const ARTICLE: &str = "<html><body><article><p>Rivers carry sediment from the mountains to the sea over thousands of years, shaping valleys and deltas along the way.</p><p>Engineers study these flows to plan bridges, dams and flood defences that last.</p></article></body></html>";

#[test]
fn deep_nesting_is_flattened_not_overflowed() {
    let deep = format!(
        "<html><body>{}<p>deep text</p>{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let mut bytes = html_response("http://deep.example/", &deep);
    bytes.extend(html_response("http://ok.example/", ARTICLE));
    let items = drain_documents(bytes, true);
    assert_eq!(reasons(&items), ["document", "document"]);
    let ReadItem::Document { document, .. } = &items[0] else {
        unreachable!()
    };
    assert_eq!(document.text, "deep text");
}

#[test]
fn size_limits() {
    let mut bytes = html_response("http://big.example/", &"x".repeat(5000));
    bytes.extend(html_response("http://ok.example/", ARTICLE));
    let options = WebReaderOptions {
        max_record_bytes: 4096,
        ..Default::default()
    };
    let items: Vec<ReadItem> =
        WebArchiveReader::new(std::io::Cursor::new(bytes.clone()), options).collect();
    assert_eq!(reasons(&items), ["too_large", "document"]);
    let options = WebReaderOptions {
        max_html_bytes: 1000,
        ..Default::default()
    };
    let items: Vec<ReadItem> =
        WebArchiveReader::new(std::io::Cursor::new(bytes), options).collect();
    assert_eq!(reasons(&items), ["too_large", "document"]);
}

#[test]
fn documents_keep_uri_and_id_and_offsets() {
    let first = html_response("<http://wget.example/a b>", ARTICLE);
    let mut bytes = first.clone();
    bytes.extend(html_response("http://example.com/ü?q=1 2", ARTICLE));
    let items = drain_documents(bytes, true);
    let docs: Vec<_> = items
        .iter()
        .map(|item| match item {
            ReadItem::Document { document, position } => (
                document.url.clone().unwrap(),
                document.id.clone().unwrap(),
                *position,
            ),
            ReadItem::Skipped(s) => panic!("{s:?}"),
        })
        .collect();
    assert_eq!(
        docs[0],
        (
            "http://wget.example/a b".into(),
            "urn:uuid:1".into(),
            Position::Byte(0)
        )
    );
    assert_eq!(
        docs[1],
        (
            "http://example.com/ü?q=1 2".into(),
            "urn:uuid:1".into(),
            Position::Byte(first.len() as u64)
        )
    );
}

#[test]
fn lf_only_records_with_continuation_lines() {
    let text = "WARC/1.1\nWARC-Type: conversion\nWARC-Target-URI: http://a.example/\nX-Long: one\n  two\nContent-Length: 6\n\nhello\n\n\nWARC/1.1\nWARC-Type: request\nContent-Length: 0\n\n";
    let records: Vec<RecordItem> =
        WarcRecords::new(std::io::Cursor::new(text.as_bytes().to_vec()), 1 << 20).collect();
    assert_eq!(records.len(), 2);
    let RecordItem::Record(first) = &records[0] else {
        panic!()
    };
    assert_eq!(first.header("x-long"), Some("one two"));
    assert_eq!(first.block, b"hello\n");
    assert_eq!(first.length_mismatch, None);
    let RecordItem::Record(second) = &records[1] else {
        panic!()
    };
    assert_eq!(
        second.offset,
        text.find("WARC/1.1\nWARC-Type: request").unwrap() as u64
    );
}

#[test]
fn garbage_before_and_between_records() {
    let mut bytes = b"junk line\nmore junk\n".to_vec();
    bytes.extend(warc_record(
        "WARC-Type: request\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
    ));
    bytes.extend(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: x\r\n\r\nbody\r\n\r\n");
    bytes.extend(warc_record("WARC-Type: request\r\n", b""));
    let counts = count_records(WarcRecords::new(std::io::Cursor::new(bytes), 1 << 20));
    assert_eq!(counts.types, types(&[("request", 2)]));
    assert_eq!(
        counts.skipped,
        skips(&[(GarbageBetweenRecords, 1), (BadRecordHeader, 1)])
    );
}

#[test]
fn overshooting_length_is_cut_even_inside_the_version_line() {
    // The declared length runs 3 bytes into the next record's version line.
    let next = warc_record("WARC-Type: request\r\n", b"GET / HTTP/1.1\r\n\r\n");
    let body = b"some text\r\n";
    let mut bytes = format!(
        "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: {}\r\n\r\n",
        body.len() + 4 + 3
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes.extend_from_slice(b"\r\n\r\n");
    bytes.extend(&next);
    let records: Vec<RecordItem> = WarcRecords::new(std::io::Cursor::new(bytes), 1 << 20).collect();
    assert_eq!(records.len(), 2, "{records:?}");
    let RecordItem::Record(first) = &records[0] else {
        panic!()
    };
    assert_eq!(first.block, b"some text\r\n\r\n\r\n");
    assert!(first.length_mismatch.is_some());
    let RecordItem::Record(second) = &records[1] else {
        panic!()
    };
    assert_eq!(second.record_type(), "request");
    assert_eq!(second.block, b"GET / HTTP/1.1\r\n\r\n");
}

#[test]
fn eof_inside_block_is_truncated_record() {
    let mut bytes = warc_record("WARC-Type: request\r\n", b"");
    bytes.extend(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 100\r\n\r\nonly a little");
    let counts = count_records(WarcRecords::new(std::io::Cursor::new(bytes), 1 << 20));
    assert_eq!(counts.types, types(&[("request", 1)]));
    assert_eq!(counts.skipped, skips(&[(TruncatedRecord, 1)]));
}

#[test]
fn truncated_gzip_member_mid_stream() {
    let mut bytes = Vec::new();
    for i in 0..3 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&warc_record(
            "WARC-Type: request\r\n",
            format!("GET /{i} HTTP/1.1\r\n\r\n").as_bytes(),
        ))
        .unwrap();
        bytes.extend(gz.finish().unwrap());
    }
    bytes.truncate(bytes.len() - 30);
    let counts = count_records(WarcRecords::new(std::io::Cursor::new(bytes), 1 << 20));
    assert_eq!(counts.types, types(&[("request", 2)]));
    assert_eq!(counts.skipped, skips(&[(TruncatedCompression, 1)]));
}

#[test]
fn readers_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<WarcRecords>();
    assert_send::<WebArchiveReader>();
}
