//! lathe: Athena's SQL, run locally.
//!
//! An [`Engine`] reads table definitions from a Glue-shaped [`Catalog`]
//! (a local folder of `aws glue get-table` JSON files), reads the tables'
//! JSON, CSV/text and Parquet files with Athena's rules, and answers SQL through
//! Apache DataFusion. The binary (`src/main.rs`) is the command line and
//! shell; this library never touches stdout.
//!
//! Module map:
//! - [`catalog`]: table definitions, the catalog seam (read and write API),
//!   the local folder and AWS Glue backends
//! - `aws`: AWS configuration shared by S3 and Glue (credentials, endpoints, retries)
//! - `hive_type`: Hive type strings to Arrow types
//! - `storage`: location maps, resolution to object stores (local, S3), scan counting
//! - `table`: the table provider (partitions, pruning, file scans)
//! - `iceberg`: Iceberg tables (metadata, manifests, hidden partitioning,
//!   merge-on-read deletes, time travel, metadata tables, writes)
//! - `json`: the SerDe-aware JSON file source
//! - `lines`: splitting byte streams into lines, for both decoders
//! - `gzip`: whole-file gzip inflation (libdeflate) for the JSON and text scans
//! - `text`: the CSV/TSV file source (LazySimpleSerDe, OpenCSVSerde, RegexSerDe)
//! - `engine`: the DataFusion session, statement planning, and running
//!   Athena statements (DDL, UNLOAD, CREATE TABLE AS, INSERT INTO); lateral
//!   UNNEST over columns (`unnest`) and the full `SHOW FUNCTIONS`
//!   (`show_functions`)
//! - `functions`: Athena's (Trino's) SQL functions
//! - [`render`]: results as table, CSV, TSV, JSON, NDJSON
//! - [`export`]: results written to files (also Parquet, gzip), never half-written
//! - `script`: splitting scripts into statements
//! - `athena`: Athena's SQL dialect (`dialect`: lambdas, Trino type
//!   spellings in casts), the syntax-tree rewrites DataFusion needs before
//!   planning (`syntax`: AT TIME ZONE, casts to ROW, fields of lambda
//!   parameters, casts inside `try`), and statements DataFusion does not
//!   parse: rewritten, or parsed into plain descriptions (DDL/SHOW/DESCRIBE/
//!   PREPARE in `ddl`, run by `engine::ddl` and `engine::show`; writes in
//!   `write`; Trino's names of `a.b` select items in `select_names`)
//! - `bench`: hidden entry points for the criterion benchmarks in `benches/`
//! - `fuzzing`: hidden entry points for the `cargo fuzz` targets in `fuzz/`
//! - [`serve`]: `lathe serve`, a local Athena endpoint: the Athena, Glue,
//!   STS and S3 APIs on one port, over the catalog and the mapped folders
//! - [`cluster`]: scale-out on DataFusion Ballista: lathe's scheduler and
//!   executor (Ballista's, with lathe's session, functions and codecs) and
//!   the `--cluster` client
#![warn(missing_docs, unreachable_pub)]

mod athena;
mod aws;
#[doc(hidden)]
pub mod bench;
pub mod catalog;
pub mod cluster;
mod columnar;
mod config;
mod delta;
mod engine;
mod error;
pub mod export;
mod functions;
#[doc(hidden)]
pub mod fuzzing;
mod gzip;
mod hive_type;
mod iceberg;
mod java_date;
mod json;
mod lines;
pub mod render;
mod script;
pub mod serve;
mod storage;
mod table;
mod text;

pub use aws::install_crypto_provider;
pub use catalog::{Catalog, CatalogLocation};
pub use config::{CATALOG_NAME, Config, FileConfig, GLUE_CATALOG, GlueConfig, parse_size};
pub use engine::{Engine, LatheOptions, Written, build_session};
pub use error::{Error, Result};
pub use hive_type::parse_hive_type;
pub use json::JsonOptions;
pub use render::OutputFormat;
pub use script::split_statements;
pub use storage::counting::{ScanCounters, ScanStats};
pub use storage::{LocationMap, LocationMapping};
pub use text::{FieldFormat, TextOptions};
