//! Bytes to text: UTF-8 when valid, else the charset the page declares, else windows-1252.

use std::borrow::Cow;

use encoding_rs::{Encoding, WINDOWS_1252};

/// How far into the page a `charset=` declaration is looked for.
const SNIFF_BYTES: usize = 4096;

/// Decodes HTML bytes. Valid UTF-8 is taken as is (pages that declare a legacy charset but
/// are UTF-8 are common); otherwise the declared charset decodes the page, falling back to
/// windows-1252, which maps every byte. Never fails; undecodable bytes become U+FFFD.
pub fn decode_html(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let encoding = declared_charset(&bytes[..bytes.len().min(SNIFF_BYTES)])
        .filter(|e| *e != encoding_rs::UTF_8)
        .unwrap_or(WINDOWS_1252);
    let (text, _, _) = encoding.decode(bytes);
    text
}

/// The encoding named by the first `charset=` in `head`.
fn declared_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower = head.to_ascii_lowercase();
    let at = memchr::memmem::find(&lower, b"charset=")? + b"charset=".len();
    let rest = &lower[at..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_'))
        .unwrap_or(rest.len());
    Encoding::for_label(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_declared_page_decodes_umlauts() {
        let page = b"<meta charset=\"iso-8859-1\"><p>Gr\xfc\xdfe</p>";
        assert_eq!(
            decode_html(page),
            "<meta charset=\"iso-8859-1\"><p>Grüße</p>"
        );
    }

    #[test]
    fn valid_utf8_is_kept_even_if_declared_otherwise() {
        let page = "<meta charset=windows-1250><p>Grüße</p>";
        assert_eq!(decode_html(page.as_bytes()), page);
    }
}
