//! `map_zip_with(m1, m2, (k, v1, v2) -> v)`: the two maps merged key by
//! key, a key missing from one map giving NULL for its value. Keys come in
//! `m1`'s order, then those only in `m2`; a NULL map gives NULL.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, MapArray, StructArray, UInt32Builder};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::{concat, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderSignature,
    HigherOrderUDFImpl, LambdaParametersProgress, ValueOrLambda,
};

use super::{Elements, apply, map_type, signature};

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct MapZipWith {
    signature: HigherOrderSignature,
}

impl MapZipWith {
    pub(super) fn new() -> Self {
        Self {
            signature: signature(2, 1),
        }
    }
}

/// The key and value fields of a map type.
fn entry_fields(t: &DataType) -> Result<(FieldRef, FieldRef)> {
    if let DataType::Map(entries, _) = t
        && let DataType::Struct(fields) = entries.data_type()
        && let [k, v] = fields.iter().as_slice()
    {
        return Ok((Arc::clone(k), Arc::clone(v)));
    }
    plan_err!("map_zip_with: expected a map, got {t}")
}

impl HigherOrderUDFImpl for MapZipWith {
    fn name(&self) -> &str {
        "map_zip_with"
    }

    fn signature(&self) -> &HigherOrderSignature {
        &self.signature
    }

    fn coerce_value_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [a, b] = arg_types else {
            return plan_err!("map_zip_with takes two maps and a lambda");
        };
        let ((ka, _), (kb, _)) = (entry_fields(a)?, entry_fields(b)?);
        if ka.data_type() != kb.data_type() {
            return plan_err!(
                "map_zip_with: the maps' keys must be of one type, not {} and {}",
                ka.data_type(),
                kb.data_type()
            );
        }
        Ok(arg_types.to_vec())
    }

    fn lambda_parameters(
        &self,
        _step: usize,
        fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    ) -> Result<LambdaParametersProgress> {
        let [ValueOrLambda::Value(a), ValueOrLambda::Value(b), _] = fields else {
            return plan_err!("map_zip_with takes two maps and a lambda");
        };
        let ((k, v1), (_, v2)) = (entry_fields(a.data_type())?, entry_fields(b.data_type())?);
        let nullable = |f: FieldRef| Arc::new(f.as_ref().clone().with_nullable(true));
        Ok(LambdaParametersProgress::Complete(vec![vec![
            k,
            nullable(v1),
            nullable(v2),
        ]]))
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let [ValueOrLambda::Value(a), _, ValueOrLambda::Lambda(out)] = args.arg_fields else {
            return plan_err!("map_zip_with takes two maps and a lambda");
        };
        let (k, _) = entry_fields(a.data_type())?;
        let t = map_type(
            k,
            Arc::new(Field::new("value", out.data_type().clone(), true)),
        );
        Ok(Arc::new(Field::new("map_zip_with", t, true)))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [
            ValueOrLambda::Value(a),
            ValueOrLambda::Value(b),
            ValueOrLambda::Lambda(lambda),
        ] = args.args.as_slice()
        else {
            return exec_err!("map_zip_with takes two maps and a lambda");
        };
        let (a, b) = (
            Elements::of(&a.to_array(rows)?)?,
            Elements::of(&b.to_array(rows)?)?,
        );
        let (ea, eb) = (a.values.as_struct(), b.values.as_struct());
        let key_parts = [ea.column(0).as_ref(), eb.column(0).as_ref()];
        let all_keys = concat(&key_parts)?;
        let converter = RowConverter::new(vec![SortField::new(all_keys.data_type().clone())])?;
        let key_rows = converter.convert_columns(std::slice::from_ref(&all_keys))?;
        let base = ea.len();
        let (mut keys, mut v1, mut v2, mut owners) = (
            UInt32Builder::new(),
            UInt32Builder::new(),
            UInt32Builder::new(),
            UInt32Builder::new(),
        );
        let (mut lengths, mut nulls) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
        for row in 0..rows {
            let null = a.is_null(row) || b.is_null(row);
            nulls.push(!null);
            if null {
                lengths.push(0);
                continue;
            }
            let (ra, rb) = (
                a.offsets[row]..a.offsets[row + 1],
                b.offsets[row]..b.offsets[row + 1],
            );
            let in_b: HashMap<_, usize> = rb.clone().map(|j| (key_rows.row(base + j), j)).collect();
            let mut matched = vec![false; rb.len()];
            for i in ra.clone() {
                let hit = in_b.get(&key_rows.row(i)).copied();
                if let Some(j) = hit {
                    matched[j - rb.start] = true;
                }
                keys.append_value(i as u32);
                v1.append_value(i as u32);
                v2.append_option(hit.map(|j| j as u32));
                owners.append_value(row as u32);
            }
            for j in rb.clone().filter(|j| !matched[j - rb.start]) {
                keys.append_value((base + j) as u32);
                v1.append_null();
                v2.append_value(j as u32);
                owners.append_value(row as u32);
            }
            lengths.push(ra.len() + matched.iter().filter(|m| !**m).count());
        }
        let owners = owners.finish();
        let keys = take(&all_keys, &keys.finish(), None)?;
        let x = take(ea.column(1).as_ref(), &v1.finish(), None)?;
        let y = take(eb.column(1).as_ref(), &v2.finish(), None)?;
        let values = apply(
            lambda,
            &[Arc::clone(&keys), x, y],
            Some(&owners),
            owners.len(),
        )?;
        let DataType::Map(entries_field, _) = args.return_type() else {
            return exec_err!("map_zip_with: expected a map result");
        };
        let DataType::Struct(fields) = entries_field.data_type() else {
            return exec_err!("map_zip_with: expected map entries");
        };
        let entries = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
        Ok(ColumnarValue::Array(Arc::new(MapArray::try_new(
            Arc::clone(entries_field),
            OffsetBuffer::<i32>::from_lengths(lengths),
            entries,
            Some(NullBuffer::from(nulls)),
            false,
        )?)))
    }
}
