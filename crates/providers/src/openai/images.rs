//! Image request parameters mapped per model family (SPEC §6).
//!
//! | | DALL·E family (`dall-e-*`) | gpt-image family (`gpt-image-*`, and unknown ids) |
//! |---|---|---|
//! | sizes | 1024x1024, 1792x1024, 1024x1792 | 1024x1024, 1536x1024, 1024x1536 |
//! | quality | `standard` / `hd` | `medium` / `high` (Standard → medium) |
//! | style | `vivid` / `natural` parameter; other words → prompt text | prompt text only |
//! | reply | `response_format: b64_json`, `revised_prompt` | base64 by default, no revised prompt |

use serde_json::{Value, json};

use crate::ports::{ImageRequest, QualityTier};

/// An image model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFamily {
    /// `dall-e-2`, `dall-e-3`.
    DallE,
    /// `gpt-image-1`, `gpt-image-1.5`, `gpt-image-2.x`, and any unknown id.
    GptImage,
}

impl ImageFamily {
    /// Detects the family from the model id prefix; unknown ids are treated as gpt-image
    /// (the current family: its parameters are the safer guess for a new model).
    pub fn of(model: &str) -> Self {
        if model.to_ascii_lowercase().starts_with("dall-e") {
            Self::DallE
        } else {
            Self::GptImage
        }
    }

    /// The sizes the family offers: (square, landscape, portrait).
    pub fn sizes(self) -> [(u32, u32); 3] {
        match self {
            Self::DallE => [(1024, 1024), (1792, 1024), (1024, 1792)],
            Self::GptImage => [(1024, 1024), (1536, 1024), (1024, 1536)],
        }
    }
}

/// The request body and the parameters actually used.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedImageRequest {
    /// The family.
    pub family: ImageFamily,
    /// The JSON body for `/images/generations`.
    pub body: Value,
    /// e.g. `1024x1536`.
    pub size: String,
    /// e.g. `hd`, `medium`.
    pub quality: String,
}

/// The family size nearest in aspect ratio to `requested`.
pub fn nearest_size(family: ImageFamily, requested: (u32, u32)) -> (u32, u32) {
    let (w, h) = (requested.0.max(1) as f64, requested.1.max(1) as f64);
    let want = (w / h).ln();
    let mut best = family.sizes()[0];
    let mut best_distance = f64::MAX;
    for size in family.sizes() {
        let distance = ((size.0 as f64 / size.1 as f64).ln() - want).abs();
        if distance < best_distance {
            best = size;
            best_distance = distance;
        }
    }
    best
}

/// Builds the request for `model`.
pub fn map_image_request(model: &str, request: &ImageRequest) -> MappedImageRequest {
    let family = ImageFamily::of(model);
    let (w, h) = nearest_size(family, request.size);
    let size = format!("{w}x{h}");
    let style = request
        .style
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase());
    match family {
        ImageFamily::DallE => {
            let quality = match request.quality {
                QualityTier::Standard => "standard",
                QualityTier::High => "hd",
            };
            let (style_param, prompt) = match style.as_deref() {
                Some(s @ ("vivid" | "natural")) => (Some(s.to_owned()), request.prompt.clone()),
                Some(words) => (None, with_art_direction(&request.prompt, words)),
                None => (None, request.prompt.clone()),
            };
            let mut body = json!({
                "model": model,
                "prompt": prompt,
                "n": 1,
                "size": size,
                "quality": quality,
                "response_format": "b64_json",
            });
            if let (Some(s), Some(map)) = (style_param, body.as_object_mut()) {
                map.insert("style".to_owned(), Value::String(s));
            }
            MappedImageRequest {
                family,
                body,
                size,
                quality: quality.to_owned(),
            }
        }
        ImageFamily::GptImage => {
            let quality = match request.quality {
                QualityTier::Standard => "medium",
                QualityTier::High => "high",
            };
            let prompt = match style.as_deref() {
                Some("vivid") => with_art_direction(&request.prompt, "vivid, saturated colours"),
                Some("natural") => {
                    with_art_direction(&request.prompt, "natural, softly muted colours")
                }
                Some(words) => with_art_direction(&request.prompt, words),
                None => request.prompt.clone(),
            };
            MappedImageRequest {
                family,
                body: json!({
                    "model": model,
                    "prompt": prompt,
                    "n": 1,
                    "size": size,
                    "quality": quality,
                    "output_format": "png",
                }),
                size,
                quality: quality.to_owned(),
            }
        }
    }
}

fn with_art_direction(prompt: &str, words: &str) -> String {
    let clean: String = words
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | ',' | '-'))
        .take(80)
        .collect();
    let prompt = prompt.trim_end();
    let sep = if prompt.ends_with(['.', '!', '?']) {
        " "
    } else {
        ". "
    };
    format!("{prompt}{sep}Art style: {}.", clean.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_map_to_the_nearest_aspect_of_each_family() {
        assert_eq!(
            nearest_size(ImageFamily::GptImage, (1792, 1024)),
            (1536, 1024)
        );
        assert_eq!(
            nearest_size(ImageFamily::GptImage, (1024, 1792)),
            (1024, 1536)
        );
        assert_eq!(
            nearest_size(ImageFamily::GptImage, (1024, 1024)),
            (1024, 1024)
        );
        assert_eq!(nearest_size(ImageFamily::DallE, (1536, 1024)), (1792, 1024));
        assert_eq!(nearest_size(ImageFamily::DallE, (1000, 1100)), (1024, 1024));
    }

    #[test]
    fn family_is_detected_from_the_prefix_and_unknown_is_gpt_image() {
        assert_eq!(ImageFamily::of("dall-e-3"), ImageFamily::DallE);
        assert_eq!(
            ImageFamily::of("gpt-image-2.6-flare"),
            ImageFamily::GptImage
        );
        assert_eq!(ImageFamily::of("some-new-model"), ImageFamily::GptImage);
    }
}
