use std::path::PathBuf;

use datafusion::physical_plan::collect;
use datafusion::prelude::SessionContext;

use super::*;
use crate::config::{Config, FileConfig};
use crate::engine::Engine;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn sample_engine() -> Engine {
    let file = FileConfig::load(&repo().join("lathe.toml")).unwrap();
    let config = Config {
        catalog: repo().join("catalog"),
        database: "web".into(),
        location_map: LocationMap::new(file.mappings().unwrap()),
        ..Config::default()
    };
    Engine::new(&config).await.unwrap()
}

fn error_text(e: DataFusionError) -> String {
    crate::Error::from(e).user_message()
}

#[tokio::test]
async fn glue_tables_travel_as_glue_json_with_their_catalog_and_map() {
    let catalog = Arc::new(LocalCatalog::open(repo().join("catalog")).unwrap());
    let def = catalog.table("web", "clickstream").await.unwrap();
    let map = LocationMap::new(vec![LocationMapping {
        from: "s3://acme-raw/".into(),
        to: "/mnt/mirror/raw/".into(),
    }]);
    let provider: Arc<dyn TableProvider> = Arc::new(GlueTableProvider::new(
        Arc::clone(&def),
        catalog,
        Arc::new(map.clone()),
    ));
    let codec = LatheLogicalCodec::default();
    let name = TableReference::bare("clickstream");
    let mut buf = Vec::new();
    codec
        .try_encode_table_provider(&name, Arc::clone(&provider), &mut buf)
        .unwrap();
    assert!(buf.starts_with(TABLE_TAG));

    let decoded = codec
        .try_decode_table_provider(&buf, &name, provider.schema(), &TaskContext::default())
        .unwrap();
    let decoded = decoded.downcast_ref::<GlueTableProvider>().unwrap();
    assert_eq!(decoded.def().as_ref(), def.as_ref());
    assert_eq!(decoded.location_map().as_ref(), &map);
    let root = std::path::absolute(repo().join("catalog")).unwrap();
    assert_eq!(
        decoded.catalog().location(),
        Some(CatalogLocation::Folder(root))
    );
    assert_eq!(decoded.schema(), provider.schema());

    // A payload from another lathe is refused in one sentence.
    let text = String::from_utf8(buf[TABLE_TAG.len()..].to_vec()).unwrap();
    let other = text.replace(
        &format!("\"version\":\"{VERSION}\""),
        "\"version\":\"0.0.0-elsewhere\"",
    );
    assert_ne!(other, text);
    let mut forged = TABLE_TAG.to_vec();
    forged.extend_from_slice(other.as_bytes());
    let err = codec
        .try_decode_table_provider(&forged, &name, provider.schema(), &TaskContext::default())
        .err()
        .unwrap();
    assert_eq!(
        error_text(err),
        format!(
            "the client runs lathe 0.0.0-elsewhere, but the scheduler runs lathe {VERSION}; run the same lathe build on the client, the scheduler and every executor"
        )
    );
}

/// A catalog that only this process can read.
#[derive(Debug)]
struct InMemory(LocalCatalog);

#[async_trait]
impl Catalog for InMemory {
    async fn databases(&self) -> crate::Result<Vec<String>> {
        self.0.databases().await
    }
    async fn tables(&self, database: &str) -> crate::Result<Vec<String>> {
        self.0.tables(database).await
    }
    async fn table(&self, database: &str, table: &str) -> crate::Result<Arc<TableDef>> {
        self.0.table(database, table).await
    }
    async fn partitions(&self, table: &TableDef) -> crate::Result<Option<Arc<Vec<PartitionDef>>>> {
        self.0.partitions(table).await
    }
}

#[tokio::test]
async fn a_catalog_of_this_process_only_cannot_ship() {
    let catalog = InMemory(LocalCatalog::open(repo().join("catalog")).unwrap());
    let def = catalog.table("master", "products").await.unwrap();
    let provider: Arc<dyn TableProvider> = Arc::new(GlueTableProvider::new(
        def,
        Arc::new(catalog),
        Arc::default(),
    ));
    let err = LatheLogicalCodec::default()
        .try_encode_table_provider(&TableReference::bare("products"), provider, &mut Vec::new())
        .unwrap_err();
    assert_eq!(
        error_text(err),
        "table master.products cannot run on a cluster: its catalog exists only in this process"
    );
}

/// Plans `sql` locally, sends the physical plan through the codec and back,
/// and returns both plans' results as Athena's text, with the decoded plan.
async fn round_trip(
    sql: &str,
) -> (
    Vec<Vec<Option<String>>>,
    Vec<Vec<Option<String>>>,
    Arc<dyn ExecutionPlan>,
) {
    let engine = sample_engine().await;
    let ctx: &SessionContext = engine.context();
    let plan = ctx
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let codec = LathePhysicalCodec::default();
    let mut bytes = Vec::new();
    PhysicalPlanNode::try_from_physical_plan(Arc::clone(&plan), &codec)
        .unwrap()
        .try_encode(&mut bytes)
        .unwrap();
    let decoded = PhysicalPlanNode::try_decode(&bytes)
        .unwrap()
        .try_into_physical_plan(&ctx.task_ctx(), &codec)
        .unwrap();
    let text = |batches: Vec<datafusion::arrow::array::RecordBatch>| {
        batches
            .iter()
            .flat_map(|b| crate::render::batch_text(b).unwrap())
            .collect::<Vec<_>>()
    };
    let local = text(collect(plan, ctx.task_ctx()).await.unwrap());
    let shipped = text(collect(Arc::clone(&decoded), ctx.task_ctx()).await.unwrap());
    (local, shipped, decoded)
}

/// The options of every lathe scan in a plan.
fn scan_options(plan: &Arc<dyn ExecutionPlan>) -> Vec<String> {
    let mut found = Vec::new();
    plan.apply(|node| {
        if let Some((_, options)) = lathe_scan(node.as_ref()) {
            found.push(format!("{options:?}"));
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })
    .unwrap();
    found
}

#[tokio::test]
async fn gzip_json_scans_keep_their_serde_and_projection() {
    let sql = "SELECT session_id, device.os AS os, utm['campaign'] AS campaign \
               FROM web.clickstream WHERE datehour = '2024/05/04/18' \
               ORDER BY session_id, os, campaign";
    let (local, shipped, decoded) = round_trip(sql).await;
    assert!(local.len() > 100, "{} rows", local.len());
    assert_eq!(shipped, local);
    let options = scan_options(&decoded);
    assert_eq!(options.len(), 1, "{options:?}");
    assert!(
        options[0].starts_with("Json(JsonOptions { serde: OpenX"),
        "{options:?}"
    );
}

#[tokio::test]
async fn text_scans_keep_their_serde() {
    let sql = "SELECT * FROM web.campaigns ORDER BY 1";
    let (local, shipped, decoded) = round_trip(sql).await;
    assert!(!local.is_empty());
    assert_eq!(shipped, local);
    let options = scan_options(&decoded);
    assert_eq!(options.len(), 1, "{options:?}");
    assert!(
        options[0].starts_with("Text(TextOptions { fields: Csv"),
        "{options:?}"
    );
}

#[tokio::test]
async fn scans_from_another_version_are_refused() {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion_proto::physical_plan::DefaultPhysicalProtoConverter;

    let engine = sample_engine().await;
    let ctx: &SessionContext = engine.context();
    let plan = ctx
        .sql("SELECT * FROM web.campaigns")
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let mut scan = None;
    plan.apply(|node| {
        if lathe_scan(node.as_ref()).is_none() {
            return Ok(TreeNodeRecursion::Continue);
        }
        scan = Some(Arc::clone(node));
        Ok(TreeNodeRecursion::Stop)
    })
    .unwrap();
    let codec = LathePhysicalCodec::default();
    let converter = DefaultPhysicalProtoConverter {};
    let mut buf = Vec::new();
    codec
        .try_encode(scan.expect("a lathe scan"), &mut buf, &converter)
        .unwrap();
    let text = String::from_utf8_lossy(&buf[SCAN_TAG.len()..]).into_owned();
    let forged = text.replacen(
        &format!("\"version\":\"{VERSION}\""),
        "\"version\":\"0.0.0-elsewhere\"",
        1,
    );
    assert_ne!(forged, text);
    let mut bytes = SCAN_TAG.to_vec();
    bytes.extend_from_slice(forged.as_bytes());
    let err = codec
        .try_decode(&bytes, &[], &ctx.task_ctx(), &converter)
        .err()
        .unwrap();
    assert_eq!(
        error_text(err),
        format!(
            "the scheduler runs lathe 0.0.0-elsewhere, but an executor runs lathe {VERSION}; run the same lathe build on the client, the scheduler and every executor"
        )
    );
}
