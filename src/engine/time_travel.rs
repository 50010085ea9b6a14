//! Time travel on Iceberg tables (`FOR VERSION AS OF`, `FOR TIMESTAMP AS
//! OF`): each clause's value is computed here (a timestamp may be any
//! constant expression, such as `current_timestamp - interval '1' day`),
//! then the relation is renamed to what the catalog provider opens as that
//! snapshot (see `iceberg::travel`).

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMillisecondType};
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::{Expr, Value};

use super::Engine;
use crate::error::{Error, Result};
use crate::iceberg::travel::{self, Resolved};

const STATEMENT: &str = "time travel (FOR VERSION AS OF / FOR TIMESTAMP AS OF)";

impl Engine {
    /// `statement` with its version clauses resolved to snapshot names.
    pub(crate) async fn resolve_time_travel(&self, mut statement: Statement) -> Result<Statement> {
        let Statement::Statement(inner) = &mut statement else {
            return Ok(statement);
        };
        let versions = travel::versions(inner.as_mut());
        if versions.is_empty() {
            return Ok(statement);
        }
        let mut resolved = Vec::with_capacity(versions.len());
        for version in &versions {
            let Some((is_snapshot, expr)) = travel::clause(version) else {
                return Err(invalid(format!(
                    "{version} is not supported; use FOR VERSION AS OF <snapshot id> or FOR TIMESTAMP AS OF <timestamp>"
                )));
            };
            resolved.push(if is_snapshot {
                Resolved::Snapshot(snapshot_id(expr)?)
            } else {
                Resolved::TimestampMs(self.timestamp_ms(expr).await?)
            });
        }
        travel::rewrite(inner.as_mut(), &resolved);
        Ok(statement)
    }

    /// A constant timestamp expression's instant in epoch milliseconds; a
    /// timestamp without a zone is UTC, as in Athena.
    async fn timestamp_ms(&self, expr: &Expr) -> Result<i64> {
        let sql = format!("SELECT {expr}");
        let batches = Box::pin(self.plan(&sql)).await?.collect().await?;
        let column = batches
            .iter()
            .find(|b| b.num_rows() > 0)
            .map(|b| b.column(0).clone())
            .ok_or_else(|| invalid(format!("{expr} gives no value")))?;
        let as_ms = match column.data_type() {
            DataType::Timestamp(_, tz) => datafusion::arrow::compute::cast(
                &column,
                &DataType::Timestamp(TimeUnit::Millisecond, tz.clone()),
            )?,
            DataType::Date32 | DataType::Date64 | DataType::Utf8 | DataType::Utf8View => {
                datafusion::arrow::compute::cast(
                    &column,
                    &DataType::Timestamp(TimeUnit::Millisecond, None),
                )?
            }
            other => {
                return Err(invalid(format!(
                    "FOR TIMESTAMP AS OF needs a timestamp, but {expr} is of type {other}"
                )));
            }
        };
        let values = as_ms.as_primitive::<TimestampMillisecondType>();
        if values.is_null(0) {
            return Err(invalid(format!("FOR TIMESTAMP AS OF {expr} is NULL")));
        }
        Ok(values.value(0))
    }
}

fn snapshot_id(expr: &Expr) -> Result<i64> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| {
        invalid(format!(
            "FOR VERSION AS OF needs a snapshot id (a bigint), not {expr}"
        ))
    })
}

fn invalid(reason: String) -> Error {
    Error::InvalidStatement {
        statement: STATEMENT.into(),
        reason,
    }
}
