//! Input screening, output checks and injection detection on top of the matcher.

use crate::Engine;
use crate::fold::{Folded, fold, strip_control};
use crate::langdetect::detect;
use crate::matcher::{Analysis, LangCtx};
use crate::types::{
    Action, Category, Finding, InjectionKind, InputVerdict, Intervention, OutputVerdict,
};
use domain::Language;

/// How many rewrite passes screening makes at most (removing one injection can expose
/// another; soft rewrites never produce new soft words).
const MAX_PASSES: usize = 4;

/// Adds an intervention, merging it with an identical earlier one.
pub(crate) fn record(list: &mut Vec<Intervention>, category: Category, action: Action, rule: &str) {
    if let Some(i) = list
        .iter_mut()
        .find(|i| i.category == category && i.action == action && i.rule == rule)
    {
        i.count += 1;
    } else {
        list.push(Intervention {
            category,
            action,
            rule: rule.to_owned(),
            count: 1,
        });
    }
}

impl Engine {
    /// Screens one piece of user text (a hero field, a custom event, a prompt).
    ///
    /// Strips control and invisible characters, enforces `limit_chars` (counted after
    /// stripping), rejects hard content, neutralises prompt-injection attempts and rewrites
    /// soft words into gentle ones. Safe text comes back byte-identical (after stripping).
    /// `lang_hint` is the language the text is expected to be in; rules of every language
    /// still run, and the language is guessed when no hint is given.
    pub fn screen_input(
        &self,
        text: &str,
        lang_hint: Option<Language>,
        limit_chars: usize,
    ) -> InputVerdict {
        // Cheap guard before any work: even if every other char were invisible, this text
        // could not fit.
        if text.len() > limit_chars.saturating_mul(8).saturating_add(1024) {
            return InputVerdict::TooLong {
                chars: text.chars().count(),
                limit: limit_chars,
            };
        }
        let (clean, stripped) = strip_control(text);
        let chars = clean.chars().count();
        if chars > limit_chars {
            return InputVerdict::TooLong {
                chars,
                limit: limit_chars,
            };
        }
        let mut interventions = Vec::new();
        if stripped > 0 {
            interventions.push(Intervention {
                category: Category::ControlCharacters,
                action: Action::Stripped,
                rule: "control or invisible characters".to_owned(),
                count: u32::try_from(stripped).unwrap_or(u32::MAX),
            });
        }
        let mut current = clean.into_owned();
        for pass in 0..=MAX_PASSES {
            let folded = fold(&current);
            let ctx = LangCtx {
                hint: lang_hint,
                detected: detect(&folded.text),
            };
            let analysis = self.inner.content.analyse(&folded, &current, ctx);
            if !analysis.hard.is_empty() {
                let category = analysis
                    .hard
                    .iter()
                    .min_by_key(|h| {
                        (
                            h.category.severity_tier(),
                            h.start,
                            h.category.severity_rank(),
                        )
                    })
                    .map_or(Category::GraphicViolence, |h| h.category);
                for h in &analysis.hard {
                    record(&mut interventions, h.category, Action::Rejected, &h.rule);
                }
                return InputVerdict::Rejected {
                    category,
                    interventions,
                };
            }
            if pass == MAX_PASSES || (analysis.soft.is_empty() && analysis.injections.is_empty()) {
                break;
            }
            let removed_injection = !analysis.injections.is_empty();
            current = apply_edits(&current, &folded, &analysis, &mut interventions);
            // Soft replacements are clean words (a unit test checks every one), so only a
            // removed injection can join its neighbours into something new worth a rescan.
            if !removed_injection {
                break;
            }
        }
        let changed = current != text;
        InputVerdict::Accepted {
            text: current,
            interventions,
            changed,
        }
    }

    /// Checks a generated story in `lang`: any hard term makes it unsafe; soft terms are
    /// allowed in stories but reported.
    pub fn check_output(&self, text: &str, lang: Language) -> OutputVerdict {
        let folded = fold(text);
        let ctx = LangCtx {
            hint: Some(lang),
            detected: detect(&folded.text),
        };
        let analysis = self.inner.content.analyse(&folded, text, ctx);
        let mut findings: Vec<Finding> = Vec::new();
        let mut categories: Vec<Category> = Vec::new();
        for h in &analysis.hard {
            let (start, end) = folded.source_span(h.start, h.end);
            findings.push(Finding {
                category: h.category,
                rule: h.rule.clone(),
                start,
                end,
            });
            if !categories.contains(&h.category) {
                categories.push(h.category);
            }
        }
        let soft_findings = analysis.soft.len();
        for s in &analysis.soft {
            let (start, end) = folded.source_span(s.start, s.end);
            findings.push(Finding {
                category: s.category,
                rule: s.rule.to_owned(),
                start,
                end,
            });
        }
        findings.sort_by_key(|f| (f.start, f.end));
        if categories.is_empty() {
            OutputVerdict::Safe {
                soft_findings,
                findings,
            }
        } else {
            categories.sort_by_key(|c| c.severity_rank());
            OutputVerdict::Unsafe {
                categories,
                findings,
            }
        }
    }

    /// The first prompt-injection attempt in `text`, if any.
    pub fn detect_injection(&self, text: &str) -> Option<InjectionKind> {
        let folded = fold(text);
        let analysis = self
            .inner
            .content
            .analyse(&folded, text, LangCtx::default());
        analysis.injections.first().map(|i| i.kind)
    }
}

/// What an edit does to its span.
pub(crate) enum EditKind<'a> {
    Remove,
    Replace {
        text: &'a str,
        lang: Option<Language>,
    },
}

/// One change to a source text (source byte offsets).
pub(crate) struct Edit<'a> {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: EditKind<'a>,
}

/// Applies the injections (removed) and soft rewrites (replaced, capitalisation kept) of
/// one analysis to `src`.
pub(crate) fn apply_edits(
    src: &str,
    folded: &Folded,
    analysis: &Analysis<'_>,
    interventions: &mut Vec<Intervention>,
) -> String {
    let mut edits: Vec<Edit<'_>> = Vec::new();
    for i in &analysis.injections {
        let (start, end) = folded.source_span(i.start, i.end);
        edits.push(Edit {
            start,
            end,
            kind: EditKind::Remove,
        });
        record(
            interventions,
            Category::PromptInjection,
            Action::Neutralised,
            i.rule,
        );
    }
    for s in &analysis.soft {
        let (start, end) = folded.source_span(s.start, s.end);
        edits.push(Edit {
            start,
            end,
            kind: EditKind::Replace {
                text: s.replacement,
                lang: s.lang,
            },
        });
        record(interventions, s.category, Action::Rewritten, s.rule);
    }
    splice(src, edits)
}

/// Applies non-overlapping edits (overlapping ones after the first are skipped). Removals
/// swallow one neighbouring blank so no double space is left behind.
pub(crate) fn splice(src: &str, mut edits: Vec<Edit<'_>>) -> String {
    edits.sort_by_key(|e| e.start);
    let mut out = String::with_capacity(src.len() + 16);
    let mut pos = 0usize;
    for e in edits {
        if e.start < pos {
            continue;
        }
        out.push_str(&src[pos..e.start]);
        match e.kind {
            EditKind::Remove => {
                let rest = &src[e.end..];
                let skip = if out.trim_end_matches([' ', '\t']).is_empty() {
                    rest.len() - rest.trim_start_matches([' ', '\t']).len()
                } else if out.ends_with([' ', '\t']) && rest.starts_with([' ', '\t']) {
                    1
                } else {
                    0
                };
                pos = e.end + skip;
            }
            EditKind::Replace { text, lang } => {
                let replacement = match_case(&src[e.start..e.end], text);
                if lang == Some(Language::En) {
                    fix_english_article(&mut out, &replacement);
                }
                out.push_str(&replacement);
                pos = e.end;
            }
        }
    }
    out.push_str(&src[pos..]);
    out
}

/// Gives `replacement` the capitalisation of `original`: ALL CAPS, Capitalised, or as
/// written in the rule (German nouns keep their capital).
pub(crate) fn match_case(original: &str, replacement: &str) -> String {
    let mut letters = original.chars().filter(|c| c.is_alphabetic());
    let first = letters.next();
    let all_upper = first.is_some_and(char::is_uppercase)
        && original
            .chars()
            .filter(|c| c.is_alphabetic())
            .nth(1)
            .is_some()
        && original
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
    if all_upper {
        return replacement.to_uppercase();
    }
    if first.is_some_and(char::is_uppercase) {
        let mut chars = replacement.chars();
        return match chars.next() {
            Some(c) => c.to_uppercase().chain(chars).collect(),
            None => String::new(),
        };
    }
    replacement.to_owned()
}

fn starts_with_vowel_sound(word: &str) -> bool {
    let w = word.to_lowercase();
    if ["uni", "use", "usu", "eu", "one", "once"]
        .iter()
        .any(|p| w.starts_with(p))
    {
        return false;
    }
    if ["hour", "honest", "honour", "honor", "heir"]
        .iter()
        .any(|p| w.starts_with(p))
    {
        return true;
    }
    w.starts_with(['a', 'e', 'i', 'o', 'u'])
}

/// Turns a preceding "a"/"an" into the form the replacement needs ("an eerie" → "a
/// mysterious", "a haunted" → "an enchanted").
fn fix_english_article(out: &mut String, replacement: &str) {
    let trimmed_len = out.trim_end_matches(' ').len();
    if trimmed_len == out.len() {
        return;
    }
    let head = &out[..trimmed_len];
    let word_start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &head[word_start..];
    let lower = word.to_lowercase();
    if lower != "a" && lower != "an" {
        return;
    }
    let want_an = starts_with_vowel_sound(replacement);
    if want_an == (lower == "an") {
        return;
    }
    let new_word = match (word, want_an) {
        ("A", true) => "An",
        ("AN", false) => "A",
        ("An", false) => "A",
        ("a", true) => "an",
        (_, true) => "AN",
        (_, false) => "a",
    };
    out.replace_range(word_start..trimmed_len, new_word);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_capitalisation_of_the_replaced_word() {
        assert_eq!(match_case("Scary", "silly"), "Silly");
        assert_eq!(match_case("SCARY", "silly"), "SILLY");
        assert_eq!(match_case("scary", "silly"), "silly");
        assert_eq!(match_case("dunkelheit", "Sternennacht"), "Sternennacht");
    }

    #[test]
    fn fixes_the_indefinite_article_before_a_replacement() {
        let mut s = String::from("It was a ");
        fix_english_article(&mut s, "enchanted");
        assert_eq!(s, "It was an ");
        let mut s = String::from("An ");
        fix_english_article(&mut s, "mysterious");
        assert_eq!(s, "A ");
        let mut s = String::from("the ");
        fix_english_article(&mut s, "enchanted");
        assert_eq!(s, "the ");
    }
}
