//! A minimal Lambda Runtime API (the `2018-06-01` interface `lambda_runtime` polls) that
//! times cold starts: per start it spawns the function binary with the Lambda environment,
//! serves one API Gateway v2 event on the first `GET …/invocation/next`, and records the
//! `POST …/invocation/{id}/response`. Times are measured from just before `spawn` (so exec,
//! the dynamic loader and the tokio runtime are included) to the first `/next` (init done)
//! and to the response POST (first request answered). The child is then killed; a later
//! `/next` is left pending, as Lambda freezes the sandbox.

use crate::event::{HttpCall, apigw_v2};
use crate::stats::summarize;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, oneshot};

/// What to start and how often.
#[derive(Debug, Clone)]
pub struct Config {
    /// The function binary.
    pub exe: PathBuf,
    /// `AWS_LAMBDA_FUNCTION_NAME` (and the name in the report).
    pub name: String,
    /// Number of cold starts.
    pub starts: usize,
    /// The request of each start's single invocation.
    pub call: HttpCall,
    /// Each start gets a fresh `DATA_DIR` below this directory (as a fresh sandbox has an
    /// empty `/tmp`).
    pub data_root: PathBuf,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`.
    pub memory_mb: u32,
    /// Give up on a start after this long.
    pub timeout: Duration,
    /// Where the children's stdout/stderr go (appended); `None` discards them.
    pub log: Option<PathBuf>,
    /// Invocations per start (1 = cold start only; more = then warm invocations, one at a
    /// time as Lambda sends them).
    pub invocations: usize,
}

/// One start's outcome.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// Spawn → first `GET /next`, ms.
    pub init_ms: Option<f64>,
    /// Spawn → response POST, ms.
    pub total_ms: Option<f64>,
    /// `statusCode` of the function's response.
    pub status: Option<u16>,
    /// Why the start failed.
    pub error: Option<String>,
    /// Durations of the warm invocations after the first (event offered → response), ms.
    pub warm_ms: Vec<f64>,
    /// Peak resident set of the child (`VmHWM`) when its start ended, KiB.
    pub peak_rss_kib: Option<u64>,
}

struct Outcome {
    at: Instant,
    body: Bytes,
    error: bool,
}

#[derive(Default)]
struct Round {
    event: Option<(String, Vec<u8>)>,
    next_tx: Option<oneshot::Sender<Instant>>,
    done_tx: Option<oneshot::Sender<Outcome>>,
    function_name: String,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Round>>, Arc<Notify>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Round> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues the next invocation and wakes a waiting poll.
    fn offer(
        &self,
        event: (String, Vec<u8>),
        next_tx: Option<oneshot::Sender<Instant>>,
        done_tx: oneshot::Sender<Outcome>,
    ) {
        {
            let mut round = self.lock();
            round.event = Some(event);
            round.next_tx = next_tx;
            round.done_tx = Some(done_tx);
        }
        self.1.notify_one();
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(shared)
}

async fn next(State(shared): State<Shared>) -> Response {
    // Between invocations the poll waits, as in a frozen sandbox; the child is killed when
    // its start is over, which drops this future.
    let ((id, body), name) = loop {
        let taken = {
            let mut round = shared.lock();
            let event = round.event.take();
            if event.is_some()
                && let Some(tx) = round.next_tx.take()
            {
                let _ = tx.send(Instant::now());
            }
            event.map(|e| (e, round.function_name.clone()))
        };
        match taken {
            Some(t) => break t,
            None => shared.1.notified().await,
        }
    };
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", id.as_str())
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        )
        .header(
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
        )
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn finish(shared: &Shared, body: Bytes, error: bool) -> Response {
    if let Some(tx) = shared.lock().done_tx.take() {
        let _ = tx.send(Outcome {
            at: Instant::now(),
            body,
            error,
        });
    }
    (StatusCode::ACCEPTED, "{\"status\":\"OK\"}").into_response()
}

async fn response(
    State(shared): State<Shared>,
    UrlPath(_id): UrlPath<String>,
    body: Bytes,
) -> Response {
    finish(&shared, body, false)
}

async fn error(
    State(shared): State<Shared>,
    UrlPath(_id): UrlPath<String>,
    body: Bytes,
) -> Response {
    finish(&shared, body, true)
}

async fn init_error(State(shared): State<Shared>, body: Bytes) -> Response {
    finish(&shared, body, true)
}

/// `VmHWM` of `pid` in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn ms(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1e3
}

fn log_stdio(log: Option<&PathBuf>) -> (Stdio, Stdio) {
    let open = |p: &PathBuf| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .ok()
    };
    match log.and_then(open) {
        Some(file) => match file.try_clone() {
            Ok(second) => (Stdio::from(file), Stdio::from(second)),
            Err(_) => (Stdio::null(), Stdio::null()),
        },
        None => (Stdio::null(), Stdio::null()),
    }
}

/// Runs `config.starts` cold starts one after another. Each start gets its own Runtime API
/// listener and state, so a poll left pending by a killed child can never take a later
/// start's event.
pub async fn run(config: &Config) -> std::io::Result<Vec<Start>> {
    let mut starts = Vec::with_capacity(config.starts);
    for i in 0..config.starts {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::default();
        shared.lock().function_name = config.name.clone();
        let app = router(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        starts.push(one_start(config, &shared, addr, i).await);
        server.abort();
    }
    Ok(starts)
}

async fn one_start(
    config: &Config,
    shared: &Shared,
    addr: std::net::SocketAddr,
    i: usize,
) -> Start {
    let request_id = format!("00000000-0000-4000-8000-{i:012}");
    let event = apigw_v2(&config.call, &request_id).to_string().into_bytes();
    let (next_tx, mut next_rx) = oneshot::channel();
    let (done_tx, done_rx) = oneshot::channel();
    shared.offer((request_id, event), Some(next_tx), done_tx);
    let data_dir = config.data_root.join(format!("{}-{i}", config.name));
    let _ = std::fs::remove_dir_all(&data_dir);
    let (out, err) = log_stdio(config.log.as_ref());
    let mut cmd = tokio::process::Command::new(&config.exe);
    cmd.env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", &config.name)
        .env(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            config.memory_mb.to_string(),
        )
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!("2026/01/01/[$LATEST]bench{i:08}"),
        )
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", config.name),
        )
        .env("DATA_DIR", &data_dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .kill_on_drop(true);
    let t0 = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Start {
                error: Some(format!("spawn: {e}")),
                ..Start::default()
            };
        }
    };
    let mut result = Start::default();
    tokio::select! {
        done = done_rx => match done {
            Ok(outcome) => {
                result.total_ms = Some(ms(t0, outcome.at));
                let parsed: Option<Value> = serde_json::from_slice(&outcome.body).ok();
                result.status = parsed
                    .as_ref()
                    .and_then(|v| v.get("statusCode"))
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok());
                if outcome.error {
                    result.error = Some(format!(
                        "runtime error report: {}",
                        String::from_utf8_lossy(&outcome.body)
                    ));
                }
            }
            Err(_) => result.error = Some("emulator dropped the round".into()),
        },
        exited = child.wait() => {
            result.error = Some(format!("exited before answering: {exited:?}"));
        }
        () = tokio::time::sleep(config.timeout) => {
            result.error = Some(format!("no response within {:?}", config.timeout));
        }
    }
    if let Ok(at) = next_rx.try_recv() {
        result.init_ms = Some(ms(t0, at));
    }
    if result.error.is_none() {
        for j in 1..config.invocations {
            let request_id = format!("00000000-0000-4000-9000-{i:06}{j:06}");
            let event = apigw_v2(&config.call, &request_id).to_string().into_bytes();
            let (done_tx, done_rx) = oneshot::channel();
            let offered = Instant::now();
            shared.offer((request_id, event), None, done_tx);
            match tokio::time::timeout(config.timeout, done_rx).await {
                Ok(Ok(outcome)) if !outcome.error => result.warm_ms.push(ms(offered, outcome.at)),
                _ => {
                    result.error = Some(format!("warm invocation {j} failed"));
                    break;
                }
            }
        }
    }
    result.peak_rss_kib = child.id().and_then(peak_rss_kib);
    shared.lock().event = None;
    let _ = child.start_kill();
    let _ = child.wait().await;
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

/// The JSON report of one function's starts.
pub fn report(config: &Config, starts: &[Start]) -> Value {
    let init: Vec<f64> = starts.iter().filter_map(|s| s.init_ms).collect();
    let total: Vec<f64> = starts.iter().filter_map(|s| s.total_ms).collect();
    let invoke: Vec<f64> = starts
        .iter()
        .filter_map(|s| Some(s.total_ms? - s.init_ms?))
        .collect();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for s in starts {
        let key = s
            .status
            .map_or_else(|| "none".to_owned(), |c| c.to_string());
        *statuses.entry(key).or_default() += 1;
    }
    let warm: Vec<f64> = starts
        .iter()
        .flat_map(|s| s.warm_ms.iter().copied())
        .collect();
    let rss: Vec<f64> = starts
        .iter()
        .filter_map(|s| s.peak_rss_kib)
        .map(|k| k as f64 / 1024.0)
        .collect();
    let errors: Vec<&str> = starts
        .iter()
        .filter_map(|s| s.error.as_deref())
        .take(3)
        .collect();
    json!({
        "function": config.name,
        "method": config.call.method,
        "path": config.call.path,
        "starts": starts.len(),
        "answered": total.len(),
        "statuses": statuses,
        "init_ms": summarize(&init).to_json(),
        "first_response_ms": summarize(&total).to_json(),
        "invoke_ms": summarize(&invoke).to_json(),
        "invocations_per_start": config.invocations,
        "warm_invoke_ms": summarize(&warm).to_json(),
        "peak_rss_mib": summarize(&rss).to_json(),
        "errors": errors,
    })
}
