//! Aggregates that look at all of a group's values at the end: `max(x, n)`,
//! `min(x, n)`, `max_by(x, y, n)`, `min_by(x, y, n)`, `map_union`,
//! `multimap_agg` and `approx_most_frequent`.
//!
//! As in `maps`, each group keeps the (reference-counted) input arrays it
//! was given and computes its value once. Constant parameters (`n`,
//! `buckets`) must be literals and are read when the accumulator is made.
//! `approx_most_frequent` counts exactly: an exact answer is within any
//! approximation Trino allows.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, ListArray, UInt32Array, new_empty_array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{SortOptions, concat, sort_to_indices, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;

use super::super::maps::{build_map, map_type};

/// Which aggregate.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
pub(crate) enum Kind {
    MaxN,
    MinN,
    MaxByN,
    MinByN,
    MapUnion,
    MultimapAgg,
    ApproxMostFrequent,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::MaxN => "max",
            Kind::MinN => "min",
            Kind::MaxByN => "max_by",
            Kind::MinByN => "min_by",
            Kind::MapUnion => "map_union",
            Kind::MultimapAgg => "multimap_agg",
            Kind::ApproxMostFrequent => "approx_most_frequent",
        }
    }

    /// The positions of the value arguments (the others are constants).
    fn data(self) -> &'static [usize] {
        match self {
            Kind::MaxByN | Kind::MinByN | Kind::MultimapAgg => &[0, 1],
            Kind::ApproxMostFrequent => &[1],
            _ => &[0],
        }
    }

    fn arity(self) -> usize {
        match self {
            Kind::MaxN | Kind::MinN | Kind::MultimapAgg => 2,
            Kind::MaxByN | Kind::MinByN | Kind::ApproxMostFrequent => 3,
            _ => 1,
        }
    }
}

/// An aggregate computed from all of a group's values.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Collect {
    kind: Kind,
    signature: Signature,
}

impl Collect {
    pub(crate) fn new(kind: Kind) -> Self {
        Self {
            kind,
            signature: Signature::any(kind.arity(), Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Collect {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        let list = |t: &DataType| DataType::new_list(t.clone(), true);
        Ok(match self.kind {
            Kind::MaxN | Kind::MinN | Kind::MaxByN | Kind::MinByN => list(&t[0]),
            Kind::MapUnion => match &t[0] {
                m @ DataType::Map(_, _) => m.clone(),
                other => return plan_err!("map_union: the argument must be a map, not {other}"),
            },
            Kind::MultimapAgg => map_type(&t[0], &list(&t[1])),
            Kind::ApproxMostFrequent => map_type(&t[1], &DataType::Int64),
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(self
            .kind
            .data()
            .iter()
            .map(|&i| {
                let t = args.input_fields[i].data_type().clone();
                Arc::new(Field::new(
                    format!("{}[{i}]", args.name),
                    DataType::List(Arc::new(Field::new_list_field(t, true))),
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let name = self.kind.name();
        // The constant parameters, as bigints.
        let constant = |i: usize| -> Result<i64> {
            let Some(lit) = args.exprs.get(i).and_then(|e| e.downcast_ref::<Literal>()) else {
                return plan_err!("{name}: argument {} must be a constant", i + 1);
            };
            match lit.value().cast_to(&DataType::Int64)? {
                ScalarValue::Int64(Some(n)) => Ok(n),
                _ => plan_err!("{name}: argument {} must not be NULL", i + 1),
            }
        };
        let limit = match self.kind {
            Kind::MaxN | Kind::MinN => Some(constant(1)?),
            Kind::MaxByN | Kind::MinByN => Some(constant(2)?),
            Kind::ApproxMostFrequent => {
                if constant(2)? <= 0 {
                    return plan_err!("{name}: capacity must be positive");
                }
                Some(constant(0)?)
            }
            _ => None,
        };
        if let Some(n) = limit {
            if n <= 0 {
                return plan_err!("{name}: n must be a positive integer, got {n}");
            }
            if n > 10_000 && self.kind != Kind::ApproxMostFrequent {
                return plan_err!("{name}: n must be less than or equal to 10000, got {n}");
            }
        }
        let types = self
            .kind
            .data()
            .iter()
            .map(|&i| args.expr_fields[i].data_type().clone())
            .collect();
        Ok(Box::new(Collected {
            kind: self.kind,
            limit: limit.unwrap_or(0) as usize,
            result: args.return_field.data_type().clone(),
            types,
            inputs: Vec::new(),
        }))
    }
}

#[derive(Debug)]
struct Collected {
    kind: Kind,
    limit: usize,
    result: DataType,
    types: Vec<DataType>,
    /// Batches of the value columns seen so far.
    inputs: Vec<Vec<ArrayRef>>,
}

impl Collected {
    fn columns(&self) -> Result<Vec<ArrayRef>> {
        (0..self.types.len())
            .map(|c| {
                if self.inputs.is_empty() {
                    return Ok(new_empty_array(&self.types[c]));
                }
                let parts: Vec<&dyn Array> = self.inputs.iter().map(|b| b[c].as_ref()).collect();
                Ok(concat(&parts)?)
            })
            .collect()
    }
}

/// A one-row list scalar of `values`.
fn list_scalar(values: ArrayRef) -> ScalarValue {
    SingleRowListArrayBuilder::new(values).build_list_scalar()
}

/// The first index of each distinct row of `keys` (NULLs skipped unless
/// `keep_nulls`), in first-seen order, with how often each occurs.
fn distinct(keys: &ArrayRef, keep_nulls: bool) -> Result<(Vec<u32>, Vec<Vec<u32>>)> {
    let converter = RowConverter::new(vec![SortField::new(keys.data_type().clone())])?;
    let rows = converter.convert_columns(std::slice::from_ref(keys))?;
    let mut seen: HashMap<_, usize> = HashMap::new();
    let (mut first, mut members): (Vec<u32>, Vec<Vec<u32>>) = (Vec::new(), Vec::new());
    for i in 0..keys.len() {
        if keys.is_null(i) && !keep_nulls {
            continue;
        }
        match seen.get(&rows.row(i)) {
            Some(&slot) => members[slot].push(i as u32),
            None => {
                seen.insert(rows.row(i), first.len());
                first.push(i as u32);
                members.push(vec![i as u32]);
            }
        }
    }
    Ok((first, members))
}

impl Accumulator for Collected {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if values.first().is_some_and(|v| !v.is_empty()) {
            self.inputs.push(
                self.kind
                    .data()
                    .iter()
                    .map(|&i| Arc::clone(&values[i]))
                    .collect(),
            );
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists: Vec<_> = states.iter().map(|s| s.as_list::<i32>()).collect();
        for row in 0..states[0].len() {
            if !lists[0].is_null(row) {
                self.inputs
                    .push(lists.iter().map(|l| l.value(row)).collect());
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self.columns()?.into_iter().map(list_scalar).collect())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let cols = self.columns()?;
        let value = match self.kind {
            Kind::MaxN | Kind::MinN | Kind::MaxByN | Kind::MinByN => {
                let key = cols.last().expect("one or two columns");
                let descending = matches!(self.kind, Kind::MaxN | Kind::MaxByN);
                let present = datafusion::arrow::compute::is_not_null(key)?;
                let indices: Vec<u32> = (0..key.len() as u32)
                    .filter(|&i| present.value(i as usize))
                    .collect();
                if indices.is_empty() {
                    return ScalarValue::try_from(&self.result);
                }
                let indices = UInt32Array::from(indices);
                let keys = take(key.as_ref(), &indices, None)?;
                let options = SortOptions {
                    descending,
                    nulls_first: false,
                };
                let order = sort_to_indices(&keys, Some(options), Some(self.limit))?;
                let picked: UInt32Array = order
                    .values()
                    .iter()
                    .map(|&o| indices.value(o as usize))
                    .collect();
                list_scalar(take(cols[0].as_ref(), &picked, None)?)
            }
            Kind::MapUnion => {
                let maps = cols[0].as_map();
                let entries: ArrayRef = Arc::new(maps.entries().clone());
                let keys = Arc::clone(maps.keys());
                // Entries of NULL maps are not entries.
                let (first, _) = distinct(&keys, false)?;
                let live: Vec<u32> = first
                    .into_iter()
                    .filter(|&i| {
                        let row = maps.value_offsets().partition_point(|&o| o as u32 <= i) - 1;
                        maps.is_valid(row)
                    })
                    .collect();
                if maps.null_count() == maps.len() {
                    return ScalarValue::try_from(&self.result);
                }
                let picked = take(entries.as_ref(), &UInt32Array::from(live), None)?;
                let DataType::Map(field, sorted) = maps.data_type() else {
                    return exec_err!("map_union: internal error, not a map");
                };
                let n = picked.len();
                ScalarValue::Map(Arc::new(datafusion::arrow::array::MapArray::try_new(
                    Arc::clone(field),
                    OffsetBuffer::from_lengths([n]),
                    picked.as_struct().clone(),
                    None,
                    *sorted,
                )?))
            }
            Kind::MultimapAgg => {
                let (first, members) = distinct(&cols[0], false)?;
                if self.inputs.is_empty() {
                    return ScalarValue::try_from(&self.result);
                }
                let keys = take(cols[0].as_ref(), &UInt32Array::from(first), None)?;
                let flat: Vec<u32> = members.iter().flatten().copied().collect();
                let values = take(cols[1].as_ref(), &UInt32Array::from(flat), None)?;
                let grouped = ListArray::try_new(
                    Arc::new(Field::new_list_field(cols[1].data_type().clone(), true)),
                    OffsetBuffer::from_lengths(members.iter().map(Vec::len)),
                    values,
                    None,
                )?;
                map_scalar(keys, Arc::new(grouped))?
            }
            Kind::ApproxMostFrequent => {
                let (first, members) = distinct(&cols[0], false)?;
                if first.is_empty() {
                    return ScalarValue::try_from(&self.result);
                }
                // Most frequent first; ties in first-seen order.
                let mut order: Vec<usize> = (0..first.len()).collect();
                order.sort_by_key(|&s| std::cmp::Reverse(members[s].len()));
                order.truncate(self.limit);
                let keys = take(
                    cols[0].as_ref(),
                    &UInt32Array::from(order.iter().map(|&s| first[s]).collect::<Vec<_>>()),
                    None,
                )?;
                let counts: Int64Array = order
                    .iter()
                    .map(|&s| Some(members[s].len() as i64))
                    .collect();
                map_scalar(keys, Arc::new(counts))?
            }
        };
        Ok(value)
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

/// A one-row map scalar.
fn map_scalar(keys: ArrayRef, values: ArrayRef) -> Result<ScalarValue> {
    let n = keys.len();
    let map = build_map(keys, values, [n], None)?;
    Ok(ScalarValue::Map(Arc::new(map.as_map().clone())))
}
