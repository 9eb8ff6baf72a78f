//! Media objects as files under `DATA_DIR/media/{bucket}/{key}`, with their content types in
//! SQLite, reached through HMAC-signed expiring URLs served by the dev server.

use super::db::Db;
use crate::{Blob, BlobKey, BlobStore, Bucket, StoreError};
use async_trait::async_trait;
use bytes::Bytes;
use domain::{Clock, UserId};
use hmac::{Hmac, Mac};
use rusqlite::{OptionalExtension, params};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

type HmacSha256 = Hmac<Sha256>;

/// Why a signed media URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignedUrlError {
    /// Signature does not match (tampered or foreign URL).
    #[error("invalid signature")]
    BadSignature,
    /// The URL's lifetime is over.
    #[error("expired")]
    Expired,
    /// No such object.
    #[error("not found")]
    NotFound,
}

/// The embedded blob store.
pub struct EmbeddedBlobStore {
    root: PathBuf,
    db: Db,
    base: Url,
    key: Vec<u8>,
    clock: Arc<dyn Clock>,
}

impl EmbeddedBlobStore {
    /// Opens the media directory; the URL-signing key is created once and kept in the data
    /// directory so URLs stay valid across restarts.
    pub fn open(
        data_dir: &Path,
        db: Db,
        base: Url,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let root = data_dir.join("media");
        std::fs::create_dir_all(&root)?;
        let key_path = data_dir.join("media-signing.key");
        let key = match std::fs::read_to_string(&key_path) {
            Ok(k) if k.trim().len() >= 64 => hex::decode(k.trim())
                .map_err(|_| StoreError::Corrupt("media signing key".to_string()))?,
            _ => {
                let k: [u8; 32] = rand::random();
                write_private(&key_path, hex::encode(k).as_bytes())?;
                k.to_vec()
            }
        };
        Ok(Self {
            root,
            db,
            base,
            key,
            clock,
        })
    }

    fn path_of(&self, bucket: Bucket, key: &str) -> PathBuf {
        self.root.join(bucket.as_str()).join(key)
    }

    fn signature(&self, bucket: Bucket, key: &str, expires: i64) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(format!("{}\n{}\n{}", bucket.as_str(), key, expires).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Verifies a signed URL's parameters and reads the object (used by the dev server's
    /// media route). The key is the path after `/media/{bucket}/`.
    pub async fn open_signed(
        &self,
        bucket: Bucket,
        key: &str,
        expires: i64,
        sig: &str,
    ) -> Result<Blob, SignedUrlError> {
        let expected = self.signature(bucket, key, expires);
        if !constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
            return Err(SignedUrlError::BadSignature);
        }
        if self.clock.now().timestamp() > expires {
            return Err(SignedUrlError::Expired);
        }
        self.read(bucket, key.to_string())
            .await
            .ok()
            .flatten()
            .ok_or(SignedUrlError::NotFound)
    }

    async fn read(&self, bucket: Bucket, key: String) -> Result<Option<Blob>, StoreError> {
        let k = key.clone();
        let ct: Option<String> = self
            .db
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT content_type FROM blobs WHERE bucket = ?1 AND key = ?2",
                    params![bucket.as_str(), k],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await?;
        let Some(content_type) = ct else {
            return Ok(None);
        };
        match tokio::fs::read(self.path_of(bucket, &key)).await {
            Ok(bytes) => Ok(Some(Blob {
                bytes: Bytes::from(bytes),
                content_type,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes, reads back and deletes a probe object.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let dir = self.root.join(".probe");
        tokio::fs::create_dir_all(&dir).await?;
        let p = dir.join(format!("probe-{}", uuid::Uuid::new_v4()));
        tokio::fs::write(&p, b"ok").await?;
        let back = tokio::fs::read(&p).await?;
        tokio::fs::remove_file(&p).await?;
        if back == b"ok" {
            Ok(())
        } else {
            Err(StoreError::Unavailable(
                "probe read back differs".to_string(),
            ))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    Ok(())
}

/// Writes a file atomically (temp file + rename) so readers never see half an object.
async fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::write(&tmp, bytes).await?;
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e.into());
    }
    Ok(())
}

#[async_trait]
impl BlobStore for EmbeddedBlobStore {
    async fn put(
        &self,
        bucket: Bucket,
        key: &BlobKey,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), StoreError> {
        write_atomic(&self.path_of(bucket, key.as_str()), &bytes).await?;
        let k = key.as_str().to_string();
        let ct = content_type.to_string();
        let size = bytes.len() as i64;
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO blobs (bucket, key, content_type, size) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(bucket, key) DO UPDATE SET content_type = excluded.content_type,
                       size = excluded.size",
                    params![bucket.as_str(), k, ct, size],
                )?;
                Ok(())
            })
            .await
    }

    async fn get(&self, bucket: Bucket, key: &BlobKey) -> Result<Option<Blob>, StoreError> {
        self.read(bucket, key.as_str().to_string()).await
    }

    async fn delete(&self, bucket: Bucket, key: &BlobKey) -> Result<bool, StoreError> {
        let k = key.as_str().to_string();
        let existed = self
            .db
            .call(move |c| {
                Ok(c.execute(
                    "DELETE FROM blobs WHERE bucket = ?1 AND key = ?2",
                    params![bucket.as_str(), k],
                )? > 0)
            })
            .await?;
        match tokio::fs::remove_file(self.path_of(bucket, key.as_str())).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(existed),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete_prefix(
        &self,
        bucket: Bucket,
        user: &UserId,
        prefix: &str,
    ) -> Result<usize, StoreError> {
        // Validate the prefix like a key, then match `{user}/{prefix}/…` exactly.
        let probe = BlobKey::new(user, prefix)?;
        let like = format!("{}/", probe.as_str());
        let keys: Vec<String> = self
            .db
            .call(move |c| {
                let mut st = c.prepare(
                    "SELECT key FROM blobs WHERE bucket = ?1 AND substr(key, 1, length(?2)) = ?2",
                )?;
                let rows = st.query_map(params![bucket.as_str(), like], |r| r.get(0))?;
                let mut out = Vec::new();
                for r in rows {
                    out.push(r?);
                }
                Ok(out)
            })
            .await?;
        let mut n = 0;
        for k in keys {
            let key = BlobKey::from_stored(user, &k)?;
            if self.delete(bucket, &key).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    async fn presign_get(
        &self,
        bucket: Bucket,
        key: &BlobKey,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let expires = self.clock.now().timestamp() + ttl.as_secs() as i64;
        let sig = self.signature(bucket, key.as_str(), expires);
        let mut url = self.base.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!(
            "{base_path}/media/{}/{}",
            bucket.as_str(),
            key.as_str()
        ));
        url.query_pairs_mut()
            .clear()
            .append_pair("expires", &expires.to_string())
            .append_pair("sig", &sig);
        Ok(url.to_string())
    }
}
