//! Stub.

use datafusion::logical_expr::AggregateUDF;
use datafusion::prelude::SessionContext;

pub(crate) fn functions(_ctx: &SessionContext) -> Vec<AggregateUDF> {
    vec![]
}
