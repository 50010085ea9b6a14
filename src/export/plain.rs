//! Files lathe writes hold plain Arrow types. DataFusion reads Parquet
//! strings as `Utf8View` (see `table::read_schema`), and a view type written
//! to Parquet is recorded in the file's Arrow schema as `string_view`, which
//! older Arrow readers (pyarrow before 16, and tools built on them) refuse.
//! Exports, UNLOAD, CTAS and INSERT therefore write `Utf8`/`Binary` instead,
//! at every depth of nested types.

use std::sync::Arc;

use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, FieldRef, Fields, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

/// `t` with every view type replaced by its plain counterpart.
pub(crate) fn without_views(t: &DataType) -> DataType {
    match t {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        DataType::List(f) => DataType::List(plain_field(f)),
        DataType::LargeList(f) => DataType::LargeList(plain_field(f)),
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(plain_field(f), *n),
        DataType::ListView(f) => DataType::List(plain_field(f)),
        DataType::LargeListView(f) => DataType::LargeList(plain_field(f)),
        DataType::Struct(fields) => DataType::Struct(plain_fields(fields)),
        DataType::Map(f, sorted) => DataType::Map(plain_field(f), *sorted),
        other => other.clone(),
    }
}

fn plain_field(f: &FieldRef) -> FieldRef {
    Arc::new(
        f.as_ref()
            .clone()
            .with_data_type(without_views(f.data_type())),
    )
}

fn plain_fields(fields: &Fields) -> Fields {
    fields.iter().map(plain_field).collect()
}

/// The schema without view types, or `None` when it has none.
pub(crate) fn plain_schema(schema: &Schema) -> Option<SchemaRef> {
    let fields = plain_fields(schema.fields());
    if fields == *schema.fields() {
        return None;
    }
    Some(Arc::new(Schema::new_with_metadata(
        fields,
        schema.metadata().clone(),
    )))
}

/// `batch` cast to `schema` (a [`plain_schema`] of its own).
pub(crate) fn plain_batch(
    batch: &RecordBatch,
    schema: &SchemaRef,
) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| cast(column, field.data_type()))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::clone(schema), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Array, AsArray, Int64Array, ListBuilder, StringViewArray, StringViewBuilder,
    };
    use datafusion::arrow::datatypes::Field;

    #[test]
    fn views_become_plain_at_every_depth() {
        let long = "a long string of more than twelve bytes";
        let mut list = ListBuilder::new(StringViewBuilder::new());
        list.values().append_value(long);
        list.values().append_null();
        list.append(true);
        list.append(true);
        let list = Arc::new(list.finish());
        let strings = Arc::new(StringViewArray::from(vec![Some("x"), None]));
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8View, true),
            Field::new("l", list.data_type().clone(), true),
            Field::new("n", DataType::Int64, true),
        ]));
        let n = Arc::new(Int64Array::from(vec![1, 2]));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![strings, list, n]).unwrap();
        let plain = plain_schema(&schema).unwrap();
        assert_eq!(plain.field(0).data_type(), &DataType::Utf8);
        assert_eq!(
            plain.field(1).data_type(),
            &DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
        );
        assert_eq!(plain.field(2).data_type(), &DataType::Int64);
        let out = plain_batch(&batch, &plain).unwrap();
        assert_eq!(out.column(0).as_string::<i32>().value(0), "x");
        assert!(out.column(0).is_null(1));
        let first = out.column(1).as_list::<i32>().value(0);
        assert_eq!(first.as_string::<i32>().value(0), long);
        assert!(first.is_null(1));
        assert_eq!(out.column(1).as_list::<i32>().value(1).len(), 0);
        assert!(plain_schema(&plain).is_none());
    }
}
