//! The offline storyteller: composes a story from the brief out of the sentence banks, and
//! splits any story into scenes deterministically.

use domain::Language;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

use super::banks::{Bank, Companion, TRAIT_KEYS, VISUALS, bank};
use crate::ports::{SceneBrief, StoryBrief};

/// A small deterministic PRNG (SplitMix64) seeded from a hash of the inputs.
pub(crate) struct Seeded(u64);

impl Seeded {
    pub(crate) fn from_parts(parts: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&digest[..8]);
        Self(u64::from_le_bytes(seed))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Words as the rest of the system counts them.
pub fn count_words(text: &str) -> usize {
    text.split_whitespace().count()
}

struct Slots {
    pairs: Vec<(&'static str, String)>,
}

impl Slots {
    fn fill(&self, template: &str) -> String {
        let mut out = template.to_owned();
        for (key, value) in &self.pairs {
            if out.contains(key) {
                out = out.replace(key, value);
            }
        }
        out
    }
}

fn trait_noun(bank: &Bank, raw: &str) -> String {
    let key = raw.trim().to_lowercase();
    TRAIT_KEYS
        .iter()
        .position(|k| *k == key)
        .map(|i| bank.trait_nouns[i].to_owned())
        .unwrap_or_else(|| {
            let cleaned: String = key.chars().filter(|c| !c.is_control()).take(40).collect();
            if cleaned.is_empty() {
                bank.trait_nouns[1].to_owned()
            } else {
                cleaned
            }
        })
}

/// French "de" + noun with elision before a vowel or mute h.
fn french_de(noun: &str) -> String {
    let first = noun
        .chars()
        .next()
        .map(|c| c.to_lowercase().collect::<String>());
    match first.as_deref() {
        Some("a" | "e" | "i" | "o" | "u" | "y" | "h" | "é" | "è" | "ê" | "â" | "î" | "ô" | "û") =>
        {
            format!("d'{noun}")
        }
        _ => format!("de {noun}"),
    }
}

/// Ends user text with sentence punctuation.
fn as_sentence(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() || t.ends_with(['.', '!', '?', '…']) {
        t.to_owned()
    } else {
        format!("{t}.")
    }
}

/// Cleans single-line user text: collapses whitespace, drops control characters.
fn one_line(text: &str, max_words: usize) -> String {
    text.split_whitespace()
        .take(max_words)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Picks a companion for a story (also used by scene splits of foreign stories).
pub(crate) fn companion_for(bank: &'static Bank, seed: &mut Seeded) -> &'static Companion {
    &bank.companions[seed.below(bank.companions.len())]
}

/// A composed story.
pub(crate) struct ComposedStory {
    pub title: String,
    pub content: String,
    pub companion_english: &'static str,
}

/// Writes the story for `brief`, aiming at `brief.word_budget` words (±10 %).
pub(crate) fn compose(brief: &StoryBrief) -> ComposedStory {
    let bank = bank(brief.language);
    let hero = {
        let h = one_line(&brief.hero_name, 6);
        if h.is_empty() { "Nova".to_owned() } else { h }
    };
    let budget = brief.word_budget.max(40) as usize;
    let mut seed = Seeded::from_parts(&[
        &hero,
        &brief.primary_trait,
        &brief.secondary_trait,
        &brief.special_ability,
        &brief.event_title,
        &brief.event_premise,
        brief.language.code(),
    ]);
    let companion = companion_for(bank, &mut seed);
    let t1 = trait_noun(bank, &brief.primary_trait);
    let t2 = trait_noun(bank, &brief.secondary_trait);
    let event = one_line(&brief.event_title, 12);
    let appearance = as_sentence(&one_line(&brief.appearance, (budget / 8).clamp(8, 40)));
    let ability = as_sentence(&one_line(
        &brief.special_ability,
        (budget / 10).clamp(6, 30),
    ));
    let slots = Slots {
        pairs: vec![
            ("{hero}", hero.clone()),
            ("{cname}", companion.name.to_owned()),
            ("{companion}", companion.intro.to_owned()),
            ("{de_t1}", french_de(&t1)),
            ("{de_t2}", french_de(&t2)),
            ("{t1}", t1),
            ("{t2}", t2),
            ("{event}", event.clone()),
            ("{appearance}", appearance.clone()),
            ("{ability}", ability.clone()),
        ],
    };

    let title_templates: Vec<&str> = bank
        .titles
        .iter()
        .copied()
        .filter(|t| !t.contains("{event}") || !event.is_empty())
        .collect();
    let title = slots.fill(seed.pick(&title_templates));

    // Premise: whole sentences, at most a quarter of the budget.
    let premise = premise_sentences(&brief.event_premise, budget / 4);

    // Intro pieces, each with a drop priority for very short budgets (higher drops first).
    let mut opening: Vec<(String, u8)> = vec![(slots.fill(seed.pick(bank.openings)), 0)];
    opening.push((slots.fill(seed.pick(bank.traits)), 3));
    if !appearance.is_empty() {
        opening.push((slots.fill(bank.appearance), 5));
    }
    if !ability.is_empty() {
        opening.push((slots.fill(bank.ability), 4));
    }
    let mut setting: Vec<(String, u8)> = Vec::new();
    if !event.is_empty() {
        setting.push((slots.fill(bank.event_intro), 2));
    }
    if !premise.is_empty() {
        setting.push((premise, 1));
    }
    setting.push((slots.fill(bank.companion_intro), 0));
    let endings_all: Vec<(String, u8)> = bank
        .endings
        .iter()
        .enumerate()
        .map(|(i, e)| (slots.fill(e), if i < 2 { 6 - i as u8 } else { 0 }))
        .collect();

    // Drop optional pieces until the frame leaves room for the middle.
    let frame_budget = budget * 3 / 4;
    let words_of = |parts: &[&Vec<(String, u8)>]| -> usize {
        parts
            .iter()
            .flat_map(|p| p.iter())
            .map(|(s, _)| count_words(s))
            .sum()
    };
    let mut endings = endings_all;
    for priority in (1..=6u8).rev() {
        if words_of(&[&opening, &setting, &endings]) <= frame_budget {
            break;
        }
        opening.retain(|(_, p)| *p != priority);
        setting.retain(|(_, p)| *p != priority);
        endings.retain(|(_, p)| *p != priority);
    }
    let frame_words = words_of(&[&opening, &setting, &endings]);

    // The middle: varied sentences until the budget is reached.
    let target = budget.saturating_sub(frame_words);
    let slack = (budget / 20).max(3);
    let middle = compose_middle(bank, &slots, &mut seed, target, slack, !ability.is_empty());

    let mut paragraphs: Vec<String> = Vec::new();
    paragraphs.push(join(&opening));
    paragraphs.push(join(&setting));
    for chunk in middle.chunks(4) {
        paragraphs.push(chunk.join(" "));
    }
    paragraphs.push(join(&endings));
    let content = paragraphs
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    ComposedStory {
        title,
        content,
        companion_english: companion.english,
    }
}

fn join(parts: &[(String, u8)]) -> String {
    parts
        .iter()
        .map(|(s, _)| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn premise_sentences(premise: &str, max_words: usize) -> String {
    let text = one_line(premise, 400);
    if text.is_empty() {
        return String::new();
    }
    let mut out: Vec<&str> = Vec::new();
    let mut words = 0;
    for (start, end) in sentence_spans(&text) {
        let sentence = &text[start..end];
        let n = count_words(sentence);
        if !out.is_empty() && words + n > max_words {
            break;
        }
        out.push(sentence);
        words += n;
    }
    let joined = out.join(" ");
    if count_words(&joined) > max_words.max(12) {
        // One long run-on premise: keep its first words.
        as_sentence(&one_line(&joined, max_words.max(12)))
    } else {
        as_sentence(&joined)
    }
}

fn compose_middle(
    bank: &Bank,
    slots: &Slots,
    seed: &mut Seeded,
    target: usize,
    slack: usize,
    has_ability: bool,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut recent: VecDeque<String> = VecDeque::new();
    let mut words = 0usize;
    let mut ability_used = !has_ability;
    let mut misses = 0;
    let mut last_kind = usize::MAX;
    while words < target && misses < 40 {
        let roll = seed.below(10);
        // Kinds: 0 travel, 1 discovery, 2 dialogue, 3 ability, 4 free sentence. The same
        // kind never follows itself, so the story does not stutter.
        let kind = match roll {
            0..=2 => 0,
            3 | 4 => 1,
            5 => 2,
            6 if !ability_used && !out.is_empty() => 3,
            _ => 4,
        };
        if kind == last_kind {
            misses += 1;
            continue;
        }
        let candidate = match kind {
            0 => {
                let s = bank
                    .travel
                    .replace("{action}", seed.pick(bank.actions))
                    .replace("{place}", seed.pick(bank.places));
                slots.fill(&s)
            }
            1 => {
                let s = seed
                    .pick(bank.discoveries)
                    .replace("{thing}", seed.pick(bank.things));
                slots.fill(&s)
            }
            2 => {
                let s = seed
                    .pick(bank.dialogues)
                    .replace("{line}", seed.pick(bank.lines));
                slots.fill(&s)
            }
            3 => slots.fill(bank.ability_middle),
            _ => slots.fill(seed.pick(bank.middles)),
        };
        let n = count_words(&candidate);
        if recent.contains(&candidate) || words + n > target + slack {
            misses += 1;
            continue;
        }
        misses = 0;
        last_kind = kind;
        if kind == 3 {
            ability_used = true;
        }
        words += n;
        recent.push_back(candidate.clone());
        if recent.len() > 24 {
            recent.pop_front();
        }
        out.push(candidate);
    }
    out
}

/// Byte spans of the sentences of `text` (trimmed). A sentence ends at `.`, `!`, `?` or `…`,
/// plus any closing quotes, followed by whitespace or the end.
pub(crate) fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if start.is_none() && !c.is_whitespace() {
            start = Some(pos);
        }
        if matches!(c, '.' | '!' | '?' | '…') {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '"' | '”' | '»' | '“' | '\'' | ')' | '’')
            {
                j += 1;
            }
            let at_break = j >= chars.len() || chars[j].1.is_whitespace();
            if at_break && let Some(s) = start {
                let end = if j < chars.len() {
                    chars[j].0
                } else {
                    text.len()
                };
                spans.push((s, end));
                start = None;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if let Some(s) = start {
        let end = text.trim_end().len();
        if end > s {
            spans.push((s, end));
        }
    }
    spans
}

/// Word-chunk spans when a text has fewer than three sentences.
fn word_spans(text: &str, parts: usize) -> Vec<(usize, usize)> {
    let words: Vec<(usize, usize)> = {
        let mut v = Vec::new();
        let mut start: Option<usize> = None;
        for (i, c) in text.char_indices() {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    v.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            v.push((s, text.len()));
        }
        v
    };
    if words.is_empty() {
        return Vec::new();
    }
    let parts = parts.min(words.len()).max(1);
    (0..parts)
        .map(|p| {
            let a = p * words.len() / parts;
            let b = ((p + 1) * words.len() / parts).max(a + 1) - 1;
            (words[a].0, words[b].1)
        })
        .collect()
}

const MIDDLE_EMOTIONS: [&str; 5] = [
    "adventurous",
    "mysterious",
    "exciting",
    "heartwarming",
    "contemplative",
];

/// Input of the deterministic scene split.
pub(crate) struct SplitInput<'a> {
    pub content: &'a str,
    pub duration_seconds: f64,
    pub hero: &'a str,
    pub appearance: &'a str,
    pub companion_english: &'a str,
    pub max_scenes: u8,
    pub seed: u64,
}

/// Splits a story into 3..=max_scenes scenes: contiguous sentence groups of about equal
/// length; each scene's `text_segment` is a verbatim passage (the group's first one or two
/// sentences); timestamps follow the words' position in the narration.
pub(crate) fn split_scenes(input: &SplitInput<'_>) -> Vec<Value> {
    let content = input.content;
    let max_scenes = usize::from(input.max_scenes.max(3));
    let mut spans = sentence_spans(content);
    if spans.len() < 3 {
        spans = word_spans(content, 3);
    }
    if spans.is_empty() {
        return Vec::new();
    }
    let counts: Vec<usize> = spans
        .iter()
        .map(|(a, b)| count_words(&content[*a..*b]).max(1))
        .collect();
    let total: usize = counts.iter().sum();
    let wanted = ((total as f64 / 120.0).round() as usize).clamp(3, max_scenes);
    let n = wanted.min(spans.len());

    // Group starts: the first sentence at or after each equal share of the words.
    let mut starts: Vec<usize> = vec![0];
    let mut cumulative = 0usize;
    let mut before: Vec<usize> = Vec::with_capacity(spans.len());
    for c in &counts {
        before.push(cumulative);
        cumulative += c;
    }
    for g in 1..n {
        let share = g * total / n;
        let last = *starts.last().unwrap_or(&0);
        let candidate = before
            .iter()
            .position(|w| *w >= share)
            .unwrap_or(spans.len() - 1)
            .max(last + 1);
        // Leave at least one sentence per remaining group.
        let cap = spans.len() - (n - g);
        starts.push(candidate.min(cap));
    }

    let duration = input.duration_seconds.max(1.0);
    let mut seed = Seeded(input.seed);
    let emotion_offset = seed.below(MIDDLE_EMOTIONS.len());
    let visual_offset = seed.below(VISUALS.len() - 1);
    let mut timestamps: Vec<f64> = Vec::with_capacity(n);
    for (i, start) in starts.iter().enumerate() {
        let mut t = round2(duration * before[*start] as f64 / total as f64);
        if let Some(prev) = timestamps.last()
            && t <= *prev
        {
            t = round2(prev + 0.01);
        }
        if i == 0 {
            t = 0.0;
        }
        timestamps.push(t);
    }

    let appearance = one_line(input.appearance, 25);
    let mut scenes = Vec::with_capacity(n);
    for (i, start) in starts.iter().enumerate() {
        let end_group = starts.get(i + 1).copied().unwrap_or(spans.len());
        let mut last_sentence = *start;
        if end_group > start + 1 && counts[*start] + counts[start + 1] <= 60 {
            last_sentence = start + 1;
        }
        let segment = &content[spans[*start].0..spans[last_sentence].1];
        let ts = timestamps[i];
        let next = timestamps.get(i + 1).copied().unwrap_or(duration);
        let emotion = if i == 0 {
            "joyful"
        } else if i == n - 1 {
            "peaceful"
        } else {
            MIDDLE_EMOTIONS[(emotion_offset + i) % MIDDLE_EMOTIONS.len()]
        };
        let importance = if i == 0 || i == n / 2 {
            "key"
        } else if i == n - 1 {
            "major"
        } else {
            "minor"
        };
        let visual = if i == n - 1 {
            VISUALS[VISUALS.len() - 1]
        } else {
            VISUALS[(visual_offset + i) % (VISUALS.len() - 1)]
        };
        let hero_part = if appearance.is_empty() {
            input.hero.to_owned()
        } else {
            format!("{} ({})", input.hero, appearance.trim_end_matches('.'))
        };
        let prompt = format!(
            "Children's picture-book illustration of {hero_part} together with {}, {visual}. \
             Gentle bedtime atmosphere, soft warm light, friendly faces.",
            input.companion_english
        );
        scenes.push(json!({
            "scene_number": i + 1,
            "text_segment": segment,
            "illustration_prompt": prompt,
            "timestamp_seconds": ts,
            "duration_seconds": round2((next - ts).max(0.01)),
            "emotion": emotion,
            "importance": importance,
        }));
    }
    scenes
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Narration length of `words` at the language's pace, in seconds.
pub(crate) fn narration_seconds(words: usize, language: Language) -> f64 {
    words as f64 * 60.0 / f64::from(language.narration_wpm())
}

/// The offline `story` JSON.
pub(crate) fn story_json(brief: &StoryBrief) -> Value {
    let story = compose(brief);
    let words = count_words(&story.content);
    let seed = Seeded::from_parts(&[&story.content]).next_u64();
    let scenes = split_scenes(&SplitInput {
        content: &story.content,
        duration_seconds: narration_seconds(words, brief.language),
        hero: &one_line(&brief.hero_name, 6),
        appearance: &brief.appearance,
        companion_english: story.companion_english,
        max_scenes: brief.max_scenes,
        seed,
    });
    json!({"title": story.title, "content": story.content, "scenes": scenes})
}

/// The offline `scenes` JSON.
pub(crate) fn scenes_json(brief: &SceneBrief) -> Value {
    let bank = bank(brief.language);
    let mut seed = Seeded::from_parts(&[&brief.story, &brief.hero_name]);
    let companion = companion_for(bank, &mut seed);
    let duration = if brief.duration_seconds > 0 {
        f64::from(brief.duration_seconds)
    } else {
        narration_seconds(count_words(&brief.story), brief.language)
    };
    let hero = one_line(&brief.hero_name, 6);
    let scenes = split_scenes(&SplitInput {
        content: &brief.story,
        duration_seconds: duration,
        hero: if hero.is_empty() { "the hero" } else { &hero },
        appearance: "",
        companion_english: companion.english,
        max_scenes: brief.max_scenes,
        seed: seed.next_u64(),
    });
    json!({ "scenes": scenes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_spans_keep_closing_quotes_and_skip_inner_abbreviations() {
        let text = "Pip said: «Hello». Then they went home! \"Good night,\" said Ana. Done";
        let spans: Vec<&str> = sentence_spans(text)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect();
        assert_eq!(
            spans,
            vec![
                "Pip said: «Hello».",
                "Then they went home!",
                "\"Good night,\" said Ana.",
                "Done"
            ]
        );
    }

    #[test]
    fn french_de_elides_before_vowels() {
        assert_eq!(french_de("imagination"), "d'imagination");
        assert_eq!(french_de("courage"), "de courage");
        assert_eq!(french_de("humour"), "d'humour");
    }

    #[test]
    fn short_texts_still_split_into_three_scenes() {
        let scenes = split_scenes(&SplitInput {
            content: "one two three four five six seven",
            duration_seconds: 1.0,
            hero: "Mia",
            appearance: "",
            companion_english: "a fox",
            max_scenes: 6,
            seed: 1,
        });
        assert_eq!(scenes.len(), 3);
        let ts: Vec<f64> = scenes
            .iter()
            .map(|s| s["timestamp_seconds"].as_f64().expect("number"))
            .collect();
        assert!(
            ts[0] == 0.0 && ts[0] < ts[1] && ts[1] < ts[2] && ts[2] < 1.0,
            "{ts:?}"
        );
    }
}
