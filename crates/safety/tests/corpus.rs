//! Corpus-driven tests: every labelled case in `tests/corpus/*.jsonl` is run through the
//! engine, per-case expectations are checked, and precision/recall per category is printed
//! (`cargo test -p safety -- --nocapture`).
//!
//! Case kinds:
//! * `safe` — bedtime prose that must come back byte-identical, with and without a language
//!   hint, and pass the output check;
//! * `soft` — must be rewritten (the labelled category among the interventions, the listed
//!   words gone), never rejected; rewriting again changes nothing;
//! * `hard` — must be rejected with and without a hint, with the labelled category when
//!   hinted, and fail the output check;
//! * `injection` — must be detected (labelled kind) and neutralised;
//! * `image` — the sanitised prompt has a companion, the style, ≤ 4000 chars, is idempotent,
//!   and lost the listed terms;
//! * `output` — a generated story: unsafe with the labelled category, or safe.

use domain::Language;
use safety::{
    Action, Category, Engine, IMAGE_STYLE, InjectionKind, InputVerdict, MAX_IMAGE_PROMPT_CHARS,
    OutputVerdict, SanitizeOptions,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const LIMIT: usize = 2_000;

#[derive(Debug)]
struct Case {
    id: String,
    lang: Language,
    kind: String,
    text: String,
    category: Option<String>,
    raw: Value,
}

fn load_corpus() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus directory exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let body = std::fs::read_to_string(&file).expect("corpus file is readable");
        for (n, line) in body.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let raw: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), n + 1));
            let get = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
            cases.push(Case {
                id: get("id").expect("case has an id"),
                lang: Language::parse(&get("lang").expect("case has a lang"))
                    .expect("case lang is supported"),
                kind: get("kind").expect("case has a kind"),
                text: get("text").expect("case has a text"),
                category: get("category"),
                raw: raw.clone(),
            });
        }
    }
    cases
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The label the engine gives an input: the rejection category, prompt_injection, the
/// soft categories it rewrote, or safe.
fn predicted_labels(v: &InputVerdict) -> Vec<String> {
    match v {
        InputVerdict::Rejected { category, .. } => vec![category.as_str().to_owned()],
        InputVerdict::TooLong { .. } => vec!["too_long".to_owned()],
        InputVerdict::Accepted { interventions, .. } => {
            let mut labels: Vec<String> = interventions
                .iter()
                .filter(|i| i.category.is_soft() || i.category == Category::PromptInjection)
                .map(|i| i.category.as_str().to_owned())
                .collect();
            labels.dedup();
            if labels.is_empty() {
                labels.push("safe".to_owned());
            }
            labels
        }
    }
}

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

fn pct(num: usize, den: usize) -> String {
    if den == 0 {
        "   -  ".to_owned()
    } else {
        format!("{:6.1}", 100.0 * num as f64 / den as f64)
    }
}

#[test]
fn corpus_meets_its_expectations_and_reports_precision_and_recall() {
    let engine = Engine::new();
    let cases = load_corpus();
    assert!(cases.len() >= 300, "corpus has {} cases", cases.len());
    let mut failures: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut false_rejections = 0usize;
    let mut hard_total = 0usize;
    let mut hard_rejected = 0usize;
    let mut images = 0usize;
    let mut images_with_companion = 0usize;

    for case in &cases {
        *per_kind.entry(case.kind.clone()).or_default() += 1;
        let fail = |failures: &mut Vec<String>, msg: String| {
            failures.push(format!(
                "{} ({}): {msg}\n    text: {}",
                case.id, case.kind, case.text
            ));
        };
        match case.kind.as_str() {
            "safe" | "soft" | "hard" | "injection" => {
                let hinted = engine.screen_input(&case.text, Some(case.lang), LIMIT);
                let unhinted = engine.screen_input(&case.text, None, LIMIT);
                let expected = match case.kind.as_str() {
                    "safe" => "safe".to_owned(),
                    "injection" => "prompt_injection".to_owned(),
                    _ => case
                        .category
                        .clone()
                        .expect("soft/hard cases have a category"),
                };
                // Soft cases may legitimately carry several soft categories ("a scary
                // monster in the dark forest" is scary and dark): `also` lists the others.
                let mut expected_all = vec![expected.clone()];
                expected_all.extend(strings(&case.raw, "also"));
                let predicted = predicted_labels(&hinted);
                for label in &predicted {
                    let c = counts.entry(label.clone()).or_default();
                    if expected_all.contains(label) {
                        c.tp += 1;
                    } else {
                        c.fp += 1;
                        notes.push(format!("{}: also {label}", case.id));
                    }
                }
                for label in &expected_all {
                    if !predicted.contains(label) {
                        counts.entry(label.clone()).or_default().fn_ += 1;
                    }
                }
                if case.kind != "hard" && (hinted.is_rejected() || unhinted.is_rejected()) {
                    false_rejections += 1;
                }
                check_input_case(&engine, case, &hinted, &unhinted, &mut failures, &fail);
                if case.kind == "hard" {
                    hard_total += 1;
                    if hinted.is_rejected() && unhinted.is_rejected() {
                        hard_rejected += 1;
                    }
                }
            }
            "image" => {
                images += 1;
                if check_image_case(&engine, case, &mut failures, &fail) {
                    images_with_companion += 1;
                }
            }
            "output" => check_output_case(&engine, case, &mut failures, &fail),
            other => fail(&mut failures, format!("unknown kind {other}")),
        }
    }

    println!("\ncorpus: {} cases {:?}", cases.len(), per_kind);
    println!(
        "{:<24} {:>5} {:>5} {:>5} {:>9} {:>9}",
        "label", "TP", "FP", "FN", "precision", "recall"
    );
    for (label, c) in &counts {
        println!(
            "{:<24} {:>5} {:>5} {:>5} {:>9} {:>9}",
            label,
            c.tp,
            c.fp,
            c.fn_,
            pct(c.tp, c.tp + c.fp),
            pct(c.tp, c.tp + c.fn_)
        );
    }
    println!(
        "hard recall (rejected with and without hint): {hard_rejected}/{hard_total}; \
         false rejections of non-hard cases: {false_rejections}; \
         image prompts with a companion: {images_with_companion}/{images}"
    );
    if !notes.is_empty() {
        println!("unlabelled extra categories: {}", notes.join("; "));
    }
    if !failures.is_empty() {
        println!("\n{} failing case(s):", failures.len());
        for f in &failures {
            println!("  {f}");
        }
    }
    assert_eq!(false_rejections, 0, "safe/soft/injection text was rejected");
    assert_eq!(hard_rejected, hard_total, "hard recall below 100%");
    assert_eq!(
        images_with_companion, images,
        "an image prompt lacks a companion"
    );
    assert!(
        failures.is_empty(),
        "{} corpus case(s) failed",
        failures.len()
    );
}

fn check_input_case(
    engine: &Engine,
    case: &Case,
    hinted: &InputVerdict,
    unhinted: &InputVerdict,
    failures: &mut Vec<String>,
    fail: &dyn Fn(&mut Vec<String>, String),
) {
    match case.kind.as_str() {
        "safe" => {
            for (mode, v) in [("hinted", hinted), ("unhinted", unhinted)] {
                match v {
                    InputVerdict::Accepted { text, changed, .. }
                        if !changed && text == &case.text => {}
                    other => fail(
                        failures,
                        format!("{mode}: safe text not passed unchanged: {other:?}"),
                    ),
                }
            }
            if let OutputVerdict::Unsafe { categories, .. } =
                engine.check_output(&case.text, case.lang)
            {
                fail(
                    failures,
                    format!("output check flags safe text: {categories:?}"),
                );
            }
        }
        "soft" => {
            let category = case.category.as_deref().unwrap_or_default();
            let InputVerdict::Accepted {
                text,
                interventions,
                changed,
            } = hinted
            else {
                fail(failures, format!("soft text not accepted: {hinted:?}"));
                return;
            };
            if !changed {
                fail(failures, "soft text was not rewritten".to_owned());
            }
            if !interventions
                .iter()
                .any(|i| i.category.as_str() == category && i.action == Action::Rewritten)
            {
                fail(
                    failures,
                    format!("no {category} rewrite in {interventions:?} → {text}"),
                );
            }
            let lower = text.to_lowercase();
            for gone in strings(&case.raw, "absent") {
                if contains_word(&lower, &gone.to_lowercase()) {
                    fail(
                        failures,
                        format!("`{gone}` still in rewritten text: {text}"),
                    );
                }
            }
            match engine.screen_input(text, Some(case.lang), LIMIT) {
                InputVerdict::Accepted { changed: false, .. } => {}
                other => fail(
                    failures,
                    format!("rewriting is not idempotent: {text} → {other:?}"),
                ),
            }
            if unhinted.is_rejected() {
                fail(
                    failures,
                    format!("soft text rejected without hint: {unhinted:?}"),
                );
            }
        }
        "hard" => {
            let expected = case.category.as_deref().unwrap_or_default();
            match hinted {
                InputVerdict::Rejected { category, .. } if category.as_str() == expected => {}
                other => fail(
                    failures,
                    format!("expected rejection as {expected}, got {other:?}"),
                ),
            }
            if !unhinted.is_rejected() {
                fail(
                    failures,
                    format!("not rejected without a language hint: {unhinted:?}"),
                );
            }
            match engine.check_output(&case.text, case.lang) {
                OutputVerdict::Unsafe { .. } => {}
                other => fail(
                    failures,
                    format!("output check misses hard text: {other:?}"),
                ),
            }
        }
        "injection" => {
            let expected = case
                .raw
                .get("injection")
                .and_then(Value::as_str)
                .and_then(InjectionKind::parse);
            let detected = engine.detect_injection(&case.text);
            if detected.is_none() || (expected.is_some() && detected != expected) {
                fail(
                    failures,
                    format!("detected {detected:?}, expected {expected:?}"),
                );
            }
            match hinted {
                InputVerdict::Accepted {
                    text,
                    interventions,
                    ..
                } => {
                    if !interventions.iter().any(|i| {
                        i.category == Category::PromptInjection && i.action == Action::Neutralised
                    }) {
                        fail(
                            failures,
                            format!("injection not neutralised: {interventions:?}"),
                        );
                    }
                    if let Some(k) = engine.detect_injection(text) {
                        fail(
                            failures,
                            format!("still an injection ({k}) after screening: {text}"),
                        );
                    }
                }
                other => fail(failures, format!("injection text not accepted: {other:?}")),
            }
        }
        _ => {}
    }
}

fn contains_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(i, m)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + m.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn check_image_case(
    engine: &Engine,
    case: &Case,
    failures: &mut Vec<String>,
    fail: &dyn Fn(&mut Vec<String>, String),
) -> bool {
    let opts = SanitizeOptions {
        language: case.lang,
        hero_appearance: Some("a seven-year-old girl with curly red hair and a yellow raincoat"),
        companion_hint: None,
    };
    let once = engine.sanitize_image_prompt(&case.text, &opts);
    let twice = engine.sanitize_image_prompt(&once.prompt, &opts);
    let bare = engine.sanitize_image_prompt(
        &case.text,
        &SanitizeOptions {
            language: case.lang,
            hero_appearance: None,
            companion_hint: Some("Biscuit, her golden puppy"),
        },
    );
    let has_companion = engine.has_companion(&once.prompt) && engine.has_companion(&bare.prompt);
    if !has_companion {
        fail(failures, format!("no companion in: {}", once.prompt));
    }
    if twice.prompt != once.prompt {
        fail(
            failures,
            format!(
                "not idempotent:\n      {}\n      {}",
                once.prompt, twice.prompt
            ),
        );
    }
    if once.prompt.chars().count() > MAX_IMAGE_PROMPT_CHARS || !once.prompt.contains(IMAGE_STYLE) {
        fail(failures, format!("too long or no style: {}", once.prompt));
    }
    match case.raw.get("companion").and_then(Value::as_str) {
        Some("added") if !once.companion_added => {
            fail(failures, "companion should have been added".into())
        }
        Some("present") if once.companion_added => {
            fail(failures, "companion was already present".into())
        }
        _ => {}
    }
    if bare.companion_added && !bare.prompt.contains("Biscuit, her golden puppy") {
        fail(
            failures,
            format!("companion hint not used: {}", bare.prompt),
        );
    }
    for term in strings(&case.raw, "removed") {
        let term = term.to_lowercase();
        if !once
            .removed_terms
            .iter()
            .any(|r| r.to_lowercase().starts_with(&term))
        {
            fail(
                failures,
                format!("`{term}` not reported removed: {:?}", once.removed_terms),
            );
        }
    }
    let lower = once.prompt.to_lowercase();
    for gone in strings(&case.raw, "absent") {
        if lower.contains(&gone.to_lowercase()) {
            fail(failures, format!("`{gone}` still in: {}", once.prompt));
        }
    }
    has_companion
}

fn check_output_case(
    engine: &Engine,
    case: &Case,
    failures: &mut Vec<String>,
    fail: &dyn Fn(&mut Vec<String>, String),
) {
    let verdict = engine.check_output(&case.text, case.lang);
    match (&case.category, &verdict) {
        (None, OutputVerdict::Safe { .. }) => {}
        (
            Some(c),
            OutputVerdict::Unsafe {
                categories,
                findings,
            },
        ) => {
            if !categories.iter().any(|x| x.as_str() == c) {
                fail(failures, format!("expected {c}, got {categories:?}"));
            }
            for f in findings {
                if case.text.get(f.start..f.end).is_none() {
                    fail(failures, format!("finding offsets are not a slice: {f:?}"));
                }
            }
        }
        (expected, got) => fail(failures, format!("expected {expected:?}, got {got:?}")),
    }
}

#[test]
fn safe_corpus_prose_joined_into_stories_passes_output_checks() {
    let engine = Engine::new();
    let cases = load_corpus();
    for lang in Language::ALL {
        let story: Vec<&str> = cases
            .iter()
            .filter(|c| c.kind == "safe" && c.lang == lang)
            .map(|c| c.text.as_str())
            .collect();
        assert!(story.len() >= 20, "{lang}: only {} safe cases", story.len());
        let story = story.join(" ");
        match engine.check_output(&story, lang) {
            OutputVerdict::Safe { .. } => {}
            other => panic!("{lang}: joined safe prose flagged: {other:?}"),
        }
        match engine.screen_input(&story, Some(lang), 100_000) {
            InputVerdict::Accepted { changed: false, .. } => {}
            other => panic!("{lang}: joined safe prose changed: {other:?}"),
        }
    }
}
