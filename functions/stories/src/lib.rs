//! `stories` (SPEC §5.7): `GET /` lists the caller's stories (newest first, `limit`/`cursor`),
//! `GET /{id}` returns a story with its scenes, fresh presigned media URLs and the audio and
//! per-scene illustration status, `DELETE /{id}` removes a story and its media. Another
//! user's story is always 404.

use async_trait::async_trait;
use domain::{IllustrationStatus, StoryId, StoryRecord, UserId};
use edge::{
    ApiError, AuthMode, Body, Ctx, Function, FunctionName, Gateway, Reply, Request, Response,
};
use http::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use storage::{BlobKey, Bucket, PageRequest};
use wiring::{Deps, store_error};

/// Blob prefix of a story's media (`{user}/stories/{id}/…` in the audio and illustration
/// buckets).
pub fn media_prefix(story: &StoryId) -> String {
    format!("stories/{story}")
}

/// The `stories` function.
pub struct App {
    gateway: Gateway,
    deps: Deps,
}

fn parse_id(raw: &str) -> Result<StoryId, ApiError> {
    StoryId::parse(raw).ok_or_else(|| ApiError::invalid("The story id must be a UUID"))
}

impl App {
    /// Builds the function from shared dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            gateway: deps.gateway(FunctionName::Stories),
            deps,
        }
    }

    async fn presign(&self, user: &UserId, bucket: Bucket, key: &str) -> Option<String> {
        let key = BlobKey::from_stored(user, key).ok()?;
        self.deps
            .backend
            .blobs
            .presign_get(
                bucket,
                &key,
                Duration::from_secs(self.deps.settings.media_url_ttl),
            )
            .await
            .map_err(|e| tracing::warn!(error = %e, "presign failed"))
            .ok()
    }

    fn summary(story: &StoryRecord) -> Value {
        json!({
            "story_id": story.id.to_string(),
            "title": story.title,
            "language": story.language.code(),
            "word_count": story.word_count,
            "estimated_duration": story.estimated_duration,
            "hero_id": story.hero_id.map(|h| h.to_string()),
            "event_title": story.event_title,
            "scene_count": story.scenes.len(),
            "has_audio": story.audio.is_some(),
            "created_at": story.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "updated_at": story.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
    }

    async fn list(
        &self,
        user: &UserId,
        query: &HashMap<String, String>,
    ) -> Result<Reply, ApiError> {
        let limit = match query.get("limit") {
            None => storage::page::DEFAULT_LIMIT,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=storage::page::MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid("`limit` must be a whole number between 1 and 100")
                })?,
        };
        let page = PageRequest {
            limit,
            cursor: query.get("cursor").filter(|c| !c.is_empty()).cloned(),
        };
        let result = self
            .deps
            .backend
            .stories
            .list_stories(user, &page)
            .await
            .map_err(store_error)?;
        let stories: Vec<Value> = result.items.iter().map(Self::summary).collect();
        Ok(Reply::ok(json!({
            "stories": stories,
            "count": stories.len(),
            "next_cursor": result.next_cursor,
        })))
    }

    async fn get(&self, user: &UserId, id: &str) -> Result<Reply, ApiError> {
        let id = parse_id(id)?;
        let story = self
            .deps
            .backend
            .stories
            .get_story(user, &id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ApiError::not_found("Story"))?;
        let states = self
            .deps
            .backend
            .stories
            .list_illustrations(user, &id)
            .await
            .map_err(store_error)?;
        let mut scenes = Vec::with_capacity(story.scenes.len());
        let mut completed = 0;
        for scene in &story.scenes {
            let state = states.iter().find(|s| s.scene_number == scene.scene_number);
            let mut wire = scene.to_wire();
            let (status, url) = match state {
                None => (IllustrationStatus::Pending, None),
                Some(s) => {
                    let url = match (&s.image_key, s.status) {
                        (Some(k), IllustrationStatus::Completed) => {
                            self.presign(user, Bucket::StoryIllustrations, k).await
                        }
                        _ => None,
                    };
                    (s.status, url)
                }
            };
            if status == IllustrationStatus::Completed {
                completed += 1;
            }
            wire["illustration"] = json!({
                "status": status.as_str(),
                "image_url": url,
                "generation_id": state.and_then(|s| s.generation_id.clone()),
                "revised_prompt": state.and_then(|s| s.revised_prompt.clone()),
                "error_message": state.and_then(|s| s.error_message.clone()),
            });
            wire["illustration_status"] = json!(status.as_str());
            wire["image_url"] = json!(url);
            scenes.push(wire);
        }
        let audio = match &story.audio {
            Some(a) => json!({
                "status": "completed",
                "audio_url": self.presign(user, Bucket::StoryAudio, &a.key).await,
                "duration_seconds": a.duration_seconds,
                "voice": a.voice,
                "format": a.format,
                "file_size_bytes": a.file_size_bytes,
            }),
            None => json!({ "status": "none" }),
        };
        let illustration_status = if story.scenes.is_empty() || states.is_empty() {
            "none"
        } else if completed == story.scenes.len() {
            "completed"
        } else if states.iter().any(|s| {
            matches!(
                s.status,
                IllustrationStatus::Processing | IllustrationStatus::Pending
            )
        }) {
            "processing"
        } else {
            "partial"
        };
        let mut data = Self::summary(&story);
        data["content"] = json!(story.content);
        data["scenes"] = json!(scenes);
        data["audio"] = audio;
        data["audio_url"] = data["audio"]["audio_url"].clone();
        data["illustration_status"] = json!(illustration_status);
        Ok(Reply::ok(data))
    }

    async fn delete(&self, user: &UserId, id: &str) -> Result<Reply, ApiError> {
        let id = parse_id(id)?;
        let story = self
            .deps
            .backend
            .stories
            .get_story(user, &id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ApiError::not_found("Story"))?;
        let blobs = &self.deps.backend.blobs;
        let prefix = media_prefix(&id);
        let mut removed = 0;
        for bucket in [
            Bucket::StoryAudio,
            Bucket::StoryIllustrations,
            Bucket::StoryAssets,
        ] {
            removed += blobs
                .delete_prefix(bucket, user, &prefix)
                .await
                .map_err(store_error)?;
        }
        if let Some(a) = &story.audio
            && let Ok(k) = BlobKey::from_stored(user, &a.key)
        {
            let _ = blobs.delete(Bucket::StoryAudio, &k).await;
        }
        self.deps
            .backend
            .stories
            .delete_story(user, &id)
            .await
            .map_err(store_error)?;
        tracing::info!(story_id = %id, media_objects = removed, "story deleted");
        Ok(Reply::ok(
            json!({ "story_id": id.to_string(), "deleted": true }),
        ))
    }

    async fn route(&self, ctx: Ctx) -> Result<Reply, ApiError> {
        let user = ctx.caller()?.user_id.clone();
        let segs: Vec<&str> = ctx.segments.iter().map(String::as_str).collect();
        match (ctx.method.clone(), segs.as_slice()) {
            (Method::GET, []) => self.list(&user, &ctx.query).await,
            (Method::GET, [id]) => self.get(&user, id).await,
            (Method::DELETE, [id]) => self.delete(&user, id).await,
            (_, [] | [_]) => Err(ApiError::method_not_allowed()),
            _ => Err(ApiError::not_found("Route")),
        }
    }
}

#[async_trait]
impl Function for App {
    fn name(&self) -> FunctionName {
        FunctionName::Stories
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        self.gateway
            .serve(req, AuthMode::Required, |ctx| self.route(ctx))
            .await
    }
}
