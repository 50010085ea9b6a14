//! lathe: Athena's SQL, run locally.
//!
//! An [`Engine`] reads table definitions from a Glue-shaped [`Catalog`]
//! (a local folder of `aws glue get-table` JSON files), reads the tables'
//! JSON and Parquet files with Athena's rules, and answers SQL through
//! Apache DataFusion. The binary (`src/main.rs`) is the command line and
//! shell; this library never touches stdout.
//!
//! Module map:
//! - [`catalog`]: table definitions, the catalog seam, the local folder and AWS Glue backends
//! - `aws`: AWS configuration shared by S3 and Glue (credentials, endpoints, retries)
//! - `hive_type`: Hive type strings to Arrow types
//! - `storage`: location maps, resolution to object stores (local, S3), scan counting
//! - `table`: the table provider (partitions, pruning, file scans)
//! - `json`: the SerDe-aware JSON file source
//! - `engine`: the DataFusion session and statement planning
//! - `functions`: Athena's (Trino's) SQL functions
//! - [`render`]: results as table, CSV, TSV, JSON, NDJSON
//! - `script`: splitting scripts into statements
//! - `athena`: Athena statements DataFusion does not parse, rewritten
#![warn(missing_docs, unreachable_pub)]

mod athena;
mod aws;
pub mod catalog;
mod config;
mod engine;
mod error;
mod functions;
mod hive_type;
mod java_date;
mod json;
pub mod render;
mod script;
mod storage;
mod table;

pub use catalog::Catalog;
pub use config::{CATALOG_NAME, Config, FileConfig, GLUE_CATALOG, GlueConfig, parse_size};
pub use engine::{Engine, build_session};
pub use error::{Error, Result};
pub use hive_type::parse_hive_type;
pub use json::JsonOptions;
pub use render::OutputFormat;
pub use script::split_statements;
pub use storage::counting::{ScanCounters, ScanStats, human_bytes};
pub use storage::{LocationMap, LocationMapping};
