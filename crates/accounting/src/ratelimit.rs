//! Fixed-window rate limits per user and function (SPEC §8).

use chrono::{Duration, TimeZone, Utc};
use config::{FunctionName, RateLimits};
use domain::{Clock, UserId};
use std::sync::Arc;
use storage::{Acquire, RateLimitStore, StoreError};

/// A granted request's share of its window (for the `X-RateLimit-*` headers and refunds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub user: UserId,
    pub function: FunctionName,
    pub window_start: i64,
    pub cost: u32,
    pub limit: u32,
    pub remaining: u32,
    /// Epoch seconds when the window resets.
    pub reset_epoch: i64,
}

/// Result of a rate-limit check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Counted.
    Allowed(Ticket),
    /// Refused; nothing was counted.
    Limited {
        limit: u32,
        remaining: u32,
        reset_epoch: i64,
        /// Seconds until the window resets.
        retry_after: u64,
    },
}

/// The limiter.
#[derive(Clone)]
pub struct RateLimiter {
    store: Arc<dyn RateLimitStore>,
    limits: RateLimits,
    window_secs: i64,
    clock: Arc<dyn Clock>,
}

impl RateLimiter {
    /// A limiter over `store` with the configured limits and window.
    pub fn new(
        store: Arc<dyn RateLimitStore>,
        limits: RateLimits,
        window_secs: u64,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            limits,
            window_secs: window_secs.max(1) as i64,
            clock,
        }
    }

    /// The limit of `function` (`None` if it is not rate-limited).
    pub fn limit_of(&self, function: FunctionName) -> Option<u32> {
        self.limits.for_function(function)
    }

    /// Counts `cost` units (requests, or images for scene illustrations) against the caller's
    /// current window — one atomic conditional increment.
    pub async fn check(
        &self,
        user: &UserId,
        function: FunctionName,
        cost: u32,
    ) -> Result<Decision, StoreError> {
        let limit = self.limit_of(function).unwrap_or(u32::MAX);
        let now = self.clock.now().timestamp();
        let window_start = now - now.rem_euclid(self.window_secs);
        let reset_epoch = window_start + self.window_secs;
        let expires_at = Utc
            .timestamp_opt(reset_epoch, 0)
            .single()
            .unwrap_or_else(Utc::now)
            + Duration::hours(1);
        let outcome = self
            .store
            .acquire(
                user,
                function.as_str(),
                window_start,
                cost,
                limit,
                expires_at,
            )
            .await?;
        Ok(match outcome {
            Acquire::Granted { used } => Decision::Allowed(Ticket {
                user: user.clone(),
                function,
                window_start,
                cost,
                limit,
                remaining: limit.saturating_sub(used),
                reset_epoch,
            }),
            Acquire::Denied { used } => Decision::Limited {
                limit,
                remaining: limit.saturating_sub(used),
                reset_epoch,
                retry_after: (reset_epoch - now).max(1) as u64,
            },
        })
    }

    /// Gives a ticket's units back (the request failed before any paid work). Best effort:
    /// a failure is logged, never surfaced.
    pub async fn refund(&self, ticket: &Ticket) {
        self.refund_units(ticket, ticket.cost).await;
    }

    /// Gives back part of a ticket (e.g. the scenes served from cache).
    pub async fn refund_units(&self, ticket: &Ticket, units: u32) {
        if units == 0 {
            return;
        }
        if let Err(e) = self
            .store
            .release(
                &ticket.user,
                ticket.function.as_str(),
                ticket.window_start,
                units.min(ticket.cost),
            )
            .await
        {
            tracing::warn!(error = %e, function = %ticket.function, "rate-limit refund failed");
        }
    }
}
