//! `audio-synthesis` over HTTP: long stories become one valid MP3 (checked frame by frame
//! against an independent fake speech endpoint serving real MP3 frames), chunks run
//! concurrently, identical requests come from the cache, failures store nothing, and the
//! offline provider narrates playable WAV.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use storage::Bucket;
use system_tests::{TestServer, client, token};
use testkit::{Endpoint, FakeOpenAi, Fault};

/// A fake OpenAI server and a dev server pointed at it (moderation off: the speech endpoint
/// is what these tests observe).
async fn with_fake() -> (FakeOpenAi, TestServer) {
    let fake = FakeOpenAi::start().await;
    let s = TestServer::start_with(
        &[
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_BASE_URL", &fake.base_url()),
            ("ENABLE_AI_CONTENT_FILTERING", "false"),
        ],
        None,
    )
    .await;
    (fake, s)
}

async fn post_audio(
    s: &TestServer,
    user: &str,
    body: &Value,
    test_mode: bool,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = client()
        .post(s.url("audio-synthesis", ""))
        .bearer_auth(token(user))
        .header("content-type", "application/octet-stream")
        .body(body.to_string());
    if test_mode {
        req = req.header("x-test-mode", "true");
    }
    let r = req.send().await.expect("post");
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.json().await.expect("json"))
}

/// GETs a media URL with no credentials at all; returns the content type and bytes.
async fn download(url: &str) -> (String, Vec<u8>) {
    let r = client().get(url).send().await.expect("download");
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (ct, r.bytes().await.expect("body").to_vec())
}

/// A gentle bedtime text of at most `chars` characters, made of whole sentences.
fn bedtime_text(chars: usize) -> String {
    let sentences = [
        "Luna the little fox tiptoed past the sleepy meadow and counted {n} silver stars.",
        "A kind owl hummed a soft tune while the river whispered its evening song.",
        "Her friend Pip the rabbit yawned and snuggled under a blanket of warm leaves.",
        "Together they watched {n} fireflies drift like tiny lanterns over the garden.",
        "The moon smiled down and wished every animal a cosy night of happy dreams.",
    ];
    let mut out = String::new();
    for n in 0.. {
        let s = sentences[n % sentences.len()].replace("{n}", &(n + 2).to_string());
        if out.chars().count() + s.chars().count() + 1 > chars {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&s);
    }
    out
}

/// Stores a story for `user` directly (as story-generation would).
async fn put_story(s: &TestServer, user: &str, content: &str) -> domain::StoryId {
    let now = chrono::Utc::now();
    let words = content.split_whitespace().count() as u32;
    let story = domain::StoryRecord {
        id: domain::StoryId::new_random(),
        user_id: domain::UserId::parse(user).expect("user id"),
        hero_id: None,
        title: "Luna and the Stars".into(),
        content: content.into(),
        language: domain::Language::En,
        word_count: words,
        estimated_duration: words * 60 / 140,
        event_title: "Bedtime Adventure".into(),
        scenes: vec![],
        audio: None,
        created_at: now,
        updated_at: now,
    };
    s.deps
        .backend
        .stories
        .put_story(&story)
        .await
        .expect("put story");
    story.id
}

async fn stored_story(s: &TestServer, user: &str, id: &domain::StoryId) -> domain::StoryRecord {
    s.deps
        .backend
        .stories
        .get_story(&domain::UserId::parse(user).expect("user id"), id)
        .await
        .expect("get story")
        .expect("story exists")
}

/// Files the embedded store holds in the audio bucket for `user`.
fn audio_files(s: &TestServer, user: &str) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { count(&p) } else { 1 }
                })
                .sum()
        })
    }
    count(
        &s.data_dir()
            .join("media")
            .join(Bucket::StoryAudio.as_str())
            .join(user),
    )
}

fn starts_like_mp3(bytes: &[u8]) -> bool {
    bytes.starts_with(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
}

#[tokio::test]
async fn a_ten_thousand_character_story_becomes_one_mp3_as_long_as_its_chunks() {
    let (fake, s) = with_fake().await;
    let text = bedtime_text(10_000);
    assert!(text.chars().count() > 9_900);
    let body = json!({"text": text, "voice": "nova", "language": "en"});
    let (status, headers, v) = post_audio(&s, "listener", &body, false).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!(v["meta"]["provider"], "openai");
    assert_eq!(v["meta"]["cached"], false);
    assert_eq!(d["format"], "mp3");
    assert_eq!(d["voice_used"], "nova");
    assert_eq!(d["language"], "en");
    assert_eq!(d["chunks"], 3);
    assert_eq!(headers["x-ratelimit-limit"], "15");
    assert_eq!(headers["x-ratelimit-remaining"], "14");
    assert!(headers.contains_key("x-ratelimit-reset"));

    let calls = fake.requests(Endpoint::Speech);
    assert_eq!(calls.len(), 3, "one speech call per chunk");
    for c in &calls {
        let input = c.body["input"].as_str().expect("input");
        assert!(input.chars().count() <= 4096);
        assert!(input.trim_end().ends_with('.'), "chunks end at sentences");
        assert_eq!(c.body["voice"], "nova");
        assert_eq!(c.body["model"], "tts-1");
        assert!((c.body["speed"].as_f64().expect("speed") - 0.95).abs() < 1e-6);
        assert!(
            c.body.get("instructions").is_none(),
            "tts-1 takes no instructions"
        );
    }

    // The URL plays without credentials and is one MP3 whose frames parse start to end.
    let url = d["audio_url"].as_str().expect("audio_url");
    let (content_type, bytes) = download(url).await;
    assert_eq!(content_type, "audio/mpeg");
    assert!(starts_like_mp3(&bytes));
    assert_eq!(d["file_size_bytes"].as_u64(), Some(bytes.len() as u64));
    let info = audio::mp3::parse(&bytes).expect("joined MP3 parses frame by frame");
    assert_eq!(info.trailing_bytes, 0);
    assert_eq!(info.header_frames, 1, "one Info header describes the whole");
    assert!(info.id3v2_tags <= 1, "later chunks' ID3 tags are gone");
    let reported = d["duration_seconds"].as_f64().expect("duration");
    assert!((reported - info.duration_seconds).abs() < 0.001);

    // Independently: what the fake answers for each chunk, summed.
    let mut sum = 0.0;
    for c in &calls {
        let r = client()
            .post(format!("{}/audio/speech", fake.base_url()))
            .bearer_auth("sk-test")
            .json(&c.body)
            .send()
            .await
            .expect("fake speech");
        let chunk = r.bytes().await.expect("chunk");
        sum += audio::mp3::parse(&chunk)
            .expect("chunk parses")
            .duration_seconds;
    }
    let frame = f64::from(info.samples_per_frame) / f64::from(info.sample_rate);
    assert!(
        (info.duration_seconds - sum).abs() <= frame + 1e-9,
        "joined {} s vs chunks {sum} s",
        info.duration_seconds
    );
    assert!(
        info.duration_seconds > 300.0,
        "a long story is minutes long"
    );
}

#[tokio::test]
async fn the_second_identical_request_comes_from_the_cache_without_a_provider_call() {
    let (fake, s) = with_fake().await;
    let body = json!({"text": bedtime_text(5_000), "voice": "coral"});
    let (status, _, first) = post_audio(&s, "repeat", &body, false).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let calls = fake.requests(Endpoint::Speech).len();
    assert_eq!(calls, 2);

    let (status, headers, again) = post_audio(&s, "repeat", &body, false).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["meta"]["cached"], true);
    assert_eq!(
        fake.requests(Endpoint::Speech).len(),
        calls,
        "no provider call"
    );
    for field in ["duration_seconds", "file_size_bytes", "format", "chunks"] {
        assert_eq!(again["data"][field], first["data"][field], "{field}");
    }
    assert!(
        !headers.contains_key("x-ratelimit-remaining") || headers["x-ratelimit-remaining"] == "14",
        "a cache hit is not charged"
    );
    let (_, bytes) = download(again["data"]["audio_url"].as_str().expect("url")).await;
    assert!(starts_like_mp3(&bytes));

    // Another voice is another narration.
    let mut other = body.clone();
    other["voice"] = json!("onyx");
    let (_, _, fresh) = post_audio(&s, "repeat", &other, false).await;
    assert_eq!(fresh["meta"]["cached"], false);
    assert_eq!(fake.requests(Endpoint::Speech).len(), calls + 2);
}

#[tokio::test]
async fn three_chunks_are_narrated_concurrently_not_one_after_another() {
    let (fake, s) = with_fake().await;
    // Warm up first (the safety engine builds its rules once per process): this measures the
    // chunks, not a cold start.
    let (status, _, _) = post_audio(&s, "impatient", &json!({"text": "Warm up."}), false).await;
    assert_eq!(status, StatusCode::OK);
    fake.set_latency(Endpoint::Speech, Duration::from_secs(1));
    let body = json!({"text": bedtime_text(9_500)});
    let started = Instant::now();
    let (status, _, v) = post_audio(&s, "impatient", &body, false).await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["chunks"], 3);
    assert_eq!(fake.requests(Endpoint::Speech).len(), 1 + 3);
    assert!(
        took < Duration::from_millis(2500),
        "3 chunks at 1 s each took {took:?}"
    );
}

#[tokio::test]
async fn gpt_4o_mini_tts_gets_the_voices_persona_in_the_story_language() {
    let (fake, s) = with_fake().await;
    let body = json!({"text": "Il était une fois un petit renard qui comptait les étoiles.", "voice": "fable", "language": "fr", "model": "gpt-4o-mini-tts", "speed": 0.8});
    let (status, _, v) = post_audio(&s, "parisian", &body, false).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["language"], "fr");
    let calls = fake.requests(Endpoint::Speech);
    assert_eq!(calls.len(), 1);
    let c = &calls[0].body;
    assert_eq!(c["model"], "gpt-4o-mini-tts");
    assert!((c["speed"].as_f64().expect("speed") - 0.8).abs() < 1e-6);
    let instructions = c["instructions"].as_str().expect("instructions sent");
    assert!(instructions.contains("French"), "{instructions}");
    assert!(instructions.contains(domain::Voice::Fable.persona()));
}

#[tokio::test]
async fn a_chunk_that_fails_once_is_retried_on_its_own() {
    let (fake, s) = with_fake().await;
    fake.script(Endpoint::Speech, vec![Fault::MalformedJson]);
    let body = json!({"text": bedtime_text(9_000)});
    let (status, _, v) = post_audio(&s, "lucky", &body, false).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["chunks"], 3);
    assert_eq!(
        fake.requests(Endpoint::Speech).len(),
        4,
        "three chunks, one of them twice"
    );
    let (_, bytes) = download(v["data"]["audio_url"].as_str().expect("url")).await;
    let info = audio::mp3::parse(&bytes).expect("parses");
    assert!(
        (v["data"]["duration_seconds"].as_f64().expect("d") - info.duration_seconds).abs() < 0.001
    );
}

#[tokio::test]
async fn a_chunk_that_fails_twice_is_a_502_and_nothing_is_stored_or_referenced() {
    let (fake, s) = with_fake().await;
    let id = put_story(&s, "unlucky", &bedtime_text(1_500)).await;
    fake.script(
        Endpoint::Speech,
        vec![Fault::MalformedJson, Fault::MalformedJson],
    );
    let body = json!({"text": "", "story_id": id.to_string()});
    let (status, _, v) = post_audio(&s, "unlucky", &body, false).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{v}");
    assert_eq!(v["error"]["code"], "UPSTREAM_ERROR");
    assert_eq!(fake.requests(Endpoint::Speech).len(), 2);
    assert!(stored_story(&s, "unlucky", &id).await.audio.is_none());
    assert_eq!(audio_files(&s, "unlucky"), 0, "no blob stored");

    // Nothing was cached either: the next request narrates afresh and links the story.
    let (status, _, ok) = post_audio(&s, "unlucky", &body, false).await;
    assert_eq!(status, StatusCode::OK, "{ok}");
    assert_eq!(ok["meta"]["cached"], false);
    let audio = stored_story(&s, "unlucky", &id)
        .await
        .audio
        .expect("story references its audio");
    assert!(audio.key.contains(&format!("/stories/{id}/")));
    assert_eq!(audio.voice, "coral");
    assert_eq!(audio.format, "mp3");
    assert_eq!(audio_files(&s, "unlucky"), 1);
}

#[tokio::test]
async fn the_stored_story_is_narrated_and_linked_and_deleting_it_deletes_the_audio() {
    let (fake, s) = with_fake().await;
    let content = bedtime_text(2_000);
    let id = put_story(&s, "reader", &content).await;
    let body = json!({"text": "", "story_id": id.to_string().to_uppercase(), "voice": "shimmer"});
    let (status, _, v) = post_audio(&s, "reader", &body, false).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["story_id"], id.to_string());
    let calls = fake.requests(Endpoint::Speech);
    assert_eq!(calls[0].body["input"].as_str(), Some(content.as_str()));

    let story = stored_story(&s, "reader", &id).await;
    let audio = story.audio.expect("linked");
    assert_eq!(audio.voice, "shimmer");
    assert_eq!(
        Some(audio.duration_seconds),
        v["data"]["duration_seconds"].as_f64()
    );
    assert_eq!(
        Some(audio.file_size_bytes),
        v["data"]["file_size_bytes"].as_u64()
    );

    // The library shows it; deleting the story removes the audio object too.
    let r = client()
        .get(s.url("stories", &format!("/{id}")))
        .bearer_auth(token("reader"))
        .send()
        .await
        .expect("get story");
    let shown: Value = r.json().await.expect("json");
    assert_eq!(shown["data"]["audio"]["status"], "completed");
    let r = client()
        .delete(s.url("stories", &format!("/{id}")))
        .bearer_auth(token("reader"))
        .send()
        .await
        .expect("delete story");
    assert!(r.status().is_success());
    assert_eq!(audio_files(&s, "reader"), 0);
    let gone = client()
        .get(v["data"]["audio_url"].as_str().expect("url"))
        .send()
        .await
        .expect("get");
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_users_story_is_not_found() {
    let (fake, s) = with_fake().await;
    let id = put_story(&s, "owner", &bedtime_text(800)).await;
    for story_id in [id.to_string(), domain::StoryId::new_random().to_string()] {
        let (status, _, v) = post_audio(
            &s,
            "stranger",
            &json!({"text": "", "story_id": story_id}),
            false,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
        assert_eq!(v["error"]["code"], "NOT_FOUND");
    }
    assert!(fake.requests(Endpoint::Speech).is_empty());
    assert!(stored_story(&s, "owner", &id).await.audio.is_none());
}

#[tokio::test]
async fn bad_voice_model_speed_or_language_is_a_400_listing_what_is_accepted_and_charges_nothing() {
    let (fake, s) = with_fake().await;
    let cases = [
        (
            json!({"text": "Goodnight moon.", "voice": "bob"}),
            "voice",
            "coral, nova, fable, alloy, echo, onyx, shimmer",
        ),
        (
            json!({"text": "Goodnight moon.", "model": "tts-2"}),
            "model",
            "tts-1, tts-1-hd, gpt-4o-mini-tts",
        ),
        (
            json!({"text": "Goodnight moon.", "speed": 2.0}),
            "speed",
            "between 0.5 and 1.5",
        ),
        (
            json!({"text": "Goodnight moon.", "language": "pt"}),
            "language",
            "en, es, fr, de, it",
        ),
        (json!({"voice": "nova"}), "text", "required"),
        (
            json!({"text": "Goodnight moon.", "story_id": "nope"}),
            "story_id",
            "UUID",
        ),
    ];
    for (body, field, accepted) in cases {
        let (status, headers, v) = post_audio(&s, "typo", &body, false).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["code"], "INVALID_REQUEST");
        let fields = v["error"]["details"]["fields"]
            .as_array()
            .expect("field details");
        let hit = fields
            .iter()
            .find(|f| f["field"] == field)
            .unwrap_or_else(|| panic!("{field} reported: {v}"));
        assert!(
            hit["message"]
                .as_str()
                .is_some_and(|m| m.contains(accepted)),
            "{v}"
        );
        assert!(!headers.contains_key("x-ratelimit-remaining"));
    }
    assert!(fake.requests(Endpoint::Speech).is_empty());
    let (status, headers, _) =
        post_audio(&s, "typo", &json!({"text": "Goodnight moon."}), false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ratelimit-remaining"], "14", "400s were free");
}

#[tokio::test]
async fn the_offline_provider_narrates_a_playable_wav_of_the_right_length() {
    let s = TestServer::start().await;
    let text = bedtime_text(6_000);
    let (status, _, v) =
        post_audio(&s, "camper", &json!({"text": text, "speed": 1.0}), false).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["meta"]["provider"], "offline");
    let d = &v["data"];
    assert_eq!(d["format"], "wav");
    assert_eq!(d["chunks"], 2);
    let (content_type, bytes) = download(d["audio_url"].as_str().expect("url")).await;
    assert_eq!(content_type, "audio/wav");
    assert!(bytes.starts_with(b"RIFF"));
    let info = audio::wav::parse(&bytes).expect("a valid WAV");
    let reported = d["duration_seconds"].as_f64().expect("duration");
    assert!((reported - info.duration_seconds).abs() < 0.001);
    // Narrated at the English bedtime pace (140 wpm): the placeholder tone is within a second
    // per chunk.
    let expected = text.split_whitespace().count() as f64 * 60.0 / 140.0;
    // (espeak-ng, when installed, keeps its own pace: allow it a quarter either way.)
    assert!(
        (info.duration_seconds - expected).abs() <= 2.0_f64.max(expected * 0.25),
        "{} s for {expected} s of text",
        info.duration_seconds
    );
    assert_eq!(d["file_size_bytes"].as_u64(), Some(bytes.len() as u64));
}

#[tokio::test]
async fn test_mode_narrates_offline_without_calling_the_provider() {
    let (fake, s) = with_fake().await;
    let (status, headers, v) =
        post_audio(&s, "smoke", &json!({"text": bedtime_text(500)}), true).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["meta"]["provider"], "offline");
    assert_eq!(v["data"]["format"], "wav");
    assert!(fake.requests(Endpoint::Speech).is_empty());
    assert!(
        !headers.contains_key("x-ratelimit-remaining"),
        "test mode charges nothing"
    );
}
