//! The avatar use case, free of Lambda types.

use domain::illustration::{AvatarRequest, avatar_prompt};
use edge::{ApiError, Reply};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Instant;
use storage::Bucket;
use wiring::guard::Input;
use wiring::images::{self, ImageJob};
use wiring::metered::Meter;
use wiring::store_error;

/// `POST /`
pub async fn generate(
    meter: Arc<Meter>,
    body: Map<String, Value>,
    deadline: Instant,
) -> Result<Reply, ApiError> {
    let deps = meter.deps().clone();
    let req = AvatarRequest::parse(&body).map_err(|e| ApiError::fields(&e))?;
    let mut hero = deps
        .backend
        .heroes
        .get_hero(meter.user(), &req.hero_id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("Hero"))?;

    let style = req.options.style.clone().unwrap_or_default();
    let inputs = [
        Input {
            field: "prompt",
            text: &req.prompt,
            limit: domain::illustration::AVATAR_PROMPT_CHARS.1,
        },
        Input {
            field: "style",
            text: &style,
            limit: domain::illustration::STYLE_MAX_CHARS,
        },
    ];
    let cleaned = meter.screen(&inputs, Some(req.language)).await?;
    let user_text = cleaned[0].clone();
    let mut options = req.options.clone();
    let (style, style_kept) = images::safe_style(Some(&cleaned[1]), req.language);
    options.style = style;
    if !style_kept {
        meter.note_meta("style", json!("ignored"));
    }

    // The appearance every picture of this hero reuses, refreshed from the hero's fields.
    let canonical = hero.derived_canonical_appearance();
    let prompt = meter
        .sanitize_image_prompt(
            &avatar_prompt(&hero, &user_text),
            req.language,
            Some(&canonical),
        )
        .await;
    let job = ImageJob { prompt, options };
    let prefix = format!("heroes/{}", hero.id);
    let image = match images::lookup(&meter, &job, Bucket::HeroAvatars, &prefix).await? {
        Some(hit) => hit,
        None => {
            meter.admit(1).await?;
            images::paint(&meter, &job, Bucket::HeroAvatars, &prefix, deadline)
                .await
                .map_err(|e| e.to_api())?
        }
    };

    hero.visual_profile
        .get_or_insert_with(Default::default)
        .canonical_prompt = Some(canonical.clone());
    hero.avatar_key = Some(image.key.as_str().to_string());
    hero.avatar_prompt = Some(user_text);
    hero.avatar_generation_id = Some(image.generation_id.clone());
    hero.updated_at = deps.clock.now();
    deps.backend
        .heroes
        .put_hero(&hero)
        .await
        .map_err(store_error)?;
    let url = images::presign(&meter, Bucket::HeroAvatars, &image.key).await?;
    tracing::info!(
        hero_id = %hero.id,
        cached = image.cached,
        bytes = image.file_size_bytes,
        "avatar generated"
    );
    Ok(Reply::ok(json!({
        "hero_id": hero.id.to_string(),
        "avatar_url": url,
        "generation_id": image.generation_id,
        "revised_prompt": image.revised_prompt,
        "file_size_bytes": image.file_size_bytes,
        "image_size": image.size_used,
        "quality": image.quality_used,
        "canonical_prompt": canonical,
        "visual_profile": hero.visual_profile,
    }))
    .with_cached(image.cached))
}
