//! The HTML extractor on arbitrary bytes: charset sniffing, tokenizer, tree, boilerplate
//! removal and rendering must never panic and must stay within their work limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the settings, so every mode is reached.
    let Some((&mode, html)) = data.split_first() else {
        return;
    };
    let mut options = curate_extract::Options::default();
    options.favor = match mode % 3 {
        0 => curate_extract::Favor::Precision,
        1 => curate_extract::Favor::Balanced,
        _ => curate_extract::Favor::Recall,
    };
    options.tables = mode & 4 != 0;
    let _ = curate_extract::extract_bytes(html, &options);
    if let Ok(text) = std::str::from_utf8(html) {
        let _ = curate_extract::visible_text(text, &options.limits);
    }
});
