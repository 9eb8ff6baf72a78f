//! Scratch: screen lines from stdin (temporary).
use domain::Language;
use std::io::BufRead;
fn main() {
    let e = safety::Engine::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("line");
        let (lang, text) = match line.split_once('\t') {
            Some((l, t)) => (Language::parse(l), t.to_owned()),
            None => (None, line.clone()),
        };
        let v = e.screen_input(&text, lang, 100_000);
        match &v {
            safety::InputVerdict::Accepted {
                text: t,
                interventions,
                changed,
            } => {
                if *changed {
                    println!(
                        "SOFT  {t}   {:?}",
                        interventions
                            .iter()
                            .map(|i| format!("{}:{}", i.category, i.rule))
                            .collect::<Vec<_>>()
                    );
                } else {
                    println!("SAFE  {t}");
                }
            }
            safety::InputVerdict::Rejected {
                category,
                interventions,
            } => println!(
                "HARD[{category}] {text}   {:?}",
                interventions
                    .iter()
                    .map(|i| i.rule.clone())
                    .collect::<Vec<_>>()
            ),
            other => println!("{other:?}"),
        }
        if let Some(k) = e.detect_injection(&text) {
            println!("   INJ {k}");
        }
    }
}
