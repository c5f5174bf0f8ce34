//! Moves one file to or from object storage through curate's storage layer, for
//! `bench/object_store.sh`: `put LOCAL URL` uploads (multipart above 16 MiB), `get URL`
//! streams the object through the range reader and prints its size and xxh3.

use anyhow::{Context, Result, bail};
use curate::run::fingerprint::stream_digest;
use curate::storage::{ObjectReader, ObjectUrl, put_file};

fn url(text: &str) -> Result<ObjectUrl> {
    match ObjectUrl::parse(text) {
        Some(parsed) => Ok(parsed?),
        None => bail!("`{text}` is not a storage URL"),
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["put", local, target] => {
            let uploaded = put_file(std::path::Path::new(local), &url(target)?)?;
            println!("{} bytes -> {target}", uploaded.bytes);
        }
        ["get", source] => {
            let mut reader = ObjectReader::open_fresh(&url(source)?)?;
            let (bytes, digest) = stream_digest(&mut reader).context("read")?;
            println!("{bytes} bytes, xxh3 {digest}");
        }
        _ => bail!("usage: object_io put LOCAL URL | object_io get URL"),
    }
    Ok(())
}
