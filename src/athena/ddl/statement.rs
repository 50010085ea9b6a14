//! The statements of [`super`] and their grammar, one method per statement.

use super::{PResult, Parser, Tok};

/// `[db.]table`, lower case.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableName {
    /// The database, when qualified.
    pub(crate) database: Option<String>,
    /// The table.
    pub(crate) table: String,
}

/// A column of `CREATE EXTERNAL TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    pub(crate) name: String,
    /// The Hive type as Glue stores it (lower case, no spaces).
    pub(crate) type_string: String,
    pub(crate) comment: Option<String>,
}

/// `CREATE EXTERNAL TABLE`, clause by clause.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CreateTable {
    pub(crate) table: Option<TableName>,
    pub(crate) if_not_exists: bool,
    pub(crate) columns: Vec<ColumnDef>,
    pub(crate) comment: Option<String>,
    pub(crate) partition_keys: Vec<ColumnDef>,
    /// `ROW FORMAT SERDE` (or LazySimpleSerDe for `ROW FORMAT DELIMITED`, or
    /// the default of `STORED AS`).
    pub(crate) serde: Option<String>,
    /// `WITH SERDEPROPERTIES`, and the `DELIMITED` clauses as SerDe properties.
    pub(crate) serde_properties: Vec<(String, String)>,
    pub(crate) input_format: Option<String>,
    pub(crate) output_format: Option<String>,
    pub(crate) location: Option<String>,
    /// `TBLPROPERTIES`.
    pub(crate) properties: Vec<(String, String)>,
    /// `CREATE TABLE` without `EXTERNAL`: Athena's Iceberg DDL, whose
    /// `PARTITIONED BY` lists transforms (`day(ts)`, `bucket(16, id)`), as written.
    pub(crate) iceberg_partitioning: Option<Vec<String>>,
}

/// A partition of `ALTER TABLE ADD PARTITION`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PartitionSpec {
    /// `(key, value)` in the order written.
    pub(crate) values: Vec<(String, String)>,
    /// `LOCATION`, if given.
    pub(crate) location: Option<String>,
}

/// One Athena DDL or metadata statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Statement {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
        comment: Option<String>,
        location: Option<String>,
        properties: Vec<(String, String)>,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    CreateTable(Box<CreateTable>),
    /// `CREATE [OR REPLACE] VIEW`.
    CreateView(Box<super::CreateView>),
    /// `DROP VIEW [IF EXISTS]`.
    DropView {
        view: TableName,
        if_exists: bool,
    },
    /// `SHOW VIEWS [IN db] [LIKE 'pattern']`.
    ShowViews {
        database: Option<String>,
        pattern: Option<String>,
    },
    /// `SHOW CREATE VIEW`.
    ShowCreateView {
        view: TableName,
    },
    DropTable {
        table: TableName,
        if_exists: bool,
    },
    MsckRepair {
        table: TableName,
    },
    AddPartitions {
        table: TableName,
        if_not_exists: bool,
        partitions: Vec<PartitionSpec>,
    },
    DropPartitions {
        table: TableName,
        if_exists: bool,
        partitions: Vec<Vec<(String, String)>>,
    },
    /// `ALTER TABLE t SET TBLPROPERTIES (...)`: properties added or replaced.
    SetTableProperties {
        table: TableName,
        properties: Vec<(String, String)>,
    },
    ShowTables {
        database: Option<String>,
        pattern: Option<String>,
    },
    ShowPartitions {
        table: TableName,
    },
    ShowCreateTable {
        table: TableName,
    },
    ShowColumns {
        table: TableName,
    },
    ShowTblProperties {
        table: TableName,
        key: Option<String>,
    },
    Describe {
        table: TableName,
        formatted: bool,
        column: Option<String>,
    },
    Prepare {
        name: String,
        statement: String,
    },
    Execute {
        name: String,
        parameters: Vec<String>,
    },
    Deallocate {
        name: String,
    },
}

/// Class names that `STORED AS` and `ROW FORMAT DELIMITED` stand for.
pub(crate) mod formats {
    pub(crate) use crate::catalog::glue_json::{
        AVRO_INPUT, AVRO_OUTPUT, AVRO_SERDE, HIVE_JSON_SERDE as HIVE_JSON, ORC_INPUT, ORC_OUTPUT,
        ORC_SERDE, PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE, TEXT_INPUT, TEXT_OUTPUT,
    };

    pub(crate) const LAZY_SIMPLE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
    /// `STORED AS <name>`: (default SerDe, input format, output format).
    pub(crate) fn stored_as(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
        Some(match name.to_ascii_uppercase().as_str() {
            "PARQUET" => (PARQUET_SERDE, PARQUET_INPUT, PARQUET_OUTPUT),
            "TEXTFILE" => (LAZY_SIMPLE, TEXT_INPUT, TEXT_OUTPUT),
            "JSON" | "JSONFILE" => (HIVE_JSON, TEXT_INPUT, TEXT_OUTPUT),
            "ORC" => (ORC_SERDE, ORC_INPUT, ORC_OUTPUT),
            "AVRO" => (AVRO_SERDE, AVRO_INPUT, AVRO_OUTPUT),
            _ => return None,
        })
    }
}

impl Parser<'_> {
    pub(super) fn statement(&mut self) -> PResult<Statement> {
        let statement = if self.eat_kw("CREATE") {
            if self.is_kw("VIEW") || self.is_kw("OR") {
                // The query runs to the end of the text.
                return self.create_view();
            }
            self.create()?
        } else if self.eat_kw("DROP") {
            self.drop()?
        } else if self.eat_kw("SHOW") {
            self.show()?
        } else if self.eat_kw("ALTER") {
            self.alter()?
        } else if self.eat_kw("MSCK") {
            self.expect_kw("REPAIR")?;
            self.expect_kw("TABLE")?;
            Statement::MsckRepair {
                table: self.table_name()?,
            }
        } else if self.eat_kw("DESCRIBE") || self.eat_kw("DESC") {
            let formatted = self.eat_kw("FORMATTED") || self.eat_kw("EXTENDED");
            let table = self.table_name()?;
            let column = match self.peek() {
                Some(Tok::Word(_) | Tok::Quoted(_) | Tok::DoubleQuoted { .. }) => {
                    Some(self.ident("a column name")?)
                }
                _ => None,
            };
            Statement::Describe {
                table,
                formatted,
                column,
            }
        } else if self.eat_kw("PREPARE") {
            let name = self.ident("a prepared statement name")?;
            self.expect_kw("FROM")?;
            let statement = self.rest_text().to_string();
            if statement.is_empty() {
                return Err(self.unexpected("a statement to prepare"));
            }
            return Ok(Statement::Prepare { name, statement });
        } else if self.eat_kw("EXECUTE") {
            let name = self.ident("a prepared statement name")?;
            let parameters = if self.eat_kw("USING") {
                self.expressions()?
            } else {
                Vec::new()
            };
            Statement::Execute { name, parameters }
        } else if self.eat_kw("DEALLOCATE") {
            self.expect_kw("PREPARE")?;
            Statement::Deallocate {
                name: self.ident("a prepared statement name")?,
            }
        } else {
            return Err(self.unexpected("a statement"));
        };
        self.end()?;
        Ok(statement)
    }

    fn create(&mut self) -> PResult<Statement> {
        if self.eat_kw("DATABASE") || self.eat_kw("SCHEMA") {
            let if_not_exists = self.if_not_exists();
            let name = self.ident("a database name")?;
            let (mut comment, mut location, mut properties) = (None, None, Vec::new());
            loop {
                if self.eat_kw("COMMENT") {
                    comment = Some(self.string("a comment in quotes")?);
                } else if self.eat_kw("LOCATION") {
                    location = Some(self.string("a location in quotes")?);
                } else if self.eat_kws(&["WITH", "DBPROPERTIES"]) {
                    properties = self.properties()?;
                } else {
                    break;
                }
            }
            return Ok(Statement::CreateDatabase {
                name,
                if_not_exists,
                comment,
                location,
                properties,
            });
        }
        let external_at = self.offset();
        let external = self.eat_kw("EXTERNAL");
        self.expect_kw("TABLE")?;
        let table = self.create_table(!external)?;
        // Without EXTERNAL, only an Iceberg table (Athena's DDL for one).
        let iceberg = table.properties.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("table_type") && v.eq_ignore_ascii_case("iceberg")
        });
        if !external && !iceberg {
            return Err(self.error_at(
                external_at,
                "Athena creates Hive tables only as CREATE EXTERNAL TABLE (or Iceberg tables \
                 with TBLPROPERTIES ('table_type' = 'ICEBERG'))"
                    .into(),
            ));
        }
        Ok(Statement::CreateTable(Box::new(table)))
    }

    fn create_table(&mut self, iceberg: bool) -> PResult<CreateTable> {
        let mut t = CreateTable {
            if_not_exists: self.if_not_exists(),
            table: Some(self.table_name()?),
            iceberg_partitioning: iceberg.then(Vec::new),
            ..CreateTable::default()
        };
        // An Avro table that names its Avro schema (Hive) and a Delta table
        // (Athena's Delta DDL) may omit their columns: the schema or the
        // transaction log gives them. Checked once the clauses are read.
        let columns_at = self.offset();
        let clause_next = [
            "COMMENT",
            "PARTITIONED",
            "ROW",
            "STORED",
            "LOCATION",
            "TBLPROPERTIES",
        ]
        .iter()
        .any(|kw| self.is_kw(kw));
        if !clause_next {
            t.columns = self.column_defs()?;
        }
        let mut seen: Vec<&str> = Vec::new();
        loop {
            let at = self.offset();
            let clause = if self.eat_kw("COMMENT") {
                t.comment = Some(self.string("a table comment in quotes")?);
                "COMMENT"
            } else if self.eat_kws(&["PARTITIONED", "BY"]) {
                if iceberg {
                    self.expect_punct('(')?;
                    let transforms = self.expressions()?;
                    self.expect_punct(')')?;
                    t.iceberg_partitioning = Some(transforms);
                } else {
                    t.partition_keys = self.column_defs()?;
                }
                "PARTITIONED BY"
            } else if self.eat_kws(&["ROW", "FORMAT"]) {
                self.row_format(&mut t)?;
                "ROW FORMAT"
            } else if self.eat_kws(&["STORED", "AS"]) {
                self.stored_as(&mut t)?;
                "STORED AS"
            } else if self.eat_kw("LOCATION") {
                t.location = Some(self.string("a location in quotes")?);
                "LOCATION"
            } else if self.eat_kw("TBLPROPERTIES") {
                t.properties = self.properties()?;
                "TBLPROPERTIES"
            } else if self.is_kw("CLUSTERED") || self.is_kw("SKEWED") {
                return Err(self.error_at(
                    at,
                    "bucketed and skewed tables (CLUSTERED BY, SKEWED BY) are not supported".into(),
                ));
            } else {
                break;
            };
            if seen.contains(&clause) {
                return Err(self.error_at(at, format!("{clause} is given twice")));
            }
            seen.push(clause);
        }
        // STORED AS TEXTFILE (or nothing) reads with LazySimpleSerDe unless a SerDe is named.
        if t.input_format.is_none()
            && let Some((serde, input, output)) = formats::stored_as("TEXTFILE")
        {
            t.serde.get_or_insert_with(|| serde.to_string());
            t.input_format = Some(input.to_string());
            t.output_format = Some(output.to_string());
        }
        if t.columns.is_empty() && !columns_from_elsewhere(&t) {
            return Err(self.error_at(
                columns_at,
                "expected the table's columns in parentheses (only a Delta table, or an Avro \
                 table with avro.schema.literal or avro.schema.url, may leave them out)"
                    .into(),
            ));
        }
        Ok(t)
    }

    /// `ROW FORMAT SERDE '..' [WITH SERDEPROPERTIES (..)]` or `ROW FORMAT DELIMITED ...`.
    fn row_format(&mut self, t: &mut CreateTable) -> PResult<()> {
        if self.eat_kw("SERDE") {
            t.serde = Some(self.string("a SerDe class name in quotes")?);
            if self.eat_kws(&["WITH", "SERDEPROPERTIES"]) {
                t.serde_properties = self.properties()?;
            }
            return Ok(());
        }
        self.expect_kw("DELIMITED")?;
        t.serde = Some(formats::LAZY_SIMPLE.to_string());
        let mut found = false;
        loop {
            let key = if self.eat_kws(&["FIELDS", "TERMINATED", "BY"]) {
                let delim = self.string("a field delimiter in quotes")?;
                t.serde_properties
                    .push(("serialization.format".into(), delim.clone()));
                t.serde_properties.push(("field.delim".into(), delim));
                if self.eat_kws(&["ESCAPED", "BY"]) {
                    let escape = self.string("an escape character in quotes")?;
                    t.serde_properties.push(("escape.delim".into(), escape));
                }
                found = true;
                continue;
            } else if self.eat_kws(&["COLLECTION", "ITEMS", "TERMINATED", "BY"]) {
                "collection.delim"
            } else if self.eat_kws(&["MAP", "KEYS", "TERMINATED", "BY"]) {
                "mapkey.delim"
            } else if self.eat_kws(&["LINES", "TERMINATED", "BY"]) {
                "line.delim"
            } else if self.eat_kws(&["NULL", "DEFINED", "AS"]) {
                "serialization.null.format"
            } else {
                break;
            };
            let value = self.string("a delimiter in quotes")?;
            t.serde_properties.push((key.into(), value));
            found = true;
        }
        if !found {
            return Err(self.unexpected("FIELDS TERMINATED BY"));
        }
        if self.eat_kws(&["WITH", "SERDEPROPERTIES"]) {
            t.serde_properties.extend(self.properties()?);
        }
        Ok(())
    }

    /// `STORED AS PARQUET|TEXTFILE|JSON|...` or `STORED AS INPUTFORMAT '..' OUTPUTFORMAT '..'`.
    fn stored_as(&mut self, t: &mut CreateTable) -> PResult<()> {
        if self.eat_kw("INPUTFORMAT") {
            t.input_format = Some(self.string("an input format class in quotes")?);
            self.expect_kw("OUTPUTFORMAT")?;
            t.output_format = Some(self.string("an output format class in quotes")?);
            return Ok(());
        }
        let at = self.offset();
        let name = self.ident("a storage format (PARQUET, TEXTFILE, JSON, ORC, AVRO)")?;
        let Some((serde, input, output)) = formats::stored_as(&name) else {
            return Err(self.error_at(
                at,
                format!(
                    "unknown storage format {}; expected PARQUET, TEXTFILE, JSON, ORC, AVRO or INPUTFORMAT",
                    name.to_uppercase()
                ),
            ));
        };
        t.serde.get_or_insert_with(|| serde.to_string());
        t.input_format = Some(input.to_string());
        t.output_format = Some(output.to_string());
        Ok(())
    }

    fn drop(&mut self) -> PResult<Statement> {
        if self.eat_kw("DATABASE") || self.eat_kw("SCHEMA") {
            let if_exists = self.if_exists();
            let name = self.ident("a database name")?;
            let cascade = self.eat_kw("CASCADE");
            if !cascade {
                self.eat_kw("RESTRICT");
            }
            return Ok(Statement::DropDatabase {
                name,
                if_exists,
                cascade,
            });
        }
        if self.eat_kw("VIEW") {
            let if_exists = self.if_exists();
            return Ok(Statement::DropView {
                view: self.table_name()?,
                if_exists,
            });
        }
        self.expect_kw("TABLE")?;
        let if_exists = self.if_exists();
        Ok(Statement::DropTable {
            table: self.table_name()?,
            if_exists,
        })
    }

    fn alter(&mut self) -> PResult<Statement> {
        self.expect_kw("TABLE")?;
        let table = self.table_name()?;
        if self.eat_kw("ADD") {
            let if_not_exists = self.if_not_exists();
            let mut partitions = Vec::new();
            while self.eat_kw("PARTITION") {
                let values = self.partition_values()?;
                let location = if self.eat_kw("LOCATION") {
                    Some(self.string("a location in quotes")?)
                } else {
                    None
                };
                partitions.push(PartitionSpec { values, location });
            }
            if partitions.is_empty() {
                return Err(self.unexpected("PARTITION"));
            }
            return Ok(Statement::AddPartitions {
                table,
                if_not_exists,
                partitions,
            });
        }
        if self.eat_kw("DROP") {
            let if_exists = self.if_exists();
            let mut partitions = Vec::new();
            loop {
                self.expect_kw("PARTITION")?;
                partitions.push(self.partition_values()?);
                if !self.eat_punct(',') {
                    break;
                }
            }
            return Ok(Statement::DropPartitions {
                table,
                if_exists,
                partitions,
            });
        }
        if self.eat_kw("SET") {
            self.expect_kw("TBLPROPERTIES")?;
            let properties = self.properties()?;
            return Ok(Statement::SetTableProperties { table, properties });
        }
        Err(self.unexpected(
            "ADD PARTITION, DROP PARTITION or SET TBLPROPERTIES (the ALTER TABLE forms lathe \
             supports)",
        ))
    }

    fn show(&mut self) -> PResult<Statement> {
        let views = self.eat_kw("VIEWS");
        if views || self.eat_kw("TABLES") {
            let database = if self.eat_kw("IN") || self.eat_kw("FROM") {
                Some(self.ident("a database name")?)
            } else {
                None
            };
            self.eat_kw("LIKE");
            let pattern = match self.peek() {
                Some(Tok::Str(_) | Tok::DoubleQuoted { .. }) => Some(self.string("a pattern")?),
                _ => None,
            };
            return Ok(if views {
                Statement::ShowViews { database, pattern }
            } else {
                Statement::ShowTables { database, pattern }
            });
        }
        if self.eat_kw("PARTITIONS") {
            return Ok(Statement::ShowPartitions {
                table: self.table_name()?,
            });
        }
        if self.eat_kw("CREATE") {
            if self.eat_kw("VIEW") {
                return Ok(Statement::ShowCreateView {
                    view: self.table_name()?,
                });
            }
            self.expect_kw("TABLE")?;
            return Ok(Statement::ShowCreateTable {
                table: self.table_name()?,
            });
        }
        if self.eat_kw("COLUMNS") {
            if !(self.eat_kw("IN") || self.eat_kw("FROM")) {
                return Err(self.unexpected("IN or FROM"));
            }
            let mut table = self.table_name()?;
            if self.eat_kw("IN") || self.eat_kw("FROM") {
                table.database = Some(self.ident("a database name")?);
            }
            return Ok(Statement::ShowColumns { table });
        }
        self.expect_kw("TBLPROPERTIES")?;
        let table = self.table_name()?;
        let key = if self.eat_punct('(') {
            let key = self.string("a property name in quotes")?;
            self.expect_punct(')')?;
            Some(key)
        } else {
            None
        };
        Ok(Statement::ShowTblProperties { table, key })
    }

    /// Comma-separated expressions (for `EXECUTE ... USING`, and Iceberg's
    /// `PARTITIONED BY` transforms), as text, up to a `;` or an unopened `)`.
    fn expressions(&mut self) -> PResult<Vec<String>> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut start = self.offset();
        let mut end = start;
        while let Some(token) = self.tokens.get(self.pos) {
            match token.tok {
                Tok::Punct('(' | '[') => depth += 1,
                // The `)` closing a list the caller opened.
                Tok::Punct(')') if depth == 0 => break,
                Tok::Punct(')' | ']') => depth = depth.saturating_sub(1),
                Tok::Punct(';') if depth == 0 => break,
                Tok::Punct(',') if depth == 0 => {
                    if end == start {
                        return Err(self.unexpected("a parameter value"));
                    }
                    out.push(self.text.get(start..end).unwrap_or_default().to_string());
                    self.pos += 1;
                    start = self.offset();
                    end = start;
                    continue;
                }
                _ => {}
            }
            end = token.end;
            self.pos += 1;
        }
        if end == start {
            return Err(self.unexpected("a parameter value"));
        }
        out.push(self.text.get(start..end).unwrap_or_default().to_string());
        Ok(out)
    }
}

/// Whether `t`'s columns come from elsewhere than its DDL: a Delta table's
/// from its log, an Avro table's from the Avro schema it names.
fn columns_from_elsewhere(t: &CreateTable) -> bool {
    let property = |key: &str| {
        t.serde_properties
            .iter()
            .chain(&t.properties)
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };
    let delta = property("table_type").is_some_and(|v| v.eq_ignore_ascii_case("delta"));
    let avro = t
        .serde
        .as_deref()
        .is_some_and(|s| s.ends_with(".AvroSerDe"));
    delta
        || avro
            && (property("avro.schema.literal").is_some() || property("avro.schema.url").is_some())
}
