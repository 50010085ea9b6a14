//! Athena's (Trino's) SQL functions, registered on a DataFusion session.
//!
//! DataFusion lacks many of the functions Athena users write, and gives a few
//! names a different meaning (`date_format`, `element_at`, `regexp_replace`,
//! `split_part`, ...). [`register`] adds Athena's versions under Athena's
//! names; registering under an existing name replaces DataFusion's built-in,
//! so lathe's dialect wins. One module per family:
//!
//! - `datetime`: parsing, formatting, fields and arithmetic of dates and times
//! - `json`: JSONPath extraction and JSON text functions
//! - `strings`: regular expressions, `split`, URLs, `format`, edit distances
//! - `conditional`: `if`, `try`
//! - `cast`: casts to `ROW` types, which Trino pairs by position
//! - `lambda`: `transform`, `filter`, `reduce`, `zip_with`, `all_match`, ...
//!   (higher-order functions; the parser reads lambdas in `athena::dialect`)
//! - `aggregate`: `max_by`, `min_by`, `count_if`, `arbitrary`, ...
//! - `arrays`: `element_at`, `contains`, `slice`, `sequence`, ...
//! - `maps`: `map_from_entries`, `multimap_from_entries`, `map_concat`
//! - `system`: `typeof`, `parse_data_size`, `current_user`
//! - `math`: `mod`, `ceiling`, `truncate`, `width_bucket`, `from_base`, ...;
//!   the bitwise functions in `math::bitwise`
//! - `comparison`: `greatest` and `least`, NULL when any argument is NULL
//! - `binary`: `to_utf8`, `to_hex`, `md5`, `sha256`, `hmac_*`, `xxhash64`, ...
//! - time zones (`at_timezone`, `with_timezone`, `current_timezone`) are in
//!   `datetime`
//!
//! Most scalar functions share [`Udf`]: a name, a signature, a return type and
//! a vectorised body over Arrow arrays. Functions that DataFusion already has
//! under another name or shape are planned as DataFusion's (through the
//! simplifier) rather than rewritten.
//!
//! Not here, and why:
//! - `CAST(json AS ARRAY(..))`, `MAP(..)` and `ROW(..)`: the type names
//!   parse (`athena::dialect`), but a JSON value is text here, and Arrow's
//!   cast does not parse text into nested values.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;

mod aggregate;
mod arrays;
pub(crate) mod binary;
pub(crate) mod cast;
mod comparison;
mod conditional;
pub(crate) mod datetime;
mod json;
mod lambda;
mod maps;
mod math;
mod strings;
pub(crate) mod system;

/// Registers every Athena function on `ctx`, replacing same-named built-ins.
pub(crate) fn register(ctx: &SessionContext) {
    for udf in datetime::functions()
        .into_iter()
        .chain(json::functions())
        .chain(strings::functions())
        .chain(cast::functions())
        .chain(conditional::functions(
            datetime::lenient()
                .into_iter()
                .chain(json::lenient())
                .chain(cast::lenient())
                .collect(),
        ))
        .chain(arrays::functions(ctx))
        .chain(maps::functions())
        .chain(system::functions())
        .chain(math::functions())
        .chain(binary::functions())
        .chain(comparison::functions())
    {
        ctx.register_udf(udf);
    }
    for udaf in aggregate::functions(ctx) {
        ctx.register_udaf(udaf);
    }
    for hof in lambda::functions(ctx) {
        ctx.register_higher_order_function(Arc::new(hof));
    }
    if std::env::var_os(TEST_PANIC_VAR).is_some() {
        ctx.register_udf(test_panic());
    }
}

/// Set in the environment, this registers `lathe_test_panic()`, a function
/// that panics: the tests' only way to prove that an internal panic is one
/// line and a non-zero exit, and that the shell survives it (issue 8).
const TEST_PANIC_VAR: &str = "LATHE_TEST_PANIC_FUNCTION";

fn test_panic() -> ScalarUDF {
    datafusion::logical_expr::create_udf(
        "lathe_test_panic",
        vec![],
        DataType::Int64,
        datafusion::logical_expr::Volatility::Volatile,
        Arc::new(|_: &[ColumnarValue]| -> Result<ColumnarValue> {
            panic!("lathe_test_panic() was called")
        }),
    )
}

/// The body of a [`Udf`]: the evaluated arguments and the batch's row count.
type Body = fn(&[ColumnarValue], usize) -> Result<ColumnarValue>;

/// The return type of a [`Udf`] from its (coerced) argument types.
type ReturnType = fn(&[DataType]) -> Result<DataType>;

/// A scalar function given by plain function pointers.
#[derive(Debug)]
pub(crate) struct Udf {
    name: &'static str,
    signature: Signature,
    return_type: ReturnType,
    body: Body,
}

impl Udf {
    /// A function named `name`, as a DataFusion [`ScalarUDF`].
    pub(crate) fn scalar_udf(
        name: &'static str,
        signature: Signature,
        return_type: ReturnType,
        body: Body,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            name,
            signature,
            return_type,
            body,
        })
    }
}

impl PartialEq for Udf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.signature == other.signature
    }
}

impl Eq for Udf {}

impl Hash for Udf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.signature.hash(state);
    }
}

impl ScalarUDFImpl for Udf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        (self.return_type)(arg_types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        (self.body)(&args.args, args.number_rows)
    }
}

/// Every argument as an array of `rows` rows.
pub(crate) fn arrays(args: &[ColumnarValue], rows: usize) -> Result<Vec<ArrayRef>> {
    args.iter().map(|a| a.to_array(rows)).collect()
}

/// `out` as the function's result: a scalar when every argument was one.
pub(crate) fn finish(args: &[ColumnarValue], out: ArrayRef) -> Result<ColumnarValue> {
    if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
    } else {
        Ok(ColumnarValue::Array(out))
    }
}

/// The string value of a constant argument (a format, a path, a unit), or
/// `None` when it is NULL; fails naming the function when it is not constant.
pub(crate) fn constant_str<'a>(
    function: &str,
    argument: &str,
    value: &'a ColumnarValue,
) -> Result<Option<&'a str>> {
    match value {
        ColumnarValue::Scalar(s) => match s.try_as_str() {
            Some(v) => Ok(v),
            None => datafusion::common::exec_err!(
                "{function}: {argument} must be a string, not {}",
                s.data_type()
            ),
        },
        ColumnarValue::Array(_) => {
            datafusion::common::exec_err!("{function}: {argument} must be a constant, not a column")
        }
    }
}

/// A return-type function for functions that always return `T`.
macro_rules! returns {
    ($t:expr) => {{
        fn ret(
            _: &[datafusion::arrow::datatypes::DataType],
        ) -> datafusion::common::Result<datafusion::arrow::datatypes::DataType> {
            Ok($t)
        }
        ret
    }};
}
pub(crate) use returns;

/// The `ScalarUDFImpl` methods of a wrapper that is typed as the DataFusion
/// function in its `inner` field (`comparison`, `arrays::nulls`): the same
/// signature, coercions and return type; the wrapper changes only values.
macro_rules! typed_as_inner {
    () => {
        fn signature(&self) -> &datafusion::logical_expr::Signature {
            self.inner.signature()
        }

        fn coerce_types(
            &self,
            arg_types: &[datafusion::arrow::datatypes::DataType],
        ) -> datafusion::common::Result<Vec<datafusion::arrow::datatypes::DataType>> {
            self.inner.coerce_types(arg_types)
        }

        fn return_type(
            &self,
            arg_types: &[datafusion::arrow::datatypes::DataType],
        ) -> datafusion::common::Result<datafusion::arrow::datatypes::DataType> {
            self.inner.return_type(arg_types)
        }
    };
}
pub(crate) use typed_as_inner;
