//! The offline provider: stories in five languages near the word budget, valid scenes,
//! distinct PNGs of the requested size, a sane placeholder WAV.

use domain::{Language, Voice};
use providers::offline::{OFFLINE_TONE_MODEL, OfflineProvider, count_words};
use providers::{
    AudioFormat, ImageModel, ImageRequest, ProviderKind, Providers, QualityTier, SceneBrief,
    SpeechModel, SpeechRequest, StoryBrief, TextModel, TextPurpose, TextRequest, estimate_cost,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;
use tokio::time::Instant;

const EMOTIONS: [&str; 7] = [
    "joyful",
    "peaceful",
    "exciting",
    "mysterious",
    "heartwarming",
    "adventurous",
    "contemplative",
];

fn premise(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Bedtime Adventure",
            "The moon has lost its silver lullaby, and someone kind must help it find the song again before everyone falls asleep.",
        ),
        Language::Es => (
            "Aventura antes de dormir",
            "La luna ha perdido su nana plateada, y alguien amable debe ayudarla a encontrar la canción antes de que todos se duerman.",
        ),
        Language::Fr => (
            "Aventure du coucher",
            "La lune a perdu sa berceuse argentée, et quelqu'un de gentil doit l'aider à retrouver la chanson avant que tout le monde s'endorme.",
        ),
        Language::De => (
            "Gute-Nacht-Abenteuer",
            "Der Mond hat sein silbernes Schlaflied verloren, und jemand Freundliches muss ihm helfen, das Lied wiederzufinden.",
        ),
        Language::It => (
            "Avventura della buonanotte",
            "La luna ha perso la sua ninna nanna d'argento, e qualcuno di gentile deve aiutarla a ritrovare la canzone.",
        ),
    }
}

/// Function words that only appear in real sentences of that language.
fn markers(language: Language) -> &'static [&'static str] {
    match language {
        Language::En => &["the", "and", "a"],
        Language::Es => &["y", "la", "de"],
        Language::Fr => &["et", "la", "de"],
        Language::De => &["und", "die", "ein"],
        Language::It => &["e", "la", "di"],
    }
}

fn goodnight(language: Language) -> &'static str {
    match language {
        Language::En => "Goodnight",
        Language::Es => "Buenas noches",
        Language::Fr => "Bonne nuit",
        Language::De => "Gute Nacht",
        Language::It => "Buonanotte",
    }
}

fn brief(hero: &str, language: Language, budget: u32) -> StoryBrief {
    let (title, premise) = premise(language);
    StoryBrief {
        hero_name: hero.to_owned(),
        primary_trait: "Brave".to_owned(),
        secondary_trait: "Curious".to_owned(),
        appearance: "curly red hair and a yellow raincoat".to_owned(),
        special_ability: "can talk to the stars".to_owned(),
        event_title: title.to_owned(),
        event_premise: premise.to_owned(),
        language,
        word_budget: budget,
        max_scenes: 6,
    }
}

fn request(purpose: TextPurpose) -> TextRequest {
    TextRequest {
        purpose,
        system: String::new(),
        user: String::new(),
        schema_name: "story".to_owned(),
        schema: json!({}),
        temperature: 0.8,
        max_tokens: 4000,
        model: None,
        deadline: Instant::now() + Duration::from_secs(10),
    }
}

async fn story(brief: StoryBrief) -> Value {
    let reply = OfflineProvider::new()
        .complete_json(request(TextPurpose::Story(brief)))
        .await
        .expect("offline story");
    assert_eq!(reply.model, "offline-storyteller");
    assert!(!reply.fell_back);
    assert_eq!(
        estimate_cost(&reply.model, &reply.usage, None, None).usd,
        Some(0.0)
    );
    reply.json
}

fn check_scenes(scenes: &Value, content: &str, duration: f64, hero: &str, max: usize) {
    let scenes = scenes.as_array().expect("scenes array");
    assert!((3..=max).contains(&scenes.len()), "{} scenes", scenes.len());
    let mut last = -1.0;
    for (i, scene) in scenes.iter().enumerate() {
        assert_eq!(scene["scene_number"], i + 1);
        let segment = scene["text_segment"].as_str().expect("segment");
        assert!(
            !segment.is_empty() && content.contains(segment),
            "verbatim: {segment}"
        );
        let ts = scene["timestamp_seconds"].as_f64().expect("timestamp");
        if i == 0 {
            assert_eq!(ts, 0.0);
        }
        assert!(
            ts > last && ts < duration,
            "{ts} after {last}, below {duration}"
        );
        last = ts;
        assert!(scene["duration_seconds"].as_f64().expect("duration") > 0.0);
        assert!(EMOTIONS.contains(&scene["emotion"].as_str().expect("emotion")));
        assert!(["key", "major", "minor"].contains(&scene["importance"].as_str().expect("imp")));
        let prompt = scene["illustration_prompt"].as_str().expect("prompt");
        assert!(prompt.contains(hero), "{prompt}");
        assert!(prompt.contains("together with"), "a companion: {prompt}");
        assert!(prompt.is_ascii() || prompt.contains(hero), "English prompt");
        assert!(count_words(prompt) <= 150);
    }
}

#[tokio::test]
async fn stories_in_all_five_languages_meet_the_word_budget_within_ten_percent() {
    for language in Language::ALL {
        for budget in [120u32, 300, 700, 1500] {
            let json = story(brief("Mia", language, budget)).await;
            let title = json["title"].as_str().expect("title");
            let content = json["content"].as_str().expect("content");
            let words = count_words(content) as f64;
            let b = f64::from(budget);
            assert!(
                words >= b * 0.9 && words <= b * 1.1,
                "{language} budget {budget}: {words} words"
            );
            assert!(title.contains("Mia"), "{title}");
            let lower: HashSet<String> = content
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .collect();
            for marker in markers(language) {
                assert!(lower.contains(*marker), "{language}: missing '{marker}'");
            }
            let last_paragraph = content.rsplit("\n\n").next().unwrap_or("");
            assert!(
                last_paragraph.contains(goodnight(language)),
                "{language}: calm goodnight ending"
            );
            let duration = words * 60.0 / f64::from(language.narration_wpm());
            check_scenes(&json["scenes"], content, duration, "Mia", 6);
        }
    }
}

#[tokio::test]
async fn stories_use_the_brief_and_differ_by_hero_and_event() {
    let a = story(brief("Mia", Language::En, 400)).await;
    let again = story(brief("Mia", Language::En, 400)).await;
    assert_eq!(a, again, "deterministic");
    let content = a["content"].as_str().expect("content");
    assert!(
        content.contains("courage") && content.contains("curiosity"),
        "traits as nouns"
    );
    assert!(content.contains("can talk to the stars"));
    assert!(content.contains("yellow raincoat"));
    assert!(content.contains("silver lullaby"), "the premise");

    let b = story(brief("Leo", Language::En, 400)).await;
    let mut other_event = brief("Mia", Language::En, 400);
    other_event.event_title = "Rainy Day Magic".to_owned();
    other_event.event_premise = "Raindrops tap a secret rhythm on the window.".to_owned();
    let c = story(other_event).await;
    let sentences = |v: &Value| -> HashSet<String> {
        v["content"]
            .as_str()
            .expect("content")
            .replace("Mia", "X")
            .replace("Leo", "X")
            .split(". ")
            .map(str::to_owned)
            .collect()
    };
    let (sa, sb, sc) = (sentences(&a), sentences(&b), sentences(&c));
    assert!(
        sa.symmetric_difference(&sb).count() > 10,
        "heroes differ beyond the name"
    );
    assert!(sa.symmetric_difference(&sc).count() > 10, "events differ");
}

#[tokio::test]
async fn unknown_traits_and_empty_optional_fields_still_make_a_story() {
    let mut b = brief("Zoé", Language::Fr, 250);
    b.primary_trait = "Imaginative".to_owned();
    b.appearance = String::new();
    b.special_ability = String::new();
    b.event_premise = "Une très longue prémisse sans ponctuation qui continue encore et encore avec des mots et des mots pour voir ce qui se passe quand un parent écrit un événement personnalisé interminable plein de détails sur la journée".to_owned();
    let json = story(b).await;
    let words = count_words(json["content"].as_str().expect("content"));
    assert!((225..=275).contains(&words), "{words}");
    assert!(
        json["content"]
            .as_str()
            .expect("content")
            .contains("Bonne nuit, Zoé.")
    );
}

#[tokio::test]
async fn scene_splits_of_a_given_story_are_valid_and_respect_the_duration() {
    let content = story(brief("Ana", Language::Es, 600)).await["content"]
        .as_str()
        .expect("content")
        .to_owned();
    for max in [3u8, 4, 6] {
        let reply = OfflineProvider::new()
            .complete_json(request(TextPurpose::Scenes(SceneBrief {
                story: content.clone(),
                duration_seconds: 240,
                hero_name: "Ana".to_owned(),
                language: Language::Es,
                max_scenes: max,
            })))
            .await
            .expect("scenes");
        check_scenes(
            &reply.json["scenes"],
            &content,
            240.0,
            "Ana",
            usize::from(max),
        );
    }
    let err = OfflineProvider::new()
        .complete_json(request(TextPurpose::Scenes(SceneBrief {
            story: "  ".to_owned(),
            duration_seconds: 10,
            hero_name: "Ana".to_owned(),
            language: Language::Es,
            max_scenes: 6,
        })))
        .await
        .expect_err("nothing to split");
    assert!(matches!(err, providers::ProviderError::InvalidRequest(_)));
}

#[tokio::test]
async fn the_offline_safety_review_says_it_did_not_review() {
    let reply = OfflineProvider::new()
        .complete_json(request(TextPurpose::SafetyReview {
            text: "Once upon a time".to_owned(),
        }))
        .await
        .expect("review");
    assert_eq!(
        reply.json,
        json!({"safe": true, "findings": [], "reviewer": "offline"})
    );
    let other = OfflineProvider::new()
        .complete_json(request(TextPurpose::Other))
        .await
        .expect("other");
    assert_eq!(other.json, json!({}));
}

fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes.to_vec()));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[tokio::test]
async fn images_are_real_pngs_of_the_requested_size_and_differ_by_prompt() {
    let provider = OfflineProvider::new();
    let mut pixels = Vec::new();
    for (prompt, size) in [
        ("Mia and an owl on a moonlit hill", (1024, 1024)),
        ("Leo and a fox in a garden of glowing flowers", (1024, 1024)),
        ("Mia and an owl on a moonlit hill", (1024, 1792)),
        ("A castle of clouds", (1792, 1024)),
    ] {
        let started = std::time::Instant::now();
        let reply = provider
            .generate(ImageRequest {
                prompt: prompt.to_owned(),
                size,
                quality: QualityTier::High,
                style: None,
                deadline: Instant::now() + Duration::from_secs(10),
            })
            .await
            .expect("image");
        let elapsed = started.elapsed();
        if !cfg!(debug_assertions) && size == (1024, 1024) {
            assert!(elapsed < Duration::from_millis(100), "{elapsed:?}");
        }
        let (w, h, px) = decode(&reply.png);
        assert_eq!((w, h), size);
        assert_eq!(reply.size_used, format!("{}x{}", size.0, size.1));
        assert_eq!(reply.usage.images, 1);
        pixels.push(px);
    }
    assert_ne!(
        pixels[0], pixels[1],
        "different prompts, different pictures"
    );
    let again = provider
        .generate(ImageRequest {
            prompt: "Mia and an owl on a moonlit hill".to_owned(),
            size: (1024, 1024),
            quality: QualityTier::Standard,
            style: None,
            deadline: Instant::now() + Duration::from_secs(10),
        })
        .await
        .expect("image");
    assert_eq!(decode(&again.png).2, pixels[0], "deterministic per prompt");
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

#[tokio::test]
async fn the_placeholder_tone_is_a_labelled_wav_as_long_as_the_narration() {
    let provider = OfflineProvider {
        force_placeholder_tone: true,
    };
    let text = "Once upon a time there was a little star who loved to sing. ".repeat(20);
    let words = count_words(&text) as f64;
    let reply = provider
        .synthesize(SpeechRequest {
            text: text.clone(),
            voice: Voice::Coral,
            model: None,
            speed: 1.0,
            instructions: None,
            language: Language::De,
            deadline: Instant::now() + Duration::from_secs(10),
        })
        .await
        .expect("speech");
    assert_eq!(reply.format, AudioFormat::Wav);
    assert_eq!(reply.model, OFFLINE_TONE_MODEL);
    assert_eq!(reply.usage.characters, text.chars().count() as u64);
    let wav = &reply.audio;
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(u32_at(wav, 4) as usize, wav.len() - 8, "RIFF size");
    assert_eq!(&wav[8..12], b"WAVE");
    assert_eq!(&wav[12..16], b"fmt ");
    assert_eq!(u16_at(wav, 20), 1, "PCM");
    let channels = u16_at(wav, 22);
    let rate = u32_at(wav, 24);
    assert_eq!(channels, 1);
    assert_eq!(u16_at(wav, 34), 16, "16-bit");
    assert_eq!(u32_at(wav, 28), rate * 2, "byte rate");
    let text_of = String::from_utf8_lossy(wav);
    assert!(text_of.contains("placeholder tone"), "labelled");
    let data_at = wav
        .windows(4)
        .position(|w| w == b"data")
        .expect("data chunk");
    let data_len = u32_at(wav, data_at + 4) as usize;
    assert_eq!(data_at + 8 + data_len, wav.len());
    let seconds = data_len as f64 / f64::from(rate * 2);
    let expected = words * 60.0 / f64::from(Language::De.narration_wpm());
    assert!((seconds - expected).abs() < 0.05, "{seconds} vs {expected}");
    assert!(wav[data_at + 8..].iter().any(|b| *b != 0), "not silence");
}

#[tokio::test]
async fn offline_moderation_never_flags_and_the_model_list_is_empty() {
    let providers = Providers::offline();
    assert_eq!(providers.kind, ProviderKind::Offline);
    assert_eq!(providers.kind.as_str(), "offline");
    let verdict = providers
        .moderation
        .moderate(&["anything".to_owned()])
        .await
        .expect("moderation");
    assert!(!verdict.flagged);
    assert!(
        providers
            .catalog
            .list_models()
            .await
            .expect("list")
            .is_empty()
    );
}
