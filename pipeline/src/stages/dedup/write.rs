//! Pass 2 of dedup: one upstream part re-read and written as its kept documents (with
//! repeated lines removed) and its removed ones with reason and cluster.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, LazyLock};

use anyhow::{Context, Result};
use arrow::array::{
    ArrayRef, BooleanArray, LargeStringArray, RecordBatch, StringArray, UInt64Array,
};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
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

/// The decisions pass 2 reads, shared by every partition.
pub struct WritePlan<'a> {
    pub decisions: &'a Decisions,
    /// Ids of the documents that removed documents name as their keeper.
    pub keeper_ids: &'a HashMap<u32, String>,
    pub row_group_rows: usize,
}

/// Writes one part; returns the funnel per source (with its domain).
pub fn write_part(
    plan: &WritePlan<'_>,
    part: &PartInput,
    output: &Path,
    removed_output: Option<&Path>,
    progress: &StageProgress,
) -> Result<BTreeMap<String, (String, Funnel)>> {
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
    let mut doc = part.start as usize;
    for batch in open_part(&part.path)? {
        let batch = batch.with_context(|| format!("cannot read {}", part.path.display()))?;
        let columns = DocumentColumns::of(&batch)?;
        let first = doc;
        let outcomes: Vec<Outcome> = (0..batch.num_rows())
            .into_par_iter()
            .map(|row| outcome(plan.decisions, first + row, columns.texts.value(row)))
            .collect();
        doc += batch.num_rows();
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
            writer.write(&removed_batch(&columns, &outcomes, plan.keeper_ids)?)?;
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

fn outcome(decisions: &Decisions, doc: usize, text: &str) -> Outcome {
    if let Some(Removal { reason, keeper }) = decisions.removed[doc] {
        return Outcome::Removed(reason, Some(keeper));
    }
    let Some(deduper) = decisions.line_dedupers.get(&decisions.groups[doc]) else {
        return Outcome::Kept {
            new_text: None,
            edited_out: 0,
        };
    };
    let result = deduper.apply_doc(doc as u32, text);
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
