//! HTTP responses as stored in WARC `response` and ARC records: status line, headers, and
//! the payload with transfer and content codings undone, but only where the bytes show
//! they are really encoded (crawlers such as Common Crawl store bodies decoded while
//! keeping the original `Transfer-Encoding`/`Content-Encoding` headers).

use std::io::Read;

use memchr::memchr;

/// A parsed HTTP response: status and headers; the payload is the rest of the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpResponse<'a> {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub payload: &'a [u8],
}

impl HttpResponse<'_> {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the status line and headers. Tolerates `Name:value` without a space, repeated
/// headers, LF-only line ends, `HTTP/2 200` status lines and a missing blank line at the
/// end of the headers (empty payload). Errors name what is wrong.
pub(crate) fn parse_response(block: &[u8]) -> Result<HttpResponse<'_>, String> {
    let (status_line, mut rest) = split_line(block);
    let status_text = String::from_utf8_lossy(status_line);
    let mut parts = status_text.split_ascii_whitespace();
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/") {
        let shown: String = status_text.chars().take(40).collect();
        return Err(format!("not an HTTP status line: {shown:?}"));
    }
    let status = parts
        .next()
        .filter(|code| code.len() == 3)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("no status code in {status_text:?}"))?;
    let mut headers = Vec::new();
    loop {
        if rest.is_empty() {
            break;
        }
        let (line, next) = split_line(rest);
        rest = next;
        if line.is_empty() {
            break;
        }
        if (line[0] == b' ' || line[0] == b'\t') && !headers.is_empty() {
            if let Some((_, value)) = headers.last_mut() {
                let value: &mut String = value;
                value.push(' ');
                value.push_str(String::from_utf8_lossy(line).trim());
            }
            continue;
        }
        if let Some(colon) = memchr(b':', line) {
            let name = String::from_utf8_lossy(&line[..colon]).trim().to_string();
            let value = String::from_utf8_lossy(&line[colon + 1..])
                .trim()
                .to_string();
            headers.push((name, value));
        }
    }
    Ok(HttpResponse {
        status,
        headers,
        payload: rest,
    })
}

/// Splits off the first line (without `\r\n` / `\n`).
fn split_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match memchr(b'\n', bytes) {
        Some(i) => {
            let line = &bytes[..i];
            (line.strip_suffix(b"\r").unwrap_or(line), &bytes[i + 1..])
        }
        None => (bytes, &[]),
    }
}

/// Undoes chunked transfer coding, or returns `None` when the bytes are not chunked
/// (the first line is not a hexadecimal chunk size followed by that many bytes). A
/// stream that ends inside a chunk keeps what was received.
pub(crate) fn dechunk(payload: &[u8], limit: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = payload;
    let mut first = true;
    loop {
        let (line, next) = split_line(rest);
        if line.len() == rest.len() && first {
            return None;
        }
        let size_text = line.split(|&b| b == b';').next().unwrap_or(b"");
        let size_text = std::str::from_utf8(size_text).ok()?.trim();
        if size_text.is_empty()
            || size_text.len() > 15
            || !size_text.bytes().all(|b| b.is_ascii_hexdigit())
        {
            if first {
                return None;
            }
            // Junk after complete chunks: keep what was decoded.
            return Some(out);
        }
        let size = usize::from_str_radix(size_text, 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        if first && size > next.len() + 2 && next.len() < 16 {
            return None;
        }
        let take = size.min(next.len());
        let after = &next[take..];
        if first
            && take == size
            && !(after.is_empty() || after.starts_with(b"\n") || after.starts_with(b"\r\n"))
        {
            return None;
        }
        first = false;
        out.extend_from_slice(&next[..take]);
        if out.len() > limit {
            return Some(out);
        }
        if take < size {
            return Some(out);
        }
        rest = &next[take..];
        rest = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
            .unwrap_or(rest);
        if rest.is_empty() {
            return Some(out);
        }
    }
}

/// Outcome of undoing a `Content-Encoding`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// The payload was not encoded (or the coding is identity): use it as is.
    Unchanged,
    Bytes(Vec<u8>),
    /// Encoded in a way that cannot be undone here.
    Failed(String),
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Undoes gzip, deflate, brotli or zstd when the payload really is compressed (gzip or
/// zstd magic, a zlib header; brotli, which has no magic, when the header says `br` and the
/// payload does not start like markup), whatever the header claims; at most `limit + 1`
/// bytes are produced.
pub(crate) fn decode_content(payload: &[u8], coding: Option<&str>, limit: usize) -> Decoded {
    let coding = coding.unwrap_or("").trim().to_ascii_lowercase();
    let cap = (limit as u64).saturating_add(1);
    if payload.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        let decoder = flate2::read::MultiGzDecoder::new(payload);
        return match decoder.take(cap).read_to_end(&mut out) {
            Ok(_) => Decoded::Bytes(out),
            Err(err) if !out.is_empty() && err.kind() == std::io::ErrorKind::UnexpectedEof => {
                Decoded::Bytes(out)
            }
            Err(err) => Decoded::Failed(format!("gzip payload does not decode: {err}")),
        };
    }
    let looks_like_text = payload
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_none_or(|&b| b == b'<' || b == 0xef);
    if coding == "deflate" && !looks_like_text {
        let mut out = Vec::new();
        let zlib = payload.len() >= 2
            && payload[0] & 0x0f == 8
            && (u16::from(payload[0]) << 8 | u16::from(payload[1])) % 31 == 0;
        let result = if zlib {
            flate2::read::ZlibDecoder::new(payload)
                .take(cap)
                .read_to_end(&mut out)
        } else {
            flate2::read::DeflateDecoder::new(payload)
                .take(cap)
                .read_to_end(&mut out)
        };
        return match result {
            Ok(_) => Decoded::Bytes(out),
            Err(err) => Decoded::Failed(format!("deflate payload does not decode: {err}")),
        };
    }
    if payload.starts_with(&ZSTD_MAGIC) {
        return match zstd::stream::read::Decoder::new(payload) {
            Ok(decoder) => read_capped(decoder, cap, "zstd"),
            Err(err) => Decoded::Failed(format!("zstd payload does not decode: {err}")),
        };
    }
    if coding == "br" && !looks_like_text {
        return read_capped(
            brotli_decompressor::Decompressor::new(payload, 4096),
            cap,
            "brotli",
        );
    }
    if coding == "zstd" && !looks_like_text {
        return Decoded::Failed("zstd payload has no zstd frame".to_owned());
    }
    Decoded::Unchanged
}

/// Reads a decoder to its end or to `cap` bytes.
fn read_capped(decoder: impl Read, cap: u64, coding: &str) -> Decoded {
    let mut out = Vec::new();
    match decoder.take(cap).read_to_end(&mut out) {
        Ok(_) => Decoded::Bytes(out),
        Err(err) => Decoded::Failed(format!("{coding} payload does not decode: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn status_and_headers_without_space() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nServer:nginx\r\nX-A: 1\r\nX-A: 2\r\n\r\n<p>hi")
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("server"), Some("nginx"));
        assert_eq!(r.headers.iter().filter(|(n, _)| n == "X-A").count(), 2);
        assert_eq!(r.payload, b"<p>hi");
        let r = parse_response(b"HTTP/2 404\nContent-Type: text/html\n\nx").unwrap();
        assert_eq!((r.status, r.payload), (404, &b"x"[..]));
        assert!(parse_response(b"<html>").is_err());
        assert!(parse_response(b"HTTP/1.1 OK\r\n\r\n").is_err());
    }

    #[test]
    fn chunked_only_when_chunked() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n", 100),
            Some(b"hello world".to_vec())
        );
        assert_eq!(dechunk(b"<!DOCTYPE html>\r\n<html>", 100), None);
        assert_eq!(dechunk(b"abc\r\n<html>", 100), None);
        assert_eq!(dechunk(b"5\nhel", 100), Some(b"hel".to_vec()));
    }

    #[test]
    fn content_coding_only_when_compressed() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"<html>x</html>").unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(
            decode_content(&gz, Some("gzip"), 100),
            Decoded::Bytes(b"<html>x</html>".to_vec())
        );
        assert_eq!(
            decode_content(&gz, None, 100),
            Decoded::Bytes(b"<html>x</html>".to_vec())
        );
        assert_eq!(
            decode_content(b"<html>x</html>", Some("gzip"), 100),
            Decoded::Unchanged
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"<p>z</p>").unwrap();
        assert_eq!(
            decode_content(&z.finish().unwrap(), Some("deflate"), 100),
            Decoded::Bytes(b"<p>z</p>".to_vec())
        );
        assert!(matches!(
            decode_content(&[0x8b, 0x05, 0x80, 0xff, 0xff], Some("br"), 100),
            Decoded::Failed(_)
        ));
        assert_eq!(
            decode_content(b"  <html>", Some("br"), 100),
            Decoded::Unchanged
        );
    }

    #[test]
    fn brotli_and_zstd_payloads_decode() {
        let page = b"<html><p>brotli or zstd</p></html>".repeat(20);
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut &page[..], &mut br, &Default::default()).unwrap();
        assert_eq!(
            decode_content(&br, Some("br"), 10_000),
            Decoded::Bytes(page.clone())
        );
        // Capped like the others: at most limit + 1 bytes.
        assert_eq!(
            decode_content(&br, Some("br"), 9),
            Decoded::Bytes(page[..10].to_vec())
        );
        let zst = zstd::encode_all(&page[..], 3).unwrap();
        // A zstd frame is recognised by its magic, whatever the header says.
        for coding in [Some("zstd"), None] {
            assert_eq!(
                decode_content(&zst, coding, 10_000),
                Decoded::Bytes(page.clone())
            );
        }
        assert!(matches!(
            decode_content(&[1, 2, 3, 4], Some("zstd"), 100),
            Decoded::Failed(_)
        ));
    }
}
