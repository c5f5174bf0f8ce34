//! Decompression chosen by content sniffing (magic bytes), not by file name.
//!
//! Gzip goes through [`flate2::bufread::MultiGzDecoder`], so a file of one gzip member per
//! record (Common Crawl) and a file that is one gzip member as a whole (ClueWeb, the 2008
//! Common Crawl ARC) both read as one sequential stream; FEXTRA header fields are skipped
//! by the decoder. Zstandard and LZ4 frames are recognised the same way.

use std::io::{self, BufRead, BufReader, Read};

use crate::ingest::SkipReason;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const LZ4_FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];

/// The compression of a stream, as recognised from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Lz4,
}

impl Compression {
    /// Recognises the compression from the first bytes of a stream.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else if head.starts_with(&LZ4_FRAME_MAGIC) {
            Compression::Lz4
        } else {
            Compression::None
        }
    }

    /// The skip reason for a read error of a stream with this compression: a compressed
    /// stream that ends early is truncated, one whose data does not decode is corrupt, and
    /// anything else (or any error of a plain stream) is an I/O error.
    pub fn classify(self, err: &io::Error) -> SkipReason {
        if self == Compression::None {
            return match err.kind() {
                io::ErrorKind::UnexpectedEof => SkipReason::TruncatedRecord,
                _ => SkipReason::Io,
            };
        }
        match err.kind() {
            io::ErrorKind::UnexpectedEof => SkipReason::TruncatedCompression,
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Other => {
                SkipReason::CorruptCompression
            }
            _ => SkipReason::Io,
        }
    }
}

/// Opens a file and wraps it in the decoder its first bytes call for, buffered.
pub fn open_decompressed(
    path: &std::path::Path,
) -> io::Result<(Box<dyn BufRead + Send>, Compression)> {
    let (stream, compression) = decompressing_reader(open_input(path)?)?;
    Ok((
        Box::new(BufReader::with_capacity(1 << 20, stream)),
        compression,
    ))
}

/// Opens an input: a local file, or an object streamed from its store (`s3://...`; not in
/// the fuzz build, which has no storage).
pub fn open_input(path: &std::path::Path) -> io::Result<Box<dyn Read + Send>> {
    #[cfg(not(fuzzing))]
    return crate::storage::open_object(path);
    #[cfg(fuzzing)]
    return Ok(Box::new(std::fs::File::open(path)?));
}

/// Wraps `reader` in the decoder its first bytes call for.
pub fn decompressing_reader(
    mut reader: Box<dyn Read + Send>,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    let compression = Compression::sniff(&head[..got]);
    let stream = io::Cursor::new(head[..got].to_vec()).chain(reader);
    let decoded: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(stream),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(
            BufReader::with_capacity(64 * 1024, stream),
        )),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(stream)?),
        Compression::Lz4 => Box::new(Lz4Frames {
            decoder: Some(lz4_flex::frame::FrameDecoder::new(
                BufReader::with_capacity(64 * 1024, stream),
            )),
        }),
    };
    Ok((decoded, compression))
}

/// Concatenated LZ4 frames (one per record, as FastWARC writes them) read as one stream;
/// the frame decoder alone stops after the first frame.
struct Lz4Frames<R: BufRead> {
    decoder: Option<lz4_flex::frame::FrameDecoder<R>>,
}

impl<R: BufRead> Read for Lz4Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(finished) = self.decoder.take() else {
                return Ok(0);
            };
            let mut inner = finished.into_inner();
            if inner.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.decoder = Some(lz4_flex::frame::FrameDecoder::new(inner));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::warc::tests_support::fixture;

    fn decode_all(path: &str) -> (Vec<u8>, Option<SkipReason>) {
        let file = std::fs::File::open(fixture(path)).unwrap();
        let (mut reader, compression) = decompressing_reader(Box::new(file)).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(err) => return (out, Some(compression.classify(&err))),
            }
        }
    }

    #[test]
    fn plain_gzip_edge_cases() {
        assert_eq!(
            decode_all("warc_format_fixtures/ia_web_commons/hi.gz"),
            (b"hi\n".to_vec(), None)
        );
        assert_eq!(
            decode_all("warc_format_fixtures/ia_web_commons/hi-2.gz"),
            (b"hi\nhi\n".to_vec(), None)
        );
        assert_eq!(
            decode_all("warc_format_fixtures/ia_web_commons/abcd.gz"),
            (b"abcd".to_vec(), None)
        );
        assert_eq!(
            decode_all("warc_format_fixtures/ia_web_commons/empty.gz"),
            (Vec::new(), None)
        );
        let (_, err) =
            decode_all("warc_format_fixtures/ia_web_commons/double-single-inflate-error.gz");
        assert_eq!(err, Some(SkipReason::CorruptCompression));
    }

    #[test]
    fn truncated_gzip_is_truncated_compression() {
        let (out, err) = decode_all("warc_format_fixtures/resiliparse/clipped.warc.gz");
        assert_eq!(err, Some(SkipReason::TruncatedCompression));
        assert!(out.starts_with(b"WARC/1.0"));
    }

    #[test]
    fn sniffing_ignores_names() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(Compression::sniff(&ZSTD_MAGIC), Compression::Zstd);
        assert_eq!(Compression::sniff(&LZ4_FRAME_MAGIC), Compression::Lz4);
        assert_eq!(Compression::sniff(b"WARC"), Compression::None);
        assert_eq!(Compression::sniff(b""), Compression::None);
    }

    #[test]
    fn lz4_and_gzip_give_the_same_stream() {
        let plain = std::fs::read(fixture(
            "warc_format_fixtures/resiliparse/block-sized-records.warc",
        ))
        .unwrap();
        for name in [
            "block-sized-records.warc.gz",
            "block-sized-records.warc.lz4",
        ] {
            let (out, err) = decode_all(&format!("warc_format_fixtures/resiliparse/{name}"));
            assert_eq!(err, None, "{name}");
            assert!(
                out == plain,
                "{name}: {} bytes decoded, {} expected",
                out.len(),
                plain.len()
            );
        }
    }

    #[test]
    fn zstd_roundtrip_and_truncation() {
        let plain = b"WARC/1.0\r\nContent-Length: 0\r\n\r\n\r\n\r\n".repeat(50);
        let packed = zstd::encode_all(&plain[..], 3).unwrap();
        let (mut reader, c) =
            decompressing_reader(Box::new(io::Cursor::new(packed.clone()))).unwrap();
        assert_eq!(c, Compression::Zstd);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, plain);
        let cut = packed[..packed.len() - 5].to_vec();
        let (mut reader, c) = decompressing_reader(Box::new(io::Cursor::new(cut))).unwrap();
        let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(c.classify(&err), SkipReason::TruncatedCompression);
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn read_all(bytes: Vec<u8>) -> (Compression, io::Result<Vec<u8>>) {
        let (mut stream, codec) = decompressing_reader(Box::new(io::Cursor::new(bytes))).unwrap();
        let mut out = Vec::new();
        let result = stream.read_to_end(&mut out).map(|_| out);
        (codec, result)
    }

    #[test]
    fn reads_concatenated_gzip_members_as_one_stream() {
        let mut bytes = gzip(b"first\n");
        bytes.extend(gzip(b"second\n"));
        let (codec, result) = read_all(bytes);
        assert_eq!(codec, Compression::Gzip);
        assert_eq!(result.unwrap(), b"first\nsecond\n");
    }

    #[test]
    fn reads_zstd_and_plain() {
        let compressed = zstd::encode_all(&b"hello zstd"[..], 3).unwrap();
        let (codec, result) = read_all(compressed);
        assert_eq!(codec, Compression::Zstd);
        assert_eq!(result.unwrap(), b"hello zstd");
        assert_eq!(read_all(b"plain".to_vec()).1.unwrap(), b"plain");
    }

    #[test]
    fn truncated_gzip_is_an_unexpected_eof() {
        let bytes = gzip(&b"some text that compresses ".repeat(100));
        let (_, result) = read_all(bytes[..bytes.len() / 2].to_vec());
        let error = result.unwrap_err();
        assert_eq!(
            Compression::Gzip.classify(&error),
            SkipReason::TruncatedCompression
        );
    }
}
