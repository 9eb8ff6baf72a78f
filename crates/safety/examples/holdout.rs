//! Scratch: label\tlang\ttext lines; prints mismatches (temporary).
use domain::Language;
use std::io::BufRead;
fn main() {
    let e = safety::Engine::new();
    let (mut n, mut bad) = (0, 0);
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("line");
        let mut parts = line.splitn(3, '\t');
        let (Some(label), Some(lang), Some(text)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        n += 1;
        let lang = Language::parse(lang);
        for hint in [lang, None] {
            let v = e.screen_input(text, hint, 100_000);
            let got = match &v {
                safety::InputVerdict::Rejected { category, .. } => format!("hard:{category}"),
                safety::InputVerdict::Accepted { changed: false, .. } => "safe".to_owned(),
                safety::InputVerdict::Accepted { interventions, .. } => {
                    if interventions
                        .iter()
                        .any(|i| i.category == safety::Category::PromptInjection)
                    {
                        "inj".to_owned()
                    } else {
                        "soft".to_owned()
                    }
                }
                _ => "other".to_owned(),
            };
            let ok = match label {
                "safe" => got == "safe",
                "soft" => got == "soft" || (hint.is_none() && got == "safe"),
                "inj" => got == "inj",
                l if l.starts_with("hard") => {
                    got.starts_with("hard") && (l == "hard" || got == l || hint.is_none())
                }
                _ => false,
            };
            if !ok {
                bad += 1;
                let detail = match &v {
                    safety::InputVerdict::Accepted {
                        text,
                        interventions,
                        ..
                    } => format!(
                        "{text} {:?}",
                        interventions
                            .iter()
                            .map(|i| format!("{}:{}", i.category, i.rule))
                            .collect::<Vec<_>>()
                    ),
                    safety::InputVerdict::Rejected { interventions, .. } => format!(
                        "{:?}",
                        interventions
                            .iter()
                            .map(|i| format!("{}:{}", i.category, i.rule))
                            .collect::<Vec<_>>()
                    ),
                    o => format!("{o:?}"),
                };
                println!(
                    "[{label} got {got} hint={}] {text}\n      {detail}",
                    hint.is_some()
                );
            }
        }
    }
    println!("{bad} mismatches over {n} lines");
}
