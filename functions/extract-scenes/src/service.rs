//! The scene-extraction use case, free of Lambda types.

use domain::prompts::{ChunkPart, ScenePromptInput, scene_system, scene_user, scenes_schema};
use domain::scene::{
    ExtractRequest, chunk_story_for_extraction, deterministic_split, merge_chunk_replies,
    scenes_for_chunk, validate_or_repair,
};
use domain::story::count_words;
use domain::{Language, Scene};
use edge::{ApiError, Reply};
use futures::StreamExt;
use providers::{SceneBrief, TextPurpose, TextRequest};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiring::guard::Input;
use wiring::metered::Meter;
use wiring::store_error;

/// Longest part of a story sent in one prompt (keeps prompts bounded for long stories).
pub const CHUNK_WORDS: usize = 1200;
/// Chunks extracted at once.
const CHUNK_CONCURRENCY: usize = 3;

fn fence(label: &str, text: &str) -> String {
    safety::fence(label, text)
}

fn wire(scenes: &[Scene]) -> Value {
    json!({
        "scenes": scenes.iter().map(Scene::to_wire).collect::<Vec<_>>(),
        "scene_count": scenes.len(),
    })
}

#[allow(clippy::too_many_arguments)]
async fn ask(
    meter: &Meter,
    story: &str,
    duration: f64,
    hero_name: &str,
    event: Option<&str>,
    language: Language,
    min_scenes: usize,
    max_scenes: usize,
    part: Option<ChunkPart>,
    deadline: Instant,
) -> Option<Value> {
    let input = ScenePromptInput {
        story,
        duration,
        hero_name,
        event_context: event,
        language,
        min_scenes,
        max_scenes,
        part,
    };
    let (Ok(system), Ok(user)) = (scene_system(), scene_user(&input, &fence)) else {
        return None;
    };
    let request = TextRequest {
        purpose: TextPurpose::Scenes(SceneBrief {
            story: story.to_string(),
            duration_seconds: duration.round() as u32,
            hero_name: hero_name.to_string(),
            language,
            max_scenes: max_scenes as u8,
        }),
        system: format!("{system}\n\n{}", safety::FENCE_INSTRUCTION),
        user,
        schema_name: domain::prompts::SCENES_SCHEMA_NAME.to_string(),
        schema: scenes_schema(),
        temperature: 0.7,
        max_tokens: 400 + 350 * max_scenes as u32,
        model: None,
        deadline: tokio::time::Instant::from_std(
            deadline.min(Instant::now() + Duration::from_secs(90)),
        ),
    };
    let started = Instant::now();
    match meter.providers().text.complete_json(request).await {
        Ok(reply) => {
            meter.text_call(&reply).await;
            Some(reply.json)
        }
        Err(e) => {
            tracing::warn!(error = %e, "scene model call failed; deterministic split used");
            meter
                .failed_call(
                    &meter.deps().settings.text_model,
                    started.elapsed().as_millis() as u64,
                )
                .await;
            None
        }
    }
}

/// `POST /`
pub async fn extract(
    meter: Arc<Meter>,
    body: Map<String, Value>,
    deadline: Instant,
) -> Result<Reply, ApiError> {
    let deps = meter.deps().clone();
    let req = ExtractRequest::parse(&body, deps.settings.max_story_length as usize)
        .map_err(|e| ApiError::fields(&e))?;
    let max_scenes = usize::from(deps.settings.max_scene_count);

    let stored = match req.story_id {
        Some(id) => deps
            .backend
            .stories
            .get_story(meter.user(), &id)
            .await
            .map_err(store_error)?,
        None => None,
    };
    if let Some(story) = &stored
        && !story.scenes.is_empty()
    {
        return Ok(Reply::ok(wire(&story.scenes)).with_cached(true));
    }

    // The story text and context are user-supplied here: screen them.
    let event = req.event_context.clone().unwrap_or_default();
    let inputs = [
        Input {
            field: "story_content",
            text: &req.story_content,
            limit: 60_000,
        },
        Input {
            field: "hero.name",
            text: &req.hero.name,
            limit: 50,
        },
        Input {
            field: "event_context",
            text: &event,
            limit: 500,
        },
    ];
    let cleaned = meter.screen(&inputs, Some(req.language)).await?;
    let (story, hero_name) = (cleaned[0].clone(), cleaned[1].clone());
    let event = Some(cleaned[2].clone()).filter(|e| !e.is_empty());
    if count_words(&story) < 3 {
        return Err(ApiError::invalid(
            "`story_content` is too short to split into scenes",
        ));
    }

    meter.admit(1).await?;

    let duration = req.story_duration;
    let lang = req.language;
    let chunks = chunk_story_for_extraction(&story, CHUNK_WORDS);
    let (mut scenes, report) = if chunks.len() <= 1 {
        match ask(
            &meter,
            &story,
            duration,
            &hero_name,
            event.as_deref(),
            lang,
            3,
            max_scenes,
            None,
            deadline,
        )
        .await
        {
            Some(reply) => {
                validate_or_repair(&reply, &story, duration, max_scenes, &hero_name, lang)
            }
            None => (
                deterministic_split(&story, duration, max_scenes, &hero_name, lang),
                Default::default(),
            ),
        }
    } else {
        let total = count_words(&story);
        let count = chunks.len();
        let mut calls = Vec::with_capacity(count);
        for (i, (offset, text)) in chunks.iter().enumerate() {
            let meter = meter.clone();
            let hero_name = hero_name.clone();
            let event = event.clone();
            let text = (*text).to_string();
            let words = count_words(&text);
            let start_seconds = duration * (*offset as f64) / (total.max(1) as f64);
            calls.push(async move {
                let n = scenes_for_chunk(words, total, max_scenes);
                let part = ChunkPart {
                    index: i + 1,
                    count,
                    start_seconds,
                };
                ask(
                    &meter,
                    &text,
                    duration,
                    &hero_name,
                    event.as_deref(),
                    lang,
                    n.min(3),
                    n,
                    Some(part),
                    deadline,
                )
                .await
                .unwrap_or(Value::Null)
            });
        }
        let replies: Vec<Value> = futures::stream::iter(calls)
            .buffered(CHUNK_CONCURRENCY)
            .collect()
            .await;
        merge_chunk_replies(
            &story, &chunks, &replies, duration, max_scenes, &hero_name, lang,
        )
    };
    if !report.is_clean() {
        tracing::info!(repairs = ?report.actions(), "scene reply repaired");
    }
    for scene in &mut scenes {
        scene.illustration_prompt = meter
            .sanitize_image_prompt(&scene.illustration_prompt, lang, None)
            .await;
    }
    if let Some(mut story) = stored {
        story.scenes = scenes.clone();
        story.updated_at = deps.clock.now();
        deps.backend
            .stories
            .put_story(&story)
            .await
            .map_err(store_error)?;
    }
    Ok(Reply::ok(wire(&scenes)))
}
