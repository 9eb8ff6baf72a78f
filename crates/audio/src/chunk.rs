//! Sentence-aware splitting of story text for text-to-speech requests.
//!
//! OpenAI's `/audio/speech` accepts at most 4,096 characters per request
//! ([`OPENAI_TTS_MAX_CHARS`]). [`split_for_tts`] cuts a story into chunks under such a
//! limit, choosing the most natural boundary available in each window, in this order:
//!
//! 1. a sentence end: `.`, `!`, `?`, `…` (any run of them, e.g. `?!` or `...`), followed by
//!    closing quotes/brackets (`"` `'` `”` `’` `»` `)` `]` `}`) and whitespace — unless the next
//!    word starts in lowercase (`"¡Corre!" gritó` is one sentence), or the period ends a
//!    common title abbreviation (`Mr.`, `Dr.`, `Sra.`, `Mme.`, …) or a single-letter
//!    initial; a line break also counts as a sentence end;
//! 2. a clause boundary: `;` `:` `,` `—` `–` (with closers, then whitespace), or right
//!    after an em/en dash that joins two words without spaces;
//! 3. any whitespace;
//! 4. as a last resort (a "word" longer than the limit), a hard cut between two
//!    characters that avoids separating combining marks, variation selectors, emoji
//!    modifiers and zero-width joiners from their base where possible.
//!
//! Opening punctuation (`¡ ¿ « “ (` …) always stays with the text that follows it, since
//! boundaries 1–3 cut *at whitespace* (or right after a dash).
//!
//! Limits are counted in Unicode scalar values (`char`s), not bytes and not grapheme
//! clusters; OpenAI documents its limit in characters. A chunk never exceeds
//! `max_chars` chars, never splits a `char`, and never splits a word unless the word
//! alone is longer than `max_chars`.
//!
//! Chunks are trimmed and never empty; concatenating them with the whitespace that was
//! at each boundary gives back the trimmed input exactly. Sizes are balanced: with
//! `n = ceil(len / max_chars)` chunks needed, each cut aims at `len / n` characters
//! (recomputed after every cut), looking for the best boundary class between half that
//! target and `max_chars`, so there is no tiny last chunk.

/// OpenAI `/audio/speech` input limit, in characters.
pub const OPENAI_TTS_MAX_CHARS: usize = 4096;

/// Boundary quality between two characters (higher is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Break {
    None = 0,
    Space = 1,
    Clause = 2,
    Sentence = 3,
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '‼' | '⁇' | '⁈' | '⁉')
}

fn is_clause(c: char) -> bool {
    matches!(c, ';' | ':' | ',' | '—' | '–' | '‒' | '―')
}

fn is_dash(c: char) -> bool {
    matches!(c, '—' | '–' | '―')
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | '»' | '›' | ')' | ']' | '}' | '」' | '』'
    )
}

/// Characters that must not start a chunk produced by a hard cut (they attach to the
/// preceding character).
fn is_extender(c: char) -> bool {
    let u = c as u32;
    matches!(u,
        0x0300..=0x036F // combining diacritics
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F
        | 0xFE00..=0xFE0F // variation selectors
        | 0xE0100..=0xE01EF
        | 0x1F3FB..=0x1F3FF // skin-tone modifiers
        | 0x200D // zero-width joiner
        | 0xE0020..=0xE007F // tag characters (flag sequences)
    )
}

/// Common abbreviations ending in a period that are not sentence ends (lowercase, no
/// period), for en, es, fr, de, it.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "sra", "srta", "dña", "mme", "mlle", "hr", "fr",
    "frl", "sig", "sigg", "dott", "ing", "vs", "nr", "z.b", "bzw", "p.ej",
];

fn is_abbreviation(chars: &[char], period: usize) -> bool {
    // The word ending right before the period at `period`.
    let mut start = period;
    while start > 0 && (chars[start - 1].is_alphabetic() || chars[start - 1] == '.') {
        start -= 1;
    }
    if start == period {
        return false;
    }
    let word: String = chars[start..period]
        .iter()
        .flat_map(|c| c.to_lowercase())
        .collect();
    // Single-letter initial such as "J." in "J. R. R. Tolkien".
    if period - start == 1 && chars[start].is_uppercase() {
        return true;
    }
    ABBREVIATIONS.contains(&word.as_str())
}

/// Classifies every position `p` in `1..len` (a cut between `chars[p-1]` and `chars[p]`).
/// A chunk cut at `p` ends with `chars[p-1]`; the next starts at the first non-whitespace
/// character at or after `p`.
fn classify(chars: &[char]) -> Vec<Break> {
    let n = chars.len();
    let mut class = vec![Break::None; n + 1];
    for p in 1..n {
        let prev = chars[p - 1];
        let cur = chars[p];
        if prev.is_whitespace() {
            continue; // only the first whitespace of a run is a cut position
        }
        if !cur.is_whitespace() {
            if is_dash(prev) && p >= 2 && !chars[p - 2].is_whitespace() {
                class[p] = Break::Clause;
            }
            continue;
        }
        // End of the whitespace run and the next visible character.
        let mut q = p;
        let mut newline = false;
        while q < n && chars[q].is_whitespace() {
            newline |= chars[q] == '\n' || chars[q] == '\u{2029}';
            q += 1;
        }
        // Skip closing quotes/brackets backwards.
        let mut k = p;
        while k > 0 && is_closer(chars[k - 1]) {
            k -= 1;
        }
        let mark = if k > 0 { Some(chars[k - 1]) } else { None };
        let next_lower = chars.get(q).is_some_and(|c| c.is_lowercase());
        class[p] = if newline {
            Break::Sentence
        } else {
            match mark {
                Some(c) if is_terminator(c) => {
                    if next_lower || (c == '.' && is_abbreviation(chars, k - 1)) {
                        Break::Clause
                    } else {
                        Break::Sentence
                    }
                }
                Some(c) if is_clause(c) => Break::Clause,
                _ => Break::Space,
            }
        };
    }
    class
}

/// Splits `text` into chunks of at most `max_chars` characters for a TTS provider,
/// preferring sentence ends, then clause boundaries, then whitespace, and cutting inside
/// a word only when a single word is longer than the limit (see the module docs).
///
/// `max_chars` is counted in `char`s; 0 is treated as 1. Returns no chunks for blank
/// text, one chunk (the trimmed text) when it already fits.
#[must_use]
pub fn split_for_tts(text: &str, max_chars: usize) -> Vec<String> {
    let max = max_chars.max(1);
    let chars: Vec<char> = text.trim().chars().collect();
    let n = chars.len();
    if n == 0 {
        return Vec::new();
    }
    if n <= max {
        return vec![chars.iter().collect()];
    }
    let class = classify(&chars);
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let rem = n - start;
        if rem <= max {
            out.push(chars[start..].iter().collect());
            break;
        }
        let pieces = rem.div_ceil(max);
        let target = rem.div_ceil(pieces);
        let ideal = start + target;
        let hi = start + max; // last allowed cut (chunk = chars[start..hi])
        let lo = start + (target / 2).max(1);
        let best_in = |from: usize, min_class: Break| -> Option<usize> {
            (from..=hi)
                .filter(|p| class[*p] >= min_class)
                .min_by_key(|p| (p.abs_diff(ideal), usize::MAX - p))
        };
        let cut = best_in(lo, Break::Sentence)
            .or_else(|| best_in(lo, Break::Clause))
            .or_else(|| best_in(lo, Break::Space))
            .or_else(|| (start + 1..lo).rev().find(|p| class[*p] >= Break::Space))
            .unwrap_or_else(|| hard_cut(&chars, start, ideal.min(hi)));
        out.push(chars[start..cut].iter().collect());
        start = cut;
        while start < n && chars[start].is_whitespace() {
            start += 1;
        }
    }
    out
}

/// Cut position for a run without any boundary: `hi` (the balanced target), moved back (not past `start + 1`)
/// while it would separate a combining mark, variation selector, emoji modifier or
/// joiner from its base.
fn hard_cut(chars: &[char], start: usize, hi: usize) -> usize {
    let mut p = hi;
    while p > start + 1 && (is_extender(chars[p]) || chars[p - 1] == '\u{200D}') {
        p -= 1;
    }
    if p == start + 1 && (is_extender(chars[p]) || chars[p - 1] == '\u{200D}') {
        hi
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_trimmed_chunk() {
        assert_eq!(split_for_tts("  Hello there.  ", 100), vec!["Hello there."]);
        assert!(split_for_tts(" \n\t ", 100).is_empty());
    }

    #[test]
    fn prefers_sentence_end() {
        let chunks = split_for_tts("One two three. Four five, six seven eight.", 30);
        assert_eq!(
            chunks,
            vec!["One two three.", "Four five, six seven eight."]
        );
    }

    #[test]
    fn abbreviation_is_not_a_sentence_end() {
        let class = classify(&"Dr. Who ran. Then".chars().collect::<Vec<_>>());
        assert_eq!(class[3], Break::Clause);
        assert_eq!(class[12], Break::Sentence);
    }

    #[test]
    fn lowercase_after_quote_is_not_a_sentence_end() {
        let chars: Vec<char> = "«¡Corre!» gritó Ana. ¿Dónde?".chars().collect();
        let class = classify(&chars);
        assert_eq!(class[9], Break::Clause);
        assert_eq!(class[20], Break::Sentence);
    }

    #[test]
    fn hard_cut_keeps_combining_marks() {
        let chars: Vec<char> = "abcde\u{301}f".chars().collect();
        assert_eq!(hard_cut(&chars, 0, 5), 4);
    }
}
