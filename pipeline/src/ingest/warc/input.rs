//! A byte source with its own buffer: peeking ahead, pushing bytes back and counting the
//! offset of every byte consumed.
//!
//! The record parser needs three things `BufRead` does not give: a look at more bytes than
//! one `fill_buf` returns (a whole header line), putting bytes back (a block that ran into
//! the next record is cut and its tail re-read as that record), and the stream offset of
//! each record start.

use std::io::{self, Read};

use memchr::memchr;

/// Bytes read from the inner reader per call.
const READ_CHUNK: usize = 64 * 1024;

pub(crate) struct Input {
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Offset (in the decompressed stream) of `buf[pos]`.
    offset: u64,
    eof: bool,
    /// A read error, held back until the bytes read before it have been consumed.
    error: Option<io::Error>,
}

impl Input {
    pub(crate) fn new(inner: Box<dyn Read + Send>) -> Self {
        Input {
            inner,
            buf: vec![0; READ_CHUNK],
            pos: 0,
            end: 0,
            offset: 0,
            eof: false,
            error: None,
        }
    }

    /// Offset of the next byte to be consumed.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Reads once more from the inner reader, appending to the buffer. Returns false at EOF.
    fn read_more(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 && self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < READ_CHUNK {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            if self.buf.len() - self.end < READ_CHUNK {
                self.buf.resize(self.end + READ_CHUNK, 0);
            }
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    self.eof = true;
                    self.error = Some(err);
                    return Ok(false);
                }
            }
        }
    }

    /// Returns at least one byte unless at end of stream. A read error surfaces here,
    /// once every byte read before it has been consumed; peeking sees it as the end.
    pub(crate) fn fill(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end
            && !self.read_more()?
            && let Some(err) = self.error.take()
        {
            return Err(err);
        }
        Ok(self.available())
    }

    /// Returns at least `n` bytes, or fewer only at end of stream.
    pub(crate) fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.end - self.pos < n {
            if !self.read_more()? {
                break;
            }
        }
        Ok(self.available())
    }

    /// The next line without its terminator, if it ends (with `\n` or end of stream)
    /// within `max` bytes; `Ok(None)` when it is longer. Nothing is consumed.
    pub(crate) fn peek_line(&mut self, max: usize) -> io::Result<Option<&[u8]>> {
        self.peek_line_from(0, max)
    }

    /// Like [`Input::peek_line`], for the line that starts `skip` bytes ahead (the caller
    /// has already peeked those bytes).
    pub(crate) fn peek_line_from(&mut self, skip: usize, max: usize) -> io::Result<Option<&[u8]>> {
        let mut searched = 0;
        loop {
            let avail = (self.end - self.pos).saturating_sub(skip);
            let window = avail.min(max + 1);
            let base = self.pos + skip;
            if let Some(i) = memchr(b'\n', &self.buf[base + searched..base + window]) {
                let line_end = searched + i;
                return Ok(Some(&self.buf[base..base + line_end]));
            }
            searched = window;
            if window > max {
                return Ok(None);
            }
            if !self.read_more()? {
                let avail = (self.end - self.pos).saturating_sub(skip);
                let base = (self.pos + skip).min(self.end);
                return Ok((avail <= max).then(|| &self.buf[base..self.end]));
            }
        }
    }

    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.pos);
        self.pos += n;
        self.offset += n as u64;
    }

    /// Consumes any run of CR and LF bytes.
    pub(crate) fn skip_newlines(&mut self) -> io::Result<()> {
        loop {
            let avail = self.fill()?;
            if avail.is_empty() {
                return Ok(());
            }
            let n = avail
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(avail.len());
            let all = n == avail.len();
            self.consume(n);
            if !all {
                return Ok(());
            }
        }
    }

    /// Appends the next line (terminator included) to `out`, up to `max` bytes. Returns
    /// the number of bytes appended and whether the line was complete (ended with `\n`
    /// or at end of stream) rather than cut at `max`.
    pub(crate) fn read_line(&mut self, out: &mut Vec<u8>, max: usize) -> io::Result<(usize, bool)> {
        let mut taken = 0;
        loop {
            let avail = self.fill()?;
            if avail.is_empty() {
                return Ok((taken, true));
            }
            let room = max - taken;
            let window = &avail[..avail.len().min(room)];
            if let Some(i) = memchr(b'\n', window) {
                out.extend_from_slice(&window[..=i]);
                self.consume(i + 1);
                return Ok((taken + i + 1, true));
            }
            let n = window.len();
            out.extend_from_slice(window);
            self.consume(n);
            taken += n;
            if taken >= max {
                return Ok((taken, false));
            }
        }
    }

    /// Appends up to `n` bytes to `out`; fewer only at end of stream. Returns the count.
    pub(crate) fn read_exact_into(&mut self, out: &mut Vec<u8>, n: u64) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let avail = self.fill()?;
            if avail.is_empty() {
                break;
            }
            let take = avail.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            out.extend_from_slice(&avail[..take]);
            self.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }

    /// Discards up to `n` bytes; fewer only at end of stream. Returns the count.
    pub(crate) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let avail = self.fill()?;
            if avail.is_empty() {
                break;
            }
            let take = avail.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            self.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }

    /// Puts bytes that were just consumed back in front of the stream.
    pub(crate) fn unread(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.pos >= bytes.len() {
            self.pos -= bytes.len();
            self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        } else {
            let mut joined = Vec::with_capacity(bytes.len() + (self.end - self.pos) + READ_CHUNK);
            joined.extend_from_slice(bytes);
            joined.extend_from_slice(&self.buf[self.pos..self.end]);
            self.end = joined.len();
            joined.resize(self.end + READ_CHUNK, 0);
            self.buf = joined;
            self.pos = 0;
        }
        self.offset -= bytes.len() as u64;
    }

    /// Consumes whole lines until one for which `is_start(line)` holds (left unconsumed)
    /// or end of stream, appending them to `out` when given, at most `limit` bytes.
    /// Returns the byte count and whether a start line was found.
    pub(crate) fn scan_to_start(
        &mut self,
        mut out: Option<&mut Vec<u8>>,
        limit: u64,
        max_line: usize,
        is_start: &dyn Fn(&[u8]) -> bool,
    ) -> io::Result<ScanEnd> {
        let mut count = 0u64;
        let mut at_line_start = true;
        loop {
            if count >= limit {
                return Ok(ScanEnd::Limit(count));
            }
            if at_line_start {
                match self.peek_line(max_line)? {
                    Some(line) if is_start(line) => return Ok(ScanEnd::Found(count)),
                    _ => {}
                }
            }
            let avail = self.fill()?;
            if avail.is_empty() {
                return Ok(ScanEnd::Eof(count));
            }
            let room = usize::try_from(limit - count).unwrap_or(usize::MAX);
            let window = &avail[..avail.len().min(room)];
            let (n, complete) = match memchr(b'\n', window) {
                Some(i) => (i + 1, true),
                None => (window.len(), false),
            };
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&window[..n]);
            }
            self.consume(n);
            count += n as u64;
            at_line_start = complete;
        }
    }
}

/// How [`Input::scan_to_start`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanEnd {
    Found(u64),
    Eof(u64),
    Limit(u64),
}

impl ScanEnd {
    pub(crate) fn count(self) -> u64 {
        match self {
            ScanEnd::Found(n) | ScanEnd::Eof(n) | ScanEnd::Limit(n) => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(bytes: &'static [u8]) -> Input {
        Input::new(Box::new(bytes))
    }

    #[test]
    fn lines_offsets_and_unread() {
        let mut inp = input(b"ab\ncd\r\n\r\nef");
        let mut line = Vec::new();
        assert_eq!(inp.read_line(&mut line, 100).unwrap(), (3, true));
        assert_eq!(line, b"ab\n");
        assert_eq!(inp.offset(), 3);
        assert_eq!(inp.peek_line(100).unwrap(), Some(&b"cd\r"[..]));
        inp.unread(b"ab\n");
        assert_eq!(inp.offset(), 0);
        let mut all = Vec::new();
        assert_eq!(inp.read_exact_into(&mut all, 100).unwrap(), 11);
        assert_eq!(all, b"ab\ncd\r\n\r\nef");
    }

    #[test]
    fn scan_stops_at_line_start_only() {
        let mut inp = input(b"xxWARC/1\nyy\nWARC/1.0\nrest");
        let mut out = Vec::new();
        let end = inp
            .scan_to_start(Some(&mut out), 1000, 100, &|l: &[u8]| {
                l.starts_with(b"WARC/")
            })
            .unwrap();
        assert_eq!(end, ScanEnd::Found(12));
        assert_eq!(out, b"xxWARC/1\nyy\n");
        assert_eq!(inp.offset(), 12);
    }

    #[test]
    fn long_line_is_cut() {
        let mut inp = input(b"abcdefgh\n");
        let mut line = Vec::new();
        assert_eq!(inp.read_line(&mut line, 4).unwrap(), (4, false));
        assert_eq!(inp.peek_line(3).unwrap(), None);
        assert_eq!(inp.peek_line(10).unwrap(), Some(&b"efgh"[..]));
    }
}
