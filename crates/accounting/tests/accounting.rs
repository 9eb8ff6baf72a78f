//! Accounting against the embedded backend with an injected clock.

use accounting::{
    Cache, CacheKind, CallRecord, Decision, IdemOutcome, Idempotency, Ledger, RateLimiter, Report,
    request_hash,
};
use chrono::{Duration, TimeZone, Utc};
use config::{FunctionName, RateLimits};
use domain::{Clock, FixedClock, UserId};
use providers::{ProviderKind, Usage};
use serde_json::json;
use std::sync::Arc;
use storage::{StoredResponse, UsageStatus};

async fn backend(clock: Arc<dyn Clock>) -> (storage::Backend, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = url::Url::parse("http://127.0.0.1:1").expect("url");
    let (b, _) = storage::embedded::open(dir.path(), &base, clock)
        .await
        .expect("open");
    (b, dir)
}

fn limits() -> RateLimits {
    RateLimits {
        story_generation: 10,
        audio_synthesis: 15,
        avatar_generation: 8,
        scene_illustration: 25,
        extract_scenes: 20,
    }
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 15, 0)
            .single()
            .expect("date"),
    ))
}

fn user(s: &str) -> UserId {
    UserId::parse(s).expect("user")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_parallel_requests_against_ten_let_exactly_ten_through() {
    let c = clock();
    let (b, _d) = backend(c.clone()).await;
    let rl = RateLimiter::new(b.rate_limits.clone(), limits(), 3600, c.clone());
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let rl = rl.clone();
        tasks.push(tokio::spawn(async move {
            rl.check(&user("busy"), FunctionName::StoryGeneration, 1)
                .await
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        match t.await.expect("join").expect("check") {
            Decision::Allowed(_) => allowed += 1,
            Decision::Limited {
                limit,
                remaining,
                retry_after,
                reset_epoch,
            } => {
                assert_eq!(limit, 10);
                assert_eq!(remaining, 0);
                assert_eq!(retry_after, 45 * 60, "window resets at the top of the hour");
                assert_eq!(reset_epoch, c.now().timestamp() + 45 * 60);
            }
        }
    }
    assert_eq!(allowed, 10);
    assert!(
        matches!(
            rl.check(&user("other"), FunctionName::StoryGeneration, 1)
                .await
                .expect("check"),
            Decision::Allowed(_)
        ),
        "another user is unaffected"
    );
}

#[tokio::test]
async fn refunds_give_capacity_back_and_windows_roll_over() {
    let c = clock();
    let (b, _d) = backend(c.clone()).await;
    let rl = RateLimiter::new(b.rate_limits.clone(), limits(), 3600, c.clone());
    let u = user("refund");
    let Decision::Allowed(t) = rl
        .check(&u, FunctionName::SceneIllustration, 20)
        .await
        .expect("check")
    else {
        panic!("first 20 images fit in 25");
    };
    assert_eq!(t.remaining, 5);
    assert!(matches!(
        rl.check(&u, FunctionName::SceneIllustration, 6)
            .await
            .expect("check"),
        Decision::Limited { .. }
    ));
    rl.refund_units(&t, 3).await;
    let Decision::Allowed(t2) = rl
        .check(&u, FunctionName::SceneIllustration, 6)
        .await
        .expect("check")
    else {
        panic!("refunded units are usable");
    };
    assert_eq!(t2.remaining, 2);
    c.advance(Duration::hours(1));
    let Decision::Allowed(t3) = rl
        .check(&u, FunctionName::SceneIllustration, 25)
        .await
        .expect("check")
    else {
        panic!("a new window starts empty");
    };
    assert_eq!(t3.remaining, 0);
}

#[tokio::test]
async fn the_ledger_prices_calls_and_the_report_adds_them_up() {
    let c = clock();
    let (b, _d) = backend(c.clone()).await;
    let ledger = Ledger::new(b.usage.clone(), c.clone());
    let u = user("ledger");
    let call =
        |function: &'static str, model: &'static str, provider, usage: Usage, status, cached| {
            CallRecord {
                function,
                user: &u,
                request_id: "req-1",
                model,
                provider,
                usage,
                image_size: Some("1024x1024"),
                image_quality: Some("standard"),
                response_time_ms: 1000,
                status,
                cached,
            }
        };
    let tokens = Usage {
        prompt_tokens: 1_000,
        completion_tokens: 2_000,
        characters: 0,
        images: 0,
    };
    let r1 = ledger
        .record(&call(
            "story-generation",
            "gpt-4o",
            ProviderKind::OpenAi,
            tokens,
            UsageStatus::Success,
            false,
        ))
        .await;
    assert!(
        (r1.cost_estimate.expect("priced") - (1_000.0 * 2.5 + 2_000.0 * 10.0) / 1e6).abs() < 1e-12
    );
    let r2 = ledger
        .record(&call(
            "story-generation",
            "gpt-4o",
            ProviderKind::OpenAi,
            tokens,
            UsageStatus::Success,
            true,
        ))
        .await;
    assert_eq!(r2.cost_estimate, Some(0.0), "cache hits cost nothing");
    let r3 = ledger
        .record(&call(
            "story-generation",
            "offline-story",
            ProviderKind::Offline,
            tokens,
            UsageStatus::Success,
            false,
        ))
        .await;
    assert_eq!(
        r3.cost_estimate,
        Some(0.0),
        "the offline provider costs nothing"
    );
    let r4 = ledger
        .record(&call(
            "audio-synthesis",
            "mystery-tts",
            ProviderKind::OpenAi,
            Usage {
                characters: 1000,
                ..Usage::default()
            },
            UsageStatus::Success,
            false,
        ))
        .await;
    assert_eq!(
        r4.cost_estimate, None,
        "unknown models are unpriced, not free"
    );
    ledger
        .record(&call(
            "audio-synthesis",
            "tts-1",
            ProviderKind::OpenAi,
            Usage {
                characters: 10_000,
                ..Usage::default()
            },
            UsageStatus::Error,
            false,
        ))
        .await;

    let since = c.now() - Duration::hours(24);
    let until = c.now() + Duration::seconds(1);
    let records = b
        .usage
        .usage_between(None, since, until)
        .await
        .expect("query");
    assert_eq!(records.len(), 5);
    let report = Report::from_records(&records, since.to_rfc3339(), until.to_rfc3339());
    let story = report
        .functions
        .iter()
        .find(|f| f.function_name == "story-generation")
        .expect("story");
    assert_eq!(story.requests, 3);
    assert_eq!(story.cache_hits, 1);
    assert_eq!(story.total_tokens, 9_000);
    assert!((story.total_cost - 0.0225).abs() < 1e-9);
    let audio = report
        .functions
        .iter()
        .find(|f| f.function_name == "audio-synthesis")
        .expect("audio");
    assert_eq!(audio.errors, 1);
    assert_eq!(audio.unpriced_calls, 1);
    assert!(
        (audio.total_cost - 0.15).abs() < 1e-9,
        "tts-1 at $15 per 1M characters"
    );
    assert_eq!(report.total.requests, 5);
    assert!((report.total.total_cost - (story.total_cost + audio.total_cost)).abs() < 1e-9);
    assert!(report.to_table().contains("story-generation"));
}

#[tokio::test]
async fn idempotency_replays_conflicts_and_mismatches() {
    let c = clock();
    let (b, _d) = backend(c.clone()).await;
    let idem = Idempotency::new(b.idempotency.clone(), c.clone());
    let u = user("idem");
    let body = json!({"hero_id": "h", "target_duration": 300});
    let same_body_reordered: serde_json::Value =
        serde_json::from_str(r#"{"target_duration": 300, "hero_id": "h"}"#).expect("json");
    let h = request_hash("story-generation", &body);
    assert_eq!(
        h,
        request_hash("story-generation", &same_body_reordered),
        "key order does not matter"
    );
    assert_eq!(
        idem.begin(&u, "story-generation", "key-1", &h)
            .await
            .expect("begin"),
        IdemOutcome::Proceed
    );
    assert_eq!(
        idem.begin(&u, "story-generation", "key-1", &h)
            .await
            .expect("begin"),
        IdemOutcome::InFlight
    );
    let other = request_hash("story-generation", &json!({"hero_id": "x"}));
    assert_eq!(
        idem.begin(&u, "story-generation", "key-1", &other)
            .await
            .expect("begin"),
        IdemOutcome::Mismatch
    );
    let resp = StoredResponse {
        status: 200,
        data: json!({"story_id": "s"}),
    };
    idem.complete(&u, "story-generation", "key-1", &resp).await;
    assert_eq!(
        idem.begin(&u, "story-generation", "key-1", &h)
            .await
            .expect("begin"),
        IdemOutcome::Replay(resp)
    );
    assert_eq!(
        idem.begin(&u, "audio-synthesis", "key-1", &h)
            .await
            .expect("begin"),
        IdemOutcome::Proceed,
        "keys are per function"
    );
    c.advance(Duration::hours(25));
    assert_eq!(
        idem.begin(&u, "story-generation", "key-1", &h)
            .await
            .expect("begin"),
        IdemOutcome::Proceed,
        "24 h expiry"
    );
    assert!(!Idempotency::valid_key(""));
    assert!(!Idempotency::valid_key(&"k".repeat(129)));
    assert!(Idempotency::valid_key(
        "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
    ));
}

#[tokio::test]
async fn cache_kinds_have_the_seed_ttls() {
    let c = clock();
    let (b, _d) = backend(c.clone()).await;
    let cache = Cache::new(b.cache.clone(), c.clone(), 86_400, 86_400);
    let u = user("cache");
    let key = Cache::key(&["hero-v1", "bedtime", "300", "en"]);
    assert_ne!(
        key,
        Cache::key(&["hero-v1", "bedtime", "30", "0en"]),
        "parts are length-delimited"
    );
    for kind in [CacheKind::Story, CacheKind::Audio, CacheKind::Image] {
        cache
            .put(&u, kind, &key, &json!({"kind": format!("{kind:?}")}))
            .await;
    }
    c.advance(Duration::hours(25));
    assert_eq!(
        cache.get(&u, CacheKind::Story, &key).await.expect("get"),
        None,
        "stories live 24 h"
    );
    assert!(
        cache
            .get(&u, CacheKind::Audio, &key)
            .await
            .expect("get")
            .is_some()
    );
    c.advance(Duration::days(7));
    assert_eq!(
        cache.get(&u, CacheKind::Audio, &key).await.expect("get"),
        None,
        "audio lives 7 days"
    );
    assert!(
        cache
            .get(&u, CacheKind::Image, &key)
            .await
            .expect("get")
            .is_some()
    );
    c.advance(Duration::days(23));
    assert_eq!(
        cache.get(&u, CacheKind::Image, &key).await.expect("get"),
        None,
        "images live 30 days"
    );
}
