//! The whole app flow on the AWS backend (DynamoDB + S3 on a local moto server): hero →
//! story → audio → illustrations → stories list → usage report, plus presigned URLs that
//! fetch without credentials.

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::{TestServer, client, token};

const HERO_ID: &str = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";

async fn call(
    s: &TestServer,
    method: reqwest::Method,
    function: &str,
    path: &str,
    user: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client()
        .request(method, s.url(function, path))
        .bearer_auth(token(user))
        .header("content-type", "application/octet-stream");
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let r = req.send().await.expect("send");
    let status = r.status();
    (status, r.json().await.expect("json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_flow_runs_end_to_end_on_dynamodb_and_s3() {
    let s = TestServer::start_aws(&[]).await;
    let user = "aws-flow-user";
    let (st, hero) = call(
        &s,
        reqwest::Method::PUT,
        "heroes",
        &format!("/{HERO_ID}"),
        user,
        Some(json!({
            "name": "Luna", "primary_trait": "Brave", "secondary_trait": "Kind",
            "appearance": "curly red hair and a yellow raincoat", "special_ability": "talks to owls"
        })),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{hero}");

    let (st, avatar) = call(&s, reqwest::Method::POST, "avatar-generation", "", user, Some(json!({
        "hero_id": HERO_ID, "prompt": "Luna smiling in her garden", "size": "1024x1024", "quality": "high", "style": "watercolor"
    }))).await;
    assert_eq!(st, StatusCode::OK, "{avatar}");
    let avatar_url = avatar["data"]["avatar_url"]
        .as_str()
        .expect("avatar_url")
        .to_string();
    let png = reqwest::get(&avatar_url)
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert!(
        png.starts_with(b"\x89PNG"),
        "the presigned avatar URL fetches the PNG without credentials"
    );

    let (st, story) = call(&s, reqwest::Method::POST, "story-generation", "", user, Some(json!({
        "hero_id": HERO_ID, "event": {"type": "built_in", "data": {"name": "Bedtime Adventure"}}, "target_duration": 180, "language": "en"
    }))).await;
    assert_eq!(st, StatusCode::OK, "{story}");
    let story_id = story["data"]["story_id"]
        .as_str()
        .expect("story_id")
        .to_string();

    let (st, audio) = call(
        &s,
        reqwest::Method::POST,
        "audio-synthesis",
        "",
        user,
        Some(json!({
            "text": "", "story_id": story_id, "voice": "coral", "language": "en"
        })),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{audio}");
    let audio_url = audio["data"]["audio_url"]
        .as_str()
        .expect("audio_url")
        .to_string();
    let bytes = reqwest::get(&audio_url)
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(
        bytes.len() as u64,
        audio["data"]["file_size_bytes"].as_u64().expect("size")
    );

    let scenes: Vec<Value> = story["data"]["scenes"].as_array().expect("scenes").iter().map(|sc| json!({
        "scene_number": sc["scene_number"], "prompt": sc["illustration_prompt"], "timestamp": sc["timestamp"]
    })).collect();
    let (st, ill) = call(
        &s,
        reqwest::Method::POST,
        "scene-illustration",
        "",
        user,
        Some(json!({
            "story_id": story_id, "hero_id": HERO_ID, "scenes": scenes, "process_async": false
        })),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{ill}");
    assert_eq!(ill["data"]["status"], "completed");

    let (st, list) = call(&s, reqwest::Method::GET, "stories", "", user, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["data"]["stories"][0]["story_id"], story_id.as_str());
    let (st, full) = call(
        &s,
        reqwest::Method::GET,
        "stories",
        &format!("/{story_id}"),
        user,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(full["data"]["illustration_status"], "completed");
    assert_eq!(full["data"]["audio"]["status"], "completed");
    let first_image = full["data"]["scenes"][0]["illustration"]["image_url"]
        .as_str()
        .expect("image url")
        .to_string();
    let img = reqwest::get(&first_image)
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert!(img.starts_with(b"\x89PNG"));

    let (st, _) = call(
        &s,
        reqwest::Method::GET,
        "stories",
        &format!("/{story_id}"),
        "someone-else",
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    let args = admin::parse_usage_args(&["--since".into(), "1h".into()], chrono::Utc::now())
        .expect("args");
    let report = admin::usage_report(&s.deps.backend, &args)
        .await
        .expect("report");
    for f in [
        "story-generation",
        "audio-synthesis",
        "avatar-generation",
        "scene-illustration",
    ] {
        assert!(
            report.functions.iter().any(|r| r.function_name == f),
            "{f} is in the report"
        );
    }

    let (st, _) = call(
        &s,
        reqwest::Method::DELETE,
        "stories",
        &format!("/{story_id}"),
        user,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = call(
        &s,
        reqwest::Method::GET,
        "stories",
        &format!("/{story_id}"),
        user,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_healthy_on_the_aws_backend() {
    let s = TestServer::start_aws(&[]).await;
    let v: Value = client()
        .get(s.url("health", ""))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(v["status"], "healthy", "{v}");
    assert_eq!(v["storage_backend"], "aws");
}
