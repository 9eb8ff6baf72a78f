//! Reading OpenAI reply bodies. Errors carry short descriptions, never the body.

use base64::Engine;
use bytes::Bytes;
use serde_json::Value;

use crate::error::ProviderError;
use crate::ports::{ModelInfo, Usage};

/// `error.code` and `error.type` of an error body, when it is JSON.
pub(super) fn error_code(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let error = v.get("error");
    let field = |name: &str| {
        error
            .and_then(|e| e.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    (field("code"), field("type"))
}

fn envelope(bytes: &[u8]) -> Result<Value, ProviderError> {
    serde_json::from_slice(bytes)
        .map_err(|_| ProviderError::Malformed("reply body is not JSON".to_owned()))
}

fn u64_at(v: &Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for key in path {
        match cur.get(key) {
            Some(next) => cur = next,
            None => return 0,
        }
    }
    cur.as_u64().unwrap_or(0)
}

/// The JSON object a structured chat completion returned, with usage.
pub(super) fn parse_chat(bytes: &[u8]) -> Result<(Value, Usage), ProviderError> {
    let v = envelope(bytes)?;
    let choice = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| ProviderError::Malformed("no choices".to_owned()))?;
    let message = choice
        .get("message")
        .ok_or_else(|| ProviderError::Malformed("no message".to_owned()))?;
    if message
        .get("refusal")
        .and_then(Value::as_str)
        .is_some_and(|r| !r.trim().is_empty())
    {
        return Err(ProviderError::ContentPolicy {
            code: "refusal".to_owned(),
        });
    }
    if choice.get("finish_reason").and_then(Value::as_str) == Some("content_filter") {
        return Err(ProviderError::ContentPolicy {
            code: "content_filter".to_owned(),
        });
    }
    let content = message
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::Malformed("message has no content".to_owned()))?;
    let json: Value = serde_json::from_str(content).map_err(|_| {
        let truncated = choice.get("finish_reason").and_then(Value::as_str) == Some("length");
        ProviderError::Malformed(if truncated {
            "model output truncated at the token limit".to_owned()
        } else {
            "model output is not JSON".to_owned()
        })
    })?;
    if !json.is_object() {
        return Err(ProviderError::Malformed(
            "model output is not a JSON object".to_owned(),
        ));
    }
    let usage = Usage {
        prompt_tokens: u64_at(&v, &["usage", "prompt_tokens"]),
        completion_tokens: u64_at(&v, &["usage", "completion_tokens"]),
        ..Usage::default()
    };
    Ok((json, usage))
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The first image of an images reply: PNG bytes, revised prompt, token usage (gpt-image).
pub(super) fn parse_image(bytes: &[u8]) -> Result<(Bytes, Option<String>, Usage), ProviderError> {
    let v = envelope(bytes)?;
    let first = v
        .get("data")
        .and_then(|d| d.get(0))
        .ok_or_else(|| ProviderError::Malformed("no image data".to_owned()))?;
    let b64 = first
        .get("b64_json")
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::Malformed("image reply has no b64_json".to_owned()))?;
    let png = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| ProviderError::Malformed("image is not base64".to_owned()))?;
    if !png.starts_with(PNG_SIGNATURE) {
        return Err(ProviderError::Malformed("image is not a PNG".to_owned()));
    }
    let revised = first
        .get("revised_prompt")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned);
    let usage = Usage {
        prompt_tokens: u64_at(&v, &["usage", "input_tokens"]),
        completion_tokens: u64_at(&v, &["usage", "output_tokens"]),
        ..Usage::default()
    };
    Ok((Bytes::from(png), revised, usage))
}

/// Whether any result was flagged, and the flagged category names (sorted, unique).
pub(super) fn parse_moderation(bytes: &[u8]) -> Result<(bool, Vec<String>), ProviderError> {
    let v = envelope(bytes)?;
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::Malformed("no moderation results".to_owned()))?;
    let mut flagged = false;
    let mut categories: Vec<String> = Vec::new();
    for result in results {
        flagged |= result
            .get("flagged")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some(map) = result.get("categories").and_then(Value::as_object) {
            for (name, hit) in map {
                if hit.as_bool() == Some(true) && !categories.contains(name) {
                    categories.push(name.clone());
                }
            }
        }
    }
    categories.sort();
    Ok((flagged || !categories.is_empty(), categories))
}

/// The model list with optional `shutdown_date` ("YYYY-MM-DD" or unix seconds).
pub(super) fn parse_models(bytes: &[u8]) -> Result<Vec<ModelInfo>, ProviderError> {
    let v = envelope(bytes)?;
    let data = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::Malformed("model list has no data".to_owned()))?;
    Ok(data
        .iter()
        .filter_map(|m| {
            let id = m.get("id").and_then(Value::as_str)?.to_owned();
            let shutdown_date = m.get("shutdown_date").and_then(parse_date);
            Some(ModelInfo { id, shutdown_date })
        })
        .collect())
}

fn parse_date(v: &Value) -> Option<chrono::NaiveDate> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok()
        }
        Value::Number(n) => {
            let secs = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?;
            chrono::DateTime::from_timestamp(secs, 0).map(|d| d.date_naive())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bytes(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).expect("serialisable")
    }

    #[test]
    fn model_list_reads_string_and_unix_shutdown_dates() {
        let list = parse_models(&bytes(json!({"data": [
            {"id": "tts-1", "shutdown_date": "2027-01-06"},
            {"id": "gpt-4o", "shutdown_date": 1_799_884_800},
            {"id": "gpt-image-2.6-flare", "shutdown_date": null},
            {"id": "x"}
        ]})))
        .expect("parses");
        assert_eq!(
            list[0].shutdown_date,
            chrono::NaiveDate::from_ymd_opt(2027, 1, 6)
        );
        assert_eq!(
            list[1].shutdown_date,
            chrono::NaiveDate::from_ymd_opt(2027, 1, 14)
        );
        assert_eq!(list[2].shutdown_date, None);
        assert_eq!(list[3].shutdown_date, None);
    }

    #[test]
    fn chat_refusal_and_content_filter_are_content_policy() {
        let refusal = bytes(json!({"choices": [{"message": {"content": null, "refusal": "no"}}]}));
        assert_eq!(
            parse_chat(&refusal).map(|_| ()),
            Err(ProviderError::ContentPolicy {
                code: "refusal".to_owned()
            })
        );
        let filtered = bytes(
            json!({"choices": [{"message": {"content": ""}, "finish_reason": "content_filter"}]}),
        );
        assert!(matches!(
            parse_chat(&filtered),
            Err(ProviderError::ContentPolicy { .. })
        ));
    }

    #[test]
    fn moderation_collects_flagged_categories_across_results() {
        let (flagged, cats) = parse_moderation(&bytes(json!({"results": [
            {"flagged": false, "categories": {"violence": false}},
            {"flagged": true, "categories": {"violence": true, "hate": false, "self-harm": true}}
        ]})))
        .expect("parses");
        assert!(flagged);
        assert_eq!(cats, vec!["self-harm".to_owned(), "violence".to_owned()]);
    }
}
