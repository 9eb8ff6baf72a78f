//! Text preparation: stripping control/invisible characters from user text, and folding a
//! text into the lower-case, accent-free, leetspeak-decoded form the rules are matched on.
//!
//! Folding keeps a byte map back to the original text so a match can be rewritten in place
//! (whole words, original capitalisation) without ever normalising the text the user sees.

use std::borrow::Cow;
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Zero-width joiner: kept inside emoji sequences, stripped between letters.
const ZWJ: char = '\u{200D}';

/// Invisible format characters that can hide words from a filter or smuggle instructions
/// (zero-width spaces, bidi overrides, tag characters, soft hyphens, fillers).
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'
            | '\u{200C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

fn is_stripped_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\t' | '\r')
}

/// Removes control characters (except newline, carriage return and tab) and invisible
/// format characters. A zero-width joiner survives only between two non-alphanumeric
/// characters (emoji sequences such as family emoji). Returns the text and how many
/// characters were removed; borrows when nothing had to go.
pub fn strip_control(text: &str) -> (Cow<'_, str>, usize) {
    // Only a few UTF-8 lead bytes can start a control or invisible character; decode just
    // those (accented letters, C3/C4/C5…, are skipped without decoding).
    let bytes = text.as_bytes();
    let suspicious = bytes.iter().enumerate().any(|(i, &b)| match b {
        0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F | 0x7F => true,
        0xC2 | 0xCD | 0xD8 | 0xE1 | 0xE2 | 0xE3 | 0xEF | 0xF0 | 0xF3 => text
            .get(i..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| is_stripped_control(c) || is_invisible(c) || c == ZWJ),
        _ => false,
    });
    if !suspicious {
        return (Cow::Borrowed(text), 0);
    }
    let mut out = String::with_capacity(text.len());
    let mut removed = 0usize;
    let mut iter = text.chars().peekable();
    while let Some(c) = iter.next() {
        if is_stripped_control(c) || is_invisible(c) {
            removed += 1;
            continue;
        }
        if c == ZWJ {
            let prev_ok = out
                .chars()
                .next_back()
                .is_some_and(|p| !p.is_alphanumeric());
            let next_ok = iter.peek().is_some_and(|n| !n.is_alphanumeric());
            if prev_ok && next_ok {
                out.push(c);
            } else {
                removed += 1;
            }
            continue;
        }
        out.push(c);
    }
    if removed == 0 {
        (Cow::Borrowed(text), 0)
    } else {
        (Cow::Owned(out), removed)
    }
}

/// A folded text and, for each of its bytes, the byte offset in the source of the
/// character it came from (`map.len() == text.len() + 1`; the last entry is the source
/// length).
#[derive(Debug, Clone)]
pub(crate) struct Folded {
    pub(crate) text: String,
    pub(crate) map: Vec<u32>,
}

impl Folded {
    /// Source byte range of the folded range `start..end`.
    pub(crate) fn source_span(&self, start: usize, end: usize) -> (usize, usize) {
        (self.map[start] as usize, self.map[end] as usize)
    }
}

struct Out {
    text: Vec<u8>,
    map: Vec<u32>,
    last_is_letter: bool,
}

impl Out {
    fn push_ascii(&mut self, b: u8, src: usize) {
        self.text.push(b);
        self.map.push(src as u32);
        self.last_is_letter = b.is_ascii_lowercase();
    }

    fn push_char(&mut self, c: char, src: usize) {
        let mut buf = [0u8; 4];
        let encoded = c.encode_utf8(&mut buf);
        self.text.extend_from_slice(encoded.as_bytes());
        for _ in 0..encoded.len() {
            self.map.push(src as u32);
        }
        self.last_is_letter = c.is_alphabetic();
    }

    fn push_str(&mut self, s: &str, src: usize) {
        for c in s.chars() {
            self.push_char(c, src);
        }
    }

    fn push_space(&mut self, src: usize) {
        if self.text.last().is_some_and(|b| *b != b' ') {
            self.push_ascii(b' ', src);
        }
    }

    fn prev_is_letter(&self) -> bool {
        self.last_is_letter
    }
}

fn leet(b: u8) -> Option<u8> {
    Some(match b {
        b'0' => b'o',
        b'1' => b'i',
        b'3' => b'e',
        b'4' => b'a',
        b'5' => b's',
        b'7' => b't',
        b'@' => b'a',
        b'$' => b's',
        _ => return None,
    })
}

/// Folds `src` for matching: NFKD + case folding, diacritics and invisible characters
/// dropped, whitespace runs and dashes/underscores collapsed to one space, typographic
/// quotes unified, common look-alike letters mapped to Latin, digits/symbols inside words
/// decoded as leetspeak (`k1ll` → `kill`), and words spelled out letter by letter joined
/// (`s.e.x`, `k i l l` → `sex`, `kill`).
pub(crate) fn fold(src: &str) -> Folded {
    let mut out = Out {
        text: Vec::with_capacity(src.len() + 8),
        map: Vec::with_capacity(src.len() + 9),
        last_is_letter: false,
    };
    let bytes = src.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if b.is_ascii_alphabetic() {
            // Fast path: a run of ASCII letters is copied lower-cased in one go.
            // A lower-case letter followed by a capital ("TeenSlut", "BabyKiller") is a
            // word boundary: hero names are often written in camelCase.
            let start = i;
            let mut seg = i;
            i += 1;
            while i < n && bytes[i].is_ascii_alphabetic() {
                if bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase() {
                    out.text
                        .extend(bytes[seg..i].iter().map(u8::to_ascii_lowercase));
                    out.map.extend((seg as u32)..(i as u32));
                    out.push_ascii(b' ', i);
                    seg = i;
                }
                i += 1;
            }
            debug_assert!(seg >= start);
            out.text
                .extend(bytes[seg..i].iter().map(u8::to_ascii_lowercase));
            out.map.extend((seg as u32)..(i as u32));
            out.last_is_letter = true;
        } else if b < 0x80 {
            fold_ascii(&mut out, b, i, bytes.get(i + 1).copied());
            i += 1;
        } else {
            let Some(c) = src[i..].chars().next() else {
                break;
            };
            fold_other(&mut out, c, i);
            i += c.len_utf8();
        }
    }
    out.map.push(src.len() as u32);
    // Only whole UTF-8 sequences were pushed, so this cannot fail; an empty text keeps the
    // map consistent if it ever did.
    let text = String::from_utf8(out.text).unwrap_or_default();
    let map = if text.is_empty() {
        vec![src.len() as u32]
    } else {
        out.map
    };
    let mut folded = Folded { text, map };
    join_spelled_out(&mut folded);
    folded
}

fn fold_ascii(out: &mut Out, b: u8, src: usize, next: Option<u8>) {
    match b {
        b'A'..=b'Z' => out.push_ascii(b + 32, src),
        b'a'..=b'z' => out.push_ascii(b, src),
        b'0'..=b'9' | b'@' | b'$' => {
            let next_letter = next.is_some_and(|n| n.is_ascii_alphabetic());
            match leet(b) {
                Some(l) if out.prev_is_letter() || next_letter => out.push_ascii(l, src),
                _ => out.push_ascii(b, src),
            }
        }
        b'!' => {
            let next_letter = next.is_some_and(|n| n.is_ascii_alphabetic());
            if out.prev_is_letter() && next_letter {
                out.push_ascii(b'i', src);
            } else {
                out.push_ascii(b, src);
            }
        }
        b' ' | b'\t' | b'\n' | b'\r' | b'-' | b'_' | 0x0B | 0x0C => out.push_space(src),
        b'`' => out.push_ascii(b'\'', src),
        0..=0x1F | 0x7F => {}
        _ => out.push_ascii(b, src),
    }
}

fn fold_other(out: &mut Out, c: char, src: usize) {
    if is_invisible(c) || c == ZWJ || c.is_control() {
        return;
    }
    if c.is_whitespace() {
        out.push_space(src);
        return;
    }
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => {
            out.push_space(src);
            return;
        }
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{02BC}' | '\u{2032}'
        | '\u{00B4}' => {
            out.push_ascii(b'\'', src);
            return;
        }
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{00AB}' | '\u{00BB}'
        | '\u{2033}' => {
            out.push_ascii(b'"', src);
            return;
        }
        _ => {}
    }
    decompose_compatible(c, |d| {
        if is_combining_mark(d) {
            return;
        }
        for l in d.to_lowercase() {
            if is_combining_mark(l) {
                continue;
            }
            push_mapped(out, l, src);
        }
    });
}

fn push_mapped(out: &mut Out, l: char, src: usize) {
    if l.is_ascii() {
        match l {
            ' ' | '-' | '_' | '\t' | '\n' | '\r' => out.push_space(src),
            _ => out.push_ascii(l.to_ascii_lowercase() as u8, src),
        }
        return;
    }
    if l.is_whitespace() {
        out.push_space(src);
        return;
    }
    let mapped: Option<&str> = match l {
        'ß' => Some("ss"),
        'æ' => Some("ae"),
        'œ' => Some("oe"),
        'þ' => Some("th"),
        'ø' => Some("o"),
        'đ' | 'ð' => Some("d"),
        'ł' => Some("l"),
        'ı' => Some("i"),
        // Cyrillic and Greek look-alikes used to dodge filters.
        'а' | 'α' => Some("a"),
        'е' | 'ε' => Some("e"),
        'о' | 'ο' => Some("o"),
        'р' | 'ρ' => Some("p"),
        'с' => Some("c"),
        'у' => Some("y"),
        'х' | 'χ' => Some("x"),
        'і' | 'ι' => Some("i"),
        'ј' => Some("j"),
        'ѕ' => Some("s"),
        'к' | 'κ' => Some("k"),
        'ԁ' => Some("d"),
        'ν' => Some("v"),
        'τ' => Some("t"),
        'υ' => Some("u"),
        _ => None,
    };
    match mapped {
        Some(s) => out.push_str(s, src),
        None => out.push_char(l, src),
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Joins runs of three or more single letters separated by the same separator
/// (`s e x`, `k.i.l.l`, `s*e*x`) into one word.
fn join_spelled_out(f: &mut Folded) {
    let b = f.text.as_bytes();
    let n = b.len();
    let mut remove: Vec<usize> = Vec::new();
    let mut i = 0;
    while i + 4 < n {
        let single_start = b[i].is_ascii_lowercase()
            && (i == 0 || !is_word_byte(b[i - 1]))
            && !is_word_byte(b[i + 1]);
        if single_start && matches!(b[i + 1], b' ' | b'.' | b'*') {
            let sep = b[i + 1];
            let mut j = i;
            let mut seps = Vec::new();
            // With blanks as separators, a wider gap in the source ("K I L L   M E")
            // separates words.
            let single_gap = |k: usize| sep != b' ' || f.map[k + 1] - f.map[k] == 1;
            while j + 2 < n
                && b[j + 1] == sep
                && single_gap(j + 1)
                && b[j + 2].is_ascii_lowercase()
                && (j + 3 >= n || !is_word_byte(b[j + 3]))
            {
                seps.push(j + 1);
                j += 2;
            }
            if seps.len() >= 2 {
                remove.extend(seps);
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    if remove.is_empty() {
        return;
    }
    let mut bytes = Vec::with_capacity(n);
    let mut map = Vec::with_capacity(n + 1);
    let mut r = remove.iter().peekable();
    for (idx, &byte) in b.iter().enumerate() {
        if r.peek().is_some_and(|&&x| x == idx) {
            r.next();
            continue;
        }
        bytes.push(byte);
        map.push(f.map[idx]);
    }
    map.push(f.map[n]);
    // Only ASCII separators were removed, so the bytes are still UTF-8.
    if let Ok(text) = String::from_utf8(bytes) {
        f.text = text;
        f.map = map;
    }
}

/// True when the character ending at byte `pos` of `s` is alphanumeric.
///
/// A digit next to a letter is not part of the same word (`killer9000`, `slut69`): leetspeak
/// digits inside words were already decoded to letters by [`fold`].
pub(crate) fn word_before(s: &str, pos: usize) -> bool {
    if pos == 0 {
        return false;
    }
    let b = s.as_bytes()[pos - 1];
    if b.is_ascii_digit() {
        return !s[pos..].chars().next().is_some_and(char::is_alphabetic);
    }
    if b < 0x80 {
        return b.is_ascii_alphanumeric();
    }
    s[..pos]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

/// True when the character starting at byte `pos` of `s` is alphanumeric.
///
/// A digit right after a letter starts a new word (see [`word_before`]).
pub(crate) fn word_at(s: &str, pos: usize) -> bool {
    match s.as_bytes().get(pos) {
        None => false,
        Some(b) if b.is_ascii_digit() => !s[..pos]
            .chars()
            .next_back()
            .is_some_and(char::is_alphabetic),
        Some(b) if *b < 0x80 => b.is_ascii_alphanumeric(),
        Some(_) => s[pos..].chars().next().is_some_and(char::is_alphanumeric),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> String {
        fold(s).text
    }

    #[test]
    fn folds_case_accents_and_width() {
        assert_eq!(f("Café ÉCOLE"), "cafe ecole");
        assert_eq!(f("Straße"), "strasse");
        assert_eq!(f("ｋｉｌｌ"), "kill");
        assert_eq!(f("Cœur"), "coeur");
        assert_eq!(f("mamá   y\n\npapá"), "mama y papa");
    }

    #[test]
    fn splits_camel_case_and_letter_digit_boundaries() {
        assert_eq!(f("TeenSlut69"), "teen slut69");
        assert_eq!(f("BabyKiller9000"), "baby killer9000");
        assert_eq!(f("McDonald"), "mc donald");
        let text = f("killer9000");
        assert!(
            !word_at(&text, 6),
            "a digit after a letter starts a new word"
        );
        assert!(
            !word_before("69slut", 2),
            "a letter after a digit starts a new word"
        );
        assert!(word_at("1488", 2), "digits inside a number stay one word");
        let g = fold("TeenSlut");
        assert_eq!(
            g.source_span(5, 9),
            (4, 8),
            "the inserted space maps to the capital"
        );
    }

    #[test]
    fn decodes_leetspeak_only_inside_words() {
        assert_eq!(f("k1ll y0urs3lf"), "kill yourself");
        assert_eq!(f("s3x"), "sex");
        assert_eq!(f("I am 7 and 3 cats"), "i am 7 and 3 cats");
        assert_eq!(f("hello!"), "hello!");
    }

    #[test]
    fn joins_spelled_out_words_and_drops_invisible_characters() {
        assert_eq!(f("k i l l me"), "kill me");
        assert_eq!(f("s.e.x"), "sex");
        assert_eq!(f("s\u{200B}ex"), "sex");
        assert_eq!(f("self-harm"), "self harm");
        assert_eq!(f("a b"), "a b");
    }

    #[test]
    fn maps_folded_offsets_back_to_source() {
        let src = "Très  SCARY";
        let folded = fold(src);
        let at = folded.text.find("scary").expect("folded word present");
        let (s, e) = folded.source_span(at, at + 5);
        assert_eq!(&src[s..e], "SCARY");
        let (s, e) = folded.source_span(0, 4);
        assert_eq!(&src[s..e], "Très");
    }

    #[test]
    fn strips_control_and_zero_width_but_keeps_emoji_joiners() {
        let (clean, n) = strip_control("he\u{200B}llo\u{0007}\nworld");
        assert_eq!(clean, "hello\nworld");
        assert_eq!(n, 2);
        let family = "👩\u{200D}👧";
        assert_eq!(strip_control(family).0, family);
        assert!(matches!(strip_control("plain text").0, Cow::Borrowed(_)));
    }
}
