//! Pass 2 of dedup: one upstream part re-read and written as its kept documents (with
//! repeated lines removed) and its removed ones with reason and cluster.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, LazyLock};

use anyhow::{Context, Result, bail};
use arrow::array::{
    ArrayRef, BooleanArray, LargeStringArray, RecordBatch, StringArray, UInt64Array,
};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use curate_filters::dedup::LineDeduper;
use rayon::prelude::*;

use super::decide::{Decisions, Reason, Removal};
use super::scan::PartInput;
use crate::progress::StageProgress;
use crate::run::funnel::{Counts, Funnel, admit};
use crate::run::part_writer::PartWriter;
use crate::stages::parts::{DocumentColumns, open_part};

/// The columns of `removed/part-NNNNN.parquet`.
pub static REMOVED_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("domain", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
        // The global index of the kept document (null for line removal).
        Field::new("cluster", DataType::UInt64, true),
        Field::new("kept_id", DataType::Utf8, true),
    ]))
});

/// What happened to one document in pass 2.
enum Outcome {
    Kept {
        new_text: Option<String>,
        edited_out: usize,
    },
    Removed(Reason, Option<u32>),
}

/// What pass 2 shares between every partition.
pub struct WritePlan<'a> {
    /// The line dedupers by group (empty without `[dedup.lines]`).
    pub line_dedupers: &'a BTreeMap<u32, LineDeduper>,
    pub row_group_rows: usize,
}

/// The decisions of one part's documents, in row order: a slice of the global decisions
/// on one machine, or a partition's decision file on a cluster.
pub struct PartDecisions<'a> {
    pub removed: &'a [Option<Removal>],
    pub groups: &'a [u32],
    /// Ids of (at least) the documents this part's removed documents name as keeper.
    pub keeper_ids: &'a HashMap<u32, String>,
}

impl<'a> PartDecisions<'a> {
    /// The part's slice of every document's decisions.
    pub fn of(
        decisions: &'a Decisions,
        part: &PartInput,
        keeper_ids: &'a HashMap<u32, String>,
    ) -> Result<Self> {
        let range = part.start as usize..(part.start + part.rows) as usize;
        match (
            decisions.removed.get(range.clone()),
            decisions.groups.get(range),
        ) {
            (Some(removed), Some(groups)) => Ok(PartDecisions {
                removed,
                groups,
                keeper_ids,
            }),
            _ => bail!(
                "{}: documents {}..{} are beyond the {} decided",
                part.path.display(),
                part.start,
                part.start + part.rows,
                decisions.removed.len()
            ),
        }
    }
}

/// Writes one part; returns the funnel per source (with its domain).
pub fn write_part(
    plan: &WritePlan<'_>,
    decisions: &PartDecisions<'_>,
    part: &PartInput,
    output: &Path,
    removed_output: Option<&Path>,
    progress: &StageProgress,
) -> Result<BTreeMap<String, (String, Funnel)>> {
    if decisions.removed.len() != part.rows as usize || decisions.groups.len() != part.rows as usize
    {
        bail!(
            "{} has {} documents but its decisions cover {}",
            part.path.display(),
            part.rows,
            decisions.removed.len()
        );
    }
    let mut funnels: BTreeMap<String, (String, Funnel)> = BTreeMap::new();
    let mut kept_writer: Option<PartWriter> = None;
    let mut removed_writer = match removed_output {
        Some(path) => Some(PartWriter::create(
            path,
            REMOVED_SCHEMA.clone(),
            plan.row_group_rows,
        )?),
        None => None,
    };
    let mut row_in_part = 0usize;
    for batch in open_part(&part.path)? {
        let batch = batch.with_context(|| format!("cannot read {}", part.path.display()))?;
        let columns = DocumentColumns::of(&batch)?;
        let first = row_in_part;
        if first + batch.num_rows() > decisions.removed.len() {
            bail!(
                "{} holds more documents than its footer's {}",
                part.path.display(),
                part.rows
            );
        }
        let outcomes: Vec<Outcome> = (0..batch.num_rows())
            .into_par_iter()
            .map(|row| {
                let local = first + row;
                outcome(
                    plan,
                    decisions,
                    local,
                    part.start + local as u32,
                    columns.texts.value(row),
                )
            })
            .collect();
        row_in_part += batch.num_rows();
        let mut bytes = 0;
        for (row, outcome) in outcomes.iter().enumerate() {
            let text_len = columns.texts.value(row).len();
            bytes += text_len;
            let funnel = admit(
                &mut funnels,
                columns.sources.value(row),
                columns.domains.value(row),
                text_len,
            );
            match outcome {
                Outcome::Removed(reason, _) => {
                    funnel.record_drop(reason.method(), reason.as_str(), text_len)
                }
                Outcome::Kept { edited_out, .. } => {
                    funnel.output.add(Counts::one(text_len - edited_out));
                    funnel.bytes_edited_out += *edited_out as u64;
                }
            }
        }
        let kept = kept_batch(&batch, &columns, &outcomes)?;
        if kept_writer.is_none() {
            kept_writer = Some(PartWriter::create(
                output,
                kept.schema(),
                plan.row_group_rows,
            )?);
        }
        if let Some(writer) = kept_writer.as_mut() {
            writer.write(&kept)?;
        }
        if let Some(writer) = removed_writer.as_mut() {
            writer.write(&removed_batch(&columns, &outcomes, decisions.keeper_ids)?)?;
        }
        progress.add(batch.num_rows() as u64, bytes as u64);
    }
    let kept_writer = match kept_writer {
        Some(writer) => writer,
        // An empty part: keep the upstream schema.
        None => PartWriter::create(output, part_schema(&part.path)?, plan.row_group_rows)?,
    };
    kept_writer.commit()?;
    if let Some(writer) = removed_writer {
        writer.commit()?;
    }
    Ok(funnels)
}

/// The outcome of the part's `local`-th document, global document `doc`.
fn outcome(
    plan: &WritePlan<'_>,
    decisions: &PartDecisions<'_>,
    local: usize,
    doc: u32,
    text: &str,
) -> Outcome {
    if let Some(Removal { reason, keeper }) = decisions.removed[local] {
        return Outcome::Removed(reason, Some(keeper));
    }
    let Some(deduper) = plan.line_dedupers.get(&decisions.groups[local]) else {
        return Outcome::Kept {
            new_text: None,
            edited_out: 0,
        };
    };
    let result = deduper.apply_doc(doc, text);
    if result.drop_reason.is_some() {
        Outcome::Removed(Reason::LinesAllRepeated, None)
    } else if result.removed_lines == 0 {
        Outcome::Kept {
            new_text: None,
            edited_out: 0,
        }
    } else {
        Outcome::Kept {
            edited_out: result.removed_bytes,
            new_text: Some(result.text),
        }
    }
}

fn part_schema(path: &Path) -> Result<SchemaRef> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(builder.schema().clone())
}

/// The kept rows, with line-deduped text where lines were removed.
fn kept_batch(
    batch: &RecordBatch,
    columns: &DocumentColumns<'_>,
    outcomes: &[Outcome],
) -> Result<RecordBatch> {
    let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
    let edited = |o: &Outcome| {
        matches!(
            o,
            Outcome::Kept {
                new_text: Some(_),
                ..
            }
        )
    };
    if outcomes.iter().any(edited) {
        let texts: LargeStringArray = outcomes
            .iter()
            .enumerate()
            .map(|(row, o)| match o {
                Outcome::Kept {
                    new_text: Some(text),
                    ..
                } => Some(text.as_str()),
                _ => Some(columns.texts.value(row)),
            })
            .collect();
        arrays[batch.schema().index_of("text")?] = Arc::new(texts);
    }
    let full = RecordBatch::try_new(batch.schema(), arrays)?;
    let keep: BooleanArray = outcomes
        .iter()
        .map(|o| Some(matches!(o, Outcome::Kept { .. })))
        .collect();
    Ok(filter_record_batch(&full, &keep)?)
}

/// The removed rows with reason, cluster and the id of the kept document.
fn removed_batch(
    columns: &DocumentColumns<'_>,
    outcomes: &[Outcome],
    keeper_ids: &HashMap<u32, String>,
) -> Result<RecordBatch> {
    let rows: Vec<(usize, Reason, Option<u32>)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(row, o)| match o {
            Outcome::Removed(reason, keeper) => Some((row, *reason, *keeper)),
            Outcome::Kept { .. } => None,
        })
        .collect();
    let strings = |array: &StringArray| -> StringArray {
        rows.iter()
            .map(|(row, _, _)| Some(array.value(*row)))
            .collect()
    };
    let reasons: StringArray = rows.iter().map(|(_, r, _)| Some(r.as_str())).collect();
    let clusters: UInt64Array = rows.iter().map(|(_, _, k)| k.map(u64::from)).collect();
    let kept_ids: StringArray = rows
        .iter()
        .map(|(_, _, k)| k.and_then(|k| keeper_ids.get(&k)).map(String::as_str))
        .collect();
    Ok(RecordBatch::try_new(
        REMOVED_SCHEMA.clone(),
        vec![
            Arc::new(strings(columns.ids)),
            Arc::new(strings(columns.sources)),
            Arc::new(strings(columns.domains)),
            Arc::new(reasons),
            Arc::new(clusters),
            Arc::new(kept_ids),
        ],
    )?)
}
