//! Chunking tests: limits, word/char integrity, reconstruction, balance.

use audio::chunk::{OPENAI_TTS_MAX_CHARS, split_for_tts};

/// Deterministic pseudo-random numbers (no dev-dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const WORDS: &[&str] = &[
    "the",
    "little",
    "dragon",
    "café",
    "über",
    "niño",
    "ñandú",
    "señora",
    "forêt",
    "mágico",
    "😀",
    "estrella",
    "Mädchen",
    "whispered",
    "luna",
    "bright",
    "🦄✨",
    "château",
    "größer",
    "peaceful",
    "sueño",
    "e\u{301}toile",
    "👩‍👩‍👧",
    "moon",
    "cozy",
];
const PUNCT: &[&str] = &[
    ".", "!", "?", "…", ",", ";", ":", " —", "", "", "", "", "", "",
];

fn story(seed: u64, chars: usize) -> String {
    let mut r = Lcg(seed);
    let mut s = String::new();
    while s.chars().count() < chars {
        let w = r.pick(WORDS);
        let p = r.pick(PUNCT);
        match r.next() % 12 {
            0 => s.push_str(&format!("¿{w}{p}? ")),
            1 => s.push_str(&format!("«{w}{p}» ")),
            2 => s.push_str(&format!("\"{w}{p}\" ")),
            3 => s.push_str(&format!("{w}{p}\n\n")),
            _ => s.push_str(&format!("{w}{p} ")),
        }
    }
    s
}

/// Checks every invariant of a split; returns the chunk lengths in chars.
fn check(text: &str, max: usize, chunks: &[String]) -> Vec<usize> {
    let original = text.trim();
    if original.is_empty() {
        assert!(chunks.is_empty());
        return Vec::new();
    }
    let mut rest = original;
    let mut lens = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        assert!(!chunk.is_empty(), "empty chunk {i}");
        assert_eq!(chunk.trim(), chunk, "chunk {i} not trimmed");
        let n = chunk.chars().count();
        assert!(n <= max.max(1), "chunk {i} has {n} chars > {max}");
        lens.push(n);
        rest = rest.trim_start();
        assert!(
            rest.starts_with(chunk.as_str()),
            "chunk {i} does not continue the text"
        );
        rest = &rest[chunk.len()..];
    }
    assert!(rest.trim().is_empty(), "text not fully covered");
    lens
}

/// True when the cut after `chunk` (followed by `next`) splits a word: both sides are
/// word characters with no whitespace between.
fn splits_word(original: &str, chunks: &[String]) -> bool {
    let mut pos = 0;
    let mut split = false;
    for chunk in chunks {
        let start = pos + original[pos..].find(chunk.as_str()).unwrap_or(0);
        let end = start + chunk.len();
        if end < original.len() {
            let before = chunk.chars().last().unwrap_or(' ');
            let after = original[end..].chars().next().unwrap_or(' ');
            if !after.is_whitespace() && before.is_alphanumeric() && after.is_alphanumeric() {
                split = true;
            }
        }
        pos = end;
    }
    split
}

#[test]
fn ten_thousand_chars_fit_the_openai_limit() {
    let text = story(7, 10_000);
    assert!(text.chars().count() >= 10_000);
    let chunks = split_for_tts(&text, OPENAI_TTS_MAX_CHARS);
    let lens = check(&text, OPENAI_TTS_MAX_CHARS, &chunks);
    assert_eq!(chunks.len(), 3, "{lens:?}");
    assert!(!splits_word(text.trim(), &chunks));
    // Balanced: no tiny last chunk.
    let min = lens.iter().copied().min().unwrap_or(0);
    assert!(min >= 2_500, "unbalanced {lens:?}");
    // Every boundary is at a sentence end (this text has plenty).
    for chunk in &chunks[..chunks.len() - 1] {
        let last = chunk.chars().last().unwrap_or(' ');
        assert!(
            matches!(last, '.' | '!' | '?' | '…' | '»' | '"') || chunk.ends_with('\n'),
            "chunk ends with {last:?}"
        );
    }
}

#[test]
fn multibyte_text_never_splits_chars_or_words() {
    for seed in 0..40 {
        let text = story(seed, 600);
        for max in [20, 33, 64, 100, 257] {
            let chunks = split_for_tts(&text, max);
            check(&text, max, &chunks);
            assert!(!splits_word(text.trim(), &chunks), "seed {seed} max {max}");
            for c in &chunks {
                // Opening marks stay with the text they open.
                assert!(!c.ends_with(['¿', '¡', '«', '“']), "{c:?}");
            }
        }
    }
}

#[test]
fn unpunctuated_text_splits_on_whitespace() {
    let text = "once upon a time there was a sleepy bear who liked honey ".repeat(200);
    let chunks = split_for_tts(&text, 500);
    check(&text, 500, &chunks);
    assert!(!splits_word(text.trim(), &chunks));
    let lens: Vec<usize> = chunks.iter().map(|c| c.chars().count()).collect();
    assert!(lens.iter().all(|l| *l >= 250), "{lens:?}");
}

#[test]
fn one_huge_word_is_hard_split_on_char_boundaries() {
    let text = "a".repeat(10_000);
    let chunks = split_for_tts(&text, OPENAI_TTS_MAX_CHARS);
    let lens = check(&text, OPENAI_TTS_MAX_CHARS, &chunks);
    assert_eq!(lens.len(), 3);
    assert_eq!(chunks.concat(), text);
    assert!(lens.iter().all(|l| *l >= 3_000), "{lens:?}");

    let emoji = "ñé😀ü".repeat(1_000);
    let chunks = split_for_tts(&emoji, 999);
    check(&emoji, 999, &chunks);
    assert_eq!(chunks.concat(), emoji);
}

#[test]
fn hard_split_keeps_combining_sequences_when_possible() {
    let text = "e\u{301}".repeat(100);
    let chunks = split_for_tts(&text, 9);
    check(&text, 9, &chunks);
    assert_eq!(chunks.concat(), text);
    for c in &chunks {
        assert!(
            !c.starts_with('\u{301}'),
            "chunk starts with a combining mark"
        );
    }
}

#[test]
fn spanish_sentences_keep_inverted_marks() {
    let text = "¿Dónde está la luna? ¡Allí arriba! «Qué bonita», dijo la niña. Y se durmió.";
    let chunks = split_for_tts(text, 30);
    check(text, 30, &chunks);
    assert_eq!(
        chunks,
        vec![
            "¿Dónde está la luna?",
            "¡Allí arriba!",
            "«Qué bonita», dijo la niña.",
            "Y se durmió."
        ]
    );
}

#[test]
fn clause_boundary_beats_plain_space() {
    let text = "The fox ran over the hill, and the owl watched from her tree all night long";
    let chunks = split_for_tts(text, 50);
    check(text, 50, &chunks);
    assert_eq!(chunks[0], "The fox ran over the hill,");
}

#[test]
fn edge_cases() {
    assert!(split_for_tts("", 10).is_empty());
    assert!(split_for_tts("   ", 10).is_empty());
    let chunks = split_for_tts("abc def", 0);
    check("abc def", 1, &chunks);
    assert_eq!(chunks.concat(), "abcdef");
    assert_eq!(split_for_tts("x", 1), vec!["x"]);
}

#[test]
fn random_texts_keep_all_invariants() {
    let mut r = Lcg(99);
    let alphabet = [
        "a", "b", " ", ".", "!", "¿", "é", "😀", "\n", ",", "—", "»", "\u{301}",
    ];
    for _ in 0..500 {
        let len = (r.next() % 300) as usize;
        let text: String = (0..len).map(|_| r.pick(&alphabet)).collect();
        let max = 1 + (r.next() % 40) as usize;
        let chunks = split_for_tts(&text, max);
        check(&text, max, &chunks);
    }
}
