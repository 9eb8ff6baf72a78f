//! Language-agnostic text measuring shared by stories and scenes: words, sentences, lines and
//! a normalised view of a text for matching passages a model quoted back.
//!
//! Every function returns byte spans into the original text, so a passage picked here is
//! always a verbatim slice of it.

/// A half-open byte range `[start, end)` into a text.
pub(crate) type Span = (usize, usize);

/// Byte spans of the words of `text`: whitespace-separated tokens holding at least one letter
/// or digit. Elisions (`l'enfant`, `dell'albero`, `it's`) and hyphenated compounds
/// (`Gute-Nacht-Geschichte`) are one word each, which is how narration paces are measured;
/// stand-alone punctuation (`—`, `«`, `...`) is not a word.
pub(crate) fn word_spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut has_alnum = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take()
                && has_alnum
            {
                out.push((s, i));
            }
            has_alnum = false;
        } else {
            if start.is_none() {
                start = Some(i);
            }
            has_alnum |= c.is_alphanumeric();
        }
    }
    if let Some(s) = start
        && has_alnum
    {
        out.push((s, text.len()));
    }
    out
}

/// Spans of the non-empty lines of `text`, trimmed (a model separates paragraphs with one or
/// two newlines; either way a line is a paragraph).
pub(crate) fn line_spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(span) = trimmed(text, offset, offset + line.len()) {
            out.push(span);
        }
        offset += line.len();
    }
    out
}

/// Spans of the sentences of `text`, trimmed. A sentence ends after `.`, `!`, `?` or `…`
/// (with any closing quotes or brackets) followed by whitespace, and at every line break.
pub(crate) fn sentence_spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    for (ls, le) in line_spans(text) {
        let line = &text[ls..le];
        let mut start = 0;
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if !matches!(c, '.' | '!' | '?' | '…') {
                continue;
            }
            let mut end = i + c.len_utf8();
            while let Some(&(j, n)) = chars.peek() {
                if matches!(
                    n,
                    '.' | '!' | '?' | '…' | '"' | '\'' | '”' | '’' | '»' | '«' | ')' | ']'
                ) {
                    end = j + n.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let at_break = chars.peek().is_none_or(|&(_, n)| n.is_whitespace());
            if at_break {
                if let Some(span) = trimmed(text, ls + start, ls + end) {
                    out.push(span);
                }
                start = end;
            }
        }
        if let Some(span) = trimmed(text, ls + start, le) {
            out.push(span);
        }
    }
    out
}

/// `[start, end)` with surrounding whitespace removed; `None` when nothing but whitespace.
fn trimmed(text: &str, start: usize, end: usize) -> Option<Span> {
    let slice = &text[start..end];
    let lead = slice.len() - slice.trim_start().len();
    let body = slice.trim();
    (!body.is_empty()).then_some((start + lead, start + lead + body.len()))
}

/// A normalised copy of a text with a map back to the original bytes: lower case, quotes and
/// markdown emphasis dropped, dashes unified, `…` spelled `...`, whitespace collapsed and no
/// space before punctuation (French `Bonjour !` matches `Bonjour!`).
pub(crate) struct Normalised {
    /// The normalised text.
    pub text: String,
    /// For each byte of `text`, the original span of the character it came from.
    map: Vec<Span>,
}

impl Normalised {
    /// Normalises `text`.
    pub fn new(text: &str) -> Self {
        let mut out = Self {
            text: String::with_capacity(text.len()),
            map: Vec::with_capacity(text.len()),
        };
        for (i, c) in text.char_indices() {
            let span = (i, i + c.len_utf8());
            if c.is_whitespace() {
                if !out.text.is_empty() && !out.text.ends_with(' ') {
                    out.push(' ', span);
                }
                continue;
            }
            match c {
                '"' | '\'' | '“' | '”' | '„' | '‟' | '‘' | '’' | '‚' | '‛' | '«' | '»' | '‹'
                | '›' | '`' | '´' | '*' | '_' => {}
                '–' | '—' | '‒' | '―' | '‐' => out.push('-', span),
                '…' => {
                    out.drop_space_before_punctuation();
                    for _ in 0..3 {
                        out.push('.', span);
                    }
                }
                '.' | ',' | '!' | '?' | ';' | ':' => {
                    out.drop_space_before_punctuation();
                    out.push(c, span);
                }
                _ => {
                    for l in c.to_lowercase() {
                        out.push(l, span);
                    }
                }
            }
        }
        if out.text.ends_with(' ') {
            out.text.pop();
            out.map.pop();
        }
        out
    }

    fn push(&mut self, c: char, span: Span) {
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.map.push(span);
        }
    }

    fn drop_space_before_punctuation(&mut self) {
        if self.text.ends_with(' ') {
            self.text.pop();
            self.map.pop();
        }
    }

    /// The original span of normalised bytes `[start, end)` (which must be non-empty).
    pub fn original(&self, start: usize, end: usize) -> Option<Span> {
        let first = self.map.get(start)?;
        let last = self.map.get(end.checked_sub(1)?)?;
        Some((first.0, last.1))
    }
}

/// A word reduced to its lower-case letters and digits, for fuzzy comparison.
pub(crate) fn word_key(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first `max_words` words of `text` (a verbatim prefix), and whether it was cut.
pub(crate) fn first_words(text: &str, max_words: usize) -> (&str, bool) {
    let words = word_spans(text);
    if words.len() <= max_words || max_words == 0 {
        return (text, false);
    }
    let end = words[max_words - 1].1;
    (&text[..end], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slices<'a>(text: &'a str, spans: &[Span]) -> Vec<&'a str> {
        spans.iter().map(|&(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn words_skip_stand_alone_punctuation_and_keep_elisions_whole() {
        let t = "« Bonjour » — dit l'enfant... ¡Hola!";
        assert_eq!(
            slices(t, &word_spans(t)),
            vec!["Bonjour", "dit", "l'enfant...", "¡Hola!"]
        );
    }

    #[test]
    fn sentences_end_at_terminators_with_closing_quotes_and_at_line_breaks() {
        let t = "\"Hello!\" said Luna. She smiled\nThe end… Really?";
        assert_eq!(
            slices(t, &sentence_spans(t)),
            vec![
                "\"Hello!\"",
                "said Luna.",
                "She smiled",
                "The end…",
                "Really?"
            ]
        );
    }

    #[test]
    fn normalised_text_maps_back_to_original_bytes() {
        let t = "«  Bonjour  » , dit-elle…";
        let n = Normalised::new(t);
        assert_eq!(n.text, "bonjour, dit-elle...");
        let at = n.text.find("dit").expect("found");
        let (s, e) = n.original(at, n.text.len()).expect("span");
        assert_eq!(&t[s..e], "dit-elle…");
    }
}
