//! CloudWatch Embedded Metric Format: one JSON line per invocation, so dashboards and the
//! seed's alarms (error rate > 5 %, p95 > 5 s) need no log parsing.

use serde_json::{Value, json};

/// The metric namespace.
pub const NAMESPACE: &str = "InfiniteStories";

/// What one invocation measured (the gateway fills latency, status and error; the metered
/// pipeline adds tokens, cost, cache hits and rate-limit refusals).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvocationMetrics {
    pub latency_ms: u64,
    pub tokens: u64,
    pub cost_usd: f64,
    pub cache_hit: bool,
    pub error: bool,
    pub rate_limited: bool,
    pub status: u16,
}

/// The EMF document of one invocation (dimensions: Function, Environment).
pub fn document(
    function: &str,
    environment: &str,
    request_id: &str,
    m: &InvocationMetrics,
    timestamp_ms: i64,
) -> Value {
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function", "Environment"]],
                "Metrics": [
                    {"Name": "Latency", "Unit": "Milliseconds"},
                    {"Name": "Tokens", "Unit": "Count"},
                    {"Name": "CostUSD", "Unit": "None"},
                    {"Name": "CacheHit", "Unit": "Count"},
                    {"Name": "Error", "Unit": "Count"},
                    {"Name": "RateLimited", "Unit": "Count"},
                    {"Name": "Invocations", "Unit": "Count"}
                ]
            }]
        },
        "Function": function,
        "Environment": environment,
        "Latency": m.latency_ms,
        "Tokens": m.tokens,
        "CostUSD": m.cost_usd,
        "CacheHit": u8::from(m.cache_hit),
        "Error": u8::from(m.error),
        "RateLimited": u8::from(m.rate_limited),
        "Invocations": 1,
        "status": m.status,
        "request_id": request_id,
    })
}

/// The shared per-request metrics slot (the metered pipeline adds to it; the gateway emits).
#[derive(Debug, Clone, Default)]
pub struct MetricsSink(std::sync::Arc<std::sync::Mutex<InvocationMetrics>>);

impl MetricsSink {
    /// Adds tokens and cost of AI calls.
    pub fn add_usage(&self, tokens: u64, cost_usd: f64) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.tokens += tokens;
        m.cost_usd += cost_usd;
    }

    /// Marks the answer as served from a cache.
    pub fn cache_hit(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).cache_hit = true;
    }

    /// Marks the request as refused by the rate limiter.
    pub fn rate_limited(&self) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .rate_limited = true;
    }

    /// A copy of the current values.
    pub fn snapshot(&self) -> InvocationMetrics {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Where EMF documents go.
#[derive(Debug, Clone)]
enum Sink {
    /// Lambda: stdout, where the log agent turns them into metrics.
    Stdout,
    /// Local: debug logs.
    Log,
    /// Tests: kept in memory.
    Capture(std::sync::Arc<std::sync::Mutex<Vec<Value>>>),
}

/// Writes one EMF document per invocation.
#[derive(Debug, Clone)]
pub struct Emitter {
    sink: Sink,
}

impl Emitter {
    /// `enabled` in Lambda (stdout); locally documents go to debug logs instead.
    pub fn new(enabled: bool) -> Self {
        Self {
            sink: if enabled { Sink::Stdout } else { Sink::Log },
        }
    }

    /// An emitter that keeps documents in memory (tests).
    pub fn capture() -> (Self, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
        let store = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        (
            Self {
                sink: Sink::Capture(store.clone()),
            },
            store,
        )
    }

    /// Emits one invocation's metrics.
    pub fn emit(&self, function: &str, environment: &str, request_id: &str, m: &InvocationMetrics) {
        let doc = document(
            function,
            environment,
            request_id,
            m,
            chrono::Utc::now().timestamp_millis(),
        );
        match &self.sink {
            Sink::Stdout => println!("{doc}"),
            Sink::Log => tracing::debug!(emf = %doc, "metrics"),
            Sink::Capture(store) => store.lock().unwrap_or_else(|p| p.into_inner()).push(doc),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_declare_every_metric_they_carry() {
        let m = InvocationMetrics {
            latency_ms: 120,
            tokens: 900,
            cost_usd: 0.0123,
            cache_hit: false,
            error: true,
            rate_limited: false,
            status: 502,
        };
        let d = document(
            "story-generation",
            "production",
            "r1",
            &m,
            1_700_000_000_000,
        );
        let decl = &d["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(decl["Namespace"], NAMESPACE);
        assert_eq!(decl["Dimensions"][0], json!(["Function", "Environment"]));
        for metric in decl["Metrics"].as_array().expect("metrics") {
            let name = metric["Name"].as_str().expect("name");
            assert!(d.get(name).is_some(), "{name} has a value");
        }
        assert_eq!(d["Function"], "story-generation");
        assert_eq!(d["Error"], 1);
        assert_eq!(d["Latency"], 120);
    }
}
