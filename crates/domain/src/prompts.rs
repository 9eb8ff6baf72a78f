//! Every model prompt, in one reviewable text file per language under `crates/domain/prompts/`
//! (`en.txt`, `es.txt`, `fr.txt`, `de.txt`, `it.txt` for the story prompts, `common.txt` for
//! the English-only scene-extraction and safety-review prompts), plus the JSON schemas of the
//! structured replies.
//!
//! Templates hold `{placeholder}`s filled by [`render`], which fails on a placeholder without
//! a value and on a value without a placeholder, and never re-reads inserted text (so user
//! text containing `{hero_name}` stays literal). User text reaches a prompt only through the
//! caller's [`Fence`] (the safety crate's fence marks it as data, never instructions).

use crate::event::{CustomEvent, StoryEvent};
use crate::hero::{Hero, HeroDraft};
use crate::language::Language;
use crate::scene::{Emotion, Importance};
use crate::story::deviation_percent;
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt;

const EN: &str = include_str!("../prompts/en.txt");
const ES: &str = include_str!("../prompts/es.txt");
const FR: &str = include_str!("../prompts/fr.txt");
const DE: &str = include_str!("../prompts/de.txt");
const IT: &str = include_str!("../prompts/it.txt");
const COMMON: &str = include_str!("../prompts/common.txt");

/// Marks untrusted text as data: `fence(label, text)` returns the text wrapped so the model
/// treats it as information, never as instructions. `label` is a stable ASCII field name
/// (`hero_name`, `custom_event_prompt_seed`, `story`). The safety crate provides the real
/// fence; [`basic_fence`] is a minimal stand-in for tests and the offline provider.
pub type Fence<'a> = &'a dyn Fn(&str, &str) -> String;

/// A prompt could not be built (a bug in a template or its caller, never a user error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    /// The template has `{name}` but no value was given.
    #[error("template placeholder {{{0}}} has no value")]
    MissingValue(String),
    /// A value was given that the template does not use.
    #[error("value {0} is not a placeholder of the template")]
    UnusedValue(String),
    /// A `{` opens a placeholder that is never closed.
    #[error("unclosed placeholder at byte {0}")]
    Unclosed(usize),
    /// The language file has no such section.
    #[error("prompt section {section} is missing for {language}")]
    MissingSection {
        /// Section name.
        section: &'static str,
        /// Language code (`common` for language-independent templates).
        language: &'static str,
    },
}

/// Fills `{name}` placeholders (`name` = lower-case ASCII letters, digits, `_`) with `vars`.
/// Any other `{` is literal (`{"scenes": …}` needs no escaping). Every placeholder must have
/// a value and every value must be used; inserted values are not scanned again.
pub fn render(template: &str, vars: &[(&str, &str)]) -> Result<String, PromptError> {
    let mut out = String::with_capacity(template.len() + 256);
    let mut used = vec![false; vars.len()];
    let mut rest = template;
    let mut offset = 0;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        let is_placeholder = name_len > 0 && after.as_bytes()[0].is_ascii_lowercase();
        if !is_placeholder {
            out.push('{');
            rest = after;
            offset += i + 1;
            continue;
        }
        if after.as_bytes().get(name_len) != Some(&b'}') {
            return Err(PromptError::Unclosed(offset + i));
        }
        let name = &after[..name_len];
        let idx = vars
            .iter()
            .position(|(k, _)| *k == name)
            .ok_or_else(|| PromptError::MissingValue(name.to_string()))?;
        used[idx] = true;
        out.push_str(vars[idx].1);
        rest = &after[name_len + 1..];
        offset += i + name_len + 2;
    }
    out.push_str(rest);
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(PromptError::UnusedValue(vars[i].0.to_string()));
    }
    Ok(out)
}

/// Every template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    /// System prompt for writing a story (per language).
    StorySystem,
    /// User prompt for writing a story (per language).
    StoryUser,
    /// The event paragraph of [`Template::StoryUser`] for a built-in event.
    EventBuiltIn,
    /// The event paragraph of [`Template::StoryUser`] for a custom event.
    EventCustom,
    /// The word for a field the family left empty.
    NotGiven,
    /// Corrective retry after a story that was too short.
    StoryRetryTooShort,
    /// Corrective retry after a story that was too long.
    StoryRetryTooLong,
    /// Regeneration after a failed safety review.
    StorySafetyRegen,
    /// System prompt for scene extraction (English).
    SceneSystem,
    /// User prompt for scene extraction (English).
    SceneUser,
    /// The part note of [`Template::SceneUser`] for a chunk of a long story.
    ScenePartNote,
    /// System prompt for the child-safety review (English).
    SafetyReviewSystem,
    /// User prompt for the child-safety review (English).
    SafetyReviewUser,
}

impl Template {
    /// Every template.
    pub const ALL: [Template; 13] = [
        Self::StorySystem,
        Self::StoryUser,
        Self::EventBuiltIn,
        Self::EventCustom,
        Self::NotGiven,
        Self::StoryRetryTooShort,
        Self::StoryRetryTooLong,
        Self::StorySafetyRegen,
        Self::SceneSystem,
        Self::SceneUser,
        Self::ScenePartNote,
        Self::SafetyReviewSystem,
        Self::SafetyReviewUser,
    ];

    /// The section name in the template file.
    pub fn section(self) -> &'static str {
        match self {
            Self::StorySystem => "story_system",
            Self::StoryUser => "story_user",
            Self::EventBuiltIn => "event_built_in",
            Self::EventCustom => "event_custom",
            Self::NotGiven => "not_given",
            Self::StoryRetryTooShort => "story_retry_too_short",
            Self::StoryRetryTooLong => "story_retry_too_long",
            Self::StorySafetyRegen => "story_safety_regen",
            Self::SceneSystem => "scene_system",
            Self::SceneUser => "scene_user",
            Self::ScenePartNote => "scene_part_note",
            Self::SafetyReviewSystem => "safety_review_system",
            Self::SafetyReviewUser => "safety_review_user",
        }
    }

    /// True for the English-only templates of `common.txt`.
    pub fn is_common(self) -> bool {
        matches!(
            self,
            Self::SceneSystem
                | Self::SceneUser
                | Self::ScenePartNote
                | Self::SafetyReviewSystem
                | Self::SafetyReviewUser
        )
    }

    /// The raw template text for `language` (the same text for every language when
    /// [`Template::is_common`]).
    pub fn text(self, language: Language) -> Result<&'static str, PromptError> {
        let (file, code) = if self.is_common() {
            (COMMON, "common")
        } else {
            (language_file(language), language.code())
        };
        section(file, self.section()).ok_or(PromptError::MissingSection {
            section: self.section(),
            language: code,
        })
    }
}

fn language_file(language: Language) -> &'static str {
    match language {
        Language::En => EN,
        Language::Es => ES,
        Language::Fr => FR,
        Language::De => DE,
        Language::It => IT,
    }
}

/// The body of section `name` of a template file: the lines after `=== name ===` up to the
/// next section header, without surrounding blank lines.
fn section(file: &'static str, name: &str) -> Option<&'static str> {
    let header = format!("=== {name} ===");
    let mut start = None;
    let mut offset = 0;
    for line in file.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if let Some(s) = start {
            if trimmed.starts_with("=== ") && trimmed.ends_with(" ===") {
                return Some(file[s..offset].trim());
            }
        } else if trimmed == header {
            start = Some(offset + line.len());
        }
        offset += line.len();
    }
    start.map(|s| file[s..].trim())
}

/// The language's name in itself, as the story prompts write it (`español`, `Deutsch`).
fn native_name(language: Language) -> &'static str {
    match language {
        Language::En => "English",
        Language::Es => "español",
        Language::Fr => "français",
        Language::De => "Deutsch",
        Language::It => "italiano",
    }
}

/// A minimal fence: `<<<label>>> text <<<end label>>>`, with `<<<`/`>>>` removed from the
/// text so it cannot close the fence early. Prefer the safety crate's fence in production.
pub fn basic_fence(label: &str, text: &str) -> String {
    let inner = text.replace("<<<", "").replace(">>>", "");
    format!("<<<{label}>>> {inner} <<<end {label}>>>")
}

/// The hero fields a story prompt uses (from a stored hero or an inline draft).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeroFacts<'a> {
    /// Name.
    pub name: &'a str,
    /// First trait (`Brave`).
    pub primary_trait: &'a str,
    /// Second trait (`Kind`).
    pub secondary_trait: &'a str,
    /// Appearance (may be empty).
    pub appearance: &'a str,
    /// Special ability (may be empty).
    pub special_ability: &'a str,
    /// Age, when known.
    pub age: Option<u8>,
}

impl<'a> From<&'a Hero> for HeroFacts<'a> {
    fn from(h: &'a Hero) -> Self {
        Self {
            name: &h.name,
            primary_trait: &h.primary_trait,
            secondary_trait: &h.secondary_trait,
            appearance: &h.appearance,
            special_ability: &h.special_ability,
            age: h.age,
        }
    }
}

impl<'a> From<&'a HeroDraft> for HeroFacts<'a> {
    fn from(h: &'a HeroDraft) -> Self {
        Self {
            name: &h.name,
            primary_trait: &h.primary_trait,
            secondary_trait: &h.secondary_trait,
            appearance: &h.appearance,
            special_ability: &h.special_ability,
            age: h.age,
        }
    }
}

/// What the story prompt is built from.
#[derive(Debug, Clone, Copy)]
pub struct StoryPromptInput<'a> {
    /// The hero.
    pub hero: HeroFacts<'a>,
    /// The event.
    pub event: &'a StoryEvent,
    /// Story language.
    pub language: Language,
    /// Target words (see [`crate::story::word_budget`]).
    pub word_budget: u32,
    /// Most scenes (`MAX_SCENE_COUNT`).
    pub max_scenes: usize,
}

/// The system prompt for writing a story in `language`.
pub fn story_system(language: Language) -> Result<String, PromptError> {
    render(
        Template::StorySystem.text(language)?,
        &[("language_name", native_name(language))],
    )
}

/// The user prompt for writing a story: hero, event, word budget (asked for within ±10% so
/// the ±25% check passes) and scene count. Every hero field and custom-event field goes
/// through `fence`; built-in premises are ours and are not fenced.
pub fn story_user(input: &StoryPromptInput<'_>, fence: Fence<'_>) -> Result<String, PromptError> {
    let lang = input.language;
    let not_given = Template::NotGiven.text(lang)?;
    let fenced = |label: &str, text: &str| {
        if text.trim().is_empty() {
            not_given.to_string()
        } else {
            fence(label, text)
        }
    };
    let event = match input.event {
        StoryEvent::BuiltIn(e) => render(
            Template::EventBuiltIn.text(lang)?,
            &[
                ("event_title", e.title(lang)),
                ("event_premise", e.premise(lang)),
            ],
        )?,
        StoryEvent::Custom(c) => custom_event_block(c, lang, &fenced)?,
    };
    let h = &input.hero;
    let age = h
        .age
        .map_or_else(|| not_given.to_string(), |a| a.to_string());
    let budget = input.word_budget;
    let min_words = (u64::from(budget) * 9 / 10).to_string();
    let max_words = (u64::from(budget) * 11 / 10).to_string();
    render(
        Template::StoryUser.text(lang)?,
        &[
            ("language_name", native_name(lang)),
            ("hero_name", &fenced("hero_name", h.name)),
            (
                "primary_trait",
                &fenced("hero_primary_trait", h.primary_trait),
            ),
            (
                "secondary_trait",
                &fenced("hero_secondary_trait", h.secondary_trait),
            ),
            ("appearance", &fenced("hero_appearance", h.appearance)),
            (
                "special_ability",
                &fenced("hero_special_ability", h.special_ability),
            ),
            ("age", &age),
            ("event", &event),
            ("word_budget", &budget.to_string()),
            ("min_words", &min_words),
            ("max_words", &max_words),
            ("max_scenes", &input.max_scenes.to_string()),
        ],
    )
}

fn custom_event_block(
    c: &CustomEvent,
    lang: Language,
    fenced: &dyn Fn(&str, &str) -> String,
) -> Result<String, PromptError> {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    render(
        Template::EventCustom.text(lang)?,
        &[
            ("event_title", &fenced("custom_event_title", &c.title)),
            (
                "event_description",
                &fenced("custom_event_description", &c.description),
            ),
            (
                "prompt_seed",
                &fenced("custom_event_prompt_seed", &c.prompt_seed),
            ),
            (
                "keywords",
                &fenced("custom_event_keywords", &c.keywords.join(", ")),
            ),
            (
                "category",
                &fenced("custom_event_category", &opt(&c.category)),
            ),
            ("tone", &fenced("custom_event_tone", &opt(&c.tone))),
            (
                "age_range",
                &fenced("custom_event_age_range", &opt(&c.age_range)),
            ),
        ],
    )
}

/// The corrective-retry prompt after a story of `word_count` words missed its `word_budget`
/// (too short when below the budget, too long when above), asking for a rewrite to the budget.
pub fn story_retry(
    language: Language,
    word_count: usize,
    word_budget: u32,
) -> Result<String, PromptError> {
    let template = if word_count < word_budget as usize {
        Template::StoryRetryTooShort
    } else {
        Template::StoryRetryTooLong
    };
    render(
        template.text(language)?,
        &[
            ("word_count", &word_count.to_string()),
            (
                "percent",
                &deviation_percent(word_count, word_budget).to_string(),
            ),
            ("word_budget", &word_budget.to_string()),
            ("language_name", native_name(language)),
        ],
    )
}

/// The regeneration prompt after a failed safety review; `findings` (one line each) are
/// fenced because they may quote the story.
pub fn story_safety_regen(
    language: Language,
    findings: &[String],
    word_budget: u32,
    fence: Fence<'_>,
) -> Result<String, PromptError> {
    let list = findings
        .iter()
        .map(|f| format!("- {}", f.trim()))
        .collect::<Vec<_>>()
        .join("\n");
    render(
        Template::StorySafetyRegen.text(language)?,
        &[
            ("findings", &fence("safety_findings", &list)),
            ("language_name", native_name(language)),
            ("word_budget", &word_budget.to_string()),
        ],
    )
}

/// Which part of a chunked story a scene prompt covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkPart {
    /// 1-based part number.
    pub index: usize,
    /// Number of parts.
    pub count: usize,
    /// Where the part starts on the narration, seconds.
    pub start_seconds: f64,
}

/// What the scene-extraction prompt is built from.
#[derive(Debug, Clone, Copy)]
pub struct ScenePromptInput<'a> {
    /// The story (or the chunk of it) to divide.
    pub story: &'a str,
    /// The whole story's narration length, seconds.
    pub duration: f64,
    /// The hero's name.
    pub hero_name: &'a str,
    /// Event title or description, if any.
    pub event_context: Option<&'a str>,
    /// Story language.
    pub language: Language,
    /// Fewest scenes to ask for (3, or fewer for a chunk).
    pub min_scenes: usize,
    /// Most scenes to ask for.
    pub max_scenes: usize,
    /// Set when `story` is one chunk of a longer story.
    pub part: Option<ChunkPart>,
}

/// The system prompt for scene extraction.
pub fn scene_system() -> Result<String, PromptError> {
    render(Template::SceneSystem.text(Language::En)?, &[])
}

/// The user prompt for scene extraction; story, hero name and event context are fenced.
pub fn scene_user(input: &ScenePromptInput<'_>, fence: Fence<'_>) -> Result<String, PromptError> {
    let part_note = match input.part {
        Some(p) => format!(
            "{}\n",
            render(
                Template::ScenePartNote.text(Language::En)?,
                &[
                    ("part", &p.index.to_string()),
                    ("parts", &p.count.to_string()),
                    ("start_seconds", &format!("{:.0}", p.start_seconds)),
                ],
            )?
        ),
        None => String::new(),
    };
    let event = input
        .event_context
        .filter(|e| !e.trim().is_empty())
        .map_or_else(|| "-".to_string(), |e| fence("event_context", e));
    let hero = if input.hero_name.trim().is_empty() {
        "-".to_string()
    } else {
        fence("hero_name", input.hero_name)
    };
    let min = input.min_scenes.min(input.max_scenes).max(1);
    render(
        Template::SceneUser.text(Language::En)?,
        &[
            ("min_scenes", &min.to_string()),
            ("max_scenes", &input.max_scenes.max(min).to_string()),
            ("language_name", input.language.english_name()),
            ("duration", &format!("{:.0}", input.duration)),
            ("hero_name", &hero),
            ("event_context", &event),
            ("part_note", &part_note),
            ("story", &fence("story", input.story)),
        ],
    )
}

/// The system prompt for the child-safety review.
pub fn safety_review_system() -> Result<String, PromptError> {
    render(Template::SafetyReviewSystem.text(Language::En)?, &[])
}

/// The user prompt for the child-safety review; title and story are fenced.
pub fn safety_review_user(
    title: &str,
    story: &str,
    language: Language,
    fence: Fence<'_>,
) -> Result<String, PromptError> {
    render(
        Template::SafetyReviewUser.text(Language::En)?,
        &[
            ("language_name", language.english_name()),
            ("title", &fence("title", title)),
            ("story", &fence("story", story)),
        ],
    )
}

/// Schema name for the story reply (`response_format.json_schema.name`).
pub const STORY_SCHEMA_NAME: &str = "bedtime_story";
/// Schema name for the scenes reply.
pub const SCENES_SCHEMA_NAME: &str = "story_scenes";
/// Schema name for the safety-review reply.
pub const SAFETY_REVIEW_SCHEMA_NAME: &str = "safety_review";

/// The categories a safety review may name.
pub const SAFETY_CATEGORIES: [&str; 10] = [
    "violence",
    "scary",
    "sexual",
    "self_harm",
    "hate",
    "dangerous_activity",
    "bad_language",
    "distress",
    "alone",
    "other",
];

fn scene_item_schema() -> Value {
    let emotions: Vec<&str> = Emotion::ALL.iter().map(|e| e.as_str()).collect();
    let importances: Vec<&str> = Importance::ALL.iter().map(|i| i.as_str()).collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["scene_number", "text_segment", "illustration_prompt",
                     "timestamp_seconds", "duration_seconds", "emotion", "importance"],
        "properties": {
            "scene_number": {"type": "integer"},
            "text_segment": {"type": "string"},
            "illustration_prompt": {"type": "string"},
            "timestamp_seconds": {"type": "number"},
            "duration_seconds": {"type": "number"},
            "emotion": {"type": "string", "enum": emotions},
            "importance": {"type": "string", "enum": importances}
        }
    })
}

/// The story reply: `{"title", "content", "scenes": [scene…]}` (OpenAI strict-mode ready:
/// every property required, no additional properties).
pub fn story_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["title", "content", "scenes"],
        "properties": {
            "title": {"type": "string"},
            "content": {"type": "string"},
            "scenes": {"type": "array", "items": scene_item_schema()}
        }
    })
}

/// The scene-extraction reply: `{"scenes": [scene…]}` (strict-mode ready).
pub fn scenes_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["scenes"],
        "properties": {
            "scenes": {"type": "array", "items": scene_item_schema()}
        }
    })
}

/// The safety-review reply (strict-mode ready), read into [`SafetyReview`].
pub fn safety_review_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["safe", "severity", "concerns", "summary"],
        "properties": {
            "safe": {"type": "boolean"},
            "severity": {"type": "string", "enum": ["none", "low", "medium", "high"]},
            "concerns": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["category", "excerpt", "explanation"],
                    "properties": {
                        "category": {"type": "string", "enum": SAFETY_CATEGORIES},
                        "excerpt": {"type": "string"},
                        "explanation": {"type": "string"}
                    }
                }
            },
            "summary": {"type": "string"}
        }
    })
}

/// A safety reviewer's verdict, as [`safety_review_schema`] describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SafetyReview {
    /// True when nothing needs to change.
    pub safe: bool,
    /// `none`, `low`, `medium` or `high`.
    #[serde(default)]
    pub severity: String,
    /// One entry per problem.
    #[serde(default)]
    pub concerns: Vec<SafetyConcern>,
    /// One English sentence.
    #[serde(default)]
    pub summary: String,
}

/// One problem a safety reviewer found.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SafetyConcern {
    /// One of [`SAFETY_CATEGORIES`].
    pub category: String,
    /// A short quote from the story.
    #[serde(default)]
    pub excerpt: String,
    /// Why it is a problem.
    #[serde(default)]
    pub explanation: String,
}

impl SafetyReview {
    /// Findings as lines for [`story_safety_regen`] (`category: explanation`).
    pub fn findings(&self) -> Vec<String> {
        self.concerns
            .iter()
            .map(|c| format!("{}: {}", c.category, c.explanation))
            .collect()
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.section())
    }
}

#[cfg(test)]
mod tests;
