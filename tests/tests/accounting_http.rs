//! Rate limits, the usage ledger, reports and idempotency over HTTP with concurrent clients.

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{TestServer, client, token};
use testkit::{Endpoint, FakeOpenAi, Fault};

const HERO_ID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

async fn put_hero(s: &TestServer, user: &str) {
    let r = client()
        .put(s.url("heroes", &format!("/{HERO_ID}")))
        .bearer_auth(token(user))
        .body(
            json!({"name": "Luna", "primary_trait": "Brave", "secondary_trait": "Kind"})
                .to_string(),
        )
        .send()
        .await
        .expect("put hero");
    assert!(r.status().is_success());
}

fn story_body(regenerate: bool) -> Value {
    json!({"hero_id": HERO_ID, "event": {"type": "built_in", "data": {"name": "Bedtime Adventure"}}, "target_duration": 120, "regenerate": regenerate})
}

async fn fake_server(fake: &FakeOpenAi, extra: &[(&str, &str)]) -> TestServer {
    let base = format!(
        "{}/v1",
        fake.base_url()
            .trim_end_matches('/')
            .trim_end_matches("/v1")
    );
    let mut vars = vec![
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", base.as_str()),
    ];
    vars.extend_from_slice(extra);
    TestServer::start_with(&vars, None).await
}

async fn ledger(s: &TestServer) -> Vec<storage::UsageRecord> {
    let now = chrono::Utc::now();
    s.deps
        .backend
        .usage
        .usage_between(
            None,
            now - chrono::Duration::hours(1),
            now + chrono::Duration::hours(1),
        )
        .await
        .expect("ledger")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_story_requests_against_a_limit_of_ten() {
    let s = TestServer::start().await;
    put_hero(&s, "crowd").await;
    put_hero(&s, "bystander").await;
    let url = s.url("story-generation", "");
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let r = client()
                .post(url)
                .bearer_auth(token("crowd"))
                .body(story_body(true).to_string())
                .send()
                .await
                .expect("post");
            let status = r.status();
            let h = r.headers().clone();
            let v: Value = r.json().await.expect("json");
            (status, h, v)
        }));
    }
    let mut ok = 0;
    let mut limited = 0;
    for t in tasks {
        let (status, h, v) = t.await.expect("join");
        assert_eq!(h["x-ratelimit-limit"], "10");
        assert!(h.contains_key("x-ratelimit-reset"));
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert_eq!(v["error"]["code"], "RATE_LIMITED");
                let retry = v["error"]["retry_after"].as_u64().expect("retry_after");
                assert!((1..=3600).contains(&retry));
                assert_eq!(h["retry-after"].to_str().expect("ascii"), retry.to_string());
                assert_eq!(h["x-ratelimit-remaining"], "0");
            }
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!((ok, limited), (10, 90));
    let r = client()
        .post(&url)
        .bearer_auth(token("bystander"))
        .body(story_body(true).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK, "another user is unaffected");
    let rows = ledger(&s).await;
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == storage::UsageStatus::RateLimited)
            .count(),
        90,
        "refusals are in the ledger"
    );
}

#[tokio::test]
async fn every_paid_call_is_in_the_ledger_once_and_the_report_adds_up() {
    let fake = FakeOpenAi::start().await;
    let s = fake_server(&fake, &[]).await;
    put_hero(&s, "metered").await;
    let r = client()
        .post(s.url("story-generation", ""))
        .bearer_auth(token("metered"))
        .body(story_body(false).to_string())
        .send()
        .await
        .expect("post");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["meta"]["provider"], "openai", "{v}");
    let rows = ledger(&s).await;
    let chat_calls = fake.requests(Endpoint::Chat).len();
    let moderation_calls = fake.requests(Endpoint::Moderations).len();
    assert_eq!(
        rows.len(),
        chat_calls + moderation_calls,
        "one ledger row per AI call (hero screening included)"
    );
    let story_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.function_name == "story-generation")
        .collect();
    assert!(
        rows.iter().any(|r| r.function_name == "heroes"),
        "hero text moderation is metered too"
    );
    for row in &story_rows {
        assert_eq!(row.request_id, story_rows[0].request_id);
        assert_eq!(row.user_id, "metered");
        if row.model.starts_with("gpt-4o") {
            assert!(
                row.cost_estimate.expect("priced") > 0.0,
                "text calls cost money"
            );
            assert!(row.tokens_used > 0);
        } else {
            assert_eq!(row.cost_estimate, Some(0.0), "moderation is free");
        }
    }
    // a cache hit is recorded at zero cost
    client()
        .post(s.url("story-generation", ""))
        .bearer_auth(token("metered"))
        .body(story_body(false).to_string())
        .send()
        .await
        .expect("post");
    let rows = ledger(&s).await;
    let cached: Vec<_> = rows.iter().filter(|r| r.cached).collect();
    assert_eq!(cached.len(), 1);
    assert_eq!(cached[0].cost_estimate, Some(0.0));

    let now = chrono::Utc::now();
    let args = admin::parse_usage_args(&["--since".into(), "1h".into()], now).expect("args");
    let report = admin::usage_report(&s.deps.backend, &args)
        .await
        .expect("report");
    let sum: f64 = rows.iter().filter_map(|r| r.cost_estimate).sum();
    assert!((report.total.total_cost - sum).abs() < 1e-6);
    assert_eq!(report.total.requests as usize, rows.len());
    let story = report
        .functions
        .iter()
        .find(|f| f.function_name == "story-generation")
        .expect("row");
    assert_eq!(story.cache_hits, 1);
    assert_eq!(
        story.total_tokens,
        rows.iter()
            .filter(|r| r.function_name == "story-generation")
            .map(|r| r.tokens_used)
            .sum::<u64>()
    );
    assert!(admin::render(&report, false).contains("story-generation"));
    let json: Value = serde_json::from_str(&admin::render(&report, true)).expect("json report");
    assert!(json["functions"].is_array());
}

#[tokio::test]
async fn test_mode_runs_offline_and_charges_nothing() {
    let fake = FakeOpenAi::start().await;
    let s = fake_server(&fake, &[("RATE_LIMIT_STORY_GENERATION", "1")]).await;
    put_hero(&s, "smoke").await;
    for _ in 0..3 {
        let r = client()
            .post(s.url("story-generation", ""))
            .bearer_auth(token("smoke"))
            .header("x-test-mode", "true")
            .body(story_body(true).to_string())
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["meta"]["provider"], "offline");
    }
    assert!(fake.requests(Endpoint::Chat).is_empty(), "no paid call");
    assert!(
        ledger(&s)
            .await
            .iter()
            .all(|r| r.cost_estimate == Some(0.0))
    );
}

#[tokio::test]
async fn a_request_that_fails_before_paid_work_is_refunded() {
    let fake = FakeOpenAi::start().await;
    let s = fake_server(
        &fake,
        &[
            ("RATE_LIMIT_STORY_GENERATION", "2"),
            ("ENABLE_AI_CONTENT_FILTERING", "false"),
        ],
    )
    .await;
    put_hero(&s, "refund").await;
    fake.script(Endpoint::Chat, vec![Fault::Unauthorized]);
    let r = client()
        .post(s.url("story-generation", ""))
        .bearer_auth(token("refund"))
        .body(story_body(true).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    for _ in 0..2 {
        let r = client()
            .post(s.url("story-generation", ""))
            .bearer_auth(token("refund"))
            .body(story_body(true).to_string())
            .send()
            .await
            .expect("post");
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "the failed request was not charged"
        );
    }
    let r = client()
        .post(s.url("story-generation", ""))
        .bearer_auth(token("refund"))
        .body(story_body(true).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_idempotency_key_makes_one_story_and_one_charge() {
    let fake = FakeOpenAi::start().await;
    let s = fake_server(&fake, &[("ENABLE_AI_CONTENT_FILTERING", "false")]).await;
    put_hero(&s, "idem").await;
    let send = |body: Value, key: &'static str| {
        let url = s.url("story-generation", "");
        async move {
            let r = client()
                .post(url)
                .bearer_auth(token("idem"))
                .header("idempotency-key", key)
                .body(body.to_string())
                .send()
                .await
                .expect("post");
            let status = r.status();
            (status, r.json::<Value>().await.expect("json"))
        }
    };
    let (s1, first) = send(story_body(true), "key-1").await;
    assert_eq!(s1, StatusCode::OK);
    let calls = fake.requests(Endpoint::Chat).len();
    let rows = ledger(&s).await.len();
    let (s2, replay) = send(story_body(true), "key-1").await;
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(
        replay["data"]["story_id"], first["data"]["story_id"],
        "the stored response is replayed"
    );
    assert_eq!(replay["meta"]["idempotent_replay"], true);
    assert_eq!(
        fake.requests(Endpoint::Chat).len(),
        calls,
        "no second story"
    );
    assert_eq!(ledger(&s).await.len(), rows, "no second charge");
    let (s3, v) = send(story_body(false), "key-1").await;
    assert_eq!(s3, StatusCode::CONFLICT, "same key, different body: {v}");

    // a retry while the first is still running
    fake.set_latency(Endpoint::Chat, std::time::Duration::from_millis(800));
    let slow = tokio::spawn(send(story_body(true), "key-2"));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (s4, v) = send(story_body(true), "key-2").await;
    assert_eq!(s4, StatusCode::CONFLICT, "in flight: {v}");
    let (s5, _) = slow.await.expect("join");
    assert_eq!(s5, StatusCode::OK);

    let (s6, v) = send(story_body(true), "").await;
    assert_eq!(s6, StatusCode::OK, "an empty key is ignored: {v}");
}

#[tokio::test]
async fn every_invocation_emits_one_emf_line_with_function_and_environment() {
    let fake = FakeOpenAi::start().await;
    let s = fake_server(&fake, &[("RATE_LIMIT_STORY_GENERATION", "1")]).await;
    put_hero(&s, "emf").await;
    client()
        .get(s.url("health", ""))
        .send()
        .await
        .expect("health");
    client()
        .post(s.url("story-generation", ""))
        .bearer_auth(token("emf"))
        .body(story_body(true).to_string())
        .send()
        .await
        .expect("story");
    client()
        .post(s.url("story-generation", ""))
        .bearer_auth(token("emf"))
        .body(story_body(true).to_string())
        .send()
        .await
        .expect("story");
    let docs = s.emf.lock().expect("lock").clone();
    assert_eq!(docs.len(), 4, "heroes PUT, health, two stories");
    for d in &docs {
        assert_eq!(
            d["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "InfiniteStories"
        );
        assert_eq!(d["Environment"], "development");
        assert_eq!(d["Invocations"], 1);
    }
    let stories: Vec<&Value> = docs
        .iter()
        .filter(|d| d["Function"] == "story-generation")
        .collect();
    assert_eq!(stories.len(), 2);
    assert!(stories[0]["Tokens"].as_u64().expect("tokens") > 0);
    assert!(stories[0]["CostUSD"].as_f64().expect("cost") > 0.0);
    assert_eq!(stories[1]["RateLimited"], 1);
    assert_eq!(stories[1]["status"], 429);
}
