//! The ports every function depends on: text with structured JSON output, speech, images,
//! moderation and the model list. Wire types of any provider stay behind these traits.

use async_trait::async_trait;
use bytes::Bytes;
use domain::{Language, Voice};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use crate::error::ProviderError;

/// The provider's own usage figures for one call (what the ledger records and prices).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt (input) tokens.
    pub prompt_tokens: u64,
    /// Completion (output) tokens.
    pub completion_tokens: u64,
    /// Characters of input text (speech).
    pub characters: u64,
    /// Images produced.
    pub images: u64,
}

impl Usage {
    /// Prompt plus completion tokens.
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

/// Which provider answered (the envelope's `meta.provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProviderKind {
    /// The OpenAI-compatible HTTP client.
    #[serde(rename = "openai")]
    OpenAi,
    /// The embedded, deterministic offline provider.
    #[serde(rename = "offline")]
    Offline,
}

impl ProviderKind {
    /// `"openai"` or `"offline"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Offline => "offline",
        }
    }
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The structured brief for a story: what the offline provider writes from (the OpenAI client
/// uses the rendered system/user prompts instead).
#[derive(Debug, Clone, PartialEq)]
pub struct StoryBrief {
    /// The hero's name.
    pub hero_name: String,
    /// First trait as the app sends it (`Brave`, `Kind`, …).
    pub primary_trait: String,
    /// Second trait.
    pub secondary_trait: String,
    /// Free-text appearance (may be empty).
    pub appearance: String,
    /// Free-text special ability (may be empty).
    pub special_ability: String,
    /// The event's title in the story's language.
    pub event_title: String,
    /// The event's premise in the story's language.
    pub event_premise: String,
    /// Story language.
    pub language: Language,
    /// Target word count.
    pub word_budget: u32,
    /// Most scenes to return (at least 3 are always returned).
    pub max_scenes: u8,
}

/// The structured brief for a scene split.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneBrief {
    /// The story text to split.
    pub story: String,
    /// The narration's length in seconds.
    pub duration_seconds: u32,
    /// The hero's name (for illustration prompts).
    pub hero_name: String,
    /// Story language.
    pub language: Language,
    /// Most scenes to return (at least 3).
    pub max_scenes: u8,
}

/// What a text request is for.
#[derive(Debug, Clone, PartialEq)]
pub enum TextPurpose {
    /// Write a story: JSON `{title, content, scenes[]}`.
    Story(StoryBrief),
    /// Split a story: JSON `{scenes[]}`.
    Scenes(SceneBrief),
    /// Child-safety review of `text`: JSON `{safe, findings[]}`.
    SafetyReview {
        /// The text under review.
        text: String,
    },
    /// Anything else (the offline provider answers `{}`).
    Other,
}

impl TextPurpose {
    /// A short label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Story(_) => "story",
            Self::Scenes(_) => "scenes",
            Self::SafetyReview { .. } => "safety_review",
            Self::Other => "other",
        }
    }
}

/// A structured-output chat request.
#[derive(Debug, Clone)]
pub struct TextRequest {
    /// What the request is for (the offline provider writes from it).
    pub purpose: TextPurpose,
    /// System prompt.
    pub system: String,
    /// User prompt (user text fenced as data by the caller).
    pub user: String,
    /// JSON schema name (`story`, `scenes`, `safety_review`, …).
    pub schema_name: String,
    /// The JSON schema the reply must satisfy (sent with `strict: true`).
    pub schema: Value,
    /// Sampling temperature.
    pub temperature: f32,
    /// Output token cap.
    pub max_tokens: u32,
    /// Model override (e.g. the safety review uses the mini model); `None` = the text model
    /// with its fallback.
    pub model: Option<String>,
    /// The caller's deadline: no attempt or backoff runs past it.
    pub deadline: Instant,
}

/// A structured-output reply.
#[derive(Debug, Clone, PartialEq)]
pub struct TextReply {
    /// The parsed JSON object the model returned.
    pub json: Value,
    /// The model that actually answered (the configured id).
    pub model: String,
    /// The provider's usage figures.
    pub usage: Usage,
    /// True when the fallback model answered because the primary could not.
    pub fell_back: bool,
    /// Wall time of the whole call including retries.
    pub latency_ms: u64,
}

/// Most characters one speech call accepts; longer text must be split by the caller.
pub const MAX_SPEECH_INPUT_CHARS: usize = 4096;

/// A text-to-speech request.
#[derive(Debug, Clone)]
pub struct SpeechRequest {
    /// Text to narrate (at most [`MAX_SPEECH_INPUT_CHARS`] characters).
    pub text: String,
    /// Voice.
    pub voice: Voice,
    /// Model override; `None` = the configured TTS model.
    pub model: Option<String>,
    /// Speaking speed (1.0 = normal).
    pub speed: f32,
    /// Persona instructions; sent only to models that support them (`gpt-4o-mini-tts`).
    pub instructions: Option<String>,
    /// Language of the text.
    pub language: Language,
    /// The caller's deadline.
    pub deadline: Instant,
}

/// Audio container of a speech reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AudioFormat {
    /// MPEG-1 Layer III (OpenAI).
    Mp3,
    /// RIFF/WAVE PCM (offline).
    Wav,
}

impl AudioFormat {
    /// File extension / wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mp3 => "mp3",
            Self::Wav => "wav",
        }
    }

    /// MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Mp3 => "audio/mpeg",
            Self::Wav => "audio/wav",
        }
    }
}

/// A speech reply.
#[derive(Debug, Clone)]
pub struct SpeechReply {
    /// Encoded audio.
    pub audio: Bytes,
    /// Its container.
    pub format: AudioFormat,
    /// The model that answered.
    pub model: String,
    /// Usage (`characters`).
    pub usage: Usage,
    /// Wall time including retries.
    pub latency_ms: u64,
}

/// Image quality tier as the API exposes it; mapped per model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QualityTier {
    /// The model's standard tier (`standard` / `medium`).
    #[default]
    Standard,
    /// The model's high tier (`hd` / `high`).
    High,
}

/// An image request.
#[derive(Debug, Clone)]
pub struct ImageRequest {
    /// The (already sanitised) prompt.
    pub prompt: String,
    /// Size as requested by the API caller: 1024x1024, 1024x1792 or 1792x1024; mapped to the
    /// configured model's nearest size.
    pub size: (u32, u32),
    /// Quality tier.
    pub quality: QualityTier,
    /// `vivid` / `natural`, or free art-direction words (`watercolor`).
    pub style: Option<String>,
    /// The caller's deadline.
    pub deadline: Instant,
}

/// An image reply.
#[derive(Debug, Clone)]
pub struct ImageReply {
    /// PNG bytes.
    pub png: Bytes,
    /// The prompt as the model rewrote it (DALL·E family only).
    pub revised_prompt: Option<String>,
    /// The model that answered.
    pub model: String,
    /// The size actually requested from the model, e.g. `1024x1536`.
    pub size_used: String,
    /// The quality actually requested, e.g. `hd`, `medium`.
    pub quality_used: String,
    /// Usage (`images = 1`, plus tokens when the model reports them).
    pub usage: Usage,
    /// Wall time including retries.
    pub latency_ms: u64,
}

/// A moderation verdict over several texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationReply {
    /// True when any text was flagged.
    pub flagged: bool,
    /// Flagged category names (as the provider spells them, e.g. `violence`, `self-harm`),
    /// deduplicated and sorted.
    pub categories: Vec<String>,
    /// The model that answered.
    pub model: String,
}

/// One entry of the provider's model list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Model id.
    pub id: String,
    /// Announced shutdown date, when the provider reports one.
    pub shutdown_date: Option<chrono::NaiveDate>,
}

/// Structured JSON text generation.
#[async_trait]
pub trait TextModel: Send + Sync {
    /// Runs a chat completion whose reply must be a JSON object satisfying `request.schema`.
    async fn complete_json(&self, request: TextRequest) -> Result<TextReply, ProviderError>;
}

/// Text to speech.
#[async_trait]
pub trait SpeechModel: Send + Sync {
    /// Narrates at most [`MAX_SPEECH_INPUT_CHARS`] characters.
    async fn synthesize(&self, request: SpeechRequest) -> Result<SpeechReply, ProviderError>;
}

/// Image generation.
#[async_trait]
pub trait ImageModel: Send + Sync {
    /// Paints one PNG.
    async fn generate(&self, request: ImageRequest) -> Result<ImageReply, ProviderError>;
}

/// Content moderation.
#[async_trait]
pub trait Moderator: Send + Sync {
    /// Classifies `texts` in one call.
    async fn moderate(&self, texts: &[String]) -> Result<ModerationReply, ProviderError>;
}

/// The provider's model list (health and model-lifecycle checks).
#[async_trait]
pub trait ModelCatalog: Send + Sync {
    /// Lists models with their shutdown dates where reported.
    async fn list_models(&self) -> Result<Vec<ModelInfo>, ProviderError>;
}
