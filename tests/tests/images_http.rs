//! `avatar-generation` and `scene-illustration` over HTTP with the app's exact requests, on
//! the offline painter and on the fake OpenAI server (which records every prompt it gets).

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use system_tests::{TestServer, client, token};
use testkit::{Endpoint, FakeOpenAi, Fault};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// Words the image sanitiser (or a prompt) uses for someone keeping the hero company.
const COMPANION_WORDS: [&str; 6] = ["friend", "companion", "together", "family", "fox", "owl"];

fn random_id() -> String {
    domain::StoryId::new_random().to_string().to_uppercase()
}

async fn fake_server(vars: &[(&str, &str)]) -> (FakeOpenAi, TestServer) {
    let fake = FakeOpenAi::start().await;
    let base = fake.base_url();
    let mut all = vec![
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", base.as_str()),
    ];
    all.extend_from_slice(vars);
    let s = TestServer::start_with(&all, None).await;
    (fake, s)
}

async fn put_hero(s: &TestServer, user: &str, id: &str, hero: Value) {
    let r = client()
        .put(s.url("heroes", &format!("/{id}")))
        .bearer_auth(token(user))
        .header("content-type", "application/octet-stream")
        .body(hero.to_string())
        .send()
        .await
        .expect("put hero");
    assert!(r.status().is_success(), "{}", r.status());
}

fn luna() -> Value {
    json!({
        "name": "Luna", "primary_trait": "Brave", "secondary_trait": "Kind",
        "appearance": "curly red hair and a yellow raincoat", "special_ability": "talks to owls",
        "age": 6,
        "visual_profile": {"eye_color": "green", "distinctive_features": ["freckles"]}
    })
}

async fn post(
    s: &TestServer,
    function: &str,
    user: &str,
    body: &Value,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let r = client()
        .post(s.url(function, ""))
        .bearer_auth(token(user))
        .header("content-type", "application/octet-stream")
        .body(body.to_string())
        .send()
        .await
        .expect("post");
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.json().await.expect("json"))
}

async fn get_json(s: &TestServer, function: &str, path: &str, user: &str) -> (StatusCode, Value) {
    let r = client()
        .get(s.url(function, path))
        .bearer_auth(token(user))
        .send()
        .await
        .expect("get");
    (r.status(), r.json().await.expect("json"))
}

/// Downloads `url` with no credentials at all and checks it is a PNG.
async fn assert_png_without_credentials(url: &str) {
    let r = reqwest::get(url).await.expect("download");
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.starts_with(&PNG_SIGNATURE), "not a PNG: {url}");
}

fn image_prompts(fake: &FakeOpenAi) -> Vec<String> {
    fake.requests(Endpoint::Images)
        .iter()
        .map(|r| r.body["prompt"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn has_companion(prompt: &str) -> bool {
    let lower = prompt.to_lowercase();
    COMPANION_WORDS.iter().any(|w| lower.contains(w))
}

fn scenes(n: usize) -> Vec<Value> {
    const PLACES: [&str; 6] = [
        "a moonlit garden of glowing flowers",
        "a treehouse full of lanterns",
        "a quiet beach with sparkling shells",
        "a meadow under a rainbow",
        "a cosy library with tall shelves",
        "a snowy hill at sunset",
    ];
    (0..n)
        .map(|i| {
            json!({"prompt": format!("The hero explores {}", PLACES[i % PLACES.len()]), "scene_number": i + 1, "timestamp": i * 30})
        })
        .collect()
}

#[tokio::test]
async fn the_apps_scene_request_returns_an_image_that_downloads_without_credentials() {
    let s = TestServer::start().await;
    let story_id = random_id();
    let body = json!({
        "story_id": story_id,
        "hero_id": random_id(),
        "scenes": [{"prompt": "Luna waters the glowing moon flowers in her garden", "scene_number": 1, "timestamp": 0}],
        "process_async": false,
        "hero_visual_profile": {"canonical_prompt": "a six-year-old girl with curly red hair and a yellow raincoat", "appearance": "curly red hair, yellow raincoat"}
    });
    let (status, headers, v) = post(&s, "scene-illustration", "app-user", &body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!(d["status"], "completed");
    assert_eq!(d["total_scenes"], 1);
    assert_eq!(d["completed_scenes"], 1);
    assert_eq!(d["story_id"], story_id.to_lowercase());
    let ill = &d["illustrations"][0];
    assert_eq!(ill["scene_number"], 1);
    assert_eq!(ill["status"], "completed");
    assert!(ill["error_message"].is_null());
    assert!(ill["generation_id"].as_str().is_some_and(|g| !g.is_empty()));
    assert_eq!(v["meta"]["provider"], "offline");
    assert_eq!(headers["x-ratelimit-limit"], "25");
    assert_eq!(headers["x-ratelimit-remaining"], "24");
    assert_png_without_credentials(ill["image_url"].as_str().expect("image_url")).await;
}

#[tokio::test]
async fn six_scenes_are_painted_three_at_a_time_with_the_heros_look_and_a_companion() {
    let (fake, s) = fake_server(&[]).await;
    fake.set_latency(Endpoint::Images, Duration::from_secs(1));
    let canonical = "a six-year-old girl with curly red hair and a yellow raincoat";
    let body = json!({
        "story_id": random_id(),
        "scenes": scenes(6),
        "process_async": false,
        "hero_visual_profile": {"canonical_prompt": canonical}
    });
    let started = Instant::now();
    let (status, _, v) = post(&s, "scene-illustration", "painter", &body).await;
    let elapsed = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["completed_scenes"], 6);
    assert_eq!(v["meta"]["provider"], "openai");
    // 6 paintings of 1 s at concurrency 3: about 2 s — not 6 s one by one, not 1 s all at once.
    assert!(
        elapsed < Duration::from_millis(3500),
        "took {elapsed:?}: scenes are not painted concurrently"
    );
    assert!(
        elapsed >= Duration::from_millis(1900),
        "took {elapsed:?}: more than 3 paintings ran at once"
    );
    let numbers: Vec<u64> = v["data"]["illustrations"]
        .as_array()
        .expect("illustrations")
        .iter()
        .map(|i| i["scene_number"].as_u64().expect("n"))
        .collect();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6], "in scene order");
    let prompts = image_prompts(&fake);
    assert_eq!(prompts.len(), 6);
    for p in &prompts {
        assert!(p.contains(canonical), "canonical appearance missing: {p}");
        assert!(has_companion(p), "no companion: {p}");
    }
}

#[tokio::test]
async fn a_refused_scene_is_retried_once_gently_and_the_others_still_complete() {
    // One painter at a time, so the two scripted refusals meet scene 1 and its retry.
    let (fake, s) = fake_server(&[("ILLUSTRATION_CONCURRENCY", "1")]).await;
    fake.script(
        Endpoint::Images,
        vec![Fault::ContentPolicy, Fault::ContentPolicy],
    );
    let canonical = "a boy with a green scarf and round glasses";
    let body = json!({
        "scenes": [
            {"scene_number": 1, "illustration_prompt": "Leo climbs the tall clock tower", "text_segment": "Leo climbed.", "timestamp_seconds": 0, "emotion": "exciting", "importance": "key"},
            {"scene_number": 2, "illustration_prompt": "Leo reads under a blanket", "text_segment": "Leo read.", "timestamp_seconds": 20, "emotion": "peaceful", "importance": "major"},
            {"scene_number": 3, "illustration_prompt": "Leo waves at the moon", "text_segment": "Leo waved.", "timestamp_seconds": 40, "emotion": "joyful", "importance": "minor"}
        ],
        "hero_visual_profile": {"canonical_prompt": canonical}
    });
    let (status, _, v) = post(&s, "scene-illustration", "refused", &body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!(d["status"], "partial");
    assert_eq!(d["completed_scenes"], 2);
    assert_eq!(d["total_scenes"], 3);
    let ills = d["illustrations"].as_array().expect("illustrations");
    assert_eq!(ills[0]["status"], "failed");
    assert!(ills[0]["image_url"].is_null());
    assert!(
        ills[0]["error_message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    for ill in &ills[1..] {
        assert_eq!(ill["status"], "completed");
        assert_png_without_credentials(ill["image_url"].as_str().expect("url")).await;
    }
    let prompts = image_prompts(&fake);
    assert_eq!(prompts.len(), 4, "one retry for the refused scene only");
    assert!(prompts[0].contains("clock tower"));
    assert!(
        !prompts[1].contains("clock tower") && prompts[1].contains("cosy"),
        "the retry is a gentler rewrite: {}",
        prompts[1]
    );
    for p in &prompts {
        assert!(p.contains(canonical), "canonical appearance missing: {p}");
        assert!(has_companion(p), "no companion: {p}");
    }

    // When every scene fails the answer is a 502 with the per-scene details.
    fake.script(
        Endpoint::Images,
        vec![Fault::ContentPolicy, Fault::ContentPolicy],
    );
    let one = json!({"scenes": [{"prompt": "Leo climbs the tall clock tower", "scene_number": 1, "timestamp": 0}]});
    let (status, _, v) = post(&s, "scene-illustration", "refused", &one).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{v}");
    assert_eq!(v["error"]["code"], "UPSTREAM_ERROR");
    assert_eq!(
        v["error"]["details"]["illustrations"][0]["status"],
        "failed"
    );
    assert_eq!(v["error"]["details"]["completed_scenes"], 0);
}

#[tokio::test]
async fn the_avatar_updates_the_hero_and_later_illustrations_reuse_its_look() {
    let (fake, s) = fake_server(&[]).await;
    let hero_id = random_id();
    put_hero(&s, "parent", &hero_id, luna()).await;
    let body = json!({"hero_id": hero_id, "prompt": "Luna smiling in a field of sunflowers", "size": "1024x1024", "quality": "high", "style": "watercolor"});
    let (status, headers, v) = post(&s, "avatar-generation", "parent", &body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!(d["hero_id"], hero_id.to_lowercase());
    assert_eq!(d["image_size"], "1024x1024");
    assert_eq!(d["quality"], "high");
    assert!(d["file_size_bytes"].as_u64().is_some_and(|n| n > 8));
    assert_eq!(headers["x-ratelimit-limit"], "8");
    assert_png_without_credentials(d["avatar_url"].as_str().expect("avatar_url")).await;

    // The hero now shows the avatar and a canonical appearance built from its own fields.
    let (status, hero) = get_json(&s, "heroes", &format!("/{hero_id}"), "parent").await;
    assert_eq!(status, StatusCode::OK);
    let hero = &hero["data"];
    assert_eq!(hero["avatar_generation_id"], d["generation_id"]);
    assert_eq!(
        hero["avatar_prompt"],
        "Luna smiling in a field of sunflowers"
    );
    assert_png_without_credentials(hero["avatar_url"].as_str().expect("hero avatar_url")).await;
    let canonical = hero["visual_profile"]["canonical_prompt"]
        .as_str()
        .expect("canonical_prompt")
        .to_string();
    assert_eq!(d["canonical_prompt"], canonical.as_str());
    for part in ["6-year-old", "curly red hair", "green eyes", "freckles"] {
        assert!(canonical.contains(part), "{part} missing from {canonical}");
    }
    assert_eq!(hero["visual_profile"]["eye_color"], "green", "profile kept");

    // Illustrations of the stored hero use its canonical look, not the body's.
    let scene = json!({
        "hero_id": hero_id,
        "scenes": scenes(2),
        "hero_visual_profile": {"canonical_prompt": "a tall knight in silver armour"}
    });
    let (status, _, v) = post(&s, "scene-illustration", "parent", &scene).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let prompts = image_prompts(&fake);
    assert_eq!(prompts.len(), 3);
    for p in &prompts {
        assert!(p.contains(&canonical), "canonical appearance missing: {p}");
        assert!(!p.contains("knight"));
        assert!(has_companion(p), "no companion: {p}");
    }
    assert!(prompts[0].contains("Luna") && prompts[0].contains("sunflowers"));

    // Another user's hero does not exist for this caller.
    let (status, _, v) = post(&s, "avatar-generation", "stranger", &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn an_identical_avatar_request_is_served_from_the_image_cache_uncharged() {
    let (fake, s) = fake_server(&[]).await;
    let hero_id = random_id();
    put_hero(&s, "again", &hero_id, luna()).await;
    let body = json!({"hero_id": hero_id, "prompt": "Luna reading a book with her owl"});
    let (status, headers, first) = post(&s, "avatar-generation", "again", &body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["meta"]["cached"], false);
    assert_eq!(headers["x-ratelimit-remaining"], "7");
    assert_eq!(fake.requests(Endpoint::Images).len(), 1);

    let (status, headers, second) = post(&s, "avatar-generation", "again", &body).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["meta"]["cached"], true);
    assert_eq!(
        fake.requests(Endpoint::Images).len(),
        1,
        "no new provider call"
    );
    assert_eq!(
        second["data"]["generation_id"],
        first["data"]["generation_id"]
    );
    assert!(
        !headers.contains_key("x-ratelimit-remaining"),
        "not charged"
    );
    assert_png_without_credentials(second["data"]["avatar_url"].as_str().expect("url")).await;

    // A different quality is a different painting.
    let mut hd = body.clone();
    hd["quality"] = json!("hd");
    let (_, _, third) = post(&s, "avatar-generation", "again", &hd).await;
    assert_eq!(third["meta"]["cached"], false);
    assert_eq!(fake.requests(Endpoint::Images).len(), 2);
}

#[tokio::test]
async fn avatars_work_with_the_dall_e_family_and_the_gpt_image_family() {
    // DALL·E: its own sizes, standard/hd, vivid/natural as a parameter, b64_json, revised prompt.
    let (fake, s) = fake_server(&[("IMAGE_MODEL", "dall-e-3")]).await;
    let hero_id = random_id();
    put_hero(&s, "family", &hero_id, luna()).await;
    let body = json!({"hero_id": hero_id, "prompt": "Luna waving from a hot-air balloon", "size": "1024x1792", "quality": "hd", "style": "vivid"});
    let (status, _, v) = post(&s, "avatar-generation", "family", &body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let sent = &fake.requests(Endpoint::Images)[0].body;
    assert_eq!(sent["model"], "dall-e-3");
    assert_eq!(sent["size"], "1024x1792");
    assert_eq!(sent["quality"], "hd");
    assert_eq!(sent["style"], "vivid");
    assert_eq!(sent["response_format"], "b64_json");
    assert_eq!(v["data"]["image_size"], "1024x1792");
    assert_eq!(v["data"]["quality"], "hd");
    assert!(v["data"]["revised_prompt"].as_str().is_some());
    // Other style words become art direction in the prompt.
    let body = json!({"hero_id": hero_id, "prompt": "Luna waving from a hot-air balloon", "quality": "standard", "style": "watercolor"});
    let (status, _, v) = post(&s, "avatar-generation", "family", &body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let sent = &fake.requests(Endpoint::Images)[1].body;
    assert_eq!(sent["quality"], "standard");
    assert!(sent.get("style").is_none());
    assert!(
        sent["prompt"]
            .as_str()
            .is_some_and(|p| p.contains("watercolor"))
    );
    drop(s);

    // gpt-image (the default): nearest of its sizes, low/medium/high, style as prompt text.
    let (fake, s) = fake_server(&[]).await;
    put_hero(&s, "family", &hero_id, luna()).await;
    let body = json!({"hero_id": hero_id, "prompt": "Luna waving from a hot-air balloon", "size": "1792x1024", "quality": "high", "style": "watercolor"});
    let (status, _, v) = post(&s, "avatar-generation", "family", &body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let sent = &fake.requests(Endpoint::Images)[0].body;
    assert!(
        sent["model"]
            .as_str()
            .is_some_and(|m| m.starts_with("gpt-image"))
    );
    assert_eq!(sent["size"], "1536x1024");
    assert_eq!(sent["quality"], "high");
    assert!(sent.get("style").is_none());
    assert!(sent.get("response_format").is_none());
    assert!(
        sent["prompt"]
            .as_str()
            .is_some_and(|p| p.contains("watercolor"))
    );
    assert_eq!(v["data"]["image_size"], "1536x1024");
    assert!(v["data"]["revised_prompt"].is_null());
    let body = json!({"hero_id": hero_id, "prompt": "Luna waving from a hot-air balloon", "quality": "low", "style": "natural"});
    let (status, _, _) = post(&s, "avatar-generation", "family", &body).await;
    assert_eq!(status, StatusCode::OK);
    let sent = &fake.requests(Endpoint::Images)[1].body;
    assert_eq!(sent["quality"], "medium");
    assert_eq!(sent["size"], "1024x1024");

    // Under X-Test-Mode the offline painter answers and the fake is not called.
    let r = client()
        .post(s.url("avatar-generation", ""))
        .bearer_auth(token("family"))
        .header("x-test-mode", "true")
        .body(json!({"hero_id": hero_id, "prompt": "Luna on a smoke-test flight"}).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["meta"]["provider"], "offline");
    assert_eq!(fake.requests(Endpoint::Images).len(), 2);
}

#[tokio::test]
async fn per_scene_status_of_a_stored_story_is_shown_by_stories_and_removed_with_it() {
    let (fake, s) = fake_server(&[("ILLUSTRATION_CONCURRENCY", "1")]).await;
    let hero_id = random_id();
    put_hero(&s, "reader", &hero_id, luna()).await;
    let (status, _, story) = post(
        &s,
        "story-generation",
        "reader",
        &json!({"hero_id": hero_id, "event": {"type": "built_in", "data": {"name": "Bedtime Adventure"}}, "target_duration": 120}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{story}");
    let story_id = story["data"]["story_id"].as_str().expect("id").to_string();
    let scenes = story["data"]["scenes"].as_array().expect("scenes").clone();
    let (_, shown) = get_json(&s, "stories", &format!("/{story_id}"), "reader").await;
    assert_eq!(shown["data"]["illustration_status"], "none");

    // Paint the story's own scenes (full shape), one at a time, slowly enough to watch.
    fake.set_latency(Endpoint::Images, Duration::from_millis(800));
    let body = json!({"story_id": story_id.to_uppercase(), "hero_id": hero_id, "scenes": scenes});
    let server = s.url("scene-illustration", "");
    let running = tokio::spawn(async move {
        let r = client()
            .post(server)
            .bearer_auth(token("reader"))
            .body(body.to_string())
            .send()
            .await
            .expect("post");
        (r.status(), r.json::<Value>().await.expect("json"))
    });
    // While it runs, `stories` shows the painted scenes completed, exactly one processing
    // (concurrency 1) and the rest pending.
    let mut seen = None;
    for _ in 0..50 {
        let (_, during) = get_json(&s, "stories", &format!("/{story_id}"), "reader").await;
        let painting = during["data"]["scenes"].as_array().is_some_and(|scenes| {
            scenes
                .iter()
                .any(|sc| sc["illustration"]["status"] == "processing")
        });
        if painting {
            assert_eq!(during["data"]["illustration_status"], "processing");
            seen = Some(during);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let during = seen.expect("the story showed its illustrations in progress");
    let states: Vec<String> = during["data"]["scenes"]
        .as_array()
        .expect("scenes")
        .iter()
        .map(|sc| {
            sc["illustration"]["status"]
                .as_str()
                .expect("status")
                .to_string()
        })
        .collect();
    let at = states
        .iter()
        .position(|st| st != "completed")
        .expect("one unfinished");
    assert_eq!(states[at], "processing", "{states:?}");
    assert!(
        states[at + 1..].iter().all(|st| st == "pending"),
        "{states:?}"
    );
    assert!(
        states.iter().filter(|st| *st == "processing").count() == 1,
        "{states:?}"
    );

    let (status, v) = running.await.expect("join");
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["status"], "completed");
    let (_, after) = get_json(&s, "stories", &format!("/{story_id}"), "reader").await;
    assert_eq!(after["data"]["illustration_status"], "completed");
    let mut urls = Vec::new();
    for (sc, ill) in after["data"]["scenes"]
        .as_array()
        .expect("scenes")
        .iter()
        .zip(v["data"]["illustrations"].as_array().expect("ills"))
    {
        assert_eq!(sc["illustration"]["status"], "completed");
        assert_eq!(
            sc["illustration"]["generation_id"], ill["generation_id"],
            "the story shows the painted generation"
        );
        let url = sc["image_url"].as_str().expect("image_url").to_string();
        assert_png_without_credentials(&url).await;
        urls.push(url);
    }

    // Deleting the story deletes its pictures.
    let r = client()
        .delete(s.url("stories", &format!("/{story_id}")))
        .bearer_auth(token("reader"))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::OK);
    for url in urls {
        let r = reqwest::get(&url).await.expect("download");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{url}");
    }
}

#[tokio::test]
async fn the_rate_limit_counts_images_and_cached_scenes_are_free() {
    let s = TestServer::start_with(&[("RATE_LIMIT_SCENE_ILLUSTRATION", "4")], None).await;
    let six = json!({"scenes": scenes(6)});
    let (status, headers, v) = post(&s, "scene-illustration", "counted", &six).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["error"]["code"], "RATE_LIMITED");
    assert!(headers.contains_key("retry-after"));

    let three = json!({"scenes": scenes(3)});
    let (status, headers, v) = post(&s, "scene-illustration", "counted", &three).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(headers["x-ratelimit-remaining"], "1");

    // The same three scenes again come from the image cache and cost nothing.
    let (status, _, again) = post(&s, "scene-illustration", "counted", &three).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["meta"]["cached"], true);
    for ill in again["data"]["illustrations"].as_array().expect("ills") {
        assert_eq!(ill["cached"], true);
        assert_png_without_credentials(ill["image_url"].as_str().expect("url")).await;
    }

    // Two new scenes do not fit in the one image left.
    let two = json!({"scenes": [{"prompt": "The hero flies a kite on a windy hill"}, {"prompt": "The hero bakes cookies"}]});
    let (status, _, v) = post(&s, "scene-illustration", "counted", &two).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let one = json!({"scenes": [{"prompt": "The hero flies a kite on a windy hill"}]});
    let (status, _, v) = post(&s, "scene-illustration", "counted", &one).await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn bad_requests_are_refused_before_any_painting() {
    let (fake, s) = fake_server(&[]).await;
    let hero_id = random_id();
    put_hero(&s, "strict", &hero_id, luna()).await;
    let cases = [
        (
            "scene-illustration",
            json!({"scenes": []}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "scene-illustration",
            json!({"scenes": scenes(7)}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "scene-illustration",
            json!({"story_id": "nope", "scenes": scenes(1)}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "scene-illustration",
            json!({"scenes": [{"scene_number": 1}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "scene-illustration",
            json!({"scenes": [{"prompt": "the hero hides from a man with a gun and lots of blood and gore everywhere, then kills him"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "avatar-generation",
            json!({"hero_id": hero_id, "prompt": "short"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "avatar-generation",
            json!({"hero_id": hero_id, "prompt": "Luna in a meadow", "size": "640x480"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "avatar-generation",
            json!({"hero_id": random_id(), "prompt": "Luna in a meadow"}),
            StatusCode::NOT_FOUND,
        ),
        (
            "avatar-generation",
            json!({"prompt": "Luna in a meadow"}),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (function, body, expected) in cases {
        let (status, _, v) = post(&s, function, "strict", &body).await;
        assert_eq!(status, expected, "{function} {body}: {v}");
        assert_eq!(v["success"], false);
    }
    let r = client()
        .post(s.url("scene-illustration", ""))
        .body(json!({"scenes": scenes(1)}).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        fake.requests(Endpoint::Images).is_empty(),
        "nothing was painted"
    );
}
