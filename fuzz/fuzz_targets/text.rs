//! The plain-text reader in each mode (whole file, lines, sections split by a pattern) with
//! a small document bound.
#![no_main]

use curate_fuzz::ingest::text::{TextReader, TextUnit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, text)) = data.split_first() else {
        return;
    };
    let unit = if mode & 1 == 0 { TextUnit::File } else { TextUnit::Line };
    let stream = Box::new(std::io::BufReader::with_capacity(
        64,
        std::io::Cursor::new(text.to_vec()),
    ));
    let mut reader = TextReader::new(stream, unit).with_max_doc_bytes(64);
    if mode & 2 != 0 {
        reader = reader.split_before(regex::Regex::new("^= [^=].* = $").expect("valid pattern"));
    }
    for _ in reader {}
});
