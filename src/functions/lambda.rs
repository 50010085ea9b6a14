//! Trino's lambda functions, as DataFusion higher-order functions: the
//! lambda's body is a physical expression evaluated once over all the
//! elements of a batch (flattened), with the lambda's parameters as columns
//! and any outer column it captures repeated once per element.
//!
//! - `transform` and `filter` are DataFusion's `array_transform` and
//!   `array_filter` under Trino's names; `any_match` is DataFusion's.
//! - `all_match`, `none_match`, `reduce`, `zip_with`, `transform_keys`,
//!   `transform_values` and `map_filter` are here; `map_zip_with` is in
//!   `zip_maps`. `reduce` runs its input
//!   function once per element position (all rows at once), so it costs the
//!   longest array's length in evaluations, not the row count.
//! - `try`'s catching half ([`catch`]): see `conditional`.
//!
//! Lambdas reach the planner through `athena::dialect`, which reads `->`.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, ListArray, MapArray, StructArray,
    UInt32Array, UInt32Builder, make_array, new_null_array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{concat, filter, prep_null_mask_filter, take, take_arrays};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderSignature,
    HigherOrderUDF, HigherOrderUDFImpl, LambdaArgument, LambdaParametersProgress, ValueOrLambda,
    Volatility,
};
use datafusion::prelude::SessionContext;

mod zip_maps;

/// The lambda functions, DataFusion's under Trino's names first.
pub(crate) fn functions(ctx: &SessionContext) -> Vec<HigherOrderUDF> {
    let state = ctx.state();
    let builtin = |name: &str, alias: &'static str| {
        state
            .higher_order_functions()
            .get(name)
            .map(|f| f.as_ref().clone().with_aliases([alias]))
    };
    let mut out: Vec<HigherOrderUDF> = [
        builtin("array_transform", "transform"),
        builtin("array_filter", "filter"),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.extend([
        HigherOrderUDF::new_from_impl(Match::new("all_match", MatchKind::All)),
        HigherOrderUDF::new_from_impl(Match::new("none_match", MatchKind::None)),
        HigherOrderUDF::new_from_impl(Reduce::new()),
        HigherOrderUDF::new_from_impl(ZipWith::new()),
        HigherOrderUDF::new_from_impl(MapLambda::new("transform_keys", MapKind::Keys)),
        HigherOrderUDF::new_from_impl(MapLambda::new("transform_values", MapKind::Values)),
        HigherOrderUDF::new_from_impl(MapLambda::new("map_filter", MapKind::Filter)),
        HigherOrderUDF::new_from_impl(zip_maps::MapZipWith::new()),
    ]);
    out
}

/// A signature of `values` value arguments, then `lambdas` lambdas.
fn signature(values: usize, lambdas: usize) -> HigherOrderSignature {
    let args = std::iter::repeat_n(ValueOrLambda::Value(()), values)
        .chain(std::iter::repeat_n(ValueOrLambda::Lambda(()), lambdas))
        .collect();
    HigherOrderSignature::exact(args, Volatility::Immutable)
}

/// The elements of a list or map column, flattened, with each row's range.
struct Elements {
    /// The elements (a map's entries as a struct of key and value).
    values: ArrayRef,
    /// `rows + 1` offsets into `values`, from 0.
    offsets: Vec<usize>,
    nulls: Option<NullBuffer>,
}

impl Elements {
    fn of(array: &ArrayRef) -> Result<Self> {
        match array.data_type() {
            DataType::List(_) => {
                let l = array.as_list::<i32>();
                Self::sliced(
                    l.values(),
                    l.offsets().iter().map(|o| *o as usize),
                    l.nulls(),
                )
            }
            DataType::LargeList(_) => {
                let l = array.as_list::<i64>();
                Self::sliced(
                    l.values(),
                    l.offsets().iter().map(|o| *o as usize),
                    l.nulls(),
                )
            }
            DataType::Map(..) => {
                let m = array.as_map();
                let entries: ArrayRef = Arc::new(m.entries().clone());
                Self::sliced(&entries, m.offsets().iter().map(|o| *o as usize), m.nulls())
            }
            DataType::FixedSizeList(..) => Self::of(&cast(array, &list_of(array.data_type())?)?),
            other => exec_err!("expected an array or a map, got {other}"),
        }
    }

    fn sliced(
        values: &ArrayRef,
        offsets: impl Iterator<Item = usize>,
        nulls: Option<&NullBuffer>,
    ) -> Result<Self> {
        let offsets: Vec<usize> = offsets.collect();
        let (first, last) = (
            offsets.first().copied().unwrap_or(0),
            offsets.last().copied().unwrap_or(0),
        );
        Ok(Self {
            values: values.slice(first, last - first),
            offsets: offsets.iter().map(|o| o - first).collect(),
            nulls: nulls.cloned(),
        })
    }

    fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    fn len(&self, row: usize) -> usize {
        self.offsets[row + 1] - self.offsets[row]
    }

    fn is_null(&self, row: usize) -> bool {
        self.nulls.as_ref().is_some_and(|n| n.is_null(row))
    }

    /// The row of every element.
    fn row_numbers(&self) -> UInt32Array {
        let mut out = UInt32Builder::with_capacity(self.values.len());
        for row in 0..self.rows() {
            out.append_value_n(row as u32, self.len(row));
        }
        out.finish()
    }
}

/// `List` of the element type of a list-like type.
fn list_of(t: &DataType) -> Result<DataType> {
    match t {
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => Ok(DataType::List(Arc::clone(f))),
        DataType::Null => Ok(DataType::new_list(DataType::Null, true)),
        other => plan_err!("expected an array, got {other}"),
    }
}

/// The element field of a (coerced) list type.
fn element(name: &str, t: &DataType) -> Result<FieldRef> {
    match t {
        DataType::List(f) | DataType::LargeList(f) => Ok(Arc::clone(f)),
        other => plan_err!("{name}: expected an array, got {other}"),
    }
}

/// Evaluates `lambda` over `params` (one array per parameter, each `len`
/// long), with captured columns taken by `rows` (the outer row of each of
/// the `len` values; `None` when they are the outer rows themselves).
fn apply(
    lambda: &LambdaArgument,
    params: &[ArrayRef],
    rows: Option<&UInt32Array>,
    len: usize,
) -> Result<ArrayRef> {
    let mut closures: Vec<Box<dyn Fn() -> Result<ArrayRef>>> = params
        .iter()
        .map(|p| {
            let p = Arc::clone(p);
            Box::new(move || Ok(Arc::clone(&p))) as Box<dyn Fn() -> Result<ArrayRef>>
        })
        .collect();
    // The row count of a body that reads neither parameters nor columns.
    closures.push(Box::new(move || Ok(new_null_array(&DataType::Null, len))));
    let refs: Vec<&dyn Fn() -> Result<ArrayRef>> = closures.iter().map(|c| c.as_ref()).collect();
    lambda
        .evaluate(&refs, |captures| match rows {
            Some(rows) => Ok(take_arrays(captures, rows, None)?),
            None => Ok(captures.to_vec()),
        })?
        .into_array(len)
}

/// The `(value, lambda)` arguments, the value as an array.
fn value_and_lambda<'a>(
    name: &str,
    args: &'a HigherOrderFunctionArgs,
) -> Result<(ArrayRef, &'a LambdaArgument)> {
    match args.args.as_slice() {
        [ValueOrLambda::Value(v), ValueOrLambda::Lambda(l)] => {
            Ok((v.to_array(args.number_rows)?, l))
        }
        _ => exec_err!("{name} takes an array or map and a lambda"),
    }
}

fn booleans(name: &str, array: ArrayRef) -> Result<BooleanArray> {
    match array.data_type() {
        DataType::Boolean => Ok(array.as_boolean().clone()),
        DataType::Null => Ok(cast(&array, &DataType::Boolean)?.as_boolean().clone()),
        other => exec_err!("{name}: the lambda must return a boolean, not {other}"),
    }
}

/// Which of `all_match` / `none_match`.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum MatchKind {
    All,
    None,
}

/// `all_match(array, x -> bool)` / `none_match(array, x -> bool)`: Trino's
/// three-valued answers (NULL when no element decides and one gives NULL).
#[derive(Debug, PartialEq, Eq, Hash)]
struct Match {
    name: &'static str,
    kind: MatchKind,
    signature: HigherOrderSignature,
}

impl Match {
    fn new(name: &'static str, kind: MatchKind) -> Self {
        Self {
            name,
            kind,
            signature: signature(1, 1),
        }
    }
}

impl HigherOrderUDFImpl for Match {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &HigherOrderSignature {
        &self.signature
    }

    fn coerce_value_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        arg_types.iter().map(list_of).collect()
    }

    fn lambda_parameters(
        &self,
        _step: usize,
        fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    ) -> Result<LambdaParametersProgress> {
        let [ValueOrLambda::Value(list), _] = fields else {
            return plan_err!("{} takes an array and a lambda", self.name);
        };
        Ok(LambdaParametersProgress::Complete(vec![vec![element(
            self.name,
            list.data_type(),
        )?]]))
    }

    fn return_field_from_args(&self, _args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(self.name, DataType::Boolean, true)))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let (list, lambda) = value_and_lambda(self.name, &args)?;
        let e = Elements::of(&list)?;
        let rows = e.row_numbers();
        let verdicts = booleans(
            self.name,
            apply(
                lambda,
                &[Arc::clone(&e.values)],
                Some(&rows),
                e.values.len(),
            )?,
        )?;
        // The verdict that decides: false for all_match, true for none_match.
        let decisive = self.kind == MatchKind::None;
        let mut out = BooleanBuilder::with_capacity(e.rows());
        for row in 0..e.rows() {
            if e.is_null(row) {
                out.append_null();
                continue;
            }
            let (mut decided, mut unknown) = (false, false);
            for i in e.offsets[row]..e.offsets[row + 1] {
                if verdicts.is_null(i) {
                    unknown = true;
                } else if verdicts.value(i) == decisive {
                    decided = true;
                    break;
                }
            }
            match (decided, unknown) {
                (true, _) => out.append_value(false),
                (false, true) => out.append_null(),
                (false, false) => out.append_value(true),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `reduce(array, initial, (s, x) -> s', s -> result)`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Reduce {
    signature: HigherOrderSignature,
}

impl Reduce {
    fn new() -> Self {
        Self {
            signature: signature(2, 2),
        }
    }
}

impl HigherOrderUDFImpl for Reduce {
    fn name(&self) -> &str {
        "reduce"
    }

    fn signature(&self) -> &HigherOrderSignature {
        &self.signature
    }

    fn coerce_value_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [list, initial] => Ok(vec![list_of(list)?, initial.clone()]),
            _ => plan_err!("reduce takes an array, an initial state and two lambdas"),
        }
    }

    fn lambda_parameters(
        &self,
        _step: usize,
        fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    ) -> Result<LambdaParametersProgress> {
        let [
            ValueOrLambda::Value(list),
            ValueOrLambda::Value(initial),
            ValueOrLambda::Lambda(input),
            _,
        ] = fields
        else {
            return plan_err!("reduce takes an array, an initial state and two lambdas");
        };
        let x = element("reduce", list.data_type())?;
        // The state takes the input function's type once it is known (the
        // initial state is cast to it), as Trino coerces `0` to a double sum.
        Ok(match input {
            Some(state) if !state.data_type().is_null() => {
                LambdaParametersProgress::Complete(vec![
                    vec![Arc::clone(state), x],
                    vec![Arc::clone(state)],
                ])
            }
            _ => LambdaParametersProgress::Partial(vec![Some(vec![Arc::clone(initial), x]), None]),
        })
    }

    fn coerce_values_for_lambdas(
        &self,
        fields: &[ValueOrLambda<DataType, DataType>],
    ) -> Result<Option<Vec<DataType>>> {
        match fields {
            [
                ValueOrLambda::Value(list),
                ValueOrLambda::Value(_),
                ValueOrLambda::Lambda(state),
                _,
            ] if !state.is_null() => Ok(Some(vec![list.clone(), state.clone()])),
            _ => Ok(None),
        }
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        match args.arg_fields.get(3) {
            Some(ValueOrLambda::Lambda(f)) => {
                Ok(Arc::new(Field::new("reduce", f.data_type().clone(), true)))
            }
            _ => plan_err!("reduce takes an array, an initial state and two lambdas"),
        }
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let (
            [
                ValueOrLambda::Value(list),
                ValueOrLambda::Value(initial),
                ValueOrLambda::Lambda(input),
                ValueOrLambda::Lambda(output),
            ],
            [_, _, ValueOrLambda::Lambda(state_field), _],
        ) = (args.args.as_slice(), args.arg_fields.as_slice())
        else {
            return exec_err!("reduce takes an array, an initial state and two lambdas");
        };
        let state_type = state_field.data_type();
        let e = Elements::of(&list.to_array(rows)?)?;
        let mut state = cast(&initial.to_array(rows)?, state_type)?;
        let longest = (0..e.rows()).map(|r| e.len(r)).max().unwrap_or(0);
        // Step k applies the input function to the rows with a k-th element.
        for k in 0..longest {
            let active: Vec<u32> = (0..e.rows())
                .filter(|&r| e.len(r) > k)
                .map(|r| r as u32)
                .collect();
            let active = UInt32Array::from(active);
            let elements = UInt32Array::from_iter_values(
                active
                    .values()
                    .iter()
                    .map(|&r| (e.offsets[r as usize] + k) as u32),
            );
            let s = take(&state, &active, None)?;
            let x = take(&e.values, &elements, None)?;
            let next = cast(
                &apply(input, &[s, x], Some(&active), active.len())?,
                state_type,
            )?;
            // Back into place: the active rows take the new state.
            let mut positions = vec![None; e.rows()];
            for (i, &r) in active.values().iter().enumerate() {
                positions[r as usize] = Some(i as u32);
            }
            let positions = UInt32Array::from(positions);
            let mask = BooleanArray::from_iter(positions.iter().map(|p| Some(p.is_some())));
            state = zip(&mask, &take(&next, &positions, None)?, &state)?;
        }
        let result = apply(output, &[state], None, rows)?;
        // A NULL array reduces to NULL.
        let result = match &e.nulls {
            Some(nulls) => {
                let merged = NullBuffer::union(result.nulls(), Some(nulls));
                make_array(result.to_data().into_builder().nulls(merged).build()?)
            }
            None => result,
        };
        Ok(ColumnarValue::Array(result))
    }
}

/// `zip_with(a, b, (x, y) -> z)`: element by element, the shorter array
/// padded with NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ZipWith {
    signature: HigherOrderSignature,
}

impl ZipWith {
    fn new() -> Self {
        Self {
            signature: signature(2, 1),
        }
    }
}

impl HigherOrderUDFImpl for ZipWith {
    fn name(&self) -> &str {
        "zip_with"
    }

    fn signature(&self) -> &HigherOrderSignature {
        &self.signature
    }

    fn coerce_value_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        arg_types.iter().map(list_of).collect()
    }

    fn lambda_parameters(
        &self,
        _step: usize,
        fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    ) -> Result<LambdaParametersProgress> {
        let [ValueOrLambda::Value(a), ValueOrLambda::Value(b), _] = fields else {
            return plan_err!("zip_with takes two arrays and a lambda");
        };
        let nullable = |f: FieldRef| Arc::new(f.as_ref().clone().with_nullable(true));
        Ok(LambdaParametersProgress::Complete(vec![vec![
            nullable(element("zip_with", a.data_type())?),
            nullable(element("zip_with", b.data_type())?),
        ]]))
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        match args.arg_fields.get(2) {
            Some(ValueOrLambda::Lambda(f)) => Ok(Arc::new(Field::new(
                "zip_with",
                DataType::new_list(f.data_type().clone(), true),
                true,
            ))),
            _ => plan_err!("zip_with takes two arrays and a lambda"),
        }
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [
            ValueOrLambda::Value(a),
            ValueOrLambda::Value(b),
            ValueOrLambda::Lambda(lambda),
        ] = args.args.as_slice()
        else {
            return exec_err!("zip_with takes two arrays and a lambda");
        };
        let (a, b) = (
            Elements::of(&a.to_array(rows)?)?,
            Elements::of(&b.to_array(rows)?)?,
        );
        let mut lengths = Vec::with_capacity(rows);
        let (mut xs, mut ys, mut owners) = (
            UInt32Builder::new(),
            UInt32Builder::new(),
            UInt32Builder::new(),
        );
        let mut nulls = Vec::with_capacity(rows);
        for row in 0..rows {
            let null = a.is_null(row) || b.is_null(row);
            nulls.push(!null);
            let n = if null { 0 } else { a.len(row).max(b.len(row)) };
            for j in 0..n {
                let pick = |e: &Elements| (j < e.len(row)).then(|| (e.offsets[row] + j) as u32);
                xs.append_option(pick(&a));
                ys.append_option(pick(&b));
                owners.append_value(row as u32);
            }
            lengths.push(n);
        }
        let owners = owners.finish();
        let x = take(&a.values, &xs.finish(), None)?;
        let y = take(&b.values, &ys.finish(), None)?;
        let values = apply(lambda, &[x, y], Some(&owners), owners.len())?;
        let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
        Ok(ColumnarValue::Array(Arc::new(ListArray::try_new(
            field,
            OffsetBuffer::from_lengths(lengths),
            values,
            Some(NullBuffer::from(nulls)),
        )?)))
    }
}

/// Which map function.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum MapKind {
    Keys,
    Values,
    Filter,
}

/// `transform_keys`, `transform_values` and `map_filter`: a lambda of
/// `(k, v)` over every entry.
#[derive(Debug, PartialEq, Eq, Hash)]
struct MapLambda {
    name: &'static str,
    kind: MapKind,
    signature: HigherOrderSignature,
}

impl MapLambda {
    fn new(name: &'static str, kind: MapKind) -> Self {
        Self {
            name,
            kind,
            signature: signature(1, 1),
        }
    }

    /// The key and value fields of a map type.
    fn entry_fields(&self, t: &DataType) -> Result<(FieldRef, FieldRef)> {
        if let DataType::Map(entries, _) = t
            && let DataType::Struct(fields) = entries.data_type()
            && let [k, v] = fields.iter().as_slice()
        {
            return Ok((Arc::clone(k), Arc::clone(v)));
        }
        plan_err!("{}: expected a map, got {t}", self.name)
    }
}

/// A map type of these key and value fields.
fn map_type(key: FieldRef, value: FieldRef) -> DataType {
    DataType::Map(
        Arc::new(Field::new(
            "entries",
            DataType::Struct(Fields::from(vec![key, value])),
            false,
        )),
        false,
    )
}

impl HigherOrderUDFImpl for MapLambda {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &HigherOrderSignature {
        &self.signature
    }

    fn coerce_value_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        for t in arg_types {
            self.entry_fields(t)?;
        }
        Ok(arg_types.to_vec())
    }

    fn lambda_parameters(
        &self,
        _step: usize,
        fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    ) -> Result<LambdaParametersProgress> {
        let [ValueOrLambda::Value(map), _] = fields else {
            return plan_err!("{} takes a map and a lambda", self.name);
        };
        let (k, v) = self.entry_fields(map.data_type())?;
        Ok(LambdaParametersProgress::Complete(vec![vec![k, v]]))
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let [ValueOrLambda::Value(map), ValueOrLambda::Lambda(out)] = args.arg_fields else {
            return plan_err!("{} takes a map and a lambda", self.name);
        };
        let (k, v) = self.entry_fields(map.data_type())?;
        let t = match self.kind {
            MapKind::Filter => map.data_type().clone(),
            MapKind::Keys => map_type(
                Arc::new(Field::new("key", out.data_type().clone(), false)),
                v,
            ),
            MapKind::Values => map_type(
                k,
                Arc::new(Field::new("value", out.data_type().clone(), true)),
            ),
        };
        Ok(Arc::new(Field::new(self.name, t, true)))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let (map, lambda) = value_and_lambda(self.name, &args)?;
        let e = Elements::of(&map)?;
        let entries = e.values.as_struct();
        let (keys, values) = (Arc::clone(entries.column(0)), Arc::clone(entries.column(1)));
        let rows = e.row_numbers();
        let out = apply(
            lambda,
            &[Arc::clone(&keys), Arc::clone(&values)],
            Some(&rows),
            keys.len(),
        )?;
        let lengths = |keep: Option<&BooleanArray>| -> Vec<usize> {
            e.offsets
                .windows(2)
                .map(|w| match keep {
                    Some(keep) => (w[0]..w[1]).filter(|&i| keep.value(i)).count(),
                    None => w[1] - w[0],
                })
                .collect()
        };
        let (keys, values, lengths) = match self.kind {
            MapKind::Keys => {
                if out.logical_null_count() > 0 {
                    return exec_err!("transform_keys: map key cannot be null");
                }
                (out, values, lengths(None))
            }
            MapKind::Values => (keys, out, lengths(None)),
            MapKind::Filter => {
                let keep = booleans(self.name, out)?;
                // NULL drops the entry, as false does.
                let keep = match keep.nulls() {
                    Some(_) => prep_null_mask_filter(&keep),
                    None => keep,
                };
                let lengths = lengths(Some(&keep));
                (filter(&keys, &keep)?, filter(&values, &keep)?, lengths)
            }
        };
        let DataType::Map(entries_field, _) = args.return_type() else {
            return exec_err!("{}: expected a map result", self.name);
        };
        let DataType::Struct(fields) = entries_field.data_type() else {
            return exec_err!("{}: expected map entries", self.name);
        };
        let entries = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
        Ok(ColumnarValue::Array(Arc::new(MapArray::try_new(
            Arc::clone(entries_field),
            OffsetBuffer::<i32>::from_lengths(lengths),
            entries,
            e.nulls.clone(),
            false,
        )?)))
    }
}

/// `try`'s catching half: `__lathe_catch(() -> expr)` is `expr`, with every
/// row whose evaluation fails NULL. The whole batch is evaluated first; only
/// when that fails is it evaluated again row by row.
pub(crate) fn catch() -> Arc<HigherOrderUDF> {
    Arc::new(HigherOrderUDF::new_from_impl(Catch {
        signature: signature(0, 1),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Catch {
    signature: HigherOrderSignature,
}

impl HigherOrderUDFImpl for Catch {
    fn name(&self) -> &str {
        "try"
    }

    fn signature(&self) -> &HigherOrderSignature {
        &self.signature
    }

    fn coerce_value_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }

    fn lambda_parameters(
        &self,
        _step: usize,
        _fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    ) -> Result<LambdaParametersProgress> {
        Ok(LambdaParametersProgress::Complete(vec![vec![]]))
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        match args.arg_fields {
            [ValueOrLambda::Lambda(f)] => Ok(Arc::new(f.as_ref().clone().with_nullable(true))),
            _ => plan_err!("try takes one argument"),
        }
    }

    // The argument must not be evaluated outside the catch (common
    // subexpression elimination would hoist it).
    fn short_circuits(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let [ValueOrLambda::Lambda(body)] = args.args.as_slice() else {
            return exec_err!("try takes one argument");
        };
        let rows = args.number_rows;
        match apply(body, &[], None, rows) {
            Ok(out) => Ok(ColumnarValue::Array(out)),
            Err(e) if !catchable(&e) => Err(e),
            Err(_) => {
                let t = args.return_type();
                let mut parts = Vec::with_capacity(rows);
                let one_row: &dyn Fn() -> Result<ArrayRef> =
                    &|| Ok(new_null_array(&DataType::Null, 1));
                for row in 0..rows {
                    let one = body.evaluate(&[one_row], |captures| {
                        Ok(captures.iter().map(|c| c.slice(row, 1)).collect())
                    });
                    parts.push(match one.and_then(|v| v.into_array(1)) {
                        Ok(v) if v.data_type() == t => v,
                        Ok(v) => cast(&v, t)?,
                        Err(e) if !catchable(&e) => return Err(e),
                        Err(_) => new_null_array(t, 1),
                    });
                }
                let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
                if refs.is_empty() {
                    return Ok(ColumnarValue::Scalar(ScalarValue::try_new_null(t)?));
                }
                Ok(ColumnarValue::Array(concat(&refs)?))
            }
        }
    }
}

/// Errors of the data, which `try` turns into NULL; not those of the
/// machine (memory, files, storage).
fn catchable(e: &DataFusionError) -> bool {
    !matches!(
        e,
        DataFusionError::ResourcesExhausted(_)
            | DataFusionError::IoError(_)
            | DataFusionError::ObjectStore(_)
    )
}
