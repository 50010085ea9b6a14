//! Runs SQL on a plain DataFusion session, as datafusion-cli would, to measure
//! lathe against DataFusion's own scans (its NDJSON reader, arrow-json) in
//! the same build, without installing datafusion-cli.
//!
//! ```text
//! sql_peer "CREATE EXTERNAL TABLE t (...) STORED AS JSON LOCATION 'dir/' OPTIONS ('format.compression' 'gzip')" \
//!          "SELECT count(*) FROM t"
//! ```
//!
//! Each argument is one statement; the results of the last are printed.

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let ctx = SessionContext::new();
    let mut last = Vec::new();
    for sql in std::env::args().skip(1) {
        last = ctx.sql(&sql).await?.collect().await?;
    }
    println!("{}", pretty_format_batches(&last)?);
    Ok(())
}
