//! The seven narration voices and their personas.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A narration voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Voice {
    /// Warm, nurturing (default).
    #[default]
    Coral,
    /// Cheerful, engaging.
    Nova,
    /// Wise, grandfather-like.
    Fable,
    /// Clear, neutral.
    Alloy,
    /// Soft, dreamy.
    Echo,
    /// Deep, reassuring.
    Onyx,
    /// Bright, melodic.
    Shimmer,
}

impl Voice {
    /// Every voice.
    pub const ALL: [Voice; 7] = [
        Voice::Coral,
        Voice::Nova,
        Voice::Fable,
        Voice::Alloy,
        Voice::Echo,
        Voice::Onyx,
        Voice::Shimmer,
    ];

    /// Parses a voice name in any case.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(raw.trim()))
    }

    /// The provider's voice id.
    pub fn name(self) -> &'static str {
        match self {
            Self::Coral => "coral",
            Self::Nova => "nova",
            Self::Fable => "fable",
            Self::Alloy => "alloy",
            Self::Echo => "echo",
            Self::Onyx => "onyx",
            Self::Shimmer => "shimmer",
        }
    }

    /// The narration persona (used as speaking instructions where the model supports them).
    pub fn persona(self) -> &'static str {
        match self {
            Self::Coral => "a warm, nurturing storyteller speaking gently to a child at bedtime",
            Self::Nova => "a cheerful, engaging storyteller with a friendly smile in the voice",
            Self::Fable => "a wise, kind grandfather telling a cherished tale by the fire",
            Self::Alloy => "a clear, calm narrator with an even, reassuring pace",
            Self::Echo => "a soft, dreamy narrator whose voice drifts like a lullaby",
            Self::Onyx => "a deep, reassuring voice that makes a child feel safe",
            Self::Shimmer => "a bright, melodic storyteller with a musical lilt",
        }
    }
}

impl fmt::Display for Voice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
