//! `numeric_histogram(buckets, value[, weight])`: a map of bucket centres to
//! weights, by Trino's rule (Ben-Haim and Tom-Tov): equal values share a
//! bucket, then the adjacent pair with the smallest penalty
//! `(w1 + w2) (v1 - v2)² w1 w2 / (w1 + w2)²` merges into its weighted mean
//! until `buckets` remain.
//!
//! Trino also merges while it reads (every 20% of `buckets` new values);
//! here the merging runs once, at the end. With no more distinct values
//! than buckets both are exact; past that both are approximations and may
//! differ.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;

use super::super::maps::{build_map, map_type};

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct NumericHistogram {
    signature: Signature,
}

impl NumericHistogram {
    pub(super) fn new() -> Self {
        Self {
            signature: Signature::one_of(
                vec![TypeSignature::Any(2), TypeSignature::Any(3)],
                Volatility::Immutable,
            ),
        }
    }
}

impl AggregateUDFImpl for NumericHistogram {
    fn name(&self) -> &str {
        "numeric_histogram"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        if let Some(bad) = t[1..].iter().find(|t| !(t.is_numeric() || t.is_null())) {
            return plan_err!("numeric_histogram: values and weights must be numbers, not {bad}");
        }
        Ok(map_type(&DataType::Float64, &DataType::Float64))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
        Ok(["values", "weights"]
            .iter()
            .map(|n| {
                Arc::new(Field::new(
                    format!("{}[{n}]", args.name),
                    list.clone(),
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let buckets = args
            .exprs
            .first()
            .and_then(|e| e.downcast_ref::<Literal>())
            .map(|l| l.value().cast_to(&DataType::Int64))
            .transpose()?;
        let Some(ScalarValue::Int64(Some(buckets))) = buckets else {
            return plan_err!("numeric_histogram: the bucket count must be a constant bigint");
        };
        if buckets < 2 {
            return plan_err!("numeric_histogram: the bucket count must be greater than one");
        }
        Ok(Box::new(Histogram {
            buckets: buckets as usize,
            values: Vec::new(),
            weights: Vec::new(),
        }))
    }
}

#[derive(Debug)]
struct Histogram {
    buckets: usize,
    values: Vec<f64>,
    weights: Vec<f64>,
}

fn doubles(a: &ArrayRef) -> Result<Float64Array> {
    Ok(cast(a, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

impl Accumulator for Histogram {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let v = doubles(&values[1])?;
        let w = match values.get(2) {
            Some(w) => Some(doubles(w)?),
            None => None,
        };
        for i in 0..v.len() {
            let weight = match &w {
                Some(w) if w.is_null(i) => continue,
                Some(w) => w.value(i),
                None => 1.0,
            };
            if v.is_null(i) {
                continue;
            }
            self.values.push(v.value(i));
            self.weights.push(weight);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (vs, ws) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        for row in 0..vs.len() {
            if vs.is_null(row) {
                continue;
            }
            let (v, w) = (vs.value(row), ws.value(row));
            self.values
                .extend(v.as_primitive::<Float64Type>().values().iter());
            self.weights
                .extend(w.as_primitive::<Float64Type>().values().iter());
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let list = |v: &Vec<f64>| {
            SingleRowListArrayBuilder::new(Arc::new(Float64Array::from(v.clone())))
                .build_list_scalar()
        };
        Ok(vec![list(&self.values), list(&self.weights)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.values.is_empty() {
            return ScalarValue::try_from(&map_type(&DataType::Float64, &DataType::Float64));
        }
        let buckets = histogram(&self.values, &self.weights, self.buckets);
        let n = buckets.len();
        let (keys, values): (Vec<f64>, Vec<f64>) = buckets.into_iter().unzip();
        let map = build_map(
            Arc::new(Float64Array::from(keys)),
            Arc::new(Float64Array::from(values)),
            [n],
            None,
        )?;
        Ok(ScalarValue::Map(Arc::new(map.as_map().clone())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + 16 * self.values.capacity()
    }
}

/// Trino's penalty of merging two adjacent buckets.
fn penalty(v1: f64, w1: f64, v2: f64, w2: f64) -> f64 {
    let weight = w1 + w2;
    let squared_difference = (v1 - v2) * (v1 - v2);
    let proportions_product = (w1 * w2) / ((w1 + w2) * (w1 + w2));
    weight * squared_difference * proportions_product
}

/// A heap entry: penalty, then bucket id (Trino breaks ties by id).
#[derive(PartialEq)]
struct Candidate(f64, usize, u32);

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .total_cmp(&other.0)
            .then(self.1.cmp(&other.1))
            .then(self.2.cmp(&other.2))
    }
}

/// The buckets of the weighted values, at most `target` of them, by value.
fn histogram(values: &[f64], weights: &[f64], target: usize) -> Vec<(f64, f64)> {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(pairs.len());
    for (v, w) in pairs {
        match merged.last_mut() {
            Some(last) if last.0 == v => last.1 += w,
            _ => merged.push((v, w)),
        }
    }
    let n = merged.len();
    if n <= target {
        return merged;
    }
    let (mut v, mut w): (Vec<f64>, Vec<f64>) = merged.into_iter().unzip();
    let mut right: Vec<Option<usize>> = (0..n).map(|i| (i + 1 < n).then_some(i + 1)).collect();
    let mut left: Vec<Option<usize>> = (0..n).map(|i| i.checked_sub(1)).collect();
    let mut version = vec![0u32; n];
    let mut alive = vec![true; n];
    let cost = |v: &[f64], w: &[f64], right: &[Option<usize>], i: usize| match right[i] {
        Some(r) => penalty(v[i], w[i], v[r], w[r]),
        None => f64::INFINITY,
    };
    let mut heap: BinaryHeap<Reverse<Candidate>> = (0..n)
        .map(|i| Reverse(Candidate(cost(&v, &w, &right, i), i, 0)))
        .collect();
    let mut count = n;
    while count > target {
        let Some(Reverse(Candidate(_, i, ver))) = heap.pop() else {
            break;
        };
        if !alive[i] || ver != version[i] {
            continue;
        }
        let Some(r) = right[i] else {
            break;
        };
        count -= 1;
        let weight = w[i] + w[r];
        v[i] = (v[i] * w[i] + v[r] * w[r]) / weight;
        w[i] = weight;
        alive[r] = false;
        right[i] = right[r];
        if let Some(rr) = right[r] {
            left[rr] = Some(i);
        }
        version[i] += 1;
        heap.push(Reverse(Candidate(cost(&v, &w, &right, i), i, version[i])));
        if let Some(l) = left[i] {
            version[l] += 1;
            heap.push(Reverse(Candidate(cost(&v, &w, &right, l), l, version[l])));
        }
    }
    let mut out: Vec<(f64, f64)> = (0..n).filter(|&i| alive[i]).map(|i| (v[i], w[i])).collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::histogram;

    #[test]
    fn closest_buckets_merge() {
        assert_eq!(
            histogram(&[1.0, 2.0, 10.0], &[1.0, 1.0, 1.0], 2),
            vec![(1.5, 2.0), (10.0, 1.0)]
        );
        assert_eq!(
            histogram(&[2.0, 1.0, 2.0], &[1.0, 1.0, 1.0], 5),
            vec![(1.0, 1.0), (2.0, 2.0)]
        );
    }
}
