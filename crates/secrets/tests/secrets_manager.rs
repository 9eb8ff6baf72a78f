//! Secret resolution against Secrets Manager as served by moto (loopback).
//!
//! The server is `testkit::moto`: `MOTO_ENDPOINT` or `AWS_ENDPOINT_URL` when set, otherwise
//! `scripts/moto-server` started on a free loopback port for this test process. Without moto
//! these tests fail, on purpose: `pip install 'moto[server]'`.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::primitives::Blob;
use secrets::{Resolved, resolve};
use std::collections::HashMap;
use std::net::TcpListener;
use std::time::{Duration, Instant};
use testkit::moto::endpoint;

/// SDK configuration for `endpoint` with dummy credentials (the environment is not touched).
async fn sdk_config_at(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .load()
        .await
}

async fn moto_client() -> Client {
    secrets::client(&sdk_config_at(&endpoint()).await)
}

fn unique(name: &str) -> String {
    format!(
        "infinite-stories-test/{name}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Creates a secret with a string value (or none) and returns its ARN.
async fn create(client: &Client, name: &str, value: Option<&str>) -> String {
    let mut req = client.create_secret().name(unique(name));
    if let Some(v) = value {
        req = req.secret_string(v);
    }
    req.send()
        .await
        .expect("create secret on moto")
        .arn()
        .expect("arn")
        .to_string()
}

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let m: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

#[tokio::test]
async fn both_secrets_are_fetched_and_read_in_front_of_the_environment() {
    let client = moto_client().await;
    let key_arn = create(&client, "openai", Some("sk-from-secrets-manager\n")).await;
    let jwt = "a-jwt-secret-of-at-least-thirty-two-characters-from-sm";
    let jwt_arn = create(&client, "jwt", Some(jwt)).await;
    let lookup = env(&[
        ("ENVIRONMENT", "production"),
        ("OPENAI_API_KEY_SECRET_ARN", &key_arn),
        ("JWT_SECRET_ARN", &jwt_arn),
        ("TEXT_MODEL", "gpt-4o"),
    ]);
    let resolved = resolve(&lookup, &client).await.expect("resolved");
    assert_eq!(resolved.variables(), vec!["JWT_SECRET", "OPENAI_API_KEY"]);
    assert_eq!(
        resolved.get("OPENAI_API_KEY", &lookup).as_deref(),
        Some("sk-from-secrets-manager"),
        "values are trimmed"
    );
    assert_eq!(resolved.get("JWT_SECRET", &lookup).as_deref(), Some(jwt));
    assert_eq!(
        resolved.get("TEXT_MODEL", &lookup).as_deref(),
        Some("gpt-4o"),
        "other variables come from the environment"
    );
    assert!(!format!("{resolved:?}").contains(jwt), "Debug hides values");

    // The overlay is what the function's settings are parsed from.
    let settings = config::Settings::from_lookup(|k| resolved.get(k, &lookup))
        .expect("production settings from resolved secrets");
    assert_eq!(
        settings.jwt_secret.as_ref().map(|s| s.expose()),
        Some(jwt),
        "JWT_SECRET comes from Secrets Manager"
    );
    assert_eq!(
        settings.openai_api_key.as_ref().map(|s| s.expose()),
        Some("sk-from-secrets-manager")
    );
}

#[tokio::test]
async fn a_rotated_secret_is_picked_up_by_the_next_resolution() {
    let client = moto_client().await;
    let arn = create(&client, "rotating", Some("sk-old-key")).await;
    let lookup = env(&[("OPENAI_API_KEY_SECRET_ARN", &arn)]);
    let first = resolve(&lookup, &client).await.expect("first cold start");
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string("sk-new-key")
        .send()
        .await
        .expect("rotate");
    // The running execution environment keeps what it resolved at its cold start...
    assert_eq!(
        first.get("OPENAI_API_KEY", &lookup).as_deref(),
        Some("sk-old-key")
    );
    // ...and the next cold start reads the new version.
    let second = resolve(&lookup, &client).await.expect("next cold start");
    assert_eq!(
        second.get("OPENAI_API_KEY", &lookup).as_deref(),
        Some("sk-new-key")
    );
}

#[tokio::test]
async fn a_secret_without_a_value_is_refused_unless_it_is_the_optional_key_outside_production() {
    let client = moto_client().await;
    let empty = create(&client, "empty", None).await;
    let blank = create(&client, "blank", Some("   ")).await;

    for arn in [&empty, &blank] {
        // The OpenAI key is optional outside production: unset, the offline provider answers.
        let lookup = env(&[
            ("ENVIRONMENT", "development"),
            ("OPENAI_API_KEY_SECRET_ARN", arn),
            ("OPENAI_API_KEY_UNRELATED", "x"),
        ]);
        let resolved = resolve(&lookup, &client).await.expect("dev without a key");
        assert_eq!(resolved.get("OPENAI_API_KEY", &lookup), None);
        assert!(
            resolved
                .notes()
                .iter()
                .any(|n| n.contains("OPENAI_API_KEY_SECRET_ARN")),
            "the start-up log says why: {:?}",
            resolved.notes()
        );

        // In production it stops start-up, naming the variable and the fix.
        let lookup = env(&[("ENVIRONMENT", "prod"), ("OPENAI_API_KEY_SECRET_ARN", arn)]);
        let e = resolve(&lookup, &client)
            .await
            .expect_err("prod without a key");
        assert_eq!(e.variable, "OPENAI_API_KEY_SECRET_ARN");
        assert!(e.message.contains("put-secret-value"), "{e}");

        // The JWT secret is always required once referenced: a deployed stack must never
        // fall back to the public dev secret.
        let lookup = env(&[("ENVIRONMENT", "development"), ("JWT_SECRET_ARN", arn)]);
        let e = resolve(&lookup, &client).await.expect_err("no jwt secret");
        assert_eq!(e.variable, "JWT_SECRET_ARN");
    }
}

#[tokio::test]
async fn missing_and_binary_secrets_fail_start_up_by_name() {
    let client = moto_client().await;
    let lookup = env(&[(
        "JWT_SECRET_ARN",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:does-not-exist-AbCdEf",
    )]);
    let e = resolve(&lookup, &client).await.expect_err("missing");
    assert_eq!(e.variable, "JWT_SECRET_ARN");

    let binary = client
        .create_secret()
        .name(unique("binary"))
        .secret_binary(Blob::new(b"\x00\x01".to_vec()))
        .send()
        .await
        .expect("create binary secret")
        .arn()
        .expect("arn")
        .to_string();
    let lookup = env(&[("JWT_SECRET_ARN", &binary)]);
    let e = resolve(&lookup, &client).await.expect_err("binary");
    assert_eq!(e.variable, "JWT_SECRET_ARN");
    assert!(e.message.contains("binary"), "{e}");
}

#[tokio::test]
async fn nothing_is_fetched_without_references_and_an_unreachable_service_fails_fast() {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let client = secrets::client(&sdk_config_at(&format!("http://127.0.0.1:{port}")).await);

    let lookup = env(&[("JWT_SECRET", "set-directly-for-local-development-0123456")]);
    let resolved = resolve(&lookup, &client)
        .await
        .expect("no reference, no call");
    assert!(resolved.variables().is_empty());
    assert_eq!(
        resolved.get("JWT_SECRET", &lookup).as_deref(),
        Some("set-directly-for-local-development-0123456")
    );

    let lookup = env(&[("JWT_SECRET_ARN", "infinite-stories/dev/jwt-secret")]);
    let started = Instant::now();
    let e = resolve(&lookup, &client).await.expect_err("unreachable");
    assert_eq!(e.variable, "JWT_SECRET_ARN");
    assert!(
        started.elapsed() <= secrets::FETCH_TIMEOUT + Duration::from_secs(2),
        "bounded by the fetch timeout"
    );
}

#[test]
fn resolved_default_passes_the_environment_through() {
    let r = Resolved::default();
    assert_eq!(
        r.get("ANYTHING", |_| Some("v".to_string())).as_deref(),
        Some("v")
    );
}
