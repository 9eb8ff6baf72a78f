//! Provider settings: every model id is a setting, with per-kind timeouts, a retry policy and
//! circuit-breaker settings. Built by the composition root from `config::Settings`; this crate never reads the environment.

use std::fmt;
use std::time::Duration;

use crate::error::ConfigError;

/// The default image model. `dall-e-3` was shut down on 2026-05-12; OpenAI's deprecations
/// page retires gpt-image-1-mini, gpt-image-1.5 and chatgpt-image-latest on 2026-12-01 and
/// names `gpt-image-2` as their replacement. See the crate docs.
pub const DEFAULT_IMAGE_MODEL: &str = "gpt-image-2";
/// Default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// Per-kind timeouts of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Chat completions (60 s).
    pub text: Duration,
    /// Speech (60 s).
    pub speech: Duration,
    /// Images (120 s).
    pub image: Duration,
    /// Moderation (10 s).
    pub moderation: Duration,
    /// Model list (5 s).
    pub models: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            text: Duration::from_secs(60),
            speech: Duration::from_secs(60),
            image: Duration::from_secs(120),
            moderation: Duration::from_secs(10),
            models: Duration::from_secs(5),
        }
    }
}

/// Retry policy: jittered exponential backoff, honouring `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (3 → at most 4 attempts per model).
    pub max_retries: u32,
    /// First backoff (doubles per retry, ±50 % jitter).
    pub base_backoff: Duration,
    /// Backoff cap (also caps a provider's `Retry-After`).
    pub max_backoff: Duration,
    /// Attempts on the primary text model before moving on to the fallback model when the
    /// failure is fallback-worthy (rate limit, overload, timeout, transport).
    pub primary_attempts_before_fallback: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            primary_attempts_before_fallback: 2,
        }
    }
}

/// Per-model circuit breaker settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failed attempts that open the breaker.
    pub failure_threshold: u32,
    /// How long an open breaker rejects calls before letting one probe through.
    pub cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// Settings of the OpenAI-compatible client.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// `OPENAI_API_KEY` (never logged; `Debug` redacts it).
    pub api_key: String,
    /// `OPENAI_BASE_URL`, without a trailing slash.
    pub base_url: String,
    /// `TEXT_MODEL`.
    pub text_model: String,
    /// `TEXT_FALLBACK_MODEL`.
    pub text_fallback_model: String,
    /// `REVIEW_MODEL`: the child-safety reviewer.
    pub review_model: String,
    /// `TTS_MODEL`.
    pub tts_model: String,
    /// `IMAGE_MODEL`.
    pub image_model: String,
    /// `MODERATION_MODEL`.
    pub moderation_model: String,
    /// Per-kind timeouts.
    pub timeouts: Timeouts,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Breaker settings.
    pub breaker: BreakerConfig,
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("api_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("text_model", &self.text_model)
            .field("text_fallback_model", &self.text_fallback_model)
            .field("review_model", &self.review_model)
            .field("tts_model", &self.tts_model)
            .field("image_model", &self.image_model)
            .field("moderation_model", &self.moderation_model)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("breaker", &self.breaker)
            .finish()
    }
}

impl ProviderConfig {
    /// Defaults around a key: gpt-4o with gpt-4o-mini fallback, gpt-4o-mini reviewer, tts-1,
    /// [`DEFAULT_IMAGE_MODEL`], omni-moderation-latest.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            text_model: "gpt-4o".to_owned(),
            text_fallback_model: "gpt-4o-mini".to_owned(),
            review_model: "gpt-4o-mini".to_owned(),
            tts_model: "tts-1".to_owned(),
            image_model: DEFAULT_IMAGE_MODEL.to_owned(),
            moderation_model: "omni-moderation-latest".to_owned(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
        }
    }

    /// The same settings pointed at another base URL (a compatible server or the fake).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Every configured model id (deduplicated, in a stable order) — what `health` checks
    /// against the model list.
    pub fn model_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for id in [
            &self.text_model,
            &self.text_fallback_model,
            &self.review_model,
            &self.tts_model,
            &self.image_model,
            &self.moderation_model,
        ] {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// Checks the key and base URL.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.api_key.trim().is_empty()
            || self.api_key.chars().any(|c| c.is_control() || c == ' ')
        {
            return Err(ConfigError::Invalid {
                var: "OPENAI_API_KEY",
                reason: "must be a non-empty token without spaces".to_owned(),
            });
        }
        let parsed = url::Url::parse(&self.base_url).map_err(|_| ConfigError::Invalid {
            var: "OPENAI_BASE_URL",
            reason: "not an absolute URL".to_owned(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid {
                var: "OPENAI_BASE_URL",
                reason: "scheme must be http or https".to_owned(),
            });
        }
        Ok(())
    }
}
