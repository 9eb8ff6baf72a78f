//! Scratch: sanitise image prompts from stdin (temporary).
use std::io::BufRead;
fn main() {
    let e = safety::Engine::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("line");
        let o = safety::SanitizeOptions {
            language: domain::Language::En,
            hero_appearance: Some("a girl with curly red hair and a yellow raincoat"),
            companion_hint: None,
        };
        let s = e.sanitize_image_prompt(&line, &o);
        let s2 = e.sanitize_image_prompt(&s.prompt, &o);
        println!(
            "{}\n   removed={:?} added={} idem={}",
            s.prompt,
            s.removed_terms,
            s.companion_added,
            s2.prompt == s.prompt
        );
    }
}
