//! WARC/WET/ARC records end to end: decompression detection, record headers, HTTP status
//! and headers, chunked and content codings, charsets and extraction. Every input must
//! give documents or skips, never a panic, and stop.
#![no_main]

use curate_fuzz::ingest::warc::{WebArchiveReader, WebReaderOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = WebReaderOptions {
        max_record_bytes: 1 << 20,
        max_html_bytes: 1 << 20,
        ..WebReaderOptions::default()
    };
    let reader = WebArchiveReader::new(std::io::Cursor::new(data.to_vec()), options);
    // Every item consumes input: far more items than bytes means the reader is stuck.
    let limit = 2 * data.len() + 16;
    assert!(reader.take(limit + 1).count() <= limit, "no progress");
});
