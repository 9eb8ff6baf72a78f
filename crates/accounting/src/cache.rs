//! One cache abstraction for stories, audio and images, with the seed's TTLs.

use chrono::Duration;
use domain::{Clock, UserId};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use storage::{CacheStore, StoreError};

/// What is cached, each with its own TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    /// Stories: `STORY_CACHE_TTL` (24 h by default).
    Story,
    /// Narrations: 7 days.
    Audio,
    /// Images: 30 days.
    Image,
    /// Anything else: `CACHE_TTL`.
    General,
}

impl CacheKind {
    fn namespace(self) -> &'static str {
        match self {
            Self::Story => "story",
            Self::Audio => "audio",
            Self::Image => "image",
            Self::General => "general",
        }
    }
}

/// Audio cache lifetime (seed).
pub const AUDIO_TTL_SECS: u64 = 7 * 86_400;
/// Image cache lifetime (seed).
pub const IMAGE_TTL_SECS: u64 = 30 * 86_400;

/// The cache.
#[derive(Clone)]
pub struct Cache {
    store: Arc<dyn CacheStore>,
    clock: Arc<dyn Clock>,
    story_ttl: u64,
    general_ttl: u64,
}

impl Cache {
    /// Over `store`, with `STORY_CACHE_TTL` and `CACHE_TTL`.
    pub fn new(
        store: Arc<dyn CacheStore>,
        clock: Arc<dyn Clock>,
        story_ttl: u64,
        general_ttl: u64,
    ) -> Self {
        Self {
            store,
            clock,
            story_ttl,
            general_ttl,
        }
    }

    /// The TTL of a kind, in seconds (0 disables caching of that kind).
    pub fn ttl(&self, kind: CacheKind) -> u64 {
        match kind {
            CacheKind::Story => self.story_ttl,
            CacheKind::Audio => AUDIO_TTL_SECS,
            CacheKind::Image => IMAGE_TTL_SECS,
            CacheKind::General => self.general_ttl,
        }
    }

    /// A stable key from parts (hashed: keys never hold user text).
    pub fn key(parts: &[&str]) -> String {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p.as_bytes());
        }
        hex::encode(h.finalize())
    }

    /// A live entry.
    pub async fn get(
        &self,
        user: &UserId,
        kind: CacheKind,
        key: &str,
    ) -> Result<Option<Value>, StoreError> {
        if self.ttl(kind) == 0 {
            return Ok(None);
        }
        self.store
            .cache_get(user, kind.namespace(), key, self.clock.now())
            .await
    }

    /// Stores an entry for the kind's TTL (a failure is logged: caching is an optimisation).
    pub async fn put(&self, user: &UserId, kind: CacheKind, key: &str, value: &Value) {
        let ttl = self.ttl(kind);
        if ttl == 0 {
            return;
        }
        let exp = self.clock.now() + Duration::seconds(ttl as i64);
        if let Err(e) = self
            .store
            .cache_put(user, kind.namespace(), key, value, exp)
            .await
        {
            tracing::warn!(error = %e, "cache write failed");
        }
    }

    /// Drops an entry (e.g. when it points at media that no longer exists).
    pub async fn invalidate(&self, user: &UserId, kind: CacheKind, key: &str) {
        let _ = self.store.cache_delete(user, kind.namespace(), key).await;
    }
}
