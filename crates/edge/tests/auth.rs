//! JWT verification exactly as SPEC §4, against a real JWKS endpoint on loopback.

use axum::routing::get;
use config::Settings;
use edge::auth::{AuthError, Authenticator};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "test-secret-0123456789-0123456789-abcdef";
const RSA_PRIVATE: &str = include_str!("fixtures/rsa_private.pem");
const RSA_PUBLIC: &str = include_str!("fixtures/rsa_public.pem");
const EC_PRIVATE: &str = include_str!("fixtures/ec_private.pem");
const JWKS: &str = include_str!("fixtures/jwks.json");

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn settings(vars: &[(&str, &str)]) -> Settings {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|k| map.get(k).cloned()).expect("valid settings")
}

async fn hs_auth(extra: &[(&str, &str)]) -> Authenticator {
    let mut vars = vec![("JWT_SECRET", SECRET)];
    vars.extend_from_slice(extra);
    Authenticator::from_settings(&settings(&vars), reqwest::Client::new())
        .await
        .expect("authenticator")
}

fn hs(claims: Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode")
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

fn claims(sub: &str) -> Value {
    json!({"sub": sub, "role": "authenticated", "aud": "authenticated", "exp": now() + 600})
}

/// Serves a JWKS that tests can change at run time.
async fn jwks_server(doc: Arc<Mutex<Value>>) -> String {
    let app = axum::Router::new().route(
        "/jwks",
        get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.lock().expect("lock").clone()) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/jwks")
}

#[tokio::test]
async fn a_valid_hs256_token_yields_the_lowercased_subject() {
    let a = hs_auth(&[]).await;
    let c = a
        .authenticate(Some(&bearer(&hs(claims(
            "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
        )))))
        .await
        .expect("valid");
    assert_eq!(c.user_id.as_str(), "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
}

#[tokio::test]
async fn missing_malformed_and_forged_tokens_are_refused() {
    let a = hs_auth(&[]).await;
    assert_eq!(a.authenticate(None).await, Err(AuthError::Missing));
    assert_eq!(
        a.authenticate(Some("Basic abc")).await,
        Err(AuthError::Missing)
    );
    assert_eq!(
        a.authenticate(Some("Bearer not.a.jwt")).await,
        Err(AuthError::Malformed)
    );
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &claims("u1"),
        &EncodingKey::from_secret(b"another-secret-another-secret-another"),
    )
    .expect("encode");
    assert_eq!(
        a.authenticate(Some(&bearer(&forged))).await,
        Err(AuthError::Signature)
    );
}

#[tokio::test]
async fn alg_none_is_refused() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64.encode(claims("u1").to_string());
    let a = hs_auth(&[]).await;
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        assert!(a.authenticate(Some(&bearer(&token))).await.is_err());
    }
}

#[tokio::test]
async fn expiry_and_not_before_are_checked_with_a_minute_of_leeway() {
    let a = hs_auth(&[]).await;
    let mut c = claims("u1");
    c["exp"] = json!(now() - 30);
    assert!(
        a.authenticate(Some(&bearer(&hs(c.clone())))).await.is_ok(),
        "within leeway"
    );
    c["exp"] = json!(now() - 120);
    assert_eq!(
        a.authenticate(Some(&bearer(&hs(c.clone())))).await,
        Err(AuthError::Expired)
    );
    let mut c = claims("u1");
    c["nbf"] = json!(now() + 600);
    assert_eq!(
        a.authenticate(Some(&bearer(&hs(c)))).await,
        Err(AuthError::NotYetValid)
    );
    let mut c = claims("u1");
    c.as_object_mut().expect("object").remove("exp");
    assert!(
        a.authenticate(Some(&bearer(&hs(c)))).await.is_err(),
        "exp is required"
    );
}

#[tokio::test]
async fn issuer_and_audience_are_enforced() {
    let a = hs_auth(&[("JWT_ISSUER", "https://auth.example.com/auth/v1")]).await;
    let mut c = claims("u1");
    assert_eq!(
        a.authenticate(Some(&bearer(&hs(c.clone())))).await,
        Err(AuthError::Claims)
    );
    c["iss"] = json!("https://auth.example.com/auth/v1");
    assert!(a.authenticate(Some(&bearer(&hs(c.clone())))).await.is_ok());
    c["aud"] = json!("someone-else");
    assert_eq!(
        a.authenticate(Some(&bearer(&hs(c)))).await,
        Err(AuthError::Claims)
    );
}

#[tokio::test]
async fn anon_tokens_need_a_dev_user_outside_production() {
    let anon = hs(json!({"role": "anon", "aud": "authenticated", "exp": now() + 600}));
    let a = hs_auth(&[]).await;
    assert_eq!(
        a.authenticate(Some(&bearer(&anon))).await,
        Err(AuthError::Anonymous)
    );
    let a = hs_auth(&[("DEV_ANON_USER_ID", "9B2D1F7E-3C4A-4B5D-8E6F-7A8B9C0D1E2F")]).await;
    let c = a
        .authenticate(Some(&bearer(&anon)))
        .await
        .expect("dev anon user");
    assert_eq!(c.user_id.as_str(), "9b2d1f7e-3c4a-4b5d-8e6f-7a8b9c0d1e2f");
    assert_eq!(c.role, "anon");
}

#[tokio::test]
async fn a_token_without_subject_is_refused() {
    let a = hs_auth(&[]).await;
    let t = hs(json!({"role": "authenticated", "aud": "authenticated", "exp": now() + 600}));
    assert_eq!(
        a.authenticate(Some(&bearer(&t))).await,
        Err(AuthError::NoSubject)
    );
}

#[tokio::test]
async fn rs256_and_es256_tokens_verify_against_the_jwks() {
    let doc = Arc::new(Mutex::new(
        serde_json::from_str::<Value>(JWKS).expect("jwks"),
    ));
    let url = jwks_server(doc).await;
    let a =
        Authenticator::from_settings(&settings(&[("JWT_JWKS_URL", &url)]), reqwest::Client::new())
            .await
            .expect("authenticator");
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some("test-rsa".into());
    let rs = encode(
        &h,
        &claims("rsa-user"),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa"),
    )
    .expect("encode");
    assert_eq!(
        a.authenticate(Some(&bearer(&rs)))
            .await
            .expect("rs256")
            .user_id
            .as_str(),
        "rsa-user"
    );
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some("test-ec".into());
    let ec = encode(
        &h,
        &claims("ec-user"),
        &EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("ec"),
    )
    .expect("encode");
    assert_eq!(
        a.authenticate(Some(&bearer(&ec)))
            .await
            .expect("es256")
            .user_id
            .as_str(),
        "ec-user"
    );

    // an RS256 token naming the EC key: the key decides the algorithm, not the header
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some("test-ec".into());
    let mixed = encode(
        &h,
        &claims("x"),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa"),
    )
    .expect("encode");
    assert_eq!(
        a.authenticate(Some(&bearer(&mixed))).await,
        Err(AuthError::Algorithm)
    );
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    // The classic algorithm-confusion attack: HMAC keyed with the RSA public key PEM.
    let doc = Arc::new(Mutex::new(
        serde_json::from_str::<Value>(JWKS).expect("jwks"),
    ));
    let url = jwks_server(doc).await;
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("test-rsa".into());
    let confused = encode(
        &h,
        &claims("attacker"),
        &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
    )
    .expect("encode");
    let jwks_only = Authenticator::from_settings(
        &settings(&[("JWT_JWKS_URL", &url), ("ENVIRONMENT", "production")]),
        reqwest::Client::new(),
    )
    .await
    .expect("authenticator");
    assert_eq!(
        jwks_only.authenticate(Some(&bearer(&confused))).await,
        Err(AuthError::Algorithm)
    );
    let both = Authenticator::from_settings(
        &settings(&[("JWT_JWKS_URL", &url), ("JWT_SECRET", SECRET)]),
        reqwest::Client::new(),
    )
    .await
    .expect("authenticator");
    assert_eq!(
        both.authenticate(Some(&bearer(&confused))).await,
        Err(AuthError::Signature)
    );
}

#[tokio::test]
async fn an_unknown_kid_triggers_one_jwks_refresh() {
    let original: Value = serde_json::from_str(JWKS).expect("jwks");
    let mut only_ec = original.clone();
    only_ec["keys"]
        .as_array_mut()
        .expect("keys")
        .retain(|k| k["kid"] == "test-ec");
    let doc = Arc::new(Mutex::new(only_ec));
    let url = jwks_server(doc.clone()).await;
    let a =
        Authenticator::from_settings(&settings(&[("JWT_JWKS_URL", &url)]), reqwest::Client::new())
            .await
            .expect("authenticator");
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some("test-rsa".into());
    let rs = encode(
        &h,
        &claims("rotated"),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa"),
    )
    .expect("encode");
    // Right after the cold-start fetch, an unknown kid does not refetch (throttled).
    assert_eq!(
        a.authenticate(Some(&bearer(&rs))).await,
        Err(AuthError::UnknownKey)
    );
    // The provider rotates in the RSA key; once the throttle allows, the kid is found.
    *doc.lock().expect("lock") = original;
    let a = a.with_jwks_refresh_interval(Duration::ZERO);
    assert_eq!(
        a.authenticate(Some(&bearer(&rs)))
            .await
            .expect("refreshed")
            .user_id
            .as_str(),
        "rotated"
    );
}
