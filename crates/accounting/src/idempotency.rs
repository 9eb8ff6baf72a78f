//! `Idempotency-Key` handling (SPEC §3): a POST with a key is done at most once per user and
//! key for 24 h. Same key + same body → the stored response; while the first still runs →
//! 409; same key + different body → 409 as well (we chose 409 over 422: the request is not
//! malformed, it conflicts with an earlier one).

use chrono::Duration;
use domain::{Clock, UserId};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use storage::{IdemBegin, IdempotencyStore, StoreError, StoredResponse};

/// How long a finished request's response is replayed.
pub const RETENTION_HOURS: i64 = 24;
/// How long an in-flight claim lasts before a crashed owner's key can be claimed again.
pub const LEASE_MINUTES: i64 = 16;
/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 128;

/// Writes `v` with object keys sorted at every level (independent of whether serde_json
/// preserves insertion order in this build).
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(child) = map.get(*k) {
                    canonical(child, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Canonical hash of a request body: semantically equal JSON hashes equal, so key order and
/// whitespace do not matter.
pub fn request_hash(function: &str, body: &Value) -> String {
    let mut canonical_text = String::new();
    canonical(body, &mut canonical_text);
    let canonical = canonical_text;
    let mut h = Sha256::new();
    h.update(function.as_bytes());
    h.update([0]);
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

/// What to do with a keyed request.
#[derive(Debug, Clone, PartialEq)]
pub enum IdemOutcome {
    /// Run it; then call `complete` or `abandon`.
    Proceed,
    /// Answer with the stored response.
    Replay(StoredResponse),
    /// The first request with this key is still running.
    InFlight,
    /// The key was used with a different body.
    Mismatch,
}

/// Idempotency over the store.
#[derive(Clone)]
pub struct Idempotency {
    store: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
}

impl Idempotency {
    /// Over `store`.
    pub fn new(store: Arc<dyn IdempotencyStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Validates a key from the header: 1–128 visible ASCII characters.
    pub fn valid_key(key: &str) -> bool {
        !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic())
    }

    /// Claims the key for this request.
    pub async fn begin(
        &self,
        user: &UserId,
        function: &str,
        key: &str,
        hash: &str,
    ) -> Result<IdemOutcome, StoreError> {
        let now = self.clock.now();
        let scoped = format!("{function}:{key}");
        let out = self
            .store
            .begin(
                user,
                &scoped,
                hash,
                now,
                now + Duration::minutes(LEASE_MINUTES),
                now + Duration::hours(RETENTION_HOURS),
            )
            .await?;
        Ok(match out {
            IdemBegin::Started => IdemOutcome::Proceed,
            IdemBegin::InFlight { request_hash } if request_hash == hash => IdemOutcome::InFlight,
            IdemBegin::Completed {
                request_hash,
                response,
            } if request_hash == hash => IdemOutcome::Replay(response),
            IdemBegin::InFlight { .. } | IdemBegin::Completed { .. } => IdemOutcome::Mismatch,
        })
    }

    /// Stores the response of a successful request.
    pub async fn complete(
        &self,
        user: &UserId,
        function: &str,
        key: &str,
        response: &StoredResponse,
    ) {
        let exp = self.clock.now() + Duration::hours(RETENTION_HOURS);
        if let Err(e) = self
            .store
            .complete(user, &format!("{function}:{key}"), response, exp)
            .await
        {
            tracing::error!(error = %e, "idempotency completion failed");
        }
    }

    /// Releases the key after a failed request so a retry runs again.
    pub async fn abandon(&self, user: &UserId, function: &str, key: &str) {
        if let Err(e) = self.store.abandon(user, &format!("{function}:{key}")).await {
            tracing::error!(error = %e, "idempotency release failed");
        }
    }
}
