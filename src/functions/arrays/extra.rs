//! Trino's array functions that DataFusion lacks: `array_histogram`,
//! `array_last`, `combinations`, `contains_sequence`, `ngrams`, `repeat`,
//! `shuffle` and `trim_array`; and DataFusion's under Trino's names
//! (`euclidean_distance` is `array_distance`, `zip` is `arrays_zip`).
//!
//! Each works on the flattened elements of the batch: it picks element
//! indices and `take`s them once, so any element type works.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, UInt32Array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};
use datafusion::prelude::SessionContext;

use super::super::maps::build_map;
use super::super::{Udf, finish};

/// The array functions of this module, over the session's built-ins.
pub(super) fn functions(ctx: &SessionContext) -> Vec<ScalarUDF> {
    let state = ctx.state();
    let mut out: Vec<ScalarUDF> = [
        ("array_distance", "euclidean_distance"),
        ("arrays_zip", "zip"),
    ]
    .into_iter()
    .filter_map(|(builtin, trino)| {
        state
            .scalar_functions()
            .get(builtin)
            .map(|f| f.as_ref().clone().with_aliases([trino]))
    })
    .collect();
    let any = |n| Signature::any(n, Volatility::Immutable);
    out.extend([
        Udf::scalar_udf(
            "array_histogram",
            any(1),
            |t| {
                Ok(super::super::maps::map_type(
                    &element_type("array_histogram", &t[0])?,
                    &DataType::Int64,
                ))
            },
            array_histogram,
        ),
        Udf::scalar_udf(
            "array_last",
            any(1),
            |t| element_type("array_last", &t[0]),
            array_last,
        ),
        Udf::scalar_udf(
            "combinations",
            any(2),
            |t| nested("combinations", &t[0]),
            combinations,
        ),
        Udf::scalar_udf("ngrams", any(2), |t| nested("ngrams", &t[0]), ngrams),
        Udf::scalar_udf(
            "arrays_overlap",
            any(2),
            |_| Ok(DataType::Boolean),
            arrays_overlap,
        ),
        Udf::scalar_udf(
            "contains_sequence",
            any(2),
            |_| Ok(DataType::Boolean),
            contains_sequence,
        ),
        Udf::scalar_udf(
            "repeat",
            any(2),
            |t| Ok(DataType::new_list(t[0].clone(), true)),
            repeat,
        ),
        Udf::scalar_udf(
            "trim_array",
            any(2),
            |t| list_type("trim_array", &t[0]),
            trim_array,
        ),
        Udf::scalar_udf(
            "shuffle",
            Signature::any(1, Volatility::Volatile),
            |t| list_type("shuffle", &t[0]),
            shuffle,
        ),
    ]);
    out
}

/// `arrays_overlap(x, y)`: whether the arrays share a non-NULL element;
/// NULL when they share none but either holds a NULL (Trino's rule;
/// DataFusion's `array_has_any` says false).
fn arrays_overlap(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let (x, y) = (args[0].to_array(rows)?, args[1].to_array(rows)?);
    let (x, y) = (lists("arrays_overlap", &x)?, lists("arrays_overlap", &y)?);
    let out: BooleanArray = (0..rows)
        .map(|i| {
            if x.is_null(i) || y.is_null(i) {
                return Ok(None);
            }
            let (a, b) = (x.value(i), y.value(i));
            let converter = RowConverter::new(vec![SortField::new(a.data_type().clone())])?;
            let (ra, rb) = (
                converter.convert_columns(std::slice::from_ref(&a))?,
                converter.convert_columns(&[cast(&b, a.data_type())?])?,
            );
            let shared = (0..a.len())
                .filter(|&p| a.is_valid(p))
                .any(|p| (0..b.len()).any(|q| b.is_valid(q) && ra.row(p) == rb.row(q)));
            Ok(if shared {
                Some(true)
            } else if a.null_count() + b.null_count() > 0 {
                None
            } else {
                Some(false)
            })
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

/// An array argument as a `ListArray`.
fn lists(name: &str, a: &ArrayRef) -> Result<ListArray> {
    match a.data_type() {
        DataType::List(_) => Ok(a.as_list::<i32>().clone()),
        DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            Ok(cast(a, &DataType::List(Arc::clone(f)))?
                .as_list::<i32>()
                .clone())
        }
        DataType::Null => Ok(ListArray::new_null(
            Arc::new(Field::new_list_field(DataType::Null, true)),
            a.len(),
        )),
        other => exec_err!("{name}: the arguments must be arrays, not {other}"),
    }
}

fn element_field(name: &str, t: &DataType) -> Result<FieldRef> {
    match t {
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => Ok(Arc::clone(f)),
        DataType::Null => Ok(Arc::new(Field::new_list_field(DataType::Null, true))),
        other => plan_err!("{name}: the first argument must be an array, not {other}"),
    }
}

fn element_type(name: &str, t: &DataType) -> Result<DataType> {
    Ok(element_field(name, t)?.data_type().clone())
}

fn list_type(name: &str, t: &DataType) -> Result<DataType> {
    Ok(DataType::List(element_field(name, t)?))
}

/// `array(array(T))` for an `array(T)`.
fn nested(name: &str, t: &DataType) -> Result<DataType> {
    Ok(DataType::new_list(list_type(name, t)?, true))
}

/// An argument as a `List` array (other list shapes are cast).
fn list(name: &str, value: &ColumnarValue, rows: usize) -> Result<ListArray> {
    let array = value.to_array(rows)?;
    let t = list_type(name, array.data_type())?;
    let array = if array.data_type() == &t {
        array
    } else {
        cast(&array, &t)?
    };
    Ok(array.as_list::<i32>().clone())
}

/// An integer argument as bigints.
fn integers(name: &str, value: &ColumnarValue, rows: usize) -> Result<Int64Array> {
    let array = value.to_array(rows)?;
    if !(array.data_type().is_integer() || array.data_type().is_null()) {
        return exec_err!(
            "{name}: the second argument must be an integer, not {}",
            array.data_type()
        );
    }
    Ok(cast(&array, &DataType::Int64)?.as_primitive().clone())
}

/// The range of row `row` in a list's values.
fn range(list: &ListArray, row: usize) -> std::ops::Range<usize> {
    let o = list.value_offsets();
    o[row] as usize..o[row + 1] as usize
}

/// A list column of `values` taken at `indices`, `lengths` per row.
fn list_of(
    field: FieldRef,
    values: &ArrayRef,
    indices: Vec<u32>,
    lengths: Vec<usize>,
    nulls: Option<NullBuffer>,
) -> Result<ListArray> {
    let taken = take(values.as_ref(), &UInt32Array::from(indices), None)?;
    Ok(ListArray::try_new(
        field,
        OffsetBuffer::from_lengths(lengths),
        taken,
        nulls,
    )?)
}

/// `array_histogram(x)`: each distinct non-NULL element and its count.
fn array_histogram(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let list = list("array_histogram", &args[0], rows)?;
    let values = list.values();
    let converter = RowConverter::new(vec![SortField::new(values.data_type().clone())])?;
    let keys = converter.convert_columns(std::slice::from_ref(values))?;
    let (mut first, mut counts, mut lengths) = (Vec::new(), Vec::new(), Vec::new());
    for row in 0..list.len() {
        let mut seen: HashMap<_, usize> = HashMap::new();
        let start = first.len();
        if list.is_valid(row) {
            for i in range(&list, row) {
                if values.is_null(i) {
                    continue;
                }
                let slot = *seen.entry(keys.row(i)).or_insert_with(|| {
                    first.push(i as u32);
                    counts.push(0i64);
                    first.len() - 1
                });
                counts[slot] += 1;
            }
        }
        lengths.push(first.len() - start);
    }
    let map_keys = take(values.as_ref(), &UInt32Array::from(first), None)?;
    let out = build_map(
        map_keys,
        Arc::new(Int64Array::from(counts)),
        lengths,
        list.nulls().cloned(),
    )?;
    finish(args, out)
}

/// `array_last(x)`: the last element, NULL for an empty array.
fn array_last(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let list = list("array_last", &args[0], rows)?;
    let last: Vec<Option<u32>> = (0..list.len())
        .map(|row| {
            let r = range(&list, row);
            (list.is_valid(row) && !r.is_empty()).then(|| (r.end - 1) as u32)
        })
        .collect();
    let out = take(list.values().as_ref(), &UInt32Array::from(last), None)?;
    finish(args, out)
}

/// The `n`-element index subsets of `0..len`, in lexicographic order.
fn subsets(len: usize, n: usize, out: &mut Vec<Vec<usize>>) {
    let mut pick: Vec<usize> = (0..n).collect();
    if n > len {
        return;
    }
    loop {
        out.push(pick.clone());
        // The rightmost position that can still move right.
        let Some(i) = (0..n).rev().find(|&i| pick[i] < len - n + i) else {
            return;
        };
        pick[i] += 1;
        for j in i + 1..n {
            pick[j] = pick[j - 1] + 1;
        }
    }
}

/// `combinations(array, n)`: the `n`-element sub-groups of `array`.
fn combinations(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let list = list("combinations", &args[0], rows)?;
    let n = integers("combinations", &args[1], rows)?;
    let (mut indices, mut inner, mut outer, mut nulls) = (vec![], vec![], vec![], vec![]);
    for row in 0..list.len() {
        if list.is_null(row) || n.is_null(row) {
            outer.push(0);
            nulls.push(false);
            continue;
        }
        let k = n.value(row);
        if k < 0 {
            return exec_err!("combinations: combination size must not be negative, got {k}");
        }
        if k > 5 {
            return exec_err!("combinations: combination size must not exceed 5, got {k}");
        }
        let r = range(&list, row);
        let mut picks = Vec::new();
        subsets(r.len(), k as usize, &mut picks);
        if picks.len() * (k as usize).max(1) > 100_000 {
            return exec_err!(
                "combinations: the result of combinations of {} elements taken {k} at a time exceeds 100000 elements",
                r.len()
            );
        }
        outer.push(picks.len());
        nulls.push(true);
        for p in picks {
            inner.push(p.len());
            indices.extend(p.into_iter().map(|i| (r.start + i) as u32));
        }
    }
    nested_result(args, &list, indices, inner, outer, nulls)
}

/// An `array(array(T))` column from element indices and both levels' lengths.
fn nested_result(
    args: &[ColumnarValue],
    list: &ListArray,
    indices: Vec<u32>,
    inner: Vec<usize>,
    outer: Vec<usize>,
    nulls: Vec<bool>,
) -> Result<ColumnarValue> {
    let field = element_field("", list.data_type())?;
    let groups = list_of(Arc::clone(&field), list.values(), indices, inner, None)?;
    let out = ListArray::try_new(
        Arc::new(Field::new_list_field(DataType::List(field), true)),
        OffsetBuffer::from_lengths(outer),
        Arc::new(groups),
        Some(NullBuffer::from(nulls)),
    )?;
    finish(args, Arc::new(out))
}

/// `ngrams(array, n)`: the runs of `n` adjacent elements; the whole array
/// when it has `n` or fewer.
fn ngrams(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let list = list("ngrams", &args[0], rows)?;
    let n = integers("ngrams", &args[1], rows)?;
    let (mut indices, mut inner, mut outer, mut nulls) = (vec![], vec![], vec![], vec![]);
    for row in 0..list.len() {
        if list.is_null(row) || n.is_null(row) {
            outer.push(0);
            nulls.push(false);
            continue;
        }
        let k = n.value(row);
        if k <= 0 {
            return exec_err!("ngrams: N must be positive, got {k}");
        }
        let r = range(&list, row);
        nulls.push(true);
        if r.len() as i64 <= k {
            outer.push(1);
            inner.push(r.len());
            indices.extend(r.map(|i| i as u32));
            continue;
        }
        let k = k as usize;
        outer.push(r.len() - k + 1);
        for s in r.start..=r.end - k {
            inner.push(k);
            indices.extend((s..s + k).map(|i| i as u32));
        }
    }
    nested_result(args, &list, indices, inner, outer, nulls)
}

/// `contains_sequence(x, seq)`: whether `seq` occurs in `x` as consecutive
/// elements (NULL elements match NULL).
fn contains_sequence(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let x = list("contains_sequence", &args[0], rows)?;
    let seq = list("contains_sequence", &args[1], rows)?;
    let element = element_type("contains_sequence", x.data_type())?;
    let seq_values = cast(seq.values(), &element)?;
    let converter = RowConverter::new(vec![SortField::new(element)])?;
    let xs = converter.convert_columns(std::slice::from_ref(x.values()))?;
    let ss = converter.convert_columns(&[seq_values])?;
    let out: BooleanArray = (0..rows)
        .map(|row| {
            if x.is_null(row) || seq.is_null(row) {
                return None;
            }
            let (a, b) = (range(&x, row), range(&seq, row));
            if b.is_empty() {
                return Some(true);
            }
            Some((a.start..(a.end + 1).saturating_sub(b.len())).any(|s| {
                b.clone()
                    .enumerate()
                    .all(|(j, i)| xs.row(s + j) == ss.row(i))
            }))
        })
        .collect();
    finish(args, Arc::new(out))
}

/// `repeat(element, count)`: an array of `count` copies of `element`.
fn repeat(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let element = args[0].to_array(rows)?;
    let count = integers("repeat", &args[1], rows)?;
    let (mut indices, mut lengths, mut nulls) = (vec![], vec![], vec![]);
    for row in 0..rows {
        if count.is_null(row) {
            lengths.push(0);
            nulls.push(false);
            continue;
        }
        let c = count.value(row);
        if c < 0 {
            return exec_err!(
                "repeat: count argument of repeat function must be greater than or equal to 0, got {c}"
            );
        }
        if c > 10_000 {
            return exec_err!(
                "repeat: count argument of repeat function must be less than or equal to 10000, got {c}"
            );
        }
        lengths.push(c as usize);
        nulls.push(true);
        indices.extend(std::iter::repeat_n(row as u32, c as usize));
    }
    let field = Arc::new(Field::new_list_field(element.data_type().clone(), true));
    let out = list_of(
        field,
        &element,
        indices,
        lengths,
        Some(NullBuffer::from(nulls)),
    )?;
    finish(args, Arc::new(out))
}

/// `trim_array(x, n)`: `x` without its last `n` elements.
fn trim_array(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let list = list("trim_array", &args[0], rows)?;
    let n = integers("trim_array", &args[1], rows)?;
    let (mut indices, mut lengths, mut nulls) = (vec![], vec![], vec![]);
    for row in 0..list.len() {
        if list.is_null(row) || n.is_null(row) {
            lengths.push(0);
            nulls.push(false);
            continue;
        }
        let (r, k) = (range(&list, row), n.value(row));
        if k < 0 {
            return exec_err!("trim_array: size must not be negative, got {k}");
        }
        if k as usize > r.len() {
            return exec_err!(
                "trim_array: size must not exceed array cardinality {}, got {k}",
                r.len()
            );
        }
        let keep = r.len() - k as usize;
        lengths.push(keep);
        nulls.push(true);
        indices.extend((r.start..r.start + keep).map(|i| i as u32));
    }
    let field = element_field("trim_array", list.data_type())?;
    let out = list_of(
        field,
        list.values(),
        indices,
        lengths,
        Some(NullBuffer::from(nulls)),
    )?;
    finish(args, Arc::new(out))
}

/// `shuffle(x)`: a random permutation of `x` (Fisher–Yates over a
/// xorshift generator seeded from the clock: no crate for one function).
fn shuffle(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let list = list("shuffle", &args[0], rows)?;
    let mut state = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
        | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut indices: Vec<u32> = Vec::with_capacity(list.values().len());
    let mut lengths = Vec::with_capacity(list.len());
    for row in 0..list.len() {
        let r = range(&list, row);
        let mut picks: Vec<u32> = r.clone().map(|i| i as u32).collect();
        for i in (1..picks.len()).rev() {
            picks.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        lengths.push(picks.len());
        indices.extend(picks);
    }
    let field = element_field("shuffle", list.data_type())?;
    let out = list_of(
        field,
        list.values(),
        indices,
        lengths,
        list.nulls().cloned(),
    )?;
    finish(args, Arc::new(out))
}

#[cfg(test)]
mod tests {
    use super::subsets;

    #[test]
    fn subsets_in_lexicographic_order() {
        let mut out = Vec::new();
        subsets(3, 2, &mut out);
        assert_eq!(out, vec![vec![0, 1], vec![0, 2], vec![1, 2]]);
        out.clear();
        subsets(2, 3, &mut out);
        assert!(out.is_empty());
        subsets(2, 0, &mut out);
        assert_eq!(out, vec![Vec::<usize>::new()]);
    }
}
