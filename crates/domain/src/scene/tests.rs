use super::*;

/// A small deterministic generator (xorshift), so property tests need no extra crate.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: [&[&str]; 5] = [
    &[
        "Luna",
        "and",
        "Pip",
        "walked",
        "under",
        "the",
        "silver",
        "moon",
        "it's",
        "quiet",
        "owl",
        "whispered",
        "softly",
        "forest",
        "glowed",
        "warm",
        "friends",
    ],
    &[
        "Luna",
        "y",
        "Pip",
        "caminaron",
        "bajo",
        "la",
        "luna",
        "plateada",
        "¡qué",
        "bonito!",
        "búho",
        "susurró",
        "bosque",
        "brillaba",
        "amigos",
        "¿dónde",
        "estás?",
    ],
    &[
        "Luna",
        "et",
        "Pip",
        "marchaient",
        "sous",
        "la",
        "lune",
        "l'enfant",
        "« Bonjour »",
        "hibou",
        "murmura",
        "forêt",
        "brillait",
        "aujourd'hui",
        "amis",
        "—",
        "doux",
    ],
    &[
        "Luna",
        "und",
        "Pip",
        "gingen",
        "unter",
        "dem",
        "silbernen",
        "Mond",
        "Gute-Nacht",
        "Eule",
        "flüsterte",
        "Wald",
        "leuchtete",
        "„Hallo“",
        "Freunde",
        "warm",
        "leise",
    ],
    &[
        "Luna",
        "e",
        "Pip",
        "camminavano",
        "sotto",
        "la",
        "luna",
        "dell'albero",
        "l'amico",
        "gufo",
        "sussurrò",
        "bosco",
        "brillava",
        "amici",
        "piano",
        "caldo",
        "sereno",
    ],
];

/// A story of roughly `words` words in `lang`, with varied punctuation and paragraphing
/// (sometimes one paragraph, sometimes single newlines, sometimes no sentence ends at all).
fn story(g: &mut Gen, lang: usize, words: usize) -> String {
    let style = g.below(4);
    let mut out = String::new();
    let mut in_sentence = 0;
    for i in 0..words {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(g.pick(WORDS[lang]));
        in_sentence += 1;
        if style != 3 && in_sentence > 4 && g.below(6) == 0 {
            out.push_str([".", "!", "?", "…", ".\""][g.below(5)]);
            in_sentence = 0;
            match style {
                0 if g.below(3) == 0 => out.push_str("\n\n"),
                1 if g.below(3) == 0 => out.push('\n'),
                _ => {}
            }
        }
    }
    out.push('.');
    out
}

fn assert_valid(scenes: &[Scene], story: &str, duration: f64, max: usize) {
    assert!(
        (MIN_SCENES..=max.max(MIN_SCENES)).contains(&scenes.len()),
        "{} scenes",
        scenes.len()
    );
    let mut search_from = 0;
    for (i, s) in scenes.iter().enumerate() {
        assert_eq!(s.scene_number as usize, i + 1);
        assert!(!s.text_segment.trim().is_empty());
        let at = story[search_from..]
            .find(&s.text_segment)
            .map(|p| p + search_from)
            .or_else(|| story.find(&s.text_segment));
        let at = at.unwrap_or_else(|| panic!("segment not in story: {:?}", s.text_segment));
        search_from = at;
        assert!(!s.illustration_prompt.trim().is_empty());
        assert!(count_words(&s.illustration_prompt) <= MAX_PROMPT_WORDS);
        assert!(
            s.timestamp_seconds < duration,
            "{} >= {duration}",
            s.timestamp_seconds
        );
        if i == 0 {
            assert_eq!(s.timestamp_seconds, 0.0);
        } else {
            assert!(s.timestamp_seconds > scenes[i - 1].timestamp_seconds);
            let gap = s.timestamp_seconds - scenes[i - 1].timestamp_seconds;
            assert!((scenes[i - 1].duration_seconds - gap).abs() < 0.011);
        }
        assert!(s.duration_seconds > 0.0);
    }
    let last = scenes.last().expect("scenes");
    assert!((last.timestamp_seconds + last.duration_seconds - duration).abs() < 0.011);
}

fn lang(i: usize) -> Language {
    Language::ALL[i % 5]
}

const STORY: &str = "Luna woke up when the moon knocked on her window.\n\n\
\"Come with me,\" whispered Pip the owl, \"the forest is glowing tonight.\"\n\n\
They flew over the sleeping village and landed by a silver stream.\n\n\
A lost baby firefly was crying softly under a fern.\n\n\
Luna and Pip sang a gentle song until the firefly's light came back.\n\n\
The firefly led them home, and Luna fell asleep with a smile.";

fn scene(n: u32, segment: &str, t: f64) -> Value {
    json!({"scene_number": n, "text_segment": segment, "illustration_prompt": "Luna and Pip the owl, soft light",
           "timestamp_seconds": t, "duration_seconds": 10.0, "emotion": "peaceful", "importance": "major"})
}

fn segments(scenes: &[Scene]) -> Vec<&str> {
    scenes.iter().map(|s| s.text_segment.as_str()).collect()
}

#[test]
fn a_valid_reply_passes_through_unchanged_and_the_report_is_clean() {
    let reply = json!({"scenes": [
        {"scene_number": 1, "text_segment": "Luna woke up when the moon knocked on her window.",
         "illustration_prompt": "Luna at her window with Pip the owl", "timestamp_seconds": 0,
         "duration_seconds": 28.0, "emotion": "mysterious", "importance": "key"},
        {"scene_number": 2, "text_segment": "They flew over the sleeping village and landed by a silver stream.",
         "illustration_prompt": "Luna and Pip flying over a village", "timestamp_seconds": 28.0,
         "duration_seconds": 32.0, "emotion": "adventurous", "importance": "major"},
        {"scene_number": 3, "text_segment": "The firefly led them home, and Luna fell asleep with a smile.",
         "illustration_prompt": "Luna asleep, Pip nearby", "timestamp_seconds": 60.0,
         "duration_seconds": 20.0, "emotion": "peaceful", "importance": "key"}
    ]});
    let (scenes, report) = validate_or_repair(&reply, STORY, 80.0, 6, "Luna", Language::En);
    assert!(report.is_clean(), "{:?}", report.actions());
    assert_valid(&scenes, STORY, 80.0, 6);
    assert_eq!(scenes[1].timestamp_seconds, 28.0);
    assert_eq!(scenes[0].emotion, Emotion::Mysterious);
    assert_eq!(scenes[2].importance, Importance::Key);
    assert_eq!(
        scenes[0].illustration_prompt,
        "Luna at her window with Pip the owl"
    );
}

#[test]
fn scenes_in_the_wrong_order_are_sorted_and_renumbered() {
    let reply = json!([
        scene(
            1,
            "The firefly led them home, and Luna fell asleep with a smile.",
            0.0
        ),
        scene(2, "Luna woke up when the moon knocked on her window.", 30.0),
        scene(
            3,
            "A lost baby firefly was crying softly under a fern.",
            60.0
        ),
    ]);
    let (scenes, report) = validate_or_repair(&reply, STORY, 80.0, 6, "Luna", Language::En);
    assert_valid(&scenes, STORY, 80.0, 6);
    assert!(report.reordered && report.renumbered && report.timestamps_recomputed);
    assert_eq!(
        segments(&scenes),
        vec![
            "Luna woke up when the moon knocked on her window.",
            "A lost baby firefly was crying softly under a fern.",
            "The firefly led them home, and Luna fell asleep with a smile."
        ]
    );
}

#[test]
fn segments_not_in_the_text_are_normalised_snapped_or_dropped() {
    let reply = json!({"scenes": [
        // curly quotes, extra spaces, different case
        scene(1, "“come with me,”   whispered PIP the owl, “the forest is glowing tonight.”", 0.0),
        // paraphrased: most words shared
        scene(2, "They flew across the sleepy village and landed next to a silver stream", 20.0),
        // nothing like the story
        scene(3, "Dragons breathed fire over the castle walls all night long", 40.0),
        scene(4, "Luna and Pip sang a gentle song until the firefly's light came back.", 50.0),
        scene(5, "", 60.0),
    ]});
    let (scenes, report) = validate_or_repair(&reply, STORY, 80.0, 6, "Luna", Language::En);
    assert_valid(&scenes, STORY, 80.0, 6);
    assert_eq!(report.segments_normalised, 1);
    assert_eq!(report.segments_snapped, 1);
    assert_eq!(report.segments_dropped, 2);
    assert_eq!(scenes.len(), 3);
    assert!(scenes[0].text_segment.starts_with("Come with me,"));
    assert!(scenes[1].text_segment.contains("sleeping village"));
}

#[test]
fn twelve_scenes_are_merged_down_to_the_maximum() {
    let story: String = (1..=12)
        .map(|i| format!("Sentence number {i} tells how Luna and Pip kept walking together."))
        .collect::<Vec<_>>()
        .join(" ");
    let items: Vec<Value> = (1..=12)
        .map(|i| {
            scene(
                i,
                &format!("Sentence number {i} tells how Luna and Pip kept walking together."),
                f64::from(i - 1) * 10.0,
            )
        })
        .collect();
    let (scenes, report) = validate_or_repair(
        &json!({"scenes": items}),
        &story,
        120.0,
        6,
        "Luna",
        Language::En,
    );
    assert_valid(&scenes, &story, 120.0, 6);
    assert_eq!(scenes.len(), 6);
    assert_eq!(report.merged, 6);
    assert!(scenes[0].text_segment.starts_with("Sentence number 1 "));
    assert!(
        scenes[5]
            .text_segment
            .ends_with("Sentence number 12 tells how Luna and Pip kept walking together.")
    );
}

#[test]
fn timestamps_beyond_the_duration_are_recomputed_from_word_offsets() {
    let reply = json!([
        scene(1, "Luna woke up when the moon knocked on her window.", 0.0),
        scene(
            2,
            "They flew over the sleeping village and landed by a silver stream.",
            500.0
        ),
        scene(
            3,
            "The firefly led them home, and Luna fell asleep with a smile.",
            900.0
        ),
    ]);
    let (scenes, report) = validate_or_repair(&reply, STORY, 80.0, 6, "Luna", Language::En);
    assert_valid(&scenes, STORY, 80.0, 6);
    assert!(report.timestamps_recomputed && report.durations_fixed);
    let words_before = count_words(&STORY[..STORY.find("They flew").expect("found")]) as f64;
    let total = count_words(STORY) as f64;
    assert!((scenes[1].timestamp_seconds - 80.0 * words_before / total).abs() < 0.01);
}

#[test]
fn garbage_replies_are_replaced_by_a_deterministic_split() {
    let garbage = [
        json!(null),
        json!(42),
        json!("this is not json"),
        json!("{\"scenes\": [broken"),
        json!({"foo": "bar"}),
        json!({"scenes": "none"}),
        json!({"scenes": [1, "two", null]}),
        json!([]),
    ];
    for raw in garbage {
        let (scenes, report) = validate_or_repair(&raw, STORY, 80.0, 6, "Luna", Language::En);
        assert_valid(&scenes, STORY, 80.0, 6);
        assert!(report.replaced.is_some(), "{raw}");
        assert_eq!(
            scenes,
            deterministic_split(STORY, 80.0, 6, "Luna", Language::En)
        );
    }
}

#[test]
fn json_text_replies_and_code_fences_are_read() {
    let text = format!(
        "```json\n{}\n```",
        json!({"scenes": [
            scene(1, "Luna woke up when the moon knocked on her window.", 0.0),
            scene(2, "A lost baby firefly was crying softly under a fern.", 40.0),
            scene(3, "The firefly led them home, and Luna fell asleep with a smile.", 65.0),
        ]})
    );
    let (scenes, report) = validate_or_repair(&json!(text), STORY, 80.0, 6, "Luna", Language::En);
    assert_valid(&scenes, STORY, 80.0, 6);
    assert_eq!(report.replaced, None);
}

#[test]
fn unknown_enums_default_and_synonyms_are_understood() {
    let mut items = vec![
        scene(1, "Luna woke up when the moon knocked on her window.", 0.0),
        scene(
            2,
            "A lost baby firefly was crying softly under a fern.",
            40.0,
        ),
        scene(
            3,
            "The firefly led them home, and Luna fell asleep with a smile.",
            65.0,
        ),
    ];
    items[0]["emotion"] = json!("terrifying");
    items[0]["importance"] = json!(7);
    items[1]["emotion"] = json!("Happy");
    items[1]["importance"] = json!("HIGH");
    let (scenes, report) = validate_or_repair(&json!(items), STORY, 80.0, 6, "Luna", Language::En);
    assert_eq!(report.enums_defaulted, 2);
    assert_eq!(scenes[0].emotion, Emotion::Peaceful);
    assert_eq!(scenes[0].importance, Importance::Major);
    assert_eq!(scenes[1].emotion, Emotion::Joyful);
    assert_eq!(scenes[1].importance, Importance::Key);
}

#[test]
fn empty_prompts_are_built_from_the_segment_and_long_ones_are_cut() {
    let mut items = vec![
        scene(1, "Luna woke up when the moon knocked on her window.", 0.0),
        scene(
            2,
            "A lost baby firefly was crying softly under a fern.",
            40.0,
        ),
        scene(
            3,
            "The firefly led them home, and Luna fell asleep with a smile.",
            65.0,
        ),
    ];
    items[0]["illustration_prompt"] = json!("   ");
    items[1]["illustration_prompt"] = json!("soft ".repeat(400));
    let (scenes, report) = validate_or_repair(&json!(items), STORY, 80.0, 6, "Luna", Language::En);
    assert_eq!((report.prompts_built, report.prompts_truncated), (1, 1));
    assert!(scenes[0].illustration_prompt.contains("Luna"));
    assert!(scenes[0].illustration_prompt.contains("moon knocked"));
    assert!(scenes[0].illustration_prompt.contains("companion"));
    assert_eq!(
        count_words(&scenes[1].illustration_prompt),
        MAX_PROMPT_WORDS
    );
}

#[test]
fn too_few_usable_scenes_fall_back_to_the_split() {
    let reply = json!([scene(
        1,
        "Luna woke up when the moon knocked on her window.",
        0.0
    )]);
    let (scenes, report) = validate_or_repair(&reply, STORY, 80.0, 6, "Luna", Language::En);
    assert_eq!(report.replaced, Some(ReplaceReason::TooFewScenes));
    assert_valid(&scenes, STORY, 80.0, 6);
}

#[test]
fn repeated_segments_are_dropped_as_duplicates() {
    let reply = json!([
        scene(1, "Luna woke up when the moon knocked on her window.", 0.0),
        scene(2, "Luna woke up when the moon knocked on her window.", 10.0),
        scene(3, "the moon knocked", 12.0),
        scene(
            4,
            "A lost baby firefly was crying softly under a fern.",
            40.0
        ),
        scene(
            5,
            "The firefly led them home, and Luna fell asleep with a smile.",
            65.0
        ),
    ]);
    let (scenes, report) = validate_or_repair(&reply, STORY, 80.0, 6, "Luna", Language::En);
    assert_valid(&scenes, STORY, 80.0, 6);
    assert_eq!(report.duplicates_dropped, 2);
    assert_eq!(scenes.len(), 3);
}

#[test]
fn the_wire_form_carries_timestamp_and_timestamp_seconds_alike() {
    let scenes = deterministic_split(STORY, 80.0, 6, "Luna", Language::En);
    for s in &scenes {
        let w = s.to_wire();
        assert_eq!(w["timestamp"], w["timestamp_seconds"]);
        assert_eq!(w["scene_number"], json!(s.scene_number));
        assert!(w["emotion"].is_string() && w["importance"].is_string());
        assert!(w["text_segment"].is_string() && w["illustration_prompt"].is_string());
    }
}

#[test]
fn deterministic_split_obeys_every_rule_over_many_generated_stories() {
    let mut g = Gen(0x5eed_1234_abcd_ef01);
    for case in 0..400 {
        let words = [3, 5, 12, 40, 150, 700, 1400, 3000][case % 8] + g.below(30);
        let l = g.below(5);
        let text = story(&mut g, l, words);
        let max = 3 + g.below(6);
        let duration = [1.0, 7.5, 60.0, 300.0, 3600.0][g.below(5)];
        let scenes = deterministic_split(&text, duration, max, "Luna", lang(l));
        assert_valid(&scenes, &text, duration, max);
        for s in &scenes {
            assert!(s.illustration_prompt.contains("Luna"));
        }
        // Segments are in story order and do not overlap.
        let mut pos = 0;
        for s in &scenes {
            let at = text[pos..].find(&s.text_segment).expect("in order") + pos;
            pos = at + s.text_segment.len();
        }
        assert_eq!(
            scenes,
            deterministic_split(&text, duration, max, "Luna", lang(l)),
            "deterministic"
        );
    }
}

#[test]
fn deterministic_split_prefers_paragraphs_and_balances_scenes() {
    let scenes = deterministic_split(STORY, 80.0, 3, "Luna", Language::En);
    assert_eq!(scenes.len(), 3);
    for s in &scenes {
        assert!(s.text_segment.ends_with('.') || s.text_segment.ends_with('"'));
        let n = count_words(&s.text_segment);
        assert!((15..=30).contains(&n), "{n} words");
    }
}

#[test]
fn tiny_and_empty_stories_do_not_panic() {
    assert!(deterministic_split("", 60.0, 6, "Luna", Language::En).is_empty());
    assert!(deterministic_split(" … ", 60.0, 6, "Luna", Language::En).is_empty());
    let two = deterministic_split("Hello Luna", 60.0, 6, "Luna", Language::En);
    assert_eq!(two.len(), 2);
    let (scenes, _) = validate_or_repair(&json!(null), "Hi", f64::NAN, 0, "", Language::En);
    assert_eq!(scenes.len(), 1);
    assert!(scenes[0].illustration_prompt.contains("the hero"));
}

#[test]
fn mangled_replies_always_come_out_valid() {
    let mut g = Gen(0xdead_beef_cafe_f00d);
    for case in 0..300 {
        let l = g.below(5);
        let n = 80 + g.below(900);
        let text = story(&mut g, l, n);
        let duration = 30.0 + g.below(600) as f64;
        let max = 3 + g.below(6);
        let good = deterministic_split(&text, duration, 12, "Pip", lang(l));
        let mut items: Vec<Value> = good
            .iter()
            .map(|s| serde_json::to_value(s).expect("scene json"))
            .collect();
        match case % 6 {
            0 => items.reverse(),
            1 => {
                for it in &mut items {
                    it["timestamp_seconds"] = json!(g.below(10_000) as f64 - 50.0);
                }
            }
            2 => {
                for it in &mut items {
                    let seg = it["text_segment"]
                        .as_str()
                        .unwrap_or_default()
                        .to_uppercase();
                    it["text_segment"] = json!(seg.replace(' ', "  "));
                }
            }
            3 => {
                let dup = items.clone();
                items.extend(dup);
            }
            4 => {
                for it in &mut items {
                    it["text_segment"] =
                        json!("Completely unrelated words about rockets and pirates");
                }
            }
            _ => {
                for it in &mut items {
                    it["emotion"] = json!("angry");
                    it["scene_number"] = json!(99);
                    it["illustration_prompt"] = json!("");
                }
            }
        }
        let (scenes, _) = validate_or_repair(
            &json!({"scenes": items}),
            &text,
            duration,
            max,
            "Pip",
            lang(l),
        );
        assert_valid(&scenes, &text, duration, max);
    }
}

#[test]
fn chunks_are_bounded_verbatim_and_cover_the_story_in_order() {
    let mut g = Gen(42);
    for case in 0..100 {
        let n = 50 + g.below(3000);
        let text = story(&mut g, case % 5, n);
        let max = [1, 7, 50, 400, 10_000][case % 5];
        let chunks = chunk_story_for_extraction(&text, max);
        let mut expected_offset = 0;
        let mut pos = 0;
        for (offset, chunk) in &chunks {
            let n = count_words(chunk);
            assert!(n >= 1 && n <= max, "{n} words > {max}");
            assert_eq!(*offset, expected_offset);
            let at = text[pos..].find(chunk).expect("verbatim, in order") + pos;
            assert!(text[pos..at].trim().is_empty() || count_words(&text[pos..at]) == 0);
            pos = at + chunk.len();
            expected_offset += n;
        }
        assert_eq!(expected_offset, count_words(&text));
    }
}

#[test]
fn chunk_replies_merge_into_whole_story_timestamps() {
    let chunks = chunk_story_for_extraction(STORY, 25);
    assert!(chunks.len() >= 3);
    // Each chunk's model numbers its own scenes from 1 and times them from 0.
    let replies: Vec<Value> = chunks
        .iter()
        .map(|(_, c)| {
            let first_sentence = crate::text::sentence_spans(c)
                .first()
                .map(|&(s, e)| c[s..e].to_string())
                .unwrap_or_default();
            json!({"scenes": [scene(1, &first_sentence, 0.0)]})
        })
        .collect();
    let (scenes, report) =
        merge_chunk_replies(STORY, &chunks, &replies, 80.0, 6, "Luna", Language::En);
    assert_valid(&scenes, STORY, 80.0, 6);
    assert_eq!(report.replaced, None);
    assert_eq!(scenes.len(), chunks.len().min(6));
    let total = count_words(STORY) as f64;
    for (s, (offset, _)) in scenes.iter().zip(&chunks).skip(1) {
        assert!((s.timestamp_seconds - 80.0 * *offset as f64 / total).abs() < 0.01);
    }
}

#[test]
fn broken_chunk_replies_fall_back_to_the_split() {
    let chunks = chunk_story_for_extraction(STORY, 25);
    let replies = vec![json!("garbage"); chunks.len()];
    let (scenes, report) =
        merge_chunk_replies(STORY, &chunks, &replies, 80.0, 6, "Luna", Language::En);
    assert_eq!(report.replaced, Some(ReplaceReason::Unreadable));
    assert_valid(&scenes, STORY, 80.0, 6);
}

#[test]
fn scenes_per_chunk_are_proportional_and_at_least_one() {
    assert_eq!(scenes_for_chunk(500, 1000, 6), 3);
    assert_eq!(scenes_for_chunk(10, 1000, 6), 1);
    assert_eq!(scenes_for_chunk(1000, 1000, 6), 6);
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

#[test]
fn the_apps_extract_request_parses() {
    let req = ExtractRequest::parse(
        &obj(json!({"story_content": STORY, "story_duration": 300,
                    "hero": {"id": "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "name": "Luna"},
                    "event_context": "Bedtime Adventure",
                    "story_id": "01890A5D-AC96-774B-BCCE-B302099A8057", "language": "es"})),
        5000,
    )
    .expect("valid");
    assert_eq!(req.story_duration, 300.0);
    assert_eq!(req.hero.name, "Luna");
    assert_eq!(
        req.hero.id.map(|h| h.to_string()).as_deref(),
        Some("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
    );
    assert_eq!(req.event_context.as_deref(), Some("Bedtime Adventure"));
    assert!(req.story_id.is_some());
    assert_eq!(req.language, Language::Es);
}

#[test]
fn extract_request_limits_are_enforced() {
    let long = "word ".repeat(101);
    let err = ExtractRequest::parse(
        &obj(
            json!({"story_content": long, "story_duration": 4000, "hero": {"id": "x"},
                    "language": "xx", "story_id": "nope"}),
        ),
        100,
    )
    .expect_err("invalid");
    let fields: Vec<_> = err.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "story_content",
            "story_duration",
            "language",
            "story_id",
            "hero.name"
        ]
    );
    let missing = ExtractRequest::parse(&obj(json!({})), 100).expect_err("missing");
    let fields: Vec<_> = missing.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["story_content", "hero"]);
}

#[test]
fn a_missing_story_duration_is_estimated_from_the_words() {
    let req = ExtractRequest::parse(
        &obj(json!({"story_content": "word ".repeat(280), "hero": {"name": "Luna"}})),
        5000,
    )
    .expect("valid");
    assert_eq!(req.story_duration, 120.0);
}
