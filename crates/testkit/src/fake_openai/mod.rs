//! A fake OpenAI-compatible HTTP server with scripted faults and latency, for tests (library
//! API) and for pointing the dev server at it (`scripts/fake-openai`, admin routes).
//!
//! Endpoints (under `/v1`): `POST /chat/completions`, `POST /audio/speech`,
//! `POST /images/generations`, `POST /moderations`, `GET /models`. Replies are OpenAI-shaped:
//! - chat: `message.content` is JSON for the requested schema name — `story` (a story of the
//!   "N words" budget found in the user message, with 3 scenes), `scenes` (3 scenes quoting
//!   the longest paragraph of the user message), `safety_review` (safe), anything else `{}`;
//!   usage populated;
//! - speech: real MP3 frames of silence (ID3v2 + Info header) as long as the text at 150 wpm;
//! - images: a small real PNG (64×64, colour from the prompt) as `b64_json`, with
//!   `revised_prompt` for DALL·E models and token usage for gpt-image models; parameters are
//!   validated per family (a gpt-image request with `response_format` or `style`, or a size
//!   the family does not offer, is a 400 as upstream);
//! - moderations: flags a text containing `fake-flag:<category>`;
//! - models: a model list with `shutdown_date` for tts-1/tts-1-hd (2027-01-06) and
//!   gpt-4o/gpt-4o-mini (2027-01-14) by default (see [`FakeOpenAi::set_shutdown_date`]).
//!
//! Requests need `Authorization: Bearer <anything>` (else 401). Every request is recorded
//! (the authorization value redacted). Each scripted [`Fault`] is consumed by one request,
//! optionally only by requests for one model.
//!
//! Admin routes (same state): `POST /__admin/faults` `{"endpoint": "chat", "model"?: "gpt-4o",
//! "faults": [{"type": "rate_limited", "retry_after_secs": 1}, {"type": "server_error",
//! "status": 503}, {"type": "drop_connection"}, {"type": "slow", "ms": 2000},
//! {"type": "malformed_json"}, {"type": "content_policy"}, {"type": "moderation_blocked"},
//! {"type": "insufficient_quota"}, {"type": "unauthorized"}, {"type": "refusal"},
//! {"type": "custom", "status": 200, "body": {…}}]}`; `POST /__admin/latency`
//! `{"endpoint": "images", "ms": 1500}`; `GET /__admin/requests?endpoint=chat`;
//! `POST /__admin/reset`; `POST /__admin/models` `{"id": "tts-1", "shutdown_date":
//! "2027-01-06" | null}`.

mod replies;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// One of the fake's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /v1/chat/completions`
    Chat,
    /// `POST /v1/audio/speech`
    Speech,
    /// `POST /v1/images/generations`
    Images,
    /// `POST /v1/moderations`
    Moderations,
    /// `GET /v1/models`
    Models,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 5] = [
        Endpoint::Chat,
        Endpoint::Speech,
        Endpoint::Images,
        Endpoint::Moderations,
        Endpoint::Models,
    ];

    /// The admin name (`chat`, `speech`, `images`, `moderations`, `models`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Speech => "speech",
            Self::Images => "images",
            Self::Moderations => "moderations",
            Self::Models => "models",
        }
    }

    /// Parses an admin name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw.trim())
    }
}

/// A scripted misbehaviour, consumed by one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 `rate_limit_exceeded`, with `Retry-After: <secs>` when given.
    RateLimited {
        /// The `Retry-After` seconds.
        retry_after_secs: Option<u64>,
    },
    /// A 5xx (500, 502, 503, 529…) with an OpenAI-shaped error body.
    ServerError(u16),
    /// Headers of a 200, then the connection is dropped before the body completes.
    DropConnection,
    /// The normal reply, after a delay (to run past client timeouts).
    Slow(Duration),
    /// 200 with a body that is not what was asked: for chat, `message.content` is not JSON;
    /// elsewhere the body itself is broken JSON.
    MalformedJson,
    /// 400 `content_policy_violation`.
    ContentPolicy,
    /// 400 `moderation_blocked`.
    ModerationBlocked,
    /// 429 `insufficient_quota`.
    InsufficientQuota,
    /// 401 `invalid_api_key`.
    Unauthorized,
    /// Chat: 200 with `message.refusal` set and no content (elsewhere: as ContentPolicy).
    Refusal,
    /// Any status and JSON body (also a scripted *successful* reply).
    Custom {
        /// HTTP status.
        status: u16,
        /// JSON body.
        body: Value,
    },
}

/// A request the fake received.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// The JSON body (`null` for GET).
    pub body: Value,
    /// Lower-case header names; `authorization` is redacted to `Bearer <redacted>`.
    pub headers: BTreeMap<String, String>,
}

impl RecordedRequest {
    /// The body's `model` field.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }
}

#[derive(Debug, Clone)]
struct Scripted {
    fault: Fault,
    model: Option<String>,
}

#[derive(Debug)]
struct Inner {
    faults: HashMap<Endpoint, VecDeque<Scripted>>,
    latency: HashMap<Endpoint, Duration>,
    requests: HashMap<Endpoint, Vec<RecordedRequest>>,
    models: Vec<(String, Option<NaiveDate>)>,
    counter: u64,
}

fn default_models() -> Vec<(String, Option<NaiveDate>)> {
    let tts = NaiveDate::from_ymd_opt(2027, 1, 6);
    let gpt4o = NaiveDate::from_ymd_opt(2027, 1, 14);
    vec![
        ("gpt-4o".to_owned(), gpt4o),
        ("gpt-4o-mini".to_owned(), gpt4o),
        ("tts-1".to_owned(), tts),
        ("tts-1-hd".to_owned(), tts),
        ("gpt-4o-mini-tts".to_owned(), None),
        ("gpt-image-2".to_owned(), None),
        ("gpt-image-2.6-flare".to_owned(), None),
        ("dall-e-3".to_owned(), NaiveDate::from_ymd_opt(2026, 5, 12)),
        ("omni-moderation-latest".to_owned(), None),
    ]
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            faults: HashMap::new(),
            latency: HashMap::new(),
            requests: HashMap::new(),
            models: default_models(),
            counter: 0,
        }
    }
}

/// Shared state behind the handlers and the control API.
#[derive(Debug, Clone, Default)]
struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running fake server. Stops when dropped.
#[derive(Debug)]
pub struct FakeOpenAi {
    addr: SocketAddr,
    shared: Shared,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakeOpenAi {
    /// Starts on an ephemeral port of 127.0.0.1.
    pub async fn start() -> Self {
        match Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await {
            Ok(fake) => fake,
            Err(e) => panic!("fake OpenAI server could not bind 127.0.0.1: {e}"),
        }
    }

    /// Starts on `addr` (port 0 = ephemeral).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::default();
        let app = router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "fake OpenAI server stopped");
            }
        });
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/v1` — what `OPENAI_BASE_URL` should be.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Queues faults for `endpoint`, each consumed by the next request (any model).
    pub fn script(&self, endpoint: Endpoint, faults: Vec<Fault>) {
        self.push(endpoint, None, faults);
    }

    /// Queues faults consumed only by requests whose body names `model` (tests fallback).
    pub fn script_for_model(&self, endpoint: Endpoint, model: &str, faults: Vec<Fault>) {
        self.push(endpoint, Some(model.to_owned()), faults);
    }

    fn push(&self, endpoint: Endpoint, model: Option<String>, faults: Vec<Fault>) {
        let mut inner = self.shared.lock();
        let queue = inner.faults.entry(endpoint).or_default();
        for fault in faults {
            queue.push_back(Scripted {
                fault,
                model: model.clone(),
            });
        }
    }

    /// Faults still queued for `endpoint`.
    pub fn pending_faults(&self, endpoint: Endpoint) -> usize {
        self.shared
            .lock()
            .faults
            .get(&endpoint)
            .map_or(0, VecDeque::len)
    }

    /// Delays every reply of `endpoint` by `latency` (zero removes it).
    pub fn set_latency(&self, endpoint: Endpoint, latency: Duration) {
        self.shared.lock().latency.insert(endpoint, latency);
    }

    /// Sets (or clears) a model's `shutdown_date` in the model list, adding the model if new.
    pub fn set_shutdown_date(&self, model: &str, date: Option<NaiveDate>) {
        set_model(&self.shared, model, date);
    }

    /// The requests `endpoint` received, oldest first.
    pub fn requests(&self, endpoint: Endpoint) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .requests
            .get(&endpoint)
            .cloned()
            .unwrap_or_default()
    }

    /// Clears faults, latencies, recorded requests and model-list changes.
    pub fn reset(&self) {
        *self.shared.lock() = Inner::default();
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn set_model(shared: &Shared, model: &str, date: Option<NaiveDate>) {
    let mut inner = shared.lock();
    match inner.models.iter_mut().find(|(id, _)| id == model) {
        Some(entry) => entry.1 = date,
        None => inner.models.push((model.to_owned(), date)),
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/audio/speech", post(speech))
        .route("/v1/images/generations", post(images))
        .route("/v1/moderations", post(moderations))
        .route("/v1/models", get(models))
        .route("/__admin/faults", post(admin_faults))
        .route("/__admin/latency", post(admin_latency))
        .route("/__admin/requests", get(admin_requests))
        .route("/__admin/reset", post(admin_reset))
        .route("/__admin/models", post(admin_models))
        .with_state(shared)
}

/// An OpenAI-shaped error reply.
pub(crate) fn error_reply(status: u16, kind: &str, code: Option<&str>, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    json_reply(status, &body)
}

pub(crate) fn json_reply(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// What a request turned into before the endpoint's normal reply.
enum Prelude {
    /// Reply with this right away.
    Reply(Response),
    /// Reply normally (after any scripted delay); `malformed`/`refusal` tell chat what to do.
    Normal {
        body: Value,
        id: u64,
        malformed: bool,
        refusal: bool,
    },
}

async fn prelude(shared: &Shared, endpoint: Endpoint, headers: &HeaderMap, raw: &[u8]) -> Prelude {
    let body: Value = if raw.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(raw) {
            Ok(v) => v,
            Err(_) => {
                return Prelude::Reply(error_reply(
                    400,
                    "invalid_request_error",
                    None,
                    "We could not parse the JSON body of your request.",
                ));
            }
        }
    };
    let recorded = RecordedRequest {
        body: body.clone(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                let value = if k.as_str() == "authorization" {
                    "Bearer <redacted>".to_owned()
                } else {
                    v.to_str().unwrap_or("<binary>").to_owned()
                };
                (k.as_str().to_owned(), value)
            })
            .collect(),
    };
    let model = body.get("model").and_then(Value::as_str).map(str::to_owned);
    let (latency, fault, id) = {
        let mut inner = shared.lock();
        inner.requests.entry(endpoint).or_default().push(recorded);
        inner.counter += 1;
        let id = inner.counter;
        let latency = inner.latency.get(&endpoint).copied();
        let fault = inner.faults.get_mut(&endpoint).and_then(|queue| {
            let index = queue
                .iter()
                .position(|s| s.model.is_none() || s.model == model)?;
            queue.remove(index).map(|s| s.fault)
        });
        (latency, fault, id)
    };
    let authorised = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|key| !key.trim().is_empty());
    if !authorised {
        return Prelude::Reply(error_reply(
            401,
            "invalid_request_error",
            Some("invalid_api_key"),
            "You didn't provide an API key.",
        ));
    }
    if let Some(latency) = latency.filter(|l| !l.is_zero()) {
        tokio::time::sleep(latency).await;
    }
    let normal = |malformed: bool, refusal: bool| Prelude::Normal {
        body: body.clone(),
        id,
        malformed,
        refusal,
    };
    let Some(fault) = fault else {
        return normal(false, false);
    };
    match fault {
        Fault::RateLimited { retry_after_secs } => {
            let mut response = error_reply(
                429,
                "requests",
                Some("rate_limit_exceeded"),
                "Rate limit reached for requests. Please try again later.",
            );
            if let Some(secs) = retry_after_secs
                && let Ok(value) = secs.to_string().parse()
            {
                response.headers_mut().insert("retry-after", value);
            }
            Prelude::Reply(response)
        }
        Fault::ServerError(status) => Prelude::Reply(error_reply(
            status,
            "server_error",
            None,
            "The server had an error while processing your request.",
        )),
        Fault::DropConnection => Prelude::Reply(dropped_connection()),
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            normal(false, false)
        }
        Fault::MalformedJson if endpoint == Endpoint::Chat => normal(true, false),
        Fault::MalformedJson => Prelude::Reply(
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                "{\"data\": [{\"b64_json\": ",
            )
                .into_response(),
        ),
        Fault::Refusal if endpoint == Endpoint::Chat => normal(false, true),
        Fault::ContentPolicy | Fault::Refusal => Prelude::Reply(error_reply(
            400,
            "invalid_request_error",
            Some("content_policy_violation"),
            "Your request was rejected as a result of our safety system.",
        )),
        Fault::ModerationBlocked => Prelude::Reply(error_reply(
            400,
            "invalid_request_error",
            Some("moderation_blocked"),
            "Your request was rejected by the safety system.",
        )),
        Fault::InsufficientQuota => Prelude::Reply(error_reply(
            429,
            "insufficient_quota",
            Some("insufficient_quota"),
            "You exceeded your current quota, please check your plan and billing details.",
        )),
        Fault::Unauthorized => Prelude::Reply(error_reply(
            401,
            "invalid_request_error",
            Some("invalid_api_key"),
            "Incorrect API key provided.",
        )),
        Fault::Custom { status, body } => Prelude::Reply(json_reply(status, &body)),
    }
}

/// A 200 whose body stream fails: the server drops the connection mid-reply.
fn dropped_connection() -> Response {
    let stream = futures::stream::iter(vec![
        Ok::<Bytes, std::io::Error>(Bytes::from_static(b"{\"id\": \"")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fake connection drop",
        )),
    ]);
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn chat(State(shared): State<Shared>, headers: HeaderMap, raw: Bytes) -> Response {
    match prelude(&shared, Endpoint::Chat, &headers, &raw).await {
        Prelude::Reply(r) => r,
        Prelude::Normal {
            body,
            id,
            malformed,
            refusal,
        } => replies::chat(&body, id, malformed, refusal),
    }
}

async fn speech(State(shared): State<Shared>, headers: HeaderMap, raw: Bytes) -> Response {
    match prelude(&shared, Endpoint::Speech, &headers, &raw).await {
        Prelude::Reply(r) => r,
        Prelude::Normal { body, .. } => replies::speech(&body),
    }
}

async fn images(State(shared): State<Shared>, headers: HeaderMap, raw: Bytes) -> Response {
    match prelude(&shared, Endpoint::Images, &headers, &raw).await {
        Prelude::Reply(r) => r,
        Prelude::Normal { body, .. } => replies::images(&body),
    }
}

async fn moderations(State(shared): State<Shared>, headers: HeaderMap, raw: Bytes) -> Response {
    match prelude(&shared, Endpoint::Moderations, &headers, &raw).await {
        Prelude::Reply(r) => r,
        Prelude::Normal { body, id, .. } => replies::moderations(&body, id),
    }
}

async fn models(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    match prelude(&shared, Endpoint::Models, &headers, &[]).await {
        Prelude::Reply(r) => r,
        Prelude::Normal { .. } => {
            let list = shared.lock().models.clone();
            replies::models(&list)
        }
    }
}

/// The admin JSON form of a fault.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FaultSpec {
    RateLimited {
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    ServerError {
        #[serde(default = "default_server_status")]
        status: u16,
    },
    DropConnection,
    Slow {
        ms: u64,
    },
    MalformedJson,
    ContentPolicy,
    ModerationBlocked,
    InsufficientQuota,
    Unauthorized,
    Refusal,
    Custom {
        status: u16,
        #[serde(default)]
        body: Value,
    },
}

fn default_server_status() -> u16 {
    500
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Self {
        match spec {
            FaultSpec::RateLimited { retry_after_secs } => Fault::RateLimited { retry_after_secs },
            FaultSpec::ServerError { status } => Fault::ServerError(status),
            FaultSpec::DropConnection => Fault::DropConnection,
            FaultSpec::Slow { ms } => Fault::Slow(Duration::from_millis(ms)),
            FaultSpec::MalformedJson => Fault::MalformedJson,
            FaultSpec::ContentPolicy => Fault::ContentPolicy,
            FaultSpec::ModerationBlocked => Fault::ModerationBlocked,
            FaultSpec::InsufficientQuota => Fault::InsufficientQuota,
            FaultSpec::Unauthorized => Fault::Unauthorized,
            FaultSpec::Refusal => Fault::Refusal,
            FaultSpec::Custom { status, body } => Fault::Custom { status, body },
        }
    }
}

#[derive(Debug, Deserialize)]
struct FaultsBody {
    endpoint: Endpoint,
    #[serde(default)]
    model: Option<String>,
    faults: Vec<FaultSpec>,
}

fn admin_error(message: &str) -> Response {
    json_reply(400, &json!({"error": message}))
}

async fn admin_faults(State(shared): State<Shared>, raw: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<FaultsBody>(&raw) else {
        return admin_error("expected {endpoint, model?, faults: [{type, ...}]}");
    };
    let mut inner = shared.lock();
    let queue = inner.faults.entry(body.endpoint).or_default();
    let added = body.faults.len();
    for spec in body.faults {
        queue.push_back(Scripted {
            fault: spec.into(),
            model: body.model.clone(),
        });
    }
    json_reply(200, &json!({"queued": added, "pending": queue.len()}))
}

#[derive(Debug, Deserialize)]
struct LatencyBody {
    endpoint: Endpoint,
    ms: u64,
}

async fn admin_latency(State(shared): State<Shared>, raw: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<LatencyBody>(&raw) else {
        return admin_error("expected {endpoint, ms}");
    };
    shared
        .lock()
        .latency
        .insert(body.endpoint, Duration::from_millis(body.ms));
    json_reply(200, &json!({"ok": true}))
}

async fn admin_requests(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let inner = shared.lock();
    match query.get("endpoint") {
        Some(name) => match Endpoint::parse(name) {
            Some(endpoint) => json_reply(
                200,
                &json!(inner.requests.get(&endpoint).cloned().unwrap_or_default()),
            ),
            None => admin_error("unknown endpoint"),
        },
        None => {
            let all: BTreeMap<&str, &Vec<RecordedRequest>> = inner
                .requests
                .iter()
                .map(|(e, r)| (e.as_str(), r))
                .collect();
            json_reply(200, &json!(all))
        }
    }
}

async fn admin_reset(State(shared): State<Shared>) -> Response {
    *shared.lock() = Inner::default();
    json_reply(200, &json!({"ok": true}))
}

#[derive(Debug, Deserialize)]
struct ModelBody {
    id: String,
    #[serde(default)]
    shutdown_date: Option<NaiveDate>,
}

async fn admin_models(State(shared): State<Shared>, raw: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<ModelBody>(&raw) else {
        return admin_error("expected {id, shutdown_date: \"YYYY-MM-DD\" | null}");
    };
    set_model(&shared, &body.id, body.shutdown_date);
    json_reply(200, &json!({"ok": true}))
}
