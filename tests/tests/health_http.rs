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

mod provider {
    use super::*;
    use testkit::{Endpoint, FakeOpenAi, Fault};

    async fn server(fake: &FakeOpenAi) -> TestServer {
        let base = format!(
            "{}/v1",
            fake.base_url()
                .trim_end_matches('/')
                .trim_end_matches("/v1")
        );
        TestServer::start_with(
            &[
                ("OPENAI_API_KEY", "sk-test-not-real"),
                ("OPENAI_BASE_URL", &base),
            ],
            None,
        )
        .await
    }

    async fn health(s: &TestServer, force: bool) -> (StatusCode, Value) {
        let mut req = client().get(s.url("health", ""));
        if force {
            req = req.header("x-health-check", "true");
        }
        let r = req.send().await.expect("health");
        let status = r.status();
        (status, r.json().await.expect("json"))
    }

    #[tokio::test]
    async fn the_provider_check_lists_models_and_is_cached_for_a_minute() {
        let fake = FakeOpenAi::start().await;
        let s = server(&fake).await;
        let (status, v) = health(&s, false).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let openai = &v["checks"]["openai"];
        assert_eq!(openai["status"], "healthy");
        assert_eq!(openai["provider"], "openai");
        assert_eq!(openai["cached"], false);
        let models = openai["models"].as_array().expect("models");
        let tts = models
            .iter()
            .find(|m| m["id"] == "tts-1")
            .expect("tts-1 reported");
        assert_eq!(tts["shutdown_date"], "2027-01-06");
        assert!(
            !v.to_string().contains("sk-test-not-real"),
            "no key in the body"
        );
        let (_, v) = health(&s, false).await;
        assert_eq!(v["checks"]["openai"]["cached"], true);
        assert_eq!(
            fake.requests(Endpoint::Models).len(),
            1,
            "the second check reused the cache"
        );
        let (_, v) = health(&s, true).await;
        assert_eq!(
            v["checks"]["openai"]["cached"], false,
            "X-Health-Check forces a live call"
        );
        assert_eq!(fake.requests(Endpoint::Models).len(), 2);
        let auth = fake.requests(Endpoint::Models)[0]
            .headers
            .get("authorization")
            .cloned();
        assert!(
            auth.is_some_and(|a| a.starts_with("Bearer ")),
            "the call is authenticated"
        );
    }

    #[tokio::test]
    async fn a_model_retiring_within_thirty_days_makes_health_degraded() {
        let fake = FakeOpenAi::start().await;
        let s = server(&fake).await;
        let soon = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
        fake.set_shutdown_date("gpt-4o-mini", Some(soon));
        let (status, v) = health(&s, true).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(v["status"], "degraded");
        let m = v["checks"]["openai"]["models"]
            .as_array()
            .expect("models")
            .iter()
            .find(|m| m["id"] == "gpt-4o-mini")
            .cloned()
            .expect("mini");
        assert_eq!(m["status"], "retiring");
        assert_eq!(m["days_left"], 10);
    }

    #[tokio::test]
    async fn a_failing_provider_makes_health_degraded_without_leaking_details() {
        let fake = FakeOpenAi::start().await;
        let s = server(&fake).await;
        fake.script(Endpoint::Models, vec![Fault::Unauthorized]);
        let (status, v) = health(&s, true).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(v["checks"]["openai"]["status"], "unhealthy");
        assert!(
            !v.to_string().contains(&fake.base_url()),
            "no internal addresses"
        );
    }
}

#[test]
fn lifecycle_flags_past_near_and_missing_models() {
    use chrono::NaiveDate;
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    let served = vec![
        providers::ModelInfo {
            id: "a".into(),
            shutdown_date: NaiveDate::from_ymd_opt(2027, 6, 1),
        },
        providers::ModelInfo {
            id: "b".into(),
            shutdown_date: NaiveDate::from_ymd_opt(2026, 12, 20),
        },
        providers::ModelInfo {
            id: "c".into(),
            shutdown_date: NaiveDate::from_ymd_opt(2026, 5, 12),
        },
    ];
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(health::model_lifecycle(&ids(&["a"]), &served, today).0);
    let (ok, detail) = health::model_lifecycle(&ids(&["a", "b", "c", "d"]), &served, today);
    assert!(!ok);
    let statuses: Vec<_> = detail
        .iter()
        .map(|d| d["status"].as_str().expect("status").to_string())
        .collect();
    assert_eq!(
        statuses,
        vec!["healthy", "retiring", "shut_down", "unavailable"]
    );
}
