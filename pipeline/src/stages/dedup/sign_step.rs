//! Dedup's map part on a cluster (`--step dedup-sign`, or the last part of
//! `ingest-filter-sign`): pass 1, the expensive one (exact hashes, MinHash band hashes),
//! split over ranks by partition. Each partition's records go to
//! `_signatures/part-NNNNN.sig` with a completion marker; the dedup step (rank 0) then reads
//! them in partition order instead of signing every document itself.
//!
//! A rank knows only its own parts, so a file numbers its documents from 0; the dedup step,
//! which has every part's footer, adds each part's first global number as it reads them.
//! The records are then exactly what pass 1 computes on one machine, so the decisions and
//! the output are the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use curate_filters::dedup::BandRecord;
use serde::{Deserialize, Serialize};

use super::external_sort::{ExternalSorter, FixedRecord};
use super::scan::{PartInput, SourceKeys, number_parts, scan_part};
use super::signatures::{Signatures, Signer};
use crate::run::atomic::write_atomic;
use crate::run::marker::{PartitionMarker, marker_path};
use crate::run::stage_record::partition_key;
use crate::stages::partitioned::{PartitionPlan, PartitionStats, run_rank};
use crate::stages::{StageContext, StageOutcome};

/// The directory of the signature files inside the dedup stage directory.
pub const SIGNATURES_DIR: &str = "_signatures";

/// The first bytes of a signature file (and its layout's version: 02 numbers documents
/// from 0 within the part).
const MAGIC: &[u8; 8] = b"CURSIG02";

/// What a signature partition's marker records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedPartition {
    pub signatures: String,
    pub documents: u32,
    pub band_records: u64,
}

pub fn signatures_dir(stage_dir: &Path) -> PathBuf {
    stage_dir.join(SIGNATURES_DIR)
}

impl PartitionStats for SignedPartition {
    fn outputs(&self) -> Vec<String> {
        vec![self.signatures.clone()]
    }
}

/// One rank's share of pass 1, through the same rank driver as every map step: the
/// partitions `p % world_size == rank` without a valid marker, each signed, written and
/// marked. `parts` are the upstream parts by partition; only this rank's are read.
#[allow(clippy::too_many_arguments)]
pub fn sign_rank(
    context: &StageContext<'_>,
    stage_dir: &Path,
    (config_fingerprint, input_fingerprint): (&str, &str),
    parts: &[(usize, PathBuf)],
    signer: &Signer,
    sources: &SourceKeys,
    rank: usize,
    world_size: usize,
) -> Result<StageOutcome> {
    let dir = signatures_dir(stage_dir);
    let by_partition: BTreeMap<usize, &PathBuf> = parts
        .iter()
        .map(|(partition, path)| (*partition, path))
        .collect();
    let plan = PartitionPlan {
        stage: "dedup-sign",
        stage_dir: &dir,
        config_fingerprint: config_fingerprint.to_owned(),
        input_fingerprint: input_fingerprint.to_owned(),
        inputs: Vec::new(),
        partitions: by_partition.keys().copied().collect(),
    };
    run_rank(
        context,
        plan,
        |partition, _progress| {
            let path = by_partition
                .get(&partition)
                .with_context(|| format!("no upstream part for partition {partition}"))?;
            // Numbered from 0: the part's place among all of them is the dedup step's.
            let part = number_parts(&[(partition, path.to_path_buf())])?
                .pop()
                .with_context(|| format!("{} has no footer", path.display()))?;
            sign_partition(&dir, &part, signer, sources)
        },
        rank,
        world_size,
    )
}

/// Pass 1 over one part (numbered from 0), written to `part-NNNNN.sig`.
fn sign_partition(
    dir: &Path,
    part: &PartInput,
    signer: &Signer,
    sources: &SourceKeys,
) -> Result<SignedPartition> {
    let records = Mutex::new(Vec::<u8>::new());
    let signatures = scan_part(part, signer, sources, &|batch: &[BandRecord]| {
        let mut out = records
            .lock()
            .map_err(|_| anyhow::anyhow!("signature buffer poisoned"))?;
        batch.iter().for_each(|record| record.encode(&mut out));
        Ok(())
    })
    .with_context(|| format!("dedup pass 1 failed on {}", part.path.display()))?;
    let records = records
        .into_inner()
        .map_err(|_| anyhow::anyhow!("signature buffer poisoned"))?;
    let band_records = (records.len() / BandRecord::BYTES) as u64;
    let name = format!("part-{}.sig", partition_key(part.partition));
    write_atomic(
        &dir.join(&name),
        &encode(&signatures, band_records, &records),
    )
    .with_context(|| format!("cannot write {}", dir.join(&name).display()))?;
    Ok(SignedPartition {
        signatures: name,
        documents: part.rows,
        band_records,
    })
}

/// The records of every partition as the map step wrote them, in partition order, with
/// the band records fed to `bands`; `None` unless every partition has a valid marker
/// (then pass 1 runs here, as on one machine).
pub fn load_signed(
    stage_dir: &Path,
    fingerprints: (&str, &str),
    parts: &[PartInput],
    bands: &ExternalSorter<BandRecord>,
) -> Result<Option<Signatures>> {
    let dir = signatures_dir(stage_dir);
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut markers = Vec::with_capacity(parts.len());
    for part in parts {
        match PartitionMarker::<SignedPartition>::read_valid(
            &dir,
            part.partition,
            fingerprints.0,
            fingerprints.1,
        ) {
            Ok(marker) if marker.stats.documents == part.rows => markers.push(marker),
            _ => return Ok(None),
        }
    }
    let mut all = Signatures::default();
    for (part, marker) in parts.iter().zip(markers) {
        let path = dir.join(&marker.stats.signatures);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let checked = check_signed(&bytes, &marker, part);
        let (signatures, records) = match checked {
            Ok(decoded) => decoded,
            Err(problem) => {
                // Its marker no longer vouches: the next launch signs the partition again.
                let stale = marker_path(&dir, part.partition);
                if let Err(error) = std::fs::remove_file(&stale)
                    && error.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!("cannot remove {}: {error}", stale.display());
                }
                bail!(
                    "{} {problem:#}; its completion marker is removed: launch again (or run \
                     step dedup-sign) to sign partition {} again",
                    path.display(),
                    partition_key(part.partition)
                );
            }
        };
        // From the part's numbers to the global ones.
        let decoded: Vec<BandRecord> = records
            .chunks_exact(BandRecord::BYTES)
            .map(|bytes| {
                let mut record = BandRecord::decode(bytes);
                record.doc += part.start;
                record
            })
            .collect();
        if let Some(record) = decoded.iter().find(|r| r.doc >= part.start + part.rows) {
            bail!(
                "{} names document {} of a part of {}",
                path.display(),
                record.doc - part.start,
                part.rows
            );
        }
        bands.extend(&decoded)?;
        all.append(signatures);
    }
    Ok(Some(all))
}

/// A signature file's bytes are those its marker vouches for (size and xxh3), and they
/// decode to the part's number of documents.
fn check_signed<'a>(
    bytes: &'a [u8],
    marker: &PartitionMarker<SignedPartition>,
    part: &PartInput,
) -> Result<(Signatures, &'a [u8])> {
    if let Some(listed) = marker.outputs.first()
        && let Err(differs) = listed.check(bytes)
    {
        bail!("is not the file its completion marker vouched for ({differs})");
    }
    let (signatures, records) = decode(bytes).context("is damaged")?;
    if signatures.len() != part.rows as usize {
        bail!(
            "holds {} documents, its part {}",
            signatures.len(),
            part.rows
        );
    }
    Ok((signatures, records))
}

/// `MAGIC`, document count, then the columns of [`Signatures`] (each with its length, as
/// exact hashes and band flags are empty when their method is off), then the band records.
fn encode(signatures: &Signatures, band_records: u64, records: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + signatures.record_bytes() + records.len());
    out.extend_from_slice(MAGIC);
    let len = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u64).to_le_bytes());
    len(&mut out, signatures.groups.len());
    signatures
        .groups
        .iter()
        .for_each(|g| out.extend_from_slice(&g.to_le_bytes()));
    len(&mut out, signatures.priorities.len());
    signatures
        .priorities
        .iter()
        .for_each(|p| out.extend_from_slice(&p.to_le_bytes()));
    len(&mut out, signatures.exact.len());
    signatures
        .exact
        .iter()
        .for_each(|e| out.extend_from_slice(&e.to_le_bytes()));
    len(&mut out, signatures.has_bands.len());
    signatures
        .has_bands
        .iter()
        .for_each(|b| out.push(u8::from(*b)));
    len(&mut out, band_records as usize);
    out.extend_from_slice(records);
    out
}

fn decode(bytes: &[u8]) -> Result<(Signatures, &[u8])> {
    let mut at = 0usize;
    if slice(bytes, &mut at, MAGIC.len())? != MAGIC {
        bail!("not a signature file");
    }
    let mut signatures = Signatures::default();
    let n = read_len(bytes, &mut at)?;
    signatures.groups = read_u32s(bytes, &mut at, n)?;
    let n = read_len(bytes, &mut at)?;
    signatures.priorities = read_u32s(bytes, &mut at, n)?;
    let n = read_len(bytes, &mut at)?;
    let raw = slice(
        bytes,
        &mut at,
        n.checked_mul(16).context("length out of range")?,
    )?;
    signatures.exact = raw
        .chunks_exact(16)
        .map(|c| u128::from_le_bytes(c.try_into().unwrap_or([0; 16])))
        .collect();
    let n = read_len(bytes, &mut at)?;
    signatures.has_bands = slice(bytes, &mut at, n)?.iter().map(|b| *b != 0).collect();
    let records = read_len(bytes, &mut at)?;
    let records = slice(
        bytes,
        &mut at,
        records
            .checked_mul(BandRecord::BYTES)
            .context("length out of range")?,
    )?;
    if at != bytes.len() {
        bail!("{} bytes after the records", bytes.len() - at);
    }
    Ok((signatures, records))
}

fn slice<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8]> {
    let end = at.checked_add(n).context("length out of range")?;
    let out = bytes
        .get(*at..end)
        .with_context(|| format!("truncated at byte {at}"))?;
    *at = end;
    Ok(out)
}

fn read_len(bytes: &[u8], at: &mut usize) -> Result<usize> {
    let raw: [u8; 8] = slice(bytes, at, 8)?.try_into()?;
    usize::try_from(u64::from_le_bytes(raw)).context("length out of range")
}

fn read_u32s(bytes: &[u8], at: &mut usize, n: usize) -> Result<Vec<u32>> {
    let raw = slice(bytes, at, n.checked_mul(4).context("length out of range")?)?;
    Ok(raw
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_file_reads_back_and_damage_is_caught() {
        let signatures = Signatures {
            groups: vec![0, 1],
            priorities: vec![2, 3],
            exact: vec![7, u128::MAX],
            has_bands: vec![true, false],
        };
        let mut records = Vec::new();
        BandRecord {
            band: 4,
            hash: 99,
            doc: 1,
        }
        .encode(&mut records);
        let bytes = encode(&signatures, 1, &records);
        let (back, back_records) = decode(&bytes).unwrap();
        assert_eq!(back.groups, signatures.groups);
        assert_eq!(back.priorities, signatures.priorities);
        assert_eq!(back.exact, signatures.exact);
        assert_eq!(back.has_bands, signatures.has_bands);
        assert_eq!(back_records, &records[..]);
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode(b"CURSIG00").is_err());
    }
}
