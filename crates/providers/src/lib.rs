//! AI provider access for InfiniteStories (SPEC §6): the ports every function depends on
//! ([`TextModel`], [`SpeechModel`], [`ImageModel`], [`Moderator`], [`ModelCatalog`]), the
//! OpenAI-compatible client ([`OpenAiClient`]: retries with jittered backoff honouring
//! `Retry-After`, deadlines, per-model circuit breakers, text fallback), the offline provider
//! ([`OfflineProvider`]) and the dated price table ([`pricing`]).
//!
//! Functions depend on the ports through [`Providers`], never on wire types. This crate knows
//! nothing of HTTP requests to *our* API, storage or AWS; it depends only on `domain`.
//!
//! ## Model choices
//! Every model id is a setting ([`ProviderConfig`]). Defaults: `gpt-4o` with fallback
//! `gpt-4o-mini`, reviewer `gpt-4o-mini`, `tts-1`, `omni-moderation-latest`, and image model
//! **`gpt-image-2`** ([`DEFAULT_IMAGE_MODEL`]): `dall-e-3` was shut down on 2026-05-12, and
//! OpenAI's deprecations page (announcement of 2026-06-02) retires gpt-image-1-mini,
//! gpt-image-1.5 and chatgpt-image-latest on 2026-12-01 with `gpt-image-2` as the one
//! replacement. Image parameters are mapped per family (see [`openai::map_image_request`]);
//! any gpt-image-2.x id works through `IMAGE_MODEL`. gpt-4o, gpt-4o-mini (2027-01-14) and
//! the TTS models (2027-01-06) have announced shutdowns: `health` reads them from [`ModelCatalog`].
//!
//! ## Logging
//! Ids, models, counts, lengths and latencies only — never prompts, story text, keys or
//! upstream bodies.

pub mod breaker;
pub mod config;
pub mod error;
pub mod offline;
pub mod openai;
pub mod ports;
pub mod pricing;
pub mod timing;

use std::sync::Arc;

pub use breaker::BreakerState;
pub use config::{BreakerConfig, DEFAULT_IMAGE_MODEL, ProviderConfig, RetryPolicy, Timeouts};
pub use error::{ConfigError, ProviderError};
pub use offline::OfflineProvider;
pub use openai::OpenAiClient;
pub use ports::{
    AudioFormat, ImageModel, ImageReply, ImageRequest, MAX_SPEECH_INPUT_CHARS, ModelCatalog,
    ModelInfo, ModerationReply, Moderator, ProviderKind, QualityTier, SceneBrief, SpeechModel,
    SpeechReply, SpeechRequest, StoryBrief, TextModel, TextPurpose, TextReply, TextRequest, Usage,
};
pub use pricing::{CostEstimate, PRICES_AS_OF, estimate_cost};

/// Every port of one provider, ready to hand to a function's `App`.
#[derive(Clone)]
pub struct Providers {
    /// Which provider this is (the envelope's `meta.provider`).
    pub kind: ProviderKind,
    /// Structured text.
    pub text: Arc<dyn TextModel>,
    /// Speech.
    pub speech: Arc<dyn SpeechModel>,
    /// Images.
    pub image: Arc<dyn ImageModel>,
    /// Moderation.
    pub moderation: Arc<dyn Moderator>,
    /// Model list.
    pub catalog: Arc<dyn ModelCatalog>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Providers {
    /// The OpenAI-compatible client (one HTTP client for every port).
    pub fn openai(config: ProviderConfig) -> Result<Self, ConfigError> {
        Ok(Self::from_client(Arc::new(OpenAiClient::new(config)?)))
    }

    /// Wraps an already-built client (e.g. one with injected timing).
    pub fn from_client(client: Arc<OpenAiClient>) -> Self {
        Self {
            kind: ProviderKind::OpenAi,
            text: client.clone(),
            speech: client.clone(),
            image: client.clone(),
            moderation: client.clone(),
            catalog: client,
        }
    }

    /// The offline provider.
    pub fn offline() -> Self {
        let offline = Arc::new(OfflineProvider::new());
        Self {
            kind: ProviderKind::Offline,
            text: offline.clone(),
            speech: offline.clone(),
            image: offline.clone(),
            moderation: offline.clone(),
            catalog: offline,
        }
    }

    /// OpenAI when `config` is `Some` (a key is set), otherwise offline.
    pub fn from_config(config: Option<ProviderConfig>) -> Result<Self, ConfigError> {
        match config {
            Some(config) => Self::openai(config),
            None => Ok(Self::offline()),
        }
    }
}
