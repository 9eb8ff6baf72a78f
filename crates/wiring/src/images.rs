//! Painting and keeping images, shared by `avatar-generation` and `scene-illustration`: the
//! 30-day image cache (identical sanitised prompt + model + size + quality + style → the
//! stored image, no provider call), the provider call with its ledger row, and the
//! content-addressed PNG under the owner's prefix. Prompts reaching here are already
//! sanitised.

use crate::metered::Meter;
use accounting::{Cache, CacheKind};
use domain::illustration::{ImageOptions, ImageQuality};
use edge::ApiError;
use providers::{ImageRequest, ProviderError, ProviderKind, QualityTier};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use storage::{BlobKey, Bucket, StoreError};

/// The first bytes of every PNG file.
pub const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Longest one painting may take (the function's own deadline still applies).
pub const IMAGE_CALL_BUDGET: Duration = Duration::from_secs(120);

/// One painting to do: the sanitised prompt and its options.
#[derive(Debug, Clone)]
pub struct ImageJob {
    /// The sanitised prompt.
    pub prompt: String,
    /// Size, quality, style.
    pub options: ImageOptions,
}

/// An image kept in a bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredImage {
    /// The object key.
    pub key: BlobKey,
    /// Id of the generation (a fresh UUID per provider call; a cache hit keeps the id of
    /// the generation it reuses).
    pub generation_id: String,
    /// The prompt as the model rewrote it (DALL·E family only).
    pub revised_prompt: Option<String>,
    /// Size the model painted, e.g. `1024x1536`.
    pub size_used: String,
    /// Quality the model was asked for, e.g. `hd`, `medium`.
    pub quality_used: String,
    /// PNG size.
    pub file_size_bytes: u64,
    /// True when served from the image cache.
    pub cached: bool,
}

/// Why a painting failed.
#[derive(Debug, thiserror::Error)]
pub enum PaintError {
    /// The provider failed (after its own retries) or refused.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The image could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PaintError {
    /// True for a content-policy refusal (worth one retry with a safer prompt).
    pub fn is_content_policy(&self) -> bool {
        matches!(self, Self::Provider(ProviderError::ContentPolicy { .. }))
    }

    /// True when the provider was never asked to paint (breaker open, no time left): the
    /// image cost the caller nothing.
    pub fn never_reached_provider(&self) -> bool {
        matches!(
            self,
            Self::Provider(ProviderError::CircuitOpen { .. } | ProviderError::DeadlineExceeded)
        )
    }

    /// The client error.
    pub fn to_api(&self) -> ApiError {
        match self {
            Self::Provider(e) => crate::provider_error(e, "image"),
            Self::Store(e) => {
                tracing::error!(error = %e, "image storage failed");
                ApiError::unavailable("Storage is temporarily unavailable")
            }
        }
    }

    /// A short, client-safe reason for a per-scene failure.
    pub fn client_message(&self) -> String {
        match self {
            Self::Provider(ProviderError::ContentPolicy { .. }) => {
                "The image service declined this scene, even with a gentler prompt".to_string()
            }
            other => other.to_api().message,
        }
    }
}

/// The provider's tier for the API's quality.
pub fn quality_tier(q: ImageQuality) -> QualityTier {
    match q {
        ImageQuality::Standard => QualityTier::Standard,
        ImageQuality::High => QualityTier::High,
    }
}

/// The `style` to send: `vivid`/`natural` or art-direction words, unless the words carry a
/// term the image sanitiser would strip (`photorealistic`, …) — then no style (`false`).
pub fn safe_style(style: Option<&str>, language: domain::Language) -> (Option<String>, bool) {
    let Some(s) = style.map(str::trim).filter(|s| !s.is_empty()) else {
        return (None, true);
    };
    let checked = safety::Engine::global().sanitize_image_prompt(
        s,
        &safety::SanitizeOptions {
            language,
            ..Default::default()
        },
    );
    if checked.removed_terms.is_empty() {
        (Some(s.to_lowercase()), true)
    } else {
        (None, false)
    }
}

/// The model a request paints with (`offline-painter` under the offline provider).
pub fn image_model(meter: &Meter) -> String {
    match meter.providers().kind {
        ProviderKind::Offline => providers::offline::OFFLINE_IMAGE_MODEL.to_string(),
        ProviderKind::OpenAi => meter.deps().settings.image_model.clone(),
    }
}

impl ImageJob {
    /// The image-cache key: sanitised prompt + model + size + quality + style (hashed).
    pub fn cache_key(&self, model: &str) -> String {
        let style = self
            .options
            .style
            .as_deref()
            .map(|s| s.trim().to_lowercase())
            .unwrap_or_default();
        Cache::key(&[
            &self.prompt,
            model,
            self.options.size.as_str(),
            self.options.quality.as_str(),
            &style,
        ])
    }
}

fn entry(img: &StoredImage) -> Value {
    json!({
        "key": img.key.as_str(),
        "generation_id": img.generation_id,
        "revised_prompt": img.revised_prompt,
        "size_used": img.size_used,
        "quality_used": img.quality_used,
        "file_size_bytes": img.file_size_bytes,
    })
}

fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(&PNG_SIGNATURE)
}

/// The cached image of `job`, copied under `prefix` when it was stored elsewhere (so deleting
/// another story or hero never takes this one's picture with it). `None` on a miss, or when
/// the cached object is gone (the entry is dropped). Records a cached ledger row on a hit.
pub async fn lookup(
    meter: &Meter,
    job: &ImageJob,
    bucket: Bucket,
    prefix: &str,
) -> Result<Option<StoredImage>, ApiError> {
    let deps = meter.deps();
    let model = image_model(meter);
    let key = job.cache_key(&model);
    let Some(hit) = deps
        .cache
        .get(meter.user(), CacheKind::Image, &key)
        .await
        .map_err(crate::store_error)?
    else {
        return Ok(None);
    };
    let text = |f: &str| hit.get(f).and_then(Value::as_str).map(str::to_string);
    let stored_key = text("key").and_then(|k| BlobKey::from_stored(meter.user(), &k).ok());
    let (Some(stored_key), Some(generation_id)) = (stored_key, text("generation_id")) else {
        deps.cache
            .invalidate(meter.user(), CacheKind::Image, &key)
            .await;
        return Ok(None);
    };
    let blob = deps
        .backend
        .blobs
        .get(bucket, &stored_key)
        .await
        .map_err(crate::store_error)?;
    let Some(blob) = blob.filter(|b| is_png(&b.bytes)) else {
        deps.cache
            .invalidate(meter.user(), CacheKind::Image, &key)
            .await;
        return Ok(None);
    };
    let target = BlobKey::content_addressed(meter.user(), prefix, &blob.bytes, "png")
        .map_err(crate::store_error)?;
    if target != stored_key {
        deps.backend
            .blobs
            .put(bucket, &target, blob.bytes.clone(), "image/png")
            .await
            .map_err(crate::store_error)?;
    }
    meter.cached_call(&model).await;
    Ok(Some(StoredImage {
        key: target,
        generation_id,
        revised_prompt: text("revised_prompt"),
        size_used: text("size_used").unwrap_or_else(|| job.options.size.as_str().to_string()),
        quality_used: text("quality_used").unwrap_or_default(),
        file_size_bytes: blob.bytes.len() as u64,
        cached: true,
    }))
}

/// Paints `job` (one provider call, recorded on the meter), stores the PNG content-addressed
/// under `{user}/{prefix}/` and remembers it in the image cache.
pub async fn paint(
    meter: &Meter,
    job: &ImageJob,
    bucket: Bucket,
    prefix: &str,
    deadline: Instant,
) -> Result<StoredImage, PaintError> {
    let deps = meter.deps();
    let model = image_model(meter);
    let request = ImageRequest {
        prompt: job.prompt.clone(),
        size: job.options.size.dims(),
        quality: quality_tier(job.options.quality),
        style: job.options.style.clone(),
        deadline: tokio::time::Instant::from_std(deadline.min(Instant::now() + IMAGE_CALL_BUDGET)),
    };
    let started = Instant::now();
    let reply = match meter.providers().image.generate(request).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "image call failed");
            meter
                .failed_call(&model, started.elapsed().as_millis() as u64)
                .await;
            return Err(e.into());
        }
    };
    meter.image_call(&reply).await;
    if !is_png(&reply.png) {
        return Err(ProviderError::Malformed("image is not a PNG".to_string()).into());
    }
    let key = BlobKey::content_addressed(meter.user(), prefix, &reply.png, "png")?;
    deps.backend
        .blobs
        .put(bucket, &key, reply.png.clone(), "image/png")
        .await?;
    let img = StoredImage {
        key,
        generation_id: uuid::Uuid::new_v4().to_string(),
        revised_prompt: reply.revised_prompt.clone(),
        size_used: reply.size_used.clone(),
        quality_used: reply.quality_used.clone(),
        file_size_bytes: reply.png.len() as u64,
        cached: false,
    };
    deps.cache
        .put(
            meter.user(),
            CacheKind::Image,
            &job.cache_key(&model),
            &entry(&img),
        )
        .await;
    tracing::info!(
        bytes = img.file_size_bytes,
        size = %img.size_used,
        latency_ms = reply.latency_ms,
        "image stored"
    );
    Ok(img)
}

/// A URL that fetches `key` without credentials until `MEDIA_URL_TTL` passes.
pub async fn presign(meter: &Meter, bucket: Bucket, key: &BlobKey) -> Result<String, ApiError> {
    meter
        .deps()
        .backend
        .blobs
        .presign_get(
            bucket,
            key,
            Duration::from_secs(meter.deps().settings.media_url_ttl),
        )
        .await
        .map_err(crate::store_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::illustration::ImageSize;

    fn job(prompt: &str, style: Option<&str>) -> ImageJob {
        ImageJob {
            prompt: prompt.to_string(),
            options: ImageOptions {
                size: ImageSize::Square,
                quality: ImageQuality::Standard,
                style: style.map(str::to_string),
            },
        }
    }

    #[test]
    fn the_cache_key_changes_with_every_part_and_only_then() {
        let base = job("a fox and a girl", None).cache_key("gpt-image-2");
        assert_eq!(base, job("a fox and a girl", None).cache_key("gpt-image-2"));
        assert_ne!(base, job("a fox and a boy", None).cache_key("gpt-image-2"));
        assert_ne!(base, job("a fox and a girl", None).cache_key("dall-e-3"));
        assert_ne!(
            base,
            job("a fox and a girl", Some("watercolor")).cache_key("gpt-image-2")
        );
        let mut hd = job("a fox and a girl", None);
        hd.options.quality = ImageQuality::High;
        assert_ne!(base, hd.cache_key("gpt-image-2"));
        let mut wide = job("a fox and a girl", None);
        wide.options.size = ImageSize::Landscape;
        assert_ne!(base, wide.cache_key("gpt-image-2"));
        assert_eq!(
            job("x", Some("Vivid")).cache_key("m"),
            job("x", Some("vivid")).cache_key("m")
        );
    }

    #[test]
    fn styles_that_would_undo_the_picture_book_look_are_dropped() {
        let en = domain::Language::En;
        assert_eq!(
            safe_style(Some("Watercolor"), en),
            (Some("watercolor".into()), true)
        );
        assert_eq!(safe_style(Some("vivid"), en), (Some("vivid".into()), true));
        assert_eq!(safe_style(None, en), (None, true));
        assert_eq!(safe_style(Some("photorealistic"), en), (None, false));
    }

    #[test]
    fn refusals_are_told_apart_and_never_leak_upstream_text() {
        let refused = PaintError::Provider(ProviderError::ContentPolicy {
            code: "content_policy_violation: secret upstream words".into(),
        });
        assert!(refused.is_content_policy());
        assert!(!refused.client_message().contains("secret"));
        let down = PaintError::Provider(ProviderError::Upstream { status: 500 });
        assert!(!down.is_content_policy());
        assert_eq!(down.to_api().status.as_u16(), 502);
        assert!(down.client_message().contains("image service"));
    }
}
