//! Scenes: illustratable passages of a story with their place on the narration timeline.
//!
//! A model's scene reply is never passed through: [`validate_or_repair`] enforces every rule
//! of SPEC §5.3 (3..=max scenes numbered 1..n, segments that occur verbatim in the story,
//! strictly increasing timestamps from 0 below the duration, consistent durations, enums in
//! range, bounded illustration prompts) and falls back to [`deterministic_split`] when the
//! reply cannot be repaired. Long stories are sent to the model in chunks
//! ([`chunk_story_for_extraction`]) and merged back with [`merge_chunk_replies`].

use crate::ids::{HeroId, StoryId};
use crate::language::Language;
use crate::story::{count_words, estimated_duration, merge, parse_model_json, read_language};
use crate::text::{self, Normalised, Span, word_spans};
use crate::validation::{FieldErrors, Reader, clean_text};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Fewest scenes a story is split into.
pub const MIN_SCENES: usize = 3;
/// Most words in an illustration prompt.
pub const MAX_PROMPT_WORDS: usize = 150;
/// Longest `story_duration` accepted by `extract-scenes`, in seconds.
pub const MAX_STORY_DURATION: f64 = 3600.0;

/// The mood of a scene (drives the illustration's palette and the narration's colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Emotion {
    /// joyful
    Joyful,
    /// peaceful (the default: this is bedtime)
    #[default]
    Peaceful,
    /// exciting
    Exciting,
    /// mysterious
    Mysterious,
    /// heartwarming
    Heartwarming,
    /// adventurous
    Adventurous,
    /// contemplative
    Contemplative,
}

impl Emotion {
    /// Every emotion.
    pub const ALL: [Emotion; 7] = [
        Self::Joyful,
        Self::Peaceful,
        Self::Exciting,
        Self::Mysterious,
        Self::Heartwarming,
        Self::Adventurous,
        Self::Contemplative,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Joyful => "joyful",
            Self::Peaceful => "peaceful",
            Self::Exciting => "exciting",
            Self::Mysterious => "mysterious",
            Self::Heartwarming => "heartwarming",
            Self::Adventurous => "adventurous",
            Self::Contemplative => "contemplative",
        }
    }

    /// Parses a wire name in any case, plus a few near-synonyms models use (`happy`, `calm`).
    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .or(match s.as_str() {
                "happy" | "cheerful" | "joy" | "playful" | "funny" => Some(Self::Joyful),
                "calm" | "serene" | "sleepy" | "cozy" | "cosy" | "gentle" | "relaxed" => {
                    Some(Self::Peaceful)
                }
                "excited" | "thrilling" | "energetic" => Some(Self::Exciting),
                "curious" | "wonder" | "magical" | "mystery" => Some(Self::Mysterious),
                "warm" | "loving" | "tender" | "touching" => Some(Self::Heartwarming),
                "adventure" | "brave" | "bold" => Some(Self::Adventurous),
                "thoughtful" | "reflective" | "dreamy" | "wistful" => Some(Self::Contemplative),
                _ => None,
            })
    }
}

/// How central a scene is to the story (the app illustrates key scenes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Importance {
    /// key
    Key,
    /// major (the default)
    #[default]
    Major,
    /// minor
    Minor,
}

impl Importance {
    /// Every importance.
    pub const ALL: [Importance; 3] = [Self::Key, Self::Major, Self::Minor];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Major => "major",
            Self::Minor => "minor",
        }
    }

    /// Parses a wire name in any case (`high`/`medium`/`low` are understood too).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "key" | "high" | "critical" | "climax" => Some(Self::Key),
            "major" | "medium" | "important" => Some(Self::Major),
            "minor" | "low" => Some(Self::Minor),
            _ => None,
        }
    }

    fn rank(self) -> u8 {
        match self {
            Self::Key => 2,
            Self::Major => 1,
            Self::Minor => 0,
        }
    }
}

/// One illustratable passage of a story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// 1..n in story order.
    pub scene_number: u32,
    /// A passage that occurs verbatim in the story.
    pub text_segment: String,
    /// English, ≤ 150 words (sanitised for images by the safety crate before use).
    pub illustration_prompt: String,
    /// Where the scene starts on the narration, seconds: strictly increasing from 0, below the
    /// story's duration.
    pub timestamp_seconds: f64,
    /// Until the next scene (the last scene: until the end).
    pub duration_seconds: f64,
    /// Mood.
    pub emotion: Emotion,
    /// Importance.
    pub importance: Importance,
}

impl Scene {
    /// The wire form: both `timestamp` (the app reads it) and `timestamp_seconds`.
    pub fn to_wire(&self) -> Value {
        json!({
            "scene_number": self.scene_number,
            "text_segment": self.text_segment,
            "illustration_prompt": self.illustration_prompt,
            "timestamp": self.timestamp_seconds,
            "timestamp_seconds": self.timestamp_seconds,
            "duration_seconds": self.duration_seconds,
            "emotion": self.emotion,
            "importance": self.importance,
        })
    }
}

/// The hero named in an `extract-scenes` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneHero {
    /// The hero's id, when the app sent one.
    pub id: Option<HeroId>,
    /// The name used in illustration prompts.
    pub name: String,
}

/// A validated `extract-scenes` request (SPEC §5.3).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractRequest {
    /// The story text (≤ the configured word limit).
    pub story_content: String,
    /// Narration length in seconds, 1–3600. When the app sends none, the estimate for the
    /// story's word count in its language.
    pub story_duration: f64,
    /// The hero.
    pub hero: SceneHero,
    /// Event title or description, as context for the model (untrusted).
    pub event_context: Option<String>,
    /// A stored story whose scenes may be reused.
    pub story_id: Option<StoryId>,
    /// Story language (default English).
    pub language: Language,
}

impl ExtractRequest {
    /// Parses the request body; `max_words` is `MAX_STORY_LENGTH`.
    pub fn parse(obj: &Map<String, Value>, max_words: usize) -> Result<Self, FieldErrors> {
        let mut r = Reader::new(obj, "");
        let max_chars = max_words.saturating_mul(40).max(1);
        let content = r.string("story_content", true, 1, max_chars, true);
        let words = content.as_deref().map_or(0, count_words);
        if content.is_some() && words == 0 {
            r.fail("story_content", "must contain words");
        } else if words > max_words {
            r.fail(
                "story_content",
                format!("must be at most {max_words} words"),
            );
        }
        let duration = r.number("story_duration", false, 1.0, MAX_STORY_DURATION);
        let language = read_language(&mut r);
        let event_context = r.string("event_context", false, 0, 500, false);
        let story_id = match r.string("story_id", false, 0, 64, false) {
            Some(raw) if !raw.is_empty() => {
                let id = StoryId::parse(&raw);
                if id.is_none() {
                    r.fail("story_id", "must be a UUID");
                }
                id
            }
            _ => None,
        };
        let hero_obj = r.object("hero", true);
        let mut errors = r.errors;
        let hero = hero_obj.and_then(|o| {
            let mut hr = Reader::new(o, "hero");
            let name = hr.string("name", true, 1, crate::hero::limits::NAME, false);
            let id = match hr.string("id", false, 0, 64, false) {
                Some(raw) if !raw.is_empty() => {
                    let id = HeroId::parse(&raw);
                    if id.is_none() {
                        hr.fail("id", "must be a UUID");
                    }
                    id
                }
                _ => None,
            };
            merge(&mut errors, &hr.errors);
            name.map(|name| SceneHero { id, name })
        });
        match (content, hero, language) {
            (Some(story_content), Some(hero), Some(language)) if errors.is_empty() => {
                let story_duration = duration.unwrap_or_else(|| {
                    f64::from(estimated_duration(words, language).clamp(1, 3600))
                });
                Ok(Self {
                    story_content,
                    story_duration,
                    hero,
                    event_context: event_context.filter(|e| !e.is_empty()),
                    story_id,
                    language,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Why a model reply was replaced by a deterministic split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceReason {
    /// No list of scenes could be read from the reply.
    Unreadable,
    /// Fewer than three usable scenes remained.
    TooFewScenes,
}

impl ReplaceReason {
    /// A metric/log label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unreadable => "unreadable",
            Self::TooFewScenes => "too_few_scenes",
        }
    }
}

/// What [`validate_or_repair`] changed, for logs and metrics (counts, never text).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RepairReport {
    /// Scene items in the model's reply.
    pub received: usize,
    /// Set when the reply was replaced by a deterministic split.
    pub replaced: Option<ReplaceReason>,
    /// Segments found only after whitespace/quote/case normalisation.
    pub segments_normalised: usize,
    /// Segments not in the story, snapped to the closest passage.
    pub segments_snapped: usize,
    /// Scenes dropped: not an object, no segment, or a segment matching nothing.
    pub segments_dropped: usize,
    /// Scenes dropped for repeating (or lying inside) an earlier scene's passage.
    pub duplicates_dropped: usize,
    /// Scenes merged into a neighbour to respect the maximum count.
    pub merged: usize,
    /// The reply's scenes were not in story order.
    pub reordered: bool,
    /// `scene_number`s were not 1..n.
    pub renumbered: bool,
    /// Timestamps were missing or broken and were recomputed from word offsets.
    pub timestamps_recomputed: bool,
    /// `duration_seconds` were missing or inconsistent and were recomputed.
    pub durations_fixed: bool,
    /// Unknown or missing `emotion`/`importance` values replaced by defaults.
    pub enums_defaulted: usize,
    /// Empty illustration prompts built from the segment.
    pub prompts_built: usize,
    /// Illustration prompts cut to 150 words.
    pub prompts_truncated: usize,
}

impl RepairReport {
    /// True when the reply was valid as received.
    pub fn is_clean(&self) -> bool {
        self.actions().is_empty()
    }

    /// Labels of every repair made (`replaced:unreadable`, `segments_snapped`, …).
    pub fn actions(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if let Some(r) = self.replaced {
            out.push(match r {
                ReplaceReason::Unreadable => "replaced:unreadable",
                ReplaceReason::TooFewScenes => "replaced:too_few_scenes",
            });
        }
        let counts = [
            (self.segments_normalised, "segments_normalised"),
            (self.segments_snapped, "segments_snapped"),
            (self.segments_dropped, "segments_dropped"),
            (self.duplicates_dropped, "duplicates_dropped"),
            (self.merged, "merged"),
            (self.enums_defaulted, "enums_defaulted"),
            (self.prompts_built, "prompts_built"),
            (self.prompts_truncated, "prompts_truncated"),
        ];
        out.extend(counts.iter().filter(|(n, _)| *n > 0).map(|(_, l)| *l));
        let flags = [
            (self.reordered, "reordered"),
            (self.renumbered, "renumbered"),
            (self.timestamps_recomputed, "timestamps_recomputed"),
            (self.durations_fixed, "durations_fixed"),
        ];
        out.extend(flags.iter().filter(|(f, _)| *f).map(|(_, l)| *l));
        out
    }
}

/// A scene from the model, located in the story.
#[derive(Debug, Clone)]
struct Candidate {
    span: Span,
    number: Option<f64>,
    timestamp: Option<f64>,
    duration: Option<f64>,
    emotion: Emotion,
    importance: Importance,
    prompt: String,
}

/// The story text with its words, shared by every step.
struct Story<'a> {
    text: &'a str,
    words: Vec<Span>,
}

impl<'a> Story<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            words: word_spans(text),
        }
    }

    /// Index of the word containing byte `pos`, or of the first word after it.
    fn word_at(&self, pos: usize) -> usize {
        self.words.partition_point(|&(_, e)| e <= pos)
    }

    /// Number of words overlapping `span`.
    fn words_in(&self, span: Span) -> usize {
        let end = self.words.partition_point(|&(s, _)| s < span.1);
        end.saturating_sub(self.word_at(span.0))
    }
}

/// Validates a model's scene reply against `story` and repairs what it can; when the reply
/// cannot be repaired it is replaced by [`deterministic_split`]. The result always obeys
/// SPEC §5.3 (for stories of at least three words).
///
/// `raw` may be `{"scenes": [...]}`, a bare array, a story reply holding `scenes`, or JSON
/// text of any of these. A non-positive or non-finite `duration` is treated as the story's
/// estimated narration time; `max_scenes` below 3 is treated as 3.
pub fn validate_or_repair(
    raw: &Value,
    story: &str,
    duration: f64,
    max_scenes: usize,
    hero_name: &str,
    language: Language,
) -> (Vec<Scene>, RepairReport) {
    let st = Story::new(story);
    let duration = sane_duration(duration, st.words.len(), language);
    let max_scenes = max_scenes.max(MIN_SCENES);
    let mut report = RepairReport::default();
    let Some(items) = scene_items(raw) else {
        report.replaced = Some(ReplaceReason::Unreadable);
        let scenes = deterministic_split(story, duration, max_scenes, hero_name, language);
        return (scenes, report);
    };
    report.received = items.len();
    let mut cursor = 0;
    let mut candidates = Vec::with_capacity(items.len());
    for item in &items {
        match candidate(item, &st, (0, story.len()), cursor, &mut report) {
            Some(c) => {
                cursor = c.span.1;
                candidates.push(c);
            }
            None => report.segments_dropped += 1,
        }
    }
    finish(
        candidates, &st, duration, max_scenes, hero_name, language, true, report,
    )
}

/// Maps chunk-local scene replies back onto the whole story: each reply's segments are found
/// inside its own chunk (so repeated phrases land in the right place), then all scenes are
/// validated together with timestamps from their word offsets in the whole story (a chunk's
/// own timestamps are relative to the chunk and are not used).
///
/// `chunks` are what [`chunk_story_for_extraction`] returned for `story`; `replies[i]` is the
/// model's reply for `chunks[i]` (a missing or broken reply contributes no scenes).
pub fn merge_chunk_replies(
    story: &str,
    chunks: &[(usize, &str)],
    replies: &[Value],
    duration: f64,
    max_scenes: usize,
    hero_name: &str,
    language: Language,
) -> (Vec<Scene>, RepairReport) {
    let st = Story::new(story);
    let duration = sane_duration(duration, st.words.len(), language);
    let max_scenes = max_scenes.max(MIN_SCENES);
    let mut report = RepairReport::default();
    let mut candidates = Vec::new();
    let mut readable = false;
    let mut search_from = 0;
    for ((_, chunk), reply) in chunks.iter().zip(replies) {
        let Some(start) = locate_chunk(story, chunk, search_from) else {
            continue;
        };
        search_from = start + chunk.len();
        let Some(items) = scene_items(reply) else {
            continue;
        };
        readable = true;
        report.received += items.len();
        let window = (start, start + chunk.len());
        let mut cursor = start;
        for item in &items {
            match candidate(item, &st, window, cursor, &mut report) {
                Some(mut c) => {
                    cursor = c.span.1;
                    c.timestamp = None;
                    c.duration = None;
                    candidates.push(c);
                }
                None => report.segments_dropped += 1,
            }
        }
    }
    if !readable {
        report.replaced = Some(ReplaceReason::Unreadable);
        let scenes = deterministic_split(story, duration, max_scenes, hero_name, language);
        return (scenes, report);
    }
    finish(
        candidates, &st, duration, max_scenes, hero_name, language, false, report,
    )
}

/// The byte offset of `chunk` in `story`: where it lies when it is a slice of `story`,
/// otherwise its first occurrence at or after `from`.
fn locate_chunk(story: &str, chunk: &str, from: usize) -> Option<usize> {
    let offset = (chunk.as_ptr() as usize).wrapping_sub(story.as_ptr() as usize);
    if offset <= story.len()
        && story.is_char_boundary(offset)
        && story.get(offset..offset + chunk.len()) == Some(chunk)
    {
        return Some(offset);
    }
    story
        .get(from..)
        .and_then(|rest| rest.find(chunk))
        .map(|i| i + from)
        .or_else(|| story.find(chunk))
}

fn sane_duration(duration: f64, words: usize, language: Language) -> f64 {
    if duration.is_finite() && duration > 0.0 {
        duration
    } else {
        f64::from(estimated_duration(words, language).max(1))
    }
}

/// The list of scene items in a reply, whatever its wrapping.
fn scene_items(raw: &Value) -> Option<Vec<Value>> {
    match raw {
        Value::Array(items) => Some(items.clone()),
        Value::Object(o) => ["scenes", "data", "result"]
            .iter()
            .find_map(|k| o.get(*k))
            .and_then(scene_items),
        Value::String(s) => parse_model_json(s).as_ref().and_then(scene_items),
        _ => None,
    }
}

/// Reads one scene item and locates its segment inside `window` of the story.
fn candidate(
    item: &Value,
    st: &Story<'_>,
    window: Span,
    cursor: usize,
    report: &mut RepairReport,
) -> Option<Candidate> {
    let o = item.as_object()?;
    let segment = ["text_segment", "text", "segment", "passage"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .map(|s| clean_text(s, true))
        .filter(|s| !s.is_empty())?;
    let haystack = &st.text[window.0..window.1];
    let local_cursor = cursor.saturating_sub(window.0).min(haystack.len());
    let (local, how) = locate(haystack, &segment, local_cursor)?;
    match how {
        Found::Exact => {}
        Found::Normalised => report.segments_normalised += 1,
        Found::Snapped => report.segments_snapped += 1,
    }
    let num = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| o.get(*k).and_then(Value::as_f64))
            .filter(|f| f.is_finite())
    };
    let emotion = o
        .get("emotion")
        .and_then(Value::as_str)
        .and_then(Emotion::parse);
    let importance = o
        .get("importance")
        .and_then(Value::as_str)
        .and_then(Importance::parse);
    report.enums_defaulted += usize::from(emotion.is_none()) + usize::from(importance.is_none());
    let prompt = ["illustration_prompt", "prompt", "image_prompt"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .map(|p| clean_text(p, false))
        .unwrap_or_default();
    let span = (window.0 + local.0, window.0 + local.1);
    if st.words_in(span) == 0 {
        return None;
    }
    Some(Candidate {
        span,
        number: num(&["scene_number", "number"]),
        timestamp: num(&["timestamp_seconds", "timestamp", "start_time"]),
        duration: num(&["duration_seconds", "duration"]),
        emotion: emotion.unwrap_or_default(),
        importance: importance.unwrap_or_default(),
        prompt,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Exact,
    Normalised,
    Snapped,
}

/// Finds `segment` in `story`: verbatim, then after normalisation, then as the closest
/// passage of the same length (at least 60% of its words in common, for segments of four
/// words or more). Prefers a match at or after `cursor` (the previous scene's end) and one
/// that starts on a word boundary.
fn locate(story: &str, segment: &str, cursor: usize) -> Option<(Span, Found)> {
    if let Some(span) = find_exact(story, segment, cursor) {
        return Some((span, Found::Exact));
    }
    let ns = Normalised::new(story);
    let nseg = Normalised::new(segment);
    if !nseg.text.is_empty() {
        let hits: Vec<usize> = ns.text.match_indices(&nseg.text).map(|(i, _)| i).collect();
        let spans: Vec<Span> = hits
            .iter()
            .filter_map(|&i| ns.original(i, i + nseg.text.len()))
            .collect();
        if let Some(span) = pick(story, &spans, cursor) {
            return Some((span, Found::Normalised));
        }
    }
    snap(story, segment, cursor).map(|s| (s, Found::Snapped))
}

fn find_exact(story: &str, segment: &str, cursor: usize) -> Option<Span> {
    let spans: Vec<Span> = story
        .match_indices(segment)
        .map(|(i, m)| (i, i + m.len()))
        .collect();
    pick(story, &spans, cursor)
}

/// The best of several occurrences: on a word boundary and at/after the cursor first.
fn pick(story: &str, spans: &[Span], cursor: usize) -> Option<Span> {
    let on_boundary = |s: &Span| {
        story[..s.0]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    };
    spans
        .iter()
        .copied()
        .min_by_key(|s| (!on_boundary(s), s.0 < cursor, s.0))
}

/// The passage of the story with the most words in common with `segment`.
fn snap(story: &str, segment: &str, cursor: usize) -> Option<Span> {
    let seg_keys: Vec<String> = word_spans(segment)
        .iter()
        .map(|&(s, e)| text::word_key(&segment[s..e]))
        .filter(|k| !k.is_empty())
        .collect();
    let k = seg_keys.len();
    if k < 4 {
        return None;
    }
    let words = word_spans(story);
    if words.is_empty() {
        return None;
    }
    let keys: Vec<String> = words
        .iter()
        .map(|&(s, e)| text::word_key(&story[s..e]))
        .collect();
    let mut want: HashMap<&str, i32> = HashMap::new();
    for key in &seg_keys {
        *want.entry(key.as_str()).or_default() += 1;
    }
    let win = k.min(words.len());
    // `have` counts the window's words; score = Σ min(have, want), kept up to date as the
    // window slides one word at a time.
    let mut have: HashMap<&str, i32> = HashMap::new();
    let mut score = 0i32;
    for key in &keys[..win] {
        bump(&want, &mut have, &mut score, key, 1);
    }
    let mut best = (score, words[0].0 >= cursor, 0usize);
    for start in 1..=(words.len() - win) {
        bump(&want, &mut have, &mut score, &keys[start - 1], -1);
        bump(&want, &mut have, &mut score, &keys[start + win - 1], 1);
        let cand = (score, words[start].0 >= cursor, start);
        if (cand.0, cand.1) > (best.0, best.1) {
            best = cand;
        }
    }
    let (score, _, start) = best;
    if (score as f64) < 0.6 * k as f64 {
        return None;
    }
    Some((words[start].0, words[start + win - 1].1))
}

fn bump<'k>(
    want: &HashMap<&'k str, i32>,
    have: &mut HashMap<&'k str, i32>,
    score: &mut i32,
    word: &'k str,
    delta: i32,
) {
    let Some(&need) = want.get(word) else {
        return;
    };
    let h = have.entry(word).or_default();
    let before = (*h).min(need);
    *h += delta;
    *score += (*h).min(need) - before;
}

/// Orders, de-duplicates, merges and times located candidates into valid scenes.
#[allow(clippy::too_many_arguments)]
fn finish(
    mut cands: Vec<Candidate>,
    st: &Story<'_>,
    duration: f64,
    max_scenes: usize,
    hero_name: &str,
    language: Language,
    trust_model_times: bool,
    mut report: RepairReport,
) -> (Vec<Scene>, RepairReport) {
    let numbers: Vec<Option<f64>> = cands.iter().map(|c| c.number).collect();
    if cands.windows(2).any(|w| w[1].span.0 < w[0].span.0) {
        report.reordered = true;
    }
    cands.sort_by_key(|c| c.span.0);
    let mut kept: Vec<Candidate> = Vec::with_capacity(cands.len());
    for c in cands {
        match kept.last() {
            Some(prev)
                if st.word_at(c.span.0) <= st.word_at(prev.span.0) || c.span.1 <= prev.span.1 =>
            {
                report.duplicates_dropped += 1;
            }
            _ => kept.push(c),
        }
    }
    while kept.len() > max_scenes {
        let i = (0..kept.len() - 1)
            .min_by_key(|&i| st.words_in(kept[i].span) + st.words_in(kept[i + 1].span))
            .unwrap_or(0);
        let next = kept.remove(i + 1);
        let cur = &mut kept[i];
        cur.span.1 = cur.span.1.max(next.span.1);
        if next.importance.rank() > cur.importance.rank() {
            cur.emotion = next.emotion;
            cur.importance = next.importance;
            if !next.prompt.is_empty() {
                cur.prompt = next.prompt;
            }
        } else if cur.prompt.is_empty() {
            cur.prompt = next.prompt;
        }
        cur.duration = None;
        report.merged += 1;
    }
    if kept.len() < MIN_SCENES {
        report.replaced = Some(ReplaceReason::TooFewScenes);
        let scenes = deterministic_split(st.text, duration, max_scenes, hero_name, language);
        return (scenes, report);
    }
    let n = kept.len();
    let starts: Vec<usize> = kept.iter().map(|c| st.word_at(c.span.0)).collect();
    let computed = timestamps_from_words(&starts, st.words.len(), duration);
    let model: Option<Vec<f64>> = kept.iter().map(|c| c.timestamp).collect();
    let timestamps =
        match model.filter(|m| trust_model_times && model_times_ok(m, &computed, duration)) {
            Some(mut m) => {
                m[0] = 0.0;
                m.iter().map(|t| round2(*t)).collect::<Vec<_>>()
            }
            None => {
                report.timestamps_recomputed |= trust_model_times;
                computed
            }
        };
    let timestamps = if strictly_increasing(&timestamps, duration) {
        timestamps
    } else {
        report.timestamps_recomputed |= trust_model_times;
        timestamps_from_words(&starts, st.words.len(), duration)
    };
    let durations = durations_for(&timestamps, duration);
    if trust_model_times
        && kept
            .iter()
            .zip(&durations)
            .any(|(c, d)| c.duration.is_none_or(|m| (m - d).abs() > 0.5))
    {
        report.durations_fixed = true;
    }
    let expected: Vec<Option<f64>> = (1..=n).map(|i| Some(i as f64)).collect();
    if report.reordered
        || report.merged > 0
        || report.duplicates_dropped > 0
        || report.segments_dropped > 0
        || numbers != expected
    {
        report.renumbered = true;
    }
    let scenes = kept
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let segment = st.text[c.span.0..c.span.1].to_string();
            let prompt = if c.prompt.is_empty() {
                report.prompts_built += 1;
                built_prompt(&segment, i + 1, n, hero_name, language)
            } else {
                let (cut, was_cut) = text::first_words(&c.prompt, MAX_PROMPT_WORDS);
                report.prompts_truncated += usize::from(was_cut);
                cut.to_string()
            };
            Scene {
                scene_number: (i + 1) as u32,
                text_segment: segment,
                illustration_prompt: prompt,
                timestamp_seconds: timestamps[i],
                duration_seconds: durations[i],
                emotion: c.emotion,
                importance: c.importance,
            }
        })
        .collect();
    (scenes, report)
}

/// Model timestamps are kept when present for every scene, starting at (nearly) 0, strictly
/// increasing, below the duration and never far from where the segment's words put them.
fn model_times_ok(model: &[f64], computed: &[f64], duration: f64) -> bool {
    let tolerance = (duration * 0.2).max(5.0);
    model.first().is_some_and(|t| (0.0..1.0).contains(t))
        && model.windows(2).all(|w| w[1] > w[0])
        && model.iter().all(|t| *t < duration)
        && model
            .iter()
            .zip(computed)
            .all(|(m, c)| (m - c).abs() <= tolerance)
}

fn strictly_increasing(ts: &[f64], duration: f64) -> bool {
    ts.first() == Some(&0.0)
        && ts.windows(2).all(|w| w[1] > w[0])
        && ts.iter().all(|t| *t < duration)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Timestamps proportional to each scene's first word: 0 for the first scene, then
/// `duration × word_offset / total_words`, rounded to 0.01 s unless rounding would break
/// strict order (then all are kept exact). `starts` must be strictly increasing and below
/// `total_words`, which makes the result strictly increasing and below `duration`.
fn timestamps_from_words(starts: &[usize], total_words: usize, duration: f64) -> Vec<f64> {
    let total = total_words.max(1) as f64;
    let exact: Vec<f64> = starts
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            if i == 0 {
                0.0
            } else {
                duration * w as f64 / total
            }
        })
        .collect();
    let rounded: Vec<f64> = exact.iter().map(|t| round2(*t)).collect();
    if strictly_increasing(&rounded, duration) {
        rounded
    } else {
        exact
    }
}

/// Each scene lasts until the next one starts; the last until the end.
fn durations_for(ts: &[f64], duration: f64) -> Vec<f64> {
    ts.iter()
        .enumerate()
        .map(|(i, t)| {
            let d = ts.get(i + 1).copied().unwrap_or(duration) - t;
            if round2(d) > 0.0 { round2(d) } else { d }
        })
        .collect()
}

/// An English illustration prompt for a passage: picture-book style, the hero with a
/// companion (never alone), the passage quoted (first 40 words) for what to paint.
fn built_prompt(segment: &str, number: usize, total: usize, hero: &str, lang: Language) -> String {
    let hero = clean_text(hero, false);
    let hero = if hero.is_empty() {
        "the hero"
    } else {
        hero.as_str()
    };
    let (excerpt, cut) = text::first_words(segment, 40);
    let excerpt = excerpt.replace(['\n', '\t'], " ");
    let ellipsis = if cut { " …" } else { "" };
    let language_note = if lang == Language::En {
        String::new()
    } else {
        format!(" (the passage is in {})", lang.english_name())
    };
    let prompt = format!(
        "Children's picture-book illustration, scene {number} of {total}: {hero} together with a \
         friendly companion, showing this moment of a bedtime story{language_note}: \
         \"{excerpt}{ellipsis}\". Soft warm light, gentle colours, cosy and safe mood, no text."
    );
    text::first_words(&prompt, MAX_PROMPT_WORDS).0.to_string()
}

/// Splits a story into scenes without a model: 3..=`max_scenes` scenes (fewer only when the
/// story has fewer than three words; none for an empty story), about one per hundred words,
/// cut at paragraph boundaries when there are enough paragraphs, else at sentence ends, else
/// between words, balanced by word count. Segments are verbatim passages of the story,
/// timestamps proportional to each segment's first word, illustration prompts in English
/// built from the segment and the hero's name.
pub fn deterministic_split(
    story: &str,
    duration: f64,
    max_scenes: usize,
    hero_name: &str,
    language: Language,
) -> Vec<Scene> {
    let st = Story::new(story);
    let total = st.words.len();
    if total == 0 {
        return Vec::new();
    }
    let duration = sane_duration(duration, total, language);
    let max_scenes = max_scenes.max(MIN_SCENES);
    let n = total.div_ceil(100).clamp(MIN_SCENES, max_scenes).min(total);
    let units = [text::line_spans(story), text::sentence_spans(story)]
        .into_iter()
        .map(|u| with_words(&st, u))
        .find(|u| u.len() >= n)
        .unwrap_or_else(|| st.words.iter().map(|&w| (w, 1)).collect());
    let groups = partition(&units, n);
    let starts: Vec<usize> = groups.iter().map(|g| st.word_at(g.0)).collect();
    let timestamps = timestamps_from_words(&starts, total, duration);
    let durations = durations_for(&timestamps, duration);
    let count = groups.len();
    groups
        .iter()
        .enumerate()
        .map(|(i, &(s, e))| {
            let segment = &story[s..e];
            let (emotion, importance) = position_mood(i, count);
            Scene {
                scene_number: (i + 1) as u32,
                text_segment: segment.to_string(),
                illustration_prompt: built_prompt(segment, i + 1, count, hero_name, language),
                timestamp_seconds: timestamps[i],
                duration_seconds: durations[i],
                emotion,
                importance,
            }
        })
        .collect()
}

/// Units with their word counts; units without words are folded into the previous one (or
/// the next, at the start) so every unit starts a new word.
fn with_words(st: &Story<'_>, units: Vec<Span>) -> Vec<(Span, usize)> {
    let mut out: Vec<(Span, usize)> = Vec::with_capacity(units.len());
    let mut pending_start: Option<usize> = None;
    for u in units {
        let w = st.words_in(u);
        if w == 0 {
            match out.last_mut() {
                Some(last) => last.0.1 = u.1,
                None => pending_start = pending_start.or(Some(u.0)),
            }
            continue;
        }
        let start = pending_start.take().unwrap_or(u.0);
        out.push(((start, u.1), w));
    }
    out
}

/// Cuts `units` into `n` contiguous, non-empty groups whose word counts are as even as the
/// unit boundaries allow.
fn partition(units: &[(Span, usize)], n: usize) -> Vec<Span> {
    let m = units.len();
    let n = n.min(m).max(1);
    let mut prefix = Vec::with_capacity(m + 1);
    prefix.push(0usize);
    for (_, w) in units {
        prefix.push(prefix.last().copied().unwrap_or(0) + w);
    }
    let total = prefix[m] as f64;
    let mut cuts = vec![0usize];
    for k in 1..n {
        let lo = cuts[k - 1] + 1;
        let hi = m - (n - k);
        let target = total * k as f64 / n as f64;
        let best = (lo..=hi)
            .min_by(|&a, &b| {
                let da = (prefix[a] as f64 - target).abs();
                let db = (prefix[b] as f64 - target).abs();
                da.total_cmp(&db)
            })
            .unwrap_or(lo);
        cuts.push(best);
    }
    cuts.push(m);
    cuts.windows(2)
        .map(|w| (units[w[0]].0.0, units[w[1] - 1].0.1))
        .collect()
}

/// A calm arc: a joyful start, adventure and wonder in the middle, a peaceful ending.
fn position_mood(i: usize, n: usize) -> (Emotion, Importance) {
    if i == 0 {
        return (Emotion::Joyful, Importance::Key);
    }
    if i + 1 == n {
        return (Emotion::Peaceful, Importance::Key);
    }
    const MIDDLE: [Emotion; 4] = [
        Emotion::Adventurous,
        Emotion::Mysterious,
        Emotion::Exciting,
        Emotion::Heartwarming,
    ];
    let importance = if i % 2 == 1 {
        Importance::Major
    } else {
        Importance::Minor
    };
    (MIDDLE[(i - 1) % MIDDLE.len()], importance)
}

/// Splits a story into consecutive chunks of at most `max_words_per_chunk` words, cut at
/// sentence ends (a longer sentence is cut between words), so a long story can be sent to
/// the model in bounded prompts. Each chunk is a verbatim slice of `story` paired with the
/// index of its first word in the whole story.
pub fn chunk_story_for_extraction(story: &str, max_words_per_chunk: usize) -> Vec<(usize, &str)> {
    let st = Story::new(story);
    let max = max_words_per_chunk.max(1);
    let mut pieces: Vec<(Span, usize)> = Vec::new();
    for (span, w) in with_words(&st, text::sentence_spans(story)) {
        if w <= max {
            pieces.push((span, w));
            continue;
        }
        let first = st.word_at(span.0);
        for chunk_start in (first..first + w).step_by(max) {
            let last = (chunk_start + max).min(first + w) - 1;
            let s = if chunk_start == first {
                span.0
            } else {
                st.words[chunk_start].0
            };
            let e = if last + 1 == first + w {
                span.1
            } else {
                st.words[last].1
            };
            pieces.push(((s, e), last + 1 - chunk_start));
        }
    }
    let mut out: Vec<(usize, &str)> = Vec::new();
    let mut current: Option<(Span, usize)> = None;
    for (span, w) in pieces {
        current = match current {
            Some((cs, cw)) if cw + w <= max => Some(((cs.0, span.1), cw + w)),
            Some((cs, _)) => {
                out.push((st.word_at(cs.0), &story[cs.0..cs.1]));
                Some((span, w))
            }
            None => Some((span, w)),
        };
    }
    if let Some((cs, _)) = current {
        out.push((st.word_at(cs.0), &story[cs.0..cs.1]));
    }
    out
}

/// How many scenes to ask for in a chunk of `chunk_words` of a `total_words` story, so the
/// merged result lands near `max_scenes` (at least one per chunk).
pub fn scenes_for_chunk(chunk_words: usize, total_words: usize, max_scenes: usize) -> usize {
    let share = max_scenes as f64 * chunk_words as f64 / total_words.max(1) as f64;
    (share.round() as usize).clamp(1, max_scenes.max(1))
}

#[cfg(test)]
mod tests;
