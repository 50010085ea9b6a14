//! Reading and writing the files of an Iceberg table (metadata, manifests,
//! data and delete files) through the session's object stores, so that
//! location maps, S3 and `--stats` byte counting apply to them as to any
//! table's files.

use std::sync::Arc;

use bytes::Bytes;
use datafusion::execution::runtime_env::RuntimeEnv;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::error::{Error, Result};
use crate::storage::{LocationMap, ResolvedLocation, resolve};

/// One file of a table, resolved to its store.
#[derive(Debug, Clone)]
pub(crate) struct TableFile {
    pub(crate) resolved: ResolvedLocation,
    pub(crate) store: Arc<dyn ObjectStore>,
}

impl TableFile {
    /// Resolves `location` (an absolute URL or path as metadata writes it).
    pub(crate) fn open(runtime: &RuntimeEnv, map: &LocationMap, location: &str) -> Result<Self> {
        let resolved = resolve(location, map)?;
        let store = runtime.object_store(&resolved.store)?;
        Ok(Self { resolved, store })
    }

    /// The object's path within its store.
    pub(crate) fn path(&self) -> &ObjectPath {
        &self.resolved.prefix
    }

    /// Reads the whole file; a missing file is an error naming `what` and the location.
    pub(crate) async fn read(&self, table: &str, location: &str) -> Result<Bytes> {
        match self.store.get(self.path()).await {
            Ok(result) => Ok(result.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(Error::InvalidIceberg {
                table: table.to_string(),
                file: location.to_string(),
                reason: "does not exist".into(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes a new file; with `create_only`, an existing file is an error
    /// (a concurrent commit took that name).
    pub(crate) async fn write(&self, bytes: Vec<u8>, create_only: bool) -> Result<()> {
        if let Some(dir) = self.resolved.local_dir.as_ref().and_then(|p| p.parent()) {
            std::fs::create_dir_all(dir)?;
        }
        let mode = if create_only {
            PutMode::Create
        } else {
            PutMode::Overwrite
        };
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        self.store
            .put_opts(self.path(), PutPayload::from(bytes), options)
            .await?;
        Ok(())
    }

    /// Deletes the file; one already gone is fine.
    pub(crate) async fn delete(&self) -> Result<()> {
        match self.store.delete(self.path()).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
