//! The pipeline of every AI function: idempotency (SPEC §3), per-user rate limits with
//! headers and refunds, the provider for the request (offline under `X-Test-Mode`), one
//! ledger row per AI call (SPEC §8) and an EMF line per invocation.
//!
//! A handler calls [`metered`] with its work; the work validates its input first (bad input
//! is 400 and charges nothing), then calls [`Meter::admit`] with its cost, then does the paid
//! work, recording each provider reply on the meter.

use crate::Deps;
use accounting::{CallRecord, Decision, IdemOutcome, Ticket, request_hash};
use config::FunctionName;
use domain::UserId;
use edge::{ApiError, Ctx, HeaderSink, Reply};
use providers::{ImageReply, ProviderKind, Providers, SpeechReply, TextReply, Usage};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use storage::{StoredResponse, UsageRecord, UsageStatus};

/// Per-request accounting handle.
pub struct Meter {
    deps: Deps,
    function: FunctionName,
    user: UserId,
    request_id: String,
    test_mode: bool,
    headers: HeaderSink,
    ticket: Mutex<Option<Ticket>>,
    paid: AtomicBool,
    calls: Mutex<Vec<UsageRecord>>,
    limited: AtomicBool,
    meta: Mutex<serde_json::Map<String, serde_json::Value>>,
}

impl Meter {
    /// The shared dependencies.
    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// The function being metered.
    pub fn function(&self) -> FunctionName {
        self.function
    }

    /// Adds a `meta` field to the response (e.g. `moderation: "unavailable"`).
    pub fn note_meta(&self, key: &str, value: serde_json::Value) {
        self.meta
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), value);
    }

    /// The caller.
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// The request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The provider this request uses.
    pub fn providers(&self) -> &Providers {
        self.deps.providers_for(self.test_mode)
    }

    /// True under `X-Test-Mode: true`.
    pub fn test_mode(&self) -> bool {
        self.test_mode
    }

    /// Counts `cost` units against the caller's window (skipped under test mode, which
    /// charges nothing); 429 with `Retry-After` and `X-RateLimit-*` when over.
    pub async fn admit(&self, cost: u32) -> Result<(), ApiError> {
        if self.test_mode {
            return Ok(());
        }
        let decision = self
            .deps
            .limiter
            .check(&self.user, self.function, cost)
            .await
            .map_err(crate::store_error)?;
        match decision {
            Decision::Allowed(ticket) => {
                self.set_limit_headers(ticket.limit, ticket.remaining, ticket.reset_epoch);
                let mut t = self.ticket.lock().unwrap_or_else(|p| p.into_inner());
                *t = Some(ticket);
                Ok(())
            }
            Decision::Limited {
                limit,
                remaining,
                reset_epoch,
                retry_after,
            } => {
                self.set_limit_headers(limit, remaining, reset_epoch);
                self.limited.store(true, Ordering::Relaxed);
                self.record(
                    "-",
                    self.providers().kind,
                    Usage::default(),
                    None,
                    0,
                    UsageStatus::RateLimited,
                    false,
                )
                .await;
                Err(ApiError::rate_limited(retry_after))
            }
        }
    }

    fn set_limit_headers(&self, limit: u32, remaining: u32, reset: i64) {
        self.headers.set("x-ratelimit-limit", limit.to_string());
        self.headers
            .set("x-ratelimit-remaining", remaining.to_string());
        self.headers.set("x-ratelimit-reset", reset.to_string());
    }

    /// Gives back units of the admitted cost that needed no paid work (e.g. cached scenes).
    pub async fn refund_units(&self, units: u32) {
        let ticket = self
            .ticket
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(t) = ticket {
            self.deps.limiter.refund_units(&t, units).await;
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        model: &str,
        provider: ProviderKind,
        usage: Usage,
        image: Option<(&str, &str)>,
        response_time_ms: u64,
        status: UsageStatus,
        cached: bool,
    ) {
        let rec = self
            .deps
            .ledger
            .record(&CallRecord {
                function: self.function.as_str(),
                user: &self.user,
                request_id: &self.request_id,
                model,
                provider,
                usage,
                image_size: image.map(|i| i.0),
                image_quality: image.map(|i| i.1),
                response_time_ms,
                status,
                cached,
            })
            .await;
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(rec);
    }

    fn mark_paid(&self, provider: ProviderKind) {
        if provider == ProviderKind::OpenAi {
            self.paid.store(true, Ordering::Relaxed);
        }
    }

    /// Records a text reply.
    pub async fn text_call(&self, reply: &TextReply) {
        let kind = self.providers().kind;
        self.mark_paid(kind);
        self.record(
            &reply.model,
            kind,
            reply.usage,
            None,
            reply.latency_ms,
            UsageStatus::Success,
            false,
        )
        .await;
    }

    /// Records a speech reply.
    pub async fn speech_call(&self, reply: &SpeechReply) {
        let kind = self.providers().kind;
        self.mark_paid(kind);
        self.record(
            &reply.model,
            kind,
            reply.usage,
            None,
            reply.latency_ms,
            UsageStatus::Success,
            false,
        )
        .await;
    }

    /// Records an image reply.
    pub async fn image_call(&self, reply: &ImageReply) {
        let kind = self.providers().kind;
        self.mark_paid(kind);
        self.record(
            &reply.model,
            kind,
            reply.usage,
            Some((&reply.size_used, &reply.quality_used)),
            reply.latency_ms,
            UsageStatus::Success,
            false,
        )
        .await;
    }

    /// Records a moderation call (free, but metered).
    pub async fn moderation_call(&self, model: &str, latency_ms: u64) {
        let kind = self.providers().kind;
        self.record(
            model,
            kind,
            Usage::default(),
            None,
            latency_ms,
            UsageStatus::Success,
            false,
        )
        .await;
    }

    /// Records a failed call (upstream error after retries). Failed calls may still have been
    /// billed by the provider for partial work, so the request is treated as paid.
    pub async fn failed_call(&self, model: &str, latency_ms: u64) {
        let kind = self.providers().kind;
        self.mark_paid(kind);
        self.record(
            model,
            kind,
            Usage::default(),
            None,
            latency_ms,
            UsageStatus::Error,
            false,
        )
        .await;
    }

    /// Records a cache hit (no provider call, zero cost).
    pub async fn cached_call(&self, model: &str) {
        let kind = self.providers().kind;
        self.record(
            model,
            kind,
            Usage::default(),
            None,
            0,
            UsageStatus::Success,
            true,
        )
        .await;
    }

    fn totals(&self) -> (u64, f64) {
        let calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let tokens = calls.iter().map(|c| c.tokens_used).sum();
        let cost = calls.iter().filter_map(|c| c.cost_estimate).sum();
        (tokens, cost)
    }
}

/// Runs `work` inside the pipeline for the authenticated caller of `ctx`.
pub async fn metered<F, Fut>(
    deps: &Deps,
    ctx: &Ctx,
    function: FunctionName,
    work: F,
) -> Result<Reply, ApiError>
where
    F: FnOnce(std::sync::Arc<Meter>) -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let caller = ctx.caller()?;
    let meter = std::sync::Arc::new(Meter {
        deps: deps.clone(),
        function,
        user: caller.user_id.clone(),
        request_id: ctx.request_id.clone(),
        test_mode: ctx.test_mode,
        headers: ctx.header_sink(),
        ticket: Mutex::new(None),
        paid: AtomicBool::new(false),
        calls: Mutex::new(Vec::new()),
        limited: AtomicBool::new(false),
        meta: Mutex::new(serde_json::Map::new()),
    });

    // Idempotency: only for POSTs carrying a key.
    let key = ctx
        .header("idempotency-key")
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let key = match key {
        Some(k) if ctx.method == http::Method::POST => {
            if !accounting::Idempotency::valid_key(&k) {
                return Err(ApiError::invalid(
                    "Idempotency-Key must be 1–128 visible ASCII characters",
                ));
            }
            Some(k)
        }
        _ => None,
    };
    if let Some(k) = &key {
        let body = serde_json::from_slice::<serde_json::Value>(&ctx.body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&ctx.body).into())
        });
        let scope = if ctx.test_mode { "test" } else { "live" };
        let hash = request_hash(&format!("{}:{scope}", function.as_str()), &body);
        match deps
            .idempotency
            .begin(&caller.user_id, function.as_str(), k, &hash)
            .await
            .map_err(crate::store_error)?
        {
            IdemOutcome::Proceed => {}
            IdemOutcome::Replay(stored) => {
                let status =
                    http::StatusCode::from_u16(stored.status).unwrap_or(http::StatusCode::OK);
                let mut reply = Reply::ok(stored.data);
                reply.status = status;
                reply
                    .meta
                    .insert("idempotent_replay".into(), serde_json::json!(true));
                return Ok(reply);
            }
            IdemOutcome::InFlight => {
                return Err(ApiError::conflict(
                    "A request with this Idempotency-Key is still being processed",
                ));
            }
            IdemOutcome::Mismatch => {
                return Err(ApiError::conflict(
                    "This Idempotency-Key was already used with a different request body",
                ));
            }
        }
        // Store this hash alongside the key for replays (done inside begin).
        let _ = hash;
    }

    let result = work(meter.clone()).await;

    // Refund a request that failed before any paid work.
    if result.is_err() && !meter.paid.load(Ordering::Relaxed) {
        let ticket = meter
            .ticket
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(t) = ticket {
            deps.limiter.refund(&t).await;
        }
    }
    if let Some(k) = &key {
        match &result {
            Ok(reply) => {
                deps.idempotency
                    .complete(
                        &caller.user_id,
                        function.as_str(),
                        k,
                        &StoredResponse {
                            status: reply.status.as_u16(),
                            data: reply.data.clone(),
                        },
                    )
                    .await;
            }
            Err(_) => {
                deps.idempotency
                    .abandon(&caller.user_id, function.as_str(), k)
                    .await;
            }
        }
    }
    let (tokens, cost) = meter.totals();
    let sink = ctx.metrics();
    sink.add_usage(tokens, cost);
    if matches!(&result, Ok(r) if r.cached) {
        sink.cache_hit();
    }
    if meter.limited.load(Ordering::Relaxed) {
        sink.rate_limited();
    }
    let extra_meta = std::mem::take(&mut *meter.meta.lock().unwrap_or_else(|p| p.into_inner()));
    result.map(|mut r| {
        for (k, v) in extra_meta {
            r.meta.entry(k).or_insert(v);
        }
        if r.provider.is_none() {
            r.with_provider(meter.providers().kind.as_str())
        } else {
            r
        }
    })
}
