//! Cost arithmetic against the dated price table.

use providers::{PRICES_AS_OF, Usage, estimate_cost};

fn tokens(prompt: u64, completion: u64) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        ..Usage::default()
    }
}

fn chars(n: u64) -> Usage {
    Usage {
        characters: n,
        ..Usage::default()
    }
}

fn images(n: u64) -> Usage {
    Usage {
        images: n,
        ..Usage::default()
    }
}

fn usd(model: &str, usage: Usage, size: Option<&str>, quality: Option<&str>) -> Option<f64> {
    estimate_cost(model, &usage, size, quality).usd
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("a known price");
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

#[test]
fn text_models_are_priced_per_input_and_output_token() {
    close(
        usd("gpt-4o", tokens(1_000, 500), None, None),
        0.0025 + 0.005,
    );
    close(
        usd("gpt-4o", tokens(1_000_000, 1_000_000), None, None),
        12.5,
    );
    close(
        usd("gpt-4o-mini", tokens(1_000_000, 1_000_000), None, None),
        0.75,
    );
    close(
        usd("gpt-4o-mini", tokens(2_000, 1_000), None, None),
        0.0003 + 0.0006,
    );
    close(
        usd("gpt-4o-2024-08-06", tokens(1_000, 0), None, None),
        0.0025,
    );
}

#[test]
fn speech_models_are_priced_per_character() {
    close(usd("tts-1", chars(1_000), None, None), 0.015);
    close(usd("tts-1-hd", chars(1_000), None, None), 0.03);
    close(usd("tts-1", chars(4_096), None, None), 4_096.0 * 15.0 / 1e6);
    // Approximation documented in the price table: ~$0.015 per narrated minute.
    close(
        usd("gpt-4o-mini-tts", chars(900), None, None),
        900.0 * 16.67 / 1e6,
    );
}

#[test]
fn dall_e_3_is_priced_per_image_by_size_and_quality() {
    close(
        usd("dall-e-3", images(1), Some("1024x1024"), Some("standard")),
        0.04,
    );
    close(
        usd("dall-e-3", images(1), Some("1792x1024"), Some("standard")),
        0.08,
    );
    close(
        usd("dall-e-3", images(1), Some("1024x1792"), Some("standard")),
        0.08,
    );
    close(
        usd("dall-e-3", images(1), Some("1024x1024"), Some("hd")),
        0.08,
    );
    close(
        usd("dall-e-3", images(1), Some("1792x1024"), Some("hd")),
        0.12,
    );
    close(
        usd("dall-e-3", images(3), Some("1024x1792"), Some("HD")),
        0.36,
    );
}

#[test]
fn gpt_image_models_are_priced_per_image_by_size_and_quality() {
    close(
        usd("gpt-image-1", images(1), Some("1024x1536"), Some("medium")),
        0.063,
    );
    close(
        usd("gpt-image-1", images(1), Some("1024x1024"), Some("high")),
        0.167,
    );
    close(
        usd(
            "gpt-image-1-mini",
            images(1),
            Some("1024x1024"),
            Some("low"),
        ),
        0.005,
    );
    close(
        usd("gpt-image-1.5", images(2), Some("1536x1024"), Some("high")),
        0.4,
    );
    close(
        usd(
            "gpt-image-2.6-flare",
            images(1),
            Some("1024x1024"),
            Some("medium"),
        ),
        0.053,
    );
    close(
        usd(
            "gpt-image-2.6-sunburst",
            images(1),
            Some("1536x1024"),
            Some("high"),
        ),
        0.165,
    );
    close(
        usd("gpt-image-2", images(1), Some("1024x1536"), Some("low")),
        0.005,
    );
}

#[test]
fn unknown_models_sizes_and_qualities_are_unknown_never_zero() {
    assert_eq!(usd("gpt-5-turbo-ultra", tokens(10, 10), None, None), None);
    assert_eq!(
        usd("dall-e-2", images(1), Some("1024x1024"), Some("standard")),
        None
    );
    assert_eq!(
        usd("dall-e-3", images(1), Some("1024x1024"), Some("ultra")),
        None
    );
    assert_eq!(usd("gpt-image-1", images(1), None, Some("high")), None);
    assert_eq!(
        usd("gpt-image-1", images(1), Some("big"), Some("high")),
        None
    );
    assert_eq!(usd("gpt-4o-mini-tts-preview", chars(10), None, None), None);
}

#[test]
fn moderation_and_the_offline_provider_are_known_free() {
    assert_eq!(
        usd("omni-moderation-latest", tokens(500, 0), None, None),
        Some(0.0)
    );
    assert_eq!(
        usd("offline-storyteller", tokens(500, 500), None, None),
        Some(0.0)
    );
    assert_eq!(
        usd(
            "offline-painter",
            images(1),
            Some("1024x1024"),
            Some("high")
        ),
        Some(0.0)
    );
    assert_eq!(
        usd("offline-placeholder-tone", chars(4000), None, None),
        Some(0.0)
    );
}

#[test]
fn estimates_carry_the_table_date() {
    let estimate = estimate_cost("gpt-4o", &tokens(1, 1), None, None);
    assert_eq!(estimate.as_of, PRICES_AS_OF);
    assert!(chrono::NaiveDate::parse_from_str(PRICES_AS_OF, "%Y-%m-%d").is_ok());
}
