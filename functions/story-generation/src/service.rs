//! The story use case, free of Lambda types.

use accounting::CacheKind;
use domain::prompts::{
    HeroFacts, StoryPromptInput, story_retry, story_safety_regen, story_schema, story_system,
    story_user,
};
use domain::story::{LengthVerdict, StoryDraft, StoryRequest, estimated_duration, length_check};
use domain::{Hero, HeroId, StoryEvent, StoryId, StoryRecord};
use edge::{ApiError, Reply};
use providers::{ProviderError, StoryBrief, TextPurpose, TextReply, TextRequest};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiring::guard::Input;
use wiring::metered::Meter;
use wiring::store_error;

/// Longest a single story call may take (the function's own deadline still applies).
const CALL_BUDGET: Duration = Duration::from_secs(120);

fn fence(label: &str, text: &str) -> String {
    safety::fence(label, text)
}

struct Screened {
    hero: Hero,
    event: StoryEvent,
}

/// Screens the custom event's texts, writing the cleaned texts back.
async fn screen_event(
    meter: &Meter,
    event: &mut StoryEvent,
    req: &StoryRequest,
) -> Result<(), ApiError> {
    let StoryEvent::Custom(c) = event else {
        return Ok(());
    };
    let mut inputs: Vec<(String, String, usize)> = vec![
        ("event.data.title".into(), c.title.clone(), 100),
        ("event.data.description".into(), c.description.clone(), 500),
        ("event.data.prompt_seed".into(), c.prompt_seed.clone(), 500),
        (
            "event.data.category".into(),
            c.category.clone().unwrap_or_default(),
            50,
        ),
        (
            "event.data.tone".into(),
            c.tone.clone().unwrap_or_default(),
            50,
        ),
    ];
    for (i, k) in c.keywords.iter().enumerate() {
        inputs.push((format!("event.data.keywords[{i}]"), k.clone(), 40));
    }
    let refs: Vec<Input<'_>> = inputs
        .iter()
        .map(|(f, t, l)| Input {
            field: f,
            text: t,
            limit: *l,
        })
        .collect();
    let cleaned = meter.screen(&refs, Some(req.language)).await?;
    c.title = cleaned[0].clone();
    c.description = cleaned[1].clone();
    c.prompt_seed = cleaned[2].clone();
    if c.category.is_some() {
        c.category = Some(cleaned[3].clone());
    }
    if c.tone.is_some() {
        c.tone = Some(cleaned[4].clone());
    }
    c.keywords = cleaned[5..].to_vec();
    Ok(())
}

/// Loads the caller's hero, or stores the inline one (screened) when it is not stored yet.
async fn resolve_hero(meter: &Meter, req: &StoryRequest) -> Result<Hero, ApiError> {
    let deps = meter.deps();
    if let Some(h) = deps
        .backend
        .heroes
        .get_hero(meter.user(), &req.hero_id)
        .await
        .map_err(store_error)?
    {
        return Ok(h);
    }
    let Some(draft) = req.hero.clone() else {
        return Err(ApiError::not_found("Hero"));
    };
    let mut draft = draft;
    let fields = [
        ("hero.name", draft.name.clone(), 50),
        ("hero.primary_trait", draft.primary_trait.clone(), 40),
        ("hero.secondary_trait", draft.secondary_trait.clone(), 40),
        ("hero.appearance", draft.appearance.clone(), 500),
        ("hero.special_ability", draft.special_ability.clone(), 200),
    ];
    let refs: Vec<Input<'_>> = fields
        .iter()
        .map(|(f, t, l)| Input {
            field: f,
            text: t,
            limit: *l,
        })
        .collect();
    let cleaned = meter.screen(&refs, Some(req.language)).await?;
    draft.name = cleaned[0].clone();
    draft.primary_trait = cleaned[1].clone();
    draft.secondary_trait = cleaned[2].clone();
    draft.appearance = cleaned[3].clone();
    draft.special_ability = cleaned[4].clone();
    let hero = Hero::from_draft(req.hero_id, meter.user().clone(), draft, deps.clock.now());
    deps.backend
        .heroes
        .put_hero(&hero)
        .await
        .map_err(store_error)?;
    tracing::info!(hero_id = %hero.id, "inline hero stored before story generation");
    Ok(hero)
}

fn cache_key(hero: &Hero, req: &StoryRequest, provider: &str) -> String {
    accounting::Cache::key(&[
        &hero.id.to_string(),
        &hero.updated_at.to_rfc3339(),
        &req.event.cache_key(),
        &req.target_duration.to_string(),
        req.language.code(),
        provider,
    ])
}

fn wire(story: &StoryRecord) -> Value {
    json!({
        "story_id": story.id.to_string(),
        "title": story.title,
        "content": story.content,
        "estimated_duration": story.estimated_duration,
        "word_count": story.word_count,
        "language": story.language.code(),
        "hero_id": story.hero_id.map(|h| h.to_string()),
        "event_title": story.event_title,
        "created_at": story.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "scenes": story.scenes.iter().map(domain::Scene::to_wire).collect::<Vec<_>>(),
    })
}

async fn call_model(
    meter: &Meter,
    system: &str,
    user: String,
    brief: &StoryBrief,
    budget: u32,
    deadline: Instant,
) -> Result<TextReply, ApiError> {
    let deadline = deadline.min(Instant::now() + CALL_BUDGET);
    let request = TextRequest {
        purpose: TextPurpose::Story(brief.clone()),
        system: system.to_string(),
        user,
        schema_name: domain::prompts::STORY_SCHEMA_NAME.to_string(),
        schema: story_schema(),
        temperature: 0.8,
        // ~1.6 tokens per word covers all five languages, plus room for scenes.
        max_tokens: (budget as f64 * 2.2) as u32 + 1200,
        model: None,
        deadline: tokio::time::Instant::from_std(deadline),
    };
    let started = Instant::now();
    match meter.providers().text.complete_json(request).await {
        Ok(reply) => {
            meter.text_call(&reply).await;
            Ok(reply)
        }
        Err(e) => {
            tracing::warn!(error = %e, "story model call failed");
            if e.is_retryable()
                || matches!(e, ProviderError::Timeout | ProviderError::DeadlineExceeded)
            {
                meter
                    .failed_call(
                        &meter.deps().settings.text_model,
                        started.elapsed().as_millis() as u64,
                    )
                    .await;
            }
            Err(wiring::provider_error(&e, "story"))
        }
    }
}

/// `POST /`
pub async fn generate(
    meter: Arc<Meter>,
    body: Map<String, Value>,
    deadline: Instant,
) -> Result<Reply, ApiError> {
    let req = StoryRequest::parse(&body).map_err(|e| ApiError::fields(&e))?;
    let deps = meter.deps().clone();
    let mut event = req.event.clone();
    let hero = resolve_hero(&meter, &req).await?;
    screen_event(&meter, &mut event, &req).await?;
    let screened = Screened { hero, event };

    let provider = meter.providers().kind.as_str();
    let key = cache_key(&screened.hero, &req, provider);
    if !req.regenerate
        && let Some(hit) = deps
            .cache
            .get(meter.user(), CacheKind::Story, &key)
            .await
            .map_err(store_error)?
        && let Some(id) = hit
            .get("story_id")
            .and_then(Value::as_str)
            .and_then(StoryId::parse)
    {
        match deps
            .backend
            .stories
            .get_story(meter.user(), &id)
            .await
            .map_err(store_error)?
        {
            Some(story) => {
                meter.cached_call(&deps.settings.text_model).await;
                return Ok(Reply::ok(wire(&story)).with_cached(true));
            }
            None => {
                deps.cache
                    .invalidate(meter.user(), CacheKind::Story, &key)
                    .await
            }
        }
    }

    meter.admit(1).await?;

    let hero = &screened.hero;
    let lang = req.language;
    let budget = req.word_budget();
    let max_scenes = usize::from(deps.settings.max_scene_count);
    let premise = match &screened.event {
        StoryEvent::BuiltIn(e) => e.premise(lang).to_string(),
        StoryEvent::Custom(c) => format!("{} {}", c.description, c.prompt_seed)
            .trim()
            .to_string(),
    };
    let brief = StoryBrief {
        hero_name: hero.name.clone(),
        primary_trait: hero.primary_trait.clone(),
        secondary_trait: hero.secondary_trait.clone(),
        appearance: hero.appearance.clone(),
        special_ability: hero.special_ability.clone(),
        event_title: screened.event.title(lang).to_string(),
        event_premise: premise,
        language: lang,
        word_budget: budget,
        max_scenes: max_scenes as u8,
    };
    let system = format!(
        "{}\n\n{}",
        story_system(lang).map_err(|_| ApiError::internal())?,
        safety::FENCE_INSTRUCTION
    );
    let input = StoryPromptInput {
        hero: HeroFacts::from(hero),
        event: &screened.event,
        language: lang,
        word_budget: budget,
        max_scenes,
    };
    let user_prompt = story_user(&input, &fence).map_err(|_| ApiError::internal())?;

    let mut prompt = user_prompt.clone();
    let mut length_retried = false;
    let mut safety_retried = false;
    let mut malformed_retried = false;
    let mut d = loop {
        let reply = call_model(&meter, &system, prompt.clone(), &brief, budget, deadline).await?;
        let parsed = StoryDraft::parse(&reply.json, lang, max_scenes, &hero.name);
        let d = match parsed {
            Ok((d, report)) => {
                if !report.is_clean() {
                    tracing::info!(repairs = ?report.actions(), "story scenes repaired");
                }
                d
            }
            Err(e) => {
                tracing::warn!(error = %e, "malformed story reply");
                if malformed_retried {
                    return Err(ApiError::upstream(
                        "The story service returned an unusable story",
                    ));
                }
                malformed_retried = true;
                continue;
            }
        };
        let words = d.word_count();
        if length_check(words, budget) != LengthVerdict::Ok && !length_retried {
            length_retried = true;
            tracing::info!(words, budget, "story length off target; corrective retry");
            let fix = story_retry(lang, words, budget).map_err(|_| ApiError::internal())?;
            prompt = format!("{user_prompt}\n\n{fix}");
            continue;
        }
        let findings = meter.review_story(&d.title, &d.content, lang).await;
        if findings.is_empty() {
            break d;
        }
        if safety_retried {
            return Err(ApiError::content_rejected("unsafe_story", None));
        }
        safety_retried = true;
        tracing::warn!(
            findings = findings.len(),
            "story failed the safety review; regenerating once"
        );
        let regen = story_safety_regen(lang, &findings, budget, &fence)
            .map_err(|_| ApiError::internal())?;
        prompt = format!("{user_prompt}\n\n{regen}");
    };

    // Illustration prompts go through the image-prompt sanitiser with the hero's look.
    let appearance = hero
        .visual_profile
        .as_ref()
        .and_then(|p| p.canonical_prompt.clone())
        .unwrap_or_else(|| hero.appearance.clone());
    for scene in &mut d.scenes {
        scene.illustration_prompt = meter
            .sanitize_image_prompt(
                &scene.illustration_prompt,
                lang,
                Some(&appearance)
                    .filter(|a| !a.is_empty())
                    .map(String::as_str),
            )
            .await;
    }

    let now = deps.clock.now();
    let words = d.word_count();
    let story = StoryRecord {
        id: StoryId::new_random(),
        user_id: meter.user().clone(),
        hero_id: Some(HeroId::from(hero.id.as_uuid())),
        title: d.title,
        content: d.content,
        language: lang,
        word_count: words as u32,
        estimated_duration: estimated_duration(words, lang),
        event_title: screened.event.title(lang).to_string(),
        scenes: d.scenes,
        audio: None,
        created_at: now,
        updated_at: now,
    };
    deps.backend
        .stories
        .put_story(&story)
        .await
        .map_err(store_error)?;
    deps.cache
        .put(
            meter.user(),
            CacheKind::Story,
            &key,
            &json!({"story_id": story.id.to_string()}),
        )
        .await;
    tracing::info!(story_id = %story.id, words, language = lang.code(), "story generated");
    Ok(Reply::ok(wire(&story)))
}
