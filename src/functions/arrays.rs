//! Array and map functions with Trino's meaning, planned as DataFusion's
//! own array functions through the simplifier: `element_at` (arrays, 1-based
//! and negative from the end, and maps), `slice(array, start, length)`,
//! `array_position` (0 when absent), `contains` (array membership),
//! `sequence`, and `concat` (strings, NULL-strict, or arrays). `cardinality`, `map_keys` and `map_values` are DataFusion's.
//! Functions DataFusion lacks (`combinations`, `ngrams`, ...) are in `extra`.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
    lit, when,
};
use datafusion::prelude::SessionContext;

mod extra;
mod nulls;

/// DataFusion's array functions that Trino's are planned as.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Builtins {
    array_element: Arc<ScalarUDF>,
    map_extract: Arc<ScalarUDF>,
    array_slice: Arc<ScalarUDF>,
    array_position: Arc<ScalarUDF>,
}

impl Builtins {
    fn call(f: &Arc<ScalarUDF>, args: Vec<Expr>) -> Expr {
        Expr::ScalarFunction(datafusion::logical_expr::expr::ScalarFunction::new_udf(
            Arc::clone(f),
            args,
        ))
    }
}

/// The array and map functions, over the session's built-ins.
pub(crate) fn functions(ctx: &SessionContext) -> Vec<ScalarUDF> {
    let state = ctx.state();
    let get = |name: &str| state.scalar_functions().get(name).cloned();
    let mut out = extra::functions(ctx);
    // `contains`, `array_min` and `array_max` with Trino's NULL rules.
    out.extend(nulls::functions(&get));
    // Trino's `array_remove` removes every equal element: DataFusion's
    // `array_remove_all` (its `array_remove` removes the first only).
    if let Some(f) = get("array_remove_all") {
        out.push(f.as_ref().clone().with_aliases(["array_remove"]));
    }
    // Trino's `sequence` is DataFusion's `generate_series` (inclusive), and
    // `array_sort` DataFusion's, each with Trino's defaults.
    out.extend(nulls::defaults(&get));
    let (Some(array_element), Some(map_extract), Some(array_slice), Some(array_position)) = (
        get("array_element"),
        get("map_extract"),
        get("array_slice"),
        get("array_position"),
    ) else {
        return out;
    };
    if let Some(array_concat) = get("array_concat") {
        out.push(ScalarUDF::new_from_impl(Concat {
            signature: Signature::user_defined(Volatility::Immutable),
            array_concat,
        }));
    }
    let builtins = Arc::new(Builtins {
        array_element,
        map_extract,
        array_slice,
        array_position,
    });
    for (name, kind) in [
        ("element_at", Kind::ElementAt),
        ("slice", Kind::Slice),
        ("array_position", Kind::Position),
    ] {
        out.push(ScalarUDF::new_from_impl(Rewrite {
            name,
            kind,
            signature: Signature::user_defined(Volatility::Immutable),
            builtins: Arc::clone(&builtins),
        }));
    }
    out
}

#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Kind {
    ElementAt,
    Slice,
    Position,
}

/// A Trino array function planned as an expression over DataFusion's.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Rewrite {
    name: &'static str,
    kind: Kind,
    signature: Signature,
    builtins: Arc<Builtins>,
}

fn element_type(name: &str, t: &DataType) -> Result<DataType> {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            Ok(f.data_type().clone())
        }
        DataType::Null => Ok(DataType::Null),
        other => plan_err!("{name}: argument 1 must be an array, not {other}"),
    }
}

impl ScalarUDFImpl for Rewrite {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, t: &[DataType]) -> Result<Vec<DataType>> {
        let expect = |n: usize| -> Result<()> {
            if t.len() != n {
                return plan_err!("{} takes {n} arguments, got {}", self.name, t.len());
            }
            Ok(())
        };
        match self.kind {
            Kind::ElementAt => {
                expect(2)?;
                match &t[0] {
                    DataType::Map(entries, _) => {
                        let DataType::Struct(fields) = entries.data_type() else {
                            return plan_err!("element_at: malformed map type");
                        };
                        Ok(vec![t[0].clone(), fields[0].data_type().clone()])
                    }
                    other => {
                        element_type(self.name, other)?;
                        Ok(vec![t[0].clone(), DataType::Int64])
                    }
                }
            }
            Kind::Slice => {
                expect(3)?;
                element_type(self.name, &t[0])?;
                Ok(vec![t[0].clone(), DataType::Int64, DataType::Int64])
            }
            Kind::Position => {
                expect(2)?;
                let element = element_type(self.name, &t[0])?;
                let common = datafusion::logical_expr::type_coercion::binary::comparison_coercion(
                    &element, &t[1],
                )
                .unwrap_or(element);
                Ok(vec![t[0].clone(), common])
            }
        }
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        match self.kind {
            Kind::ElementAt => match &t[0] {
                DataType::Map(entries, _) => match entries.data_type() {
                    DataType::Struct(fields) => Ok(fields[1].data_type().clone()),
                    _ => plan_err!("element_at: malformed map type"),
                },
                other => element_type(self.name, other),
            },
            Kind::Slice => Ok(t[0].clone()),
            Kind::Position => Ok(DataType::Int64),
        }
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let b = &self.builtins;
        let expr = match self.kind {
            // Trino: 1-based, negative counts from the end, out of range is NULL;
            // for maps, the value of the key or NULL.
            Kind::ElementAt => {
                let is_map = matches!(info.get_data_type(&args[0])?, DataType::Map(_, _));
                if is_map {
                    let values = Builtins::call(&b.map_extract, args);
                    Builtins::call(&b.array_element, vec![values, lit(1i64)])
                } else {
                    Builtins::call(&b.array_element, args)
                }
            }
            // slice(a, start, length): `length` elements from `start` (1-based,
            // negative from the end), as array_slice(a, start, end).
            Kind::Slice => {
                let [array, start, length]: [Expr; 3] = args.try_into().map_err(|_| {
                    datafusion::common::DataFusionError::Plan("slice takes 3 arguments".into())
                })?;
                let last = start.clone() + length - lit(1i64);
                let end = when(start.clone().gt(lit(0i64)), last.clone())
                    .when(last.clone().gt_eq(lit(0i64)), lit(-1i64))
                    .otherwise(last)?;
                Builtins::call(&b.array_slice, vec![array, start, end])
            }
            // Not found is 0 in Trino (NULL in DataFusion); a NULL array stays NULL.
            Kind::Position => {
                let array = args[0].clone();
                let found = Builtins::call(&b.array_position, args);
                when(array.is_null(), lit(ScalarValue::Int64(None))).otherwise(cast(
                    datafusion::functions::expr_fn::coalesce(vec![found, lit(0u64)]),
                    DataType::Int64,
                ))?
            }
        };
        Ok(ExprSimplifyResult::Simplified(expr))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!(
            "{} is planned as DataFusion array functions and is not invoked directly",
            self.name
        )
    }
}

/// `concat(a, b, ...)`: strings joined, NULL if any is NULL (DataFusion's
/// skips NULLs); varbinaries joined likewise; arrays concatenated, as
/// DataFusion's `array_concat`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Concat {
    signature: Signature,
    array_concat: Arc<ScalarUDF>,
}

fn any_list(t: &[DataType]) -> bool {
    t.iter().any(|t| {
        matches!(
            t,
            DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
        )
    })
}

/// Whether every argument is a varbinary: `concat` then joins bytes.
fn all_binary(t: &[DataType]) -> bool {
    t.iter().all(|t| {
        matches!(
            t,
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView
        )
    })
}

/// `concat` of varbinaries: the bytes joined; NULL if any is NULL.
fn concat_binary(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    use datafusion::arrow::array::{Array, AsArray, BinaryArray};
    let parts = args
        .iter()
        .map(|a| {
            Ok(datafusion::arrow::compute::kernels::cast::cast(
                &a.to_array(rows)?,
                &DataType::Binary,
            )?)
        })
        .collect::<Result<Vec<_>>>()?;
    let out: BinaryArray = (0..rows)
        .map(|i| {
            let mut bytes = Vec::new();
            for p in &parts {
                let p = p.as_binary::<i32>();
                if p.is_null(i) {
                    return None;
                }
                bytes.extend_from_slice(p.value(i));
            }
            Some(bytes)
        })
        .collect();
    super::finish(args, std::sync::Arc::new(out))
}

impl ScalarUDFImpl for Concat {
    fn name(&self) -> &str {
        "concat"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, t: &[DataType]) -> Result<Vec<DataType>> {
        if t.is_empty() {
            return plan_err!("concat takes at least one argument");
        }
        if any_list(t) {
            return self.array_concat.coerce_types(t);
        }
        if all_binary(t) {
            return Ok(vec![DataType::Binary; t.len()]);
        }
        Ok(vec![DataType::Utf8; t.len()])
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        if any_list(t) {
            return self.array_concat.return_type(t);
        }
        if all_binary(t) {
            return Ok(DataType::Binary);
        }
        Ok(DataType::Utf8)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let types = args
            .iter()
            .map(|a| info.get_data_type(a))
            .collect::<Result<Vec<_>>>()?;
        if any_list(&types) {
            return Ok(ExprSimplifyResult::Simplified(Builtins::call(
                &self.array_concat,
                args,
            )));
        }
        Ok(ExprSimplifyResult::Original(args))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // Constant folding may invoke before simplifying.
        let types: Vec<DataType> = args.args.iter().map(ColumnarValue::data_type).collect();
        if any_list(&types) {
            return self.array_concat.invoke_with_args(args);
        }
        if all_binary(&types) {
            return concat_binary(&args.args, args.number_rows);
        }
        super::strings::concat(&args.args, args.number_rows)
    }
}
