//! The narration use case, free of Lambda types.

use crate::assemble::{Narration, assemble};
use crate::request::{AudioRequest, MAX_TEXT_CHARS};
use accounting::CacheKind;
use bytes::Bytes;
use domain::{AudioInfo, Language, StoryId, StoryRecord, UserId, Voice};
use edge::{ApiError, Reply};
use futures::{StreamExt, TryStreamExt};
use providers::{AudioFormat, MAX_SPEECH_INPUT_CHARS, ProviderError, SpeechReply, SpeechRequest};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage::{BlobKey, Bucket};
use wiring::guard::Input;
use wiring::metered::Meter;
use wiring::store_error;

/// Chunks synthesised at once: enough to narrate a long story in roughly one chunk's time
/// without bursting the provider's per-key rate limit.
pub const CHUNK_CONCURRENCY: usize = 4;

/// Attempts per chunk at this level (the client already retries transient errors; one
/// more attempt here rides out a failure that outlived those retries or a malformed reply).
pub const CHUNK_ATTEMPTS: u32 = 2;

/// The speech settings of one request, shared by its chunks.
struct Plan {
    voice: Voice,
    language: Language,
    model: String,
    speed: f32,
    instructions: String,
    deadline: tokio::time::Instant,
}

/// What the audio cache keeps per narration.
struct Cached {
    key: String,
    duration_seconds: f64,
    format: AudioFormat,
    file_size_bytes: u64,
    chunks: u64,
}

impl Cached {
    fn to_json(&self) -> Value {
        json!({
            "key": self.key,
            "duration_seconds": self.duration_seconds,
            "format": self.format.as_str(),
            "file_size_bytes": self.file_size_bytes,
            "chunks": self.chunks,
        })
    }

    fn from_json(v: &Value) -> Option<Self> {
        let format = match v.get("format")?.as_str()? {
            "mp3" => AudioFormat::Mp3,
            "wav" => AudioFormat::Wav,
            _ => return None,
        };
        Some(Self {
            key: v.get("key")?.as_str()?.to_string(),
            duration_seconds: v.get("duration_seconds")?.as_f64()?,
            format,
            file_size_bytes: v.get("file_size_bytes")?.as_u64()?,
            chunks: v.get("chunks").and_then(Value::as_u64).unwrap_or(1),
        })
    }
}

/// The persona as speaking instructions, in the story's language (sent only to models that
/// take instructions; the client drops them for `tts-1`/`tts-1-hd`).
pub fn instructions(voice: Voice, language: Language) -> String {
    format!(
        "Narrate in {} as {}. Read slowly and calmly, with gentle pauses between sentences, \
         for a child drifting off to sleep.",
        language.english_name(),
        voice.persona()
    )
}

/// Blob prefix of the narration: under the story (so deleting the story deletes its audio,
/// as the `stories` function's `media_prefix`) or the user's loose `audio/`.
fn blob_prefix(story: Option<&StoryId>) -> String {
    match story {
        Some(id) => format!("stories/{id}"),
        None => "audio".to_string(),
    }
}

fn cache_key(text: &str, plan: &Plan, provider: &str, prefix: &str) -> String {
    accounting::Cache::key(&[
        text,
        plan.voice.name(),
        &plan.model,
        &format!("{:.2}", plan.speed),
        plan.language.code(),
        provider,
        prefix,
    ])
}

/// Whether a chunk that failed after the client's own retries deserves one more attempt:
/// transient or garbled failures do; refusals, bad credentials, an open breaker or a spent
/// deadline do not.
fn worth_another_try(e: &ProviderError) -> bool {
    e.is_retryable()
        || matches!(
            e,
            ProviderError::Malformed(_) | ProviderError::Upstream { .. }
        )
}

/// Whether the provider may have done (and billed) work for a failed call.
fn possibly_billed(e: &ProviderError) -> bool {
    matches!(
        e,
        ProviderError::Timeout
            | ProviderError::Transport(_)
            | ProviderError::Malformed(_)
            | ProviderError::Upstream { .. }
    )
}

async fn synthesize_chunk(
    meter: &Meter,
    plan: &Plan,
    index: usize,
    text: &str,
) -> Result<SpeechReply, ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let started = Instant::now();
        let request = SpeechRequest {
            text: text.to_string(),
            voice: plan.voice,
            model: Some(plan.model.clone()),
            speed: plan.speed,
            instructions: Some(plan.instructions.clone()),
            language: plan.language,
            deadline: plan.deadline,
        };
        match meter.providers().speech.synthesize(request).await {
            Ok(reply) => {
                meter.speech_call(&reply).await;
                return Ok(reply);
            }
            Err(e) => {
                if possibly_billed(&e) {
                    meter
                        .failed_call(&plan.model, started.elapsed().as_millis() as u64)
                        .await;
                }
                let again = attempt < CHUNK_ATTEMPTS
                    && worth_another_try(&e)
                    && tokio::time::Instant::now() < plan.deadline;
                tracing::warn!(
                    chunk = index,
                    attempt,
                    error = e.kind(),
                    retry = again,
                    "speech chunk failed"
                );
                if !again {
                    return Err(wiring::provider_error(&e, "narration"));
                }
            }
        }
    }
}

/// Synthesises every chunk, at most [`CHUNK_CONCURRENCY`] at once, in order. The first chunk
/// that fails for good fails the whole (the others are dropped unfinished).
async fn synthesize_all(
    meter: &Meter,
    plan: &Plan,
    chunks: &[String],
) -> Result<Vec<SpeechReply>, ApiError> {
    // Collected first: a lazy `map` inside the stream trips the `Send` check of the handler.
    let calls: Vec<_> = chunks
        .iter()
        .enumerate()
        .map(|(i, text)| synthesize_chunk(meter, plan, i, text))
        .collect();
    futures::stream::iter(calls)
        .buffered(CHUNK_CONCURRENCY)
        .try_collect()
        .await
}

fn wire(url: &str, cached: &Cached, plan: &Plan, story: Option<&StoryId>) -> Value {
    let mut data = json!({
        "audio_url": url,
        "duration_seconds": (cached.duration_seconds * 1000.0).round() / 1000.0,
        "file_size_bytes": cached.file_size_bytes,
        "voice_used": plan.voice.name(),
        "language": plan.language.code(),
        "format": cached.format.as_str(),
        "content_type": cached.format.mime(),
        "model": plan.model,
        "chunks": cached.chunks,
    });
    if let (Some(id), Some(map)) = (story, data.as_object_mut()) {
        map.insert("story_id".into(), json!(id.to_string()));
    }
    data
}

async fn presign(meter: &Meter, key: &BlobKey) -> Result<String, ApiError> {
    let deps = meter.deps();
    deps.backend
        .blobs
        .presign_get(
            Bucket::StoryAudio,
            key,
            Duration::from_secs(deps.settings.media_url_ttl),
        )
        .await
        .map_err(store_error)
}

/// Points the story at the narration, re-reading it first so a concurrent change (scenes,
/// illustrations) is not overwritten. `false` when the story is gone.
async fn link_story(
    meter: &Meter,
    user: &UserId,
    id: &StoryId,
    audio: AudioInfo,
) -> Result<bool, ApiError> {
    let deps = meter.deps();
    let Some(mut story) = deps
        .backend
        .stories
        .get_story(user, id)
        .await
        .map_err(store_error)?
    else {
        return Ok(false);
    };
    if story.audio.as_ref() == Some(&audio) {
        return Ok(true);
    }
    story.audio = Some(audio);
    story.updated_at = deps.clock.now();
    deps.backend
        .stories
        .put_story(&story)
        .await
        .map_err(store_error)?;
    Ok(true)
}

fn audio_info(c: &Cached, voice: Voice) -> AudioInfo {
    AudioInfo {
        key: c.key.clone(),
        duration_seconds: c.duration_seconds,
        voice: voice.name().to_string(),
        format: c.format.as_str().to_string(),
        file_size_bytes: c.file_size_bytes,
    }
}

/// A live cache entry whose audio still exists, served without a provider call.
async fn from_cache(
    meter: &Meter,
    key: &str,
    plan: &Plan,
    story: Option<&StoryId>,
) -> Result<Option<Reply>, ApiError> {
    let deps = meter.deps();
    let user = meter.user();
    let Some(hit) = deps
        .cache
        .get(user, CacheKind::Audio, key)
        .await
        .map_err(store_error)?
    else {
        return Ok(None);
    };
    let cached = Cached::from_json(&hit);
    let blob_key = cached
        .as_ref()
        .and_then(|c| BlobKey::from_stored(user, &c.key).ok());
    let exists = match &blob_key {
        Some(k) => deps
            .backend
            .blobs
            .get(Bucket::StoryAudio, k)
            .await
            .map_err(store_error)?
            .is_some(),
        None => false,
    };
    let (Some(cached), Some(blob_key), true) = (cached, blob_key, exists) else {
        deps.cache.invalidate(user, CacheKind::Audio, key).await;
        return Ok(None);
    };
    if let Some(id) = story
        && !link_story(meter, user, id, audio_info(&cached, plan.voice)).await?
    {
        return Err(ApiError::not_found("Story"));
    }
    let url = presign(meter, &blob_key).await?;
    meter.cached_call(&plan.model).await;
    Ok(Some(
        Reply::ok(wire(&url, &cached, plan, story)).with_cached(true),
    ))
}

/// `POST /`
pub async fn synthesize(
    meter: Arc<Meter>,
    body: Map<String, Value>,
    deadline: Instant,
) -> Result<Reply, ApiError> {
    let deps = meter.deps().clone();
    let user = meter.user().clone();
    let req = AudioRequest::parse(
        &body,
        deps.settings.default_voice,
        deps.settings.max_story_length as usize,
    )
    .map_err(|e| ApiError::fields(&e))?;

    let story: Option<StoryRecord> = match &req.story_id {
        Some(id) => Some(
            deps.backend
                .stories
                .get_story(&user, id)
                .await
                .map_err(store_error)?
                .ok_or_else(|| ApiError::not_found("Story"))?,
        ),
        None => None,
    };
    let language = req
        .language
        .or(story.as_ref().map(|s| s.language))
        .unwrap_or(Language::En);
    // The stored story passed the output checks when it was written; user text is screened.
    let text = match (&req.text, &story) {
        (Some(text), _) => {
            let inputs = [Input {
                field: "text",
                text,
                limit: MAX_TEXT_CHARS,
            }];
            meter
                .screen(&inputs, Some(language))
                .await?
                .into_iter()
                .next()
                .unwrap_or_default()
        }
        (None, Some(s)) => s.content.clone(),
        (None, None) => return Err(ApiError::invalid("Invalid field `text`: is required")),
    };
    let chunks = audio::chunk::split_for_tts(&text, MAX_SPEECH_INPUT_CHARS);
    if chunks.is_empty() {
        return Err(ApiError::invalid("There is no text to narrate"));
    }

    let plan = Plan {
        voice: req.voice,
        language,
        model: req
            .model
            .clone()
            .unwrap_or_else(|| deps.settings.tts_model.clone()),
        speed: req.speed,
        instructions: instructions(req.voice, language),
        deadline: tokio::time::Instant::from_std(deadline),
    };
    let story_id = story.as_ref().map(|s| s.id);
    let prefix = blob_prefix(story_id.as_ref());
    let provider = meter.providers().kind.as_str();
    let key = cache_key(&text, &plan, provider, &prefix);
    if let Some(reply) = from_cache(&meter, &key, &plan, story_id.as_ref()).await? {
        return Ok(reply);
    }

    meter.admit(1).await?;

    let replies = synthesize_all(&meter, &plan, &chunks).await?;
    let parts: Vec<(AudioFormat, &[u8])> = replies
        .iter()
        .map(|r| (r.format, r.audio.as_ref()))
        .collect();
    let Narration {
        bytes,
        format,
        duration_seconds,
    } = assemble(&parts).map_err(|e| {
        tracing::error!(error = %e, chunks = parts.len(), "speech chunks could not be joined");
        ApiError::upstream("The narration service returned unusable audio; please try again")
    })?;

    let blob_key =
        BlobKey::content_addressed(&user, &prefix, &bytes, format.as_str()).map_err(store_error)?;
    let cached = Cached {
        key: blob_key.as_str().to_string(),
        duration_seconds,
        format,
        file_size_bytes: bytes.len() as u64,
        chunks: chunks.len() as u64,
    };
    deps.backend
        .blobs
        .put(
            Bucket::StoryAudio,
            &blob_key,
            Bytes::from(bytes),
            format.mime(),
        )
        .await
        .map_err(store_error)?;
    if let Some(id) = &story_id {
        let linked = link_story(&meter, &user, id, audio_info(&cached, plan.voice)).await;
        if !matches!(linked, Ok(true)) {
            // Never leave audio behind that no story references.
            let _ = deps
                .backend
                .blobs
                .delete(Bucket::StoryAudio, &blob_key)
                .await;
            linked?;
            return Err(ApiError::not_found("Story"));
        }
    }
    deps.cache
        .put(&user, CacheKind::Audio, &key, &cached.to_json())
        .await;
    let url = presign(&meter, &blob_key).await?;
    tracing::info!(
        story_id = story_id.map(|s| s.to_string()),
        chunks = chunks.len(),
        characters = text.chars().count(),
        bytes = cached.file_size_bytes,
        duration_seconds,
        voice = plan.voice.name(),
        model = plan.model.as_str(),
        format = format.as_str(),
        "narration synthesised"
    );
    Ok(Reply::ok(wire(&url, &cached, &plan, story_id.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_name_the_language_and_the_voices_persona() {
        let i = instructions(Voice::Fable, Language::De);
        assert!(i.starts_with("Narrate in German"));
        assert!(i.contains(Voice::Fable.persona()));
    }

    #[test]
    fn story_audio_lives_under_the_story_so_deleting_it_deletes_the_audio() {
        let id = StoryId::new_random();
        assert_eq!(blob_prefix(Some(&id)), format!("stories/{id}"));
        assert_eq!(blob_prefix(None), "audio");
    }

    #[test]
    fn transient_and_garbled_failures_get_one_more_chunk_attempt_refusals_do_not() {
        assert!(worth_another_try(&ProviderError::Upstream { status: 500 }));
        assert!(worth_another_try(&ProviderError::Malformed("x".into())));
        assert!(worth_another_try(&ProviderError::Timeout));
        assert!(!worth_another_try(&ProviderError::ContentPolicy {
            code: "content_policy_violation".into()
        }));
        assert!(!worth_another_try(&ProviderError::QuotaExceeded));
        assert!(!worth_another_try(&ProviderError::CircuitOpen {
            model: "tts-1".into()
        }));
        assert!(!worth_another_try(&ProviderError::DeadlineExceeded));
    }

    #[test]
    fn the_cache_entry_round_trips_and_rejects_unknown_formats() {
        let c = Cached {
            key: "u/audio/abc.mp3".into(),
            duration_seconds: 12.5,
            format: AudioFormat::Mp3,
            file_size_bytes: 1234,
            chunks: 3,
        };
        let back = Cached::from_json(&c.to_json()).expect("round trip");
        assert_eq!(back.key, c.key);
        assert_eq!(back.format, AudioFormat::Mp3);
        assert_eq!(back.chunks, 3);
        let mut bad = c.to_json();
        bad["format"] = json!("ogg");
        assert!(Cached::from_json(&bad).is_none());
    }

    #[test]
    fn the_cache_key_changes_with_every_input_that_changes_the_audio() {
        let plan = |voice, model: &str, speed, language| Plan {
            voice,
            language,
            model: model.to_string(),
            speed,
            instructions: String::new(),
            deadline: tokio::time::Instant::now(),
        };
        let base = plan(Voice::Coral, "tts-1", 0.95, Language::En);
        let k = cache_key("Hello.", &base, "openai", "audio");
        assert_eq!(k, cache_key("Hello.", &base, "openai", "audio"));
        for other in [
            cache_key("Hello!", &base, "openai", "audio"),
            cache_key(
                "Hello.",
                &plan(Voice::Nova, "tts-1", 0.95, Language::En),
                "openai",
                "audio",
            ),
            cache_key(
                "Hello.",
                &plan(Voice::Coral, "tts-1-hd", 0.95, Language::En),
                "openai",
                "audio",
            ),
            cache_key(
                "Hello.",
                &plan(Voice::Coral, "tts-1", 1.0, Language::En),
                "openai",
                "audio",
            ),
            cache_key(
                "Hello.",
                &plan(Voice::Coral, "tts-1", 0.95, Language::Fr),
                "openai",
                "audio",
            ),
            cache_key("Hello.", &base, "offline", "audio"),
            cache_key("Hello.", &base, "openai", "stories/x"),
        ] {
            assert_ne!(k, other);
        }
    }
}
