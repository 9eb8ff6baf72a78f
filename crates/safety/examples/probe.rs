//! Temporary probe (removed before hand-off).
use domain::Language;
use safety::{Engine, InputVerdict};
use std::io::BufRead;
fn main() {
    let e = Engine::global();
    let lang = std::env::args().nth(1).and_then(|l| Language::parse(&l));
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("line");
        let v = e.screen_input(&line, lang, 2000);
        let u = e.screen_input(&line, None, 2000);
        let tag = |v: &InputVerdict| match v {
            InputVerdict::Rejected { interventions, .. } => format!(
                "REJ[{}]",
                interventions
                    .iter()
                    .map(|i| format!("{}:{}", i.category.as_str(), i.rule))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            InputVerdict::Accepted {
                text,
                changed: true,
                ..
            } => format!("REW[{text}]"),
            InputVerdict::Accepted { .. } => "ok".to_owned(),
            InputVerdict::TooLong { .. } => "long".to_owned(),
        };
        println!("{} | {} | {}", tag(&v), tag(&u), line);
    }
}
