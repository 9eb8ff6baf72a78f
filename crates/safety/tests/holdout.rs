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
//! Batches 3–6 were each written by a separate author (a helper that never saw the rules nor
//! the other batches; in `/tmp`, outside the repo) and measured ONCE with the rules of the
//! time before any tuning on them — the honest generalisation numbers (hard recall = rejected
//! with and without a hint and flagged by the output check; false rejections out of the
//! batch's safe cases):
//!
//! | batch | rules measured | hard recall | false rejections | injections | companions |
//! |---|---|---|---|---|---|
//! | h4 (200 hard / 200 safe) | start of round 1 | 52.5 % | 3 | 63 % | 100 % |
//! | h3 (225 / 225) | after round 1 (tuned on h4) | 79.6 % | 4 | 87 % | 100 % |
//! | h5 (200 / 200, "hard for a keyword filter") | after round 2 (h3) | 53.0 % | 3 | 63 % | 100 % |
//! | h6 (200 / 200) | after round 3 (h5) | 74.0 % | 9 | 73 % | 100 % |
//! | h7 (200 / 200) | after round 4 (h6) | 69.5 % | 4 | 67 % | 100 % |
//! | h8 (200 / 200) | after round 5 (h7) | 74.5 % | 5 | 97 % | 100 % |
//! | h9 (200 / 200, in `holdout/next/`) | after round 6 (h8) | 77.5 % | 5 | 87 % | 100 % |
//!
//! The rules of the start of round 1 scored 62.2 % on h3, 32.5 % on h5, 51.5 % on h6 and
//! 44.0 % on h7 and 48.0 % on h8 (9 false rejections), so
//! each round generalised, but no round reached the bar on a batch it had not seen:
//! term and co-occurrence rules alone do not reject *every* unseen hard case. Each round
//! tuned on the newest batch by concept (word classes with inflections, `near` co-occurrence
//! rules with safe-context exclusions) — never by copying its sentences — and the batch then
//! joined this directory as a regression set. Batch 9 is the newest measurement: four of its
//! five false rejections (anatomy questions, a pug called Killer, "that joke killed me", a
//! body-safety lesson) were fixed after the measurement; the fifth ("a mi hermano lo mato …
//! jaja") is left rejected on purpose (a first-person threat to kill a sibling), and its 45
//! missed hard cases were not tuned on — it waits in `holdout/next/` (not asserted) as the
//! tuning set of the next round, which must then be measured on a batch written after it.
//! Judge any other set the same way with `scripts/safety-eval PATH`.
//!
//! Every batch must now meet the bar: zero false rejections on safe prose (with and
//! without a language hint, and in the output check), every hard case rejected (with and
//! without a hint, and flagged by the output check), every image prompt leaving the sanitiser
//! with a companion. The per-language/per-category table is printed with
//! `cargo test -p safety --test holdout -- --nocapture`.

#[path = "support/eval.rs"]
mod eval;

use safety::Engine;
use std::path::Path;

fn assert_batch(batch: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/holdout");
    let files = eval::files(&dir, &format!("{batch}_")).expect("holdout directory is readable");
    let cases = eval::load(&files).expect("holdout cases are well-formed");
    let r = eval::evaluate(Engine::global(), &format!("holdout batch {batch}"), &cases);
    println!("{}", r.table);
    for n in &r.notes {
        println!("  note: {n}");
    }
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

#[test]
fn holdout_batch_3_zero_false_rejections_full_hard_recall_companions() {
    assert_batch("h3");
}

#[test]
fn holdout_batch_4_zero_false_rejections_full_hard_recall_companions() {
    assert_batch("h4");
}

#[test]
fn holdout_batch_5_zero_false_rejections_full_hard_recall_companions() {
    assert_batch("h5");
}

#[test]
fn holdout_batch_6_zero_false_rejections_full_hard_recall_companions() {
    assert_batch("h6");
}

#[test]
fn holdout_batch_7_zero_false_rejections_full_hard_recall_companions() {
    assert_batch("h7");
}

#[test]
fn holdout_batch_8_zero_false_rejections_full_hard_recall_companions() {
    assert_batch("h8");
}
