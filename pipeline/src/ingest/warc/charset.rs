//! Decoding a page's bytes to text.
//!
//! Order: a byte-order mark (it overrides any declaration, as in the WHATWG encoding
//! sniffing algorithm), then `charset=` in the HTTP `Content-Type`, then a `<meta charset>`
//! or `<meta http-equiv="Content-Type" content="...; charset=...">` in the first
//! [`META_SCAN_BYTES`] bytes. Without any of these the bytes are UTF-8 when they are valid
//! UTF-8, else windows-1252 (the WHATWG default for undeclared legacy pages). A declared
//! encoding decodes with U+FFFD for invalid bytes.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use memchr::memmem;

/// How far into the page a `<meta>` charset declaration is looked for.
pub(crate) const META_SCAN_BYTES: usize = 4096;

/// The `charset` parameter of a `Content-Type` value, if any.
pub(crate) fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
            .filter(|v| !v.is_empty())
    })
}

/// The charset a `<meta>` tag in the head of the page declares.
fn meta_charset(html: &[u8]) -> Option<&'static Encoding> {
    let head = &html[..html.len().min(META_SCAN_BYTES)];
    let lower = head.to_ascii_lowercase();
    for at in memmem::find_iter(&lower, b"<meta") {
        let tag_end = memchr::memchr(b'>', &lower[at..]).map_or(lower.len(), |e| at + e);
        let tag = &lower[at..tag_end];
        let Some(cs) = memmem::find(tag, b"charset") else {
            continue;
        };
        let rest = &tag[cs + b"charset".len()..];
        let rest = rest.trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"=") else {
            continue;
        };
        let rest = rest.trim_ascii_start();
        let rest = rest
            .strip_prefix(b"\"")
            .or_else(|| rest.strip_prefix(b"'"))
            .unwrap_or(rest);
        let end = rest
            .iter()
            .position(|&b| {
                matches!(b, b'"' | b'\'' | b';' | b'/' | b'>') || b.is_ascii_whitespace()
            })
            .unwrap_or(rest.len());
        if let Some(enc) = Encoding::for_label(&rest[..end]) {
            // A page that says UTF-16 in ASCII bytes is not UTF-16 (WHATWG rule).
            return Some(
                if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                    UTF_8
                } else {
                    enc
                },
            );
        }
    }
    None
}

/// Decodes a page to text following the order in the module docs.
pub(crate) fn decode_page(bytes: &[u8], content_type: Option<&str>) -> String {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned();
    }
    let declared = content_type
        .and_then(charset_param)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .or_else(|| meta_charset(bytes));
    match declared {
        Some(enc) => enc.decode_without_bom_handling(bytes).0.into_owned(),
        None => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_then_meta_then_default() {
        assert_eq!(
            charset_param("text/html; charset=\"ISO-8859-1\""),
            Some("ISO-8859-1")
        );
        assert_eq!(charset_param("text/html"), None);
        // Header wins over meta.
        assert_eq!(
            decode_page(
                b"<meta charset=utf-8>caf\xe9",
                Some("text/html; charset=latin1")
            ),
            "<meta charset=utf-8>café"
        );
        assert_eq!(
            decode_page(b"<meta charset='windows-1251'>\xcf\xf0", None),
            "<meta charset='windows-1251'>Пр"
        );
        assert_eq!(
            decode_page(b"<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=Shift_JIS\">\x93\xfa", None),
            "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=Shift_JIS\">日"
        );
        assert_eq!(decode_page("naïve".as_bytes(), None), "naïve");
        assert_eq!(decode_page(b"na\xefve \x93q\x94", None), "naïve “q”");
        assert_eq!(
            decode_page(b"\xef\xbb\xbfhi", Some("text/html; charset=latin1")),
            "hi"
        );
        assert_eq!(
            decode_page(b"<meta charset=utf-16>x", None),
            "<meta charset=utf-16>x"
        );
    }
}
