//! The request pipeline every function runs through.

use crate::auth::{AuthError, Authenticator, Caller};
use crate::error::ApiError;
use async_trait::async_trait;
use bytes::Bytes;
use config::{FunctionName, Settings};
use futures::FutureExt;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Time budget of a request when no Lambda deadline is known (dev server).
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(300);

/// Headers a browser may send (SPEC §3).
pub const ALLOWED_HEADERS: &str = "authorization, content-type, apikey, x-client-info, idempotency-key, x-test-mode, x-health-check";

/// Headers a browser may read.
pub const EXPOSED_HEADERS: &str =
    "x-request-id, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset";

/// One deployable function: receives the request type Lambda gives it, never fails.
#[async_trait]
pub trait Function: Send + Sync + 'static {
    /// The function's name (crate = Lambda = URL name).
    fn name(&self) -> FunctionName;
    /// Answers one request.
    async fn handle(&self, req: Request) -> Response<Body>;
}

/// Whether a route needs a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// 401 without a valid token.
    Required,
    /// Authenticate when a token is present; an invalid one is still 401.
    Optional,
    /// No authentication (health's basic check).
    Public,
}

/// What a handler sees of a request.
pub struct Ctx {
    /// The id echoed in `X-Request-Id` and envelopes.
    pub request_id: String,
    /// The authenticated caller (always `Some` under [`AuthMode::Required`]).
    pub caller: Option<Caller>,
    /// HTTP method.
    pub method: Method,
    /// Path segments after the function's root (`/abc/def` → `["abc", "def"]`).
    pub segments: Vec<String>,
    /// Query parameters (last value wins).
    pub query: HashMap<String, String>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Raw body (≤ [`MAX_BODY_BYTES`]).
    pub body: Bytes,
    /// `X-Test-Mode: true`: run on the offline provider, charge nothing.
    pub test_mode: bool,
    /// When the request arrived.
    pub started: Instant,
    /// When the work must be done by (Lambda deadline minus a safety margin).
    pub deadline: Instant,
    response_headers: Arc<Mutex<HeaderMap>>,
    metrics: crate::emf::MetricsSink,
}

impl Ctx {
    /// The invocation's metrics slot (emitted as one EMF line when the request ends).
    pub fn metrics(&self) -> crate::emf::MetricsSink {
        self.metrics.clone()
    }

    /// The caller, or 401 (for handlers under [`AuthMode::Optional`]).
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        self.caller
            .as_ref()
            .ok_or_else(|| ApiError::unauthorized("A valid bearer token is required"))
    }

    /// The body as a JSON object, whatever the `Content-Type` says (the iOS app labels JSON
    /// `application/octet-stream`).
    pub fn json_object(&self) -> Result<Map<String, Value>, ApiError> {
        parse_json_object(&self.body)
    }

    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Adds a response header (rate-limit headers…); applied to success and error responses.
    pub fn set_response_header(&self, name: &'static str, value: String) {
        self.header_sink().set(name, value);
    }

    /// A handle that sets response headers from code that does not hold the `Ctx`.
    pub fn header_sink(&self) -> HeaderSink {
        HeaderSink(self.response_headers.clone())
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// Sets response headers of the request it came from.
#[derive(Clone)]
pub struct HeaderSink(Arc<Mutex<HeaderMap>>);

impl HeaderSink {
    /// Sets (replaces) a header.
    pub fn set(&self, name: &'static str, value: String) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            let mut h = self.0.lock().unwrap_or_else(|p| p.into_inner());
            h.insert(HeaderName::from_static(name), v);
        }
    }
}

/// Parses a JSON object body; anything else is 400.
pub fn parse_json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid("Request body must be a JSON object"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::invalid("Request body must be a JSON object")),
        Err(_) => Err(ApiError::invalid("Request body is not valid JSON")),
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// 2xx status.
    pub status: StatusCode,
    /// The `data` of the envelope (or the whole body when `enveloped` is false).
    pub data: Value,
    /// Served from a cache.
    pub cached: bool,
    /// `"openai"` or `"offline"` (absent for functions that call no provider).
    pub provider: Option<&'static str>,
    /// Extra `meta` fields (e.g. `moderation: "unavailable"`).
    pub meta: Map<String, Value>,
    /// Wrap in the success envelope (false only for `health`, whose body is its own shape).
    pub enveloped: bool,
}

impl Reply {
    /// 200 with `data`.
    pub fn ok(data: Value) -> Self {
        Self {
            status: StatusCode::OK,
            data,
            cached: false,
            provider: None,
            meta: Map::new(),
            enveloped: true,
        }
    }

    /// 201 with `data`.
    pub fn created(data: Value) -> Self {
        Self {
            status: StatusCode::CREATED,
            ..Self::ok(data)
        }
    }

    /// A body that is not enveloped (health).
    pub fn raw(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            enveloped: false,
            ..Self::ok(body)
        }
    }

    /// Marks the provider that produced the data.
    pub fn with_provider(mut self, provider: &'static str) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Marks a cache hit.
    pub fn with_cached(mut self, cached: bool) -> Self {
        self.cached = cached;
        self
    }
}

/// The shared edge of one function: settings and authenticator built once per cold start.
#[derive(Clone)]
pub struct Gateway {
    function: FunctionName,
    settings: Arc<Settings>,
    auth: Arc<Authenticator>,
    emitter: crate::emf::Emitter,
}

impl Gateway {
    /// A gateway for `function`.
    pub fn new(function: FunctionName, settings: Arc<Settings>, auth: Arc<Authenticator>) -> Self {
        Self {
            function,
            settings,
            auth,
            emitter: crate::emf::Emitter::new(false),
        }
    }

    /// Emits EMF lines to stdout (in Lambda) instead of debug logs.
    pub fn with_emitter(mut self, emitter: crate::emf::Emitter) -> Self {
        self.emitter = emitter;
        self
    }

    /// The settings.
    pub fn settings(&self) -> &Arc<Settings> {
        &self.settings
    }

    /// Runs `handler` for `req` with CORS, size limit, authentication, envelopes, panic
    /// containment and request logging.
    pub async fn serve<F, Fut>(&self, req: Request, mode: AuthMode, handler: F) -> Response<Body>
    where
        F: FnOnce(Ctx) -> Fut,
        Fut: Future<Output = Result<Reply, ApiError>> + Send,
    {
        let started = Instant::now();
        let request_id = uuid::Uuid::new_v4().to_string();
        let origin = req
            .headers()
            .get(http::header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let cors_origin = self.settings.allowed_origins.allow(origin.as_deref());
        let method = req.method().clone();

        if method == Method::OPTIONS {
            let mut resp = Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::Empty)
                .unwrap_or_default();
            let h = resp.headers_mut();
            apply_common_headers(h, &request_id, cors_origin.as_deref());
            insert(
                h,
                "access-control-allow-methods",
                "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            );
            insert(h, "access-control-allow-headers", ALLOWED_HEADERS);
            insert(h, "access-control-max-age", "86400");
            return resp;
        }

        let deadline = lambda_deadline(&req).unwrap_or_else(|| started + DEFAULT_BUDGET);
        let response_headers = Arc::new(Mutex::new(HeaderMap::new()));
        let metrics = crate::emf::MetricsSink::default();
        let (parts, body) = req.into_parts();
        let body: Bytes = match body {
            Body::Empty => Bytes::new(),
            Body::Text(t) => Bytes::from(t),
            Body::Binary(b) => Bytes::from(b),
            _ => Bytes::new(),
        };

        let outcome: Result<Reply, ApiError> = async {
            if body.len() > MAX_BODY_BYTES {
                return Err(ApiError::payload_too_large(MAX_BODY_BYTES));
            }
            let authorization = parts
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            let caller = match (mode, authorization) {
                (AuthMode::Public, _) | (AuthMode::Optional, None) => None,
                _ => Some(self.auth.authenticate(authorization).await.map_err(|e| {
                    tracing::info!(function = %self.function, reason = %e, "unauthenticated request");
                    unauthorized(&e)
                })?),
            };
            let query = parts
                .uri
                .query()
                .map(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .into_owned()
                        .collect::<HashMap<_, _>>()
                })
                .unwrap_or_default();
            let segments = parts
                .uri
                .path()
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    url::form_urlencoded::parse(s.as_bytes())
                        .map(|(k, v)| if v.is_empty() { k.into_owned() } else { format!("{k}={v}") })
                        .next()
                        .unwrap_or_default()
                })
                .collect();
            let test_mode = parts
                .headers
                .get("x-test-mode")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            let ctx = Ctx {
                request_id: request_id.clone(),
                caller,
                method: parts.method.clone(),
                segments,
                query,
                headers: parts.headers.clone(),
                body,
                test_mode,
                started,
                deadline,
                response_headers: response_headers.clone(),
                metrics: metrics.clone(),
            };
            match AssertUnwindSafe(handler(ctx)).catch_unwind().await {
                Ok(r) => r,
                Err(_) => {
                    tracing::error!(function = %self.function, request_id, "handler panicked");
                    Err(ApiError::internal())
                }
            }
        }
        .await;

        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (status, body, retry_after) = match outcome {
            Ok(reply) => {
                let body = if reply.enveloped {
                    let mut meta = json!({
                        "request_id": request_id,
                        "processing_time": elapsed_ms,
                        "cached": reply.cached,
                    });
                    if let Some(p) = reply.provider {
                        meta["provider"] = json!(p);
                    }
                    for (k, v) in reply.meta {
                        meta[k] = v;
                    }
                    json!({ "success": true, "data": reply.data, "meta": meta })
                } else {
                    reply.data
                };
                (reply.status, body, None)
            }
            Err(e) => (e.status, e.envelope(&request_id), e.retry_after),
        };
        let mut m = metrics.snapshot();
        m.latency_ms = elapsed_ms;
        m.status = status.as_u16();
        m.error = status.is_server_error();
        self.emitter.emit(
            self.function.as_str(),
            self.settings.environment.as_str(),
            &request_id,
            &m,
        );
        tracing::info!(
            function = %self.function,
            request_id,
            method = %method,
            status = status.as_u16(),
            latency_ms = elapsed_ms,
            "request"
        );
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut resp = Response::builder()
            .status(status)
            .body(Body::Binary(bytes))
            .unwrap_or_default();
        let h = resp.headers_mut();
        apply_common_headers(h, &request_id, cors_origin.as_deref());
        insert(h, "content-type", "application/json; charset=utf-8");
        if let Some(r) = retry_after {
            insert(h, "retry-after", &r.to_string());
        }
        let extra = response_headers.lock().unwrap_or_else(|p| p.into_inner());
        for (k, v) in extra.iter() {
            h.insert(k.clone(), v.clone());
        }
        resp
    }
}

fn unauthorized(e: &AuthError) -> ApiError {
    let message = match e {
        AuthError::Missing => "A bearer token is required",
        AuthError::Expired => "The token has expired",
        AuthError::Anonymous => "Please sign in: anonymous tokens are not accepted",
        _ => "The token is not valid",
    };
    ApiError::unauthorized(message)
}

fn insert(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(HeaderName::from_static(name), v);
    }
}

fn apply_common_headers(h: &mut HeaderMap, request_id: &str, origin: Option<&str>) {
    insert(h, "x-request-id", request_id);
    if let Some(o) = origin {
        insert(h, "access-control-allow-origin", o);
        insert(h, "access-control-expose-headers", EXPOSED_HEADERS);
        if o != "*" {
            insert(h, "vary", "Origin");
        }
    }
}

/// The Lambda invocation deadline minus a margin to answer in, when running in Lambda.
fn lambda_deadline(req: &Request) -> Option<Instant> {
    let ctx = req.lambda_context_ref()?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let deadline_ms = i64::try_from(ctx.deadline).ok()?;
    if deadline_ms <= 0 {
        return None;
    }
    let left = (deadline_ms - now_ms - 1500).max(0) as u64;
    Some(Instant::now() + Duration::from_millis(left))
}
