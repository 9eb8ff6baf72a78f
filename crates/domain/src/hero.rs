//! Heroes: the child's character, as the app's own hero record (snake_case fields).

use crate::ids::{HeroId, UserId};
use crate::validation::{FieldErrors, Reader};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Limits of hero fields, in characters.
pub mod limits {
    /// `name`
    pub const NAME: usize = 50;
    /// `primary_trait`, `secondary_trait`
    pub const TRAIT: usize = 40;
    /// `appearance`
    pub const APPEARANCE: usize = 500;
    /// `special_ability`
    pub const SPECIAL_ABILITY: usize = 200;
    /// Each visual-profile text attribute.
    pub const PROFILE_ATTR: usize = 100;
    /// `visual_profile.canonical_prompt` and `avatar_prompt`
    pub const LONG_PROMPT: usize = 1000;
    /// Items in `distinctive_features` / `color_palette`
    pub const PROFILE_ITEMS: usize = 12;
    /// `avatar_generation_id`
    pub const GENERATION_ID: usize = 200;
}

/// The fixed appearance of a hero, reused by every illustration so the hero looks the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisualProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hair_color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hair_style: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eye_color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skin_tone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clothing_style: Option<String>,
    #[serde(default)]
    pub distinctive_features: Vec<String>,
    #[serde(default)]
    pub color_palette: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_prompt: Option<String>,
}

impl VisualProfile {
    /// Parses a visual profile object, recording violations under `prefix`.
    pub fn read(obj: &Map<String, Value>, prefix: &str, errors: &mut FieldErrors) -> Self {
        let mut r = Reader::new(obj, prefix);
        let p = limits::PROFILE_ATTR;
        let profile = Self {
            hair_color: r.string("hair_color", false, 0, p, false),
            hair_style: r.string("hair_style", false, 0, p, false),
            eye_color: r.string("eye_color", false, 0, p, false),
            skin_tone: r.string("skin_tone", false, 0, p, false),
            clothing_style: r.string("clothing_style", false, 0, p, false),
            distinctive_features: r
                .string_list("distinctive_features", limits::PROFILE_ITEMS, p)
                .unwrap_or_default(),
            color_palette: r
                .string_list("color_palette", limits::PROFILE_ITEMS, p)
                .unwrap_or_default(),
            canonical_prompt: r.string("canonical_prompt", false, 0, limits::LONG_PROMPT, true),
        };
        for e in r.errors.errors() {
            errors.push(e.field.clone(), e.message.clone());
        }
        profile.normalised()
    }

    fn normalised(mut self) -> Self {
        for f in [
            &mut self.hair_color,
            &mut self.hair_style,
            &mut self.eye_color,
            &mut self.skin_tone,
            &mut self.clothing_style,
            &mut self.canonical_prompt,
        ] {
            if f.as_deref().is_some_and(str::is_empty) {
                *f = None;
            }
        }
        self
    }

    /// Every user-written text of the profile (for safety screening).
    pub fn texts(&self) -> Vec<&str> {
        let mut out: Vec<&str> = [
            &self.hair_color,
            &self.hair_style,
            &self.eye_color,
            &self.skin_tone,
            &self.clothing_style,
            &self.canonical_prompt,
        ]
        .into_iter()
        .filter_map(|f| f.as_deref())
        .collect();
        out.extend(self.distinctive_features.iter().map(String::as_str));
        out.extend(self.color_palette.iter().map(String::as_str));
        out
    }
}

/// A stored hero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hero {
    pub id: HeroId,
    pub user_id: UserId,
    pub name: String,
    pub primary_trait: String,
    pub secondary_trait: String,
    #[serde(default)]
    pub appearance: String,
    #[serde(default)]
    pub special_ability: String,
    #[serde(default)]
    pub age: Option<u8>,
    #[serde(default)]
    pub visual_profile: Option<VisualProfile>,
    /// Blob key of the current avatar image (never sent to clients; they get a URL).
    #[serde(default)]
    pub avatar_key: Option<String>,
    #[serde(default)]
    pub avatar_prompt: Option<String>,
    #[serde(default)]
    pub avatar_generation_id: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Hero {
    /// Builds a new hero from a validated draft.
    pub fn from_draft(id: HeroId, user_id: UserId, draft: HeroDraft, now: DateTime<Utc>) -> Self {
        Self {
            id,
            user_id,
            name: draft.name,
            primary_trait: draft.primary_trait,
            secondary_trait: draft.secondary_trait,
            appearance: draft.appearance,
            special_ability: draft.special_ability,
            age: draft.age,
            visual_profile: draft.visual_profile,
            avatar_key: None,
            avatar_prompt: draft.avatar_prompt,
            avatar_generation_id: draft.avatar_generation_id,
            is_active: draft.is_active.unwrap_or(true),
            created_at: now,
            updated_at: now,
        }
    }

    /// Replaces the client-writable fields with a draft (PUT on an existing hero): keeps the
    /// creation time and the server-owned avatar key.
    pub fn replace_with(&mut self, draft: HeroDraft, now: DateTime<Utc>) {
        self.name = draft.name;
        self.primary_trait = draft.primary_trait;
        self.secondary_trait = draft.secondary_trait;
        self.appearance = draft.appearance;
        self.special_ability = draft.special_ability;
        self.age = draft.age;
        if draft.visual_profile.is_some() {
            self.visual_profile = draft.visual_profile;
        }
        if draft.avatar_prompt.is_some() {
            self.avatar_prompt = draft.avatar_prompt;
        }
        if draft.avatar_generation_id.is_some() {
            self.avatar_generation_id = draft.avatar_generation_id;
        }
        self.is_active = draft.is_active.unwrap_or(true);
        self.updated_at = now;
    }

    /// Applies a partial update.
    pub fn apply(&mut self, patch: HeroPatch, now: DateTime<Utc>) {
        if let Some(v) = patch.name {
            self.name = v;
        }
        if let Some(v) = patch.primary_trait {
            self.primary_trait = v;
        }
        if let Some(v) = patch.secondary_trait {
            self.secondary_trait = v;
        }
        if let Some(v) = patch.appearance {
            self.appearance = v;
        }
        if let Some(v) = patch.special_ability {
            self.special_ability = v;
        }
        if let Some(v) = patch.age {
            self.age = v;
        }
        if let Some(v) = patch.visual_profile {
            self.visual_profile = v;
        }
        if let Some(v) = patch.avatar_prompt {
            self.avatar_prompt = Some(v);
        }
        if let Some(v) = patch.avatar_generation_id {
            self.avatar_generation_id = Some(v);
        }
        if let Some(v) = patch.is_active {
            self.is_active = v;
        }
        self.updated_at = now;
    }

    /// Every user-written text of the hero (for safety screening).
    pub fn texts(&self) -> Vec<&str> {
        let mut out = vec![
            self.name.as_str(),
            self.primary_trait.as_str(),
            self.secondary_trait.as_str(),
            self.appearance.as_str(),
            self.special_ability.as_str(),
        ];
        if let Some(p) = &self.visual_profile {
            out.extend(p.texts());
        }
        out.retain(|t| !t.is_empty());
        out
    }

    /// The wire form the app reads, with a freshly presigned avatar URL.
    pub fn to_wire(&self, avatar_url: Option<String>) -> Value {
        json!({
            "id": self.id.to_string(),
            "name": self.name,
            "primary_trait": self.primary_trait,
            "secondary_trait": self.secondary_trait,
            "appearance": self.appearance,
            "special_ability": self.special_ability,
            "age": self.age,
            "visual_profile": self.visual_profile,
            "avatar_url": avatar_url,
            "avatar_prompt": self.avatar_prompt,
            "avatar_generation_id": self.avatar_generation_id,
            "is_active": self.is_active,
            "created_at": self.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "updated_at": self.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
    }
}

/// A validated create/replace request.
#[derive(Debug, Clone, PartialEq)]
pub struct HeroDraft {
    pub name: String,
    pub primary_trait: String,
    pub secondary_trait: String,
    pub appearance: String,
    pub special_ability: String,
    pub age: Option<u8>,
    pub visual_profile: Option<VisualProfile>,
    pub avatar_prompt: Option<String>,
    pub avatar_generation_id: Option<String>,
    pub is_active: Option<bool>,
}

impl HeroDraft {
    /// Parses a full hero object; unknown fields are ignored, `id`, `avatar_url`, timestamps
    /// are server-owned and ignored.
    pub fn parse(obj: &Map<String, Value>, prefix: &str) -> Result<Self, FieldErrors> {
        let mut r = Reader::new(obj, prefix);
        let name = r.string("name", true, 1, limits::NAME, false);
        let primary_trait = r.string("primary_trait", true, 1, limits::TRAIT, false);
        let secondary_trait = r.string("secondary_trait", true, 1, limits::TRAIT, false);
        let appearance = r.string("appearance", false, 0, limits::APPEARANCE, true);
        let special_ability = r.string("special_ability", false, 0, limits::SPECIAL_ABILITY, true);
        let age = r.integer("age", false, 3, 12, false).map(|a| a as u8);
        let avatar_prompt = r.string("avatar_prompt", false, 0, limits::LONG_PROMPT, true);
        let avatar_generation_id = r.string(
            "avatar_generation_id",
            false,
            0,
            limits::GENERATION_ID,
            false,
        );
        let is_active = r.boolean("is_active");
        let profile_obj = r.object("visual_profile", false);
        let path = r.path("visual_profile");
        let mut errors = r.errors;
        let visual_profile = profile_obj.map(|o| VisualProfile::read(o, &path, &mut errors));
        if !errors.is_empty() {
            return Err(errors);
        }
        match (name, primary_trait, secondary_trait) {
            (Some(name), Some(primary_trait), Some(secondary_trait)) => Ok(Self {
                name,
                primary_trait,
                secondary_trait,
                appearance: appearance.unwrap_or_default(),
                special_ability: special_ability.unwrap_or_default(),
                age,
                visual_profile,
                avatar_prompt: avatar_prompt.filter(|s| !s.is_empty()),
                avatar_generation_id: avatar_generation_id.filter(|s| !s.is_empty()),
                is_active,
            }),
            _ => Err(errors),
        }
    }

    /// Every user-written text (for safety screening).
    pub fn texts(&self) -> Vec<&str> {
        let mut out = vec![
            self.name.as_str(),
            self.primary_trait.as_str(),
            self.secondary_trait.as_str(),
            self.appearance.as_str(),
            self.special_ability.as_str(),
        ];
        if let Some(p) = &self.visual_profile {
            out.extend(p.texts());
        }
        out.retain(|t| !t.is_empty());
        out
    }
}

/// A validated partial update (PATCH). `age`/`visual_profile` may be cleared with `null`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeroPatch {
    pub name: Option<String>,
    pub primary_trait: Option<String>,
    pub secondary_trait: Option<String>,
    pub appearance: Option<String>,
    pub special_ability: Option<String>,
    pub age: Option<Option<u8>>,
    pub visual_profile: Option<Option<VisualProfile>>,
    pub avatar_prompt: Option<String>,
    pub avatar_generation_id: Option<String>,
    pub is_active: Option<bool>,
}

impl HeroPatch {
    /// Parses a partial hero object.
    pub fn parse(obj: &Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut r = Reader::new(obj, "");
        let mut patch = Self {
            name: r.string("name", false, 1, limits::NAME, false),
            primary_trait: r.string("primary_trait", false, 1, limits::TRAIT, false),
            secondary_trait: r.string("secondary_trait", false, 1, limits::TRAIT, false),
            appearance: r.string("appearance", false, 0, limits::APPEARANCE, true),
            special_ability: r.string("special_ability", false, 0, limits::SPECIAL_ABILITY, true),
            avatar_prompt: r.string("avatar_prompt", false, 0, limits::LONG_PROMPT, true),
            avatar_generation_id: r.string(
                "avatar_generation_id",
                false,
                0,
                limits::GENERATION_ID,
                false,
            ),
            is_active: r.boolean("is_active"),
            ..Self::default()
        };
        if obj.get("age").is_some_and(Value::is_null) {
            patch.age = Some(None);
        } else if let Some(a) = r.integer("age", false, 3, 12, false) {
            patch.age = Some(Some(a as u8));
        }
        let profile_null = obj.get("visual_profile").is_some_and(Value::is_null);
        let profile_obj = r.object("visual_profile", false);
        let mut errors = r.errors;
        if profile_null {
            patch.visual_profile = Some(None);
        } else if let Some(o) = profile_obj {
            patch.visual_profile =
                Some(Some(VisualProfile::read(o, "visual_profile", &mut errors)));
        }
        errors.into_result(patch)
    }

    /// Every user-written text (for safety screening).
    pub fn texts(&self) -> Vec<&str> {
        let mut out: Vec<&str> = [
            &self.name,
            &self.primary_trait,
            &self.secondary_trait,
            &self.appearance,
            &self.special_ability,
        ]
        .into_iter()
        .filter_map(|f| f.as_deref())
        .collect();
        if let Some(Some(p)) = &self.visual_profile {
            out.extend(p.texts());
        }
        out.retain(|t| !t.is_empty());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn a_complete_app_hero_parses() {
        let d = HeroDraft::parse(
            &obj(json!({
                "id": "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
                "name": " Luna ", "primary_trait": "Brave", "secondary_trait": "Kind",
                "appearance": "curly red hair", "special_ability": "talks to owls",
                "age": 7, "visual_profile": {"hair_color": "red", "distinctive_features": ["freckles"]},
                "avatar_url": "ignored", "unknown_future_field": 1
            })),
            "",
        )
        .expect("valid");
        assert_eq!(d.name, "Luna");
        assert_eq!(d.age, Some(7));
        assert_eq!(
            d.visual_profile.and_then(|p| p.hair_color),
            Some("red".to_string())
        );
    }

    #[test]
    fn invalid_fields_are_named() {
        let e = HeroDraft::parse(
            &obj(json!({"name": "", "primary_trait": 3, "secondary_trait": "Kind", "age": 30})),
            "",
        )
        .expect_err("invalid");
        let fields: Vec<_> = e.errors().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "primary_trait", "age"]);
    }

    #[test]
    fn patch_can_clear_age() {
        let p = HeroPatch::parse(&obj(json!({"age": null, "name": "Max"}))).expect("valid");
        assert_eq!(p.age, Some(None));
        assert_eq!(p.name.as_deref(), Some("Max"));
    }
}
