//! Stored stories: what the `stories` function lists and shows, and what the media functions
//! attach narration and illustrations to.

use crate::ids::{HeroId, StoryId, UserId};
use crate::language::Language;
use crate::scene::Scene;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A story kept for its owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryRecord {
    pub id: StoryId,
    pub user_id: UserId,
    pub hero_id: Option<HeroId>,
    pub title: String,
    pub content: String,
    pub language: Language,
    pub word_count: u32,
    /// Integer seconds (the app drops fractions).
    pub estimated_duration: u32,
    /// Event title shown in the library (built-in display name or custom title).
    pub event_title: String,
    pub scenes: Vec<Scene>,
    #[serde(default)]
    pub audio: Option<AudioInfo>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The narration attached to a story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioInfo {
    /// Blob key in the `story-audio` bucket.
    pub key: String,
    pub duration_seconds: f64,
    pub voice: String,
    pub format: String,
    pub file_size_bytes: u64,
}

/// Progress of one scene's illustration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IllustrationStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl IllustrationStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

/// The illustration state of one scene of a stored story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneIllustration {
    pub story_id: StoryId,
    pub scene_number: u32,
    pub status: IllustrationStatus,
    /// Blob key in the `story-illustrations` bucket when completed.
    #[serde(default)]
    pub image_key: Option<String>,
    #[serde(default)]
    pub generation_id: Option<String>,
    #[serde(default)]
    pub revised_prompt: Option<String>,
    /// A short, client-safe reason when failed.
    #[serde(default)]
    pub error_message: Option<String>,
    pub updated_at: DateTime<Utc>,
}
