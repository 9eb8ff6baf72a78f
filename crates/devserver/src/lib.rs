//! The local dev server. It mounts every function at `/functions/v1/<name>` (the base URL and
//! paths the iOS app used against a local Supabase stack) and at `/lambda-url/<name>` (the
//! paths `cargo lambda watch` uses), invoking each handler with the same
//! `lambda_http::Request` it receives in Lambda. It also serves embedded media at expiring
//! signed URLs (`/media/{bucket}/{key}?expires=…&sig=…`).

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::{Path, Query, Request as AxumRequest, State};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{any, get};
use bytes::Bytes;
use config::FunctionName;
use edge::{Body as LambdaBody, Function};
use http::{HeaderValue, StatusCode};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use storage::Bucket;
use storage::embedded::{EmbeddedBlobStore, SignedUrlError};
use wiring::Deps;

/// Fixed id of the dev user whose token is printed at start-up.
pub const DEV_USER_ID: &str = "11111111-1111-4111-8111-111111111111";

/// Largest body the dev server reads (Lambda's own payload limit); the functions enforce the
/// API's 256 KiB limit themselves with a proper envelope.
pub const MAX_READ_BYTES: usize = 6 * 1024 * 1024;

#[derive(Clone)]
struct AppState {
    functions: Arc<HashMap<&'static str, Arc<dyn Function>>>,
    media: Option<Arc<EmbeddedBlobStore>>,
}

/// Every function of the system, built over shared dependencies.
pub fn functions(deps: &Deps) -> Vec<Arc<dyn Function>> {
    vec![
        Arc::new(heroes::App::new(deps.clone())),
        Arc::new(health::App::new(deps.clone())),
        Arc::new(story_generation::App::new(deps.clone())),
        Arc::new(extract_scenes::App::new(deps.clone())),
        Arc::new(stories::App::new(deps.clone())),
        Arc::new(avatar_generation::App::new(deps.clone())),
        Arc::new(scene_illustration::App::new(deps.clone())),
        Arc::new(audio_synthesis::App::new(deps.clone())),
    ]
}

/// The dev server's router.
pub fn router(deps: &Deps) -> Router {
    let functions: HashMap<&'static str, Arc<dyn Function>> = functions(deps)
        .into_iter()
        .map(|f| (f.name().as_str(), f))
        .collect();
    let state = AppState {
        functions: Arc::new(functions),
        media: deps.embedded_blobs.clone(),
    };
    Router::new()
        .route("/functions/v1/{name}", any(invoke_root))
        .route("/functions/v1/{name}/", any(invoke_root))
        .route("/functions/v1/{name}/{*rest}", any(invoke_rest))
        .route("/lambda-url/{name}", any(invoke_root))
        .route("/lambda-url/{name}/", any(invoke_root))
        .route("/lambda-url/{name}/{*rest}", any(invoke_rest))
        .route("/media/{bucket}/{*key}", get(media))
        .fallback(|| async { not_found("No such route") })
        .with_state(state)
}

fn not_found(message: &str) -> AxumResponse {
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "success": false,
        "error": { "code": "NOT_FOUND", "message": message },
        "request_id": request_id,
    });
    let mut resp = (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

async fn invoke_root(
    State(state): State<AppState>,
    Path(name): Path<String>,
    req: AxumRequest,
) -> AxumResponse {
    invoke(state, &name, "", req).await
}

async fn invoke_rest(
    State(state): State<AppState>,
    Path((name, rest)): Path<(String, String)>,
    req: AxumRequest,
) -> AxumResponse {
    invoke(state, &name, &rest, req).await
}

async fn invoke(state: AppState, name: &str, rest: &str, req: AxumRequest) -> AxumResponse {
    let Some(function) = FunctionName::parse(name).and_then(|f| state.functions.get(f.as_str()))
    else {
        return not_found("No such function");
    };
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_READ_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let body = json!({
                "success": false,
                "error": { "code": "PAYLOAD_TOO_LARGE", "message": "Request body is too large" },
            });
            return (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(body)).into_response();
        }
    };
    // The function sees the path under its own root, as under its Lambda function URL.
    let mut uri = format!("/{}", rest.trim_start_matches('/'));
    if let Some(q) = parts.uri.query() {
        uri.push('?');
        uri.push_str(q);
    }
    let mut builder = http::Request::builder().method(parts.method).uri(uri);
    if let Some(h) = builder.headers_mut() {
        *h = parts.headers;
    }
    let body = if bytes.is_empty() {
        LambdaBody::Empty
    } else {
        LambdaBody::Binary(bytes.to_vec())
    };
    let Ok(lambda_req) = builder.body(body) else {
        return not_found("Malformed request path");
    };
    let resp = function.handle(lambda_req).await;
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        LambdaBody::Empty => Vec::new(),
        LambdaBody::Text(t) => t.into_bytes(),
        LambdaBody::Binary(b) => b,
        _ => Vec::new(),
    };
    AxumResponse::from_parts(parts, AxumBody::from(bytes))
}

async fn media(
    State(state): State<AppState>,
    Path((bucket, key)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> AxumResponse {
    let (Some(store), Some(bucket)) = (state.media.as_ref(), Bucket::parse(&bucket)) else {
        return not_found("No such object");
    };
    let expires = q.get("expires").and_then(|e| e.parse::<i64>().ok());
    let (Some(expires), Some(sig)) = (expires, q.get("sig")) else {
        return (StatusCode::FORBIDDEN, "missing signature").into_response();
    };
    match store.open_signed(bucket, &key, expires, sig).await {
        Ok(blob) => {
            let mut resp = AxumResponse::new(AxumBody::from(blob.bytes));
            if let Ok(v) = HeaderValue::from_str(&blob.content_type) {
                resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
            }
            resp.headers_mut().insert(
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=300"),
            );
            resp
        }
        Err(SignedUrlError::BadSignature) => {
            (StatusCode::FORBIDDEN, "invalid signature").into_response()
        }
        Err(SignedUrlError::Expired) => (StatusCode::FORBIDDEN, "expired").into_response(),
        Err(SignedUrlError::NotFound) => not_found("No such object"),
    }
}

/// Mints the start-up token of the dev user (HS256 with the configured secret), valid 30 days.
pub fn dev_token(deps: &Deps, sub: &str, role: &str, ttl_secs: u64) -> Option<String> {
    let secret = deps.settings.jwt_secret.as_ref()?;
    edge::auth::mint_hs256(
        secret.expose(),
        sub,
        role,
        std::time::Duration::from_secs(ttl_secs),
        deps.settings.jwt_issuer.as_deref(),
    )
    .ok()
}
