//! `health` over HTTP.

use reqwest::StatusCode;
use serde_json::Value;
use system_tests::{TestServer, client};

#[tokio::test]
async fn health_is_public_and_healthy_with_per_check_latency() {
    let s = TestServer::start().await;
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let r = client()
            .request(method, s.url("health", ""))
            .send()
            .await
            .expect("health");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().contains_key("x-request-id"));
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["status"], "healthy");
        for check in ["database", "storage", "openai"] {
            assert_eq!(v["checks"][check]["status"], "healthy", "{check}: {v}");
            assert!(v["checks"][check]["latency_ms"].is_u64(), "{check}");
        }
        assert!(v["version"].as_str().is_some());
        assert!(v["timestamp"].as_str().is_some());
        let text = v.to_string();
        assert!(
            !text.contains(&s.data_dir().display().to_string()),
            "no paths in the body"
        );
        assert!(!text.contains(system_tests::TEST_SECRET));
    }
}

#[tokio::test]
async fn health_is_503_degraded_when_the_data_directory_is_unusable() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::start().await;
    std::fs::set_permissions(s.data_dir(), std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let r = client()
        .get(s.url("health", ""))
        .send()
        .await
        .expect("health");
    std::fs::set_permissions(s.data_dir(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod back");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "degraded");
    assert_eq!(v["checks"]["database"]["status"], "unhealthy");
    assert_eq!(v["checks"]["storage"]["status"], "unhealthy");

    let r = client()
        .get(s.url("health", ""))
        .send()
        .await
        .expect("health");
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "recovers when the directory is usable again"
    );
}
