//! The scene-illustration use case, free of Lambda types.

use domain::illustration::{
    CANONICAL_MAX_CHARS, IllustrationRequest, IllustrationScene, SAFER_SCENE_PROMPT,
    SCENE_PROMPT_MAX_CHARS, STYLE_MAX_CHARS, scene_prompt,
};
use domain::{IllustrationStatus, Language, SceneIllustration, StoryId};
use edge::{ApiError, Reply};
use futures::StreamExt;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Instant;
use storage::Bucket;
use wiring::guard::Input;
use wiring::images::{self, ImageJob, PaintError, StoredImage};
use wiring::metered::Meter;
use wiring::store_error;

/// How one scene ended.
enum Outcome {
    /// Painted (or served from the cache); `rewritten` when the safer prompt was used.
    Done { image: StoredImage, rewritten: bool },
    /// Failed with a client-safe reason.
    Failed(String),
}

/// What every scene painting shares.
struct Painter {
    meter: Arc<Meter>,
    /// The stored story whose per-scene status is kept, if the id names one.
    story: Option<StoryId>,
    /// Blob prefix under the caller (`stories/{id}` or `illustrations`).
    prefix: String,
    canonical: Option<String>,
    language: Language,
    deadline: Instant,
}

impl Painter {
    /// Writes a scene's status for a stored story (best effort: the picture matters more
    /// than its progress record).
    async fn record(
        &self,
        scene_number: u32,
        status: IllustrationStatus,
        image: Option<&StoredImage>,
        error_message: Option<&str>,
    ) {
        let Some(story_id) = self.story else {
            return;
        };
        let deps = self.meter.deps();
        let state = SceneIllustration {
            story_id,
            scene_number,
            status,
            image_key: image.map(|i| i.key.as_str().to_string()),
            generation_id: image.map(|i| i.generation_id.clone()),
            revised_prompt: image.and_then(|i| i.revised_prompt.clone()),
            error_message: error_message.map(str::to_string),
            updated_at: deps.clock.now(),
        };
        if let Err(e) = deps
            .backend
            .stories
            .put_illustration(self.meter.user(), &state)
            .await
        {
            tracing::warn!(error = %e, scene_number, "illustration status write failed");
        }
    }

    /// Paints one scene; a content-policy refusal is retried once with a gentle generic
    /// scene of the hero and a friend.
    async fn paint(&self, scene: &IllustrationScene, job: &ImageJob) -> Outcome {
        self.record(
            scene.scene_number,
            IllustrationStatus::Processing,
            None,
            None,
        )
        .await;
        let bucket = Bucket::StoryIllustrations;
        let first = images::paint(&self.meter, job, bucket, &self.prefix, self.deadline).await;
        let result = match first {
            Err(e) if e.is_content_policy() => {
                tracing::info!(
                    scene_number = scene.scene_number,
                    "scene refused; retrying with a safer prompt"
                );
                let prompt = self
                    .meter
                    .sanitize_image_prompt(
                        SAFER_SCENE_PROMPT,
                        self.language,
                        self.canonical.as_deref(),
                    )
                    .await;
                let safer = ImageJob {
                    prompt,
                    options: job.options.clone(),
                };
                self.paint_or_reuse(&safer).await.map(|image| (image, true))
            }
            other => other.map(|image| (image, false)),
        };
        match result {
            Ok((image, rewritten)) => {
                self.record(
                    scene.scene_number,
                    IllustrationStatus::Completed,
                    Some(&image),
                    None,
                )
                .await;
                Outcome::Done { image, rewritten }
            }
            Err(e) => {
                if e.never_reached_provider() {
                    self.meter.refund_units(1).await;
                }
                let message = e.client_message();
                self.record(
                    scene.scene_number,
                    IllustrationStatus::Failed,
                    None,
                    Some(&message),
                )
                .await;
                Outcome::Failed(message)
            }
        }
    }

    async fn paint_or_reuse(&self, job: &ImageJob) -> Result<StoredImage, PaintError> {
        let bucket = Bucket::StoryIllustrations;
        if let Ok(Some(hit)) = images::lookup(&self.meter, job, bucket, &self.prefix).await {
            return Ok(hit);
        }
        images::paint(&self.meter, job, bucket, &self.prefix, self.deadline).await
    }
}

/// Screens the user texts, returning the cleaned scene prompts, the cleaned appearance from
/// the body (when used) and the cleaned style.
async fn screen(
    meter: &Meter,
    req: &IllustrationRequest,
    body_canonical: Option<&str>,
) -> Result<(Vec<String>, Option<String>, String), ApiError> {
    let fields: Vec<String> = (0..req.scenes.len())
        .map(|i| format!("scenes[{i}].prompt"))
        .collect();
    let mut inputs: Vec<Input<'_>> = req
        .scenes
        .iter()
        .zip(&fields)
        .map(|(s, f)| Input {
            field: f,
            text: &s.prompt,
            limit: SCENE_PROMPT_MAX_CHARS,
        })
        .collect();
    let style = req.options.style.clone().unwrap_or_default();
    inputs.push(Input {
        field: "style",
        text: &style,
        limit: STYLE_MAX_CHARS,
    });
    if let Some(c) = body_canonical {
        inputs.push(Input {
            field: "hero_visual_profile",
            text: c,
            limit: CANONICAL_MAX_CHARS + 300,
        });
    }
    let mut cleaned = meter.screen(&inputs, Some(req.language)).await?;
    let canonical = body_canonical.and_then(|_| cleaned.pop());
    let style = cleaned.pop().unwrap_or_default();
    Ok((cleaned, canonical, style))
}

fn wire_scene(scene: &IllustrationScene, outcome: &Outcome, url: Option<String>) -> Value {
    match outcome {
        Outcome::Done { image, rewritten } => json!({
            "scene_number": scene.scene_number,
            "timestamp": scene.timestamp,
            "image_url": url,
            "generation_id": image.generation_id,
            "revised_prompt": image.revised_prompt,
            "status": "completed",
            "error_message": null,
            "cached": image.cached,
            "prompt_rewritten": rewritten,
            "file_size_bytes": image.file_size_bytes,
            "image_size": image.size_used,
        }),
        Outcome::Failed(message) => json!({
            "scene_number": scene.scene_number,
            "timestamp": scene.timestamp,
            "image_url": null,
            "generation_id": null,
            "revised_prompt": null,
            "status": "failed",
            "error_message": message,
            "cached": false,
            "prompt_rewritten": false,
        }),
    }
}

/// `POST /`
pub async fn illustrate(
    meter: Arc<Meter>,
    body: Map<String, Value>,
    deadline: Instant,
) -> Result<Reply, ApiError> {
    let deps = meter.deps().clone();
    let max_scenes = usize::from(deps.settings.max_scene_count);
    let req = IllustrationRequest::parse(&body, max_scenes).map_err(|e| ApiError::fields(&e))?;
    let lang = req.language;

    // The stored hero's canonical appearance wins; else the look the body describes.
    let stored_hero = match req.hero_id {
        Some(id) => deps
            .backend
            .heroes
            .get_hero(meter.user(), &id)
            .await
            .map_err(store_error)?,
        None => None,
    };
    let body_canonical = match &stored_hero {
        Some(_) => None,
        None => req.hero_look.as_ref().and_then(|l| l.canonical()),
    };
    let (prompts, body_canonical, style) = screen(&meter, &req, body_canonical.as_deref()).await?;
    let canonical = match &stored_hero {
        Some(h) => Some(h.canonical_appearance()),
        None => body_canonical.filter(|c| !c.trim().is_empty()),
    };
    let mut options = req.options.clone();
    let (style, style_kept) = images::safe_style(Some(&style), lang);
    options.style = style;
    if !style_kept {
        meter.note_meta("style", json!("ignored"));
    }
    if req.process_async {
        meter.note_meta("processing", json!("synchronous"));
    }

    let story = match req.story_id {
        Some(id) => deps
            .backend
            .stories
            .get_story(meter.user(), &id)
            .await
            .map_err(store_error)?
            .map(|s| s.id),
        None => None,
    };
    let prefix = match req.story_id {
        Some(id) => stories::media_prefix(&id),
        None => "illustrations".to_string(),
    };

    let mut jobs = Vec::with_capacity(req.scenes.len());
    for (scene, text) in req.scenes.iter().zip(&prompts) {
        let prompt = meter
            .sanitize_image_prompt(&scene_prompt(scene, text), lang, canonical.as_deref())
            .await;
        jobs.push(ImageJob {
            prompt,
            options: options.clone(),
        });
    }

    // Cached scenes cost nothing: look them up before charging for the rest.
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let hit = images::lookup(&meter, job, Bucket::StoryIllustrations, &prefix).await?;
        outcomes.push(hit.map(|image| Outcome::Done {
            image,
            rewritten: false,
        }));
    }
    let misses: Vec<usize> = (0..jobs.len()).filter(|i| outcomes[*i].is_none()).collect();
    if !misses.is_empty() {
        meter.admit(misses.len() as u32).await?;
    }

    let painter = Arc::new(Painter {
        meter: meter.clone(),
        story,
        prefix,
        canonical,
        language: lang,
        deadline,
    });
    for (scene, outcome) in req.scenes.iter().zip(&outcomes) {
        match outcome {
            Some(Outcome::Done { image, .. }) => {
                painter
                    .record(
                        scene.scene_number,
                        IllustrationStatus::Completed,
                        Some(image),
                        None,
                    )
                    .await
            }
            _ => {
                painter
                    .record(scene.scene_number, IllustrationStatus::Pending, None, None)
                    .await
            }
        }
    }

    let started = Instant::now();
    let concurrency = deps.settings.illustration_concurrency.max(1);
    // Owned tasks collected first: a lazily mapped iterator inside the stream would make
    // the handler's future borrow-generic and no longer provably `Send`.
    let tasks: Vec<_> = misses
        .iter()
        .map(|&i| {
            let painter = painter.clone();
            let scene = req.scenes[i].clone();
            let job = jobs[i].clone();
            async move { (i, painter.paint(&scene, &job).await) }
        })
        .collect();
    let painted: Vec<(usize, Outcome)> = futures::stream::iter(tasks)
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (i, outcome) in painted {
        outcomes[i] = Some(outcome);
    }

    let mut scenes: Vec<(&IllustrationScene, Outcome)> = req
        .scenes
        .iter()
        .zip(outcomes)
        .map(|(s, o)| {
            (
                s,
                o.unwrap_or_else(|| Outcome::Failed("Not painted".into())),
            )
        })
        .collect();
    scenes.sort_by_key(|(s, _)| s.scene_number);
    let mut illustrations = Vec::with_capacity(scenes.len());
    let mut completed = 0;
    let mut all_cached = true;
    for (scene, outcome) in &scenes {
        let url = match outcome {
            Outcome::Done { image, .. } => {
                completed += 1;
                all_cached &= image.cached;
                Some(images::presign(&meter, Bucket::StoryIllustrations, &image.key).await?)
            }
            Outcome::Failed(_) => {
                all_cached = false;
                None
            }
        };
        illustrations.push(wire_scene(scene, outcome, url));
    }
    let total = scenes.len();
    tracing::info!(
        total_scenes = total,
        completed_scenes = completed,
        painted = misses.len(),
        concurrency,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scenes illustrated"
    );
    let story_id = req.story_id.map(|id| id.to_string());
    if completed == 0 {
        return Err(
            ApiError::upstream("No scene could be illustrated; please try again").with_details(
                json!({
                    "illustrations": illustrations,
                    "total_scenes": total,
                    "completed_scenes": 0,
                    "story_id": story_id,
                }),
            ),
        );
    }
    Ok(Reply::ok(json!({
        "illustrations": illustrations,
        "status": if completed == total { "completed" } else { "partial" },
        "total_scenes": total,
        "completed_scenes": completed,
        "story_id": story_id,
        "hero_id": req.hero_id.map(|h| h.to_string()),
    }))
    .with_cached(all_cached))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::illustration::IllustrationScene;
    use domain::{HeroId, UserId};

    fn scene(n: u32) -> IllustrationScene {
        IllustrationScene {
            scene_number: n,
            prompt: "A fox and a girl".into(),
            timestamp: Some(12.0),
            emotion: None,
            importance: None,
        }
    }

    #[test]
    fn a_failed_scene_tells_the_app_why_and_has_no_image() {
        let v = wire_scene(&scene(2), &Outcome::Failed("declined".into()), None);
        assert_eq!(v["scene_number"], 2);
        assert_eq!(v["status"], "failed");
        assert_eq!(v["error_message"], "declined");
        assert!(v["image_url"].is_null() && v["generation_id"].is_null());
    }

    #[test]
    fn a_completed_scene_carries_every_field_the_app_reads() {
        let user = UserId::parse("user-1").expect("user");
        let key = storage::BlobKey::new(&user, &format!("stories/{}/a.png", HeroId::new_random()))
            .expect("key");
        let image = StoredImage {
            key,
            generation_id: "gen-1".into(),
            revised_prompt: Some("a fox".into()),
            size_used: "1024x1024".into(),
            quality_used: "medium".into(),
            file_size_bytes: 99,
            cached: true,
        };
        let v = wire_scene(
            &scene(1),
            &Outcome::Done {
                image,
                rewritten: true,
            },
            Some("https://media/x.png".into()),
        );
        for field in [
            "scene_number",
            "image_url",
            "generation_id",
            "revised_prompt",
            "status",
            "error_message",
        ] {
            assert!(v.get(field).is_some(), "{field}");
        }
        assert_eq!(v["status"], "completed");
        assert_eq!(v["timestamp"], 12.0);
        assert_eq!(v["cached"], true);
        assert_eq!(v["prompt_rewritten"], true);
        assert!(v["error_message"].is_null());
    }
}
