//! Storage for InfiniteStories: record ports (heroes, …) and a blob store, each with an
//! embedded adapter (one SQLite file plus a media directory under `DATA_DIR`) and, later, a
//! DynamoDB/S3 adapter; [`contract`] is the suite every backend must pass.
//!
//! Every record and object belongs to one user: record methods take the owner's [`UserId`]
//! and blob keys can only be built under a user's prefix ([`BlobKey`]), so one user's request
//! cannot address another user's data. This crate knows nothing about HTTP or Lambda.

#[cfg(feature = "aws")]
pub mod aws;
pub mod blob;
pub mod contract;
pub mod embedded;
pub mod error;
pub mod heroes;
pub mod page;
pub mod records;

pub use blob::{Blob, BlobKey, BlobStore, Bucket};
pub use error::StoreError;
pub use heroes::HeroStore;
pub use page::{Page, PageRequest};
pub use records::{
    Acquire, CacheStore, IdemBegin, IdempotencyStore, RateLimitStore, SafetyEventRecord,
    SafetyEventStore, StoredResponse, StoryStore, UsageRecord, UsageStatus, UsageStore,
};

use async_trait::async_trait;
use std::sync::Arc;

/// Result of one dependency probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Whether the dependency answered correctly.
    pub healthy: bool,
    /// A short, non-sensitive reason when unhealthy (never paths, keys or SQL).
    pub detail: Option<String>,
}

impl Probe {
    /// A passing probe.
    pub fn ok() -> Self {
        Self {
            healthy: true,
            detail: None,
        }
    }
    /// A failing probe with a short public reason.
    pub fn failed(detail: impl Into<String>) -> Self {
        Self {
            healthy: false,
            detail: Some(detail.into()),
        }
    }
}

/// Liveness probes of the storage dependencies (used by `health`).
#[async_trait]
pub trait HealthProbe: Send + Sync {
    /// The record database answers a read and a write.
    async fn probe_database(&self) -> Probe;
    /// The blob store accepts, returns and deletes an object.
    async fn probe_storage(&self) -> Probe;
}

/// Every storage port of one backend.
#[derive(Clone)]
pub struct Backend {
    /// Hero records.
    pub heroes: Arc<dyn HeroStore>,
    /// Stories and their illustration states.
    pub stories: Arc<dyn StoryStore>,
    /// The usage ledger.
    pub usage: Arc<dyn UsageStore>,
    /// Rate-limit counters.
    pub rate_limits: Arc<dyn RateLimitStore>,
    /// Cache entries.
    pub cache: Arc<dyn CacheStore>,
    /// Idempotency records.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Safety events.
    pub safety_events: Arc<dyn SafetyEventStore>,
    /// Media objects.
    pub blobs: Arc<dyn BlobStore>,
    /// Dependency probes.
    pub health: Arc<dyn HealthProbe>,
    /// `"embedded"` or `"aws"`.
    pub kind: &'static str,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").field("kind", &self.kind).finish()
    }
}
