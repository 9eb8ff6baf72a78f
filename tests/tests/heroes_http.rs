//! `heroes` and the edge behaviour over HTTP, as the app and the issue's checks use them.

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{TestServer, client, token, token_with};

const HERO_ID: &str = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";

fn hero_body() -> Value {
    json!({
        "id": HERO_ID,
        "name": "Luna",
        "primary_trait": "Brave",
        "secondary_trait": "Kind",
        "appearance": "curly red hair and a yellow raincoat",
        "special_ability": "talks to owls",
        "age": 6,
        "visual_profile": {"hair_color": "red", "distinctive_features": ["freckles"], "color_palette": ["yellow"]},
        "avatar_url": "https://example.com/ignored.png",
        "created_at": "2020-01-01T00:00:00Z",
        "future_field": {"nested": true}
    })
}

async fn put_hero(s: &TestServer, user: &str, id: &str, body: &Value) -> reqwest::Response {
    client()
        .put(s.url("heroes", &format!("/{id}")))
        .bearer_auth(token(user))
        .header("content-type", "application/octet-stream")
        .body(body.to_string())
        .send()
        .await
        .expect("request")
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    assert!(
        r.headers().contains_key("x-request-id"),
        "every response has X-Request-Id"
    );
    let v = r.json::<Value>().await.expect("json body");
    (status, v)
}

fn assert_error(v: &Value, code: &str) {
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(v["request_id"].as_str().is_some());
    assert!(v["timestamp"].as_str().is_some());
}

#[tokio::test]
async fn put_with_an_uppercase_uuid_stores_and_returns_it_lowercased() {
    let s = TestServer::start().await;
    let (status, v) = json_of(put_hero(&s, "user-a", HERO_ID, &hero_body()).await).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["success"], true);
    assert_eq!(v["data"]["id"], HERO_ID.to_lowercase());
    assert!(v["meta"]["request_id"].as_str().is_some());
    assert!(v["meta"]["processing_time"].is_u64());
    assert_eq!(
        v["data"]["avatar_url"],
        Value::Null,
        "avatar_url is read-only"
    );

    let (status, v) = json_of(
        client()
            .get(s.url("heroes", &format!("/{}", HERO_ID.to_lowercase())))
            .bearer_auth(token("user-a"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["data"]["id"], HERO_ID.to_lowercase());
    assert_eq!(v["data"]["name"], "Luna");
    assert_eq!(v["data"]["age"], 6);
    assert_eq!(v["data"]["visual_profile"]["hair_color"], "red");

    // the same PUT again replaces (200) and keeps created_at
    let created_at = v["data"]["created_at"].clone();
    let mut body = hero_body();
    body["name"] = json!("Luna Star");
    let (status, v) = json_of(put_hero(&s, "user-a", HERO_ID, &body).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["data"]["name"], "Luna Star");
    assert_eq!(v["data"]["created_at"], created_at);
}

#[tokio::test]
async fn another_user_cannot_see_change_or_delete_a_hero() {
    let s = TestServer::start().await;
    put_hero(&s, "owner", HERO_ID, &hero_body()).await;
    let path = format!("/{HERO_ID}");
    let c = client();
    for req in [
        c.get(s.url("heroes", &path)),
        c.patch(s.url("heroes", &path))
            .body(r#"{"name":"Mine now"}"#),
        c.delete(s.url("heroes", &path)),
    ] {
        let (status, v) = json_of(
            req.bearer_auth(token("intruder"))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_error(&v, "NOT_FOUND");
    }
    let (_, list) = json_of(
        c.get(s.url("heroes", ""))
            .bearer_auth(token("intruder"))
            .send()
            .await
            .expect("list"),
    )
    .await;
    assert_eq!(list["data"]["heroes"], json!([]));
    let (_, v) = json_of(
        c.get(s.url("heroes", &path))
            .bearer_auth(token("owner"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(v["data"]["name"], "Luna", "the owner's hero is unchanged");
}

#[tokio::test]
async fn the_list_is_the_callers_only_newest_first_and_paginated() {
    let s = TestServer::start().await;
    let c = client();
    let mut ids = Vec::new();
    for name in ["A", "B", "C", "D", "E"] {
        let r = c
            .post(s.url("heroes", "/"))
            .bearer_auth(token("lister"))
            .body(
                json!({"name": name, "primary_trait": "Brave", "secondary_trait": "Kind"})
                    .to_string(),
            )
            .send()
            .await
            .expect("post");
        let (status, v) = json_of(r).await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(v["data"]["id"].as_str().expect("id").to_string());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    put_hero(&s, "someone-else", HERO_ID, &hero_body()).await;

    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = s.url("heroes", "?limit=2");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, v) = json_of(
            c.get(url)
                .bearer_auth(token("lister"))
                .send()
                .await
                .expect("list"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let page = v["data"]["heroes"].as_array().expect("heroes").clone();
        assert!(page.len() <= 2);
        names.extend(
            page.iter()
                .map(|h| h["name"].as_str().expect("name").to_string()),
        );
        match v["data"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(names, vec!["E", "D", "C", "B", "A"]);

    for bad in ["?limit=0", "?limit=1000", "?limit=abc", "?cursor=forged"] {
        let (status, v) = json_of(
            c.get(s.url("heroes", bad))
                .bearer_auth(token("lister"))
                .send()
                .await
                .expect("list"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_error(&v, "INVALID_REQUEST");
    }
}

#[tokio::test]
async fn invalid_fields_are_named_and_change_nothing() {
    let s = TestServer::start().await;
    put_hero(&s, "user-v", HERO_ID, &hero_body()).await;
    let c = client();
    let cases = [
        (
            json!({"name": "", "primary_trait": "Brave", "secondary_trait": "Kind"}),
            "name",
        ),
        (
            json!({"name": "x".repeat(51), "primary_trait": "Brave", "secondary_trait": "Kind"}),
            "name",
        ),
        (
            json!({"name": "Max", "primary_trait": 7, "secondary_trait": "Kind"}),
            "primary_trait",
        ),
        (
            json!({"name": "Max", "primary_trait": "Brave"}),
            "secondary_trait",
        ),
        (
            json!({"name": "Max", "primary_trait": "Brave", "secondary_trait": "Kind", "age": 2}),
            "age",
        ),
        (
            json!({"name": "Max", "primary_trait": "Brave", "secondary_trait": "Kind", "appearance": "a".repeat(501)}),
            "appearance",
        ),
        (
            json!({"name": "Max", "primary_trait": "Brave", "secondary_trait": "Kind", "visual_profile": "red"}),
            "visual_profile",
        ),
        (
            json!({"name": "Max", "primary_trait": "Brave", "secondary_trait": "Kind", "visual_profile": {"hair_color": 3}}),
            "visual_profile.hair_color",
        ),
    ];
    for (body, field) in cases {
        let (status, v) = json_of(put_hero(&s, "user-v", HERO_ID, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&v, "INVALID_REQUEST");
        assert_eq!(v["error"]["details"]["fields"][0]["field"], field, "{v}");
    }
    let r = c
        .patch(s.url("heroes", &format!("/{HERO_ID}")))
        .bearer_auth(token("user-v"))
        .body(r#"{"age": 99}"#)
        .send()
        .await
        .expect("patch");
    let (status, v) = json_of(r).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["details"]["fields"][0]["field"], "age");
    let (_, v) = json_of(
        c.get(s.url("heroes", &format!("/{HERO_ID}")))
            .bearer_auth(token("user-v"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(v["data"]["name"], "Luna");
    assert_eq!(v["data"]["age"], 6);

    let (status, _) = json_of(put_hero(&s, "user-v", "not-a-uuid", &hero_body()).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = json_of(
        put_hero(
            &s,
            "user-v",
            "9B2D1F7E-3C4A-4B5D-8E6F-7A8B9C0D1E2F",
            &hero_body(),
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a body id that differs from the path is refused"
    );
}

#[tokio::test]
async fn patch_updates_and_delete_removes_the_hero_and_its_avatar_objects() {
    let s = TestServer::start().await;
    put_hero(&s, "user-d", HERO_ID, &hero_body()).await;
    let c = client();
    let path = format!("/{HERO_ID}");
    let (status, v) = json_of(
        c.patch(s.url("heroes", &path))
            .bearer_auth(token("user-d"))
            .body(r#"{"name":"Nova","age":null}"#)
            .send()
            .await
            .expect("patch"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["data"]["name"], "Nova");
    assert_eq!(v["data"]["age"], Value::Null);
    assert_eq!(v["data"]["primary_trait"], "Brave");

    // an avatar object stored under the hero, and one of another hero
    let user = domain::UserId::parse("user-d").expect("user");
    let avatar =
        storage::BlobKey::new(&user, &format!("heroes/{}/abc.png", HERO_ID.to_lowercase()))
            .expect("key");
    let other = storage::BlobKey::new(&user, "heroes/9b2d1f7e-3c4a-4b5d-8e6f-7a8b9c0d1e2f/abc.png")
        .expect("key");
    for k in [&avatar, &other] {
        s.deps
            .backend
            .blobs
            .put(
                storage::Bucket::HeroAvatars,
                k,
                bytes::Bytes::from_static(b"png"),
                "image/png",
            )
            .await
            .expect("put");
    }
    let (status, v) = json_of(
        c.delete(s.url("heroes", &path))
            .bearer_auth(token("user-d"))
            .send()
            .await
            .expect("delete"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["data"]["deleted"], true);
    assert!(
        s.deps
            .backend
            .blobs
            .get(storage::Bucket::HeroAvatars, &avatar)
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        s.deps
            .backend
            .blobs
            .get(storage::Bucket::HeroAvatars, &other)
            .await
            .expect("get")
            .is_some()
    );
    let (status, _) = json_of(
        c.get(s.url("heroes", &path))
            .bearer_auth(token("user-d"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bodies_are_json_whatever_the_content_type_and_bad_bodies_are_400_or_413() {
    let s = TestServer::start().await;
    let c = client();
    let body =
        json!({"name": "Kai", "primary_trait": "Curious", "secondary_trait": "Funny"}).to_string();
    for ct in [
        Some("application/octet-stream"),
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("text/plain"),
        None,
    ] {
        let mut req = c
            .post(s.url("heroes", ""))
            .bearer_auth(token("ct-user"))
            .body(body.clone());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let (status, _) = json_of(req.send().await.expect("post")).await;
        assert_eq!(status, StatusCode::CREATED, "{ct:?}");
    }
    for bad in [
        "",
        "not json",
        "[1,2,3]",
        "\"text\"",
        "{\"name\": ",
        "null",
        "42",
    ] {
        let (status, v) = json_of(
            c.post(s.url("heroes", ""))
                .bearer_auth(token("ct-user"))
                .header("content-type", "application/octet-stream")
                .body(bad)
                .send()
                .await
                .expect("post"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_error(&v, "INVALID_REQUEST");
    }
    let big = json!({"name": "Big", "primary_trait": "Brave", "secondary_trait": "Kind", "pad": "x".repeat(300 * 1024)});
    let (status, v) = json_of(
        c.post(s.url("heroes", ""))
            .bearer_auth(token("ct-user"))
            .body(big.to_string())
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&v, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn bad_tokens_are_401_with_the_error_envelope() {
    use base64::Engine;
    let s = TestServer::start().await;
    let c = client();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(
            json!({"sub": "x", "exp": 9_999_999_999i64, "aud": "authenticated"}).to_string()
        )
    );
    let bad_sig = edge::auth::mint_hs256(
        "a-different-secret-a-different-secret!!",
        "x",
        "authenticated",
        std::time::Duration::from_secs(600),
        None,
    )
    .expect("mint");
    let valid = token("x");
    let (head, _) = valid.rsplit_once('.').expect("jwt");
    let tampered = format!("{head}.AAAA");
    let anon = token_with("x", "anon", 600);
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("garbage", Some("Bearer garbage".into())),
        ("not bearer", Some(format!("Basic {valid}"))),
        ("bad signature", Some(format!("Bearer {bad_sig}"))),
        ("tampered", Some(format!("Bearer {tampered}"))),
        ("alg none", Some(format!("Bearer {none}"))),
        ("anon role", Some(format!("Bearer {anon}"))),
    ];
    for (what, auth) in cases {
        let mut req = c.get(s.url("heroes", ""));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let (status, v) = json_of(req.send().await.expect("send")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_error(&v, "UNAUTHORIZED");
    }
    // A token that expired two minutes ago is past the 60 s leeway.
    let old = {
        #[derive(serde::Serialize)]
        struct C {
            sub: &'static str,
            aud: &'static str,
            exp: i64,
        }
        let c = C {
            sub: "x",
            aud: "authenticated",
            exp: chrono_now() - 120,
        };
        jsonwebtoken_encode(&c)
    };
    let (status, v) = json_of(
        c.get(s.url("heroes", ""))
            .bearer_auth(old)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["message"], "The token has expired");
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64
}

fn jsonwebtoken_encode<T: serde::Serialize>(claims: &T) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64.encode(serde_json::to_vec(claims).expect("json"));
    let signing_input = format!("{header}.{payload}");
    let sig = hmac_sha256(
        system_tests::TEST_SECRET.as_bytes(),
        signing_input.as_bytes(),
    );
    format!("{signing_input}.{}", b64.encode(sig))
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("key");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

#[tokio::test]
async fn preflight_is_204_with_cors_headers_before_auth() {
    let s = TestServer::start().await;
    let r = client()
        .request(reqwest::Method::OPTIONS, s.url("heroes", "/anything"))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .expect("options");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let h = r.headers();
    assert!(h.contains_key("x-request-id"));
    assert_eq!(h["access-control-allow-origin"], "*");
    let allowed = h["access-control-allow-headers"].to_str().expect("ascii");
    for name in [
        "authorization",
        "content-type",
        "apikey",
        "x-client-info",
        "idempotency-key",
        "x-test-mode",
    ] {
        assert!(allowed.contains(name), "{name} allowed");
    }
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .expect("ascii")
            .contains("PUT")
    );
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let s = TestServer::start_with(&[("ALLOWED_ORIGINS", "https://app.example.com")], None).await;
    let c = client();
    let ok = c
        .get(s.url("health", ""))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .expect("get");
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let other = c
        .get(s.url("health", ""))
        .header("origin", "https://evil.example.com")
        .send()
        .await
        .expect("get");
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn wrong_methods_and_routes_are_405_and_404_envelopes() {
    let s = TestServer::start().await;
    let c = client();
    let (status, v) = json_of(
        c.delete(s.url("heroes", ""))
            .bearer_auth(token("m"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&v, "METHOD_NOT_ALLOWED");
    let (status, v) = json_of(
        c.get(s.url("heroes", &format!("/{HERO_ID}/extra")))
            .bearer_auth(token("m"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "NOT_FOUND");
    let r = c
        .get(s.url("no-such-function", ""))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn no_request_shape_produces_a_500() {
    let s = TestServer::start().await;
    let c = client();
    let methods = [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
        reqwest::Method::HEAD,
    ];
    let paths = [
        "",
        "/",
        &format!("/{HERO_ID}"),
        "/%00",
        "/..%2F..%2Fetc",
        "/a/b/c",
        "/%E2%82%AC",
        "/?limit=-1",
        "/?cursor=%FF%FF",
    ];
    let bodies = [
        String::new(),
        "{}".to_string(),
        "{\"name\": null}".to_string(),
        "{\"name\": {\"a\": 1}, \"primary_trait\": [], \"secondary_trait\": 1e400}".to_string(),
        "\u{feff}{\"name\":\"Bom\",\"primary_trait\":\"A\",\"secondary_trait\":\"B\"}".to_string(),
        "{\"age\": 1.5, \"visual_profile\": {\"distinctive_features\": [1, 2]}}".to_string(),
        format!("{{\"name\": \"{}\"}}", "\\u0000".repeat(10)),
        "[".repeat(10_000),
        "{\"a\":".repeat(2_000),
    ];
    for m in &methods {
        for p in &paths {
            for b in &bodies {
                let r = c
                    .request(m.clone(), s.url("heroes", p))
                    .bearer_auth(token("fuzz"))
                    .body(b.clone())
                    .send()
                    .await
                    .expect("send");
                assert!(
                    r.status().as_u16() < 500,
                    "{m} {p} {b:.40} → {}",
                    r.status()
                );
            }
        }
    }
}

#[tokio::test]
async fn heroes_survive_a_server_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    {
        let s = TestServer::start_with(&[], Some(&data)).await;
        let (status, _) = json_of(put_hero(&s, "restart", HERO_ID, &hero_body()).await).await;
        assert_eq!(status, StatusCode::CREATED);
        s.stop();
    }
    let s = TestServer::start_with(&[], Some(&data)).await;
    let (status, v) = json_of(
        client()
            .get(s.url("heroes", &format!("/{HERO_ID}")))
            .bearer_auth(token("restart"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["data"]["name"], "Luna");
}

#[tokio::test]
async fn hero_text_goes_through_the_safety_pipeline_on_write() {
    let s = TestServer::start().await;
    let mut body = hero_body();
    body["special_ability"] = json!("can shoot people with a gun");
    let (status, v) = json_of(put_hero(&s, "safe-user", HERO_ID, &body).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_error(&v, "CONTENT_REJECTED");
    assert_eq!(v["error"]["details"]["field"], "special_ability");
    let r = client()
        .get(s.url("heroes", &format!("/{HERO_ID}")))
        .bearer_auth(token("safe-user"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "a rejected hero is not stored"
    );

    let mut body = hero_body();
    body["appearance"] = json!("wears a scary mask in the dark forest");
    let (status, v) = json_of(put_hero(&s, "safe-user", HERO_ID, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let appearance = v["data"]["appearance"].as_str().expect("appearance");
    assert_ne!(
        appearance, "wears a scary mask in the dark forest",
        "soft words are rewritten"
    );
    assert!(!appearance.contains("scary"));

    let mut body = hero_body();
    body["name"] = json!("Lie down Luna");
    let (status, v) = json_of(put_hero(&s, "safe-user", HERO_ID, &body).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v["data"]["name"], "Lie down Luna",
        "safe text passes unchanged"
    );
}
