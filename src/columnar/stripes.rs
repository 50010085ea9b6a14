//! Stripe pruning for ORC files: the query's filters, evaluated by
//! DataFusion's `PruningPredicate` against each stripe's column statistics
//! (minimum, maximum, values counted), as Athena's ORC reader skips stripes.
//!
//! Only statistics whose meaning is certain are offered; a column without
//! them is "unknown" to the predicate, which then keeps the stripe:
//! - integers, doubles, dates, decimals and strings (ORC orders strings by
//!   their UTF-8 bytes, as arrow's comparison does; a truncated bound is
//!   still a bound);
//! - not timestamps: `orc-rust` reports them in milliseconds without the
//!   sub-millisecond part and adjusted by the writer's time zone, which the
//!   decoded values may not be, so a stripe could be dropped wrongly;
//! - not booleans, binaries or nested columns (ORC keeps no bounds for them).

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt64Array};
use datafusion::arrow::compute::CastOptions;
use datafusion::arrow::datatypes::{DataType, Fields, SchemaRef};
use datafusion::common::pruning::PruningStatistics;
use datafusion::common::{Column, ScalarValue};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::pruning::build_pruning_predicate;
use datafusion::physical_plan::metrics::Count;
use orc_rust::reader::metadata::FileMetadata;
use orc_rust::statistics::{ColumnStatistics, TypeStatistics};
use orc_rust::stripe::StripeMetadata;

use crate::table::parquet_check;

/// A scan's filters, for pruning the stripes of each file it opens.
#[derive(Clone)]
pub(crate) struct StripeFilter {
    /// The conjunction of the filters pushed to the scan, over `schema`.
    pub(crate) predicate: Arc<dyn PhysicalExpr>,
    /// The table's columns: its data columns, then its partition columns.
    pub(crate) schema: SchemaRef,
    /// The table's data columns, whose positions ORC files are read by.
    pub(crate) data_fields: Fields,
}

impl StripeFilter {
    /// Which of `stripes` may hold rows the filters keep (all of them when
    /// the filters say nothing about the file's statistics). `column_of`
    /// gives the file's top-level column (an index into `file_fields`) that
    /// a table data column, by position, reads.
    pub(crate) fn keep(
        &self,
        metadata: &FileMetadata,
        stripes: &[&StripeMetadata],
        file_fields: &Fields,
        column_of: impl Fn(usize) -> Option<usize>,
    ) -> Vec<bool> {
        // Built per file, as Parquet's opener does, so that the joins'
        // dynamic filters are read at their current value.
        let errors = Count::new();
        let Some(predicate) =
            build_pruning_predicate(Arc::clone(&self.predicate), &self.schema, &errors)
        else {
            return vec![true; stripes.len()];
        };
        let root = metadata.root_data_type();
        // A column the file lacks (read as NULL) or holds with another type
        // has no statistics: the predicate keeps the stripes for it.
        let columns = self
            .data_fields
            .iter()
            .enumerate()
            .filter_map(|(position, field)| {
                let source = column_of(position)?;
                let file_type = file_fields.get(source)?.data_type();
                parquet_check::compatible(file_type, field.data_type()).then(|| {
                    (
                        field.name().clone(),
                        root.children()[source].data_type().column_index(),
                        field.data_type().clone(),
                    )
                })
            })
            .collect();
        let statistics = Stripes { stripes, columns };
        match predicate.prune(&statistics) {
            Ok(keep) => keep,
            Err(_) => vec![true; stripes.len()],
        }
    }
}

/// The statistics of one file's stripes, by table column name.
struct Stripes<'a> {
    stripes: &'a [&'a StripeMetadata],
    /// Each table data column the file has: its name, its ORC column id and
    /// the table's type for it.
    columns: Vec<(String, usize, DataType)>,
}

impl Stripes<'_> {
    fn column(&self, column: &Column) -> Option<&(String, usize, DataType)> {
        self.columns.iter().find(|(name, ..)| name == column.name())
    }

    /// One bound of `column` in each stripe, with the table's type.
    fn bounds(&self, column: &Column, max: bool) -> Option<ArrayRef> {
        let (_, id, table_type) = self.column(column)?;
        let unknown = ScalarValue::try_from(table_type).ok()?;
        // Safe casts: a bound the table's type cannot hold becomes NULL,
        // which the predicate reads as unknown.
        let options = CastOptions {
            safe: true,
            ..Default::default()
        };
        let values = self.stripes.iter().map(|stripe| {
            bound(stripe.column_statistics().get(*id), max)
                .and_then(|value| value.cast_to_with_options(table_type, &options).ok())
                .unwrap_or_else(|| unknown.clone())
        });
        ScalarValue::iter_to_array(values).ok()
    }
}

/// One bound of a stripe's column, as a scalar of ORC's statistics type;
/// `None` where the stripe has none (all its values are NULL) or ORC's
/// bound is not one lathe trusts (see the module's note).
fn bound(statistics: Option<&ColumnStatistics>, max: bool) -> Option<ScalarValue> {
    let statistics = statistics?;
    Some(match statistics.type_statistics() {
        Some(TypeStatistics::Integer { min, max: high, .. }) => {
            ScalarValue::Int64(Some(if max { *high } else { *min }))
        }
        Some(TypeStatistics::Double { min, max: high, .. }) => {
            let value = if max { *high } else { *min };
            ScalarValue::Float64((!value.is_nan()).then_some(value))
        }
        Some(TypeStatistics::String {
            lower_bound,
            upper_bound,
            ..
        }) => ScalarValue::Utf8(Some(if max { upper_bound } else { lower_bound }.clone())),
        Some(TypeStatistics::Date { min, max: high }) => {
            ScalarValue::Date32(Some(if max { *high } else { *min }))
        }
        // Decimal bounds are text; the cast to the table's decimal parses it.
        Some(TypeStatistics::Decimal { min, max: high, .. }) => {
            ScalarValue::Utf8(Some(if max { high } else { min }.clone()))
        }
        _ => return None,
    })
}

impl PruningStatistics for Stripes<'_> {
    fn min_values(&self, column: &Column) -> Option<ArrayRef> {
        self.bounds(column, false)
    }

    fn max_values(&self, column: &Column) -> Option<ArrayRef> {
        self.bounds(column, true)
    }

    fn num_containers(&self) -> usize {
        self.stripes.len()
    }

    fn null_counts(&self, column: &Column) -> Option<ArrayRef> {
        let (_, id, _) = self.column(column)?;
        let counts: Vec<u64> = self
            .stripes
            .iter()
            .map(|stripe| {
                let values = stripe.column_statistics().get(*id)?.number_of_values();
                Some(stripe.number_of_rows().saturating_sub(values))
            })
            .collect::<Option<_>>()?;
        Some(Arc::new(UInt64Array::from(counts)))
    }

    fn row_counts(&self) -> Option<ArrayRef> {
        let rows: Vec<u64> = self.stripes.iter().map(|s| s.number_of_rows()).collect();
        Some(Arc::new(UInt64Array::from(rows)))
    }

    fn contained(&self, _column: &Column, _values: &HashSet<ScalarValue>) -> Option<BooleanArray> {
        None
    }
}
