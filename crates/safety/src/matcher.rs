//! Matching a folded text against a compiled dictionary and resolving what the hits mean:
//! word boundaries, language scope, safe phrases, word-class sequences and overlaps.

use crate::fold::{Folded, word_at, word_before};
use crate::lexicon::{Entry, FREE_END, FREE_START, Kind, Lexicon, Near, Seq, Target, Unless};
use crate::types::{Category, InjectionKind};
use domain::Language;

/// Conjunctions and prepositions that start a new clause: a sequence rule does not bridge
/// them ("she shot a look *at* him" is not "shot … him").
const BREAK_WORDS: &[&str] = &[
    "aber", "about", "after", "als", "and", "as", "at", "avec", "because", "before", "but", "by",
    "cuando", "dann", "e", "ed", "et", "for", "from", "fur", "if", "in", "into", "like", "luego",
    "ma", "mais", "mit", "oder", "on", "onto", "or", "ou", "para", "parce", "per", "perche",
    "pero", "poi", "porque", "pour", "puis", "quand", "quando", "so", "than", "then", "to", "und",
    "until", "weil", "wenn", "when", "while", "with", "y",
];

thread_local! {
    /// Per-class hit lists reused by [`Lexicon::analyse`] (all empty between calls).
    static CLASS_HITS: std::cell::RefCell<Vec<Vec<(usize, usize)>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Which languages a text is in, as far as we know.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LangCtx {
    pub(crate) hint: Option<Language>,
    pub(crate) detected: Option<Language>,
}

impl LangCtx {
    fn known(&self, l: Option<Language>) -> bool {
        l.is_none() || l == self.hint || l == self.detected
    }

    fn soft_applies(&self, l: Option<Language>) -> bool {
        (self.hint.is_none() && self.detected.is_none()) || self.known(l)
    }

    fn soft_preference(&self, l: Option<Language>) -> usize {
        if l.is_some() && l == self.hint {
            0
        } else if l.is_some() && l == self.detected {
            1
        } else {
            2 + l
                .and_then(|l| Language::ALL.iter().position(|x| *x == l))
                .unwrap_or(0)
        }
    }
}

/// A pattern occurrence that passed its boundary checks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit<'a> {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) entry: &'a Entry,
}

/// A hard finding (folded offsets).
#[derive(Debug, Clone)]
pub(crate) struct HardHit {
    pub(crate) category: Category,
    pub(crate) rule: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// A chosen soft rewrite (folded offsets).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SoftHit<'a> {
    pub(crate) category: Category,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) replacement: &'a str,
    pub(crate) rule: &'a str,
    pub(crate) lang: Option<Language>,
}

/// An injection finding (folded offsets).
#[derive(Debug, Clone, Copy)]
pub(crate) struct InjectionHit<'a> {
    pub(crate) kind: InjectionKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) rule: &'a str,
}

/// Everything a text matched, resolved.
#[derive(Debug, Default)]
pub(crate) struct Analysis<'a> {
    pub(crate) hard: Vec<HardHit>,
    pub(crate) soft: Vec<SoftHit<'a>>,
    pub(crate) injections: Vec<InjectionHit<'a>>,
    /// Image-lexicon hits (forbidden, companion, alone), allow-filtered.
    pub(crate) other: Vec<Hit<'a>>,
}

impl<'a> Analysis<'a> {
    /// Records what a sequence or co-occurrence rule matched.
    fn report(&mut self, target: Target, rule: &'a str, start: usize, end: usize) {
        match target {
            Target::Hard(category) => self.hard.push(HardHit {
                category,
                rule: rule.to_owned(),
                start,
                end,
            }),
            Target::Injection(kind) => self.injections.push(InjectionHit {
                kind,
                start,
                end,
                rule,
            }),
        }
    }
}

impl Lexicon {
    /// Every boundary-valid occurrence of every pattern, in text order.
    pub(crate) fn hits<'a>(&'a self, f: &Folded, source: &str) -> Vec<Hit<'a>> {
        let text = f.text.as_str();
        let mut hits = Vec::new();
        for m in self.ac.find_overlapping_iter(text) {
            let (s, e) = (m.start(), m.end());
            let pid = m.pattern().as_usize();
            let bounds = self.bounds[pid];
            if (bounds & FREE_START == 0 && word_before(text, s))
                || (bounds & FREE_END == 0 && word_at(text, e))
            {
                continue;
            }
            for entry in &self.entries[pid] {
                if !entry.start_free && word_before(text, s) {
                    continue;
                }
                if !entry.end_free && word_at(text, e) {
                    continue;
                }
                if entry.end_punct && !punct_follows(text, e) {
                    continue;
                }
                if matches!(entry.kind, Kind::Role) && !at_line_start(source, f.map[s] as usize) {
                    continue;
                }
                if entry.name && written_as_name(source, f.map[s] as usize) {
                    continue;
                }
                hits.push(Hit {
                    start: s,
                    end: e,
                    entry,
                });
            }
        }
        hits.sort_unstable_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        hits
    }

    /// Resolves hits: drops those inside safe phrases or out of language scope, evaluates
    /// sequence rules, and picks non-overlapping soft rewrites.
    pub(crate) fn analyse<'a>(&'a self, f: &Folded, source: &str, ctx: LangCtx) -> Analysis<'a> {
        let hits = self.hits(f, source);
        let mut out = Analysis::default();
        if hits.is_empty() {
            out.injections.extend(structured_injection(&f.text));
            return out;
        }
        let allows: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| matches!(h.entry.kind, Kind::Allow))
            .map(|h| (h.start, h.end))
            .collect();
        // One hit list per word class, reused across calls on this thread (thousands of
        // classes: allocating them per call cost more than matching a short text).
        let mut class_hits = CLASS_HITS.with(|c| std::mem::take(&mut *c.borrow_mut()));
        if class_hits.len() < self.class_count {
            class_hits.resize_with(self.class_count, Vec::new);
        }
        let mut touched: Vec<usize> = Vec::new();
        let mut soft_candidates: Vec<Hit<'a>> = Vec::new();
        let longest_allow = allows.iter().map(|(s, e)| e - s).max().unwrap_or(0);
        for h in &hits {
            if matches!(h.entry.kind, Kind::Allow) || inside_safe_phrase(h, &allows, longest_allow)
            {
                continue;
            }
            match &h.entry.kind {
                Kind::Hard(c) => {
                    if !h.entry.local || ctx.known(h.entry.lang) {
                        out.hard.push(HardHit {
                            category: *c,
                            rule: h.entry.rule.to_string(),
                            start: h.start,
                            end: h.end,
                        });
                    }
                }
                Kind::Class(id) => {
                    if !h.entry.local || ctx.known(h.entry.lang) {
                        if class_hits[*id].is_empty() {
                            touched.push(*id);
                        }
                        class_hits[*id].push((h.start, h.end));
                    }
                }
                Kind::Soft { .. } => {
                    if ctx.soft_applies(h.entry.lang) {
                        soft_candidates.push(*h);
                    }
                }
                Kind::Injection(k) => out.injections.push(InjectionHit {
                    kind: *k,
                    start: h.start,
                    end: h.end,
                    rule: &h.entry.rule,
                }),
                Kind::Role => out.injections.push(InjectionHit {
                    kind: InjectionKind::RolePrefix,
                    start: h.start,
                    end: h.end,
                    rule: &h.entry.rule,
                }),
                Kind::Image | Kind::Companion | Kind::Alone => out.other.push(*h),
                Kind::Allow => {}
            }
        }
        // Only the classes this text touched (a few of the thousands defined).
        for &id in &touched {
            let list = &mut class_hits[id];
            list.sort_unstable();
            list.dedup();
        }
        for seq in &self.seqs {
            for (s, e) in seq_matches(seq, &class_hits, &f.text) {
                out.report(seq.target, &seq.rule, s, e);
            }
        }
        if !self.nears.is_empty() {
            let sentences = sentence_ends(&f.text);
            for near in &self.nears {
                if let Some((s, e)) = near_match(near, &class_hits, &sentences) {
                    out.report(near.target, &near.rule, s, e);
                }
            }
        }
        for &id in &touched {
            class_hits[id].clear();
        }
        CLASS_HITS.with(|c| *c.borrow_mut() = class_hits);
        if let Some(hit) = structured_injection(&f.text) {
            out.injections.push(hit);
        }
        out.hard.sort_by_key(|h| (h.start, h.end));
        out.injections = non_overlapping_injections(out.injections);
        out.soft = choose_soft(soft_candidates, &out.injections, ctx, f, source);
        out
    }
}

/// True when a hit starts or ends inside a safe phrase ("killer" in "killer whale",
/// "quiero morir" against "morir de risa"). A hit that strictly contains the safe phrase is
/// kept: the safe phrase does not excuse what surrounds it.
fn inside_safe_phrase(h: &Hit<'_>, allows: &[(usize, usize)], longest: usize) -> bool {
    // `allows` is sorted by start; only phrases starting before the hit's end and no more
    // than `longest` bytes before its start can overlap it.
    let upto = allows.partition_point(|(s, _)| *s < h.end);
    allows[..upto]
        .iter()
        .rev()
        .take_while(|(s, _)| s + longest >= h.start)
        .any(|&(s, e)| {
            let overlaps = s < h.end && h.start < e;
            let contains = h.start <= s && e <= h.end && (h.end - h.start) > (e - s);
            overlaps && !contains
        })
}

fn non_overlapping_injections(mut v: Vec<InjectionHit<'_>>) -> Vec<InjectionHit<'_>> {
    v.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
    let mut out: Vec<InjectionHit<'_>> = Vec::with_capacity(v.len());
    for h in v {
        match out.last_mut() {
            Some(last) if h.start < last.end => last.end = last.end.max(h.end),
            _ => out.push(h),
        }
    }
    out
}

/// Picks non-overlapping soft rewrites: leftmost, then longest, then the text's language,
/// then the rule spelled exactly like the text ("lloró" over "lloro", which fold alike).
fn choose_soft<'a>(
    mut cands: Vec<Hit<'a>>,
    injections: &[InjectionHit<'_>],
    ctx: LangCtx,
    f: &Folded,
    source: &str,
) -> Vec<SoftHit<'a>> {
    cands.sort_by_cached_key(|h| {
        let (s, e) = f.source_span(h.start, h.end);
        let exact = source
            .get(s..e)
            .is_some_and(|orig| orig.to_lowercase() == *h.entry.rule);
        (
            h.start,
            std::cmp::Reverse(h.end),
            ctx.soft_preference(h.entry.lang),
            !exact,
        )
    });
    let mut out: Vec<SoftHit<'a>> = Vec::new();
    let mut last_end = 0usize;
    for h in cands {
        if h.start < last_end {
            continue;
        }
        if injections
            .iter()
            .any(|i| h.start < i.end && i.start < h.end)
        {
            continue;
        }
        if let Kind::Soft {
            category,
            replacement,
        } = &h.entry.kind
        {
            out.push(SoftHit {
                category: *category,
                start: h.start,
                end: h.end,
                replacement,
                rule: &h.entry.rule,
                lang: h.entry.lang,
            });
            last_end = h.end;
        }
    }
    out
}

/// Markup or JSON smuggled into a name or prompt: tags like `<admin>`, `</name>`,
/// `<config>` (a hero name or story prompt never holds one) or a JSON member (`"rol": "admin"`,
/// `{"filter": false}`). One hit spans from the first such token to the last, so
/// neutralising removes the smuggled block as a whole.
fn structured_injection(text: &str) -> Option<InjectionHit<'static>> {
    let bytes = text.as_bytes();
    let mut first: Option<(usize, usize, InjectionKind, &'static str)> = None;
    let mut last_end = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        let found = match bytes[i] {
            b'<' => markup_tag(bytes, i).map(|e| (e, InjectionKind::SpecialToken, "markup tag")),
            b'{' | b'[' if bytes.get(i + 1) == Some(&bytes[i]) => {
                template_tag(bytes, i).map(|e| (e, InjectionKind::SpecialToken, "template tag"))
            }
            b'"' | b'\'' => {
                json_member(bytes, i).map(|e| (e, InjectionKind::FakeRoleJson, "json member"))
            }
            _ => None,
        };
        match found {
            Some((end, kind, rule)) => {
                if first.is_none() {
                    first = Some((i, end, kind, rule));
                }
                last_end = end;
                i = end;
            }
            None => i += 1,
        }
    }
    first.map(|(start, _, kind, rule)| InjectionHit {
        kind,
        start,
        end: last_end,
        rule,
    })
}

/// End of a tag starting at `at` (`<name>`, `</name>`, `<name attr=…>`, `<name/>`): a letter
/// right after `<` or `</`, then at most 60 bytes without `<`, `>` or a line break.
fn markup_tag(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    if bytes.get(i) == Some(&b'/') {
        i += 1;
    }
    if !bytes.get(i)?.is_ascii_alphabetic() {
        return None;
    }
    let limit = (i + 60).min(bytes.len());
    while i < limit {
        match bytes[i] {
            b'>' => return Some(i + 1),
            b'<' | b'\n' => return None,
            _ => i += 1,
        }
    }
    None
}

/// End of a template directive starting at `at` (`{{override: …}}`, `[[system]]`): two
/// opening braces or brackets, a letter, then the matching closing pair within 80 bytes.
fn template_tag(bytes: &[u8], at: usize) -> Option<usize> {
    let close = if bytes[at] == b'{' { b'}' } else { b']' };
    if !bytes.get(at + 2)?.is_ascii_alphabetic() {
        return None;
    }
    let limit = (at + 82).min(bytes.len());
    let mut i = at + 2;
    while i + 1 < limit {
        if bytes[i] == close && bytes[i + 1] == close {
            return Some(i + 2);
        }
        if bytes[i] == b'\n' {
            return None;
        }
        i += 1;
    }
    None
}

/// End of a JSON-like member starting at the quote at `at`: `"key": value` where the key is
/// 1–40 bytes of letters, digits and blanks and the value starts with a quote, `{`, `[`, a
/// digit, `true`, `false` or `null`.
fn json_member(bytes: &[u8], at: usize) -> Option<usize> {
    let quote = bytes[at];
    let mut i = at + 1;
    let key_start = i;
    while i < bytes.len()
        && i - key_start <= 40
        && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b' ')
    {
        i += 1;
    }
    if i == key_start || bytes.get(i) != Some(&quote) {
        return None;
    }
    i += 1;
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    let rest = &bytes[i.min(bytes.len())..];
    let value = match rest.first()? {
        b'"' | b'\'' | b'{' | b'[' => 1,
        c if c.is_ascii_digit() => 1,
        _ if rest.starts_with(b"true") => 4,
        _ if rest.starts_with(b"false") => 5,
        _ if rest.starts_with(b"null") => 4,
        _ => return None,
    };
    Some(i + value)
}

/// Byte offsets where the sentences of a folded text end (sentence punctuation and line
/// breaks), ascending; the last sentence ends at the end of the text.
fn sentence_ends(text: &str) -> Vec<usize> {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| matches!(b, b'.' | b'!' | b'?' | b';' | b'\n'))
        .map(|(i, _)| i)
        .collect()
}

fn sentence_of(sentences: &[usize], pos: usize) -> usize {
    sentences.partition_point(|&end| end < pos)
}

/// The first sentence holding a hit of every class of `near` and none of its excluded
/// classes: (start of the earliest hit, end of the latest) in that sentence. Driven by the
/// class with the fewest hits; every other class is probed with a binary search over its
/// (sorted) hits, so a long text costs O(hits · log hits), not O(hits²).
fn near_match(
    near: &Near,
    class_hits: &[Vec<(usize, usize)>],
    sentences: &[usize],
) -> Option<(usize, usize)> {
    let driver = *near.classes.iter().min_by_key(|c| class_hits[**c].len())?;
    if class_hits[driver].is_empty() {
        return None;
    }
    let first_in = |class: usize, from: usize, to: usize| {
        let list = &class_hits[class];
        let i = list.partition_point(|(s, _)| *s < from);
        list.get(i).copied().filter(|(s, _)| *s < to)
    };
    let mut last_sentence = usize::MAX;
    'candidates: for &(s0, _) in &class_hits[driver] {
        let k = sentence_of(sentences, s0);
        if k == last_sentence {
            continue;
        }
        last_sentence = k;
        let from = if k == 0 { 0 } else { sentences[k - 1] + 1 };
        let to = sentences.get(k).copied().unwrap_or(usize::MAX);
        let (mut lo, mut hi) = (usize::MAX, 0usize);
        for &class in &near.classes {
            match first_in(class, from, to) {
                Some((s, e)) => {
                    lo = lo.min(s);
                    hi = hi.max(e);
                }
                None => continue 'candidates,
            }
        }
        if near
            .excluded
            .iter()
            .any(|&x| first_in(x, from, to).is_some())
        {
            continue;
        }
        return Some((lo, hi));
    }
    None
}

/// True when the word at `pos` of `source` is written like a name: a capital then a
/// lower-case letter, not at the start of a sentence ("la maestra Negri", "auf den Wank").
fn written_as_name(source: &str, pos: usize) -> bool {
    let mut chars = source[pos..].chars();
    let capital = chars.next().is_some_and(char::is_uppercase);
    let lower_next = chars.next().is_some_and(char::is_lowercase);
    capital && lower_next && !at_line_start(source, pos)
}

/// Every occurrence of a sequence rule: (start of first class, end of last class).
fn seq_matches(seq: &Seq, class_hits: &[Vec<(usize, usize)>], text: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let Some(first) = seq.steps.first() else {
        return found;
    };
    for &(s, e) in &class_hits[first.class] {
        if let Some(end) = extend(seq, 1, e, class_hits, text) {
            let cancelled = seq
                .unless
                .as_ref()
                .is_some_and(|u| followed_by(text, end, u));
            if !cancelled {
                found.push((s, end));
            }
        }
    }
    found
}

fn extend(
    seq: &Seq,
    step: usize,
    prev_end: usize,
    class_hits: &[Vec<(usize, usize)>],
    text: &str,
) -> Option<usize> {
    let Some(st) = seq.steps.get(step) else {
        return Some(prev_end);
    };
    let list = &class_hits[st.class];
    let from = list.partition_point(|(s, _)| *s < prev_end);
    for &(s, e) in &list[from..] {
        if s > prev_end + 160 {
            break;
        }
        if gap_ok(&text[prev_end..s], st.max_gap, st.breaks)
            && let Some(end) = extend(seq, step + 1, e, class_hits, text)
        {
            return Some(end);
        }
    }
    None
}

/// True when one of `u.words` starts within the next `u.max_gap + 1` words after `pos`,
/// before any sentence punctuation or clause-starting word.
fn followed_by(text: &str, pos: usize, u: &Unless) -> bool {
    let bytes = text.as_bytes();
    let mut i = pos;
    let mut seen = 0usize;
    while i < bytes.len() && seen <= u.max_gap {
        let c = bytes[i];
        if matches!(c, b'.' | b',' | b'!' | b'?' | b';' | b':' | b'"') {
            return false;
        }
        if !word_at(text, i) {
            i += 1;
            continue;
        }
        let rest = &text[i..];
        let found = u
            .words
            .iter()
            .any(|w| rest.starts_with(w.as_str()) && !word_at(text, i + w.len()));
        if found {
            return true;
        }
        let word_end = rest
            .find(|ch: char| !ch.is_alphanumeric())
            .map_or(text.len(), |n| i + n);
        if BREAK_WORDS.binary_search(&&text[i..word_end]).is_ok() {
            return false;
        }
        seen += 1;
        i = word_end;
    }
    false
}

/// True when `gap` holds at most `max` words, no sentence punctuation and (when `breaks`)
/// no comma or clause-starting conjunction or preposition.
fn gap_ok(gap: &str, max: usize, breaks: bool) -> bool {
    // Sentence punctuation always ends a sequence; a comma only when break words count
    // (German infinitive clauses put a comma before "sich auszuziehen").
    if gap.contains(['.', '!', '?', ';', ':', '"']) || (breaks && gap.contains(',')) {
        return false;
    }
    let mut words = 0usize;
    for w in gap
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        words += 1;
        if words > max || (breaks && BREAK_WORDS.binary_search(&w).is_ok()) {
            return false;
        }
    }
    true
}

fn punct_follows(text: &str, pos: usize) -> bool {
    match text[pos..].trim_start_matches(' ').chars().next() {
        None => true,
        Some(c) => !c.is_alphanumeric() && c != '\'',
    }
}

/// True when nothing but blanks separates `pos` from the start of the text, of a line, or
/// of a sentence or markup block.
fn at_line_start(source: &str, pos: usize) -> bool {
    let before = source[..pos].trim_end_matches([' ', '\t']);
    match before.chars().next_back() {
        None => true,
        Some(c) => matches!(
            c,
            '\n' | '\r'
                | '.'
                | '!'
                | '?'
                | ';'
                | ':'
                | '"'
                | '\''
                | '`'
                | '>'
                | ')'
                | ']'
                | '}'
                | '|'
                | '#'
                | '*'
                | '-'
                | '\u{201D}'
                | '\u{2019}'
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn break_words_are_sorted_for_binary_search() {
        let mut sorted = BREAK_WORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, BREAK_WORDS);
    }

    #[test]
    fn gaps_count_words_and_stop_at_clause_breaks() {
        assert!(gap_ok(" the ", 2, true));
        assert!(gap_ok(" ", 0, true));
        assert!(!gap_ok(" a glance at ", 3, true));
        assert!(gap_ok(" a glance at ", 3, false));
        assert!(!gap_ok(" the. ", 2, true));
    }
}
