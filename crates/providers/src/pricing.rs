//! A dated price table turning provider usage into a USD estimate for the usage ledger.
//!
//! Unknown models are priced as unknown (`usd: None`), never as zero. Model snapshots
//! (`gpt-4o-2024-08-06`) are priced as their alias. Offline provider models (`offline-*`)
//! are known-free.
//!
//! Sources and approximations (as of [`PRICES_AS_OF`]):
//! - gpt-4o $2.50 / $10.00 and gpt-4o-mini $0.15 / $0.60 per 1M input / output tokens.
//! - tts-1 $15 and tts-1-hd $30 per 1M characters.
//! - gpt-4o-mini-tts is billed per token ($0.60 / 1M text in, $12 / 1M audio out), which
//!   OpenAI estimates at about $0.015 per minute of audio; at ~900 characters per narrated
//!   minute that is **approximately $16.67 per 1M characters** — the figure used here.
//! - dall-e-3 (shut down 2026-05-12, kept for old ledger rows): standard 1024² $0.04,
//!   standard 1792 $0.08, hd 1024² $0.08, hd 1792 $0.12.
//! - gpt-image family per image by size and quality from OpenAI's published output-token
//!   examples: gpt-image-1, gpt-image-1-mini, gpt-image-1.5, and gpt-image-2 — whose figures
//!   are **used for every gpt-image-2.x model** (2.5/2.6 flare/sunburst bill image output at
//!   the same $30 / 1M tokens; an approximation: input-token costs of long prompts are not
//!   included).
//! - moderation models are free (known 0.0).

use serde::Serialize;

use crate::ports::Usage;

/// The date the price table was last checked.
pub const PRICES_AS_OF: &str = "2026-06-01";

/// A cost estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostEstimate {
    /// USD, or `None` when the model (or the image size/quality) is not in the table.
    pub usd: Option<f64>,
    /// The price table's date.
    pub as_of: &'static str,
}

/// Per-token text prices (USD per 1M tokens).
struct TokenPrice {
    input: f64,
    output: f64,
}

/// Image prices: (quality, square, landscape, portrait).
type ImageRow = (&'static str, f64, f64, f64);

fn token_price(model: &str) -> Option<TokenPrice> {
    let (input, output) = match model {
        "gpt-4o" | "chatgpt-4o-latest" => (2.50, 10.00),
        "gpt-4o-mini" => (0.15, 0.60),
        _ => return None,
    };
    Some(TokenPrice { input, output })
}

fn char_price_per_million(model: &str) -> Option<f64> {
    match model {
        "tts-1" => Some(15.0),
        "tts-1-hd" => Some(30.0),
        "gpt-4o-mini-tts" => Some(16.67),
        _ => None,
    }
}

fn image_rows(model: &str) -> Option<&'static [ImageRow]> {
    const DALL_E_3: &[ImageRow] = &[("standard", 0.04, 0.08, 0.08), ("hd", 0.08, 0.12, 0.12)];
    const GPT_IMAGE_1: &[ImageRow] = &[
        ("low", 0.011, 0.016, 0.016),
        ("medium", 0.042, 0.063, 0.063),
        ("high", 0.167, 0.25, 0.25),
    ];
    const GPT_IMAGE_1_MINI: &[ImageRow] = &[
        ("low", 0.005, 0.006, 0.006),
        ("medium", 0.011, 0.015, 0.015),
        ("high", 0.036, 0.052, 0.052),
    ];
    const GPT_IMAGE_1_5: &[ImageRow] = &[
        ("low", 0.009, 0.013, 0.013),
        ("medium", 0.034, 0.05, 0.05),
        ("high", 0.133, 0.2, 0.2),
    ];
    const GPT_IMAGE_2: &[ImageRow] = &[
        ("low", 0.006, 0.005, 0.005),
        ("medium", 0.053, 0.041, 0.041),
        ("high", 0.211, 0.165, 0.165),
    ];
    match model {
        "dall-e-3" => Some(DALL_E_3),
        "gpt-image-1" => Some(GPT_IMAGE_1),
        "gpt-image-1-mini" => Some(GPT_IMAGE_1_MINI),
        "gpt-image-1.5" | "chatgpt-image-latest" => Some(GPT_IMAGE_1_5),
        m if m == "gpt-image-2"
            || m.starts_with("gpt-image-2.")
            || m.starts_with("gpt-image-2-") =>
        {
            Some(GPT_IMAGE_2)
        }
        _ => None,
    }
}

fn is_free(model: &str) -> bool {
    model.starts_with("offline")
        || model.starts_with("omni-moderation")
        || model.starts_with("text-moderation")
}

/// Strips a trailing `-YYYY-MM-DD` snapshot date.
fn alias(model: &str) -> &str {
    let m = model.trim();
    if m.len() > 11 {
        let (head, tail) = m.split_at(m.len() - 11);
        let t = tail.as_bytes();
        let is_date = t[0] == b'-'
            && t[5] == b'-'
            && t[8] == b'-'
            && tail[1..].bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if is_date {
            return head;
        }
    }
    m
}

/// Size class of an image: 0 square, 1 landscape, 2 portrait.
fn size_class(size: &str) -> Option<usize> {
    let (w, h) = size.trim().split_once(['x', 'X'])?;
    let (w, h): (u32, u32) = (w.parse().ok()?, h.parse().ok()?);
    Some(if w == h {
        0
    } else if w > h {
        1
    } else {
        2
    })
}

/// Estimates the cost of one call's `usage` on `model`. `image_size` (e.g. `1024x1536`) and
/// `image_quality` (e.g. `hd`, `medium`) are needed for image models.
pub fn estimate_cost(
    model: &str,
    usage: &Usage,
    image_size: Option<&str>,
    image_quality: Option<&str>,
) -> CostEstimate {
    let model = alias(model);
    let usd = if is_free(model) {
        Some(0.0)
    } else if let Some(price) = token_price(model) {
        Some(
            usage.prompt_tokens as f64 * price.input / 1e6
                + usage.completion_tokens as f64 * price.output / 1e6,
        )
    } else if let Some(per_million) = char_price_per_million(model) {
        Some(usage.characters as f64 * per_million / 1e6)
    } else if let Some(rows) = image_rows(model) {
        image_size
            .and_then(size_class)
            .zip(image_quality.map(|q| q.trim().to_ascii_lowercase()))
            .and_then(|(class, quality)| {
                rows.iter().find(|row| row.0 == quality).map(|row| {
                    let each = [row.1, row.2, row.3][class];
                    each * usage.images as f64
                })
            })
    } else {
        None
    };
    CostEstimate {
        usd,
        as_of: PRICES_AS_OF,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_dates_are_stripped() {
        assert_eq!(alias("gpt-4o-2024-08-06"), "gpt-4o");
        assert_eq!(alias("gpt-4o-mini-2024-07-18"), "gpt-4o-mini");
        assert_eq!(alias("gpt-4o-mini-tts"), "gpt-4o-mini-tts");
        assert_eq!(alias("tts-1"), "tts-1");
    }
}
