//! Pictures of the hero: the validated requests of `avatar-generation` (SPEC §5.5) and
//! `scene-illustration` (SPEC §5.6, both request shapes), the hero's canonical appearance
//! (a fixed description every picture reuses so the hero looks the same each time) and the
//! image prompts built from them. Prompts built here still go through the safety
//! sanitiser before any model sees them.

use crate::hero::{Hero, VisualProfile, limits};
use crate::ids::{HeroId, StoryId};
use crate::language::Language;
use crate::scene::{Emotion, Importance};
use crate::story::{merge, read_language};
use crate::validation::{FieldErrors, Reader};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Shortest and longest avatar prompt, in characters.
pub const AVATAR_PROMPT_CHARS: (usize, usize) = (10, 1000);
/// Longest scene prompt, in characters (extract-scenes writes ≤ 150 words).
pub const SCENE_PROMPT_MAX_CHARS: usize = 2000;
/// Longest free-form `style`, in characters.
pub const STYLE_MAX_CHARS: usize = 40;
/// Longest canonical appearance, in characters (the sanitiser keeps up to 800 of it).
pub const CANONICAL_MAX_CHARS: usize = 700;

/// The prompt painted instead of a scene the provider refused: a generic, gentle scene.
pub const SAFER_SCENE_PROMPT: &str = "A gentle, cosy bedtime scene: the hero smiles warmly next to a kind friend, sitting together on a soft blanket in a warm, safe room with a glowing night light and plush toys around them.";

/// The size the API caller asks for (mapped later to the configured model's nearest size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageSize {
    /// `1024x1024` (default)
    #[default]
    Square,
    /// `1024x1792`
    Portrait,
    /// `1792x1024`
    Landscape,
}

impl ImageSize {
    /// Every size, as accepted on the wire.
    pub const ALL: [ImageSize; 3] = [Self::Square, Self::Portrait, Self::Landscape];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Square => "1024x1024",
            Self::Portrait => "1024x1792",
            Self::Landscape => "1792x1024",
        }
    }

    /// Width and height.
    pub fn dims(self) -> (u32, u32) {
        match self {
            Self::Square => (1024, 1024),
            Self::Portrait => (1024, 1792),
            Self::Landscape => (1792, 1024),
        }
    }

    /// Parses a wire name (`1024X1024` and `1024×1024` too).
    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim().to_ascii_lowercase().replace('×', "x");
        Self::ALL.into_iter().find(|z| z.as_str() == s)
    }
}

/// The quality tier asked for: `standard`/`low`/`medium` → standard, `hd`/`high` → high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageQuality {
    /// The model's standard tier.
    #[default]
    Standard,
    /// The model's high tier.
    High,
}

impl ImageQuality {
    /// Parses a wire name in any case.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "standard" | "low" | "medium" => Some(Self::Standard),
            "hd" | "high" => Some(Self::High),
            _ => None,
        }
    }

    /// Tier name (`standard` / `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::High => "high",
        }
    }
}

/// Size, quality and style of a painting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageOptions {
    pub size: ImageSize,
    pub quality: ImageQuality,
    /// `vivid` / `natural`, or free art-direction words (`watercolor`); untrusted text.
    pub style: Option<String>,
}

fn read_options(r: &mut Reader<'_>) -> ImageOptions {
    let size = match r.string("size", false, 0, 16, false) {
        None => ImageSize::default(),
        Some(s) if s.is_empty() => ImageSize::default(),
        Some(s) => ImageSize::parse(&s).unwrap_or_else(|| {
            r.fail("size", "must be one of 1024x1024, 1024x1792, 1792x1024");
            ImageSize::default()
        }),
    };
    let quality = match r.string("quality", false, 0, 16, false) {
        None => ImageQuality::default(),
        Some(q) if q.is_empty() => ImageQuality::default(),
        Some(q) => ImageQuality::parse(&q).unwrap_or_else(|| {
            r.fail("quality", "must be one of standard, low, medium, hd, high");
            ImageQuality::default()
        }),
    };
    let style = r
        .string("style", false, 0, STYLE_MAX_CHARS, false)
        .filter(|s| !s.is_empty());
    if let Some(s) = &style
        && !s
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | ','))
    {
        r.fail("style", "must be words (letters, spaces, hyphens)");
    }
    ImageOptions {
        size,
        quality,
        style,
    }
}

fn read_uuid<T>(
    r: &mut Reader<'_>,
    field: &str,
    required: bool,
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    match r.string(field, required, 0, 64, false) {
        Some(raw) if !raw.is_empty() => {
            let id = parse(&raw);
            if id.is_none() {
                r.fail(field, "must be a UUID");
            }
            id
        }
        Some(_) if required => {
            r.fail(field, "is required");
            None
        }
        _ => None,
    }
}

/// A validated `avatar-generation` request.
#[derive(Debug, Clone, PartialEq)]
pub struct AvatarRequest {
    pub hero_id: HeroId,
    /// The user's words (untrusted: screened before use).
    pub prompt: String,
    pub options: ImageOptions,
    /// Accepted for compatibility with the app; not used.
    pub previous_generation_id: Option<String>,
    pub language: Language,
}

impl AvatarRequest {
    /// Parses the request body.
    pub fn parse(obj: &Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut r = Reader::new(obj, "");
        let hero_id = read_uuid(&mut r, "hero_id", true, HeroId::parse);
        let (min, max) = AVATAR_PROMPT_CHARS;
        let prompt = r.string("prompt", true, min, max, true);
        let options = read_options(&mut r);
        let previous_generation_id = r
            .string(
                "previous_generation_id",
                false,
                0,
                limits::GENERATION_ID,
                false,
            )
            .filter(|s| !s.is_empty());
        let language = read_language(&mut r);
        match (hero_id, prompt, language) {
            (Some(hero_id), Some(prompt), Some(language)) if r.errors.is_empty() => Ok(Self {
                hero_id,
                prompt,
                options,
                previous_generation_id,
                language,
            }),
            _ => Err(r.errors),
        }
    }
}

/// What the body says about the hero's look (`hero_visual_profile`), when no stored hero
/// is named: the app's `{canonical_prompt, appearance}` plus any visual-profile field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeroLook {
    pub appearance: String,
    pub profile: VisualProfile,
}

impl HeroLook {
    /// The canonical appearance: the given `canonical_prompt`, else one built from the rest;
    /// `None` when the look says nothing.
    pub fn canonical(&self) -> Option<String> {
        if let Some(c) = self
            .profile
            .canonical_prompt
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            return Some(truncate_chars(c, CANONICAL_MAX_CHARS));
        }
        let has_profile = self.profile.texts().iter().any(|t| !t.trim().is_empty());
        (!self.appearance.trim().is_empty() || has_profile)
            .then(|| canonical_appearance(&self.appearance, Some(&self.profile), None))
    }

    /// Every user-written text (for screening).
    pub fn texts(&self) -> Vec<&str> {
        let mut out = vec![self.appearance.as_str()];
        out.extend(self.profile.texts());
        out.retain(|t| !t.is_empty());
        out
    }
}

/// One scene to paint.
#[derive(Debug, Clone, PartialEq)]
pub struct IllustrationScene {
    pub scene_number: u32,
    /// `illustration_prompt` (full shape) or `prompt` (app), else the `text_segment`;
    /// untrusted.
    pub prompt: String,
    pub timestamp: Option<f64>,
    pub emotion: Option<Emotion>,
    pub importance: Option<Importance>,
}

/// A validated `scene-illustration` request (either shape).
#[derive(Debug, Clone, PartialEq)]
pub struct IllustrationRequest {
    /// May name no stored story (the app sends a fresh id).
    pub story_id: Option<StoryId>,
    pub hero_id: Option<HeroId>,
    pub scenes: Vec<IllustrationScene>,
    /// Accepted; the work is always done before the response (Lambda has no background).
    pub process_async: bool,
    pub hero_look: Option<HeroLook>,
    pub options: ImageOptions,
    pub language: Language,
}

impl IllustrationRequest {
    /// Parses the request body; `max_scenes` is `MAX_SCENE_COUNT`.
    pub fn parse(obj: &Map<String, Value>, max_scenes: usize) -> Result<Self, FieldErrors> {
        let mut r = Reader::new(obj, "");
        let story_id = read_uuid(&mut r, "story_id", false, StoryId::parse);
        let hero_id = read_uuid(&mut r, "hero_id", false, HeroId::parse);
        let process_async = r.boolean("process_async").unwrap_or(false);
        let options = read_options(&mut r);
        let language = read_language(&mut r);
        let look_obj = r.object("hero_visual_profile", false);
        let scenes_raw = r.raw("scenes");
        let mut errors = std::mem::take(&mut r.errors);

        let hero_look = look_obj.map(|o| {
            let mut lr = Reader::new(o, "hero_visual_profile");
            let appearance = lr
                .string("appearance", false, 0, limits::APPEARANCE, true)
                .unwrap_or_default();
            merge(&mut errors, &lr.errors);
            HeroLook {
                appearance,
                profile: VisualProfile::read(o, "hero_visual_profile", &mut errors),
            }
        });

        let mut scenes = Vec::new();
        match scenes_raw {
            None => errors.push("scenes", "is required"),
            Some(Value::Array(items)) if items.is_empty() || items.len() > max_scenes => {
                errors.push(
                    "scenes",
                    format!("must have between 1 and {max_scenes} scenes"),
                );
            }
            Some(Value::Array(items)) => {
                let mut seen = HashSet::new();
                for (i, item) in items.iter().enumerate() {
                    let path = format!("scenes[{i}]");
                    let Value::Object(o) = item else {
                        errors.push(path, "must be an object");
                        continue;
                    };
                    if let Some(scene) = read_scene(o, &path, i, &mut errors) {
                        if !seen.insert(scene.scene_number) {
                            errors.push(format!("{path}.scene_number"), "is repeated");
                        }
                        scenes.push(scene);
                    }
                }
            }
            Some(_) => errors.push("scenes", "must be an array"),
        }
        match language {
            Some(language) if errors.is_empty() => Ok(Self {
                story_id,
                hero_id,
                scenes,
                process_async,
                hero_look,
                options,
                language,
            }),
            _ => Err(errors),
        }
    }
}

fn read_scene(
    o: &Map<String, Value>,
    path: &str,
    index: usize,
    errors: &mut FieldErrors,
) -> Option<IllustrationScene> {
    let mut r = Reader::new(o, path);
    let scene_number = r
        .integer("scene_number", false, 1, 1000, false)
        .map_or(index as u32 + 1, |n| n as u32);
    let mut prompt = None;
    for field in ["illustration_prompt", "prompt", "text_segment"] {
        if let Some(p) = r
            .string(field, false, 0, SCENE_PROMPT_MAX_CHARS, true)
            .filter(|p| !p.trim().is_empty())
        {
            prompt.get_or_insert(p);
        }
    }
    if prompt.is_none() && r.errors.is_empty() {
        r.fail("prompt", "is required (or `illustration_prompt`)");
    }
    let timestamp = if r.has("timestamp_seconds") {
        r.number("timestamp_seconds", false, 0.0, 86_400.0)
    } else {
        r.number("timestamp", false, 0.0, 86_400.0)
    };
    let emotion = r
        .string("emotion", false, 0, 40, false)
        .filter(|e| !e.is_empty())
        .and_then(|e| {
            let parsed = Emotion::parse(&e);
            if parsed.is_none() {
                r.fail("emotion", "is not a known emotion");
            }
            parsed
        });
    let importance = r
        .string("importance", false, 0, 40, false)
        .filter(|e| !e.is_empty())
        .and_then(|e| {
            let parsed = Importance::parse(&e);
            if parsed.is_none() {
                r.fail("importance", "must be key, major or minor");
            }
            parsed
        });
    merge(errors, &r.errors);
    if !r.errors.is_empty() {
        return None;
    }
    Some(IllustrationScene {
        scene_number,
        prompt: prompt?,
        timestamp,
        emotion,
        importance,
    })
}

fn clause(text: &str) -> Option<String> {
    let t = text.trim().trim_end_matches(['.', ';', ',']).trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    cut.trim_end_matches([',', ';', ' ']).to_string()
}

/// The fixed appearance description of a hero (English frame around the parent's own words),
/// built deterministically from the appearance text and the visual profile — no AI call, so
/// the same hero always yields the same text and every illustration reuses it verbatim.
pub fn canonical_appearance(
    appearance: &str,
    profile: Option<&VisualProfile>,
    age: Option<u8>,
) -> String {
    let mut parts = vec![match age {
        Some(a) => format!("a {a}-year-old child"),
        None => "a young child".to_string(),
    }];
    let mut details = Vec::new();
    if let Some(a) = clause(appearance) {
        details.push(a);
    }
    if let Some(p) = profile {
        let attr = |v: &Option<String>| v.as_deref().and_then(clause);
        match (attr(&p.hair_color), attr(&p.hair_style)) {
            (Some(c), Some(s)) => details.push(format!("{c} hair, {s}")),
            (Some(c), None) => details.push(format!("{c} hair")),
            (None, Some(s)) => details.push(format!("hair: {s}")),
            (None, None) => {}
        }
        if let Some(e) = attr(&p.eye_color) {
            details.push(format!("{e} eyes"));
        }
        if let Some(s) = attr(&p.skin_tone) {
            details.push(format!("{s} skin"));
        }
        if let Some(c) = attr(&p.clothing_style) {
            details.push(format!("wearing {c}"));
        }
        let features: Vec<String> = p
            .distinctive_features
            .iter()
            .filter_map(|f| clause(f))
            .collect();
        if !features.is_empty() {
            details.push(format!("distinctive features: {}", features.join(", ")));
        }
        let palette: Vec<String> = p.color_palette.iter().filter_map(|f| clause(f)).collect();
        if !palette.is_empty() {
            details.push(format!("colour palette: {}", palette.join(", ")));
        }
    }
    if details.is_empty() {
        parts.push("with a warm, friendly smile".to_string());
    } else {
        parts.push(format!("with {}", details.join("; ")));
    }
    let mut text = parts.join(" ");
    if let Some(first) = text.get(..1) {
        text = format!("{}{}", first.to_ascii_uppercase(), &text[1..]);
    }
    truncate_chars(&text, CANONICAL_MAX_CHARS)
}

impl Hero {
    /// The hero's canonical appearance: the stored `visual_profile.canonical_prompt` when
    /// there is one, else the description built from the hero's fields.
    pub fn canonical_appearance(&self) -> String {
        self.visual_profile
            .as_ref()
            .and_then(|p| p.canonical_prompt.as_deref())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| truncate_chars(c, CANONICAL_MAX_CHARS))
            .unwrap_or_else(|| self.derived_canonical_appearance())
    }

    /// The canonical appearance built from the hero's current fields (what
    /// `avatar-generation` stores as `visual_profile.canonical_prompt`).
    pub fn derived_canonical_appearance(&self) -> String {
        canonical_appearance(&self.appearance, self.visual_profile.as_ref(), self.age)
    }
}

/// The avatar prompt before sanitising: who the hero is (name, traits, ability) and the
/// parent's words. The appearance is added by the sanitiser from the canonical description.
pub fn avatar_prompt(hero: &Hero, user_text: &str) -> String {
    let traits = [&hero.primary_trait, &hero.secondary_trait]
        .into_iter()
        .filter_map(|t| clause(t))
        .map(|t| t.to_lowercase())
        .collect::<Vec<_>>()
        .join(" and ");
    let mut out = format!("Character portrait of {}", hero.name.trim());
    if traits.is_empty() {
        out.push_str(", a child hero");
    } else {
        out.push_str(&format!(", a {traits} child hero"));
    }
    out.push('.');
    if let Some(a) = clause(&hero.special_ability) {
        out.push_str(&format!(" Special ability: {a}."));
    }
    if let Some(u) = clause(user_text) {
        out.push_str(&format!(" {u}."));
    }
    out
}

/// A scene prompt before sanitising: the scene and its mood.
pub fn scene_prompt(scene: &IllustrationScene, text: &str) -> String {
    let body = clause(text).unwrap_or_default();
    match scene.emotion {
        Some(e) => format!("{body}. Mood: {}.", e.as_str()),
        None => format!("{body}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn the_apps_scene_request_parses_with_an_unknown_story_and_a_visual_profile() {
        let body = obj(json!({
            "story_id": "9B2E4C1A-0000-4000-8000-00000000ABCD",
            "hero_id": "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
            "scenes": [{"prompt": "Luna waters the moon flowers", "scene_number": 1, "timestamp": 0}],
            "process_async": false,
            "hero_visual_profile": {"canonical_prompt": "a girl with curly red hair", "appearance": "curly red hair"}
        }));
        let req = IllustrationRequest::parse(&body, 6).expect("valid");
        assert_eq!(req.scenes.len(), 1);
        assert_eq!(req.scenes[0].prompt, "Luna waters the moon flowers");
        assert_eq!(req.scenes[0].timestamp, Some(0.0));
        assert!(req.story_id.is_some());
        let look = req.hero_look.expect("look");
        assert_eq!(
            look.canonical().as_deref(),
            Some("a girl with curly red hair")
        );
    }

    #[test]
    fn the_full_scene_shape_parses_with_emotion_and_importance() {
        let body = obj(json!({"scenes": [
            {"scene_number": 2, "illustration_prompt": "A fox and a girl", "text_segment": "…", "timestamp_seconds": 12.5, "emotion": "joyful", "importance": "key"},
            {"scene_number": 1, "illustration_prompt": "Stars", "timestamp_seconds": 0}
        ]}));
        let req = IllustrationRequest::parse(&body, 6).expect("valid");
        assert_eq!(req.scenes[0].scene_number, 2);
        assert_eq!(req.scenes[0].emotion, Some(Emotion::Joyful));
        assert_eq!(req.scenes[0].importance, Some(Importance::Key));
        assert_eq!(req.scenes[0].timestamp, Some(12.5));
        assert!(scene_prompt(&req.scenes[0], "A fox and a girl").ends_with("Mood: joyful."));
    }

    #[test]
    fn scene_counts_outside_one_to_max_and_repeated_numbers_are_rejected() {
        let none = obj(json!({"scenes": []}));
        assert!(IllustrationRequest::parse(&none, 6).is_err());
        let scenes: Vec<Value> = (0..7)
            .map(|i| json!({"prompt": format!("scene {i}")}))
            .collect();
        let seven = obj(json!({"scenes": scenes}));
        assert!(IllustrationRequest::parse(&seven, 6).is_err());
        let dup = obj(
            json!({"scenes": [{"prompt": "a", "scene_number": 1}, {"prompt": "b", "scene_number": 1}]}),
        );
        let err = IllustrationRequest::parse(&dup, 6).expect_err("repeated");
        assert_eq!(err.first_field(), Some("scenes[1].scene_number"));
        let empty = obj(json!({"scenes": [{"scene_number": 1}]}));
        assert_eq!(
            IllustrationRequest::parse(&empty, 6)
                .expect_err("no prompt")
                .first_field(),
            Some("scenes[0].prompt")
        );
        let bad_id = obj(json!({"story_id": "not-a-uuid", "scenes": [{"prompt": "a"}]}));
        assert!(IllustrationRequest::parse(&bad_id, 6).is_err());
    }

    #[test]
    fn avatar_sizes_and_quality_words_map_to_tiers() {
        let body = obj(
            json!({"hero_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "prompt": "smiling in a meadow", "size": "1792x1024", "quality": "hd", "style": "watercolor"}),
        );
        let req = AvatarRequest::parse(&body).expect("valid");
        assert_eq!(req.options.size.dims(), (1792, 1024));
        assert_eq!(req.options.quality, ImageQuality::High);
        assert_eq!(req.options.style.as_deref(), Some("watercolor"));
        for (q, tier) in [
            ("standard", ImageQuality::Standard),
            ("low", ImageQuality::Standard),
            ("Medium", ImageQuality::Standard),
            ("high", ImageQuality::High),
        ] {
            assert_eq!(ImageQuality::parse(q), Some(tier));
        }
        let defaults = obj(
            json!({"hero_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "prompt": "smiling in a meadow"}),
        );
        let req = AvatarRequest::parse(&defaults).expect("valid");
        assert_eq!(req.options, ImageOptions::default());
        for bad in [
            json!({"hero_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "prompt": "short"}),
            json!({"hero_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "prompt": "smiling in a meadow", "size": "512x512"}),
            json!({"hero_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "prompt": "smiling in a meadow", "quality": "ultra"}),
            json!({"hero_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "prompt": "smiling in a meadow", "style": "<script>"}),
            json!({"prompt": "smiling in a meadow"}),
        ] {
            assert!(AvatarRequest::parse(&obj(bad.clone())).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_canonical_appearance_is_deterministic_and_includes_every_profile_field() {
        let profile = VisualProfile {
            hair_color: Some("red".into()),
            hair_style: Some("curly".into()),
            eye_color: Some("green".into()),
            skin_tone: Some("light".into()),
            clothing_style: Some("a yellow raincoat".into()),
            distinctive_features: vec!["freckles".into()],
            color_palette: vec!["yellow".into(), "teal".into()],
            canonical_prompt: None,
        };
        let a = canonical_appearance("big round glasses.", Some(&profile), Some(6));
        assert_eq!(
            a,
            canonical_appearance("big round glasses.", Some(&profile), Some(6))
        );
        assert_eq!(
            a,
            "A 6-year-old child with big round glasses; red hair, curly; green eyes; light skin; wearing a yellow raincoat; distinctive features: freckles; colour palette: yellow, teal"
        );
        assert_eq!(
            canonical_appearance("", None, None),
            "A young child with a warm, friendly smile"
        );
        let long = "very ".repeat(300);
        assert!(canonical_appearance(&long, None, None).chars().count() <= CANONICAL_MAX_CHARS);
    }

    #[test]
    fn a_look_without_any_words_has_no_canonical_appearance() {
        assert_eq!(HeroLook::default().canonical(), None);
        let look = HeroLook {
            appearance: "short brown hair".into(),
            profile: VisualProfile::default(),
        };
        assert_eq!(
            look.canonical().as_deref(),
            Some("A young child with short brown hair")
        );
    }
}
