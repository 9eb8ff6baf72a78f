//! The content-safety pipeline around the pure engine (SPEC §7): input screening with the
//! term rules plus provider moderation, the output review of generated stories (rules,
//! moderation and an AI child-safety review), image-prompt sanitising, and a safety event
//! (hash of the text, never the text) for every intervention. When moderation or the review
//! is unavailable the rules still run and the response says so in `meta`.

use crate::metered::Meter;
use domain::Language;
use domain::prompts::{
    SafetyReview, safety_review_schema, safety_review_system, safety_review_user,
};
use edge::ApiError;
use providers::{TextPurpose, TextRequest};
use safety::{Action, Category, Engine, InputVerdict, SafetyEvent, SanitizeOptions};
use serde_json::json;
use std::time::Instant;
use storage::SafetyEventRecord;

/// Retention of safety events.
pub const SAFETY_EVENT_RETENTION_DAYS: i64 = 365;

/// Moderation categories that reject user input or a story outright. Plain `violence` and
/// `harassment` are left to the term rules: fairy tales have dragons and grumpy trolls.
const HARD_MODERATION: &[&str] = &[
    "sexual",
    "sexual/minors",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "hate",
    "hate/threatening",
    "violence/graphic",
    "harassment/threatening",
    "illicit/violent",
];

/// One piece of user text to screen.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Field path reported on rejection (`hero.name`, `event.data.prompt_seed`).
    pub field: &'a str,
    /// The text.
    pub text: &'a str,
    /// Longest accepted length, chars.
    pub limit: usize,
}

fn moderation_category(categories: &[String]) -> Option<String> {
    categories
        .iter()
        .find(|c| HARD_MODERATION.contains(&c.as_str()))
        .map(|c| {
            match c.split('/').next().unwrap_or(c) {
                "sexual" => "sexual",
                "self-harm" => "self_harm",
                "hate" => "hate",
                "violence" | "illicit" => "graphic_violence",
                _ => "harassment",
            }
            .to_string()
        })
}

impl Meter {
    fn engine(&self) -> &'static Engine {
        Engine::global()
    }

    /// Stores safety events (best effort: a failed write is logged, never fails the request).
    pub async fn log_safety(&self, events: Vec<SafetyEvent>) {
        for e in events {
            self.write_event(
                e.user_id,
                e.function,
                e.category.as_str(),
                e.action.as_str(),
                e.text_hash,
            )
            .await;
        }
    }

    /// Stores one safety event with a free-form category (output review findings).
    async fn log_event(&self, category: &str, action: &str, text: &str) {
        self.write_event(
            self.user().as_str().to_string(),
            self.function().as_str().to_string(),
            category,
            action,
            safety::text_hash(text),
        )
        .await;
    }

    /// Writes one safety event record (hash only, kept a year); a failed write is logged.
    async fn write_event(
        &self,
        user_id: String,
        function_name: String,
        category: &str,
        action: &str,
        text_hash: String,
    ) {
        let now = self.deps().clock.now();
        let rec = SafetyEventRecord {
            id: uuid::Uuid::new_v4().to_string(),
            user_id,
            function_name,
            category: category.to_string(),
            action: action.to_string(),
            text_hash,
            created_at: now,
            expires_at: now + chrono::Duration::days(SAFETY_EVENT_RETENTION_DAYS),
        };
        tracing::info!(category, action, function = %rec.function_name, "safety intervention");
        if let Err(err) = self
            .deps()
            .backend
            .safety_events
            .record_safety_event(&rec)
            .await
        {
            tracing::error!(error = %err, "safety event write failed");
        }
    }

    fn event(&self, category: Category, action: Action, text: &str) -> SafetyEvent {
        SafetyEvent::new(
            self.user().as_str(),
            self.function().as_str(),
            category,
            action,
            text,
        )
    }

    /// Screens user texts (rules, then one moderation call over all of them). Returns the
    /// cleaned texts in order: control characters stripped, soft words rewritten, injection
    /// attempts neutralised. Hard content → 422 `CONTENT_REJECTED` naming category and field.
    pub async fn screen(
        &self,
        inputs: &[Input<'_>],
        language: Option<Language>,
    ) -> Result<Vec<String>, ApiError> {
        let engine = self.engine();
        let mut out = Vec::with_capacity(inputs.len());
        for input in inputs {
            let verdict = engine.screen_input(input.text, language, input.limit);
            let events =
                verdict.safety_events(self.user().as_str(), self.function().as_str(), input.text);
            match verdict {
                InputVerdict::Accepted { text, .. } => {
                    self.log_safety(events).await;
                    out.push(text);
                }
                InputVerdict::Rejected { category, .. } => {
                    self.log_safety(events).await;
                    return Err(ApiError::content_rejected(
                        category.as_str(),
                        Some(input.field),
                    ));
                }
                InputVerdict::TooLong { limit, .. } => {
                    return Err(ApiError::invalid(format!(
                        "Invalid field `{}`: must be at most {limit} characters",
                        input.field
                    ))
                    .with_details(json!({"fields": [{"field": input.field, "message": format!("must be at most {limit} characters")}]})));
                }
            }
        }
        let joined: Vec<String> = out
            .iter()
            .filter(|t| !t.trim().is_empty())
            .cloned()
            .collect();
        if !joined.is_empty()
            && let Some(category) = self.moderate(&joined).await
        {
            let field = inputs.first().map(|i| i.field);
            self.log_event(&category, Action::Rejected.as_str(), &joined.join("\n"))
                .await;
            return Err(ApiError::content_rejected(&category, field));
        }
        Ok(out)
    }

    /// Provider moderation (when enabled). `Some(category)` when a hard category is flagged;
    /// `None` when clean or when moderation is unavailable (then `meta.moderation` says so).
    async fn moderate(&self, texts: &[String]) -> Option<String> {
        if !self.deps().settings.enable_ai_content_filtering {
            return None;
        }
        let started = Instant::now();
        match self.providers().moderation.moderate(texts).await {
            Ok(reply) => {
                self.moderation_call(&reply.model, started.elapsed().as_millis() as u64)
                    .await;
                if reply.flagged {
                    moderation_category(&reply.categories)
                } else {
                    None
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "moderation unavailable; term rules still applied");
                self.note_meta("moderation", json!("unavailable"));
                None
            }
        }
    }

    /// Reviews a generated story: term rules, moderation and the AI child-safety review.
    /// Returns the findings (empty when the story is safe for a child).
    pub async fn review_story(
        &self,
        title: &str,
        content: &str,
        language: Language,
    ) -> Vec<String> {
        let engine = self.engine();
        let mut findings = Vec::new();
        let mut categories: Vec<String> = Vec::new();
        let whole = format!("{title}\n\n{content}");
        let verdict = engine.check_output(&whole, language);
        if !verdict.is_safe() {
            for f in verdict.findings().iter().filter(|f| f.category.is_hard()) {
                findings.push(format!("{}: avoid \"{}\"", f.category.as_str(), f.rule));
                categories.push(f.category.as_str().to_string());
            }
        }
        if let Some(category) = self.moderate(std::slice::from_ref(&whole)).await {
            findings.push(format!("{category}: flagged by moderation"));
            categories.push(category);
        }
        if self.deps().settings.enable_ai_content_filtering {
            let review = self.ai_review(title, content, language).await;
            categories.extend(
                review
                    .iter()
                    .map(|f| f.split(':').next().unwrap_or("review").trim().to_string()),
            );
            findings.extend(review);
        }
        categories.sort();
        categories.dedup();
        for category in categories {
            self.log_event(&category, "story_failed_review", &whole)
                .await;
        }
        findings
    }

    async fn ai_review(&self, title: &str, content: &str, language: Language) -> Vec<String> {
        let fence = |label: &str, text: &str| safety::fence(label, text);
        let (Ok(system), Ok(user)) = (
            safety_review_system(),
            safety_review_user(title, content, language, &fence),
        ) else {
            return Vec::new();
        };
        let request = TextRequest {
            purpose: TextPurpose::SafetyReview {
                text: content.to_string(),
            },
            system: format!("{system}\n\n{}", safety::FENCE_INSTRUCTION),
            user,
            schema_name: domain::prompts::SAFETY_REVIEW_SCHEMA_NAME.to_string(),
            schema: safety_review_schema(),
            temperature: 0.0,
            max_tokens: 800,
            model: Some(self.deps().settings.review_model.clone()),
            deadline: tokio::time::Instant::now() + std::time::Duration::from_secs(30),
        };
        match self.providers().text.complete_json(request).await {
            Ok(reply) => {
                self.text_call(&reply).await;
                match serde_json::from_value::<SafetyReview>(reply.json) {
                    Ok(review) if review.safe => Vec::new(),
                    Ok(review) => {
                        let f = review.findings();
                        if f.is_empty() {
                            vec!["review: not safe for children".to_string()]
                        } else {
                            f
                        }
                    }
                    Err(_) => {
                        self.note_meta("safety_review", json!("unavailable"));
                        Vec::new()
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "safety review unavailable; rules still applied");
                self.note_meta("safety_review", json!("unavailable"));
                Vec::new()
            }
        }
    }

    /// Sanitises an image prompt (forbidden terms out, picture-book style in, a companion
    /// always present), logging what changed.
    pub async fn sanitize_image_prompt(
        &self,
        prompt: &str,
        language: Language,
        hero_appearance: Option<&str>,
    ) -> String {
        let out = self.engine().sanitize_image_prompt(
            prompt,
            &SanitizeOptions {
                language,
                hero_appearance,
                companion_hint: None,
            },
        );
        let mut events = Vec::new();
        if !out.removed_terms.is_empty() {
            events.push(self.event(Category::ForbiddenImageTerm, Action::Stripped, prompt));
        }
        if out.companion_added {
            events.push(self.event(Category::Companionship, Action::Rewritten, prompt));
        }
        self.log_safety(events).await;
        out.prompt
    }
}
