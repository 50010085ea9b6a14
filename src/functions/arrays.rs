//! Stub.

use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;

pub(crate) fn functions(_ctx: &SessionContext) -> Vec<ScalarUDF> {
    vec![]
}
