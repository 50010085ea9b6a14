//! Map functions DataFusion lacks: `map_from_entries`,
//! `multimap_from_entries` and `map_concat` (`map`, `map_keys`,
//! `map_values`, `map_entries` and `cardinality` are DataFusion's; the
//! lambda ones are in `lambda`).
//!
//! Keys are compared in Arrow's row format, so any key type works. As in
//! Trino, a NULL entry or key is an error, and so is a duplicate key in
//! `map_from_entries`.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, ListArray, MapArray, StructArray, UInt32Array, new_empty_array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::{concat, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};

use super::{Udf, arrays, finish};

/// The map functions of this module.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        Udf::scalar_udf(
            "map_from_entries",
            Signature::any(1, Volatility::Immutable),
            |t| from_entries_type("map_from_entries", &t[0], false),
            |a, n| from_entries(a, n, false),
        ),
        Udf::scalar_udf(
            "multimap_from_entries",
            Signature::any(1, Volatility::Immutable),
            |t| from_entries_type("multimap_from_entries", &t[0], true),
            |a, n| from_entries(a, n, true),
        ),
        Udf::scalar_udf(
            "map_concat",
            Signature::variadic_any(Volatility::Immutable),
            map_concat_type,
            map_concat,
        ),
    ]
}

/// A map type of `key` to `value`, shaped as lathe's other maps.
pub(crate) fn map_type(key: &DataType, value: &DataType) -> DataType {
    DataType::Map(entries_field(key, value), false)
}

fn entries_field(key: &DataType, value: &DataType) -> FieldRef {
    let entries = Fields::from(vec![
        Field::new("key", key.clone(), false),
        Field::new("value", value.clone(), true),
    ]);
    Arc::new(Field::new("entries", DataType::Struct(entries), false))
}

/// A map column from flat keys and values, `lengths` entries per row.
pub(crate) fn build_map(
    keys: ArrayRef,
    values: ArrayRef,
    lengths: impl IntoIterator<Item = usize>,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    let DataType::Map(entries, _) = map_type(keys.data_type(), values.data_type()) else {
        return exec_err!("internal error: map_type did not give a map");
    };
    let DataType::Struct(fields) = entries.data_type() else {
        return exec_err!("internal error: map entries are not a struct");
    };
    let entries_array = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
    Ok(Arc::new(MapArray::try_new(
        entries,
        OffsetBuffer::from_lengths(lengths),
        entries_array,
        nulls,
        false,
    )?))
}

/// The key and value types of an `array(row(K, V))`.
fn entry_types(name: &str, t: &DataType) -> Result<(DataType, DataType)> {
    let element = match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => f.data_type(),
        other => return plan_err!("{name}: the argument must be an array of rows, not {other}"),
    };
    match element {
        DataType::Struct(fields) if fields.len() == 2 => {
            Ok((fields[0].data_type().clone(), fields[1].data_type().clone()))
        }
        other => plan_err!("{name}: the array's elements must be rows of two fields, not {other}"),
    }
}

fn from_entries_type(name: &str, t: &DataType, multi: bool) -> Result<DataType> {
    let (k, v) = entry_types(name, t)?;
    Ok(if multi {
        map_type(&k, &DataType::new_list(v, true))
    } else {
        map_type(&k, &v)
    })
}

/// `map_from_entries(array(row(K, V)))` / `multimap_from_entries(...)`.
fn from_entries(args: &[ColumnarValue], rows: usize, multi: bool) -> Result<ColumnarValue> {
    let name = if multi {
        "multimap_from_entries"
    } else {
        "map_from_entries"
    };
    let input = args[0].to_array(rows)?;
    let list = match input.data_type() {
        DataType::List(_) => input.as_list::<i32>().clone(),
        DataType::LargeList(_) | DataType::FixedSizeList(_, _) => {
            let t = DataType::List(match input.data_type() {
                DataType::LargeList(f) | DataType::FixedSizeList(f, _) => Arc::clone(f),
                _ => unreachable!("matched above"),
            });
            datafusion::arrow::compute::kernels::cast::cast(&input, &t)?
                .as_list::<i32>()
                .clone()
        }
        other => return exec_err!("{name}: the argument must be an array of rows, not {other}"),
    };
    let entries = list.values().as_struct();
    let (keys, values) = (entries.column(0), entries.column(1));
    let converter = RowConverter::new(vec![SortField::new(keys.data_type().clone())])?;
    let key_rows = converter.convert_columns(std::slice::from_ref(keys))?;
    let offsets = list.value_offsets();
    // Indices into the entries of each output entry's key; for a multimap,
    // the value indices of each key, in order.
    let mut key_take: Vec<u32> = Vec::new();
    let mut lengths: Vec<usize> = Vec::with_capacity(list.len());
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for row in 0..list.len() {
        if list.is_null(row) {
            lengths.push(0);
            continue;
        }
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        let mut seen: HashMap<_, usize> = HashMap::new();
        let before = key_take.len();
        for i in start..end {
            if entries.is_null(i) {
                return exec_err!("{name}: map entry cannot be null");
            }
            if keys.is_null(i) {
                return exec_err!("{name}: map key cannot be null");
            }
            match seen.get(&key_rows.row(i)) {
                Some(&slot) if multi => groups[slot].push(i as u32),
                Some(_) => {
                    let key = datafusion::common::ScalarValue::try_from_array(keys, i)?;
                    return exec_err!("{name}: duplicate map keys ({key}) are not allowed");
                }
                None => {
                    seen.insert(key_rows.row(i), groups.len());
                    groups.push(vec![i as u32]);
                    key_take.push(i as u32);
                }
            }
        }
        lengths.push(key_take.len() - before);
    }
    let key_take = UInt32Array::from(key_take);
    let out_keys = take(keys.as_ref(), &key_take, None)?;
    let out_values: ArrayRef = if multi {
        let flat = UInt32Array::from(groups.iter().flatten().copied().collect::<Vec<_>>());
        let flat_values = take(values.as_ref(), &flat, None)?;
        Arc::new(ListArray::try_new(
            Arc::new(Field::new_list_field(values.data_type().clone(), true)),
            OffsetBuffer::from_lengths(groups.iter().map(Vec::len)),
            flat_values,
            None,
        )?)
    } else {
        take(values.as_ref(), &key_take, None)?
    };
    let out = build_map(out_keys, out_values, lengths, list.nulls().cloned())?;
    finish(args, out)
}

fn map_concat_type(t: &[DataType]) -> Result<DataType> {
    if let Some(other) = t.iter().find(|x| **x != t[0] && !x.is_null()) {
        return plan_err!(
            "map_concat: the maps must be of one type, not {} and {other}",
            t[0]
        );
    }
    match t.first() {
        Some(m @ DataType::Map(_, _)) => Ok(m.clone()),
        Some(DataType::Null) | None => plan_err!("map_concat takes one or more maps"),
        Some(other) => plan_err!("map_concat: the arguments must be maps, not {other}"),
    }
}

/// `map_concat(m1, ..., mN)`: the union of the maps, a key's value from the
/// last map that has it; NULL if any map is NULL.
fn map_concat(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
    if types.iter().any(DataType::is_null) {
        let t = map_concat_type(&types)?;
        return finish(args, datafusion::arrow::array::new_null_array(&t, rows));
    }
    let maps = arrays(args, rows)?;
    let maps: Vec<&MapArray> = maps.iter().map(|m| m.as_map()).collect();
    let Some(first) = maps.first() else {
        return exec_err!("map_concat takes one or more maps");
    };
    // All entries of all maps, with (map, entry) positions into them.
    let key_parts: Vec<&dyn Array> = maps.iter().map(|m| m.keys().as_ref()).collect();
    let value_parts: Vec<&dyn Array> = maps.iter().map(|m| m.values().as_ref()).collect();
    let (all_keys, all_values) = if maps.len() == 1 {
        (Arc::clone(first.keys()), Arc::clone(first.values()))
    } else {
        (concat(&key_parts)?, concat(&value_parts)?)
    };
    let mut base = Vec::with_capacity(maps.len());
    let mut at = 0usize;
    for m in &maps {
        base.push(at);
        at += m.keys().len();
    }
    let converter = RowConverter::new(vec![SortField::new(all_keys.data_type().clone())])?;
    let key_rows = converter.convert_columns(std::slice::from_ref(&all_keys))?;
    let mut take_idx: Vec<u32> = Vec::new();
    let mut lengths = Vec::with_capacity(rows);
    let mut nulls = Vec::with_capacity(rows);
    for row in 0..rows {
        if maps.iter().any(|m| m.is_null(row)) {
            lengths.push(0);
            nulls.push(false);
            continue;
        }
        nulls.push(true);
        // Key → slot in this row's output; a later map's value replaces.
        let mut seen: HashMap<_, usize> = HashMap::new();
        let start = take_idx.len();
        for (m, map) in maps.iter().enumerate() {
            let o = map.value_offsets();
            for e in o[row] as usize..o[row + 1] as usize {
                let i = base[m] + e;
                match seen.get(&key_rows.row(i)) {
                    Some(&slot) => take_idx[slot] = i as u32,
                    None => {
                        seen.insert(key_rows.row(i), take_idx.len());
                        take_idx.push(i as u32);
                    }
                }
            }
        }
        lengths.push(take_idx.len() - start);
    }
    let take_idx = UInt32Array::from(take_idx);
    let keys = if all_keys.is_empty() {
        new_empty_array(all_keys.data_type())
    } else {
        take(all_keys.as_ref(), &take_idx, None)?
    };
    let values = take(all_values.as_ref(), &take_idx, None)?;
    let out = build_map(keys, values, lengths, Some(NullBuffer::from(nulls)))?;
    finish(args, out)
}
