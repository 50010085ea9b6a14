//! `CREATE TABLE t WITH (...) AS SELECT ...` and `INSERT INTO t SELECT ...`
//! (ATHENA.md §5): the query's result written in Athena's layout (see
//! `unload.rs`), and the catalog told through its write API, so the table
//! (and its new partitions) can be queried at once.
//!
//! CTAS writes to `external_location`, which must be empty, and registers a
//! table whose columns are the query's (Hive types from the Arrow types),
//! partition columns last. INSERT INTO appends new files under the table's
//! location (never touching its existing files), casting the query's
//! columns by position to the table's types, and registers the partitions it
//! wrote unless the table's partitions are projected.

use std::path::PathBuf;

use datafusion::common::Column as DfColumn;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{Expr, cast};

use super::Engine;
use super::unload::{WriteSpec, column_names, invalid, partition_columns};
use crate::athena::write::{CreateTableAs, InsertInto, WriteFormat};
use crate::catalog::glue_json::{
    AVRO_INPUT, AVRO_OUTPUT, AVRO_SERDE, ORC_INPUT, ORC_OUTPUT, ORC_SERDE,
};
use crate::catalog::glue_json::{GlueColumn, GlueTable, SerdeInfo, StorageDescriptor};
use crate::catalog::{PartitionDef, StorageFormat, TableDef, unescape_partition_value};
use crate::error::{Error, Result};
use crate::hive_type::of_arrow;

const CTAS: &str = "CREATE TABLE AS";
const INSERT: &str = "INSERT INTO";

impl Engine {
    /// Runs a CTAS: writes the data, then registers the table.
    pub(crate) async fn create_table_as(&self, ctas: CreateTableAs) -> Result<DataFrame> {
        let database = ctas.database.clone().unwrap_or_else(|| self.database());
        let name = ctas.table.clone();
        match self.catalog.table(&database, &name).await {
            Ok(_) if ctas.if_not_exists => return Ok(self.ctx.read_empty()?),
            Ok(_) => {
                return Err(Error::TableExists {
                    name: format!("{database}.{name}"),
                });
            }
            Err(Error::TableNotFound { .. }) => {}
            Err(Error::DatabaseNotFound { .. }) => {
                return Err(self.not_found(&database, &name).await);
            }
            Err(e) => return Err(e),
        }
        let Some(location) = ctas.location.clone() else {
            return Err(invalid(
                CTAS,
                "external_location is required, e.g. WITH (external_location = \
                 's3://bucket/folder/')"
                    .into(),
            ));
        };
        let frame = self.plan(&ctas.query).await?;
        let columns = column_names(&frame);
        let partition_columns = partition_columns(CTAS, &columns, &ctas.options.partitioned_by)?;
        let def = table_def(
            &database,
            &name,
            &location,
            &frame,
            &ctas,
            partition_columns.len(),
        )?;
        let spec = WriteSpec {
            statement: CTAS,
            format: ctas.options.format,
            compression: ctas.options.compression.as_deref(),
            field_delimiter: ctas.options.field_delimiter,
            partition_columns,
            must_be_empty: true,
        };
        let folders = self.write_frame(frame, &location, &spec).await?;
        self.catalog.create_table(&def, false).await?;
        if !def.partition_keys.is_empty() {
            self.register(&def, &folders).await?;
        }
        Ok(self.ctx.read_empty()?)
    }

    /// Runs an INSERT INTO: appends the query's rows as new files.
    pub(crate) async fn insert_into(&self, insert: InsertInto) -> Result<DataFrame> {
        let database = insert.database.clone().unwrap_or_else(|| self.database());
        let def = match self.catalog.table(&database, &insert.table).await {
            Ok(def) => def,
            Err(Error::TableNotFound { .. } | Error::DatabaseNotFound { .. }) => {
                return Err(self.not_found(&database, &insert.table).await);
            }
            Err(e) => return Err(e),
        };
        let statement = format!("{INSERT} {}", def.qualified_name());
        if def.is_view() {
            return Err(invalid(
                &statement,
                format!(
                    "{} is a view; a view holds no data to insert into",
                    def.qualified_name()
                ),
            ));
        }
        if def.format == StorageFormat::Iceberg {
            return self.insert_into_iceberg(def, &insert.query).await;
        }
        let format = match def.format {
            StorageFormat::Parquet => WriteFormat::Parquet,
            StorageFormat::Json(_) => WriteFormat::Json,
            StorageFormat::Orc => WriteFormat::Orc,
            StorageFormat::Avro => WriteFormat::Avro,
            _ => {
                return Err(invalid(
                    &statement,
                    "lathe inserts into Parquet, ORC, Avro, JSON and Iceberg tables only".into(),
                ));
            }
        };
        let frame = self.plan(&insert.query).await?;
        let targets: Vec<_> = def.columns.iter().chain(&def.partition_keys).collect();
        let fields = frame.schema().fields().len();
        if fields != targets.len() {
            return Err(invalid(
                &statement,
                format!(
                    "the query returns {fields} columns; the table has {} ({})",
                    targets.len(),
                    targets
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        // By position, cast to the table's types and named as its columns.
        let exprs: Vec<Expr> = targets
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let (qualifier, field) = frame.schema().qualified_field(i);
                let source = Expr::Column(DfColumn::new(qualifier.cloned(), field.name()));
                cast(source, column.data_type.clone()).alias(&column.name)
            })
            .collect();
        let frame = frame.select(exprs)?;
        let compression = def
            .parameters
            .get("write.compression")
            .or_else(|| def.parameters.get("parquet.compression"))
            .map(|c| c.to_ascii_lowercase());
        let spec = WriteSpec {
            statement: &statement,
            format,
            compression: compression.as_deref().or(match format {
                // Files like the table's own, not Athena's CTAS default.
                WriteFormat::Parquet => Some("snappy"),
                _ => Some("gzip"),
            }),
            field_delimiter: None,
            partition_columns: def.partition_keys.iter().map(|k| k.name.clone()).collect(),
            must_be_empty: false,
        };
        let folders = self.write_frame(frame, &def.location, &spec).await?;
        let projected = def
            .parameters
            .get("projection.enabled")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if !def.partition_keys.is_empty() && !projected {
            self.register(&def, &folders).await?;
        }
        self.catalog.refresh();
        Ok(self.ctx.read_empty()?)
    }

    /// Registers the partitions of folders written under a table's location
    /// (`k1=v1/k2=v2`), skipping those registered already.
    async fn register(&self, def: &TableDef, folders: &[String]) -> Result<()> {
        let partitions: Vec<PartitionDef> = folders
            .iter()
            .filter_map(|folder| {
                let values: Vec<String> = folder
                    .split('/')
                    .zip(&def.partition_keys)
                    .map(|(part, key)| {
                        let value = part.strip_prefix(&format!("{}=", key.name))?;
                        Some(unescape_partition_value(value))
                    })
                    .collect::<Option<_>>()?;
                (values.len() == def.partition_keys.len()).then(|| PartitionDef {
                    values,
                    location: format!("{}/{folder}/", def.location.trim_end_matches('/')),
                    format: def.format,
                })
            })
            .collect();
        if !partitions.is_empty() {
            self.catalog.add_partitions(def, &partitions, true).await?;
        }
        Ok(())
    }
}

/// The table a CTAS registers, validated by the catalog loader's own rules
/// before any data is written.
fn table_def(
    database: &str,
    name: &str,
    location: &str,
    frame: &DataFrame,
    ctas: &CreateTableAs,
    partitions: usize,
) -> Result<TableDef> {
    let fields = frame.schema().fields();
    let columns = fields
        .iter()
        .map(|f| {
            let type_string = of_arrow(f.data_type()).ok_or_else(|| {
                invalid(
                    CTAS,
                    format!(
                        "column {} has type {}, which has no Hive type; cast it",
                        f.name(),
                        f.data_type()
                    ),
                )
            })?;
            Ok(GlueColumn {
                name: Some(f.name().to_lowercase()),
                type_string: Some(type_string),
                comment: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let (data, keys) = columns.split_at(columns.len() - partitions);
    let (serde, input, output, classification) = match ctas.options.format {
        WriteFormat::Parquet => (
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "parquet",
        ),
        WriteFormat::Json => (
            "org.apache.hive.hcatalog.data.JsonSerDe",
            "org.apache.hadoop.mapred.TextInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "json",
        ),
        WriteFormat::Textfile => (
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            "org.apache.hadoop.mapred.TextInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "csv",
        ),
        WriteFormat::Orc => (ORC_SERDE, ORC_INPUT, ORC_OUTPUT, "orc"),
        WriteFormat::Avro => (AVRO_SERDE, AVRO_INPUT, AVRO_OUTPUT, "avro"),
    };
    // The files are written as UNLOAD writes TEXTFILE: the delimiter given
    // (Hive's \001 by default) and \N for NULL, LazySimpleSerDe's defaults.
    let serde_parameters = match ctas.options.format {
        WriteFormat::Textfile => {
            let delimiter = ctas.options.field_delimiter.unwrap_or('\u{1}').to_string();
            std::collections::HashMap::from([
                ("field.delim".to_string(), delimiter.clone()),
                ("serialization.format".to_string(), delimiter),
            ])
        }
        _ => Default::default(),
    };
    let mut parameters = std::collections::HashMap::from([
        ("EXTERNAL".to_string(), "TRUE".to_string()),
        ("classification".to_string(), classification.to_string()),
    ]);
    if let Some(c) = &ctas.options.compression {
        parameters.insert("write.compression".into(), c.to_ascii_uppercase());
    }
    let glue = GlueTable {
        name: Some(name.to_string()),
        database_name: Some(database.to_string()),
        table_type: Some("EXTERNAL_TABLE".into()),
        description: None,
        storage_descriptor: Some(StorageDescriptor {
            columns: Some(data.to_vec()),
            location: Some(location.to_string()),
            input_format: Some(input.into()),
            output_format: Some(output.into()),
            serde_info: Some(SerdeInfo {
                serialization_library: Some(serde.into()),
                parameters: Some(serde_parameters),
            }),
            parameters: None,
        }),
        partition_keys: Some(keys.to_vec()),
        parameters: Some(parameters),
        create_time: None,
        update_time: None,
        ..GlueTable::default()
    };
    let path = PathBuf::from(format!("{database}/{name}.json"));
    glue.into_table_def(&path, database, name)
}
