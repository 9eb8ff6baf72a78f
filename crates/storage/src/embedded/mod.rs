//! The embedded backend: one SQLite database file (WAL mode) plus a media directory, both under
//! `DATA_DIR`. It survives restarts and is safe under concurrent requests: every statement
//! runs on a blocking thread against a connection behind a mutex, and SQLite serialises writers.

mod blobs;
mod db;
mod heroes;
mod records;

pub use blobs::{EmbeddedBlobStore, SignedUrlError};
pub use db::Db;

use crate::{Backend, HealthProbe, Probe};
use async_trait::async_trait;
use domain::Clock;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use url::Url;

/// Name of the database file under the data directory.
pub const DB_FILE: &str = "infinite-stories.sqlite3";

/// Opens (creating when missing) the embedded backend under `data_dir`; media URLs are
/// rooted at `public_base_url` (the dev server).
pub async fn open(
    data_dir: &Path,
    public_base_url: &Url,
    clock: Arc<dyn Clock>,
) -> Result<(Backend, Arc<EmbeddedBlobStore>), crate::StoreError> {
    std::fs::create_dir_all(data_dir)?;
    let db = Db::open(&data_dir.join(DB_FILE)).await?;
    let blobs = Arc::new(EmbeddedBlobStore::open(
        data_dir,
        db.clone(),
        public_base_url.clone(),
        clock,
    )?);
    let probe = Arc::new(EmbeddedProbe {
        data_dir: data_dir.to_path_buf(),
        db: db.clone(),
        blobs: blobs.clone(),
    });
    let records = Arc::new(records::EmbeddedRecords::new(db.clone()));
    let backend = Backend {
        heroes: Arc::new(heroes::EmbeddedHeroes::new(db)),
        stories: records.clone(),
        usage: records.clone(),
        rate_limits: records.clone(),
        cache: records.clone(),
        idempotency: records.clone(),
        safety_events: records,
        blobs: blobs.clone(),
        health: probe,
        kind: "embedded",
    };
    Ok((backend, blobs))
}

struct EmbeddedProbe {
    data_dir: PathBuf,
    db: Db,
    blobs: Arc<EmbeddedBlobStore>,
}

/// The data directory must exist and be readable, writable and searchable by its owner.
/// Checked by mode bits too, because a process running as root ignores them and would
/// otherwise report a directory an operator locked as healthy.
fn dir_usable(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(dir).map_err(|_| "data directory missing".to_string())?;
    if !meta.is_dir() {
        return Err("data directory is not a directory".to_string());
    }
    if meta.permissions().mode() & 0o700 != 0o700 {
        return Err("data directory is not readable and writable".to_string());
    }
    Ok(())
}

#[async_trait]
impl HealthProbe for EmbeddedProbe {
    async fn probe_database(&self) -> Probe {
        if let Err(e) = dir_usable(&self.data_dir) {
            return Probe::failed(e);
        }
        match self.db.probe().await {
            Ok(()) => Probe::ok(),
            Err(_) => Probe::failed("database did not answer a write"),
        }
    }

    async fn probe_storage(&self) -> Probe {
        if let Err(e) = dir_usable(&self.data_dir) {
            return Probe::failed(e);
        }
        match self.blobs.probe().await {
            Ok(()) => Probe::ok(),
            Err(_) => Probe::failed("media directory did not accept a write"),
        }
    }
}
