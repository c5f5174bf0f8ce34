//! The JSONL reader on arbitrary (possibly compressed) bytes with a small document bound,
//! so the chunked skipping of long lines is exercised too.
#![no_main]

use curate_fuzz::ingest::decompress::decompressing_reader;
use curate_fuzz::ingest::fields::FieldMap;
use curate_fuzz::ingest::jsonl::JsonlReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok((stream, compression)) = decompressing_reader(input) else {
        return;
    };
    let stream = Box::new(std::io::BufReader::with_capacity(64, stream));
    let fields = FieldMap {
        url: "metadata.url".into(),
        ..FieldMap::default()
    };
    let reader = JsonlReader::new(stream, fields)
        .with_compression(compression)
        .with_max_doc_bytes(256);
    for _ in reader {}
});
