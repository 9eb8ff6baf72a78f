//! The synchronous content-safety engine of InfiniteStories (children aged 4–10): pure
//! functions over text, no IO, no async, no network. The moderation endpoint and the AI
//! child-safety review are wired on top of this crate elsewhere; this crate must not depend
//! on providers, storage or HTTP.
//!
//! What it does (SPEC §7):
//!
//! * **Input screening** — [`Engine::screen_input`] strips control/invisible characters,
//!   enforces a length limit, rejects *hard* content (sexual, self-harm, hate, weapons
//!   against people, graphic violence), neutralises prompt-injection attempts and rewrites
//!   *soft* words (dark, scary, lonely, sad, mild conflict) into gentle ones, keeping grammar
//!   and capitalisation. Safe text comes back byte-identical.
//! * **Output checks** — [`Engine::check_output`] finds hard terms in a generated story
//!   (soft ones are reported, not failed).
//! * **Prompt-injection defence** — [`detect_injection`] and [`fence`] (user text as inert,
//!   unclosable data) with [`FENCE_INSTRUCTION`] for the system prompt.
//! * **Image prompts** — [`sanitize_image_prompt`]: forbidden terms out, picture-book style
//!   in, and a companion whenever the hero would be alone.
//! * **Review log** — [`text_hash`] and [`SafetyEvent`] (hashes, never text).
//!
//! Rules for English, Spanish, French, German and Italian live in `src/lexicon/*.rules`
//! (syntax in `lexicon/mod.rs`) and are compiled once into two Aho–Corasick automata (content
//! and image rules). Words that are harmless in another language (French "mord", Italian
//! "bimbo", Spanish "pedo", English "retard"…) are marked `.local` and only count when the
//! text is hinted or detected to be in the rule's language; soft rewrites always are. Matching runs on a folded copy of the
//! text (NFKD, case folding, accents dropped, leetspeak and spelled-out words decoded,
//! look-alike letters mapped) on whole words, so "Scunthorpe", "therapist", "grape" and
//! "Dickens" do not trigger, while "K1LL Y0URSELF" and "s.e.x" do. Word-class sequences
//! catch threats against people ("stab … the teacher", "lo voy a matar") without rejecting
//! fairy tales ("the knight fought the dragon" is rewritten, not rejected).
//!
//! # API
//!
//! ```text
//! Engine::new() -> Engine                      // compiles ~30k patterns (~0.1–0.3 s); Clone is an Arc bump
//! Engine::global() -> &'static Engine          // lazily built shared instance
//! Engine::screen_input(&self, text, lang_hint: Option<Language>, limit_chars) -> InputVerdict
//! Engine::check_output(&self, text, lang: Language) -> OutputVerdict
//! Engine::detect_injection(&self, text) -> Option<InjectionKind>
//! Engine::sanitize_image_prompt(&self, prompt, &SanitizeOptions) -> SanitizedPrompt
//! Engine::has_companion(&self, text) -> bool
//! detect_injection(text) -> Option<InjectionKind>           // on Engine::global()
//! sanitize_image_prompt(prompt, SanitizeOptions) -> SanitizedPrompt
//! screen_input(text, lang_hint, limit_chars) -> InputVerdict
//! check_output(text, lang) -> OutputVerdict
//! fence(label, text) -> String;  FENCE_INSTRUCTION: &str
//! text_hash(text) -> String;     strip_control(text) -> (Cow<str>, usize)
//! InputVerdict::{Accepted { text, interventions, changed }, Rejected { category, interventions }, TooLong { chars, limit }}
//! OutputVerdict::{Safe { soft_findings, findings }, Unsafe { categories, findings }}
//! Intervention { category, action, rule, count }   Finding { category, rule, start, end }
//! Category (hard: Sexual, SelfHarm, Hate, WeaponsAgainstPeople, GraphicViolence;
//!           soft: Dark, Scary, Lonely, Sad, MildConflict; PromptInjection, ControlCharacters,
//!           ForbiddenImageTerm, Companionship)
//! Action::{Rejected, Rewritten, Stripped, Neutralised}
//! InjectionKind::{IgnoreInstructions, RoleReassignment, RolePrefix, SpecialToken, FakeRoleJson, PromptLeak, Jailbreak}
//! SanitizeOptions { language, hero_appearance, companion_hint }
//! SanitizedPrompt { prompt, removed_terms, companion_added }
//! SafetyEvent { user_id, function, category, action, text_hash }  (caller adds the time)
//! ```
//!
//! ```
//! use domain::Language;
//! use safety::{Engine, InputVerdict};
//!
//! let engine = Engine::global();
//! match engine.screen_input("A scary monster in the dark forest", Some(Language::En), 500) {
//!     InputVerdict::Accepted { text, .. } => {
//!         assert_eq!(text, "A silly monster in the moonlit forest")
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! assert!(engine.screen_input("stab the teacher", None, 500).is_rejected());
//! ```

mod fence;
mod fold;
mod image;
mod langdetect;
mod lexicon;
mod matcher;
mod screen;
mod types;

pub use fence::{FENCE_INSTRUCTION, fence, text_hash};
pub use fold::strip_control;
pub use image::{
    DEFAULT_COMPANION, IMAGE_STYLE, MAX_IMAGE_PROMPT_CHARS, SanitizeOptions, SanitizedPrompt,
};
pub use types::{
    Action, Category, Finding, InjectionKind, InputVerdict, Intervention, OutputVerdict,
    SafetyEvent,
};

use domain::Language;
use lexicon::{CONTENT_SOURCES, IMAGE_SOURCES, Lexicon, compile};
use std::fmt;
use std::sync::{Arc, LazyLock};

struct Inner {
    content: Lexicon,
    image: Lexicon,
}

/// The compiled rules. Build once (per cold start) and share: cloning is an `Arc` bump.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

static GLOBAL: LazyLock<Engine> = LazyLock::new(Engine::new);

impl Engine {
    /// Compiles the built-in rules into automata.
    ///
    /// # Panics
    /// Only if the built-in rule files are malformed, which the crate's tests rule out.
    pub fn new() -> Self {
        let content = compile(CONTENT_SOURCES).expect("built-in content rules are valid");
        let image = compile(IMAGE_SOURCES).expect("built-in image rules are valid");
        Self {
            inner: Arc::new(Inner { content, image }),
        }
    }

    /// The shared engine, built on first use.
    pub fn global() -> &'static Engine {
        &GLOBAL
    }
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("content_patterns", &self.inner.content.pattern_count())
            .field("sequence_rules", &self.inner.content.seqs.len())
            .field("image_patterns", &self.inner.image.pattern_count())
            .finish()
    }
}

/// [`Engine::screen_input`] on the shared engine.
pub fn screen_input(text: &str, lang_hint: Option<Language>, limit_chars: usize) -> InputVerdict {
    Engine::global().screen_input(text, lang_hint, limit_chars)
}

/// [`Engine::check_output`] on the shared engine.
pub fn check_output(text: &str, lang: Language) -> OutputVerdict {
    Engine::global().check_output(text, lang)
}

/// [`Engine::detect_injection`] on the shared engine.
pub fn detect_injection(text: &str) -> Option<InjectionKind> {
    Engine::global().detect_injection(text)
}

/// [`Engine::sanitize_image_prompt`] on the shared engine.
pub fn sanitize_image_prompt(prompt: &str, opts: SanitizeOptions<'_>) -> SanitizedPrompt {
    Engine::global().sanitize_image_prompt(prompt, &opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lexicon::Kind;

    #[test]
    fn soft_replacements_are_themselves_clean_in_every_language() {
        let engine = Engine::new();
        let mut problems = Vec::new();
        for entries in &engine.inner.content.entries {
            for e in entries {
                let Kind::Soft { replacement, .. } = &e.kind else {
                    continue;
                };
                match engine.screen_input(replacement, e.lang, 500) {
                    InputVerdict::Accepted { changed: false, .. } => {}
                    other => problems.push(format!("{replacement} ({:?}): {other:?}", e.lang)),
                }
                if engine.screen_input(replacement, None, 500).is_rejected() {
                    problems.push(format!("{replacement}: rejected without a hint"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn engine_debug_shows_sizes_not_rules() {
        let text = format!("{:?}", Engine::global());
        assert!(text.starts_with("Engine { content_patterns: "));
    }
}
