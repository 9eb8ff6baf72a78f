//! The five story languages.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A story language (ISO 639-1 code on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English
    #[default]
    En,
    /// Spanish
    Es,
    /// French
    Fr,
    /// German
    De,
    /// Italian
    It,
}

impl Language {
    /// Every supported language.
    pub const ALL: [Language; 5] = [
        Language::En,
        Language::Es,
        Language::Fr,
        Language::De,
        Language::It,
    ];

    /// Parses `en`, `EN`, `en-US`, `es_ES`… (the region is ignored).
    pub fn parse(raw: &str) -> Option<Self> {
        let base = raw
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match base.as_str() {
            "en" => Some(Self::En),
            "es" => Some(Self::Es),
            "fr" => Some(Self::Fr),
            "de" => Some(Self::De),
            "it" => Some(Self::It),
            _ => None,
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
            Self::Fr => "fr",
            Self::De => "de",
            Self::It => "it",
        }
    }

    /// The language's English name (for prompts).
    pub fn english_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Es => "Spanish",
            Self::Fr => "French",
            Self::De => "German",
            Self::It => "Italian",
        }
    }

    /// Calm bedtime narration pace in words per minute. German and French words are longer
    /// and read more slowly; Spanish and Italian are read a little faster.
    pub fn narration_wpm(self) -> u32 {
        match self {
            Self::En => 140,
            Self::Es => 150,
            Self::Fr => 140,
            Self::De => 120,
            Self::It => 145,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_with_regions_and_case() {
        assert_eq!(Language::parse("EN-us"), Some(Language::En));
        assert_eq!(Language::parse("de_DE"), Some(Language::De));
        assert_eq!(Language::parse("pt"), None);
    }
}
