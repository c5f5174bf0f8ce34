//! External sort of fixed-size records, for the dedup index when it outgrows memory.
//!
//! Records are buffered up to a budget; a full buffer is sorted and written to a run file
//! (its records as little-endian bytes, back to back). When every record fitted in the
//! budget nothing touches the disk and the sorted stream is the buffer itself. Otherwise
//! the runs are merged k-way, at most [`MAX_FAN_IN`] at a time: more runs than that are
//! first merged in passes into fewer, longer runs (as datatrove's bucket stages merge
//! their sorted signature files).
//!
//! The sorted stream depends only on the set of records, not on how they were buffered,
//! spilled or merged: the order is total, so results are the same for any thread count
//! and any budget.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};

/// Runs merged at once; each open run holds one read buffer of [`READ_BUFFER`] bytes.
pub const MAX_FAN_IN: usize = 64;
const READ_BUFFER: usize = 256 << 10;

/// A record of a fixed number of bytes, ordered as it must come out of the sort.
pub trait FixedRecord: Copy + Ord + Send {
    /// Bytes of one encoded record.
    const BYTES: usize;
    /// Appends the record's bytes to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads a record from exactly [`FixedRecord::BYTES`] bytes.
    fn decode(bytes: &[u8]) -> Self;
}

/// What the sort cost, for the stage record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SortStats {
    pub records: u64,
    /// Largest number of bytes of records held in memory at once.
    pub peak_memory: u64,
    /// Run files written (merge passes included).
    pub runs: u64,
    /// Bytes written to run files (merge passes included).
    pub spilled_bytes: u64,
    /// Passes over the runs before the final merge.
    pub merge_passes: u64,
}

/// One sorted run on disk.
#[derive(Debug)]
struct Run {
    path: PathBuf,
    records: u64,
}

struct Inner<T> {
    buffer: Vec<T>,
    runs: Vec<Run>,
    stats: SortStats,
}

/// Sorts records pushed from any number of threads, holding at most a budget of them in
/// memory (a spill in progress holds one more full buffer while it is written).
pub struct ExternalSorter<T> {
    dir: PathBuf,
    name: String,
    /// Records buffered before a spill; `usize::MAX`: never spill.
    capacity: usize,
    inner: Mutex<Inner<T>>,
}

impl<T: FixedRecord> ExternalSorter<T> {
    /// A sorter whose run files go to `dir` as `{name}-NNNNNN.run`. With `budget_bytes`,
    /// a buffer is spilled when it reaches half the budget (the other half is the buffer
    /// being written); without, everything stays in memory. `expected` records are
    /// reserved up front (capped by the buffer), so the buffer holds no growth slack.
    pub fn new(dir: &Path, name: &str, budget_bytes: Option<u64>, expected: usize) -> Self {
        let capacity = match budget_bytes {
            Some(bytes) => usize::try_from(bytes / 2 / T::BYTES as u64)
                .unwrap_or(usize::MAX)
                .max(1),
            None => usize::MAX,
        };
        ExternalSorter {
            dir: dir.to_path_buf(),
            name: name.to_owned(),
            capacity,
            inner: Mutex::new(Inner {
                buffer: Vec::with_capacity(expected.min(capacity)),
                runs: Vec::new(),
                stats: SortStats::default(),
            }),
        }
    }

    /// Adds records; spills the buffer (outside the lock) when it is full.
    pub fn extend(&self, records: &[T]) -> Result<()> {
        let mut rest = records;
        while !rest.is_empty() {
            let full = {
                let mut inner = self.lock()?;
                let room = self.capacity - inner.buffer.len().min(self.capacity);
                let (now, later) = rest.split_at(room.min(rest.len()));
                inner.buffer.extend_from_slice(now);
                inner.stats.records += now.len() as u64;
                let held = (inner.buffer.capacity() * T::BYTES) as u64;
                inner.stats.peak_memory = inner.stats.peak_memory.max(held);
                rest = later;
                if inner.buffer.len() >= self.capacity {
                    let reserve = inner.buffer.len();
                    Some(std::mem::replace(
                        &mut inner.buffer,
                        Vec::with_capacity(reserve),
                    ))
                } else {
                    None
                }
            };
            if let Some(mut full) = full {
                full.sort_unstable();
                self.spill(&full)?;
            }
        }
        Ok(())
    }

    /// Records pushed so far.
    pub fn len(&self) -> Result<u64> {
        Ok(self.lock()?.stats.records)
    }

    /// The records in sorted order, and what sorting them cost.
    pub fn finish(self) -> Result<(Sorted<T>, SortStats)> {
        let dir = self.dir.clone();
        let name = self.name.clone();
        let inner = self
            .inner
            .into_inner()
            .map_err(|_| anyhow::anyhow!("a worker panicked while sorting {name}"))?;
        let Inner {
            mut buffer,
            mut runs,
            mut stats,
        } = inner;
        buffer.sort_unstable();
        if runs.is_empty() {
            return Ok((Sorted::Memory(buffer.into_iter()), stats));
        }
        if !buffer.is_empty() {
            runs.push(write_run(&dir, &name, stats.runs, &buffer)?);
            stats.runs += 1;
            stats.spilled_bytes += (buffer.len() * T::BYTES) as u64;
        }
        drop(buffer);
        // Name order is write order, so merges are reproducible run for run.
        runs.sort_by(|a, b| a.path.cmp(&b.path));
        while runs.len() > MAX_FAN_IN {
            stats.merge_passes += 1;
            let mut merged = Vec::with_capacity(runs.len().div_ceil(MAX_FAN_IN));
            for chunk in runs.chunks(MAX_FAN_IN) {
                let path = run_path(&dir, &name, stats.runs);
                stats.runs += 1;
                let mut out = RunWriter::create(&path)?;
                let mut records = 0u64;
                for record in Merge::<T>::open(chunk)? {
                    out.push(&record?)?;
                    records += 1;
                }
                out.finish()?;
                stats.spilled_bytes += records * T::BYTES as u64;
                for run in chunk {
                    remove_run(run)?;
                }
                merged.push(Run { path, records });
            }
            runs = merged;
        }
        Ok((Sorted::Disk(Merge::open_owned(runs)?), stats))
    }

    fn spill(&self, sorted: &[T]) -> Result<()> {
        let number = {
            let mut inner = self.lock()?;
            inner.stats.runs += 1;
            inner.stats.spilled_bytes += (sorted.len() * T::BYTES) as u64;
            inner.stats.runs - 1
        };
        let run = write_run(&self.dir, &self.name, number, sorted)?;
        self.lock()?.runs.push(run);
        Ok(())
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner<T>>> {
        self.inner
            .lock()
            .map_err(|_| anyhow::anyhow!("a worker panicked while sorting {}", self.name))
    }
}

fn run_path(dir: &Path, name: &str, number: u64) -> PathBuf {
    dir.join(format!("{name}-{number:06}.run"))
}

fn write_run<T: FixedRecord>(dir: &Path, name: &str, number: u64, sorted: &[T]) -> Result<Run> {
    let path = run_path(dir, name, number);
    let mut out = RunWriter::create(&path)?;
    for record in sorted {
        out.push(record)?;
    }
    out.finish()?;
    Ok(Run {
        path,
        records: sorted.len() as u64,
    })
}

fn remove_run(run: &Run) -> Result<()> {
    std::fs::remove_file(&run.path).with_context(|| format!("cannot remove {}", run.path.display()))
}

struct RunWriter {
    path: PathBuf,
    out: BufWriter<File>,
    bytes: Vec<u8>,
}

impl RunWriter {
    fn create(path: &Path) -> Result<Self> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(RunWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, file),
            bytes: Vec::new(),
        })
    }

    fn push<T: FixedRecord>(&mut self, record: &T) -> Result<()> {
        self.bytes.clear();
        record.encode(&mut self.bytes);
        self.out
            .write_all(&self.bytes)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    fn finish(mut self) -> Result<()> {
        self.out
            .flush()
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

/// Reads one run's records back, checking the count written.
struct RunReader {
    path: PathBuf,
    input: BufReader<File>,
    left: u64,
    bytes: Vec<u8>,
}

impl RunReader {
    fn open<T: FixedRecord>(run: &Run) -> Result<Self> {
        let file =
            File::open(&run.path).with_context(|| format!("cannot open {}", run.path.display()))?;
        let size = file.metadata()?.len();
        if size != run.records * T::BYTES as u64 {
            bail!(
                "{}: {size} bytes, expected {} records of {} bytes",
                run.path.display(),
                run.records,
                T::BYTES
            );
        }
        Ok(RunReader {
            path: run.path.clone(),
            input: BufReader::with_capacity(READ_BUFFER, file),
            left: run.records,
            bytes: vec![0; T::BYTES],
        })
    }

    fn next<T: FixedRecord>(&mut self) -> Result<Option<T>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.input
            .read_exact(&mut self.bytes)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        self.left -= 1;
        Ok(Some(T::decode(&self.bytes)))
    }
}

/// A k-way merge of sorted runs.
pub struct Merge<T> {
    readers: Vec<RunReader>,
    heap: BinaryHeap<Reverse<(T, usize)>>,
    /// Runs this merge owns and removes when dropped (the final merge's).
    owned: Vec<Run>,
}

impl<T: FixedRecord> Merge<T> {
    fn open(runs: &[Run]) -> Result<Self> {
        let mut readers = Vec::with_capacity(runs.len());
        let mut heap = BinaryHeap::with_capacity(runs.len());
        for (i, run) in runs.iter().enumerate() {
            let mut reader = RunReader::open::<T>(run)?;
            if let Some(first) = reader.next::<T>()? {
                heap.push(Reverse((first, i)));
            }
            readers.push(reader);
        }
        Ok(Merge {
            readers,
            heap,
            owned: Vec::new(),
        })
    }

    fn open_owned(runs: Vec<Run>) -> Result<Self> {
        let mut merge = Merge::open(&runs)?;
        merge.owned = runs;
        Ok(merge)
    }
}

impl<T: FixedRecord> Iterator for Merge<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((record, run)) = self.heap.pop()?;
        match self.readers[run].next::<T>() {
            Ok(Some(following)) => self.heap.push(Reverse((following, run))),
            Ok(None) => {}
            Err(e) => return Some(Err(e)),
        }
        Some(Ok(record))
    }
}

impl<T> Drop for Merge<T> {
    fn drop(&mut self) {
        // Run files are scratch: a failure to remove one leaves it for the stage's
        // clean-up of its work directory.
        for run in &self.owned {
            let _ = std::fs::remove_file(&run.path);
        }
    }
}

/// The sorted records: the buffer itself, or a merge of runs on disk.
pub enum Sorted<T> {
    Memory(std::vec::IntoIter<T>),
    Disk(Merge<T>),
}

impl<T: FixedRecord> Iterator for Sorted<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Sorted::Memory(records) => records.next().map(Ok),
            Sorted::Disk(merge) => merge.next(),
        }
    }
}

/// A candidate pair `(low, high)` of global document indices.
impl FixedRecord for (u32, u32) {
    const BYTES: usize = 8;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_le_bytes());
        out.extend_from_slice(&self.1.to_le_bytes());
    }

    fn decode(bytes: &[u8]) -> Self {
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        (word(0), word(4))
    }
}

/// An LSH band record, as `band, hash, doc` little-endian (16 bytes).
impl FixedRecord for curate_filters::dedup::BandRecord {
    const BYTES: usize = 16;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.band.to_le_bytes());
        out.extend_from_slice(&self.hash.to_le_bytes());
        out.extend_from_slice(&self.doc.to_le_bytes());
    }

    fn decode(bytes: &[u8]) -> Self {
        let mut hash = [0u8; 8];
        hash.copy_from_slice(&bytes[4..12]);
        curate_filters::dedup::BandRecord {
            band: u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            hash: u64::from_le_bytes(hash),
            doc: u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curate_filters::dedup::BandRecord;

    fn records(n: u32) -> Vec<BandRecord> {
        // A scrambled order with repeated (band, hash) keys.
        (0..n)
            .map(|i| {
                let x = i.wrapping_mul(2_654_435_761);
                BandRecord {
                    band: x % 3,
                    hash: u64::from(x % 17),
                    doc: i,
                }
            })
            .collect()
    }

    fn sorted_through(budget: Option<u64>, input: &[BandRecord]) -> (Vec<BandRecord>, SortStats) {
        let dir = tempfile::tempdir().unwrap();
        let sorter = ExternalSorter::new(dir.path(), "bands", budget, input.len());
        for chunk in input.chunks(7) {
            sorter.extend(chunk).unwrap();
        }
        let (sorted, stats) = sorter.finish().unwrap();
        let out: Vec<BandRecord> = sorted.map(|r| r.unwrap()).collect();
        // The final merge removes its runs when done.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        (out, stats)
    }

    #[test]
    fn in_memory_and_spilled_sorts_agree() {
        let input = records(5_000);
        let mut expected = input.clone();
        expected.sort_unstable();
        let (memory, stats) = sorted_through(None, &input);
        assert_eq!(memory, expected);
        assert_eq!((stats.runs, stats.spilled_bytes), (0, 0));
        // 1,600 bytes: 50 records a run, 100 runs, so one merge pass first.
        let (disk, stats) = sorted_through(Some(1_600), &input);
        assert_eq!(disk, expected);
        assert_eq!(stats.records, 5_000);
        assert_eq!(stats.merge_passes, 1);
        assert_eq!(stats.runs, 100 + 2);
        assert!(stats.peak_memory <= 800 + 16 * 7, "{stats:?}");
    }

    #[test]
    fn records_round_trip_through_bytes() {
        let record = BandRecord {
            band: 7,
            hash: u64::MAX - 3,
            doc: 123_456,
        };
        let mut bytes = Vec::new();
        record.encode(&mut bytes);
        assert_eq!(bytes.len(), BandRecord::BYTES);
        assert_eq!(BandRecord::decode(&bytes), record);
        let pair = (3u32, u32::MAX);
        bytes.clear();
        pair.encode(&mut bytes);
        assert_eq!(<(u32, u32)>::decode(&bytes), pair);
    }

    #[test]
    fn a_truncated_run_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let sorter = ExternalSorter::new(dir.path(), "bands", Some(64), 0);
        sorter.extend(&records(10)).unwrap();
        let run = dir.path().join("bands-000000.run");
        let file = std::fs::OpenOptions::new().write(true).open(&run).unwrap();
        file.set_len(20).unwrap();
        let error = sorter.finish().err().unwrap();
        assert!(
            format!("{error:#}").contains("bands-000000.run"),
            "{error:#}"
        );
    }
}
