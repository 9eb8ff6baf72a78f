//! CloudWatch Embedded Metric Format: one JSON line per invocation, so dashboards and the
//! seed's alarms (error rate > 5 %, p95 > 5 s) need no log parsing.

use serde_json::{Value, json};

/// The metric namespace.
pub const NAMESPACE: &str = "InfiniteStories";

/// What one invocation measured.
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

/// Writes EMF lines to stdout (where Lambda's log agent picks them up) when enabled.
#[derive(Debug, Clone, Copy)]
pub struct Emitter {
    enabled: bool,
}

impl Emitter {
    /// `enabled` in Lambda; locally lines go to debug logs instead.
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
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
        if self.enabled {
            println!("{doc}");
        } else {
            tracing::debug!(emf = %doc, "metrics");
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
