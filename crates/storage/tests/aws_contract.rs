//! The storage contract against the AWS adapter on moto's server mode (loopback), plus
//! AWS-only behaviour: presigned URLs, content types, TTL attributes, and — with the SDK's own
//! mocks — the error paths a local server cannot produce (lost conditional writes under a
//! race, throttling).
//!
//! The server: `MOTO_ENDPOINT` or `AWS_ENDPOINT_URL` when set (it must serialise requests like
//! `scripts/moto-server`, or the concurrency checks can flake); otherwise these tests start
//! `scripts/moto-server` with `python3` on a free loopback port (and it stops when the test
//! process ends). Without moto they fail, on purpose: `pip install 'moto[server]'`.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use bytes::Bytes;
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use domain::{Clock, FixedClock, SystemClock, UserId};
use std::sync::Arc;
use std::time::Duration;
use storage::aws::aws_config::{self, BehaviorVersion, Region, SdkConfig};
use storage::aws::{self, AwsNames};
use storage::records::{Acquire, IdemBegin, SafetyEventRecord, UsageRecord, UsageStatus};
use storage::{Backend, BlobKey, Bucket, StoreError};
use testkit::moto::endpoint;

// ---------------------------------------------------------------------------------------
// The local server
// ---------------------------------------------------------------------------------------

/// SDK configuration for the local server, with dummy credentials set on the builder (the
/// process environment is never touched).
async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .load()
        .await
}

fn unique_names() -> AwsNames {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..12];
    AwsNames {
        table: format!("contract-{tag}"),
        story_assets: format!("contract-{tag}-story-assets"),
        hero_avatars: format!("contract-{tag}-hero-avatars"),
        story_audio: format!("contract-{tag}-story-audio"),
        story_illustrations: format!("contract-{tag}-story-illustrations"),
    }
}

/// A backend on a fresh table and fresh buckets, created from `infra/*.json`.
async fn fresh_backend(clock: Arc<dyn Clock>) -> (Backend, AwsNames, SdkConfig) {
    let sdk = sdk_config().await;
    let names = unique_names();
    aws::resources::create_all(&sdk, &names)
        .await
        .expect("create the table and buckets");
    (aws::open(&sdk, names.clone(), clock), names, sdk)
}

fn user(tag: &str) -> UserId {
    UserId::parse(&format!("aws-{tag}-{}", uuid::Uuid::new_v4().simple())).expect("user id")
}

// ---------------------------------------------------------------------------------------
// Against moto
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_backend_passes_the_storage_contract() {
    let (backend, _, _) = fresh_backend(Arc::new(SystemClock)).await;
    assert_eq!(backend.kind, "aws");
    storage::contract::run_all(&backend).await;
}

#[tokio::test]
async fn presigned_urls_fetch_the_bytes_without_credentials() {
    let (backend, _, _) = fresh_backend(Arc::new(SystemClock)).await;
    let u = user("presign");
    let bytes = Bytes::from_static(b"ID3\x04fake-mp3-bytes");
    let key = BlobKey::content_addressed(&u, "audio/s1", &bytes, "mp3").expect("key");
    backend
        .blobs
        .put(Bucket::StoryAudio, &key, bytes.clone(), "audio/mpeg")
        .await
        .expect("put");
    let url = backend
        .blobs
        .presign_get(Bucket::StoryAudio, &key, Duration::from_secs(3600))
        .await
        .expect("presign");
    // A plain client: no credentials, no SDK, no signing.
    let resp = reqwest::get(&url).await.expect("GET the presigned URL");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("audio/mpeg")
    );
    assert_eq!(resp.bytes().await.expect("body"), bytes);

    // Without the signature the object is not public.
    let bare = url.split('?').next().expect("url").to_string();
    let resp = reqwest::get(&bare).await.expect("GET the bare URL");
    assert_ne!(resp.status(), 200, "objects are private");
}

/// When a presigned URL expires: `X-Amz-Date` (the signing time, from the injected clock) plus
/// `X-Amz-Expires` (the TTL). Real S3 answers 403 "Request has expired" after that instant.
fn expires_at(url: &str) -> chrono::DateTime<Utc> {
    let parsed = url::Url::parse(url).expect("url");
    let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    let signed = chrono::NaiveDateTime::parse_from_str(&q["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        .expect("X-Amz-Date")
        .and_utc();
    let ttl: i64 = q["X-Amz-Expires"].parse().expect("X-Amz-Expires");
    signed + ChronoDuration::seconds(ttl)
}

#[tokio::test]
async fn presigned_urls_expire_ttl_after_signing_though_moto_does_not_enforce_it() {
    // Signed ten minutes ago for one minute: the URL expired nine minutes ago.
    let signed_at = Utc::now() - ChronoDuration::minutes(10);
    let (backend, _, _) = fresh_backend(Arc::new(FixedClock::new(signed_at))).await;
    let u = user("expired");
    let key = BlobKey::new(&u, "illustrations/s1/1.png").expect("key");
    backend
        .blobs
        .put(
            Bucket::StoryIllustrations,
            &key,
            Bytes::from_static(b"\x89PNG"),
            "image/png",
        )
        .await
        .expect("put");
    let url = backend
        .blobs
        .presign_get(Bucket::StoryIllustrations, &key, Duration::from_secs(60))
        .await
        .expect("presign");
    let expiry = expires_at(&url);
    assert_eq!(expiry.timestamp(), signed_at.timestamp() + 60);
    assert!(expiry < Utc::now(), "S3 refuses this URL with 403");
    // moto 5 checks neither presigned signatures nor their expiry (TOOLING.md), so locally the
    // URL still answers. Should moto start enforcing expiry, this turns red: then assert 403.
    let resp = reqwest::get(&url).await.expect("GET");
    assert_eq!(
        resp.status(),
        200,
        "moto now enforces presigned expiry: assert 403 here instead"
    );
}

#[tokio::test]
async fn content_types_round_trip() {
    let (backend, _, _) = fresh_backend(Arc::new(SystemClock)).await;
    let u = user("ctype");
    for (bucket, rest, ct) in [
        (Bucket::HeroAvatars, "avatars/h/a.png", "image/png"),
        (Bucket::StoryAudio, "audio/s/a.mp3", "audio/mpeg"),
        (
            Bucket::StoryIllustrations,
            "illustrations/s/1.webp",
            "image/webp",
        ),
        (
            Bucket::StoryAssets,
            "stories/s/doc.json",
            "application/json; charset=utf-8",
        ),
    ] {
        let key = BlobKey::new(&u, rest).expect("key");
        backend
            .blobs
            .put(bucket, &key, Bytes::from_static(b"x"), ct)
            .await
            .expect("put");
        let got = backend
            .blobs
            .get(bucket, &key)
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(got.content_type, ct);
    }
}

#[tokio::test]
async fn delete_prefix_handles_more_than_one_batch() {
    let (backend, _, _) = fresh_backend(Arc::new(SystemClock)).await;
    let u = user("many");
    let mut tasks = Vec::new();
    for i in 0..1005 {
        let b = backend.clone();
        let key = BlobKey::new(&u, &format!("stories/s1/{i}.png")).expect("key");
        tasks.push(tokio::spawn(async move {
            b.blobs
                .put(
                    Bucket::StoryAssets,
                    &key,
                    Bytes::from_static(b"p"),
                    "image/png",
                )
                .await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("put");
    }
    let n = backend
        .blobs
        .delete_prefix(Bucket::StoryAssets, &u, "stories/s1")
        .await
        .expect("delete prefix");
    assert_eq!(n, 1005, "a listing page and a delete batch hold 1 000 keys");
    let again = backend
        .blobs
        .delete_prefix(Bucket::StoryAssets, &u, "stories/s1")
        .await
        .expect("delete prefix");
    assert_eq!(again, 0);
}

async fn raw_item(
    sdk: &SdkConfig,
    table: &str,
    pk: &str,
    sk: &str,
) -> std::collections::HashMap<String, AttributeValue> {
    aws_sdk_dynamodb::Client::new(sdk)
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk.to_string()))
        .key("sk", AttributeValue::S(sk.to_string()))
        .consistent_read(true)
        .send()
        .await
        .expect("get item")
        .item
        .unwrap_or_else(|| panic!("item {pk} / {sk} exists"))
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> i64 {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().expect("integer"),
        other => panic!("{name} is a number attribute, got {other:?}"),
    }
}

#[tokio::test]
async fn expiring_items_carry_the_table_ttl_attribute() {
    let (backend, names, sdk) = fresh_backend(Arc::new(SystemClock)).await;
    let u = user("ttl");
    let pk = format!("USER#{}", u.as_str());
    let now = Utc::now();
    let exp = Utc
        .timestamp_opt(now.timestamp() + 7200, 0)
        .single()
        .expect("time");

    backend
        .cache
        .cache_put(&u, "story", "k#1", &serde_json::json!({"a": 1}), exp)
        .await
        .expect("cache put");
    let item = raw_item(&sdk, &names.table, &pk, "CACHE#story#k%231").await;
    assert_eq!(number(&item, "ttl"), exp.timestamp());

    backend
        .idempotency
        .begin(
            &u,
            "idem-1",
            "h",
            now,
            now + ChronoDuration::minutes(5),
            exp,
        )
        .await
        .expect("begin");
    let item = raw_item(&sdk, &names.table, &pk, "IDEM#idem-1").await;
    assert_eq!(number(&item, "ttl"), exp.timestamp());

    assert_eq!(
        backend
            .rate_limits
            .acquire(&u, "story-generation", 1_700_000_000, 1, 10, exp)
            .await
            .expect("acquire"),
        Acquire::Granted { used: 1 }
    );
    let item = raw_item(&sdk, &names.table, &pk, "RL#story-generation#1700000000").await;
    assert_eq!(number(&item, "ttl"), exp.timestamp());
    assert_eq!(number(&item, "count"), 1);

    let event = SafetyEventRecord {
        id: "ev-1".into(),
        user_id: u.as_str().into(),
        function_name: "heroes".into(),
        category: "scary".into(),
        action: "rewritten".into(),
        text_hash: "ab".repeat(32),
        created_at: now,
        expires_at: exp,
    };
    backend
        .safety_events
        .record_safety_event(&event)
        .await
        .expect("record");
    let item = raw_item(
        &sdk,
        &names.table,
        &pk,
        &format!("SAFETY#{:015}#ev-1", now.timestamp_millis()),
    )
    .await;
    assert_eq!(number(&item, "ttl"), exp.timestamp());

    let record = usage_record("story-generation", now, exp);
    backend.usage.record_usage(&record).await.expect("record");
    let item = raw_item(
        &sdk,
        &names.table,
        &format!("USAGE#{}", now.format("%Y-%m")),
        &format!("{:015}#{}", now.timestamp_millis(), record.id),
    )
    .await;
    assert_eq!(number(&item, "ttl"), exp.timestamp());

    // The table's TTL setting names the same attribute.
    let ttl = aws_sdk_dynamodb::Client::new(&sdk)
        .describe_time_to_live()
        .table_name(&names.table)
        .send()
        .await
        .expect("describe ttl")
        .time_to_live_description
        .expect("ttl description");
    assert_eq!(ttl.attribute_name(), Some("ttl"));
}

fn usage_record(
    function: &str,
    at: chrono::DateTime<Utc>,
    expires_at: chrono::DateTime<Utc>,
) -> UsageRecord {
    UsageRecord {
        id: uuid::Uuid::new_v4().to_string(),
        function_name: function.into(),
        user_id: "u".into(),
        request_id: "r".into(),
        model: "gpt-4o".into(),
        provider: "openai".into(),
        prompt_tokens: 1,
        completion_tokens: 1,
        tokens_used: 2,
        characters: 0,
        images: 0,
        cost_estimate: Some(0.5),
        response_time_ms: 10,
        status: UsageStatus::Success,
        cached: false,
        created_at: at,
        expires_at,
    }
}

#[tokio::test]
async fn usage_report_spans_month_buckets_in_order() {
    let (backend, _, _) = fresh_backend(Arc::new(SystemClock)).await;
    let base = Utc
        .with_ymd_and_hms(2031, 1, 31, 23, 59, 0)
        .single()
        .expect("date");
    let exp = Utc::now() + ChronoDuration::days(90);
    let f = format!("fn-{}", uuid::Uuid::new_v4().simple());
    let mut ids = Vec::new();
    for minutes in [0, 2, 60 * 24 * 30, 60 * 24 * 60] {
        let r = usage_record(&f, base + ChronoDuration::minutes(minutes), exp);
        ids.push(r.id.clone());
        backend.usage.record_usage(&r).await.expect("record");
    }
    let all = backend
        .usage
        .usage_between(None, base, base + ChronoDuration::days(61))
        .await
        .expect("report");
    assert_eq!(all.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), ids);
    let one = backend
        .usage
        .usage_between(
            Some(&f),
            base + ChronoDuration::minutes(1),
            base + ChronoDuration::days(31),
        )
        .await
        .expect("report");
    assert_eq!(
        one.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        ids[1..3]
    );
}

// ---------------------------------------------------------------------------------------
// Error paths a local server cannot produce, through the SDK's own mocks
// ---------------------------------------------------------------------------------------

fn mock_names() -> AwsNames {
    AwsNames {
        table: "stories-test".into(),
        story_assets: "stories-test-story-assets".into(),
        hero_avatars: "stories-test-hero-avatars".into(),
        story_audio: "stories-test-story-audio".into(),
        story_illustrations: "stories-test-story-illustrations".into(),
    }
}

/// A DynamoDB error response as the service sends it (the SDK parses `__type`).
fn dynamo_error(kind: &str) -> String {
    format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{kind}","message":"mocked {kind}"}}"#)
}

fn mocked(dynamo: aws_sdk_dynamodb::Client) -> Backend {
    let s3 = mock_client!(
        aws_sdk_s3,
        RuleMode::MatchAny,
        &[] as &[&aws_smithy_mocks::Rule]
    );
    aws::from_clients(dynamo, s3, mock_names(), Arc::new(SystemClock))
}

#[tokio::test]
async fn a_lost_rate_limit_race_is_a_denial_with_the_winners_count() {
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    let update = mock!(Client::update_item)
        .sequence()
        .http_status(400, Some(dynamo_error("ConditionalCheckFailedException")))
        .build();
    let get = mock!(Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .item("count", AttributeValue::N("10".into()))
            .build()
    });
    let backend = mocked(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&update, &get]
    ));
    let got = backend
        .rate_limits
        .acquire(&user("race"), "story-generation", 0, 1, 10, Utc::now())
        .await
        .expect("a lost condition is not an error");
    assert_eq!(got, Acquire::Denied { used: 10 });
    assert_eq!((update.num_calls(), get.num_calls()), (1, 1));
}

#[tokio::test]
async fn throttling_after_the_sdk_retries_is_unavailable() {
    use aws_sdk_dynamodb::Client;
    let update = mock!(Client::update_item)
        .sequence()
        .http_status(
            400,
            Some(dynamo_error("ProvisionedThroughputExceededException")),
        )
        .repeatedly()
        .build();
    let get = mock!(Client::get_item)
        .sequence()
        .http_status(400, Some(dynamo_error("ThrottlingException")))
        .repeatedly()
        .build();
    let backend = mocked(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&update, &get]
    ));
    let err = backend
        .rate_limits
        .acquire(&user("throttle"), "story-generation", 0, 1, 10, Utc::now())
        .await
        .expect_err("throttled");
    assert!(
        matches!(&err, StoreError::Unavailable(r) if r.contains("ProvisionedThroughputExceeded")),
        "{err:?}"
    );
    assert!(update.num_calls() > 1, "the SDK retried a throttled call");
    let err = backend
        .cache
        .cache_get(&user("throttle"), "story", "k", Utc::now())
        .await
        .expect_err("throttled");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn an_idempotency_claim_lost_to_a_finished_request_replays_it() {
    use aws_sdk_dynamodb::Client;
    let now = Utc::now();
    let exp = (now + ChronoDuration::hours(1))
        .timestamp_millis()
        .to_string();
    let old = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"lost",
            "Item":{{"pk":{{"S":"USER#x"}},"sk":{{"S":"IDEM#k"}},"state":{{"S":"completed"}},
                     "request_hash":{{"S":"h1"}},"lease_ms":{{"N":"0"}},"exp_ms":{{"N":"{exp}"}},
                     "response":{{"S":"{{\"status\":201,\"data\":{{\"id\":\"s1\"}}}}"}}}}}}"#
    );
    let put = mock!(Client::put_item)
        .sequence()
        .http_status(400, Some(old))
        .build();
    let backend = mocked(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put]));
    let got = backend
        .idempotency
        .begin(
            &user("idem"),
            "k",
            "h1",
            now,
            now + ChronoDuration::minutes(5),
            now + ChronoDuration::hours(24),
        )
        .await
        .expect("begin");
    assert_eq!(
        got,
        IdemBegin::Completed {
            request_hash: "h1".into(),
            response: storage::StoredResponse {
                status: 201,
                data: serde_json::json!({"id": "s1"}),
            },
        }
    );
}

#[tokio::test]
async fn an_idempotency_record_that_vanishes_mid_claim_is_claimed_again() {
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
    // First claim loses to a live record, which is abandoned before we read it.
    let put = mock!(Client::put_item)
        .sequence()
        .http_status(400, Some(dynamo_error("ConditionalCheckFailedException")))
        .output(|| PutItemOutput::builder().build())
        .build();
    let get = mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
    let backend = mocked(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&put, &get]
    ));
    let now = Utc::now();
    let got = backend
        .idempotency
        .begin(
            &user("idem"),
            "k",
            "h",
            now,
            now + ChronoDuration::minutes(5),
            now + ChronoDuration::hours(24),
        )
        .await
        .expect("begin");
    assert_eq!(got, IdemBegin::Started);
    assert_eq!((put.num_calls(), get.num_calls()), (2, 1));
}

#[tokio::test]
async fn a_duplicate_usage_id_is_a_conflict() {
    use aws_sdk_dynamodb::Client;
    let put = mock!(Client::put_item)
        .sequence()
        .http_status(400, Some(dynamo_error("ConditionalCheckFailedException")))
        .build();
    let backend = mocked(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put]));
    let err = backend
        .usage
        .record_usage(&usage_record("f", Utc::now(), Utc::now()))
        .await
        .expect_err("conflict");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn the_usage_report_queries_month_buckets_or_one_index_partition_never_scans() {
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::query::QueryOutput;
    let by_month = mock!(Client::query)
        .match_requests(|q| q.index_name().is_none())
        .then_output(|| QueryOutput::builder().build());
    let by_function = mock!(Client::query)
        .match_requests(|q| {
            q.index_name() == Some("gsi1")
                && q.expression_attribute_values().and_then(|v| v.get(":pk"))
                    == Some(&AttributeValue::S("USAGE#story-generation".into()))
        })
        .then_output(|| QueryOutput::builder().build());
    let backend = mocked(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&by_month, &by_function]
    ));
    let since = Utc
        .with_ymd_and_hms(2026, 11, 20, 0, 0, 0)
        .single()
        .expect("date");
    let until = Utc
        .with_ymd_and_hms(2027, 2, 1, 0, 0, 0)
        .single()
        .expect("date");
    backend
        .usage
        .usage_between(None, since, until)
        .await
        .expect("report");
    assert_eq!(by_month.num_calls(), 3, "November, December, January");
    backend
        .usage
        .usage_between(Some("story-generation"), since, until)
        .await
        .expect("report");
    assert_eq!(by_function.num_calls(), 1);
}

#[tokio::test]
async fn s3_errors_map_to_absence_or_unavailability() {
    use aws_sdk_s3::Client;
    let missing = mock!(Client::get_object)
        .match_requests(|r| r.key().is_some_and(|k| k.ends_with("missing.png")))
        .sequence()
        .http_status(
            404,
            Some("<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>".into()),
        )
        .build();
    let slow = mock!(Client::get_object)
        .match_requests(|r| r.key().is_some_and(|k| k.ends_with("slow.png")))
        .sequence()
        .http_status(
            503,
            Some("<Error><Code>SlowDown</Code><Message>reduce your rate</Message></Error>".into()),
        )
        .repeatedly()
        .build();
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&missing, &slow]);
    let dynamo = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        &[] as &[&aws_smithy_mocks::Rule]
    );
    let backend = aws::from_clients(dynamo, s3, mock_names(), Arc::new(SystemClock));
    let u = user("s3");
    let got = backend
        .blobs
        .get(
            Bucket::HeroAvatars,
            &BlobKey::new(&u, "missing.png").expect("key"),
        )
        .await
        .expect("a missing object is not an error");
    assert_eq!(got, None);
    let err = backend
        .blobs
        .get(
            Bucket::HeroAvatars,
            &BlobKey::new(&u, "slow.png").expect("key"),
        )
        .await
        .expect_err("throttled");
    assert!(
        matches!(&err, StoreError::Unavailable(r) if r.contains("SlowDown")),
        "{err:?}"
    );
}

#[tokio::test]
async fn presigned_urls_carry_the_requested_lifetime_and_signing_time() {
    // Presigning is local computation: no server needed.
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "static",
        ))
        .load()
        .await;
    let at = Utc
        .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .expect("date");
    let backend = aws::open(&sdk, mock_names(), Arc::new(FixedClock::new(at)));
    let u = UserId::parse("user-1").expect("user");
    let key = BlobKey::new(&u, "audio/s1/a.mp3").expect("key");
    let url = backend
        .blobs
        .presign_get(Bucket::StoryAudio, &key, Duration::from_secs(900))
        .await
        .expect("presign");
    let parsed = url::Url::parse(&url).expect("url");
    let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q.get("X-Amz-Expires").map(String::as_str), Some("900"));
    assert_eq!(
        q.get("X-Amz-Date").map(String::as_str),
        Some("20260601T120000Z")
    );
    assert!(q.contains_key("X-Amz-Signature"));
    assert_eq!(
        parsed.host_str(),
        Some("stories-test-story-audio.s3.eu-west-1.amazonaws.com"),
        "virtual-hosted on AWS"
    );
    assert_eq!(parsed.path(), "/user-1/audio/s1/a.mp3");
    assert!(
        backend
            .blobs
            .presign_get(Bucket::StoryAudio, &key, Duration::from_secs(8 * 24 * 3600))
            .await
            .is_err(),
        "SigV4 caps presigned URLs at 7 days"
    );
}
