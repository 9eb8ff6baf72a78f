//! The OpenAI-compatible client against the fake server over real HTTP: fault modes, retry
//! counts, `Retry-After`, fallback, breaker, deadlines and per-family image mapping.

use domain::{FixedClock, Language, Voice};
use providers::timing::{RecordingSleeper, TokioSleeper};
use providers::{
    AudioFormat, BreakerState, ImageModel, ImageRequest, ModelCatalog, Moderator, OpenAiClient,
    ProviderConfig, ProviderError, Providers, QualityTier, SpeechModel, SpeechRequest, TextModel,
    TextPurpose, TextRequest,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use testkit::{Endpoint, FakeOpenAi, Fault};
use tokio::time::Instant;

struct Harness {
    fake: FakeOpenAi,
    client: OpenAiClient,
    sleeper: Arc<RecordingSleeper>,
    clock: Arc<FixedClock>,
}

fn base_config(fake: &FakeOpenAi) -> ProviderConfig {
    let mut config = ProviderConfig::new("sk-test-not-a-real-key").with_base_url(fake.base_url());
    config.retry.base_backoff = Duration::from_millis(100);
    config.breaker.failure_threshold = 100;
    config
}

async fn harness_with(adjust: impl FnOnce(&mut ProviderConfig)) -> Harness {
    let fake = FakeOpenAi::start().await;
    let mut config = base_config(&fake);
    adjust(&mut config);
    let sleeper = Arc::new(RecordingSleeper::new());
    let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
    let client =
        OpenAiClient::with_timing(config, clock.clone(), sleeper.clone()).expect("valid config");
    Harness {
        fake,
        client,
        sleeper,
        clock,
    }
}

async fn harness() -> Harness {
    harness_with(|_| {}).await
}

fn text_request(deadline_in: Duration) -> TextRequest {
    TextRequest {
        purpose: TextPurpose::Other,
        system: "You write bedtime stories.".to_owned(),
        user: "Write a story of about 300 words.".to_owned(),
        schema_name: "story".to_owned(),
        schema: json!({"type": "object"}),
        temperature: 0.8,
        max_tokens: 2000,
        model: None,
        deadline: Instant::now() + deadline_in,
    }
}

fn speech_request(text: &str, model: Option<&str>) -> SpeechRequest {
    SpeechRequest {
        text: text.to_owned(),
        voice: Voice::Coral,
        model: model.map(str::to_owned),
        speed: 0.95,
        instructions: Some(Voice::Coral.persona().to_owned()),
        language: Language::En,
        deadline: Instant::now() + Duration::from_secs(30),
    }
}

fn image_request(size: (u32, u32), quality: QualityTier, style: Option<&str>) -> ImageRequest {
    ImageRequest {
        prompt: "A child and a friendly owl under the stars".to_owned(),
        size,
        quality,
        style: style.map(str::to_owned),
        deadline: Instant::now() + Duration::from_secs(30),
    }
}

fn models_of(fake: &FakeOpenAi, endpoint: Endpoint) -> Vec<String> {
    fake.requests(endpoint)
        .iter()
        .map(|r| r.model().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn text_sends_a_strict_json_schema_and_reports_model_and_usage() {
    let h = harness().await;
    let reply = h
        .client
        .complete_json(text_request(Duration::from_secs(10)))
        .await
        .expect("completes");
    assert_eq!(reply.model, "gpt-4o");
    assert!(!reply.fell_back);
    assert!(reply.usage.prompt_tokens > 0 && reply.usage.completion_tokens > 0);
    let words = reply.json["content"]
        .as_str()
        .expect("story content")
        .split_whitespace()
        .count();
    assert!(
        (300..340).contains(&words),
        "fake honours the budget: {words}"
    );
    let sent = h.fake.requests(Endpoint::Chat);
    assert_eq!(sent.len(), 1);
    let body = &sent[0].body;
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["name"], "story");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(
        sent[0].headers.get("authorization").map(String::as_str),
        Some("Bearer <redacted>")
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_growing_jittered_backoff() {
    let h = harness().await;
    h.fake.script(
        Endpoint::Speech,
        vec![
            Fault::ServerError(500),
            Fault::ServerError(502),
            Fault::ServerError(503),
        ],
    );
    let reply = h
        .client
        .synthesize(speech_request("Good night, little star.", None))
        .await
        .expect("fourth attempt succeeds");
    assert_eq!(reply.format, AudioFormat::Mp3);
    assert_eq!(h.fake.requests(Endpoint::Speech).len(), 4);
    let waits = h.sleeper.waits();
    assert_eq!(waits.len(), 3);
    for (i, wait) in waits.iter().enumerate() {
        let nominal = 100.0 * 2f64.powi(i as i32);
        let ms = wait.as_secs_f64() * 1000.0;
        assert!(
            ms >= nominal * 0.5 && ms <= nominal * 1.5,
            "wait {i} = {ms} ms, nominal {nominal}"
        );
    }
}

#[tokio::test]
async fn retries_stop_after_max_retries_with_a_typed_upstream_error() {
    let h = harness().await;
    h.fake
        .script(Endpoint::Speech, vec![Fault::ServerError(503); 5]);
    let err = h
        .client
        .synthesize(speech_request("Hello.", None))
        .await
        .expect_err("all attempts fail");
    assert_eq!(err, ProviderError::Upstream { status: 503 });
    assert_eq!(h.fake.requests(Endpoint::Speech).len(), 4, "1 + 3 retries");
    assert_eq!(h.fake.pending_faults(Endpoint::Speech), 1);
}

#[tokio::test]
async fn retry_after_is_honoured_without_sleeping_for_real() {
    let h = harness().await;
    h.fake.script(
        Endpoint::Speech,
        vec![Fault::RateLimited {
            retry_after_secs: Some(7),
        }],
    );
    let started = std::time::Instant::now();
    h.client
        .synthesize(speech_request("Hello moon.", None))
        .await
        .expect("succeeds after the wait");
    assert_eq!(h.sleeper.waits(), vec![Duration::from_secs(7)]);
    assert_eq!(h.fake.requests(Endpoint::Speech).len(), 2);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn retry_after_of_one_second_is_really_waited_with_the_tokio_sleeper() {
    let fake = FakeOpenAi::start().await;
    let client = OpenAiClient::with_timing(
        base_config(&fake),
        Arc::new(domain::SystemClock),
        Arc::new(TokioSleeper),
    )
    .expect("valid config");
    fake.script(
        Endpoint::Moderations,
        vec![Fault::RateLimited {
            retry_after_secs: Some(1),
        }],
    );
    let started = std::time::Instant::now();
    client
        .moderate(&["a calm story".to_owned()])
        .await
        .expect("second attempt passes");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_returns_rate_limited_at_once() {
    let h = harness().await;
    h.fake.script(
        Endpoint::Speech,
        vec![Fault::RateLimited {
            retry_after_secs: Some(10),
        }],
    );
    let mut request = speech_request("Hello.", None);
    request.deadline = Instant::now() + Duration::from_secs(3);
    let err = h.client.synthesize(request).await.expect_err("no time");
    assert_eq!(
        err,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(10))
        }
    );
    assert!(h.sleeper.waits().is_empty());
    assert_eq!(h.fake.requests(Endpoint::Speech).len(), 1);
}

#[tokio::test]
async fn insufficient_quota_is_a_distinct_error_and_never_retried() {
    let h = harness().await;
    h.fake
        .script(Endpoint::Chat, vec![Fault::InsufficientQuota]);
    let err = h
        .client
        .complete_json(text_request(Duration::from_secs(10)))
        .await
        .expect_err("quota");
    assert_eq!(err, ProviderError::QuotaExceeded);
    assert!(!err.is_retryable());
    assert_eq!(
        models_of(&h.fake, Endpoint::Chat),
        vec!["gpt-4o"],
        "no retry, no fallback"
    );
}

#[tokio::test]
async fn auth_failures_are_not_retried() {
    let h = harness().await;
    h.fake.script(Endpoint::Images, vec![Fault::Unauthorized]);
    let err = h
        .client
        .generate(image_request((1024, 1024), QualityTier::Standard, None))
        .await
        .expect_err("401");
    assert_eq!(err, ProviderError::Unauthorized);
    assert_eq!(h.fake.requests(Endpoint::Images).len(), 1);
}

#[tokio::test]
async fn content_policy_and_moderation_blocked_are_typed_and_not_retried() {
    let h = harness().await;
    h.fake.script(
        Endpoint::Images,
        vec![Fault::ContentPolicy, Fault::ModerationBlocked],
    );
    for code in ["content_policy_violation", "moderation_blocked"] {
        let err = h
            .client
            .generate(image_request((1024, 1024), QualityTier::Standard, None))
            .await
            .expect_err("refused");
        assert_eq!(
            err,
            ProviderError::ContentPolicy {
                code: code.to_owned()
            }
        );
    }
    assert_eq!(h.fake.requests(Endpoint::Images).len(), 2);
}

#[tokio::test]
async fn a_chat_refusal_is_a_content_policy_error_without_fallback() {
    let h = harness().await;
    h.fake.script(Endpoint::Chat, vec![Fault::Refusal]);
    let err = h
        .client
        .complete_json(text_request(Duration::from_secs(10)))
        .await
        .expect_err("refused");
    assert_eq!(
        err,
        ProviderError::ContentPolicy {
            code: "refusal".to_owned()
        }
    );
    assert_eq!(h.fake.requests(Endpoint::Chat).len(), 1);
}

#[tokio::test]
async fn malformed_model_output_and_broken_bodies_are_malformed() {
    let h = harness().await;
    h.fake.script(Endpoint::Chat, vec![Fault::MalformedJson]);
    let err = h
        .client
        .complete_json(text_request(Duration::from_secs(10)))
        .await
        .expect_err("not JSON");
    assert!(matches!(err, ProviderError::Malformed(_)), "{err:?}");
    h.fake.script(Endpoint::Images, vec![Fault::MalformedJson]);
    let err = h
        .client
        .generate(image_request((1024, 1024), QualityTier::Standard, None))
        .await
        .expect_err("broken body");
    assert!(matches!(err, ProviderError::Malformed(_)), "{err:?}");
    h.fake.script(Endpoint::Speech, vec![Fault::MalformedJson]);
    let err = h
        .client
        .synthesize(speech_request("Hi.", None))
        .await
        .expect_err("JSON is not MP3");
    assert!(matches!(err, ProviderError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error_that_is_retried() {
    let h = harness().await;
    h.fake.script(Endpoint::Speech, vec![Fault::DropConnection]);
    h.client
        .synthesize(speech_request("Hello.", None))
        .await
        .expect("second attempt");
    assert_eq!(h.fake.requests(Endpoint::Speech).len(), 2);

    h.fake
        .script(Endpoint::Moderations, vec![Fault::DropConnection; 4]);
    let err = h
        .client
        .moderate(&["text".to_owned()])
        .await
        .expect_err("always dropped");
    assert!(matches!(err, ProviderError::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn text_falls_back_to_the_mini_model_when_the_primary_is_rate_limited() {
    let h = harness().await;
    h.fake.script_for_model(
        Endpoint::Chat,
        "gpt-4o",
        vec![
            Fault::RateLimited {
                retry_after_secs: Some(1),
            };
            10
        ],
    );
    let reply = h
        .client
        .complete_json(text_request(Duration::from_secs(30)))
        .await
        .expect("fallback answers");
    assert_eq!(reply.model, "gpt-4o-mini");
    assert!(reply.fell_back);
    assert_eq!(
        models_of(&h.fake, Endpoint::Chat),
        vec!["gpt-4o", "gpt-4o", "gpt-4o-mini"],
        "two primary attempts, then the fallback"
    );
}

#[tokio::test]
async fn text_falls_back_when_the_primary_is_overloaded() {
    let h = harness().await;
    h.fake.script_for_model(
        Endpoint::Chat,
        "gpt-4o",
        vec![Fault::ServerError(529), Fault::ServerError(503)],
    );
    let reply = h
        .client
        .complete_json(text_request(Duration::from_secs(30)))
        .await
        .expect("fallback answers");
    assert!(reply.fell_back);
    assert_eq!(reply.model, "gpt-4o-mini");
}

#[tokio::test]
async fn text_falls_back_when_the_primary_times_out() {
    let h = harness_with(|c| c.timeouts.text = Duration::from_millis(150)).await;
    h.fake.script_for_model(
        Endpoint::Chat,
        "gpt-4o",
        vec![Fault::Slow(Duration::from_secs(2)); 2],
    );
    let reply = h
        .client
        .complete_json(text_request(Duration::from_secs(30)))
        .await
        .expect("fallback answers");
    assert!(reply.fell_back);
    assert_eq!(reply.model, "gpt-4o-mini");
}

#[tokio::test]
async fn a_per_kind_timeout_is_timeout_but_the_callers_deadline_is_deadline_exceeded() {
    let h = harness_with(|c| {
        c.timeouts.speech = Duration::from_millis(100);
        c.retry.max_retries = 1;
    })
    .await;
    h.fake.script(
        Endpoint::Speech,
        vec![Fault::Slow(Duration::from_secs(2)); 2],
    );
    let err = h
        .client
        .synthesize(speech_request("Hello.", None))
        .await
        .expect_err("too slow");
    assert_eq!(err, ProviderError::Timeout);
    assert_eq!(
        h.fake.requests(Endpoint::Speech).len(),
        2,
        "a timeout is retried"
    );

    let h = harness().await;
    h.fake
        .script(Endpoint::Chat, vec![Fault::Slow(Duration::from_secs(2)); 3]);
    let started = std::time::Instant::now();
    let err = h
        .client
        .complete_json(text_request(Duration::from_millis(300)))
        .await
        .expect_err("deadline");
    assert_eq!(err, ProviderError::DeadlineExceeded);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        h.fake.requests(Endpoint::Chat).len(),
        1,
        "no fallback past the deadline"
    );
}

#[tokio::test]
async fn a_model_override_is_used_without_fallback() {
    let h = harness().await;
    h.fake
        .script(Endpoint::Chat, vec![Fault::ServerError(500); 4]);
    let mut request = text_request(Duration::from_secs(30));
    request.model = Some("gpt-4o-mini".to_owned());
    request.purpose = TextPurpose::SafetyReview {
        text: "story".to_owned(),
    };
    let err = h.client.complete_json(request).await.expect_err("fails");
    assert_eq!(err, ProviderError::Upstream { status: 500 });
    assert_eq!(models_of(&h.fake, Endpoint::Chat), vec!["gpt-4o-mini"; 4]);
}

#[tokio::test]
async fn the_breaker_opens_half_opens_after_the_cool_down_and_closes_on_success() {
    let h = harness_with(|c| {
        c.breaker.failure_threshold = 2;
        c.breaker.cool_down = Duration::from_secs(30);
        c.retry.max_retries = 0;
    })
    .await;
    h.fake.script(
        Endpoint::Speech,
        vec![Fault::ServerError(500), Fault::ServerError(502)],
    );
    for _ in 0..2 {
        let err = h
            .client
            .synthesize(speech_request("Hi.", None))
            .await
            .expect_err("5xx");
        assert!(matches!(err, ProviderError::Upstream { .. }));
    }
    assert_eq!(h.client.breaker_state("tts-1"), BreakerState::Open);
    let err = h
        .client
        .synthesize(speech_request("Hi.", None))
        .await
        .expect_err("open");
    assert_eq!(
        err,
        ProviderError::CircuitOpen {
            model: "tts-1".to_owned()
        }
    );
    assert_eq!(
        h.fake.requests(Endpoint::Speech).len(),
        2,
        "nothing sent while open"
    );

    // Another model has its own breaker.
    h.client
        .synthesize(speech_request("Hi.", Some("tts-1-hd")))
        .await
        .expect("tts-1-hd is closed");

    h.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(h.client.breaker_state("tts-1"), BreakerState::HalfOpen);
    h.fake
        .script(Endpoint::Speech, vec![Fault::ServerError(503)]);
    h.client
        .synthesize(speech_request("Hi.", None))
        .await
        .expect_err("the probe fails");
    assert_eq!(h.client.breaker_state("tts-1"), BreakerState::Open);

    h.clock.advance(chrono::Duration::seconds(31));
    h.client
        .synthesize(speech_request("Hi.", None))
        .await
        .expect("the probe succeeds");
    assert_eq!(h.client.breaker_state("tts-1"), BreakerState::Closed);
}

#[tokio::test]
async fn an_open_primary_breaker_sends_text_straight_to_the_fallback() {
    let h = harness_with(|c| {
        c.breaker.failure_threshold = 1;
        c.retry.primary_attempts_before_fallback = 1;
    })
    .await;
    h.fake
        .script_for_model(Endpoint::Chat, "gpt-4o", vec![Fault::ServerError(500)]);
    let first = h
        .client
        .complete_json(text_request(Duration::from_secs(10)))
        .await
        .expect("fallback");
    assert!(first.fell_back);
    let second = h
        .client
        .complete_json(text_request(Duration::from_secs(10)))
        .await
        .expect("fallback again");
    assert!(second.fell_back);
    assert_eq!(
        models_of(&h.fake, Endpoint::Chat),
        vec!["gpt-4o", "gpt-4o-mini", "gpt-4o-mini"],
        "the open breaker skips the primary"
    );
}

#[tokio::test]
async fn dall_e_requests_use_its_sizes_quality_style_and_b64_json() {
    let h = harness_with(|c| c.image_model = "dall-e-3".to_owned()).await;
    let reply = h
        .client
        .generate(image_request(
            (1792, 1024),
            QualityTier::High,
            Some("vivid"),
        ))
        .await
        .expect("image");
    let body = &h.fake.requests(Endpoint::Images)[0].body;
    assert_eq!(body["size"], "1792x1024");
    assert_eq!(body["quality"], "hd");
    assert_eq!(body["style"], "vivid");
    assert_eq!(body["response_format"], "b64_json");
    assert_eq!(reply.size_used, "1792x1024");
    assert_eq!(reply.quality_used, "hd");
    assert!(reply.revised_prompt.is_some());
    assert_eq!(reply.usage.images, 1);

    h.client
        .generate(image_request(
            (1024, 1024),
            QualityTier::Standard,
            Some("watercolor"),
        ))
        .await
        .expect("image");
    let body = &h.fake.requests(Endpoint::Images)[1].body;
    assert_eq!(body["quality"], "standard");
    assert!(body.get("style").is_none());
    assert!(
        body["prompt"]
            .as_str()
            .expect("prompt")
            .contains("watercolor")
    );
}

#[tokio::test]
async fn gpt_image_requests_map_sizes_and_quality_and_put_style_in_the_prompt() {
    for model in ["gpt-image-2.6-flare", "acme-painter-9"] {
        let h = harness_with(|c| c.image_model = model.to_owned()).await;
        let reply = h
            .client
            .generate(image_request(
                (1024, 1792),
                QualityTier::Standard,
                Some("watercolor"),
            ))
            .await
            .expect("image");
        let body = &h.fake.requests(Endpoint::Images)[0].body;
        assert_eq!(body["model"], model);
        assert_eq!(body["size"], "1024x1536");
        assert_eq!(body["quality"], "medium");
        assert!(body.get("style").is_none());
        assert!(body.get("response_format").is_none());
        assert!(
            body["prompt"]
                .as_str()
                .expect("prompt")
                .ends_with("Art style: watercolor.")
        );
        assert_eq!(reply.size_used, "1024x1536");
        assert_eq!(reply.quality_used, "medium");
        assert_eq!(reply.revised_prompt, None);
        let decoder = png::Decoder::new(std::io::Cursor::new(reply.png.to_vec()));
        decoder.read_info().expect("a real PNG");

        h.client
            .generate(image_request((1792, 1024), QualityTier::High, None))
            .await
            .expect("image");
        let body = &h.fake.requests(Endpoint::Images)[1].body;
        assert_eq!(body["size"], "1536x1024");
        assert_eq!(body["quality"], "high");
    }
}

#[tokio::test]
async fn speech_sends_instructions_only_to_models_that_take_them() {
    let h = harness().await;
    let reply = h
        .client
        .synthesize(speech_request("Once upon a time.", None))
        .await
        .expect("tts-1");
    assert!(reply.audio.starts_with(b"ID3"));
    assert_eq!(reply.usage.characters, 17);
    h.client
        .synthesize(speech_request("Once upon a time.", Some("gpt-4o-mini-tts")))
        .await
        .expect("gpt-4o-mini-tts");
    let sent = h.fake.requests(Endpoint::Speech);
    assert!(sent[0].body.get("instructions").is_none());
    assert_eq!(sent[0].body["response_format"], "mp3");
    assert_eq!(sent[0].body["voice"], "coral");
    assert!(sent[1].body["instructions"].as_str().is_some());

    let too_long = "a".repeat(providers::MAX_SPEECH_INPUT_CHARS + 1);
    let err = h
        .client
        .synthesize(speech_request(&too_long, None))
        .await
        .expect_err("too long");
    assert!(matches!(err, ProviderError::InvalidRequest(_)));
    assert_eq!(h.fake.requests(Endpoint::Speech).len(), 2, "never sent");
}

#[tokio::test]
async fn moderation_reports_flagged_categories() {
    let h = harness().await;
    let reply = h
        .client
        .moderate(&["A calm story.".to_owned(), "fake-flag:violence".to_owned()])
        .await
        .expect("moderation");
    assert!(reply.flagged);
    assert_eq!(reply.categories, vec!["violence".to_owned()]);
    assert_eq!(reply.model, "omni-moderation-latest");
    let clean = h
        .client
        .moderate(&["A calm story.".to_owned()])
        .await
        .expect("moderation");
    assert!(!clean.flagged && clean.categories.is_empty());
}

#[tokio::test]
async fn the_model_list_carries_shutdown_dates() {
    let h = harness().await;
    h.fake.set_shutdown_date(
        "gpt-image-2.6-flare",
        chrono::NaiveDate::from_ymd_opt(2027, 6, 1),
    );
    let models = h.client.list_models().await.expect("list");
    let date = |id: &str| {
        models
            .iter()
            .find(|m| m.id == id)
            .and_then(|m| m.shutdown_date)
    };
    assert_eq!(date("tts-1"), chrono::NaiveDate::from_ymd_opt(2027, 1, 6));
    assert_eq!(date("gpt-4o"), chrono::NaiveDate::from_ymd_opt(2027, 1, 14));
    assert_eq!(
        date("gpt-image-2.6-flare"),
        chrono::NaiveDate::from_ymd_opt(2027, 6, 1)
    );
    assert_eq!(date("omni-moderation-latest"), None);

    h.fake.script(
        Endpoint::Models,
        vec![Fault::Custom {
            status: 200,
            body: json!({"data": [{"id": "tts-1", "shutdown_date": 1_799_280_000}]}),
        }],
    );
    let models = h.client.list_models().await.expect("list");
    assert_eq!(
        models[0].shutdown_date,
        chrono::NaiveDate::from_ymd_opt(2027, 1, 7)
    );

    h.fake.script(Endpoint::Models, vec![Fault::Unauthorized]);
    assert_eq!(
        h.client.list_models().await.expect_err("rotated key"),
        ProviderError::Unauthorized
    );
}

#[tokio::test]
async fn providers_bundle_builds_from_config_and_rejects_bad_settings() {
    let fake = FakeOpenAi::start().await;
    let providers = Providers::openai(base_config(&fake)).expect("valid");
    assert_eq!(providers.kind.as_str(), "openai");
    let reply = providers
        .text
        .complete_json(text_request(Duration::from_secs(10)))
        .await
        .expect("through the bundle");
    assert_eq!(reply.model, "gpt-4o");

    let mut bad = base_config(&fake);
    bad.base_url = "not a url".to_owned();
    let err = Providers::openai(bad).expect_err("invalid URL");
    assert!(err.to_string().contains("OPENAI_BASE_URL"));
    let err = Providers::openai(ProviderConfig::new("")).expect_err("empty key");
    assert!(err.to_string().contains("OPENAI_API_KEY"));
}

#[test]
fn model_ids_lists_every_configured_model_once() {
    assert!(
        !format!("{:?}", ProviderConfig::new("sk-abc")).contains("sk-abc"),
        "Debug redacts the key"
    );
    assert_eq!(
        ProviderConfig::new("k").model_ids(),
        vec![
            "gpt-4o",
            "gpt-4o-mini",
            "tts-1",
            providers::DEFAULT_IMAGE_MODEL,
            "omni-moderation-latest"
        ]
    );
}
