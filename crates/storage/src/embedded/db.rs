//! The SQLite connection and schema.

use crate::StoreError;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Schema migrations, applied in order; `user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS heroes (
        user_id TEXT NOT NULL,
        id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        is_active INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (user_id, id)
     );
     CREATE INDEX IF NOT EXISTS heroes_by_user_created ON heroes (user_id, created_ms DESC, id DESC);
     CREATE TABLE IF NOT EXISTS blobs (
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (bucket, key)
     );
     CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, at TEXT NOT NULL);",
    "CREATE TABLE stories (
        user_id TEXT NOT NULL,
        id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (user_id, id)
     );
     CREATE INDEX stories_by_user_created ON stories (user_id, created_ms DESC, id DESC);
     CREATE TABLE illustrations (
        user_id TEXT NOT NULL,
        story_id TEXT NOT NULL,
        scene_number INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (user_id, story_id, scene_number)
     );
     CREATE TABLE usage (
        id TEXT PRIMARY KEY,
        function_name TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        doc TEXT NOT NULL
     );
     CREATE INDEX usage_by_function_time ON usage (function_name, created_ms);
     CREATE INDEX usage_by_time ON usage (created_ms);
     CREATE TABLE rate_limits (
        user_id TEXT NOT NULL,
        function_name TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        count INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        PRIMARY KEY (user_id, function_name, window_start)
     );
     CREATE TABLE cache (
        user_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        expires_ms INTEGER NOT NULL,
        PRIMARY KEY (user_id, namespace, key)
     );
     CREATE TABLE idempotency (
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        response TEXT,
        lease_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        PRIMARY KEY (user_id, key)
     );
     CREATE TABLE safety_events (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        doc TEXT NOT NULL
     );
     CREATE INDEX safety_by_user_time ON safety_events (user_id, created_ms);",
];

/// A shared SQLite connection. Statements run on tokio's blocking pool.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl Db {
    /// Opens the database file, enabling WAL and applying migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        let p = path.clone();
        let conn = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
            let mut conn = Connection::open(&p)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let tx = conn.transaction()?;
            for (i, m) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
                tx.execute_batch(m)?;
                tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            }
            tx.commit()?;
            Ok(conn)
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))??;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// Runs `f` with the connection on a blocking thread.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    /// A write and a read, and the file still at its path (a deleted or replaced data
    /// directory would otherwise go unnoticed while the open handle keeps working).
    pub async fn probe(&self) -> Result<(), StoreError> {
        if !self.path.is_file() {
            return Err(StoreError::Unavailable("database file missing".to_string()));
        }
        self.call(|c| {
            c.execute(
                "INSERT INTO probe (id, at) VALUES (1, datetime('now'))
                 ON CONFLICT(id) DO UPDATE SET at = excluded.at",
                [],
            )?;
            let _: String = c.query_row("SELECT at FROM probe WHERE id = 1", [], |r| r.get(0))?;
            Ok(())
        })
        .await
    }
}
