//! The request body of `audio-synthesis`, parsed into validated values (pure: no IO).

use domain::story::count_words;
use domain::validation::Reader;
use domain::{FieldErrors, Language, StoryId, Voice};
use serde_json::{Map, Value};

/// Speech models a request may name (SPEC §5.4).
pub const ACCEPTED_MODELS: [&str; 3] = ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"];

/// Longest text accepted, in characters (a `MAX_STORY_LENGTH`-word story fits).
pub const MAX_TEXT_CHARS: usize = 60_000;

/// Shorter `text` than this, with a `story_id`, means "narrate the stored story".
pub const MIN_TEXT_CHARS: usize = 10;

/// Slowest and fastest narration accepted, and the calm bedtime default.
pub const SPEED_RANGE: (f64, f64) = (0.5, 1.5);
/// Default speaking speed.
pub const DEFAULT_SPEED: f32 = 0.95;

/// A validated narration request.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioRequest {
    /// The text (cleaned); `None` when it is absent or shorter than [`MIN_TEXT_CHARS`] and a
    /// `story_id` says which stored story to narrate instead.
    pub text: Option<String>,
    /// The voice.
    pub voice: Voice,
    /// The language when the request named one (else the story's, else English).
    pub language: Option<Language>,
    /// The speech model when the request named one (else `TTS_MODEL`).
    pub model: Option<String>,
    /// Speaking speed, 0.5–1.5.
    pub speed: f32,
    /// The caller's story the narration belongs to.
    pub story_id: Option<StoryId>,
}

fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    format!(
        "must be one of {}",
        values.into_iter().collect::<Vec<_>>().join(", ")
    )
}

impl AudioRequest {
    /// Parses the body; `default_voice` is `DEFAULT_VOICE`, `max_words` `MAX_STORY_LENGTH`.
    pub fn parse(
        obj: &Map<String, Value>,
        default_voice: Voice,
        max_words: usize,
    ) -> Result<Self, FieldErrors> {
        let mut r = Reader::new(obj, "");
        let story_id = match r.string("story_id", false, 0, 64, false) {
            Some(raw) if !raw.trim().is_empty() => {
                let id = StoryId::parse(&raw);
                if id.is_none() {
                    r.fail("story_id", "must be a UUID");
                }
                id
            }
            _ => None,
        };
        let text = r
            .string("text", false, 0, MAX_TEXT_CHARS, true)
            .map(|t| t.trim().to_string());
        let text = match text {
            Some(t) if story_id.is_some() && t.chars().count() < MIN_TEXT_CHARS => None,
            Some(t) if count_words(&t) == 0 => {
                if !r.errors.errors().iter().any(|e| e.field == "text") {
                    r.fail("text", "must contain words");
                }
                None
            }
            Some(t) => {
                let words = count_words(&t);
                if words > max_words {
                    r.fail("text", format!("must be at most {max_words} words"));
                }
                Some(t)
            }
            None => {
                if story_id.is_none() && !r.errors.errors().iter().any(|e| e.field == "text") {
                    r.fail("text", "is required (or a story_id to narrate)");
                }
                None
            }
        };
        let voice = match r.string("voice", false, 0, 32, false) {
            Some(raw) if !raw.trim().is_empty() => {
                let v = Voice::parse(&raw);
                if v.is_none() {
                    r.fail("voice", one_of(Voice::ALL.iter().map(|v| v.name())));
                }
                v
            }
            _ => Some(default_voice),
        };
        let language = match r.string("language", false, 0, 16, false) {
            Some(raw) if !raw.trim().is_empty() => {
                let l = Language::parse(&raw);
                if l.is_none() {
                    r.fail("language", one_of(Language::ALL.iter().map(|l| l.code())));
                }
                l
            }
            _ => None,
        };
        let model = match r.string("model", false, 0, 64, false) {
            Some(raw) if !raw.trim().is_empty() => {
                let m = raw.trim().to_ascii_lowercase();
                if ACCEPTED_MODELS.contains(&m.as_str()) {
                    Some(m)
                } else {
                    r.fail("model", one_of(ACCEPTED_MODELS));
                    None
                }
            }
            _ => None,
        };
        let speed = r
            .number("speed", false, SPEED_RANGE.0, SPEED_RANGE.1)
            .map_or(DEFAULT_SPEED, |s| s as f32);
        match voice {
            Some(voice) if r.errors.is_empty() => Ok(Self {
                text,
                voice,
                language,
                model,
                speed,
                story_id,
            }),
            _ => Err(r.errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<AudioRequest, FieldErrors> {
        let Value::Object(m) = v else {
            panic!("test bodies are objects")
        };
        AudioRequest::parse(&m, Voice::Coral, 5000)
    }

    fn message(errors: &FieldErrors, field: &str) -> String {
        errors
            .errors()
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
            .unwrap_or_else(|| panic!("no error for {field}: {errors:?}"))
    }

    #[test]
    fn defaults_are_the_configured_voice_calm_speed_and_no_model_override() {
        let r = parse(json!({"text": "Once upon a time."})).expect("valid");
        assert_eq!(r.voice, Voice::Coral);
        assert_eq!(r.speed, DEFAULT_SPEED);
        assert_eq!(r.model, None);
        assert_eq!(r.language, None);
        assert_eq!(r.text.as_deref(), Some("Once upon a time."));
    }

    #[test]
    fn accepts_every_documented_voice_model_and_language_in_any_case() {
        let r = parse(json!({"text": "Hola amigo.", "voice": "Fable", "model": "GPT-4o-mini-tts", "language": "ES", "speed": 1.5}))
            .expect("valid");
        assert_eq!(r.voice, Voice::Fable);
        assert_eq!(r.model.as_deref(), Some("gpt-4o-mini-tts"));
        assert_eq!(r.language, Some(Language::Es));
        assert_eq!(r.speed, 1.5);
    }

    #[test]
    fn unknown_voice_model_and_language_list_the_accepted_values() {
        let e = parse(
            json!({"text": "Hello there.", "voice": "bob", "model": "tts-2", "language": "pt"}),
        )
        .expect_err("invalid");
        assert!(message(&e, "voice").contains("coral, nova, fable, alloy, echo, onyx, shimmer"));
        assert!(message(&e, "model").contains("tts-1, tts-1-hd, gpt-4o-mini-tts"));
        assert!(message(&e, "language").contains("en, es, fr, de, it"));
    }

    #[test]
    fn speed_outside_half_to_one_and_a_half_is_refused() {
        for speed in [0.49, 1.51, 4.0] {
            let e = parse(json!({"text": "Hello there.", "speed": speed})).expect_err("invalid");
            assert!(message(&e, "speed").contains("between 0.5 and 1.5"));
        }
        assert!(parse(json!({"text": "Hello there.", "speed": "fast"})).is_err());
    }

    #[test]
    fn short_text_with_a_story_id_means_narrate_the_stored_story() {
        let id = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";
        let r = parse(json!({"text": "go", "story_id": id})).expect("valid");
        assert_eq!(r.text, None);
        assert_eq!(r.story_id.map(|s| s.to_string()), Some(id.to_lowercase()));
        let r = parse(json!({"story_id": id})).expect("valid");
        assert_eq!(r.text, None);
        let r = parse(json!({"text": "A longer text to narrate.", "story_id": id})).expect("valid");
        assert!(r.text.is_some());
    }

    #[test]
    fn text_is_required_without_a_story_and_bounded_in_words() {
        assert!(message(&parse(json!({})).expect_err("missing"), "text").contains("required"));
        assert!(parse(json!({"text": "   "})).is_err());
        let long = "word ".repeat(5001);
        assert!(
            message(&parse(json!({"text": long})).expect_err("long"), "text")
                .contains("5000 words")
        );
        let huge = "a".repeat(MAX_TEXT_CHARS + 1);
        assert!(parse(json!({"text": huge})).is_err());
        assert!(parse(json!({"text": "Hi.", "story_id": "not-a-uuid"})).is_err());
    }
}
