//! The fake's normal (fault-free) replies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::NaiveDate;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{error_reply, json_reply};

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

/// The first "N words" / "N-word" budget in `text`.
pub(crate) fn word_budget(text: &str) -> Option<usize> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for (i, token) in tokens.iter().enumerate() {
        let lower = token.to_lowercase();
        let clean = lower.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
        if let Some(n) = clean.strip_suffix("-word").or(clean.strip_suffix("-words"))
            && let Ok(n) = n.trim_start_matches('~').parse::<usize>()
        {
            return Some(n);
        }
        if (clean == "words" || clean == "word") && i > 0 {
            let prev = tokens[i - 1].trim_matches(|c: char| !c.is_ascii_digit());
            if let Ok(n) = prev.parse::<usize>() {
                return Some(n);
            }
        }
    }
    None
}

const FILLER: [&str; 10] = [
    "The little hero stepped outside and looked up at the friendly moon.",
    "A small owl with silver feathers landed on the garden fence and said hello.",
    "Together they followed a path of glowing pebbles towards the quiet meadow.",
    "The grass was soft and cool, and the crickets played a gentle song.",
    "They found a lantern that shone like a tiny star resting in the grass.",
    "The owl explained that every lantern helps a lost dream find its way home.",
    "So the two friends carried the lantern over the bridge and up the hill.",
    "At the top, a sleepy dream floated down and curled up inside the light.",
    "Smiling, the hero and the owl walked home under a blanket of stars.",
    "Back in bed, the hero closed both eyes and drifted into a happy sleep.",
];

fn fake_story(budget: usize) -> String {
    let mut sentences: Vec<&str> = Vec::new();
    let mut words = 0;
    let mut i = 0;
    while words < budget.max(30) {
        let s = FILLER[i % FILLER.len()];
        words += s.split_whitespace().count();
        sentences.push(s);
        i += 1;
    }
    sentences
        .chunks(5)
        .map(|c| c.join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Three scenes quoting sentences of `text`.
fn fake_scenes(text: &str, duration: f64) -> Value {
    let sentences: Vec<&str> = text
        .split_inclusive(['.', '!', '?'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let pick = |i: usize| -> &str {
        if sentences.is_empty() {
            text.trim()
        } else {
            sentences[(i * sentences.len() / 3).min(sentences.len() - 1)]
        }
    };
    let emotions = ["joyful", "mysterious", "peaceful"];
    let importance = ["key", "major", "minor"];
    let scenes: Vec<Value> = (0..3)
        .map(|i| {
            let ts = (duration * i as f64 / 3.0 * 100.0).round() / 100.0;
            json!({
                "scene_number": i + 1,
                "text_segment": pick(i),
                "illustration_prompt": format!(
                    "A gentle picture-book scene {} of the hero and a friendly owl under the stars",
                    i + 1
                ),
                "timestamp_seconds": ts,
                "duration_seconds": (duration / 3.0 * 100.0).round() / 100.0,
                "emotion": emotions[i],
                "importance": importance[i],
            })
        })
        .collect();
    json!(scenes)
}

fn seconds_in(text: &str) -> Option<f64> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    tokens.windows(2).find_map(|w| {
        let unit = w[1].to_lowercase();
        if unit.starts_with("second") {
            w[0].trim_matches(|c: char| !c.is_ascii_digit() && c != '.')
                .parse::<f64>()
                .ok()
        } else {
            None
        }
    })
}

fn message_text(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

pub(crate) fn chat(body: &Value, id: u64, malformed: bool, refusal: bool) -> Response {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return error_reply(
            400,
            "invalid_request_error",
            None,
            "Missing required parameter: 'messages'.",
        );
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("gpt-4o");
    let prompt_chars: usize = messages.iter().map(|m| message_text(m).len()).sum();
    let user = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(message_text)
        .unwrap_or_default();
    let schema = body
        .pointer("/response_format/json_schema/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let content: Value = match schema {
        "story" | "bedtime_story" => {
            let budget = word_budget(&user).unwrap_or(300);
            let story = fake_story(budget);
            let words = story.split_whitespace().count() as f64;
            json!({
                "title": "The Lantern of Lost Dreams",
                "content": story,
                "scenes": fake_scenes(&story, (words / 140.0 * 60.0).round()),
            })
        }
        "scenes" | "story_scenes" => {
            let passage = user
                .split('\n')
                .max_by_key(|p| p.len())
                .unwrap_or("")
                .to_owned();
            let duration = seconds_in(&user).unwrap_or(300.0);
            json!({"scenes": fake_scenes(&passage, duration)})
        }
        "safety_review" => {
            json!({"safe": true, "severity": "none", "concerns": [], "summary": "Gentle bedtime story."})
        }
        _ => json!({}),
    };
    let (content_text, refusal_text, finish) = if refusal {
        (
            Value::Null,
            json!("I'm sorry, but I can't help with that request."),
            "stop",
        )
    } else if malformed {
        (json!("{\"title\": \"Unfinished"), Value::Null, "stop")
    } else {
        (json!(content.to_string()), Value::Null, "stop")
    };
    let completion_chars = content_text.as_str().map_or(0, str::len);
    json_reply(
        200,
        &json!({
            "id": format!("chatcmpl-fake{id}"),
            "object": "chat.completion",
            "created": now_secs(),
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content_text, "refusal": refusal_text},
                "logprobs": null,
                "finish_reason": finish,
            }],
            "usage": {
                "prompt_tokens": tokens(prompt_chars),
                "completion_tokens": tokens(completion_chars),
                "total_tokens": tokens(prompt_chars) + tokens(completion_chars),
            },
        }),
    )
}

pub(crate) fn speech(body: &Value) -> Response {
    let Some(input) = body
        .get("input")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
    else {
        return error_reply(
            400,
            "invalid_request_error",
            None,
            "Missing required parameter: 'input'.",
        );
    };
    if input.chars().count() > 4096 {
        return error_reply(
            400,
            "invalid_request_error",
            Some("string_above_max_length"),
            "Input is longer than 4096 characters.",
        );
    }
    if body.get("voice").and_then(Value::as_str).is_none() {
        return error_reply(
            400,
            "invalid_request_error",
            None,
            "Missing required parameter: 'voice'.",
        );
    }
    let model = body.get("model").and_then(Value::as_str).unwrap_or("");
    if body.get("instructions").is_some() && !(model.starts_with("gpt-") && model.contains("tts")) {
        return error_reply(
            400,
            "invalid_request_error",
            Some("unsupported_parameter"),
            "instructions are not supported with this model.",
        );
    }
    let speed = body.get("speed").and_then(Value::as_f64).unwrap_or(1.0);
    let words = input.split_whitespace().count() as f64;
    let seconds = (words / 150.0 * 60.0 / speed.clamp(0.25, 4.0)).max(0.5);
    let mp3 = audio::mp3::encode_silence(seconds);
    (StatusCode::OK, [("content-type", "audio/mpeg")], mp3).into_response()
}

/// A small real PNG whose colour follows the prompt.
pub(crate) fn small_png(prompt: &str) -> Vec<u8> {
    let digest = Sha256::digest(prompt.as_bytes());
    let (w, h) = (64u32, 64u32);
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            pixels.push(digest[0] ^ (x as u8).wrapping_mul(2));
            pixels.push(digest[1] ^ (y as u8).wrapping_mul(2));
            pixels.push(digest[2]);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels));
    if written.is_err() {
        return Vec::new();
    }
    out
}

const DALL_E_SIZES: [&str; 3] = ["1024x1024", "1792x1024", "1024x1792"];
const GPT_IMAGE_SIZES: [&str; 4] = ["1024x1024", "1536x1024", "1024x1536", "auto"];

pub(crate) fn images(body: &Value) -> Response {
    let Some(prompt) = body.get("prompt").and_then(Value::as_str) else {
        return error_reply(
            400,
            "invalid_request_error",
            None,
            "Missing required parameter: 'prompt'.",
        );
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("dall-e-2");
    let size = body
        .get("size")
        .and_then(Value::as_str)
        .unwrap_or("1024x1024");
    let quality = body.get("quality").and_then(Value::as_str);
    let dall_e = model.starts_with("dall-e");
    let bad =
        |message: &str, code: &str| error_reply(400, "invalid_request_error", Some(code), message);
    if dall_e {
        if !DALL_E_SIZES.contains(&size) {
            return bad("Invalid size for this model.", "invalid_value");
        }
        if quality.is_some_and(|q| !matches!(q, "standard" | "hd")) {
            return bad("Invalid quality for this model.", "invalid_value");
        }
        if body
            .get("style")
            .and_then(Value::as_str)
            .is_some_and(|s| !matches!(s, "vivid" | "natural"))
        {
            return bad("Invalid style.", "invalid_value");
        }
    } else {
        if !GPT_IMAGE_SIZES.contains(&size) {
            return bad("Invalid size for this model.", "invalid_value");
        }
        if quality.is_some_and(|q| !matches!(q, "low" | "medium" | "high" | "auto")) {
            return bad("Invalid quality for this model.", "invalid_value");
        }
        for unknown in ["response_format", "style"] {
            if body.get(unknown).is_some() {
                return bad(
                    &format!("Unknown parameter: '{unknown}'."),
                    "unknown_parameter",
                );
            }
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(small_png(prompt));
    let mut item = json!({});
    if dall_e && body.get("response_format").and_then(Value::as_str) != Some("b64_json") {
        item["url"] = json!("https://fake-openai.invalid/image.png");
    } else {
        item["b64_json"] = json!(b64);
    }
    if dall_e {
        let short: String = prompt.chars().take(120).collect();
        item["revised_prompt"] = json!(format!("A gentle, colourful illustration: {short}"));
    }
    let mut reply = json!({"created": now_secs(), "data": [item]});
    if !dall_e {
        let input = tokens(prompt.len());
        reply["usage"] = json!({
            "input_tokens": input,
            "output_tokens": 1056,
            "total_tokens": input + 1056,
        });
    }
    json_reply(200, &reply)
}

const CATEGORIES: [&str; 13] = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
];

pub(crate) fn moderations(body: &Value, id: u64) -> Response {
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                other => other.get("text").and_then(Value::as_str).map(str::to_owned),
            })
            .collect(),
        _ => {
            return error_reply(
                400,
                "invalid_request_error",
                None,
                "Missing required parameter: 'input'.",
            );
        }
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("omni-moderation-latest");
    let results: Vec<Value> = inputs
        .iter()
        .map(|text| {
            let lower = text.to_lowercase();
            let hit = |c: &str| lower.contains(&format!("fake-flag:{c}"));
            let categories: serde_json::Map<String, Value> = CATEGORIES
                .iter()
                .map(|c| ((*c).to_owned(), json!(hit(c))))
                .collect();
            let scores: serde_json::Map<String, Value> = CATEGORIES
                .iter()
                .map(|c| ((*c).to_owned(), json!(if hit(c) { 0.97 } else { 0.0001 })))
                .collect();
            json!({
                "flagged": CATEGORIES.iter().any(|c| hit(c)),
                "categories": categories,
                "category_scores": scores,
            })
        })
        .collect();
    json_reply(
        200,
        &json!({"id": format!("modr-fake{id}"), "model": model, "results": results}),
    )
}

pub(crate) fn models(list: &[(String, Option<NaiveDate>)]) -> Response {
    let data: Vec<Value> = list
        .iter()
        .map(|(id, shutdown)| {
            let mut entry = json!({
                "id": id,
                "object": "model",
                "created": 1_700_000_000,
                "owned_by": "system",
            });
            if let Some(date) = shutdown {
                entry["shutdown_date"] = json!(date.format("%Y-%m-%d").to_string());
            }
            entry
        })
        .collect();
    json_reply(200, &json!({"object": "list", "data": data}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_budget_is_found_in_several_phrasings() {
        assert_eq!(word_budget("Write about 700 words for Mia."), Some(700));
        assert_eq!(word_budget("A 450-word story"), Some(450));
        assert_eq!(word_budget("Target: ~320 words."), Some(320));
        assert_eq!(word_budget("no budget"), None);
    }

    #[test]
    fn fake_stories_reach_the_budget() {
        let s = fake_story(500);
        let n = s.split_whitespace().count();
        assert!((500..530).contains(&n), "{n}");
    }
}
