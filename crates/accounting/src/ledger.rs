//! The usage ledger: one record per AI call, priced from the provider's price table.

use chrono::Duration;
use domain::{Clock, UserId};
use providers::pricing::estimate_cost;
use providers::{ProviderKind, Usage};
use std::sync::Arc;
use storage::{UsageRecord, UsageStatus, UsageStore};

/// Ledger retention.
pub const RETENTION_DAYS: i64 = 90;

/// What one AI call did.
#[derive(Debug, Clone)]
pub struct CallRecord<'a> {
    pub function: &'a str,
    pub user: &'a UserId,
    pub request_id: &'a str,
    pub model: &'a str,
    pub provider: ProviderKind,
    pub usage: Usage,
    /// For image pricing.
    pub image_size: Option<&'a str>,
    /// For image pricing.
    pub image_quality: Option<&'a str>,
    pub response_time_ms: u64,
    pub status: UsageStatus,
    pub cached: bool,
}

/// Writes usage records.
#[derive(Clone)]
pub struct Ledger {
    store: Arc<dyn UsageStore>,
    clock: Arc<dyn Clock>,
}

impl Ledger {
    /// A ledger over `store`.
    pub fn new(store: Arc<dyn UsageStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The record a call produces: cost from the price table; zero for the offline provider
    /// and cache hits (no paid work); `None` for models the table does not know.
    pub fn to_record(&self, call: &CallRecord<'_>) -> UsageRecord {
        let now = self.clock.now();
        let no_paid_work = call.provider == ProviderKind::Offline
            || call.cached
            || call.status == UsageStatus::RateLimited;
        let cost = if no_paid_work {
            Some(0.0)
        } else {
            estimate_cost(call.model, &call.usage, call.image_size, call.image_quality).usd
        };
        UsageRecord {
            id: uuid::Uuid::new_v4().to_string(),
            function_name: call.function.to_string(),
            user_id: call.user.as_str().to_string(),
            request_id: call.request_id.to_string(),
            model: call.model.to_string(),
            provider: call.provider.as_str().to_string(),
            prompt_tokens: call.usage.prompt_tokens,
            completion_tokens: call.usage.completion_tokens,
            tokens_used: call.usage.prompt_tokens + call.usage.completion_tokens,
            characters: call.usage.characters,
            images: call.usage.images,
            cost_estimate: cost,
            response_time_ms: call.response_time_ms,
            status: call.status,
            cached: call.cached,
            created_at: now,
            expires_at: now + Duration::days(RETENTION_DAYS),
        }
    }

    /// Records a call. Metering must never fail a child's request, so errors are logged.
    pub async fn record(&self, call: &CallRecord<'_>) -> UsageRecord {
        let record = self.to_record(call);
        if let Err(e) = self.store.record_usage(&record).await {
            tracing::error!(error = %e, function = call.function, "usage ledger write failed");
        }
        record
    }
}
