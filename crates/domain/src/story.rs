//! Story requests and the rules of story length: word budgets from a target narration time,
//! word counting in five languages, the model's story reply and the ±25% length check.

use crate::event::StoryEvent;
use crate::hero::HeroDraft;
use crate::ids::HeroId;
use crate::language::Language;
use crate::scene::{RepairReport, Scene, validate_or_repair};
use crate::validation::{FieldErrors, Reader, clean_text};
use serde_json::{Map, Value};

/// Shortest target narration, in seconds.
pub const MIN_TARGET_DURATION: u32 = 60;
/// Longest target narration, in seconds.
pub const MAX_TARGET_DURATION: u32 = 600;
/// Target narration when the request names none, in seconds.
pub const DEFAULT_TARGET_DURATION: u32 = 300;
/// Longest story title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;

/// A validated `story-generation` request (SPEC §5.2).
#[derive(Debug, Clone, PartialEq)]
pub struct StoryRequest {
    /// The caller's hero (any letter case on the wire).
    pub hero_id: HeroId,
    /// What the story is about.
    pub event: StoryEvent,
    /// Target narration length in seconds, 60–600.
    pub target_duration: u32,
    /// Story language.
    pub language: Language,
    /// `true` bypasses the story cache.
    pub regenerate: bool,
    /// The hero inline, stored first when `hero_id` is not stored yet.
    pub hero: Option<HeroDraft>,
}

impl StoryRequest {
    /// Parses the request body; unknown fields are ignored, every known one is checked.
    pub fn parse(obj: &Map<String, Value>) -> Result<StoryRequest, FieldErrors> {
        let mut r = Reader::new(obj, "");
        let hero_id = match r.string("hero_id", true, 1, 64, false) {
            Some(raw) => {
                let id = HeroId::parse(&raw);
                if id.is_none() {
                    r.fail("hero_id", "must be a UUID");
                }
                id
            }
            None => None,
        };
        let target_duration = r
            .integer(
                "target_duration",
                false,
                i64::from(MIN_TARGET_DURATION),
                i64::from(MAX_TARGET_DURATION),
                true,
            )
            .map_or(DEFAULT_TARGET_DURATION, |d| d as u32);
        let language = read_language(&mut r);
        let regenerate = r.boolean("regenerate").unwrap_or(false);
        let event_raw = r.raw("event");
        if event_raw.is_none() {
            r.fail("event", "is required");
        }
        let hero_obj = r.object("hero", false);
        let mut errors = r.errors;
        let event = event_raw.and_then(|v| match StoryEvent::parse(v, "event") {
            Ok(e) => Some(e),
            Err(es) => {
                merge(&mut errors, &es);
                None
            }
        });
        let hero = hero_obj.and_then(|o| match HeroDraft::parse(o, "hero") {
            Ok(h) => Some(h),
            Err(es) => {
                merge(&mut errors, &es);
                None
            }
        });
        match (hero_id, event, language) {
            (Some(hero_id), Some(event), Some(language)) if errors.is_empty() => Ok(Self {
                hero_id,
                event,
                target_duration,
                language,
                regenerate,
                hero,
            }),
            _ => Err(errors),
        }
    }

    /// The word budget the model is given.
    pub fn word_budget(&self) -> u32 {
        word_budget(self.target_duration, self.language)
    }
}

/// Reads the optional `language` field (default English); `None` after recording an error.
pub(crate) fn read_language(r: &mut Reader<'_>) -> Option<Language> {
    match r.string("language", false, 0, 16, false) {
        None => (!r.has("language")).then_some(Language::En),
        Some(raw) if raw.is_empty() => Some(Language::En),
        Some(raw) => {
            let lang = Language::parse(&raw);
            if lang.is_none() {
                r.fail("language", "must be one of en, es, fr, de, it");
            }
            lang
        }
    }
}

/// Appends every violation of `from` to `into`.
pub(crate) fn merge(into: &mut FieldErrors, from: &FieldErrors) {
    for e in from.errors() {
        into.push(e.field.clone(), e.message.clone());
    }
}

/// How many words a story narrated for `duration_secs` at the language's calm pace has.
pub fn word_budget(duration_secs: u32, language: Language) -> u32 {
    let words = u64::from(duration_secs) * u64::from(language.narration_wpm());
    ((words + 30) / 60) as u32
}

/// How long `word_count` words take to narrate in `language`, in whole seconds (the app
/// drops fractions, so the API never sends any).
pub fn estimated_duration(word_count: usize, language: Language) -> u32 {
    let wpm = u64::from(language.narration_wpm()).max(1);
    let secs = (word_count as u64 * 60 + wpm / 2) / wpm;
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// Counts the words of a story in any of the five languages: whitespace-separated tokens with
/// at least one letter or digit.
///
/// Elided forms (`l'enfant`, `dell'albero`, `it's`) and hyphenated compounds
/// (`Gute-Nacht-Geschichte`, `arc-en-ciel`) count as one word, which is how narration paces
/// per language are measured; stand-alone punctuation (`—`, `«`, `»`, `...`) counts as none.
/// Scene timestamps use the same words, so budgets, durations and scenes agree.
pub fn count_words(text: &str) -> usize {
    crate::text::word_spans(text).len()
}

/// Whether a story is within ±25% of its word budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthVerdict {
    /// Within 75%–125% of the budget.
    Ok,
    /// Under 75% of the budget.
    TooShort,
    /// Over 125% of the budget.
    TooLong,
}

/// Checks a story's length against its budget (±25%, bounds inclusive).
pub fn length_check(word_count: usize, budget: u32) -> LengthVerdict {
    let wc = word_count as u64 * 4;
    let b = u64::from(budget);
    if wc < b * 3 {
        LengthVerdict::TooShort
    } else if wc > b * 5 {
        LengthVerdict::TooLong
    } else {
        LengthVerdict::Ok
    }
}

/// How far `word_count` is from `budget`, in whole percent of the budget (rounded).
pub fn deviation_percent(word_count: usize, budget: u32) -> u32 {
    let b = u64::from(budget.max(1));
    let diff = (word_count as u64).abs_diff(b);
    ((diff * 100 + b / 2) / b) as u32
}

/// Why a model's story reply cannot be used (it is retried, not repaired).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    /// The reply is not a JSON object (or JSON text of one).
    #[error("the story reply is not a JSON object")]
    NotJson,
    /// `title` is missing or empty.
    #[error("the story has no title")]
    MissingTitle,
    /// `title` is longer than [`MAX_TITLE_CHARS`].
    #[error("the story title is longer than {MAX_TITLE_CHARS} characters")]
    TitleTooLong,
    /// `content` is missing or empty.
    #[error("the story has no content")]
    MissingContent,
}

/// A story as the model wrote it, checked, with scenes validated against its text.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryDraft {
    /// Title in the story's language (≤ 120 characters).
    pub title: String,
    /// The story text, paragraphs separated by blank lines.
    pub content: String,
    /// 3..=max scenes, valid for `content` (repaired or split deterministically).
    pub scenes: Vec<Scene>,
}

impl StoryDraft {
    /// Parses the model's `{"title", "content", "scenes"}` reply (an object or JSON text of
    /// one, optionally in a code fence). The title is cleaned of markdown and quotes, a
    /// heading repeating the title is removed from the content, and the scenes are validated
    /// and repaired against the content with the story's estimated narration time.
    pub fn parse(
        raw: &Value,
        language: Language,
        max_scenes: usize,
        hero_name: &str,
    ) -> Result<(StoryDraft, RepairReport), DraftError> {
        let parsed;
        let obj = match raw {
            Value::Object(o) => o,
            Value::String(s) => {
                parsed = parse_model_json(s).ok_or(DraftError::NotJson)?;
                parsed.as_object().ok_or(DraftError::NotJson)?
            }
            _ => return Err(DraftError::NotJson),
        };
        let title = obj
            .get("title")
            .and_then(Value::as_str)
            .map(clean_title)
            .unwrap_or_default();
        if title.is_empty() {
            return Err(DraftError::MissingTitle);
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(DraftError::TitleTooLong);
        }
        let content = obj
            .get("content")
            .and_then(Value::as_str)
            .map(|c| clean_content(c, &title))
            .unwrap_or_default();
        if count_words(&content) == 0 {
            return Err(DraftError::MissingContent);
        }
        let duration = f64::from(estimated_duration(count_words(&content), language).max(1));
        let scenes_raw = obj.get("scenes").cloned().unwrap_or(Value::Null);
        let (scenes, report) = validate_or_repair(
            &scenes_raw,
            &content,
            duration,
            max_scenes,
            hero_name,
            language,
        );
        Ok((
            Self {
                title,
                content,
                scenes,
            },
            report,
        ))
    }

    /// Words in the content.
    pub fn word_count(&self) -> usize {
        count_words(&self.content)
    }
}

fn clean_title(raw: &str) -> String {
    let t = clean_text(raw, false);
    let quotes: &[char] = &['"', '\'', '“', '”', '«', '»', '„', '*', '#', '_', ' '];
    t.trim_matches(quotes).trim().to_string()
}

/// Cleans story text: control characters out (newlines kept), Windows line ends unified,
/// trailing spaces trimmed, at most one blank line between paragraphs, and a first line that
/// only repeats the title (`# The Owl`, `**The Owl**`) removed.
fn clean_content(raw: &str, title: &str) -> String {
    let unified = raw.replace("\r\n", "\n").replace('\r', "\n");
    let cleaned = clean_text(&unified, true).replace('\t', " ");
    let mut lines: Vec<&str> = cleaned.lines().map(str::trim_end).collect();
    if lines
        .first()
        .is_some_and(|l| clean_title(l).eq_ignore_ascii_case(title))
    {
        lines.remove(0);
    }
    let mut out = String::with_capacity(cleaned.len());
    let mut blank = false;
    for line in lines {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(line);
    }
    out
}

/// Parses JSON text from a model: plain, wrapped in a ```json code fence, or with prose around
/// the outermost object or array. `None` when no JSON can be found.
pub fn parse_model_json(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return Some(v);
    }
    let unfenced = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```JSON"))
        .or_else(|| t.strip_prefix("```"))
        .and_then(|rest| rest.trim_end().strip_suffix("```"));
    if let Some(inner) = unfenced
        && let Ok(v) = serde_json::from_str::<Value>(inner.trim())
    {
        return Some(v);
    }
    for (open, close) in [('{', '}'), ('[', ']')] {
        if let (Some(s), Some(e)) = (t.find(open), t.rfind(close))
            && s < e
            && let Ok(v) = serde_json::from_str::<Value>(&t[s..=e])
        {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::BuiltInEvent;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn the_apps_request_with_uppercase_hero_id_parses() {
        let req = StoryRequest::parse(&obj(json!({
            "hero_id": "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
            "event": {"type": "built_in", "data": {"name": "Bedtime Adventure"}},
            "target_duration": 420, "language": "en"
        })))
        .expect("valid");
        assert_eq!(
            req.hero_id.to_string(),
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
        );
        assert_eq!(
            req.event,
            StoryEvent::BuiltIn(BuiltInEvent::BedtimeAdventure)
        );
        assert_eq!(req.target_duration, 420);
        assert_eq!(req.language, Language::En);
        assert!(!req.regenerate);
        assert!(req.hero.is_none());
    }

    #[test]
    fn defaults_apply_and_fractional_durations_round() {
        let base = json!({"hero_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
                          "event": {"type": "built_in", "data": {"event": "family_time"}}});
        let req = StoryRequest::parse(&obj(base.clone())).expect("valid");
        assert_eq!(req.target_duration, 300);
        assert_eq!(req.language, Language::En);
        let mut with = obj(base);
        with.insert("target_duration".into(), json!(420.6));
        with.insert("language".into(), json!("fr-FR"));
        with.insert("regenerate".into(), json!(true));
        let req = StoryRequest::parse(&with).expect("valid");
        assert_eq!(req.target_duration, 421);
        assert_eq!(req.language, Language::Fr);
        assert!(req.regenerate);
    }

    #[test]
    fn an_inline_hero_is_parsed_with_hero_prefixed_errors() {
        let good = StoryRequest::parse(&obj(json!({
            "hero_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "event": {"type": "built_in", "data": {"name": "Family Time"}},
            "hero": {"name": "Luna", "primary_trait": "Brave", "secondary_trait": "Kind"}
        })))
        .expect("valid");
        assert_eq!(good.hero.map(|h| h.name), Some("Luna".to_string()));
        let bad = StoryRequest::parse(&obj(json!({
            "hero_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "event": {"type": "built_in", "data": {"name": "Family Time"}},
            "hero": {"name": "", "primary_trait": "Brave", "secondary_trait": "Kind"}
        })))
        .expect_err("invalid hero");
        assert_eq!(bad.first_field(), Some("hero.name"));
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let err = StoryRequest::parse(&obj(json!({
            "hero_id": "nope", "target_duration": 30, "language": "pt",
            "regenerate": "yes"
        })))
        .expect_err("invalid");
        let fields: Vec<_> = err.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "hero_id",
                "target_duration",
                "language",
                "regenerate",
                "event"
            ]
        );
    }

    #[test]
    fn a_missing_hero_id_is_required() {
        let err = StoryRequest::parse(&obj(json!({
            "event": {"type": "built_in", "data": {"name": "Family Time"}}
        })))
        .expect_err("missing");
        assert_eq!(err.first_field(), Some("hero_id"));
    }

    #[test]
    fn word_budgets_follow_each_languages_pace() {
        assert_eq!(word_budget(300, Language::En), 700);
        assert_eq!(word_budget(300, Language::De), 600);
        assert_eq!(word_budget(420, Language::Es), 1050);
        assert_eq!(word_budget(60, Language::It), 145);
    }

    #[test]
    fn estimated_duration_is_whole_seconds_and_inverts_the_budget() {
        for lang in Language::ALL {
            for d in [60, 300, 420, 600] {
                let words = word_budget(d, lang) as usize;
                let back = estimated_duration(words, lang);
                assert!(back.abs_diff(d) <= 1, "{lang} {d} -> {back}");
            }
        }
        assert_eq!(estimated_duration(0, Language::En), 0);
    }

    #[test]
    fn words_are_counted_sensibly_in_every_language() {
        assert_eq!(count_words("Luna smiled. \"Goodnight!\""), 3);
        assert_eq!(count_words("« Bonjour », dit l'enfant — aujourd'hui."), 4);
        assert_eq!(count_words("¿Dónde está el búho? ¡Aquí!"), 5);
        assert_eq!(count_words("Die Gute-Nacht-Geschichte beginnt …"), 3);
        assert_eq!(count_words("Sotto l'albero dell'amicizia"), 3);
        assert_eq!(count_words("  \n\t "), 0);
    }

    #[test]
    fn length_check_applies_the_quarter_rule_inclusively() {
        assert_eq!(length_check(700, 700), LengthVerdict::Ok);
        assert_eq!(length_check(525, 700), LengthVerdict::Ok);
        assert_eq!(length_check(524, 700), LengthVerdict::TooShort);
        assert_eq!(length_check(875, 700), LengthVerdict::Ok);
        assert_eq!(length_check(876, 700), LengthVerdict::TooLong);
        assert_eq!(deviation_percent(350, 700), 50);
        assert_eq!(deviation_percent(910, 700), 30);
    }

    fn story_text() -> String {
        (1..=12)
            .map(|i| format!("Paragraph {i} tells how Luna and Pip walked on under the kind moon."))
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    #[test]
    fn a_model_story_reply_parses_with_valid_scenes() {
        let content = story_text();
        let reply = json!({"title": "**Luna's Moonlit Walk**", "content": format!("# Luna's Moonlit Walk\n\n{content}"), "scenes": []});
        let (draft, report) =
            StoryDraft::parse(&reply, Language::En, 6, "Luna").expect("valid draft");
        assert_eq!(draft.title, "Luna's Moonlit Walk");
        assert_eq!(draft.content, content);
        assert!((3..=6).contains(&draft.scenes.len()));
        assert!(report.replaced.is_some());
        for s in &draft.scenes {
            assert!(draft.content.contains(&s.text_segment));
        }
    }

    #[test]
    fn story_replies_without_title_or_content_or_json_are_rejected() {
        let cases = [
            (
                json!({"title": "  ", "content": "x"}),
                DraftError::MissingTitle,
            ),
            (
                json!({"title": "t".repeat(121), "content": "x"}),
                DraftError::TitleTooLong,
            ),
            (
                json!({"title": "Hi", "content": " — "}),
                DraftError::MissingContent,
            ),
            (json!("not json at all"), DraftError::NotJson),
            (json!([1, 2]), DraftError::NotJson),
        ];
        for (reply, want) in cases {
            let got = StoryDraft::parse(&reply, Language::En, 6, "Luna").map(|_| ());
            assert_eq!(got, Err(want), "{reply}");
        }
    }

    #[test]
    fn json_text_in_a_code_fence_or_with_prose_is_found() {
        assert_eq!(
            parse_model_json("```json\n{\"a\": 1}\n```"),
            Some(json!({"a": 1}))
        );
        assert_eq!(
            parse_model_json("Here you go: {\"a\": [1]} enjoy"),
            Some(json!({"a": [1]}))
        );
        assert_eq!(parse_model_json("nothing here"), None);
    }
}
