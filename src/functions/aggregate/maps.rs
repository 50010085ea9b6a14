//! `histogram(x)` and `map_agg(key, value)`: aggregates that build a map.
//!
//! Each group keeps the input arrays it was given (reference-counted slices,
//! no per-row copies) and builds its map once, at the end: keys are
//! compared in Arrow's row format, duplicates keep the first value, NULL
//! keys are skipped.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, MapArray, StructArray, UInt32Array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{concat, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};

/// Which map the aggregate builds.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
pub(super) enum Kind {
    /// `histogram(x)`: each distinct `x` and how often it occurs.
    Histogram,
    /// `map_agg(key, value)`: each distinct key and its (first) value.
    MapAgg,
}

/// A map-building aggregate.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct MapAggregate {
    kind: Kind,
    signature: Signature,
}

impl MapAggregate {
    pub(super) fn new(kind: Kind) -> Self {
        let n = match kind {
            Kind::Histogram => 1,
            Kind::MapAgg => 2,
        };
        Self {
            kind,
            signature: Signature::any(n, Volatility::Immutable),
        }
    }
}

fn map_type(key: &DataType, value: &DataType) -> DataType {
    let entries = Fields::from(vec![
        Field::new("key", key.clone(), false),
        Field::new("value", value.clone(), true),
    ]);
    DataType::Map(
        Arc::new(Field::new("entries", DataType::Struct(entries), false)),
        false,
    )
}

impl AggregateUDFImpl for MapAggregate {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Histogram => "histogram",
            Kind::MapAgg => "map_agg",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        if matches!(t[0], DataType::Null) {
            return plan_err!("{}: the key type is unknown (NULL); cast it", self.name());
        }
        Ok(match self.kind {
            Kind::Histogram => map_type(&t[0], &DataType::Int64),
            Kind::MapAgg => map_type(&t[0], &t[1]),
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(args
            .input_fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                Arc::new(Field::new(
                    format!("{}[{i}]", args.name),
                    DataType::List(Arc::new(Field::new_list_field(f.data_type().clone(), true))),
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(MapAccumulator {
            kind: self.kind,
            types: args
                .expr_fields
                .iter()
                .map(|f| f.data_type().clone())
                .collect(),
            inputs: Vec::new(),
        }))
    }
}

#[derive(Debug)]
struct MapAccumulator {
    kind: Kind,
    types: Vec<DataType>,
    /// Batches of (key[, value]) columns seen so far.
    inputs: Vec<Vec<ArrayRef>>,
}

impl MapAccumulator {
    /// All keys and values so far, concatenated.
    fn columns(&self) -> Result<Vec<ArrayRef>> {
        (0..self.types.len())
            .map(|c| {
                if self.inputs.is_empty() {
                    return Ok(datafusion::arrow::array::new_empty_array(&self.types[c]));
                }
                let parts: Vec<&dyn Array> = self.inputs.iter().map(|b| b[c].as_ref()).collect();
                Ok(concat(&parts)?)
            })
            .collect()
    }
}

impl Accumulator for MapAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if !values.is_empty() && !values[0].is_empty() {
            self.inputs.push(values.to_vec());
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists: Vec<_> = states.iter().map(|s| s.as_list::<i32>()).collect();
        for row in 0..states[0].len() {
            if lists[0].is_null(row) {
                continue;
            }
            self.inputs
                .push(lists.iter().map(|l| l.value(row)).collect());
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self
            .columns()?
            .into_iter()
            .map(|c| SingleRowListArrayBuilder::new(c).build_list_scalar())
            .collect())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let columns = self.columns()?;
        let keys = &columns[0];
        let converter = RowConverter::new(vec![SortField::new(keys.data_type().clone())])?;
        let rows = converter.convert_columns(std::slice::from_ref(keys))?;
        // Distinct non-NULL keys in first-seen order, with their counts.
        let mut seen: HashMap<_, usize> = HashMap::new();
        let mut first: Vec<u32> = Vec::new();
        let mut counts: Vec<i64> = Vec::new();
        for i in 0..keys.len() {
            if keys.is_null(i) {
                continue;
            }
            let slot = *seen.entry(rows.row(i)).or_insert_with(|| {
                first.push(i as u32);
                counts.push(0);
                first.len() - 1
            });
            counts[slot] += 1;
        }
        let indices = UInt32Array::from(first);
        let map_keys = take(keys.as_ref(), &indices, None)?;
        let map_values: ArrayRef = match self.kind {
            Kind::Histogram => Arc::new(Int64Array::from(counts)),
            Kind::MapAgg => take(columns[1].as_ref(), &indices, None)?,
        };
        let DataType::Map(entries, _) = map_type(map_keys.data_type(), map_values.data_type())
        else {
            unreachable!("map_type returns a map");
        };
        let DataType::Struct(fields) = entries.data_type() else {
            unreachable!("map entries are a struct");
        };
        let n = map_keys.len();
        let entries_array = StructArray::try_new(fields.clone(), vec![map_keys, map_values], None)?;
        let map = MapArray::try_new(
            entries,
            OffsetBuffer::from_lengths([n]),
            entries_array,
            // No input rows: NULL, as for Trino's other aggregates.
            self.inputs
                .is_empty()
                .then(|| datafusion::arrow::buffer::NullBuffer::new_null(1)),
            false,
        )?;
        Ok(ScalarValue::Map(Arc::new(map)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .inputs
                .iter()
                .flatten()
                .map(|a| a.get_array_memory_size())
                .sum::<usize>()
    }
}
