//! Command-line arguments (clap) and their translation into plain settings.
//!
//! The contract is DESIGN.md's: `lathe`, `-c`, `-f`, `lathe run NAME`,
//! `--catalog` (a folder or `glue`), `--database`, `--format`, `-o`, `--map`,
//! `--stats`. Flags win over the config file.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub(crate) mod cluster;
use lathe::export::ExportSpec;
use lathe::{
    Config, FileConfig, GLUE_CATALOG, GlueConfig, LocationMap, LocationMapping, OutputFormat,
    parse_size,
};

/// Athena's SQL, run locally: a Glue-shaped catalog over JSON and Parquet files.
#[derive(Debug, Parser)]
#[command(name = "lathe", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    /// Run SQL (repeatable); statements are separated by `;`.
    // SQL may start with `--` (a header comment), as with psql's -c.
    #[arg(
        short = 'c',
        long = "command",
        value_name = "SQL",
        global = true,
        allow_hyphen_values = true
    )]
    pub(crate) commands: Vec<String>,

    /// Run a SQL script (repeatable); `-` reads standard input.
    #[arg(short = 'f', long = "file", value_name = "FILE", global = true)]
    pub(crate) files: Vec<PathBuf>,

    /// The catalog folder, or `glue` for AWS Glue [default: ./catalog, or
    /// `catalog` in the config file].
    #[arg(long, value_name = "DIR|glue", global = true)]
    pub(crate) catalog: Option<PathBuf>,

    /// The AWS account whose Glue catalog to read (with --catalog glue).
    #[arg(long, value_name = "ID", global = true)]
    pub(crate) glue_catalog_id: Option<String>,

    /// After each statement, print rows, time, bytes scanned and Athena's
    /// estimated cost on stderr.
    #[arg(long, global = true)]
    pub(crate) stats: bool,

    /// The default database for unqualified table names [default: default].
    #[arg(long, value_name = "NAME", global = true)]
    pub(crate) database: Option<String>,

    /// Output format on stdout [default: table, or from -o's extension].
    #[arg(long, value_enum, global = true)]
    pub(crate) format: Option<FormatArg>,

    /// Write results to FILE: csv, tsv, json, ndjson, parquet or txt from its
    /// extension, .gz compresses; written in full or not at all.
    #[arg(short = 'o', long = "output", value_name = "FILE", global = true)]
    pub(crate) output: Option<PathBuf>,

    /// Overwrite the -o file if it exists.
    #[arg(long, global = true)]
    pub(crate) force: bool,

    /// Rewrite locations starting FROM to TO (repeatable), e.g.
    /// s3://bucket/prefix/=local/dir/.
    #[arg(long = "map", value_name = "FROM=TO", global = true)]
    pub(crate) maps: Vec<String>,

    /// Memory limit for query execution, e.g. 2GB; sorts, aggregations and
    /// joins spill to disk beyond it [default: half the machine's memory].
    #[arg(long, value_name = "SIZE", global = true)]
    pub(crate) memory_limit: Option<String>,

    /// Folder for spill files [default: the system's temporary folder].
    #[arg(long, value_name = "DIR", global = true)]
    pub(crate) temp_dir: Option<PathBuf>,

    /// Read settings from this file instead of ./lathe.toml or
    /// $XDG_CONFIG_HOME/lathe/config.toml.
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) config: Option<PathBuf>,

    /// Run queries on the Ballista scheduler at URL (df://HOST:PORT), started
    /// with `lathe cluster scheduler` [default: `cluster` in the config file].
    #[arg(long, value_name = "URL", global = true)]
    pub(crate) cluster: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a named query from the queries folder (lists them without NAME).
    Run {
        /// The query's name: queries/NAME.sql.
        name: Option<String>,
    },
    /// Serve the Athena, Glue, STS and S3 APIs on one port, over the catalog
    /// and the mapped folders, for PyAthena, awswrangler, dbt-athena, boto3
    /// and the AWS CLI (`AWS_ENDPOINT_URL=http://127.0.0.1:4566`).
    Serve {
        /// The address to listen on; anything but loopback is reachable
        /// from other machines.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// The port (0 picks a free one, printed at start).
        #[arg(long, default_value_t = 4566)]
        port: u16,
        /// The folder served as s3://lathe-query-results/, where query
        /// results are written.
        #[arg(long, value_name = "DIR", default_value = "lathe-results")]
        results: PathBuf,
        /// The named queries folder Athena's named-query calls read and
        /// write [default: `queries` in the config file, or ./queries].
        #[arg(long, value_name = "DIR")]
        queries: Option<PathBuf>,
        /// Verify every request's signature against the key pair in
        /// LATHE_SERVE_ACCESS_KEY_ID and LATHE_SERVE_SECRET_ACCESS_KEY
        /// [default: accept any credentials].
        #[arg(long)]
        require_credentials: bool,
    },
    /// Start a Ballista scheduler or executor that runs lathe's queries:
    /// `lathe cluster scheduler [FLAGS]`, `lathe cluster executor [FLAGS]`
    /// (Ballista's own flags; `--help` after the role lists them).
    Cluster {
        /// `scheduler` or `executor`, then Ballista's flags for it.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
}

/// `--format` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Table,
    Csv,
    Tsv,
    Json,
    Ndjson,
}

impl From<FormatArg> for OutputFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Table => OutputFormat::Table,
            FormatArg::Csv => OutputFormat::Csv,
            FormatArg::Tsv => OutputFormat::Tsv,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Ndjson => OutputFormat::Ndjson,
        }
    }
}

/// Everything the runner needs, resolved from flags and the config file.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) engine: Config,
    pub(crate) format: OutputFormat,
    /// The `-o` destination as written, and its format.
    pub(crate) output: Option<(String, ExportSpec)>,
    pub(crate) force: bool,
    pub(crate) queries_dir: PathBuf,
    pub(crate) stats: bool,
}

impl Cli {
    /// Merges flags over the config file. Errors here are usage errors.
    pub(crate) fn settings(&self) -> anyhow::Result<Settings> {
        let file = match &self.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::discover()?,
        };
        let cwd = std::env::current_dir()?;
        let catalog = match (&self.catalog, &file.catalog) {
            (Some(flag), _) => flag.clone(),
            (None, Some(glue)) if glue.as_os_str() == GLUE_CATALOG => glue.clone(),
            (None, Some(from_file)) => file.resolve(from_file),
            (None, None) => PathBuf::from("catalog"),
        };
        let glue = (catalog.as_os_str() == GLUE_CATALOG).then(|| GlueConfig {
            catalog_id: self
                .glue_catalog_id
                .clone()
                .or_else(|| file.glue_catalog_id.clone()),
        });
        if glue.is_none() && self.glue_catalog_id.is_some() {
            anyhow::bail!("--glue-catalog-id needs --catalog glue");
        }
        let mut mappings = file.mappings()?;
        for m in &self.maps {
            mappings.push(LocationMapping::parse(m, &cwd)?);
        }
        let memory_limit = match &self.memory_limit {
            Some(text) => Some(parse_size(text).ok_or_else(|| {
                anyhow::anyhow!("--memory-limit {text:?} is not a size such as 512MB or 2GB")
            })?),
            None => file.memory_limit_bytes()?,
        };
        let explicit = self.format.map(OutputFormat::from);
        let format = match (explicit, &file.format) {
            (Some(f), _) => f,
            (None, Some(f)) => f.parse()?,
            (None, None) => OutputFormat::Table,
        };
        let output = match &self.output {
            Some(path) => {
                let target = path.to_string_lossy().into_owned();
                let spec = ExportSpec::for_destination(&target, explicit)?;
                Some((target, spec))
            }
            None => None,
        };
        let queries_dir = match &file.queries {
            Some(dir) => file.resolve(dir),
            None => PathBuf::from("queries"),
        };
        Ok(Settings {
            engine: Config {
                catalog,
                database: self
                    .database
                    .clone()
                    .or(file.database.clone())
                    .unwrap_or_else(|| "default".into()),
                location_map: LocationMap::new(mappings),
                memory_limit,
                temp_dir: self
                    .temp_dir
                    .clone()
                    .or_else(|| file.temp_dir.as_ref().map(|d| file.resolve(d))),
                target_partitions: None,
                glue,
                cluster: self.cluster.clone().or_else(|| file.cluster.clone()),
            },
            format,
            output,
            force: self.force,
            queries_dir,
            stats: self.stats,
        })
    }
}
