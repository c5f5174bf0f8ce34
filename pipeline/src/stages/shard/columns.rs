//! The columns of a shard, and packed sequences turned into Arrow batches.
//!
//! `input_ids` is a `List<UInt32>` rather than a `FixedSizeList`: every row holds exactly
//! `seq_len` ids (the manifest says how many), and a plain list is what every reader maps
//! without surprises (HF `datasets` infers `Sequence(Value("uint32"))`, pyarrow's
//! `to_numpy` flattens it into one contiguous array). `documents` says which document
//! stretches make up each row, for audits and for attributing a sequence to its sources;
//! its `domain` is the document's own (the one a classifier routed it to, if any), read
//! from the count parts' `domain` column like everything the mix planned with.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, ListArray, RecordBatch, StringArray, StructArray, UInt8Array, UInt32Array,
    UInt64Array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use arrow::error::ArrowError;

use super::pack::Sequence;

/// The column with each sequence's output position, in the shuffle's sequence buckets.
pub const POSITION: &str = "position";

fn segment_fields() -> Fields {
    Fields::from(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("domain", DataType::Utf8, false),
        Field::new("id", DataType::Utf8, false),
        Field::new("start", DataType::UInt32, false),
        Field::new("offset", DataType::UInt32, false),
        Field::new("length", DataType::UInt32, false),
    ])
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, false)))
}

/// The schema of a shard file; with `padded`, an `attention_mask` marks real tokens (1)
/// against padding (0).
pub fn shard_schema(padded: bool) -> SchemaRef {
    let mut fields = vec![
        Field::new("input_ids", list_of(DataType::UInt32), false),
        Field::new(
            "documents",
            list_of(DataType::Struct(segment_fields())),
            false,
        ),
    ];
    if padded {
        fields.push(Field::new(
            "attention_mask",
            list_of(DataType::UInt8),
            false,
        ));
    }
    Arc::new(Schema::new(fields))
}

/// The schema of a sequence bucket: the output position, then the shard columns.
pub fn bucket_schema(padded: bool) -> SchemaRef {
    let mut fields = vec![Field::new(POSITION, DataType::UInt64, false)];
    fields.extend(
        shard_schema(padded)
            .fields()
            .iter()
            .map(|f| f.as_ref().clone()),
    );
    Arc::new(Schema::new(fields))
}

/// Sequences with their output positions as a bucket batch.
pub fn bucket_batch(rows: &[(u64, Sequence)], padded: bool) -> Result<RecordBatch, ArrowError> {
    let positions: UInt64Array = rows.iter().map(|(p, _)| Some(*p)).collect();
    let mut columns: Vec<ArrayRef> = vec![Arc::new(positions)];
    columns.extend(sequence_columns(rows.iter().map(|(_, s)| s), padded)?);
    RecordBatch::try_new(bucket_schema(padded), columns)
}

fn sequence_columns<'a>(
    sequences: impl Iterator<Item = &'a Sequence> + Clone,
    padded: bool,
) -> Result<Vec<ArrayRef>, ArrowError> {
    let ids: UInt32Array = sequences
        .clone()
        .flat_map(|s| s.tokens.iter().copied().map(Some))
        .collect();
    let input_ids = ListArray::try_new(
        Arc::new(Field::new_list_field(DataType::UInt32, false)),
        OffsetBuffer::from_lengths(sequences.clone().map(|s| s.tokens.len())),
        Arc::new(ids),
        None,
    )?;
    let segments = || sequences.clone().flat_map(|s| s.segments.iter());
    let strings = |f: fn(&super::pack::Segment) -> &str| -> ArrayRef {
        Arc::new(segments().map(|s| Some(f(s))).collect::<StringArray>())
    };
    let numbers = |f: fn(&super::pack::Segment) -> u32| -> ArrayRef {
        Arc::new(segments().map(|s| Some(f(s))).collect::<UInt32Array>())
    };
    let structs = StructArray::try_new(
        segment_fields(),
        vec![
            strings(|s| &s.source),
            strings(|s| &s.domain),
            strings(|s| &s.id),
            numbers(|s| s.start),
            numbers(|s| s.offset),
            numbers(|s| s.length),
        ],
        None,
    )?;
    let documents = ListArray::try_new(
        Arc::new(Field::new_list_field(
            DataType::Struct(segment_fields()),
            false,
        )),
        OffsetBuffer::from_lengths(sequences.clone().map(|s| s.segments.len())),
        Arc::new(structs),
        None,
    )?;
    let mut columns: Vec<ArrayRef> = vec![Arc::new(input_ids), Arc::new(documents)];
    if padded {
        let mask: UInt8Array = sequences
            .clone()
            .flat_map(|s| (0..s.tokens.len()).map(|i| Some(u8::from(i < s.real_tokens))))
            .collect();
        columns.push(Arc::new(ListArray::try_new(
            Arc::new(Field::new_list_field(DataType::UInt8, false)),
            OffsetBuffer::from_lengths(sequences.map(|s| s.tokens.len())),
            Arc::new(mask),
            None,
        )?));
    }
    Ok(columns)
}
