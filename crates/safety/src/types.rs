//! The values the engine hands back: categories, actions, interventions and verdicts.
//!
//! Nothing here carries user text except the cleaned/rewritten text of an accepted input
//! (which the caller asked for). Rules are named by their dictionary pattern, never by the
//! user's spelling.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a rule is about. The first five are *hard* (the input is rejected, a story fails),
/// the next five are *soft* (rewritten into gentle equivalents on input, reported on output);
/// the rest label the engine's other interventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Sexual content, nudity, sexual violence.
    Sexual,
    /// Suicide, self-injury, wishing to die.
    SelfHarm,
    /// Slurs, dehumanisation, calls for violence against groups.
    Hate,
    /// Killing people, gore, torture, mutilation.
    GraphicViolence,
    /// Weapons used or aimed against people (shooting, stabbing, bombing).
    WeaponsAgainstPeople,
    /// Darkness words ("the dark forest").
    Dark,
    /// Frightening words ("a scary monster").
    Scary,
    /// Loneliness words ("all alone").
    Lonely,
    /// Sadness words ("a sad puppy").
    Sad,
    /// Mild conflict ("fight", "bully", "punched him").
    MildConflict,
    /// A prompt-injection attempt.
    PromptInjection,
    /// Control or invisible characters.
    ControlCharacters,
    /// A term an illustration must not contain (realism, weapons, gore, brands, …).
    ForbiddenImageTerm,
    /// A picture in which the hero would be alone.
    Companionship,
}

impl Category {
    /// Hard categories in priority order. When several match, sexual, self-harm and hate
    /// win over violence; between graphic violence and weapons the phrase that comes first
    /// in the text names the rejection (ties go to graphic violence).
    pub const HARD: [Category; 5] = [
        Category::Sexual,
        Category::SelfHarm,
        Category::Hate,
        Category::GraphicViolence,
        Category::WeaponsAgainstPeople,
    ];

    /// Soft categories.
    pub const SOFT: [Category; 5] = [
        Category::Dark,
        Category::Scary,
        Category::Lonely,
        Category::Sad,
        Category::MildConflict,
    ];

    /// Every category.
    pub const ALL: [Category; 14] = [
        Category::Sexual,
        Category::SelfHarm,
        Category::Hate,
        Category::GraphicViolence,
        Category::WeaponsAgainstPeople,
        Category::Dark,
        Category::Scary,
        Category::Lonely,
        Category::Sad,
        Category::MildConflict,
        Category::PromptInjection,
        Category::ControlCharacters,
        Category::ForbiddenImageTerm,
        Category::Companionship,
    ];

    /// True for the categories that reject an input.
    pub fn is_hard(self) -> bool {
        Self::HARD.contains(&self)
    }

    /// True for the categories that are rewritten on input.
    pub fn is_soft(self) -> bool {
        Self::SOFT.contains(&self)
    }

    /// The snake_case wire name (`self_harm`, `mild_conflict`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sexual => "sexual",
            Self::SelfHarm => "self_harm",
            Self::Hate => "hate",
            Self::WeaponsAgainstPeople => "weapons_against_people",
            Self::GraphicViolence => "graphic_violence",
            Self::Dark => "dark",
            Self::Scary => "scary",
            Self::Lonely => "lonely",
            Self::Sad => "sad",
            Self::MildConflict => "mild_conflict",
            Self::PromptInjection => "prompt_injection",
            Self::ControlCharacters => "control_characters",
            Self::ForbiddenImageTerm => "forbidden_image_term",
            Self::Companionship => "companionship",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    /// 0 for sexual, self-harm and hate; 1 for violence and weapons; 2 otherwise.
    pub(crate) fn severity_tier(self) -> usize {
        match self {
            Self::Sexual | Self::SelfHarm | Self::Hate => 0,
            Self::GraphicViolence | Self::WeaponsAgainstPeople => 1,
            _ => 2,
        }
    }

    /// Position in [`Category::HARD`] (lower = more important); soft and other
    /// categories sort after every hard one.
    pub(crate) fn severity_rank(self) -> usize {
        Self::HARD
            .iter()
            .position(|c| *c == self)
            .unwrap_or(Self::HARD.len())
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the engine did about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The whole text was refused.
    Rejected,
    /// Words were replaced by gentle equivalents (or removed from an image prompt).
    Rewritten,
    /// Invisible or control characters were removed.
    Stripped,
    /// A prompt-injection attempt was removed.
    Neutralised,
}

impl Action {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rejected => "rejected",
            Self::Rewritten => "rewritten",
            Self::Stripped => "stripped",
            Self::Neutralised => "neutralised",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of prompt-injection the engine recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InjectionKind {
    /// "ignore all previous instructions", "disregard the above", and translations.
    IgnoreInstructions,
    /// "you are now …", "from now on you are …".
    RoleReassignment,
    /// A chat-role prefix such as `system:` or `assistant:` at the start of a line.
    RolePrefix,
    /// Chat-template tokens: `<|im_start|>`, `[INST]`, `### system`, `<<SYS>>`, ….
    SpecialToken,
    /// A fake chat message in JSON: `{"role": "system", …}`.
    FakeRoleJson,
    /// Attempts to read the hidden prompt ("reveal your system prompt").
    PromptLeak,
    /// Known jailbreak phrasing ("DAN", "developer mode", "bypass your filters").
    Jailbreak,
}

impl InjectionKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IgnoreInstructions => "ignore_instructions",
            Self::RoleReassignment => "role_reassignment",
            Self::RolePrefix => "role_prefix",
            Self::SpecialToken => "special_token",
            Self::FakeRoleJson => "fake_role_json",
            Self::PromptLeak => "prompt_leak",
            Self::Jailbreak => "jailbreak",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::IgnoreInstructions,
            Self::RoleReassignment,
            Self::RolePrefix,
            Self::SpecialToken,
            Self::FakeRoleJson,
            Self::PromptLeak,
            Self::Jailbreak,
        ]
        .into_iter()
        .find(|k| k.as_str() == raw)
    }
}

impl fmt::Display for InjectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the engine did to (or found in) a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intervention {
    /// What the finding is about.
    pub category: Category,
    /// What was done.
    pub action: Action,
    /// The dictionary rule that fired (our pattern, never the user's text).
    pub rule: String,
    /// How many times this rule fired with this action.
    pub count: u32,
}

/// The outcome of [`crate::Engine::screen_input`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputVerdict {
    /// The text may be used; `text` is the cleaned (and possibly rewritten) version.
    Accepted {
        /// Control characters stripped, soft words rewritten, injections neutralised.
        text: String,
        /// Everything that was done, in order.
        interventions: Vec<Intervention>,
        /// True when `text` differs from the input in any byte.
        changed: bool,
    },
    /// The text contains hard content and must not be used (422 `CONTENT_REJECTED`).
    Rejected {
        /// The most important hard category found.
        category: Category,
        /// Every finding (hard ones carry [`Action::Rejected`]).
        interventions: Vec<Intervention>,
    },
    /// The text is longer than the caller's limit (counted in chars after stripping).
    TooLong {
        /// Length of the text in chars.
        chars: usize,
        /// The limit that applied.
        limit: usize,
    },
}

impl InputVerdict {
    /// The usable text, if accepted.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Accepted { text, .. } => Some(text),
            _ => None,
        }
    }

    /// True when the input was rejected for hard content.
    pub fn is_rejected(&self) -> bool {
        matches!(self, Self::Rejected { .. })
    }

    /// The rejection category, if rejected.
    pub fn rejected_category(&self) -> Option<Category> {
        match self {
            Self::Rejected { category, .. } => Some(*category),
            _ => None,
        }
    }

    /// True when the accepted text differs from the input.
    pub fn changed(&self) -> bool {
        match self {
            Self::Accepted { changed, .. } => *changed,
            Self::Rejected { .. } | Self::TooLong { .. } => true,
        }
    }

    /// Everything the engine did or found.
    pub fn interventions(&self) -> &[Intervention] {
        match self {
            Self::Accepted { interventions, .. } | Self::Rejected { interventions, .. } => {
                interventions
            }
            Self::TooLong { .. } => &[],
        }
    }

    /// One [`SafetyEvent`] per intervention, for the review log. `original` is the text
    /// that was screened; only its hash is kept.
    pub fn safety_events(&self, user_id: &str, function: &str, original: &str) -> Vec<SafetyEvent> {
        let hash = crate::text_hash(original);
        self.interventions()
            .iter()
            .map(|i| SafetyEvent {
                user_id: user_id.to_owned(),
                function: function.to_owned(),
                category: i.category,
                action: i.action,
                text_hash: hash.clone(),
            })
            .collect()
    }
}

/// A rule that matched a generated text. Offsets are byte offsets into the checked text so
/// a regeneration prompt can quote the problem; nothing else about the text is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What the finding is about.
    pub category: Category,
    /// The dictionary rule that fired.
    pub rule: String,
    /// Start byte offset in the checked text.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

/// The outcome of [`crate::Engine::check_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputVerdict {
    /// No hard term; soft terms are allowed in a story but reported.
    Safe {
        /// How many soft findings there were.
        soft_findings: usize,
        /// The soft findings.
        findings: Vec<Finding>,
    },
    /// At least one hard term: the story must not be stored or returned.
    Unsafe {
        /// Hard categories found, most important first.
        categories: Vec<Category>,
        /// Every finding, hard and soft, in text order.
        findings: Vec<Finding>,
    },
}

impl OutputVerdict {
    /// True when the text has no hard finding.
    pub fn is_safe(&self) -> bool {
        matches!(self, Self::Safe { .. })
    }

    /// All findings in text order.
    pub fn findings(&self) -> &[Finding] {
        match self {
            Self::Safe { findings, .. } | Self::Unsafe { findings, .. } => findings,
        }
    }
}

/// A record of one intervention for the review log: who, where, what — and a hash of the
/// text, never the text. The caller adds the timestamp when it stores the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyEvent {
    /// The user whose text it was.
    pub user_id: String,
    /// The function that screened it (`story-generation`, `heroes`, …).
    pub function: String,
    /// What the finding was about.
    pub category: Category,
    /// What was done.
    pub action: Action,
    /// `text_hash` of the screened text (sha256, lower-case hex).
    pub text_hash: String,
}

impl SafetyEvent {
    /// Builds an event, hashing `text` (which is not kept).
    pub fn new(
        user_id: impl Into<String>,
        function: impl Into<String>,
        category: Category,
        action: Action,
        text: &str,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            function: function.into(),
            category,
            action,
            text_hash: crate::text_hash(text),
        }
    }
}
