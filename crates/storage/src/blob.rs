//! The blob store port: private media objects reached only through expiring URLs.

use crate::StoreError;
use async_trait::async_trait;
use bytes::Bytes;
use domain::UserId;
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::Duration;

/// The four private buckets of SPEC §9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// General story assets.
    StoryAssets,
    /// Hero avatars.
    HeroAvatars,
    /// Narrations.
    StoryAudio,
    /// Scene illustrations.
    StoryIllustrations,
}

impl Bucket {
    /// Every bucket.
    pub const ALL: [Bucket; 4] = [
        Bucket::StoryAssets,
        Bucket::HeroAvatars,
        Bucket::StoryAudio,
        Bucket::StoryIllustrations,
    ];

    /// The logical bucket name (the AWS adapter maps it to the stage's bucket).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StoryAssets => "story-assets",
            Self::HeroAvatars => "hero-avatars",
            Self::StoryAudio => "story-audio",
            Self::StoryIllustrations => "story-illustrations",
        }
    }

    /// Parses a logical bucket name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == raw)
    }
}

/// An object key that always starts with its owner's id: `{user_id}/{rest}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    /// Builds a key under `user`. `rest` segments may contain `[A-Za-z0-9._-]` only, joined by
    /// `/`; anything else (including `..`) is refused.
    pub fn new(user: &UserId, rest: &str) -> Result<Self, StoreError> {
        let ok = !rest.is_empty()
            && rest.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
            });
        if !ok {
            return Err(StoreError::Invalid("blob key segment".to_string()));
        }
        Ok(Self(format!("{}/{}", user.as_str(), rest)))
    }

    /// A content-addressed key: `{user}/{prefix}/{sha256(bytes)[..32]}.{ext}`, so a
    /// regenerated object never collides with a cached copy of the old one.
    pub fn content_addressed(
        user: &UserId,
        prefix: &str,
        bytes: &[u8],
        ext: &str,
    ) -> Result<Self, StoreError> {
        let digest = Sha256::digest(bytes);
        let name = hex::encode(&digest[..16]);
        Self::new(user, &format!("{prefix}/{name}.{ext}"))
    }

    /// Re-validates a stored key string (e.g. read from a record) for `user`.
    pub fn from_stored(user: &UserId, stored: &str) -> Result<Self, StoreError> {
        let rest = stored
            .strip_prefix(user.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| StoreError::Invalid("blob key owner".to_string()))?;
        Self::new(user, rest)
    }

    /// The full key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owner's prefix of this key (`{user}/`).
    pub fn owner_prefix(&self) -> &str {
        match self.0.find('/') {
            Some(i) => &self.0[..=i],
            None => &self.0,
        }
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An object and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// The bytes.
    pub bytes: Bytes,
    /// MIME type.
    pub content_type: String,
}

/// Private media storage.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores (or overwrites) an object.
    async fn put(
        &self,
        bucket: Bucket,
        key: &BlobKey,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), StoreError>;
    /// Reads an object.
    async fn get(&self, bucket: Bucket, key: &BlobKey) -> Result<Option<Blob>, StoreError>;
    /// Deletes an object; `false` if there was none.
    async fn delete(&self, bucket: Bucket, key: &BlobKey) -> Result<bool, StoreError>;
    /// Deletes every object of `user` whose key starts with `{user}/{prefix}`; returns how many.
    async fn delete_prefix(
        &self,
        bucket: Bucket,
        user: &UserId,
        prefix: &str,
    ) -> Result<usize, StoreError>;
    /// A URL that GETs the object without credentials until `ttl` passes.
    async fn presign_get(
        &self,
        bucket: Bucket,
        key: &BlobKey,
        ttl: Duration,
    ) -> Result<String, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserId {
        UserId::parse("user-1").expect("valid")
    }

    #[test]
    fn keys_cannot_escape_their_owner() {
        assert!(BlobKey::new(&user(), "../user-2/x.png").is_err());
        assert!(BlobKey::new(&user(), "a//b").is_err());
        assert!(BlobKey::new(&user(), "a/b c").is_err());
        assert_eq!(
            BlobKey::new(&user(), "heroes/h1/a.png")
                .expect("ok")
                .as_str(),
            "user-1/heroes/h1/a.png"
        );
        let other = UserId::parse("user-2").expect("valid");
        assert!(BlobKey::from_stored(&other, "user-1/heroes/a.png").is_err());
    }

    #[test]
    fn content_addressed_keys_change_with_content() {
        let a = BlobKey::content_addressed(&user(), "avatars", b"one", "png").expect("ok");
        let b = BlobKey::content_addressed(&user(), "avatars", b"two", "png").expect("ok");
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("user-1/avatars/"));
        assert!(a.as_str().ends_with(".png"));
    }
}
