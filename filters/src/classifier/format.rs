//! The model file (`.clf`), version 1. All integers little-endian.
//!
//! ```text
//! magic        8 bytes  "curatclf"
//! version      u32      1
//! header_len   u32      length of the header in bytes
//! header       JSON     {"features": FeatureConfig, "labels": Labels, "training": TrainingInfo}
//! bias         f32
//! nonzero      u64      number of weights stored
//! weights      nonzero x (slot u32, weight f32), slots strictly ascending
//! checksum     u64      xxh3-64 of every byte before it
//! ```
//!
//! Only non-zero weights are stored, so a model hashed into 2^20 slots but trained on a
//! few thousand documents stays small. The header carries the feature settings: scoring
//! with other settings than training is impossible by construction. The same model
//! always serialises to the same bytes (fields in a fixed order, no timestamps).

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::ClassifierError;
use super::features::FeatureConfig;
use super::model::{Labels, LinearModel, TrainingInfo};

/// First bytes of a model file.
pub const MAGIC: [u8; 8] = *b"curatclf";
/// The format version written.
pub const VERSION: u32 = 1;
/// Headers longer than this are refused (a corrupt length must not allocate gigabytes).
const MAX_HEADER: u32 = 1 << 20;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    features: FeatureConfig,
    labels: Labels,
    training: TrainingInfo,
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Xxh3,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `model` in the format above.
pub fn write_model(model: &LinearModel, writer: impl Write) -> Result<(), ClassifierError> {
    let header = serde_json::to_vec(&Header {
        features: model.features.clone(),
        labels: model.labels.clone(),
        training: model.info.clone(),
    })
    .map_err(|e| ClassifierError::Format(format!("cannot encode the header: {e}")))?;
    let mut out = Hashing {
        inner: writer,
        hasher: Xxh3::new(),
    };
    out.write_all(&MAGIC)?;
    out.write_all(&VERSION.to_le_bytes())?;
    out.write_all(&(header.len() as u32).to_le_bytes())?;
    out.write_all(&header)?;
    out.write_all(&model.bias.to_le_bytes())?;
    let nonzero = model.weights.iter().filter(|w| **w != 0.0).count() as u64;
    out.write_all(&nonzero.to_le_bytes())?;
    let mut buf = Vec::with_capacity(8 * 4096);
    for (slot, weight) in model.weights.iter().enumerate() {
        if *weight != 0.0 {
            buf.extend_from_slice(&(slot as u32).to_le_bytes());
            buf.extend_from_slice(&weight.to_le_bytes());
            if buf.len() >= 8 * 4096 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
    }
    out.write_all(&buf)?;
    let checksum = out.hasher.digest();
    out.inner.write_all(&checksum.to_le_bytes())?;
    out.flush()?;
    Ok(())
}

/// A reader that hashes what it reads.
struct Checked<R> {
    inner: R,
    hasher: Xxh3,
}

impl<R: Read> Checked<R> {
    fn exact<const N: usize>(&mut self) -> Result<[u8; N], ClassifierError> {
        let mut buf = [0u8; N];
        self.inner.read_exact(&mut buf).map_err(truncated)?;
        self.hasher.update(&buf);
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32, ClassifierError> {
        Ok(u32::from_le_bytes(self.exact()?))
    }
}

fn truncated(e: std::io::Error) -> ClassifierError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        ClassifierError::Format("the file ends early (truncated model)".into())
    } else {
        ClassifierError::Io(e)
    }
}

/// Reads a model written by [`write_model`], checking magic, version, every slot and the
/// checksum.
pub fn read_model(reader: impl Read) -> Result<LinearModel, ClassifierError> {
    let mut input = Checked {
        inner: reader,
        hasher: Xxh3::new(),
    };
    let magic: [u8; 8] = input.exact()?;
    if magic != MAGIC {
        return Err(ClassifierError::Format(
            "not a curate classifier model".into(),
        ));
    }
    let version = input.u32()?;
    if version != VERSION {
        return Err(ClassifierError::Format(format!(
            "model format version {version}; this build reads version {VERSION}"
        )));
    }
    let header_len = input.u32()?;
    if header_len > MAX_HEADER {
        return Err(ClassifierError::Format(format!(
            "header of {header_len} bytes is too long"
        )));
    }
    let mut header = vec![0u8; header_len as usize];
    input.inner.read_exact(&mut header).map_err(truncated)?;
    input.hasher.update(&header);
    let header: Header = serde_json::from_slice(&header)
        .map_err(|e| ClassifierError::Format(format!("bad header: {e}")))?;
    header
        .features
        .validate()
        .map_err(ClassifierError::Format)?;
    let mut model = LinearModel::zeros(header.features, header.labels);
    model.info = header.training;
    model.bias = f32::from_le_bytes(input.exact()?);
    let nonzero = u64::from_le_bytes(input.exact()?);
    if nonzero > u64::from(model.features.buckets) {
        return Err(ClassifierError::Format(format!(
            "{nonzero} weights stored for {} slots",
            model.features.buckets
        )));
    }
    let mut previous: Option<u32> = None;
    for _ in 0..nonzero {
        let slot = input.u32()?;
        let weight = f32::from_le_bytes(input.exact()?);
        if slot >= model.features.buckets || previous.is_some_and(|p| slot <= p) {
            return Err(ClassifierError::Format(format!(
                "weight slot {slot} out of order or range"
            )));
        }
        if !weight.is_finite() {
            return Err(ClassifierError::Format(format!(
                "weight of slot {slot} is not finite"
            )));
        }
        model.weights[slot as usize] = weight;
        previous = Some(slot);
    }
    let expected = input.hasher.digest();
    let mut stored = [0u8; 8];
    input.inner.read_exact(&mut stored).map_err(truncated)?;
    if u64::from_le_bytes(stored) != expected {
        return Err(ClassifierError::Format(
            "checksum mismatch (corrupt model)".into(),
        ));
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::train::{TrainConfig, Trainer};

    fn model() -> LinearModel {
        let features = FeatureConfig {
            buckets: 1 << 10,
            ..FeatureConfig::default()
        };
        let labels = Labels {
            negative: "web".into(),
            positive: "reference".into(),
        };
        let mut t = Trainer::new(features, labels).unwrap();
        t.add("the committee met and discussed policy", true);
        t.add("buy now cheap deals", false);
        t.fit(&TrainConfig::default()).unwrap()
    }

    #[test]
    fn round_trip_is_exact_and_bytes_are_stable() {
        let m = model();
        let mut bytes = Vec::new();
        write_model(&m, &mut bytes).unwrap();
        assert_eq!(&bytes[..8], b"curatclf");
        let back = read_model(&bytes[..]).unwrap();
        assert_eq!(back, m);
        let mut again = Vec::new();
        write_model(&back, &mut again).unwrap();
        assert_eq!(again, bytes);
    }

    #[test]
    fn corruption_is_detected() {
        let mut bytes = Vec::new();
        write_model(&model(), &mut bytes).unwrap();
        let last_weight = bytes.len() - 9;
        let mut flipped = bytes.clone();
        flipped[last_weight] ^= 1;
        assert!(
            read_model(&flipped[..])
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
        let err = read_model(&bytes[..bytes.len() - 3]).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        let err = read_model(&b"something else entirely"[..]).unwrap_err();
        assert!(err.to_string().contains("not a curate"), "{err}");
        let mut future = bytes.clone();
        future[8] = 2;
        assert!(
            read_model(&future[..])
                .unwrap_err()
                .to_string()
                .contains("version 2")
        );
    }
}
