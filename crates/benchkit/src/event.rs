//! The API Gateway HTTP API v2 / Function URL event a Lambda function receives.

use serde_json::{Map, Value, json};

/// One request as the bench describes it.
#[derive(Debug, Clone, Default)]
pub struct HttpCall {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path under the function's root, with an optional `?query`.
    pub path: String,
    /// Bearer token for `Authorization`, if any.
    pub token: Option<String>,
    /// JSON body, if any.
    pub body: Option<String>,
}

/// The v2 event of `call` with `request_id` in the request context.
pub fn apigw_v2(call: &HttpCall, request_id: &str) -> Value {
    let (raw_path, raw_query) = match call.path.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (call.path.clone(), String::new()),
    };
    let raw_path = if raw_path.starts_with('/') {
        raw_path
    } else {
        format!("/{raw_path}")
    };
    let domain = "bench0000000000000000000000000000.lambda-url.us-east-1.on.aws";
    let mut headers = Map::new();
    headers.insert("accept".into(), json!("application/json"));
    headers.insert("host".into(), json!(domain));
    headers.insert("user-agent".into(), json!("benchkit"));
    headers.insert("x-forwarded-proto".into(), json!("https"));
    if let Some(token) = &call.token {
        headers.insert("authorization".into(), json!(format!("Bearer {token}")));
    }
    if call.body.is_some() {
        headers.insert("content-type".into(), json!("application/octet-stream"));
    }
    let now = chrono::Utc::now();
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench0000000000000000000000000000",
            "domainName": domain,
            "domainPrefix": "bench0000000000000000000000000000",
            "http": {
                "method": call.method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "benchkit"
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": now.timestamp_millis()
        },
        "isBase64Encoded": false
    });
    if let Some(body) = &call.body {
        event["body"] = json!(body);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_split_from_the_path_and_the_token_becomes_a_bearer_header() {
        let call = HttpCall {
            method: "GET".into(),
            path: "/abc?limit=5".into(),
            token: Some("t0k".into()),
            body: None,
        };
        let e = apigw_v2(&call, "r1");
        assert_eq!(e["rawPath"], "/abc");
        assert_eq!(e["rawQueryString"], "limit=5");
        assert_eq!(e["headers"]["authorization"], "Bearer t0k");
        assert_eq!(e["requestContext"]["http"]["method"], "GET");
        assert!(e.get("body").is_none());
    }
}
