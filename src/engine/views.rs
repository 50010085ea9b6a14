//! Athena views: planned when a query reads them, created, dropped and shown
//! by the statements of `athena::ddl`.
//!
//! A view's SQL is Athena SQL, planned like any query (Athena's rewrites,
//! then DataFusion) with the view's `schema` as the default database, so an
//! Athena-made view's unqualified and `awsdatacatalog.db.t` names resolve as
//! in Athena. The plan goes to DataFusion as a [`ViewTable`], which the SQL
//! planner inlines into the query that reads it: pruning and pushdown see
//! through the view, and a cluster receives an ordinary plan.

use std::sync::{Arc, OnceLock};

use datafusion::catalog::view::ViewTable;
use datafusion::common::Column;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, cast};
use datafusion::prelude::DataFrame;

use super::Engine;
use super::show::pattern_regex;
use crate::athena::ddl::{CreateView, TableName};
use crate::catalog::TableDef;
use crate::catalog::view::{ViewColumn, ViewDef, type_names};
use crate::config::CATALOG_NAME;
use crate::error::{Error, Result, closest};

/// How deep views may read views; past it, a chain is taken for a cycle.
const MAX_DEPTH: usize = 32;

tokio::task_local! {
    /// The views being planned, outermost first, to catch a view reading itself.
    static PLANNING: Vec<String>;
}

/// The session's current state, while the session lives.
type StateSource = Box<dyn Fn() -> Option<SessionState> + Send + Sync>;

/// Plans views with the session's own state (its catalog, functions and
/// settings), which exists only once the session does.
#[derive(Default)]
pub(crate) struct ViewPlanner {
    state: OnceLock<StateSource>,
}

impl std::fmt::Debug for ViewPlanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewPlanner")
            .field("attached", &self.state.get().is_some())
            .finish()
    }
}

impl ViewPlanner {
    /// Gives the planner the session it plans in (held weakly: the session
    /// holds the planner).
    pub(crate) fn attach(&self, ctx: &datafusion::prelude::SessionContext) {
        let weak = Arc::downgrade(&ctx.state_ref());
        let source: StateSource = Box::new(move || weak.upgrade().map(|s| s.read().clone()));
        let _ = self.state.set(source);
    }

    /// The view `def` as a table DataFusion inlines.
    pub(crate) async fn provider(&self, def: &TableDef) -> Result<Arc<ViewTable>> {
        let name = format!("{CATALOG_NAME}.{}", def.qualified_name());
        let stack = PLANNING.try_with(Clone::clone).unwrap_or_default();
        if stack.contains(&name) || stack.len() >= MAX_DEPTH {
            let mut path = stack.clone();
            path.push(name.clone());
            return Err(Error::RecursiveView {
                view: name,
                path: path.join(" -> "),
            });
        }
        let mut inner = stack;
        inner.push(name.clone());
        let plan = PLANNING.scope(inner, self.plan(def, &name)).await?;
        let sql = def.view.as_ref().map(|v| v.sql.clone());
        Ok(Arc::new(ViewTable::new(plan, sql)))
    }

    async fn plan(&self, def: &TableDef, name: &str) -> Result<LogicalPlan> {
        let stale = |reason: String| Error::StaleView {
            view: name.to_string(),
            reason,
        };
        let Some(view) = &def.view else {
            return Err(stale("it is not a view".into()));
        };
        let Some(mut state) = self.state.get().and_then(|source| source()) else {
            return Err(stale("the session that read it has ended".into()));
        };
        let schema = view.schema.clone().unwrap_or_else(|| def.database.clone());
        state.config_mut().options_mut().catalog.default_schema = schema.to_lowercase();
        let planned = plan_query(&state, &view.sql).await.map_err(|e| {
            if is_recursive(&e) {
                e
            } else {
                stale(e.user_message())
            }
        })?;
        // The view's columns are what it was created with: the query must
        // still give as many, of the same names; values take the stored types.
        let fields = planned.schema().iter().collect::<Vec<_>>();
        let names = |list: Vec<&str>| list.join(", ");
        let now: Vec<&str> = fields.iter().map(|(_, f)| f.name().as_str()).collect();
        let then: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
        if now.len() != then.len()
            || now
                .iter()
                .zip(&then)
                .any(|(a, b)| !a.eq_ignore_ascii_case(b))
        {
            return Err(stale(format!(
                "its query now gives the columns ({}), but it was created with ({})",
                names(now),
                names(then)
            )));
        }
        let exprs: Vec<Expr> = fields
            .iter()
            .zip(&def.columns)
            .map(|((qualifier, field), column)| {
                let expr = Expr::Column(Column::new(qualifier.cloned(), field.name()));
                let expr = if field.data_type() == &column.data_type {
                    expr
                } else {
                    cast(expr, column.data_type.clone())
                };
                expr.alias(&column.name)
            })
            .collect();
        Ok(LogicalPlanBuilder::from(planned).project(exprs)?.build()?)
    }
}

/// Plans one query in Athena's SQL with `state`, as `Engine::plan` does.
async fn plan_query(state: &SessionState, sql: &str) -> Result<LogicalPlan> {
    let rewritten = crate::athena::rewrite(sql);
    let sql = rewritten.as_deref().unwrap_or(sql);
    let recursion_limit = state.config().options().sql_parser.recursion_limit.get();
    let mut statement = crate::athena::syntax::parse(sql, recursion_limit)?;
    crate::athena::select_names::name_dereferences(&mut statement);
    let plan = state.statement_to_plan(statement).await?;
    Ok(super::unnest::decorrelate(plan)?)
}

/// Whether a recursive view is the cause of `e` (then it is passed on as is).
fn is_recursive(e: &Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(Error::RecursiveView { .. }) = err.downcast_ref::<Error>() {
            return true;
        }
        current = err.source();
    }
    false
}

impl Engine {
    /// `CREATE [OR REPLACE] VIEW`: plans the query in the current database,
    /// then stores it with the columns it gives, as Athena does.
    pub(super) async fn create_view(&self, create: CreateView) -> Result<DataFrame> {
        let (database, name) = self.qualify(&create.view);
        let statement = format!("CREATE VIEW {database}.{name}");
        let invalid = |reason: String| Error::InvalidStatement {
            statement: statement.clone(),
            reason,
        };
        let databases = self.catalog.databases().await?;
        if !databases.iter().any(|d| d.eq_ignore_ascii_case(&database)) {
            return Err(Error::DatabaseNotFound {
                suggestion: closest(&database, databases.iter().map(String::as_str)),
                database,
            });
        }
        if let Some(existing) = self.existing(&database, &name).await? {
            if !existing.is_view() {
                return Err(invalid(format!(
                    "{database}.{name} is a table; a view cannot replace it"
                )));
            }
            if !create.or_replace {
                return Err(invalid(format!(
                    "view {database}.{name} already exists; use CREATE OR REPLACE VIEW to replace it"
                )));
            }
        }
        // The query's own columns first: a column list must rename all of them.
        let frame = self.plan(&create.query).await?;
        let schema = frame.schema();
        if !create.columns.is_empty() && create.columns.len() != schema.fields().len() {
            return Err(invalid(format!(
                "the column list names {} columns, but the query gives {}",
                create.columns.len(),
                schema.fields().len()
            )));
        }
        // With a column list, the stored query renames its columns itself, so
        // that Athena (which has no column list) reads the same view.
        let sql = if create.columns.is_empty() {
            create.query.clone()
        } else {
            let names: Vec<String> = create
                .columns
                .iter()
                .map(|(n, _)| format!("\"{}\"", n.replace('"', "\"\"")))
                .collect();
            format!(
                "SELECT * FROM (\n{}\n) AS t ({})",
                create.query,
                names.join(", ")
            )
        };
        let mut columns = Vec::new();
        let mut view_columns = Vec::new();
        for (i, field) in schema.fields().iter().enumerate() {
            let column_name = match create.columns.get(i) {
                Some((name, _)) => name.clone(),
                None => field.name().to_lowercase(),
            };
            if columns
                .iter()
                .any(|c: &crate::catalog::Column| c.name == column_name)
            {
                return Err(invalid(format!(
                    "the query gives two columns named {column_name}; name them apart with AS"
                )));
            }
            let Some((trino, hive)) = type_names(field.data_type()) else {
                return Err(invalid(format!(
                    "column {column_name} has type {}, which a view cannot store",
                    field.data_type()
                )));
            };
            let comment = create.columns.get(i).and_then(|(_, c)| c.clone());
            let data_type = crate::hive_type::parse_hive_type(&hive).map_err(&invalid)?;
            view_columns.push(ViewColumn {
                name: column_name.clone(),
                trino_type: trino,
                comment: comment.clone(),
            });
            columns.push(crate::catalog::Column {
                name: column_name,
                type_string: hive,
                data_type,
                comment,
            });
        }
        let def = TableDef {
            database: database.clone(),
            name: name.clone(),
            columns,
            partition_keys: Vec::new(),
            location: String::new(),
            format: crate::catalog::StorageFormat::Parquet,
            parameters: crate::catalog::glue_json::view_parameters(),
            serde_parameters: Default::default(),
            comment: create.comment.clone(),
            storage: Default::default(),
            view: Some(ViewDef {
                sql,
                catalog: Some(CATALOG_NAME.to_string()),
                schema: Some(self.database()),
                columns: view_columns,
                // Athena records the creator's IAM identity; lathe has none.
                owner: None,
                run_as_invoker: create.run_as_invoker,
                comment: create.comment,
            }),
        };
        self.catalog.create_view(&def, create.or_replace).await?;
        self.done()
    }

    /// `DROP VIEW [IF EXISTS]`: only a view.
    pub(super) async fn drop_view(&self, view: &TableName, if_exists: bool) -> Result<DataFrame> {
        let (database, name) = self.qualify(view);
        match self.existing(&database, &name).await? {
            None if if_exists => return self.done(),
            None => return Err(self.not_found(&database, &name).await),
            Some(def) if !def.is_view() => {
                return Err(Error::InvalidStatement {
                    statement: format!("DROP VIEW {database}.{name}"),
                    reason: format!("{database}.{name} is a table, not a view; use DROP TABLE"),
                });
            }
            Some(_) => {}
        }
        self.catalog.drop_table(&database, &name, if_exists).await?;
        self.done()
    }

    /// `SHOW VIEWS [IN db] [LIKE 'pattern']`.
    pub(super) async fn show_views(
        &self,
        database: Option<String>,
        pattern: Option<String>,
    ) -> Result<DataFrame> {
        let database = database.unwrap_or_else(|| self.database());
        let regex = pattern
            .map(|p| {
                pattern_regex(&p).map_err(|e| Error::InvalidStatement {
                    statement: "SHOW VIEWS".into(),
                    reason: format!("pattern {p:?} is invalid: {e}"),
                })
            })
            .transpose()?;
        let mut views = Vec::new();
        for name in self.catalog.tables(&database).await? {
            if regex.as_ref().is_some_and(|r| !r.is_match(&name)) {
                continue;
            }
            // A table whose definition lathe cannot read is no view it can show.
            if let Ok(def) = self.catalog.table(&database, &name).await
                && def.is_view()
            {
                views.push(name);
            }
        }
        self.rows(&["views"], views.into_iter().map(|v| vec![v]))
    }

    /// `SHOW CREATE VIEW`: the statement that makes the view again.
    pub(super) async fn show_create_view(&self, view: &TableName) -> Result<DataFrame> {
        let def = self.table_def(view).await?;
        let Some(v) = &def.view else {
            return Err(Error::InvalidStatement {
                statement: format!("SHOW CREATE VIEW {}", def.qualified_name()),
                reason: format!(
                    "{} is a table, not a view; use SHOW CREATE TABLE",
                    def.qualified_name()
                ),
            });
        };
        let security = if v.run_as_invoker {
            "INVOKER"
        } else {
            "DEFINER"
        };
        let mut lines = vec![format!(
            "CREATE VIEW {CATALOG_NAME}.{}.{} SECURITY {security} AS",
            quote_name(&def.database),
            quote_name(&def.name)
        )];
        if let Some(comment) = &v.comment {
            lines[0] = lines[0].replacen(
                " SECURITY",
                &format!(
                    " COMMENT {} SECURITY",
                    crate::athena::ddl::quote_string(comment)
                ),
                1,
            );
        }
        lines.extend(v.sql.lines().map(str::to_string));
        self.rows(&["Create View"], lines.into_iter().map(|l| vec![l]))
    }

    /// A table or view's definition, or `None` when there is none.
    async fn existing(&self, database: &str, name: &str) -> Result<Option<Arc<TableDef>>> {
        match self.catalog.table(database, name).await {
            Ok(def) => Ok(Some(def)),
            Err(Error::TableNotFound { .. } | Error::DatabaseNotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A name as Trino prints it in `SHOW CREATE VIEW`: double-quoted only when
/// it needs to be.
fn quote_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}
