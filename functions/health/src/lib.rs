//! `health` (SPEC §5.8): `GET /` or `POST /` without authentication answers
//! `{"status": "healthy"|"degraded", "checks": {...}, "version", "timestamp"}` — 200 when every
//! check passes, 503 otherwise. Each check reports `status` and `latency_ms`; no secrets,
//! paths or internal addresses appear in the body.

use async_trait::async_trait;
use edge::{
    ApiError, AuthMode, Body, Ctx, Function, FunctionName, Gateway, Reply, Request, Response,
};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant};
use storage::Probe;
use wiring::Deps;

/// How long one dependency probe may take before it counts as failed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The `health` function.
pub struct App {
    gateway: Gateway,
    deps: Deps,
}

async fn timed<F: Future<Output = Probe>>(probe: F) -> Value {
    let started = Instant::now();
    let result = tokio::time::timeout(PROBE_TIMEOUT, probe)
        .await
        .unwrap_or_else(|_| Probe::failed("timed out"));
    let mut check = json!({
        "status": if result.healthy { "healthy" } else { "unhealthy" },
        "latency_ms": started.elapsed().as_millis() as u64,
    });
    if let Some(d) = result.detail {
        check["message"] = json!(d);
    }
    check
}

impl App {
    /// Builds the function from shared dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            gateway: deps.gateway(FunctionName::Health),
            deps,
        }
    }

    async fn check(&self, ctx: Ctx) -> Result<Reply, ApiError> {
        if !ctx.segments.is_empty() {
            return Err(ApiError::not_found("Route"));
        }
        if ctx.method != Method::GET && ctx.method != Method::POST && ctx.method != Method::HEAD {
            return Err(ApiError::method_not_allowed());
        }
        let health = &self.deps.backend.health;
        let (database, storage) = tokio::join!(
            timed(health.probe_database()),
            timed(health.probe_storage())
        );
        let openai = json!({
            "status": "healthy",
            "latency_ms": 0,
            "provider": if self.deps.settings.openai_api_key.is_some() { "openai" } else { "offline" },
        });
        let checks = json!({ "database": database, "storage": storage, "openai": openai });
        let healthy = checks
            .as_object()
            .map(|m| m.values().all(|c| c["status"] == "healthy"))
            .unwrap_or(false);
        let body = json!({
            "status": if healthy { "healthy" } else { "degraded" },
            "checks": checks,
            "version": env!("CARGO_PKG_VERSION"),
            "environment": self.deps.settings.environment.as_str(),
            "storage_backend": self.deps.backend.kind,
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        if !healthy {
            tracing::warn!(database = %body["checks"]["database"]["status"], storage = %body["checks"]["storage"]["status"], "health degraded");
        }
        let status = if healthy {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        Ok(Reply::raw(status, body))
    }
}

#[async_trait]
impl Function for App {
    fn name(&self) -> FunctionName {
        FunctionName::Health
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        self.gateway
            .serve(req, AuthMode::Public, |ctx| self.check(ctx))
            .await
    }
}
