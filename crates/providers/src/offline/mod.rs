//! The offline provider: deterministic, dependency-free, no network, no keys.
//!
//! - **Text**: stories in en/es/fr/de/it composed from the [`StoryBrief`](crate::StoryBrief)
//!   out of per-language sentence banks (seeded by a hash of hero and event, so different
//!   heroes and events read differently), within ±10 % of the word budget, with a calm bedtime
//!   ending; scenes by a deterministic split (3..=max scenes, verbatim passages, timestamps at
//!   the language's narration pace, English illustration prompts naming the hero and a
//!   companion). The safety review **cannot review**: it answers
//!   `{"safe": true, "findings": [], "reviewer": "offline"}` — the rule-based checks of the
//!   safety pipeline still run on every story. Any other purpose answers `{}`.
//! - **Speech**: `espeak-ng` when it is on `PATH` (WAV), else a clearly-labelled placeholder
//!   tone WAV whose length matches the text at the narration pace (model
//!   `offline-placeholder-tone`).
//! - **Images**: procedurally painted PNGs of the requested size, different per prompt.
//! - **Moderation**: never flags (it has no classifier); the term rules still run.
//! - **Model list**: empty (nothing to retire).
//!
//! Model ids start with `offline-`, which the price table knows as free.

mod art;
mod banks;
mod speech;
mod story;

pub use story::count_words;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::json;
use tokio::time::Instant;

use crate::error::ProviderError;
use crate::ports::{
    AudioFormat, ImageModel, ImageReply, ImageRequest, ModelCatalog, ModelInfo, ModerationReply,
    Moderator, QualityTier, SpeechModel, SpeechReply, SpeechRequest, TextModel, TextPurpose,
    TextReply, TextRequest, Usage,
};

/// Model id of offline text.
pub const OFFLINE_TEXT_MODEL: &str = "offline-storyteller";
/// Model id of offline speech through espeak-ng.
pub const OFFLINE_ESPEAK_MODEL: &str = "offline-espeak-ng";
/// Model id of the placeholder tone.
pub const OFFLINE_TONE_MODEL: &str = "offline-placeholder-tone";
/// Model id of offline images.
pub const OFFLINE_IMAGE_MODEL: &str = "offline-painter";
/// Model id of offline moderation.
pub const OFFLINE_MODERATION_MODEL: &str = "offline-moderation";

/// Largest side the offline painter accepts (keeps memory bounded).
const MAX_SIDE: u32 = 4096;

/// The offline provider; implements every port.
#[derive(Debug, Default, Clone, Copy)]
pub struct OfflineProvider {
    /// Ignore `espeak-ng` even when installed (deterministic tests).
    pub force_placeholder_tone: bool,
}

impl OfflineProvider {
    /// The provider (uses espeak-ng when installed).
    pub fn new() -> Self {
        Self::default()
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl TextModel for OfflineProvider {
    async fn complete_json(&self, request: TextRequest) -> Result<TextReply, ProviderError> {
        let started = Instant::now();
        let json = match &request.purpose {
            TextPurpose::Story(brief) => story::story_json(brief),
            TextPurpose::Scenes(brief) => {
                if brief.story.trim().is_empty() {
                    return Err(ProviderError::InvalidRequest("empty story".to_owned()));
                }
                story::scenes_json(brief)
            }
            TextPurpose::SafetyReview { .. } => {
                json!({"safe": true, "findings": [], "reviewer": "offline"})
            }
            TextPurpose::Other => json!({}),
        };
        let latency_ms = elapsed_ms(started);
        tracing::info!(
            purpose = request.purpose.label(),
            model = OFFLINE_TEXT_MODEL,
            latency_ms,
            "offline text"
        );
        Ok(TextReply {
            json,
            model: OFFLINE_TEXT_MODEL.to_owned(),
            usage: Usage::default(),
            fell_back: false,
            latency_ms,
        })
    }
}

#[async_trait]
impl SpeechModel for OfflineProvider {
    async fn synthesize(&self, request: SpeechRequest) -> Result<SpeechReply, ProviderError> {
        let started = Instant::now();
        let characters = request.text.chars().count();
        if characters == 0 {
            return Err(ProviderError::InvalidRequest(
                "empty speech input".to_owned(),
            ));
        }
        if characters > crate::ports::MAX_SPEECH_INPUT_CHARS {
            return Err(ProviderError::InvalidRequest(format!(
                "speech input over {} characters",
                crate::ports::MAX_SPEECH_INPUT_CHARS
            )));
        }
        let mut spoken = None;
        if !self.force_placeholder_tone
            && let Some(binary) = speech::espeak_path()
        {
            spoken = speech::espeak(
                binary,
                &request.text,
                request.language,
                request.speed,
                request.deadline,
            )
            .await;
            if spoken.is_none() {
                tracing::warn!("espeak-ng failed: using the placeholder tone");
            }
        }
        let (audio, model) = match spoken {
            Some(wav) => (wav, OFFLINE_ESPEAK_MODEL),
            None => {
                let seconds =
                    speech::narration_duration(&request.text, request.language, request.speed);
                // Synthesis is CPU work of a few ms per minute of audio: fine inline.
                (speech::placeholder_tone(seconds), OFFLINE_TONE_MODEL)
            }
        };
        let latency_ms = elapsed_ms(started);
        tracing::info!(
            model,
            characters,
            bytes = audio.len(),
            latency_ms,
            "offline speech"
        );
        Ok(SpeechReply {
            audio: Bytes::from(audio),
            format: AudioFormat::Wav,
            model: model.to_owned(),
            usage: Usage {
                characters: characters as u64,
                ..Usage::default()
            },
            latency_ms,
        })
    }
}

#[async_trait]
impl ImageModel for OfflineProvider {
    async fn generate(&self, request: ImageRequest) -> Result<ImageReply, ProviderError> {
        let started = Instant::now();
        let (w, h) = request.size;
        if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
            return Err(ProviderError::InvalidRequest(
                "unsupported image size".to_owned(),
            ));
        }
        let prompt = match request.style.as_deref() {
            Some(style) => format!("{} | {style}", request.prompt),
            None => request.prompt.clone(),
        };
        let png = tokio::task::spawn_blocking(move || art::paint_png(&prompt, w, h))
            .await
            .map_err(|_| ProviderError::Malformed("offline painter stopped".to_owned()))?
            .map_err(|_| ProviderError::Malformed("offline PNG encoding failed".to_owned()))?;
        let latency_ms = elapsed_ms(started);
        tracing::info!(
            model = OFFLINE_IMAGE_MODEL,
            width = w,
            height = h,
            bytes = png.len(),
            latency_ms,
            "offline image"
        );
        Ok(ImageReply {
            png: Bytes::from(png),
            revised_prompt: None,
            model: OFFLINE_IMAGE_MODEL.to_owned(),
            size_used: format!("{w}x{h}"),
            quality_used: match request.quality {
                QualityTier::Standard => "standard",
                QualityTier::High => "high",
            }
            .to_owned(),
            usage: Usage {
                images: 1,
                ..Usage::default()
            },
            latency_ms,
        })
    }
}

#[async_trait]
impl Moderator for OfflineProvider {
    async fn moderate(&self, _texts: &[String]) -> Result<ModerationReply, ProviderError> {
        Ok(ModerationReply {
            flagged: false,
            categories: Vec::new(),
            model: OFFLINE_MODERATION_MODEL.to_owned(),
        })
    }
}

#[async_trait]
impl ModelCatalog for OfflineProvider {
    async fn list_models(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        Ok(Vec::new())
    }
}
