//! The OpenAI-compatible HTTP client: one reqwest client (rustls) per process, per-kind
//! timeouts, jittered exponential backoff honouring `Retry-After`, deadlines, a per-model
//! circuit breaker and text fallback from the primary to the fallback model.

mod images;
mod wire;

pub use images::{ImageFamily, MappedImageRequest, map_image_request};

use async_trait::async_trait;
use bytes::Bytes;
use domain::{Clock, SystemClock};
use rand::Rng;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

use crate::breaker::{BreakerState, Breakers};
use crate::config::ProviderConfig;
use crate::error::{ConfigError, ProviderError};
use crate::ports::{
    AudioFormat, ImageModel, ImageReply, ImageRequest, MAX_SPEECH_INPUT_CHARS, ModelCatalog,
    ModelInfo, ModerationReply, Moderator, SpeechModel, SpeechReply, SpeechRequest, TextModel,
    TextReply, TextRequest, Usage,
};
use crate::timing::{Sleeper, TokioSleeper};

/// Which per-kind timeout applies to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallKind {
    Text,
    Speech,
    Image,
    Moderation,
    Models,
}

impl CallKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Speech => "speech",
            Self::Image => "image",
            Self::Moderation => "moderation",
            Self::Models => "models",
        }
    }
}

/// The OpenAI-compatible client. Implements every port; cheap to share behind `Arc`.
pub struct OpenAiClient {
    http: reqwest::Client,
    config: ProviderConfig,
    breakers: Breakers,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl OpenAiClient {
    /// Builds the client with the wall clock and real sleeps.
    pub fn new(config: ProviderConfig) -> Result<Self, ConfigError> {
        Self::with_timing(config, Arc::new(SystemClock), Arc::new(TokioSleeper))
    }

    /// Builds the client with an injected clock (breaker cool-downs, HTTP-date
    /// `Retry-After`) and sleeper (backoff), so tests run without real waiting.
    pub fn with_timing(
        mut config: ProviderConfig,
        clock: Arc<dyn Clock>,
        sleeper: Arc<dyn Sleeper>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .user_agent(concat!("infinite-stories/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|_| ConfigError::Invalid {
                var: "OPENAI_BASE_URL",
                reason: "could not build the HTTP client".to_owned(),
            })?;
        let breakers = Breakers::new(config.breaker, clock.clone());
        Ok(Self {
            http,
            config,
            breakers,
            clock,
            sleeper,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The breaker state of `model` (for health and tests).
    pub fn breaker_state(&self, model: &str) -> BreakerState {
        self.breakers.state(model)
    }

    fn timeout_for(&self, kind: CallKind) -> Duration {
        let t = &self.config.timeouts;
        match kind {
            CallKind::Text => t.text,
            CallKind::Speech => t.speech,
            CallKind::Image => t.image,
            CallKind::Moderation => t.moderation,
            CallKind::Models => t.models,
        }
    }

    /// Jittered exponential backoff for the retry after attempt `attempt` (1-based):
    /// base·2^(attempt-1), scaled by a random factor in [0.5, 1.5), capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let policy = &self.config.retry;
        let exp = policy
            .base_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let factor: f64 = rand::rng().random_range(0.5..1.5);
        exp.mul_f64(factor).min(policy.max_backoff)
    }

    /// Runs one logical call on `model` with up to `max_attempts` attempts.
    async fn call(
        &self,
        kind: CallKind,
        model: &str,
        path: &str,
        body: Option<&Value>,
        deadline: Instant,
        max_attempts: u32,
    ) -> Result<Bytes, ProviderError> {
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            if Instant::now() >= deadline {
                return Err(ProviderError::DeadlineExceeded);
            }
            if !self.breakers.try_acquire(model) {
                tracing::warn!(model, kind = kind.as_str(), "circuit open: call skipped");
                return Err(ProviderError::CircuitOpen {
                    model: model.to_owned(),
                });
            }
            let started = Instant::now();
            let outcome = self.attempt_once(kind, path, body, deadline).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let error = match outcome {
                Ok(bytes) => {
                    self.breakers.record_success(model);
                    return Ok(bytes);
                }
                Err(error) => error,
            };
            if error.counts_against_breaker() {
                self.breakers.record_failure(model);
            } else if matches!(
                error,
                ProviderError::RateLimited { .. } | ProviderError::DeadlineExceeded
            ) {
                self.breakers.record_neutral(model);
            } else {
                // The upstream answered coherently (a 4xx): it is healthy.
                self.breakers.record_success(model);
            }
            tracing::warn!(
                model,
                kind = kind.as_str(),
                attempt,
                error = error.kind(),
                elapsed_ms,
                "provider attempt failed"
            );
            if !error.is_retryable() || attempt >= max_attempts {
                return Err(error);
            }
            let wait = match &error {
                ProviderError::RateLimited {
                    retry_after: Some(after),
                } => {
                    if *after > self.config.retry.max_backoff {
                        // Waiting that long would blow any sensible request budget: give the
                        // caller (or the fallback) the decision.
                        return Err(error);
                    }
                    *after
                }
                _ => self.backoff(attempt),
            };
            if Instant::now() + wait >= deadline {
                tracing::warn!(
                    model,
                    wait_ms = wait.as_millis() as u64,
                    "no time left to retry"
                );
                return Err(error);
            }
            self.sleeper.sleep(wait).await;
        }
    }

    async fn attempt_once(
        &self,
        kind: CallKind,
        path: &str,
        body: Option<&Value>,
        deadline: Instant,
    ) -> Result<Bytes, ProviderError> {
        let url = format!("{}{}", self.config.base_url, path);
        let request = match body {
            Some(body) => self.http.post(&url).json(body),
            None => self.http.get(&url),
        }
        .bearer_auth(&self.config.api_key);
        let remaining = deadline.saturating_duration_since(Instant::now());
        let per_kind = self.timeout_for(kind);
        let (limit, limited_by_deadline) = if remaining < per_kind {
            (remaining, true)
        } else {
            (per_kind, false)
        };
        let exchange = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, bytes))
        };
        match tokio::time::timeout(limit, exchange).await {
            Err(_) if limited_by_deadline => Err(ProviderError::DeadlineExceeded),
            Err(_) => Err(ProviderError::Timeout),
            Ok(Err(e)) => Err(map_transport(&e)),
            Ok(Ok((status, headers, bytes))) => {
                if (200..300).contains(&status) {
                    Ok(bytes)
                } else {
                    Err(map_status(status, &headers, &bytes, self.clock.now()))
                }
            }
        }
    }

    fn full_attempts(&self) -> u32 {
        self.config.retry.max_retries + 1
    }

    /// The models to try for a text request, with each one's attempt budget.
    fn text_chain(&self, requested: Option<&str>) -> Vec<(String, u32)> {
        let primary = requested.unwrap_or(&self.config.text_model).to_owned();
        let fallback = &self.config.text_fallback_model;
        if primary == self.config.text_model && *fallback != primary {
            let before = self
                .config
                .retry
                .primary_attempts_before_fallback
                .clamp(1, self.full_attempts());
            vec![(primary, before), (fallback.clone(), self.full_attempts())]
        } else {
            vec![(primary, self.full_attempts())]
        }
    }
}

fn map_transport(e: &reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        return ProviderError::Timeout;
    }
    // Short, address-free descriptions: reqwest's Display includes the URL.
    let what = if e.is_connect() {
        "connect failed"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading the reply"
    } else if e.is_request() {
        "request failed"
    } else {
        "connection error"
    };
    ProviderError::Transport(what.to_owned())
}

/// Maps a non-2xx reply to a typed error.
fn map_status(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> ProviderError {
    let (code, kind) = wire::error_code(body);
    let is = |want: &str| code.as_deref() == Some(want) || kind.as_deref() == Some(want);
    match status {
        429 if is("insufficient_quota") => ProviderError::QuotaExceeded,
        429 => ProviderError::RateLimited {
            retry_after: parse_retry_after(headers, now),
        },
        401 | 403 => ProviderError::Unauthorized,
        400 if is("content_policy_violation") => ProviderError::ContentPolicy {
            code: "content_policy_violation".to_owned(),
        },
        400 if is("moderation_blocked") => ProviderError::ContentPolicy {
            code: "moderation_blocked".to_owned(),
        },
        400 | 404 | 413 | 415 | 422 => ProviderError::InvalidRequest(short_code(
            code.as_deref()
                .or(kind.as_deref())
                .unwrap_or("invalid_request"),
        )),
        _ => ProviderError::Upstream { status },
    }
}

/// Keeps a provider code printable and short (it ends up in logs).
fn short_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(64)
        .collect()
}

/// Reads `retry-after-ms` (milliseconds), else `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(
    headers: &HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let raw = header("retry-after")?;
    if let Ok(secs) = raw.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl TextModel for OpenAiClient {
    async fn complete_json(&self, request: TextRequest) -> Result<TextReply, ProviderError> {
        let started = Instant::now();
        let chain = self.text_chain(request.model.as_deref());
        let last = chain.len().saturating_sub(1);
        let mut outcome = Err(ProviderError::DeadlineExceeded);
        for (index, (model, attempts)) in chain.into_iter().enumerate() {
            let body = json!({
                "model": model,
                "messages": [
                    {"role": "system", "content": request.system},
                    {"role": "user", "content": request.user},
                ],
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": request.schema_name,
                        "schema": request.schema,
                        "strict": true,
                    },
                },
                "temperature": request.temperature,
                "max_completion_tokens": request.max_tokens,
            });
            let result = self
                .call(
                    CallKind::Text,
                    &model,
                    "/chat/completions",
                    Some(&body),
                    request.deadline,
                    attempts,
                )
                .await
                .and_then(|bytes| wire::parse_chat(&bytes));
            match result {
                Ok((json, usage)) => {
                    let latency_ms = elapsed_ms(started);
                    tracing::info!(
                        purpose = request.purpose.label(),
                        model = model.as_str(),
                        prompt_tokens = usage.prompt_tokens,
                        completion_tokens = usage.completion_tokens,
                        fell_back = index > 0,
                        latency_ms,
                        "text completion"
                    );
                    return Ok(TextReply {
                        json,
                        model,
                        usage,
                        fell_back: index > 0,
                        latency_ms,
                    });
                }
                Err(error) if index < last && error.triggers_fallback() => {
                    tracing::warn!(
                        purpose = request.purpose.label(),
                        model = model.as_str(),
                        error = error.kind(),
                        "primary text model unavailable: falling back"
                    );
                    outcome = Err(error);
                }
                Err(error) => return Err(error),
            }
        }
        outcome
    }
}

/// Whether a TTS model takes persona `instructions` (the gpt-4o-*-tts family does; tts-1 and
/// tts-1-hd reject them).
pub fn speech_model_supports_instructions(model: &str) -> bool {
    model.starts_with("gpt-") && model.contains("tts")
}

#[async_trait]
impl SpeechModel for OpenAiClient {
    async fn synthesize(&self, request: SpeechRequest) -> Result<SpeechReply, ProviderError> {
        let started = Instant::now();
        let characters = request.text.chars().count();
        if characters == 0 {
            return Err(ProviderError::InvalidRequest(
                "empty speech input".to_owned(),
            ));
        }
        if characters > MAX_SPEECH_INPUT_CHARS {
            return Err(ProviderError::InvalidRequest(format!(
                "speech input over {MAX_SPEECH_INPUT_CHARS} characters"
            )));
        }
        let model = request
            .model
            .unwrap_or_else(|| self.config.tts_model.clone());
        let mut body = json!({
            "model": model,
            "input": request.text,
            "voice": request.voice.name(),
            "response_format": "mp3",
            "speed": request.speed.clamp(0.25, 4.0),
        });
        if let Some(instructions) = request.instructions.filter(|i| !i.trim().is_empty())
            && speech_model_supports_instructions(&model)
            && let Some(map) = body.as_object_mut()
        {
            map.insert("instructions".to_owned(), Value::String(instructions));
        }
        let audio = self
            .call(
                CallKind::Speech,
                &model,
                "/audio/speech",
                Some(&body),
                request.deadline,
                self.full_attempts(),
            )
            .await?;
        if !looks_like_mp3(&audio) {
            return Err(ProviderError::Malformed(
                "speech reply is not MP3".to_owned(),
            ));
        }
        let latency_ms = elapsed_ms(started);
        tracing::info!(
            model = model.as_str(),
            characters,
            bytes = audio.len(),
            latency_ms,
            "speech synthesised"
        );
        Ok(SpeechReply {
            audio,
            format: AudioFormat::Mp3,
            model,
            usage: Usage {
                characters: characters as u64,
                ..Usage::default()
            },
            latency_ms,
        })
    }
}

/// An ID3v2 tag or an MPEG audio frame sync at the start.
fn looks_like_mp3(bytes: &[u8]) -> bool {
    bytes.starts_with(b"ID3") || (bytes.len() > 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
}

#[async_trait]
impl ImageModel for OpenAiClient {
    async fn generate(&self, request: ImageRequest) -> Result<ImageReply, ProviderError> {
        let started = Instant::now();
        if request.prompt.trim().is_empty() {
            return Err(ProviderError::InvalidRequest(
                "empty image prompt".to_owned(),
            ));
        }
        let model = self.config.image_model.clone();
        let mapped = map_image_request(&model, &request);
        let bytes = self
            .call(
                CallKind::Image,
                &model,
                "/images/generations",
                Some(&mapped.body),
                request.deadline,
                self.full_attempts(),
            )
            .await?;
        let (png, revised_prompt, tokens) = wire::parse_image(&bytes)?;
        let latency_ms = elapsed_ms(started);
        tracing::info!(
            model = model.as_str(),
            size = mapped.size.as_str(),
            quality = mapped.quality.as_str(),
            bytes = png.len(),
            latency_ms,
            "image generated"
        );
        Ok(ImageReply {
            png,
            revised_prompt: if mapped.family == ImageFamily::DallE {
                revised_prompt
            } else {
                None
            },
            model,
            size_used: mapped.size,
            quality_used: mapped.quality,
            usage: Usage {
                images: 1,
                ..tokens
            },
            latency_ms,
        })
    }
}

#[async_trait]
impl Moderator for OpenAiClient {
    async fn moderate(&self, texts: &[String]) -> Result<ModerationReply, ProviderError> {
        let model = self.config.moderation_model.clone();
        let inputs: Vec<&String> = texts.iter().filter(|t| !t.trim().is_empty()).collect();
        if inputs.is_empty() {
            return Ok(ModerationReply {
                flagged: false,
                categories: Vec::new(),
                model,
            });
        }
        let started = Instant::now();
        let body = json!({"model": model, "input": inputs});
        let deadline = Instant::now() + self.config.timeouts.moderation * 2;
        let bytes = self
            .call(
                CallKind::Moderation,
                &model,
                "/moderations",
                Some(&body),
                deadline,
                self.full_attempts(),
            )
            .await?;
        let (flagged, categories) = wire::parse_moderation(&bytes)?;
        tracing::info!(
            model = model.as_str(),
            texts = inputs.len(),
            flagged,
            latency_ms = elapsed_ms(started),
            "moderation"
        );
        Ok(ModerationReply {
            flagged,
            categories,
            model,
        })
    }
}

#[async_trait]
impl ModelCatalog for OpenAiClient {
    async fn list_models(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        // Health calls this: one quick attempt, no backoff (the check is cached anyway).
        let deadline = Instant::now() + self.config.timeouts.models;
        let bytes = self
            .call(
                CallKind::Models,
                "models-list",
                "/models",
                None,
                deadline,
                1,
            )
            .await?;
        wire::parse_models(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("valid header value"));
        }
        h
    }

    #[test]
    fn retry_after_reads_seconds_http_dates_and_milliseconds() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .expect("valid date")
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "2")]), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_retry_after(
                &headers(&[("retry-after", "Mon, 01 Jun 2026 12:00:07 GMT")]),
                now
            ),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(
                &headers(&[("retry-after", "2"), ("retry-after-ms", "150")]),
                now
            ),
            Some(Duration::from_millis(150))
        );
        assert_eq!(
            parse_retry_after(
                &headers(&[("retry-after", "Mon, 01 Jun 2026 11:00:00 GMT")]),
                now
            ),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "soon")]), now),
            None
        );
        assert_eq!(parse_retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn status_mapping_distinguishes_quota_rate_limit_auth_and_policy() {
        let now = chrono::Utc::now();
        let body = |code: &str| {
            serde_json::to_vec(&json!({"error": {"message": "m", "type": "t", "code": code}}))
                .expect("serialisable")
        };
        let h = HeaderMap::new();
        assert_eq!(
            map_status(429, &h, &body("insufficient_quota"), now),
            ProviderError::QuotaExceeded
        );
        assert_eq!(
            map_status(429, &h, &body("rate_limit_exceeded"), now),
            ProviderError::RateLimited { retry_after: None }
        );
        assert_eq!(map_status(401, &h, b"", now), ProviderError::Unauthorized);
        assert_eq!(
            map_status(400, &h, &body("moderation_blocked"), now),
            ProviderError::ContentPolicy {
                code: "moderation_blocked".to_owned()
            }
        );
        assert_eq!(
            map_status(400, &h, &body("bad value <script>"), now),
            ProviderError::InvalidRequest("badvaluescript".to_owned())
        );
        assert_eq!(
            map_status(529, &h, b"overloaded", now),
            ProviderError::Upstream { status: 529 }
        );
    }

    #[test]
    fn instructions_go_only_to_the_gpt_tts_family() {
        assert!(speech_model_supports_instructions("gpt-4o-mini-tts"));
        assert!(!speech_model_supports_instructions("tts-1"));
        assert!(!speech_model_supports_instructions("tts-1-hd"));
    }
}
