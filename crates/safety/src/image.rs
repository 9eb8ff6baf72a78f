//! The image-prompt sanitiser: forbidden terms out, picture-book style in, and never a
//! child alone in the picture.

use crate::Engine;
use crate::fold::{fold, strip_control};
use crate::lexicon::Kind;
use crate::matcher::LangCtx;
use crate::screen::{Edit, EditKind, splice};
use domain::Language;
use serde::Serialize;

/// Longest prompt the sanitiser returns, in chars (the image APIs' limit).
pub const MAX_IMAGE_PROMPT_CHARS: usize = 4000;

/// The style sentence every sanitised prompt ends with.
pub const IMAGE_STYLE: &str = "Style: children's picture-book illustration, soft watercolor, bright colours, soft warm light, cheerful and gentle mood, no text.";

/// The companion added when a picture would otherwise show the hero alone and the caller
/// gave no hint.
pub const DEFAULT_COMPANION: &str = "a cheerful little fox friend";

const APPEARANCE_MAX_CHARS: usize = 800;
const HINT_MAX_CHARS: usize = 120;
const MAX_PASSES: usize = 5;

/// Options of [`Engine::sanitize_image_prompt`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SanitizeOptions<'a> {
    /// The story's language (its soft words are rewritten too; prompts are English).
    pub language: Language,
    /// The hero's canonical appearance, included so every picture shows the same hero.
    pub hero_appearance: Option<&'a str>,
    /// Who should keep the hero company when the prompt names nobody (e.g. the hero's pet).
    pub companion_hint: Option<&'a str>,
}

/// A sanitised image prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SanitizedPrompt {
    /// The prompt to send: ≤ [`MAX_IMAGE_PROMPT_CHARS`] chars, always with a companion and
    /// the picture-book style.
    pub prompt: String,
    /// Dictionary names of the terms removed (forbidden terms and "alone" words), once
    /// each, in order of appearance.
    pub removed_terms: Vec<String>,
    /// True when a companion clause had to be added.
    pub companion_added: bool,
}

impl Engine {
    /// Sanitises an image prompt: removes forbidden terms (photorealism, weapons, gore,
    /// horror, nudity, real people and brands — in all five languages), rewrites soft words,
    /// removes "alone" words and adds a companion when nobody keeps the hero company, adds
    /// the hero's appearance and the picture-book style, and caps the length. Sanitising a
    /// sanitised prompt (with the same options) returns it unchanged.
    pub fn sanitize_image_prompt(
        &self,
        prompt: &str,
        opts: &SanitizeOptions<'_>,
    ) -> SanitizedPrompt {
        let mut removed: Vec<String> = Vec::new();
        let mut ignored: Vec<String> = Vec::new();
        let appearance = opts
            .hero_appearance
            .map(|a| self.clean_fragment(a, opts.language, &mut removed))
            .map(|a| truncate_words(&a, APPEARANCE_MAX_CHARS))
            .filter(|a| !a.is_empty());
        let hint = opts
            .companion_hint
            .map(|h| self.clean_fragment(h, opts.language, &mut ignored))
            .map(|h| truncate_words(&h, HINT_MAX_CHARS))
            .filter(|h| !h.is_empty());
        let hero_sentence = appearance.as_ref().map(|a| format!("Main character: {a}."));
        let default_clause = companion_clause(DEFAULT_COMPANION);
        let hint_clause = hint.as_deref().map(companion_clause);

        // Our own segments from an earlier pass come out first, so sanitising is idempotent.
        let (raw, _) = strip_control(prompt);
        let mut body = raw.into_owned();
        let own: [Option<&str>; 4] = [
            Some(IMAGE_STYLE),
            Some(default_clause.as_str()),
            hint_clause.as_deref(),
            hero_sentence.as_deref(),
        ];
        for seg in own.into_iter().flatten() {
            body = body.replace(seg, " ");
        }
        let body = self.clean_fragment(&body, opts.language, &mut removed);

        let has_companion = self.has_companion(&body)
            || appearance.as_deref().is_some_and(|a| self.has_companion(a));
        let clause = if has_companion {
            None
        } else {
            Some(hint_clause.unwrap_or(default_clause))
        };
        let suffix = [
            hero_sentence.as_deref(),
            clause.as_deref(),
            Some(IMAGE_STYLE),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let budget = MAX_IMAGE_PROMPT_CHARS.saturating_sub(suffix.chars().count() + 2);
        let body = normalise(&truncate_words(&body, budget));
        let prompt = if body.is_empty() {
            suffix
        } else {
            format!("{body}. {suffix}")
        };
        SanitizedPrompt {
            prompt,
            removed_terms: removed,
            companion_added: clause.is_some(),
        }
    }

    /// True when `text` names someone or something keeping the hero company (a friend,
    /// family, a pet or animal friend …) in any of the five languages.
    pub fn has_companion(&self, text: &str) -> bool {
        let folded = fold(text);
        self.inner
            .image
            .analyse(&folded, text, LangCtx::default())
            .other
            .iter()
            .any(|h| matches!(h.entry.kind, Kind::Companion))
    }

    /// Removes forbidden and "alone" terms and injection tokens, rewrites soft words, and
    /// normalises punctuation, until nothing changes.
    fn clean_fragment(&self, text: &str, lang: Language, removed: &mut Vec<String>) -> String {
        let (raw, _) = strip_control(text);
        let mut current = normalise(&raw);
        for _ in 0..MAX_PASSES {
            let folded = fold(&current);
            let image = self
                .inner
                .image
                .analyse(&folded, &current, LangCtx::default());
            let content = self.inner.content.analyse(
                &folded,
                &current,
                LangCtx {
                    hint: Some(lang),
                    detected: Some(Language::En),
                },
            );
            let mut spans: Vec<(usize, usize)> = Vec::new();
            let mut removals: Vec<(usize, usize, &str)> = image
                .other
                .iter()
                .filter(|h| matches!(h.entry.kind, Kind::Image | Kind::Alone))
                .map(|h| (h.start, h.end, &*h.entry.rule))
                .collect();
            removals.extend(content.injections.iter().map(|i| (i.start, i.end, "")));
            removals.sort_by_key(|r| (r.0, std::cmp::Reverse(r.1)));
            let mut edits: Vec<Edit<'_>> = Vec::new();
            for (s, e, rule) in removals {
                if spans.last().is_some_and(|last| s < last.1) {
                    continue;
                }
                spans.push((s, e));
                if !rule.is_empty() && !removed.iter().any(|r| r == rule) {
                    removed.push(rule.to_owned());
                }
                let (start, end) = folded.source_span(s, e);
                edits.push(Edit {
                    start,
                    end,
                    kind: EditKind::Remove,
                });
            }
            for soft in &content.soft {
                if spans.iter().any(|(s, e)| soft.start < *e && *s < soft.end) {
                    continue;
                }
                let (start, end) = folded.source_span(soft.start, soft.end);
                edits.push(Edit {
                    start,
                    end,
                    kind: EditKind::Replace {
                        text: soft.replacement,
                        lang: soft.lang,
                    },
                });
            }
            if edits.is_empty() {
                break;
            }
            current = normalise(&splice(&current, edits));
        }
        current
    }
}

fn companion_clause(companion: &str) -> String {
    format!("Together with a friendly companion, {companion}, at the hero's side.")
}

/// Small words a removal can leave hanging before a comma or the end ("holding a gun." →
/// "holding a.").
const DANGLING: &[&str] = &[
    "a", "an", "the", "his", "her", "their", "my", "your", "its", "with", "of", "and", "or",
    "holding", "wielding", "carrying",
];

fn drop_dangling_words(out: &mut String) {
    loop {
        let trimmed = out.trim_end_matches(' ');
        let start = trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_alphabetic())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &trimmed[start..];
        let before = trimmed[..start].chars().next_back();
        if word.is_empty()
            || !DANGLING.contains(&word.to_lowercase().as_str())
            || !matches!(before, None | Some(' '))
            || start == 0
        {
            return;
        }
        out.truncate(start);
        while out.ends_with(' ') {
            out.pop();
        }
    }
}

/// Collapses blanks, removes blanks before punctuation and separators left dangling by
/// removals, and trims punctuation at both ends. Idempotent.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        if matches!(c, ',' | ';' | ':' | '.' | '!' | '?' | ')') {
            while out.ends_with(' ') {
                out.pop();
            }
            drop_dangling_words(&mut out);
        }
        let last = out.chars().next_back();
        match c {
            ',' | ';' | ':' => {
                if matches!(last, None | Some(',' | ';' | ':' | '.' | '!' | '?' | '(')) {
                    continue;
                }
            }
            '.' | '!' | '?' => {
                if matches!(last, Some(',' | ';' | ':')) {
                    out.pop();
                }
                if out.is_empty() {
                    continue;
                }
            }
            ')' if last == Some('(') => {
                out.pop();
                while out.ends_with(' ') {
                    out.pop();
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    let is_edge = |c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '.' | '!' | '?');
    let mut out = out.trim_matches(is_edge).to_owned();
    loop {
        let before = out.len();
        drop_dangling_words(&mut out);
        out = out.trim_matches(is_edge).to_owned();
        if out.len() == before {
            return out;
        }
    }
}

/// Cuts `text` to at most `max` chars at a word boundary.
fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let head = &text[..cut];
    let at_word = text[cut..].starts_with(char::is_whitespace);
    let head = if at_word {
        head
    } else {
        head.rfind(char::is_whitespace).map_or(head, |i| &head[..i])
    };
    normalise(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_is_idempotent_and_tidies_removals() {
        for s in [
            "a girl , , holding  a  . in the park",
            "(  ) a fox, ; and a bunny ,.",
            ", leading comma and trailing!!",
            "plain",
        ] {
            let once = normalise(s);
            assert_eq!(normalise(&once), once, "{s}");
        }
        assert_eq!(
            normalise("a girl , , sitting on  a  . in"),
            "a girl, sitting on. in"
        );
        assert_eq!(normalise("a knight holding a"), "a knight");
    }

    #[test]
    fn truncation_stops_at_a_word() {
        assert_eq!(truncate_words("one two three", 9), "one two");
        assert_eq!(truncate_words("one two", 7), "one two");
    }
}
