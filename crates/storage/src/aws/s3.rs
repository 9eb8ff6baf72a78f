//! Media on the stage's four private S3 buckets, reached only through presigned GET URLs.

use super::AwsNames;
use super::error::sdk;
use crate::{Blob, BlobKey, BlobStore, Bucket, StoreError};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use bytes::Bytes;
use domain::{Clock, UserId};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Most keys one `DeleteObjects` call accepts.
const DELETE_BATCH: usize = 1000;
/// Longest lifetime SigV4 allows a presigned URL.
const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// The S3 blob store.
pub struct S3Blobs {
    client: Client,
    names: Arc<AwsNames>,
    clock: Arc<dyn Clock>,
}

impl S3Blobs {
    pub(crate) fn new(client: Client, names: Arc<AwsNames>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            names,
            clock,
        }
    }

    fn bucket(&self, bucket: Bucket) -> &str {
        self.names.bucket(bucket)
    }

    /// Every bucket answers `HeadBucket`, and a probe object round-trips through one.
    pub(crate) async fn probe(&self) -> Result<(), StoreError> {
        for b in Bucket::ALL {
            self.client
                .head_bucket()
                .bucket(self.bucket(b))
                .send()
                .await
                .map_err(|e| sdk("probe head bucket", e))?;
        }
        let bucket = self.bucket(Bucket::StoryAssets);
        let key = format!(".probe/{}", uuid::Uuid::new_v4().simple());
        self.client
            .put_object()
            .bucket(bucket)
            .key(&key)
            .body(ByteStream::from_static(b"ok"))
            .content_type("text/plain")
            .send()
            .await
            .map_err(|e| sdk("probe put", e))?;
        let back = self
            .client
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| sdk("probe get", e))?
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(format!("probe read: {e}")))?
            .into_bytes();
        self.client
            .delete_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| sdk("probe delete", e))?;
        if &back[..] == b"ok" {
            Ok(())
        } else {
            Err(StoreError::Unavailable(
                "probe read back differs".to_string(),
            ))
        }
    }

    async fn delete_batch(&self, bucket: &str, keys: Vec<String>) -> Result<usize, StoreError> {
        let objects = keys
            .iter()
            .map(|k| {
                ObjectIdentifier::builder()
                    .key(k)
                    .build()
                    .map_err(|e| StoreError::Invalid(format!("delete objects: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| StoreError::Invalid(format!("delete objects: {e}")))?;
        let out = self
            .client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| sdk("delete objects", e))?;
        let failed = out.errors.as_ref().map_or(0, Vec::len);
        if failed > 0 {
            return Err(StoreError::Unavailable(format!(
                "delete objects: {failed} of {} not deleted",
                keys.len()
            )));
        }
        Ok(keys.len())
    }
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn put(
        &self,
        bucket: Bucket,
        key: &BlobKey,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(self.bucket(bucket))
            .key(key.as_str())
            .body(ByteStream::from(bytes))
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| sdk("put object", e))?;
        Ok(())
    }

    async fn get(&self, bucket: Bucket, key: &BlobKey) -> Result<Option<Blob>, StoreError> {
        let out = match self
            .client
            .get_object()
            .bucket(self.bucket(bucket))
            .key(key.as_str())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => {
                return Ok(None);
            }
            Err(e) => return Err(sdk("get object", e)),
        };
        let content_type = out
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_string());
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(format!("read object: {e}")))?
            .into_bytes();
        Ok(Some(Blob {
            bytes,
            content_type,
        }))
    }

    async fn delete(&self, bucket: Bucket, key: &BlobKey) -> Result<bool, StoreError> {
        // S3 answers DeleteObject the same whether or not the object existed, so ask first.
        let name = self.bucket(bucket);
        match self
            .client
            .head_object()
            .bucket(name)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|se| se.is_not_found()) => {
                return Ok(false);
            }
            Err(e) => return Err(sdk("head object", e)),
        }
        self.client
            .delete_object()
            .bucket(name)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| sdk("delete object", e))?;
        Ok(true)
    }

    async fn delete_prefix(
        &self,
        bucket: Bucket,
        user: &UserId,
        prefix: &str,
    ) -> Result<usize, StoreError> {
        // Validated like a key, then matched as a whole path segment: `{user}/{prefix}/`.
        let prefix = format!("{}/", BlobKey::new(user, prefix)?.as_str());
        let name = self.bucket(bucket);
        let mut deleted = 0;
        let mut batch = Vec::with_capacity(DELETE_BATCH);
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(name)
                .prefix(&prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| sdk("list objects", e))?;
            for obj in page.contents.unwrap_or_default() {
                if let Some(k) = obj.key {
                    batch.push(k);
                    if batch.len() == DELETE_BATCH {
                        deleted += self.delete_batch(name, std::mem::take(&mut batch)).await?;
                    }
                }
            }
            match page.next_continuation_token {
                Some(t) if page.is_truncated == Some(true) => token = Some(t),
                _ => break,
            }
        }
        if !batch.is_empty() {
            deleted += self.delete_batch(name, batch).await?;
        }
        Ok(deleted)
    }

    async fn presign_get(
        &self,
        bucket: Bucket,
        key: &BlobKey,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        if ttl.is_zero() || ttl > MAX_PRESIGN {
            return Err(StoreError::Invalid(
                "presigned URL lifetime must be 1 s to 7 days".to_string(),
            ));
        }
        // Signed at the injected clock's time, so expiry is testable without sleeping. With a
        // Lambda role's temporary credentials the URL also stops working when they expire.
        let start = SystemTime::from(self.clock.now());
        let config = PresigningConfig::builder()
            .start_time(start)
            .expires_in(ttl)
            .build()
            .map_err(|e| StoreError::Invalid(format!("presign: {e}")))?;
        let req = self
            .client
            .get_object()
            .bucket(self.bucket(bucket))
            .key(key.as_str())
            .presigned(config)
            .await
            .map_err(|e| sdk("presign get", e))?;
        Ok(req.uri().to_string())
    }
}
