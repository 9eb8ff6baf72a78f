//! Typed provider errors callers branch on. Display text carries short codes only: never an
//! upstream body, a prompt or a key.

use std::time::Duration;

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// 429 without `insufficient_quota`: slow down (retryable after `retry_after`).
    #[error("provider rate limited")]
    RateLimited {
        /// What the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// 429 `insufficient_quota`: the account is out of credit. Never retried.
    #[error("provider quota exhausted")]
    QuotaExceeded,
    /// 401/403: the key is missing, wrong or lacks access. Never retried.
    #[error("provider rejected the credentials")]
    Unauthorized,
    /// The provider refused the content (`content_policy_violation`, `moderation_blocked`,
    /// a chat `refusal`, `content_filter`). Never retried as is.
    #[error("provider refused the content ({code})")]
    ContentPolicy {
        /// Short code: `content_policy_violation`, `moderation_blocked`, `refusal`, …
        code: String,
    },
    /// One attempt ran past its per-kind timeout.
    #[error("provider call timed out")]
    Timeout,
    /// An unexpected HTTP status (5xx, 529 overloaded, other non-2xx).
    #[error("provider answered HTTP {status}")]
    Upstream {
        /// The HTTP status.
        status: u16,
    },
    /// The reply could not be understood (bad JSON, missing fields, model output not JSON).
    #[error("provider reply malformed: {0}")]
    Malformed(String),
    /// The model's circuit breaker is open: the call was not attempted.
    #[error("circuit open for model {model}")]
    CircuitOpen {
        /// The model whose breaker is open.
        model: String,
    },
    /// Connection failure (refused, reset, dropped mid-body).
    #[error("provider transport error: {0}")]
    Transport(String),
    /// The request was rejected as invalid (400/404/422 with a short code), or could not be
    /// built (e.g. speech input too long).
    #[error("invalid provider request: {0}")]
    InvalidRequest(String),
    /// The caller's deadline passed (or would pass before the next attempt could start).
    #[error("deadline exceeded before the provider answered")]
    DeadlineExceeded,
}

impl ProviderError {
    /// Whether repeating the same request later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout | Self::Transport(_) => true,
            Self::Upstream { status } => is_retryable_status(*status),
            Self::QuotaExceeded
            | Self::Unauthorized
            | Self::ContentPolicy { .. }
            | Self::Malformed(_)
            | Self::CircuitOpen { .. }
            | Self::InvalidRequest(_)
            | Self::DeadlineExceeded => false,
        }
    }

    /// Whether the text call should move on to the fallback model: the primary is
    /// rate-limited, overloaded, down, timing out or its breaker is open.
    pub fn triggers_fallback(&self) -> bool {
        match self {
            Self::RateLimited { .. }
            | Self::Timeout
            | Self::Transport(_)
            | Self::CircuitOpen { .. } => true,
            Self::Upstream { status } => *status >= 500,
            _ => false,
        }
    }

    /// Whether the failure says something about the upstream's health (counts towards the
    /// circuit breaker). Rate limits, refusals and client errors do not.
    pub fn counts_against_breaker(&self) -> bool {
        match self {
            Self::Timeout | Self::Transport(_) => true,
            Self::Upstream { status } => *status >= 500,
            _ => false,
        }
    }

    /// A stable short name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::QuotaExceeded => "quota_exceeded",
            Self::Unauthorized => "unauthorized",
            Self::ContentPolicy { .. } => "content_policy",
            Self::Timeout => "timeout",
            Self::Upstream { .. } => "upstream",
            Self::Malformed(_) => "malformed",
            Self::CircuitOpen { .. } => "circuit_open",
            Self::Transport(_) => "transport",
            Self::InvalidRequest(_) => "invalid_request",
            Self::DeadlineExceeded => "deadline_exceeded",
        }
    }
}

/// 408, 409 (OpenAI's "retry" conflicts), 429 and every 5xx (incl. 529 overloaded).
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// Invalid provider configuration; names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A setting has an unusable value.
    #[error("invalid {var}: {reason}")]
    Invalid {
        /// The environment variable / setting name.
        var: &'static str,
        /// Why (never the value itself: it may be a secret).
        reason: String,
    },
}
