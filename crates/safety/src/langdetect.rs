//! A tiny stop-word vote that guesses which of the five languages a folded text is in, so
//! language-specific rules (soft rewrites, words that are harmless in another language)
//! apply when the caller gives no hint.

use domain::Language;
use std::sync::LazyLock;

/// Folded function words that are frequent in one language and rare in the others.
const STOPWORDS: [(Language, &[&str]); 5] = [
    (
        Language::En,
        &[
            "the", "and", "with", "was", "is", "his", "her", "she", "he", "they", "of", "to", "in",
            "a", "an", "it", "that", "for", "on", "you", "little", "who", "were",
        ],
    ),
    (
        Language::Es,
        &[
            "el", "los", "las", "y", "que", "un", "una", "con", "por", "para", "su", "sus", "del",
            "al", "es", "era", "estaba", "muy", "pero", "como", "se", "lo", "en",
        ],
    ),
    (
        Language::Fr,
        &[
            "le", "les", "et", "des", "une", "est", "etait", "dans", "avec", "il", "elle", "du",
            "au", "pour", "sur", "qui", "ses", "son", "sa", "pas", "tres", "ne", "un",
        ],
    ),
    (
        Language::De,
        &[
            "der", "die", "das", "und", "ist", "ein", "eine", "mit", "im", "den", "dem", "war",
            "sie", "er", "es", "nicht", "auf", "zu", "sich", "ihr", "sein", "einen", "ich",
        ],
    ),
    (
        Language::It,
        &[
            "il", "lo", "gli", "e", "di", "che", "un", "una", "era", "con", "per", "nel", "della",
            "del", "sono", "non", "alla", "si", "ma", "come", "suo", "sua", "i",
        ],
    ),
];

/// How much folded text is looked at.
const SAMPLE_BYTES: usize = 2048;

/// Every stop word with the set of languages it votes for, sorted for binary search.
static INDEX: LazyLock<Vec<(&'static str, u8)>> = LazyLock::new(|| {
    let mut index: Vec<(&'static str, u8)> = Vec::new();
    for (i, (_, words)) in STOPWORDS.iter().enumerate() {
        for w in *words {
            match index.iter_mut().find(|(x, _)| x == w) {
                Some((_, mask)) => *mask |= 1 << i,
                None => index.push((w, 1 << i)),
            }
        }
    }
    index.sort_unstable_by_key(|(w, _)| *w);
    index
});

/// The most likely language of a folded text, if the evidence is clear (at least two
/// stop words, and more than the runner-up).
pub(crate) fn detect(folded: &str) -> Option<Language> {
    let mut end = folded.len().min(SAMPLE_BYTES);
    while !folded.is_char_boundary(end) {
        end -= 1;
    }
    let index = &*INDEX;
    let mut scores = [0usize; 5];
    for w in folded[..end]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() <= 6)
    {
        if let Ok(pos) = index.binary_search_by_key(&w, |(x, _)| *x) {
            let mask = index[pos].1;
            for (i, score) in scores.iter_mut().enumerate() {
                if mask & (1 << i) != 0 {
                    *score += 1;
                }
            }
        }
    }
    let (best, &top) = scores.iter().enumerate().max_by_key(|(_, s)| **s)?;
    let runner_up = scores
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, s)| *s)
        .max()
        .unwrap_or(0);
    (top >= 2 && top > runner_up).then_some(STOPWORDS[best].0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::fold;

    fn d(s: &str) -> Option<Language> {
        detect(&fold(s).text)
    }

    #[test]
    fn recognises_each_language_from_a_sentence() {
        assert_eq!(
            d("The little fox was sleeping with his mother"),
            Some(Language::En)
        );
        assert_eq!(
            d("El zorrito dormía con su mamá en el bosque"),
            Some(Language::Es)
        );
        assert_eq!(
            d("Le petit renard dormait avec sa maman dans la forêt"),
            Some(Language::Fr)
        );
        assert_eq!(
            d("Der kleine Fuchs schlief mit seiner Mama im Wald"),
            Some(Language::De)
        );
        assert_eq!(
            d("Il piccolo volpe dormiva con la sua mamma nel bosco"),
            Some(Language::It)
        );
    }

    #[test]
    fn stays_silent_without_evidence() {
        assert_eq!(d("Luna"), None);
    }
}
