//! Reading lines with a size bound: a line longer than the bound is passed over in the
//! reader's own buffer-sized chunks, so one 400 MB JSONL line costs a few kilobytes of
//! memory instead of 400 MB (`BufRead::read_until` would hold it whole).

use std::io::{self, BufRead};

/// Text documents larger than this are skipped as `too_large` unless `[ingest]
/// max_doc_bytes` says otherwise.
pub const DEFAULT_MAX_DOC_BYTES: u64 = 8 << 20;

/// What [`read_line_bounded`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundedLine {
    /// The end of the stream: no byte was read.
    Eof,
    /// A whole line (with its `\n`, if any) is in the buffer.
    Line,
    /// A line of `bytes` bytes (without its line end) was longer than the bound; it was
    /// read past and the buffer is empty.
    TooLong { bytes: u64 },
}

/// Reads the next line into `line` (cleared first), up to and including `\n`. A line whose
/// content (without `\n`) is over `max_bytes` is consumed but not kept.
pub fn read_line_bounded(
    stream: &mut dyn BufRead,
    line: &mut Vec<u8>,
    max_bytes: u64,
) -> io::Result<BoundedLine> {
    line.clear();
    // Bytes of the current line seen so far, kept or not.
    let mut seen: u64 = 0;
    let mut discarding = false;
    loop {
        let available = match stream.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(match (discarding, seen) {
                (true, bytes) => BoundedLine::TooLong { bytes },
                (false, 0) => BoundedLine::Eof,
                (false, _) => BoundedLine::Line,
            });
        }
        let newline = memchr::memchr(b'\n', available);
        let content = newline.unwrap_or(available.len());
        seen += content as u64;
        if !discarding && seen > max_bytes {
            discarding = true;
            line.clear();
            line.shrink_to(64 * 1024);
        }
        let taken = newline.map_or(available.len(), |at| at + 1);
        if !discarding {
            line.extend_from_slice(&available[..taken]);
        }
        stream.consume(taken);
        if newline.is_some() {
            return Ok(if discarding {
                BoundedLine::TooLong { bytes: seen }
            } else {
                BoundedLine::Line
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor};

    fn lines(input: &[u8], max: u64) -> Vec<String> {
        // A small buffer, so long lines span many chunks.
        let mut stream = BufReader::with_capacity(4, Cursor::new(input.to_vec()));
        let mut line = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_line_bounded(&mut stream, &mut line, max).unwrap() {
                BoundedLine::Eof => return out,
                BoundedLine::Line => out.push(String::from_utf8(line.clone()).unwrap()),
                BoundedLine::TooLong { bytes } => out.push(format!("<{bytes}>")),
            }
        }
    }

    #[test]
    fn long_lines_are_passed_over_and_counted() {
        assert_eq!(
            lines(b"abc\n0123456789\nxy\r\n\nlast", 5),
            ["abc\n", "<10>", "xy\r\n", "\n", "last"]
        );
        assert_eq!(lines(b"12345\n123456", 5), ["12345\n", "<6>"]);
        assert_eq!(lines(b"", 5), Vec::<String>::new());
    }
}
