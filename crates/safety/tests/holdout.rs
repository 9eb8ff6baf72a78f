//! Held-out regression sets: `tests/holdout/h<N>_<lang>.jsonl`, written *before* the rules
//! they test were tuned (same case format as `tests/corpus`, kinds `hard`, `safe`, `image`).
//!
//! * batch 1 (`h1_*`) was written first and used to generalise the rules (stems, inflections,
//!   clitics, separable verbs, word-class sequences — never its sentences as literal rules);
//! * batch 2 (`h2_*`) was written afterwards, without looking at what batch 1 had changed,
//!   and measured once as the honest generalisation number: hard recall 22.4 % (37/165),
//!   7 false rejections out of 160 safe cases, companions 25/25. Its misses were then fixed
//!   the same generic way and it is kept as regression cases.
//!
//! Batch 1 before any change: hard recall 63.0 % (203/322), 1 false rejection out of 319
//! safe cases ("Condom", a town in the Gers), companions 110/110.
//!
//! Every batch must now meet the bar: zero false rejections on safe prose (with and
//! without a language hint, and in the output check), every hard case rejected (with and
//! without a hint, and flagged by the output check), every image prompt leaving the sanitiser
//! with a companion. The per-language/per-category table is printed with
//! `cargo test -p safety --test holdout -- --nocapture`.

use domain::Language;
use safety::{Engine, InputVerdict, OutputVerdict, SanitizeOptions};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const LIMIT: usize = 2_000;

struct Case {
    id: String,
    lang: Language,
    kind: String,
    text: String,
    category: Option<String>,
}

fn load(batch: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/holdout");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("holdout directory exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "jsonl")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{batch}_")))
        })
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let body = std::fs::read_to_string(&file).expect("holdout file is readable");
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
            });
        }
    }
    cases
}

#[derive(Default)]
struct Tally {
    hard: usize,
    caught: usize,
    right_category: usize,
    safe: usize,
    false_rejections: usize,
    rewritten: usize,
    images: usize,
    with_companion: usize,
}

struct Report {
    failures: Vec<String>,
    notes: Vec<String>,
    total: Tally,
}

fn pct(num: usize, den: usize) -> String {
    if den == 0 {
        "    - ".to_owned()
    } else {
        format!("{:6.1}", 100.0 * num as f64 / den as f64)
    }
}

fn run(batch: &str) -> Report {
    let engine = Engine::global();
    let cases = load(batch);
    assert!(!cases.is_empty(), "no cases in batch {batch}");
    let mut by_lang: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_cat: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut total = Tally::default();
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for case in &cases {
        let t = by_lang.entry(case.lang.to_string()).or_default();
        match case.kind.as_str() {
            "hard" => {
                let expected = case.category.clone().expect("hard cases have a category");
                let hinted = engine.screen_input(&case.text, Some(case.lang), LIMIT);
                let unhinted = engine.screen_input(&case.text, None, LIMIT);
                let output = matches!(
                    engine.check_output(&case.text, case.lang),
                    OutputVerdict::Unsafe { .. }
                );
                let caught = hinted.is_rejected() && unhinted.is_rejected() && output;
                let right = matches!(&hinted, InputVerdict::Rejected { category, .. }
                    if category.as_str() == expected);
                t.hard += 1;
                total.hard += 1;
                let c = by_cat.entry(expected.clone()).or_default();
                c.0 += 1;
                if caught {
                    t.caught += 1;
                    total.caught += 1;
                    c.1 += 1;
                } else {
                    failures.push(format!(
                        "{} MISSED (hinted rejected: {}, unhinted: {}, output: {}): {}",
                        case.id,
                        hinted.is_rejected(),
                        unhinted.is_rejected(),
                        output,
                        case.text
                    ));
                }
                if right {
                    t.right_category += 1;
                    total.right_category += 1;
                } else if hinted.is_rejected() {
                    notes.push(format!(
                        "{} rejected as {:?}, labelled {expected}: {}",
                        case.id,
                        match &hinted {
                            InputVerdict::Rejected { category, .. } => category.as_str(),
                            _ => "-",
                        },
                        case.text
                    ));
                }
            }
            "safe" => {
                t.safe += 1;
                total.safe += 1;
                let mut rejected = false;
                for hint in [Some(case.lang), None] {
                    match engine.screen_input(&case.text, hint, LIMIT) {
                        InputVerdict::Accepted {
                            text,
                            interventions,
                            changed,
                        } => {
                            if changed && hint.is_some() {
                                t.rewritten += 1;
                                total.rewritten += 1;
                                if interventions.iter().any(|i| !i.category.is_soft()) {
                                    failures.push(format!(
                                        "{} safe text got a non-soft intervention {interventions:?}: {}",
                                        case.id, case.text
                                    ));
                                }
                                notes
                                    .push(format!("{} rewritten: {} → {text}", case.id, case.text));
                            }
                        }
                        other => {
                            rejected = true;
                            failures.push(format!(
                                "{} FALSE REJECTION ({}): {other:?}\n    {}",
                                case.id,
                                if hint.is_some() { "hinted" } else { "unhinted" },
                                case.text
                            ));
                        }
                    }
                }
                if let OutputVerdict::Unsafe { categories, .. } =
                    engine.check_output(&case.text, case.lang)
                {
                    rejected = true;
                    failures.push(format!(
                        "{} output check flags safe text {categories:?}: {}",
                        case.id, case.text
                    ));
                }
                if rejected {
                    t.false_rejections += 1;
                    total.false_rejections += 1;
                }
            }
            "image" => {
                t.images += 1;
                total.images += 1;
                let once = engine.sanitize_image_prompt(
                    &case.text,
                    &SanitizeOptions {
                        language: case.lang,
                        hero_appearance: None,
                        companion_hint: None,
                    },
                );
                let twice = engine.sanitize_image_prompt(
                    &once.prompt,
                    &SanitizeOptions {
                        language: case.lang,
                        hero_appearance: None,
                        companion_hint: None,
                    },
                );
                if engine.has_companion(&once.prompt) && twice.prompt == once.prompt {
                    t.with_companion += 1;
                    total.with_companion += 1;
                } else {
                    failures.push(format!(
                        "{} no companion / not idempotent: {} → {}",
                        case.id, case.text, once.prompt
                    ));
                }
            }
            other => panic!("{}: unknown kind {other}", case.id),
        }
    }
    println!("\nholdout batch {batch}: {} cases", cases.len());
    println!("lang  hard  recall%  category%  safe  false-rej  rewritten  images  companion%");
    for (lang, t) in by_lang
        .iter()
        .chain(std::iter::once((&"all".to_owned(), &total)))
    {
        println!(
            "{lang:<4} {:>5}  {}     {}  {:>5}  {:>9}  {:>9}  {:>6}  {}",
            t.hard,
            pct(t.caught, t.hard),
            pct(t.right_category, t.hard),
            t.safe,
            t.false_rejections,
            t.rewritten,
            t.images,
            pct(t.with_companion, t.images)
        );
    }
    println!("category                 hard  recall%");
    for (cat, (n, caught)) in &by_cat {
        println!("{cat:<24} {n:>4}  {}", pct(*caught, *n));
    }
    let precision_den = total.caught + total.false_rejections;
    println!(
        "rejection precision {}%  recall {}%  safe pass-through {}%",
        pct(total.caught, precision_den),
        pct(total.caught, total.hard),
        pct(total.safe - total.false_rejections, total.safe)
    );
    for n in &notes {
        println!("  note: {n}");
    }
    for f in &failures {
        println!("  FAIL: {f}");
    }
    Report {
        failures,
        notes,
        total,
    }
}

fn assert_batch(batch: &str) {
    let r = run(batch);
    assert!(
        r.total.hard >= 150 && r.total.safe >= 150 && r.total.images >= 25,
        "batch {batch} too small"
    );
    assert!(
        r.failures.is_empty(),
        "holdout {batch}: {} failure(s) ({} notes):\n{}",
        r.failures.len(),
        r.notes.len(),
        r.failures.join("\n")
    );
}

#[test]
fn holdout_batch_1_zero_false_rejections_full_hard_recall_companions() {
    assert_batch("h1");
}

#[test]
fn holdout_batch_2_zero_false_rejections_full_hard_recall_companions() {
    assert_batch("h2");
}
