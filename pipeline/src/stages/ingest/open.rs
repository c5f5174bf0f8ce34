//! Choosing the reader for a source's file.

use std::path::Path;

use crate::ingest::ReadItem;
use crate::ingest::jsonl::JsonlReader;
use crate::ingest::markup::{HtmlFileReader, TaggedRecordReader};
use crate::ingest::parquet::ParquetReader;
use crate::ingest::text::TextReader;
use crate::ingest::warc::{WebReaderOptions, open_web_archive};
use crate::job::ResolvedSource;
use crate::job::spec::{Format, IngestConfig};

/// A reader over one file, whatever its format.
pub type DocumentReader = Box<dyn Iterator<Item = ReadItem> + Send>;

/// Opens `file` of `source` with the reader its format calls for. An error means the file
/// cannot be read at all (missing, unreadable, not the declared format).
pub fn open_reader(
    source: &ResolvedSource,
    file: &Path,
    config: &IngestConfig,
) -> Result<DocumentReader, String> {
    let reader: DocumentReader = match source.format {
        Format::Jsonl => Box::new(
            JsonlReader::open(file, source.fields.clone())
                .map_err(|e| e.to_string())?
                .with_max_doc_bytes(config.max_doc_bytes),
        ),
        Format::Parquet => Box::new(
            ParquetReader::open(file, source.fields.clone())
                .map_err(|e| e.to_string())?
                .with_max_doc_bytes(config.max_doc_bytes),
        ),
        Format::Text => {
            let mut reader = TextReader::open(file, source.text_unit)
                .map_err(|e| e.to_string())?
                .with_max_doc_bytes(config.max_doc_bytes);
            if let Some(pattern) = &source.split_before {
                let regex = regex::Regex::new(pattern).map_err(|e| e.to_string())?;
                reader = reader.split_before(regex);
            }
            Box::new(reader)
        }
        Format::Warc => {
            Box::new(open_web_archive(file, &web_options(config)).map_err(|e| e.to_string())?)
        }
        Format::Html => {
            Box::new(HtmlFileReader::open(file, web_options(config)).map_err(|e| e.to_string())?)
        }
        Format::Sgml => {
            let tags = source
                .tags
                .clone()
                .ok_or_else(|| "format = \"sgml\" needs `tags`".to_owned())?;
            Box::new(
                TaggedRecordReader::open(file, tags, web_options(config))
                    .map_err(|e| e.to_string())?,
            )
        }
    };
    Ok(reader)
}

/// The HTML settings of web archive, HTML and SGML sources.
fn web_options(config: &IngestConfig) -> WebReaderOptions {
    WebReaderOptions {
        max_record_bytes: config.max_record_bytes,
        max_html_bytes: config.max_html_bytes,
        extract: true,
        extraction: config.html.options(),
    }
}
