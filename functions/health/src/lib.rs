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

/// How long a provider check result is reused (SPEC §5.8).
pub const PROVIDER_CHECK_TTL: Duration = Duration::from_secs(60);
/// A configured model whose shutdown is this close turns health `degraded`.
pub const SHUTDOWN_WARNING_DAYS: i64 = 30;

/// The `health` function.
pub struct App {
    gateway: Gateway,
    deps: Deps,
    provider_cache: tokio::sync::Mutex<Option<(Instant, Value)>>,
}

/// Judges the configured models against the provider's model list: each model's
/// `shutdown_date`, `unhealthy` when it is past, within [`SHUTDOWN_WARNING_DAYS`] or the
/// model is not served at all.
pub fn model_lifecycle(
    configured: &[String],
    served: &[providers::ModelInfo],
    today: chrono::NaiveDate,
) -> (bool, Vec<Value>) {
    let mut healthy = true;
    let mut out = Vec::new();
    for id in configured {
        let entry = served.iter().find(|m| &m.id == id);
        let (status, date, days_left) = match entry {
            None => ("unavailable", None, None),
            Some(m) => match m.shutdown_date {
                None => ("healthy", None, None),
                Some(d) => {
                    let left = (d - today).num_days();
                    let status = if left < 0 {
                        "shut_down"
                    } else if left <= SHUTDOWN_WARNING_DAYS {
                        "retiring"
                    } else {
                        "healthy"
                    };
                    (status, Some(d.to_string()), Some(left))
                }
            },
        };
        if status != "healthy" {
            healthy = false;
        }
        out.push(
            json!({ "id": id, "status": status, "shutdown_date": date, "days_left": days_left }),
        );
    }
    (healthy, out)
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
            provider_cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The provider check: a cheap authenticated call (the model list), cached for 60 s
    /// unless `force` (`X-Health-Check: true`, used to verify a rotated key).
    async fn provider_check(&self, force: bool) -> Value {
        let Some(config) = &self.deps.provider_config else {
            return json!({ "status": "healthy", "latency_ms": 0, "provider": "offline" });
        };
        let mut cache = self.provider_cache.lock().await;
        if !force
            && let Some((at, value)) = cache.as_ref()
            && at.elapsed() < PROVIDER_CHECK_TTL
        {
            let mut v = value.clone();
            v["cached"] = json!(true);
            return v;
        }
        let started = Instant::now();
        let listed =
            tokio::time::timeout(PROBE_TIMEOUT, self.deps.providers.catalog.list_models()).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let value = match listed {
            Ok(Ok(models)) => {
                let today = chrono::Utc::now().date_naive();
                let (ok, lifecycle) = model_lifecycle(&config.model_ids(), &models, today);
                json!({
                    "status": if ok { "healthy" } else { "unhealthy" },
                    "latency_ms": latency_ms,
                    "provider": "openai",
                    "models": lifecycle,
                })
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "provider health check failed");
                json!({ "status": "unhealthy", "latency_ms": latency_ms, "provider": "openai", "message": e.kind() })
            }
            Err(_) => {
                json!({ "status": "unhealthy", "latency_ms": latency_ms, "provider": "openai", "message": "timed out" })
            }
        };
        *cache = Some((Instant::now(), value.clone()));
        let mut v = value;
        v["cached"] = json!(false);
        v
    }

    async fn check(&self, ctx: Ctx) -> Result<Reply, ApiError> {
        if !ctx.segments.is_empty() {
            return Err(ApiError::not_found("Route"));
        }
        if ctx.method != Method::GET && ctx.method != Method::POST && ctx.method != Method::HEAD {
            return Err(ApiError::method_not_allowed());
        }
        let health = &self.deps.backend.health;
        let force = ctx
            .header("x-health-check")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let (database, storage, openai) = tokio::join!(
            timed(health.probe_database()),
            timed(health.probe_storage()),
            self.provider_check(force)
        );
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
