//! Record ports beyond heroes: stories and their illustration states, the usage ledger,
//! rate-limit counters, cache entries, idempotency records and safety events.
//!
//! Expiring records carry an `expires_at`; readers filter expired records themselves because
//! neither SQLite nor DynamoDB (whose TTL deletion is lazy, up to days later) removes them on
//! time.

use crate::{Page, PageRequest, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{SceneIllustration, StoryId, StoryRecord, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Stories, scoped by owner.
#[async_trait]
pub trait StoryStore: Send + Sync {
    /// Creates or replaces a story.
    async fn put_story(&self, story: &StoryRecord) -> Result<(), StoreError>;
    /// The caller's story.
    async fn get_story(
        &self,
        user: &UserId,
        id: &StoryId,
    ) -> Result<Option<StoryRecord>, StoreError>;
    /// The caller's stories, newest first.
    async fn list_stories(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<StoryRecord>, StoreError>;
    /// Deletes a story and its illustration states; `false` if there was none.
    async fn delete_story(&self, user: &UserId, id: &StoryId) -> Result<bool, StoreError>;
    /// Sets one scene's illustration state (each scene is its own record, so concurrent
    /// painters never overwrite each other).
    async fn put_illustration(
        &self,
        user: &UserId,
        state: &SceneIllustration,
    ) -> Result<(), StoreError>;
    /// Every scene illustration state of a story, by scene number.
    async fn list_illustrations(
        &self,
        user: &UserId,
        story: &StoryId,
    ) -> Result<Vec<SceneIllustration>, StoreError>;
}

/// Outcome of one AI call in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageStatus {
    /// The call answered.
    Success,
    /// The call failed.
    Error,
    /// The request was refused by the rate limiter (no call made).
    RateLimited,
}

impl UsageStatus {
    /// Wire/ledger name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
            Self::RateLimited => "rate_limited",
        }
    }
}

/// One row of the usage ledger (the seed's `api_usage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// Unique id of the row.
    pub id: String,
    pub function_name: String,
    pub user_id: String,
    pub request_id: String,
    pub model: String,
    pub provider: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub tokens_used: u64,
    pub characters: u64,
    pub images: u64,
    /// USD; `None` when the model is not in the price table (never silently zero).
    pub cost_estimate: Option<f64>,
    pub response_time_ms: u64,
    pub status: UsageStatus,
    pub cached: bool,
    pub created_at: DateTime<Utc>,
    /// Retention (90 days).
    pub expires_at: DateTime<Utc>,
}

/// The usage ledger.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Appends one record.
    async fn record_usage(&self, record: &UsageRecord) -> Result<(), StoreError>;
    /// Every unexpired record created in `[since, until)`, optionally of one function, across
    /// users (for operators' reports), oldest first.
    async fn usage_between(
        &self,
        function: Option<&str>,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<UsageRecord>, StoreError>;
}

/// Result of a rate-limit acquisition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquire {
    /// Counted; `used` includes this request.
    Granted { used: u32 },
    /// Over the limit; nothing was counted. `used` is the window's count.
    Denied { used: u32 },
}

/// Fixed-window counters, one per user, function and window.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Atomically adds `cost` to the counter unless that would pass `limit` (one conditional
    /// increment, no read-then-write).
    async fn acquire(
        &self,
        user: &UserId,
        function: &str,
        window_start: i64,
        cost: u32,
        limit: u32,
        expires_at: DateTime<Utc>,
    ) -> Result<Acquire, StoreError>;
    /// Gives back `cost` (a request refused before any paid work is not charged).
    async fn release(
        &self,
        user: &UserId,
        function: &str,
        window_start: i64,
        cost: u32,
    ) -> Result<(), StoreError>;
}

/// Per-user cache entries (stories, audio, images), namespaced.
#[async_trait]
pub trait CacheStore: Send + Sync {
    /// The entry if present and not expired at `now`.
    async fn cache_get(
        &self,
        user: &UserId,
        namespace: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Value>, StoreError>;
    /// Stores an entry until `expires_at`.
    async fn cache_put(
        &self,
        user: &UserId,
        namespace: &str,
        key: &str,
        value: &Value,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Removes an entry.
    async fn cache_delete(
        &self,
        user: &UserId,
        namespace: &str,
        key: &str,
    ) -> Result<(), StoreError>;
}

/// A response kept for idempotent replays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// The `data` the first request answered with.
    pub data: Value,
}

/// What [`IdempotencyStore::begin`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum IdemBegin {
    /// No live record: this request owns the key now.
    Started,
    /// Another request with this key is running (its body hash is given).
    InFlight { request_hash: String },
    /// A request with this key finished (its body hash and response are given).
    Completed {
        request_hash: String,
        response: StoredResponse,
    },
}

/// Idempotency records, per user and key.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request whose body hashes to `request_hash`, unless a live record
    /// exists. An in-flight record whose lease ended (its request crashed) can be claimed again.
    async fn begin(
        &self,
        user: &UserId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<IdemBegin, StoreError>;
    /// Stores the response of the request that owns `key`.
    async fn complete(
        &self,
        user: &UserId,
        key: &str,
        response: &StoredResponse,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Releases `key` after a failure, so a retry runs again.
    async fn abandon(&self, user: &UserId, key: &str) -> Result<(), StoreError>;
}

/// One safety intervention (never the text itself: only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyEventRecord {
    pub id: String,
    pub user_id: String,
    pub function_name: String,
    pub category: String,
    pub action: String,
    pub text_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The safety-event log.
#[async_trait]
pub trait SafetyEventStore: Send + Sync {
    /// Appends one event.
    async fn record_safety_event(&self, event: &SafetyEventRecord) -> Result<(), StoreError>;
    /// A user's unexpired events since `since`, oldest first.
    async fn safety_events_for(
        &self,
        user: &UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SafetyEventRecord>, StoreError>;
}
