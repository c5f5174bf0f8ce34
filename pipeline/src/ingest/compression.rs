//! Opening input files whatever their compression, detected from the first bytes.
//!
//! Extensions lie (C4 ships gzip as `.json.gz`, users rename files), so the codec is chosen
//! by magic number: gzip (`1f 8b`), zstd (`28 b5 2f fd`), LZ4 frame (`04 22 4d 18`), or
//! none. Gzip is read with a multi-member decoder, so both layouts found in web archives
//! work: one gzip member per record (Common Crawl) and one member for the whole file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

/// Size of the read buffers: large enough that system calls do not dominate.
const BUFFER_BYTES: usize = 1 << 20;

/// The compression of a stream, as detected from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    None,
    Gzip,
    Zstd,
    Lz4,
}

impl Codec {
    /// Detects the codec from the first bytes of a stream.
    pub fn sniff(head: &[u8]) -> Codec {
        if head.starts_with(&[0x1f, 0x8b]) {
            Codec::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Codec::Zstd
        } else if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
            Codec::Lz4
        } else {
            Codec::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Lz4 => "lz4",
        }
    }
}

/// Wraps `reader` in the decoder its first bytes call for.
pub fn decompress(
    reader: impl Read + Send + 'static,
) -> io::Result<(Codec, Box<dyn BufRead + Send>)> {
    let mut buffered = BufReader::with_capacity(BUFFER_BYTES, reader);
    let codec = Codec::sniff(buffered.fill_buf()?);
    let stream: Box<dyn BufRead + Send> = match codec {
        Codec::None => Box::new(buffered),
        Codec::Gzip => Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            MultiGzDecoder::new(buffered),
        )),
        Codec::Zstd => Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            zstd::stream::read::Decoder::with_buffer(buffered)?,
        )),
        Codec::Lz4 => Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            lz4_flex::frame::FrameDecoder::new(buffered),
        )),
    };
    Ok((codec, stream))
}

/// Opens a file and wraps it in the decoder its first bytes call for.
pub fn open_decompressed(path: &Path) -> io::Result<(Codec, Box<dyn BufRead + Send>)> {
    decompress(File::open(path)?)
}

/// Classifies a read error of a decompressing stream: a stream that stops before its end
/// marker is truncated; anything else the decoder rejects is corrupt.
pub fn classify_read_error(error: &io::Error) -> super::SkipReason {
    match error.kind() {
        io::ErrorKind::UnexpectedEof => super::SkipReason::TruncatedCompression,
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Other => {
            super::SkipReason::CorruptCompression
        }
        _ => super::SkipReason::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn read_all(bytes: Vec<u8>) -> (Codec, io::Result<Vec<u8>>) {
        let (codec, mut stream) = decompress(io::Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        let result = stream.read_to_end(&mut out).map(|_| out);
        (codec, result)
    }

    #[test]
    fn reads_concatenated_gzip_members_as_one_stream() {
        let mut bytes = gzip(b"first\n");
        bytes.extend(gzip(b"second\n"));
        let (codec, result) = read_all(bytes);
        assert_eq!(codec, Codec::Gzip);
        assert_eq!(result.unwrap(), b"first\nsecond\n");
    }

    #[test]
    fn reads_zstd_and_plain() {
        let compressed = zstd::encode_all(&b"hello zstd"[..], 3).unwrap();
        let (codec, result) = read_all(compressed);
        assert_eq!(codec, Codec::Zstd);
        assert_eq!(result.unwrap(), b"hello zstd");
        assert_eq!(read_all(b"plain".to_vec()).1.unwrap(), b"plain");
    }

    #[test]
    fn truncated_gzip_is_an_unexpected_eof() {
        let bytes = gzip(&b"some text that compresses ".repeat(100));
        let (_, result) = read_all(bytes[..bytes.len() / 2].to_vec());
        let error = result.unwrap_err();
        assert_eq!(
            classify_read_error(&error),
            super::super::SkipReason::TruncatedCompression
        );
    }
}
