//! Scratch: screen every word of a word list; print those rejected (temporary).
use domain::Language;
use std::io::BufRead;
fn main() {
    let mut args = std::env::args().skip(1);
    let lang = Language::parse(&args.next().expect("lang")).expect("lang");
    let e = safety::Engine::new();
    for line in std::io::stdin().lock().lines() {
        let w = line.expect("line");
        let w = w.trim();
        if w.is_empty() { continue; }
        if let safety::InputVerdict::Rejected { category, interventions } = e.screen_input(w, Some(lang), 1000) {
            println!("{w}\t{category}\t{}", interventions.iter().map(|i| i.rule.clone()).collect::<Vec<_>>().join(","));
        }
    }
}
