//! The fake server's HTTP surface: admin routes (as the dev server would be driven), auth,
//! recorded requests, OpenAI-shaped replies and real MP3 audio.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::{Endpoint, FakeOpenAi};

fn admin(fake: &FakeOpenAi, path: &str) -> String {
    format!("http://{}/__admin/{path}", fake.addr())
}

async fn chat(client: &reqwest::Client, fake: &FakeOpenAi, model: &str) -> reqwest::Response {
    client
        .post(format!("{}/chat/completions", fake.base_url()))
        .bearer_auth("sk-fake")
        .json(&json!({
            "model": model,
            "messages": [{"role": "user", "content": "Write 200 words."}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "story", "schema": {}, "strict": true}},
        }))
        .send()
        .await
        .expect("fake reachable")
}

#[tokio::test]
async fn faults_scripted_over_http_are_consumed_once_and_per_model() {
    let fake = FakeOpenAi::start().await;
    let client = reqwest::Client::new();
    let queued: Value = client
        .post(admin(&fake, "faults"))
        .json(&json!({"endpoint": "chat", "model": "gpt-4o", "faults": [
            {"type": "rate_limited", "retry_after_secs": 2},
            {"type": "server_error", "status": 503},
        ]}))
        .send()
        .await
        .expect("admin")
        .json()
        .await
        .expect("json");
    assert_eq!(queued["pending"], 2);

    let other_model = chat(&client, &fake, "gpt-4o-mini").await;
    assert_eq!(
        other_model.status(),
        200,
        "faults for gpt-4o skip other models"
    );
    let limited = chat(&client, &fake, "gpt-4o").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(
        limited
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let body: Value = limited.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(chat(&client, &fake, "gpt-4o").await.status(), 503);
    let ok = chat(&client, &fake, "gpt-4o").await;
    assert_eq!(ok.status(), 200);
    let reply: Value = ok.json().await.expect("json");
    let content: Value = serde_json::from_str(
        reply["choices"][0]["message"]["content"]
            .as_str()
            .expect("str"),
    )
    .expect("content is JSON");
    assert!(
        content["content"]
            .as_str()
            .expect("story")
            .split_whitespace()
            .count()
            >= 200
    );
    assert_eq!(content["scenes"].as_array().expect("scenes").len(), 3);
    assert!(reply["usage"]["prompt_tokens"].as_u64().expect("usage") > 0);

    let recorded: Vec<Value> = client
        .get(admin(&fake, "requests?endpoint=chat"))
        .send()
        .await
        .expect("admin")
        .json()
        .await
        .expect("json");
    assert_eq!(recorded.len(), 4);
    assert_eq!(recorded[0]["headers"]["authorization"], "Bearer <redacted>");
    assert_eq!(fake.requests(Endpoint::Chat).len(), 4);

    client
        .post(admin(&fake, "reset"))
        .send()
        .await
        .expect("reset");
    assert!(fake.requests(Endpoint::Chat).is_empty());
}

#[tokio::test]
async fn every_fault_type_can_be_scripted_over_http() {
    let fake = FakeOpenAi::start().await;
    let client = reqwest::Client::new();
    let cases = [
        (
            json!({"type": "content_policy"}),
            400,
            Some("content_policy_violation"),
        ),
        (
            json!({"type": "moderation_blocked"}),
            400,
            Some("moderation_blocked"),
        ),
        (
            json!({"type": "insufficient_quota"}),
            429,
            Some("insufficient_quota"),
        ),
        (
            json!({"type": "unauthorized"}),
            401,
            Some("invalid_api_key"),
        ),
        (json!({"type": "server_error", "status": 502}), 502, None),
        (
            json!({"type": "custom", "status": 418, "body": {"teapot": true}}),
            418,
            None,
        ),
    ];
    for (fault, status, code) in cases {
        client
            .post(admin(&fake, "faults"))
            .json(&json!({"endpoint": "chat", "faults": [fault]}))
            .send()
            .await
            .expect("admin");
        let reply = chat(&client, &fake, "gpt-4o").await;
        assert_eq!(reply.status().as_u16(), status);
        let body: Value = reply.json().await.expect("json");
        if let Some(code) = code {
            assert_eq!(body["error"]["code"], code);
        }
    }
    for fault in [
        json!({"type": "refusal"}),
        json!({"type": "malformed_json"}),
    ] {
        client
            .post(admin(&fake, "faults"))
            .json(&json!({"endpoint": "chat", "faults": [fault]}))
            .send()
            .await
            .expect("admin");
        let body: Value = chat(&client, &fake, "gpt-4o")
            .await
            .json()
            .await
            .expect("json");
        let message = &body["choices"][0]["message"];
        let content_is_json = message["content"]
            .as_str()
            .is_some_and(|c| serde_json::from_str::<Value>(c).is_ok());
        assert!(!content_is_json, "{message}");
    }
    client
        .post(admin(&fake, "faults"))
        .json(&json!({"endpoint": "chat", "faults": [{"type": "drop_connection"}]}))
        .send()
        .await
        .expect("admin");
    let attempt = client
        .post(format!("{}/chat/completions", fake.base_url()))
        .bearer_auth("sk-fake")
        .json(&json!({"model": "gpt-4o", "messages": []}))
        .send()
        .await;
    let dropped = match attempt {
        Ok(reply) => reply.bytes().await.is_err(),
        Err(_) => true,
    };
    assert!(dropped, "the body never completes");

    client
        .post(admin(&fake, "faults"))
        .json(&json!({"endpoint": "chat", "faults": [{"type": "slow", "ms": 300}]}))
        .send()
        .await
        .expect("admin");
    let started = Instant::now();
    assert_eq!(chat(&client, &fake, "gpt-4o").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let rejected = client
        .post(admin(&fake, "faults"))
        .json(&json!({"endpoint": "nowhere", "faults": []}))
        .send()
        .await
        .expect("admin");
    assert_eq!(rejected.status(), 400);
}

#[tokio::test]
async fn latency_applies_to_one_endpoint_until_reset() {
    let fake = FakeOpenAi::start().await;
    let client = reqwest::Client::new();
    client
        .post(admin(&fake, "latency"))
        .json(&json!({"endpoint": "models", "ms": 250}))
        .send()
        .await
        .expect("admin");
    let started = Instant::now();
    let list = client
        .get(format!("{}/models", fake.base_url()))
        .bearer_auth("k")
        .send()
        .await
        .expect("models");
    assert_eq!(list.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(250));
    let started = Instant::now();
    assert_eq!(chat(&client, &fake, "gpt-4o").await.status(), 200);
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "chat has no latency"
    );
}

#[tokio::test]
async fn requests_without_a_bearer_key_are_unauthorised() {
    let fake = FakeOpenAi::start().await;
    let reply = reqwest::Client::new()
        .get(format!("{}/models", fake.base_url()))
        .send()
        .await
        .expect("models");
    assert_eq!(reply.status(), 401);
}

#[tokio::test]
async fn speech_is_a_real_mp3_as_long_as_the_text() {
    let fake = FakeOpenAi::start().await;
    let text = "word ".repeat(150);
    let reply = reqwest::Client::new()
        .post(format!("{}/audio/speech", fake.base_url()))
        .bearer_auth("k")
        .json(&json!({"model": "tts-1", "input": text, "voice": "coral", "response_format": "mp3"}))
        .send()
        .await
        .expect("speech");
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("audio/mpeg")
    );
    let bytes = reply.bytes().await.expect("audio");
    assert!(bytes.starts_with(b"ID3"));
    let info = audio::mp3::parse(&bytes).expect("valid MP3 frames");
    assert!(
        (info.duration_seconds - 60.0).abs() < 0.1,
        "{}",
        info.duration_seconds
    );
}

#[tokio::test]
async fn the_model_list_shutdown_dates_can_be_changed_over_http() {
    let fake = FakeOpenAi::start().await;
    let client = reqwest::Client::new();
    client
        .post(admin(&fake, "models"))
        .json(&json!({"id": "gpt-image-2.6-flare", "shutdown_date": "2026-07-01"}))
        .send()
        .await
        .expect("admin");
    let list: Value = client
        .get(format!("{}/models", fake.base_url()))
        .bearer_auth("k")
        .send()
        .await
        .expect("models")
        .json()
        .await
        .expect("json");
    let date = |id: &str| {
        list["data"]
            .as_array()
            .expect("data")
            .iter()
            .find(|m| m["id"] == id)
            .map(|m| m["shutdown_date"].clone())
    };
    assert_eq!(date("gpt-image-2.6-flare"), Some(json!("2026-07-01")));
    assert_eq!(date("tts-1"), Some(json!("2027-01-06")));
    assert_eq!(date("omni-moderation-latest"), Some(Value::Null));
}

#[tokio::test]
async fn image_parameters_are_validated_per_family_like_upstream() {
    let fake = FakeOpenAi::start().await;
    let client = reqwest::Client::new();
    let post = |body: Value| {
        client
            .post(format!("{}/images/generations", fake.base_url()))
            .bearer_auth("k")
            .json(&body)
            .send()
    };
    let gpt_bad = post(json!({"model": "gpt-image-2.6-flare", "prompt": "p", "size": "1792x1024"}))
        .await
        .expect("reply");
    assert_eq!(gpt_bad.status(), 400);
    let gpt_style = post(json!({"model": "gpt-image-1", "prompt": "p", "style": "vivid"}))
        .await
        .expect("reply");
    assert_eq!(gpt_style.status(), 400);
    let dalle_bad = post(json!({"model": "dall-e-3", "prompt": "p", "size": "1536x1024"}))
        .await
        .expect("reply");
    assert_eq!(dalle_bad.status(), 400);
    let ok: Value = post(json!({"model": "gpt-image-2.6-flare", "prompt": "p", "size": "1024x1536", "quality": "high"}))
        .await
        .expect("reply")
        .json()
        .await
        .expect("json");
    assert!(ok["data"][0]["b64_json"].is_string());
    assert!(ok["data"][0].get("revised_prompt").is_none());
    assert!(ok["usage"]["output_tokens"].as_u64().is_some());
}
