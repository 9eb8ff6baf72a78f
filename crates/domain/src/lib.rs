//! Pure domain types and rules of InfiniteStories: identifiers, languages, voices, heroes,
//! events, stories, scenes, model prompt templates and their validation. No IO, no async, no
//! AWS, no HTTP: everything here is a value or a pure function so every other crate can depend
//! on it cheaply.

pub mod clock;
pub mod event;
pub mod hero;
pub mod ids;
pub mod illustration;
pub mod language;
pub mod library;
pub mod prompts;
pub mod scene;
pub mod story;
mod text;
pub mod validation;
pub mod voice;

pub use clock::{Clock, FixedClock, SystemClock};
pub use event::{BuiltInEvent, CustomEvent, StoryEvent, UnknownEvent};
pub use hero::{Hero, HeroDraft, HeroPatch, VisualProfile};
pub use ids::{HeroId, StoryId, UserId, parse_uuid};
pub use language::Language;
pub use library::{AudioInfo, IllustrationStatus, SceneIllustration, StoryRecord};
pub use prompts::{Fence, HeroFacts, PromptError};
pub use scene::{
    Emotion, ExtractRequest, Importance, RepairReport, Scene, SceneHero,
    chunk_story_for_extraction, deterministic_split, merge_chunk_replies, validate_or_repair,
};
pub use story::{
    DraftError, LengthVerdict, StoryDraft, StoryRequest, count_words, estimated_duration,
    length_check, word_budget,
};
pub use validation::{FieldError, FieldErrors};
pub use voice::Voice;
