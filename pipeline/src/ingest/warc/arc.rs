//! ARC v1 URL-record lines: `<url> <ip> <yyyymmddhhmmss> <mime> <length>`.
//!
//! The URL may contain spaces (seen in real files), so the last four fields are taken from
//! the right and everything before them is the URL.

/// A parsed ARC v1 header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArcHeader {
    pub url: String,
    pub ip: String,
    pub date: String,
    pub mime: String,
    /// The length field, or the field as written when it is not a length.
    pub length: Result<u64, String>,
}

impl ArcHeader {
    /// Parses a header line (terminator optional); `None` when it does not have the shape
    /// of one (URL with a scheme, a date of digits, five fields).
    pub fn parse(line: &[u8]) -> Option<ArcHeader> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text = std::str::from_utf8(line).ok()?;
        let mut fields = text.rsplitn(5, ' ');
        let length = fields.next()?;
        let mime = fields.next()?;
        let date = fields.next()?;
        let ip = fields.next()?;
        let url = fields.next()?;
        let scheme_ok = url.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        });
        if !scheme_ok
            || url.starts_with(' ')
            || date.len() < 8
            || !date.bytes().all(|b| b.is_ascii_digit())
            || mime.is_empty()
            || ip.is_empty()
        {
            return None;
        }
        let length = length.parse::<u64>().map_err(|_| length.to_string());
        Some(ArcHeader {
            url: url.to_string(),
            ip: ip.to_string(),
            date: date.to_string(),
            mime: mime.to_string(),
            length,
        })
    }

    /// The record's fields as WARC-style headers (as `arc2warc` conversions name them).
    pub fn into_headers(self, length: u64) -> Vec<(String, String)> {
        let record_type = if self.url.starts_with("filedesc:") {
            "warcinfo"
        } else {
            "response"
        };
        vec![
            ("WARC-Type".into(), record_type.into()),
            ("WARC-Target-URI".into(), self.url),
            ("WARC-IP-Address".into(), self.ip),
            ("ARC-Date".into(), self.date),
            ("Content-Type".into(), self.mime),
            ("Content-Length".into(), length.to_string()),
        ]
    }
}

/// Whether a line has the shape of an ARC header line (used to resynchronise).
pub(crate) fn is_arc_header_line(line: &[u8]) -> bool {
    ArcHeader::parse(line).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_spaces_is_kept_whole() {
        let h = ArcHeader::parse(
            b"http://example.com/a?x=From The Live Web&y=1 93.184.216.119 20140216050221 text/html 1591\n",
        )
        .unwrap();
        assert_eq!(h.url, "http://example.com/a?x=From The Live Web&y=1");
        assert_eq!(h.ip, "93.184.216.119");
        assert_eq!(h.date, "20140216050221");
        assert_eq!(h.mime, "text/html");
        assert_eq!(h.length, Ok(1591));
    }

    #[test]
    fn bad_length_is_reported_and_non_headers_rejected() {
        let h = ArcHeader::parse(b"http://example.com/ 1.2.3.4 201404010000000000 text/html abc")
            .unwrap();
        assert_eq!(h.length, Err("abc".to_string()));
        assert!(ArcHeader::parse(b"1 0 Bad Capture").is_none());
        assert!(
            ArcHeader::parse(b"URL IP-address Archive-date Content-type Archive-length").is_none()
        );
        assert!(ArcHeader::parse(b"").is_none());
    }
}
