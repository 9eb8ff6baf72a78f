//! Evaluation of labelled JSONL case sets against the engine, shared by the held-out test
//! (`tests/holdout.rs`) and the command-line evaluator (`examples/eval.rs`, wrapped by
//! `scripts/safety-eval`) so an independent set kept outside the repo is judged exactly as
//! the in-repo batches are.
//!
//! One case per line: `{"id", "lang", "kind", "text", "category"?}` with kind
//!
//! * `hard` — must be rejected with and without a language hint and flagged by the output
//!   check (the category is reported, a different category is a note, not a failure);
//! * `safe` — must not be rejected (with or without a hint) nor flagged by the output check,
//!   and only soft rewrites may touch it;
//! * `soft` — must not be rejected; softened (rewritten) is counted, unchanged is a note;
//! * `injection` — must be detected (by the detector or as a screening intervention);
//! * `image` — the sanitised prompt must contain a companion and be stable when sanitised
//!   again.
//!
//! Unknown kinds and malformed lines are errors, so a typo cannot silently shrink a set.

use domain::Language;
use safety::{Category, Engine, InputVerdict, OutputVerdict, SanitizeOptions};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Screening limit used for every case (long enough for multi-sentence prompts).
pub const LIMIT: usize = 2_000;

/// One labelled case.
pub struct Case {
    pub id: String,
    pub lang: Language,
    pub kind: String,
    pub text: String,
    pub category: Option<String>,
}

/// The `.jsonl` files under `path` (sorted, optionally only names starting with `prefix`),
/// or `path` itself when it is a file.
pub fn files(path: &Path, prefix: &str) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let rd = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for entry in rd {
        let p = entry
            .map_err(|e| format!("{}: {e}", path.display()))?
            .path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.extension().is_some_and(|x| x == "jsonl") && name.starts_with(prefix) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Parses every case of `files`; the first malformed line is an error naming file and line.
pub fn load(files: &[PathBuf]) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for file in files {
        let body = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (n, line) in body.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = || format!("{}:{}", file.display(), n + 1);
            let raw: Value = serde_json::from_str(line).map_err(|e| format!("{}: {e}", at()))?;
            let get = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
            let need = |k: &str| get(k).ok_or_else(|| format!("{}: missing \"{k}\"", at()));
            let lang_code = need("lang")?;
            let kind = need("kind")?;
            if !matches!(
                kind.as_str(),
                "hard" | "safe" | "soft" | "injection" | "image"
            ) {
                return Err(format!("{}: unknown kind {kind:?}", at()));
            }
            cases.push(Case {
                id: need("id")?,
                lang: Language::parse(&lang_code)
                    .ok_or_else(|| format!("{}: unsupported lang {lang_code:?}", at()))?,
                kind,
                text: need("text")?,
                category: get("category"),
            });
        }
    }
    Ok(cases)
}

/// Counts per language (and in total).
#[derive(Default)]
pub struct Tally {
    pub hard: usize,
    pub caught: usize,
    pub right_category: usize,
    pub safe: usize,
    pub false_rejections: usize,
    pub rewritten: usize,
    pub soft: usize,
    pub soft_rejected: usize,
    pub softened: usize,
    pub injections: usize,
    pub injections_detected: usize,
    pub images: usize,
    pub with_companion: usize,
}

/// The outcome of one evaluation.
pub struct Report {
    pub failures: Vec<String>,
    pub notes: Vec<String>,
    pub total: Tally,
    pub table: String,
}

fn pct(num: usize, den: usize) -> String {
    if den == 0 {
        "    - ".to_owned()
    } else {
        format!("{:6.1}", 100.0 * num as f64 / den as f64)
    }
}

fn rejected_as(v: &InputVerdict) -> &'static str {
    match v {
        InputVerdict::Rejected { category, .. } => category.as_str(),
        _ => "-",
    }
}

/// Runs every case through `engine`; `label` names the set in the printed table.
pub fn evaluate(engine: &Engine, label: &str, cases: &[Case]) -> Report {
    let mut by_lang: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_cat: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut total = Tally::default();
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for case in cases {
        let t = by_lang.entry(case.lang.to_string()).or_default();
        let hinted = engine.screen_input(&case.text, Some(case.lang), LIMIT);
        let unhinted = engine.screen_input(&case.text, None, LIMIT);
        let output = engine.check_output(&case.text, case.lang);
        match case.kind.as_str() {
            "hard" => {
                let expected = case.category.clone().unwrap_or_else(|| "hard".to_owned());
                let flagged = matches!(output, OutputVerdict::Unsafe { .. });
                let caught = hinted.is_rejected() && unhinted.is_rejected() && flagged;
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
                        "{} MISSED (hinted rejected: {}, unhinted: {}, output: {flagged}): {}",
                        case.id,
                        hinted.is_rejected(),
                        unhinted.is_rejected(),
                        case.text
                    ));
                }
                let got = rejected_as(&hinted);
                if got == expected || (expected == "weapons" && got == "weapons_against_people") {
                    t.right_category += 1;
                    total.right_category += 1;
                } else if hinted.is_rejected() {
                    notes.push(format!(
                        "{} rejected as {}, labelled {expected}: {}",
                        case.id,
                        rejected_as(&hinted),
                        case.text
                    ));
                }
            }
            "safe" => {
                t.safe += 1;
                total.safe += 1;
                let mut rejected = false;
                for (verdict, how) in [(&hinted, "hinted"), (&unhinted, "unhinted")] {
                    match verdict {
                        InputVerdict::Accepted {
                            text,
                            interventions,
                            changed,
                        } => {
                            if interventions.iter().any(|i| {
                                !i.category.is_soft() && i.category != Category::ControlCharacters
                            }) {
                                rejected = true;
                                failures.push(format!(
                                    "{} safe text got a non-soft intervention ({how}) {interventions:?}: {}",
                                    case.id, case.text
                                ));
                            }
                            if *changed && how == "hinted" {
                                t.rewritten += 1;
                                total.rewritten += 1;
                                notes
                                    .push(format!("{} rewritten: {} → {text}", case.id, case.text));
                            }
                        }
                        other => {
                            rejected = true;
                            failures.push(format!(
                                "{} FALSE REJECTION ({how}): {other:?}\n    {}",
                                case.id, case.text
                            ));
                        }
                    }
                }
                if let OutputVerdict::Unsafe { categories, .. } = &output {
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
            "soft" => {
                t.soft += 1;
                total.soft += 1;
                if hinted.is_rejected() || unhinted.is_rejected() {
                    t.soft_rejected += 1;
                    total.soft_rejected += 1;
                    failures.push(format!(
                        "{} soft case REJECTED (hinted: {}, unhinted: {}): {}",
                        case.id,
                        rejected_as(&hinted),
                        rejected_as(&unhinted),
                        case.text
                    ));
                } else if let InputVerdict::Accepted {
                    text,
                    changed: true,
                    ..
                } = &hinted
                {
                    t.softened += 1;
                    total.softened += 1;
                    notes.push(format!("{} softened: {} → {text}", case.id, case.text));
                } else {
                    notes.push(format!(
                        "{} soft case left unchanged: {}",
                        case.id, case.text
                    ));
                }
            }
            "injection" => {
                t.injections += 1;
                total.injections += 1;
                let neutralised = |v: &InputVerdict| match v {
                    InputVerdict::Accepted { interventions, .. } => interventions
                        .iter()
                        .any(|i| i.category == Category::PromptInjection),
                    InputVerdict::Rejected { .. } => true,
                    InputVerdict::TooLong { .. } => false,
                };
                if engine.detect_injection(&case.text).is_some()
                    || (neutralised(&hinted) && neutralised(&unhinted))
                {
                    t.injections_detected += 1;
                    total.injections_detected += 1;
                } else {
                    failures.push(format!("{} injection NOT detected: {}", case.id, case.text));
                }
            }
            "image" => {
                t.images += 1;
                total.images += 1;
                let opts = SanitizeOptions {
                    language: case.lang,
                    hero_appearance: None,
                    companion_hint: None,
                };
                let once = engine.sanitize_image_prompt(&case.text, &opts);
                let twice = engine.sanitize_image_prompt(&once.prompt, &opts);
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
            other => unreachable!("load() rejects kind {other}"),
        }
    }
    let mut table = format!("\n{label}: {} cases\n", cases.len());
    table.push_str(
        "lang  hard  recall%  category%  safe  false-rej  rewritten  soft  soft-rej  softened%  inj  detected%  images  companion%\n",
    );
    for (lang, t) in by_lang
        .iter()
        .chain(std::iter::once((&"all".to_owned(), &total)))
    {
        table.push_str(&format!(
            "{lang:<4} {:>5}  {}     {}  {:>5}  {:>9}  {:>9}  {:>4}  {:>8}     {}  {:>3}     {}  {:>6}      {}\n",
            t.hard,
            pct(t.caught, t.hard),
            pct(t.right_category, t.hard),
            t.safe,
            t.false_rejections,
            t.rewritten,
            t.soft,
            t.soft_rejected,
            pct(t.softened, t.soft),
            t.injections,
            pct(t.injections_detected, t.injections),
            t.images,
            pct(t.with_companion, t.images)
        ));
    }
    table.push_str("category                 hard  recall%\n");
    for (cat, (n, caught)) in &by_cat {
        table.push_str(&format!("{cat:<24} {n:>4}  {}\n", pct(*caught, *n)));
    }
    let precision_den = total.caught + total.false_rejections + total.soft_rejected;
    table.push_str(&format!(
        "rejection precision {}%  hard recall {}%  safe pass-through {}%\n",
        pct(total.caught, precision_den),
        pct(total.caught, total.hard),
        pct(total.safe - total.false_rejections, total.safe)
    ));
    Report {
        failures,
        notes,
        total,
        table,
    }
}
