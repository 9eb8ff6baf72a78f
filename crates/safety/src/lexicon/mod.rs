//! The rule dictionaries and their compiler.
//!
//! Rules live in small text files (one per language, plus the language-neutral injection
//! and image files) so linguists can review them without reading Rust. They are compiled
//! once, at engine construction, into a single Aho–Corasick automaton per purpose; matching
//! a text is then one pass over its folded form, whatever the number of rules.
//!
//! # Rule syntax
//!
//! One rule per line; `#` starts a comment line. `KEYWORD[.local][.name] [ARG] = BODY`:
//!
//! | keyword | body | meaning |
//! |---|---|---|
//! | `macro NAME` | `a \| b \| c` | named alternatives, used as `{NAME}` |
//! | `class NAME` | patterns | members of a word class used by `seq` |
//! | `seq CATEGORY` | `A ~2 B [~3+ C]` | hard rule: class A, then ≤ 2 words, then class B … |
//! | `seqinj KIND` | `A ~2 B` | the same, reporting a prompt-injection attempt |
//! | `near CATEGORY` | `A & B [& C] [! X]` | hard rule: a word of each class in one sentence, in any order, and none of class X |
//! | `nearinj KIND` | `A & B [! X]` | the same, reporting a prompt-injection attempt |
//! | `words NAME` | `a \| b` | a word list for `!~N NAME` (not matched on its own) |
//! | (either) | `A ~2 B !~1 W` | … unless a word of list W follows within 1 word |
//! | `hard CATEGORY` | patterns | hard rule |
//! | `soft CATEGORY` | `pattern => replacement ; …` | soft rewrite; `{NAME}` expands jointly |
//! | `allow` | patterns | safe phrases: hits starting inside them are ignored |
//! | `inj KIND` | patterns | prompt-injection phrases |
//! | `role` | patterns | chat-role prefixes, only at the start of a line or sentence |
//! | `img GROUP` | patterns | terms removed from image prompts |
//! | `comp` / `alone` | patterns | companion words / "alone" words for image prompts |
//!
//! Patterns are separated by `|`; inside a pattern `(a|b|)` is a group (empty = optional)
//! and `{NAME}` a macro. A leading `*` lets the pattern start inside a word, a trailing `*`
//! end inside one (stems: `suicid*`); a trailing `$` requires punctuation or the end of the
//! text after the match. Everything else is matched on whole words of the folded text.
//! `~N` allows up to N words between two classes unless one of them is a conjunction or
//! preposition that starts a new clause; `~N+` ignores those break words. `.local` rules
//! only apply when the text is known (hinted or detected) to be in the file's language.
//! `.name` patterns are also surnames or place names ("Negri", "Wank"): a hit written with a
//! capital letter anywhere but at the start of a sentence is taken as the name and ignored.

use crate::fold::fold;
use crate::types::{Category, InjectionKind};
use aho_corasick::{AhoCorasick, MatchKind};
use domain::Language;
use std::collections::HashMap;

/// A rule file.
pub(crate) struct Source {
    pub(crate) lang: Option<Language>,
    pub(crate) name: &'static str,
    pub(crate) text: &'static str,
}

/// The content rules: hard, soft, allow, classes, sequences and injections.
pub(crate) const CONTENT_SOURCES: &[Source] = &[
    Source {
        lang: Some(Language::En),
        name: "en.rules",
        text: include_str!("en.rules"),
    },
    Source {
        lang: Some(Language::Es),
        name: "es.rules",
        text: include_str!("es.rules"),
    },
    Source {
        lang: Some(Language::Fr),
        name: "fr.rules",
        text: include_str!("fr.rules"),
    },
    Source {
        lang: Some(Language::De),
        name: "de.rules",
        text: include_str!("de.rules"),
    },
    Source {
        lang: Some(Language::It),
        name: "it.rules",
        text: include_str!("it.rules"),
    },
    Source {
        lang: None,
        name: "injection.rules",
        text: include_str!("injection.rules"),
    },
];

/// The image-prompt rules: forbidden terms, companions, "alone" words.
pub(crate) const IMAGE_SOURCES: &[Source] = &[Source {
    lang: None,
    name: "image.rules",
    text: include_str!("image.rules"),
}];

/// What a matched pattern means.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Hard(Category),
    Soft {
        category: Category,
        replacement: Box<str>,
    },
    Allow,
    Injection(InjectionKind),
    Role,
    Class(usize),
    Image,
    Companion,
    Alone,
}

/// One meaning of one pattern (several rules may share a literal).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) lang: Option<Language>,
    pub(crate) local: bool,
    /// Ignored when written capitalised inside a sentence (a surname or place).
    pub(crate) name: bool,
    pub(crate) start_free: bool,
    pub(crate) end_free: bool,
    pub(crate) end_punct: bool,
    pub(crate) kind: Kind,
    pub(crate) rule: Box<str>,
}

/// One step of a sequence rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub(crate) class: usize,
    pub(crate) max_gap: usize,
    pub(crate) breaks: bool,
}

/// What a sequence rule reports.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Hard(Category),
    Injection(InjectionKind),
}

/// A rule made of word classes in order ("stab" … "the teacher", "ignore" … "previous
/// instructions").
#[derive(Debug, Clone)]
pub(crate) struct Seq {
    pub(crate) target: Target,
    pub(crate) steps: Vec<Step>,
    /// Words that, when they follow the match closely, cancel it ("shot her brother a
    /// grateful *smile*").
    pub(crate) unless: Option<Unless>,
    pub(crate) rule: Box<str>,
}

/// A hard rule over word classes co-occurring in one sentence, in any order.
#[derive(Debug, Clone)]
pub(crate) struct Near {
    pub(crate) target: Target,
    pub(crate) classes: Vec<usize>,
    pub(crate) excluded: Vec<usize>,
    pub(crate) rule: Box<str>,
}

/// Folded words (or short phrases) looked for right after a sequence match.
#[derive(Debug, Clone)]
pub(crate) struct Unless {
    pub(crate) words: Vec<String>,
    pub(crate) max_gap: usize,
}

/// [`Lexicon::bounds`] flag: some entry of the pattern may start inside a word.
pub(crate) const FREE_START: u8 = 1;
/// [`Lexicon::bounds`] flag: some entry of the pattern may end inside a word.
pub(crate) const FREE_END: u8 = 2;

/// A compiled dictionary.
pub(crate) struct Lexicon {
    pub(crate) ac: AhoCorasick,
    pub(crate) entries: Vec<Vec<Entry>>,
    /// Per pattern: whether any of its entries may start ([`FREE_START`]) or end
    /// ([`FREE_END`]) inside a word. Dense, so the many in-word occurrences of short
    /// patterns are dropped without touching `entries`.
    pub(crate) bounds: Vec<u8>,
    pub(crate) seqs: Vec<Seq>,
    pub(crate) nears: Vec<Near>,
    pub(crate) class_count: usize,
}

impl Lexicon {
    /// Number of distinct folded patterns.
    pub(crate) fn pattern_count(&self) -> usize {
        self.entries.len()
    }
}

struct PendingSeq {
    lang: Option<Language>,
    target: Target,
    steps: Vec<(String, usize, bool)>,
    unless: Option<(String, usize)>,
    rule: String,
}

#[derive(Default)]
struct Builder {
    index: HashMap<String, usize>,
    patterns: Vec<String>,
    entries: Vec<Vec<Entry>>,
    classes: HashMap<(Option<Language>, String), usize>,
    words: HashMap<(Option<Language>, String), Vec<String>>,
    macros: HashMap<(Option<Language>, String), Vec<String>>,
    pending_seqs: Vec<PendingSeq>,
    pending_nears: Vec<PendingNear>,
}

struct PendingNear {
    lang: Option<Language>,
    target: Target,
    classes: Vec<String>,
    excluded: Vec<String>,
    rule: String,
}

/// Compiles rule files into one automaton.
pub(crate) fn compile(sources: &[Source]) -> Result<Lexicon, String> {
    let mut b = Builder::default();
    for src in sources {
        for (n, raw) in src.text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            b.line(src.lang, line)
                .map_err(|e| format!("{}:{}: {e}", src.name, n + 1))?;
        }
    }
    let mut seqs = Vec::new();
    for p in std::mem::take(&mut b.pending_seqs) {
        let class_of = |name: &str| b.class_id(p.lang, name, &p.rule);
        let mut steps = Vec::new();
        for (name, max_gap, breaks) in &p.steps {
            steps.push(Step {
                class: class_of(name)?,
                max_gap: *max_gap,
                breaks: *breaks,
            });
        }
        let unless = match &p.unless {
            Some((name, max_gap)) => Some(Unless {
                words: b
                    .words
                    .get(&(p.lang, name.clone()))
                    .cloned()
                    .ok_or_else(|| format!("unknown word list {name} in seq {}", p.rule))?,
                max_gap: *max_gap,
            }),
            None => None,
        };
        seqs.push(Seq {
            target: p.target,
            steps,
            unless,
            rule: p.rule.into(),
        });
    }
    let mut nears = Vec::new();
    for p in std::mem::take(&mut b.pending_nears) {
        let class_of = |name: &String| b.class_id(p.lang, name, &p.rule);
        nears.push(Near {
            target: p.target,
            classes: p.classes.iter().map(class_of).collect::<Result<_, _>>()?,
            excluded: p.excluded.iter().map(class_of).collect::<Result<_, _>>()?,
            rule: p.rule.into(),
        });
    }
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(&b.patterns)
        .map_err(|e| format!("automaton: {e}"))?;
    let bounds = b
        .entries
        .iter()
        .map(|es| {
            es.iter().fold(0u8, |acc, e| {
                acc | if e.start_free { FREE_START } else { 0 }
                    | if e.end_free { FREE_END } else { 0 }
            })
        })
        .collect();
    Ok(Lexicon {
        ac,
        bounds,
        entries: b.entries,
        seqs,
        nears,
        class_count: b.classes.len(),
    })
}

fn parse_category(raw: &str) -> Result<Category, String> {
    match raw {
        "violence" => Ok(Category::GraphicViolence),
        "weapons" => Ok(Category::WeaponsAgainstPeople),
        other => Category::parse(other).ok_or_else(|| format!("unknown category {other}")),
    }
}

impl Builder {
    /// The id of class `name` of `lang`, or an error naming the rule that uses it.
    fn class_id(&self, lang: Option<Language>, name: &str, rule: &str) -> Result<usize, String> {
        self.classes
            .get(&(lang, name.to_owned()))
            .copied()
            .ok_or_else(|| format!("unknown class {name} in rule {rule}"))
    }

    fn line(&mut self, lang: Option<Language>, line: &str) -> Result<(), String> {
        let (head, body) = line
            .split_once('=')
            .ok_or_else(|| "expected `KEYWORD [ARG] = BODY`".to_owned())?;
        let body = body.trim();
        let mut words = head.split_whitespace();
        let kw_full = words.next().ok_or("missing keyword")?;
        let arg = words.next();
        let mut flags = kw_full.split('.');
        let kw = flags.next().unwrap_or_default();
        let (mut local, mut name) = (false, false);
        for flag in flags {
            match flag {
                "local" => local = true,
                "name" => name = true,
                other => return Err(format!("unknown flag {other}")),
            }
        }
        if name && !matches!(kw, "hard" | "class") {
            return Err("`.name` applies to `hard` and `class` rules only".into());
        }
        let need_arg = || arg.ok_or_else(|| format!("`{kw}` needs an argument"));
        match kw {
            "macro" => {
                let name = need_arg()?.to_owned();
                let alts = split_top(body, '|')
                    .into_iter()
                    .map(|a| a.trim().to_owned())
                    .collect();
                self.macros.insert((lang, name), alts);
            }
            "words" => {
                let name = need_arg()?.to_owned();
                let mut list = Vec::new();
                for alt in split_top(body, '|') {
                    for p in expand(alt.trim(), &|n| self.macro_alts(lang, n))? {
                        let folded = fold(&p).text.trim().to_owned();
                        if !folded.is_empty() {
                            list.push(folded);
                        }
                    }
                }
                self.words.insert((lang, name), list);
            }
            "class" => {
                let cname = need_arg()?.to_owned();
                let next = self.classes.len();
                let id = *self.classes.entry((lang, cname.clone())).or_insert(next);
                self.patterns_of(
                    lang,
                    (local, name),
                    body,
                    &|_| Kind::Class(id),
                    Some(&cname),
                )?;
            }
            "near" | "nearinj" => {
                let target = if kw == "near" {
                    let category = parse_category(need_arg()?)?;
                    if !category.is_hard() {
                        return Err(format!("{category} is not a hard category"));
                    }
                    Target::Hard(category)
                } else {
                    Target::Injection(
                        InjectionKind::parse(need_arg()?)
                            .ok_or_else(|| format!("unknown injection kind {arg:?}"))?,
                    )
                };
                let (wanted, excluded) = match body.split_once('!') {
                    Some((w, x)) => (w, Some(x)),
                    None => (body, None),
                };
                let names = |part: &str| -> Vec<String> {
                    part.split('&')
                        .map(|n| n.trim().to_owned())
                        .filter(|n| !n.is_empty())
                        .collect()
                };
                let classes = names(wanted);
                let excluded = excluded.map(names).unwrap_or_default();
                if classes.len() < 2 {
                    return Err("a near rule needs at least two classes".into());
                }
                let rule = classes
                    .iter()
                    .map(|c| c.to_lowercase())
                    .collect::<Vec<_>>()
                    .join("&");
                self.pending_nears.push(PendingNear {
                    lang,
                    target,
                    classes,
                    excluded,
                    rule,
                });
            }
            "seq" | "seqinj" => {
                let target = if kw == "seq" {
                    Target::Hard(parse_category(need_arg()?)?)
                } else {
                    Target::Injection(
                        InjectionKind::parse(need_arg()?)
                            .ok_or_else(|| format!("unknown injection kind {arg:?}"))?,
                    )
                };
                let mut steps = Vec::new();
                let mut gap = (0usize, true);
                let mut unless: Option<(String, usize)> = None;
                let mut unless_gap: Option<usize> = None;
                for tok in body.split_whitespace() {
                    if let Some(g) = tok.strip_prefix("!~") {
                        unless_gap = Some(g.parse().map_err(|_| format!("bad gap {tok}"))?);
                    } else if let Some(n) = unless_gap.take() {
                        unless = Some((tok.to_owned(), n));
                    } else if let Some(g) = tok.strip_prefix('~') {
                        let (num, breaks) = match g.strip_suffix('+') {
                            Some(n) => (n, false),
                            None => (g, true),
                        };
                        let n = num.parse().map_err(|_| format!("bad gap {tok}"))?;
                        gap = (n, breaks);
                    } else {
                        steps.push((tok.to_owned(), gap.0, gap.1));
                        gap = (0, true);
                    }
                }
                if steps.len() < 2 {
                    return Err("a seq needs at least two classes".into());
                }
                let rule = steps
                    .iter()
                    .map(|s| s.0.to_lowercase())
                    .collect::<Vec<_>>()
                    .join("+");
                self.pending_seqs.push(PendingSeq {
                    lang,
                    target,
                    steps,
                    unless,
                    rule,
                });
            }
            "hard" => {
                let c = parse_category(need_arg()?)?;
                if !c.is_hard() {
                    return Err(format!("{c} is not a hard category"));
                }
                self.patterns_of(lang, (local, name), body, &|_| Kind::Hard(c), None)?;
            }
            "soft" => {
                let c = parse_category(need_arg()?)?;
                if !c.is_soft() {
                    return Err(format!("{c} is not a soft category"));
                }
                for pair in split_top(body, ';') {
                    let pair = pair.trim();
                    if pair.is_empty() {
                        continue;
                    }
                    let (pat, repl) = pair
                        .split_once("=>")
                        .ok_or_else(|| format!("soft rule without `=>`: {pair}"))?;
                    for alt in split_top(pat, '|') {
                        self.soft_pattern(lang, c, alt.trim(), repl.trim())?;
                    }
                }
            }
            "allow" => self.patterns_of(lang, (local, false), body, &|_| Kind::Allow, None)?,
            "inj" => {
                let k = InjectionKind::parse(need_arg()?)
                    .ok_or_else(|| format!("unknown injection kind {arg:?}"))?;
                self.patterns_of(lang, (local, false), body, &|_| Kind::Injection(k), None)?;
            }
            "role" => self.patterns_of(lang, (local, false), body, &|_| Kind::Role, None)?,
            "img" => self.patterns_of(lang, (local, false), body, &|_| Kind::Image, None)?,
            "comp" => self.patterns_of(lang, (local, false), body, &|_| Kind::Companion, None)?,
            "alone" => self.patterns_of(lang, (local, false), body, &|_| Kind::Alone, None)?,
            other => return Err(format!("unknown keyword {other}")),
        }
        Ok(())
    }

    fn patterns_of(
        &mut self,
        lang: Option<Language>,
        (local, name): (bool, bool),
        body: &str,
        kind: &dyn Fn(&str) -> Kind,
        rule_name: Option<&str>,
    ) -> Result<(), String> {
        for alt in split_top(body, '|') {
            let (core, flags) = strip_flags(alt.trim());
            if core.is_empty() {
                return Err(format!("empty pattern in `{body}`"));
            }
            let expanded = expand(core, &|name| self.macro_alts(lang, name))?;
            let canonical = expanded
                .first()
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            let rule = rule_name.unwrap_or(&canonical).to_owned();
            for p in expanded {
                self.add(
                    &p,
                    Entry {
                        lang,
                        local,
                        name,
                        start_free: flags.start_free,
                        end_free: flags.end_free,
                        end_punct: flags.end_punct,
                        kind: kind(&p),
                        rule: rule.clone().into(),
                    },
                );
            }
        }
        Ok(())
    }

    fn soft_pattern(
        &mut self,
        lang: Option<Language>,
        category: Category,
        pat: &str,
        repl: &str,
    ) -> Result<(), String> {
        let (core, flags) = strip_flags(pat);
        if flags.start_free || flags.end_free {
            return Err(format!("soft rules are whole-word only: {pat}"));
        }
        let names = macro_names(core);
        let mut combos: Vec<(String, String)> = vec![(core.to_owned(), repl.to_owned())];
        for name in names {
            let alts = self
                .macro_alts(lang, &name)
                .ok_or_else(|| format!("unknown macro {name}"))?;
            let token = format!("{{{name}}}");
            combos = combos
                .into_iter()
                .flat_map(|(p, r)| {
                    alts.iter()
                        .map(|a| (p.replace(&token, a), r.replace(&token, a)))
                        .collect::<Vec<_>>()
                })
                .collect();
        }
        for (p, r) in combos {
            let r = r.split_whitespace().collect::<Vec<_>>().join(" ");
            for e in expand(&p, &|name| self.macro_alts(lang, name))? {
                let rule = e.split_whitespace().collect::<Vec<_>>().join(" ");
                self.add(
                    &e,
                    Entry {
                        lang,
                        local: true,
                        name: false,
                        start_free: false,
                        end_free: false,
                        end_punct: flags.end_punct,
                        kind: Kind::Soft {
                            category,
                            replacement: r.clone().into(),
                        },
                        rule: rule.into(),
                    },
                );
            }
        }
        Ok(())
    }

    fn macro_alts(&self, lang: Option<Language>, name: &str) -> Option<&[String]> {
        self.macros
            .get(&(lang, name.to_owned()))
            .or_else(|| self.macros.get(&(None, name.to_owned())))
            .map(Vec::as_slice)
    }

    fn add(&mut self, pattern: &str, mut entry: Entry) {
        let folded = fold(pattern).text.trim().to_owned();
        if folded.is_empty() {
            return;
        }
        let first_word = folded.chars().next().is_some_and(char::is_alphanumeric);
        let last_word = folded
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        entry.start_free |= !first_word;
        entry.end_free |= !last_word;
        let id = match self.index.get(&folded) {
            Some(id) => *id,
            None => {
                let id = self.patterns.len();
                self.index.insert(folded.clone(), id);
                self.patterns.push(folded);
                self.entries.push(Vec::new());
                id
            }
        };
        self.entries[id].push(entry);
    }
}

#[derive(Default, Clone, Copy)]
struct Flags {
    start_free: bool,
    end_free: bool,
    end_punct: bool,
}

fn strip_flags(p: &str) -> (&str, Flags) {
    let mut f = Flags::default();
    let mut core = p;
    if let Some(rest) = core.strip_prefix('*') {
        f.start_free = true;
        core = rest;
    }
    if let Some(rest) = core.strip_suffix('*') {
        f.end_free = true;
        core = rest;
    } else if let Some(rest) = core.strip_suffix('$') {
        f.end_punct = true;
        core = rest;
    }
    (core.trim(), f)
}

/// Splits at `sep` outside `()` and `{}` (a backslash escapes the next character).
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '(' | '{' => depth += 1,
            ')' | '}' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn macro_names(p: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            _ => {}
        }
    }
    names
}

enum Piece {
    Lit(String),
    Alts(Vec<String>),
}

/// Expands groups `(a|b|)` and macros `{NAME}` into every literal they stand for. A
/// backslash makes the next character literal (`<\|im start\|>`).
fn expand<'m>(
    p: &str,
    macros: &dyn Fn(&str) -> Option<&'m [String]>,
) -> Result<Vec<String>, String> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut lit = String::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => lit.push(
                chars
                    .next()
                    .ok_or_else(|| format!("dangling escape in {p}"))?,
            ),
            '(' => {
                let mut alts = vec![String::new()];
                let mut closed = false;
                while let Some(g) = chars.next() {
                    match g {
                        '\\' => {
                            let e = chars
                                .next()
                                .ok_or_else(|| format!("dangling escape in {p}"))?;
                            if let Some(last) = alts.last_mut() {
                                last.push(e);
                            }
                        }
                        '|' => alts.push(String::new()),
                        ')' => {
                            closed = true;
                            break;
                        }
                        '(' | '{' => return Err(format!("nested group in {p}")),
                        other => {
                            if let Some(last) = alts.last_mut() {
                                last.push(other);
                            }
                        }
                    }
                }
                if !closed {
                    return Err(format!("unclosed group in {p}"));
                }
                pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                pieces.push(Piece::Alts(alts));
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let mut alts = Vec::new();
                for alt in macros(&name).ok_or_else(|| format!("unknown macro {name}"))? {
                    if alt.contains(['(', '{', '\\']) {
                        alts.extend(expand(alt, macros)?);
                    } else {
                        alts.push(alt.clone());
                    }
                }
                pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                pieces.push(Piece::Alts(alts));
            }
            other => lit.push(other),
        }
    }
    pieces.push(Piece::Lit(lit));
    let mut acc: Vec<String> = vec![String::new()];
    for piece in pieces {
        match piece {
            Piece::Lit(l) => {
                for a in &mut acc {
                    a.push_str(&l);
                }
            }
            Piece::Alts(alts) => {
                acc = acc
                    .iter()
                    .flat_map(|a| alts.iter().map(move |x| format!("{a}{x}")))
                    .collect();
                if acc.len() > 20_000 {
                    return Err(format!("pattern expands too much: {p}"));
                }
            }
        }
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_macros(_: &str) -> Option<&'static [String]> {
        None
    }

    #[test]
    fn expands_groups_and_optional_parts() {
        let mut got = expand("(kill|kills) (|the )teacher", &no_macros).expect("valid pattern");
        got.sort();
        assert_eq!(
            got,
            vec![
                "kill teacher",
                "kill the teacher",
                "kills teacher",
                "kills the teacher"
            ]
        );
    }

    #[test]
    fn near_rules_need_every_class_in_one_sentence_and_no_excluded_class() {
        let src = [Source {
            lang: Some(Language::En),
            name: "test.rules",
            text: "class PILLS = pills | tablets\nclass FOREVER = forever | never wake up\nclass DOCTOR = doctor\nnear self_harm = PILLS & FOREVER ! DOCTOR\nhard.name hate = negri",
        }];
        let lex = compile(&src).expect("test rules compile");
        let hard = |text: &str| {
            let f = fold(text);
            lex.analyse(&f, text, crate::matcher::LangCtx::default())
                .hard
                .iter()
                .map(|h| (h.category, h.rule.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            hard("To sleep forever she took all the pills"),
            vec![(Category::SelfHarm, "pills&forever".to_owned())]
        );
        assert!(hard("She took her pills. They lived happily forever.").is_empty());
        assert!(hard("The doctor gave her pills so she would sleep forever well").is_empty());
        assert!(hard("La maestra Negri porta la classe al museo").is_empty());
        assert_eq!(hard("Negri everywhere").len(), 1);
        assert_eq!(hard("they are all negri").len(), 1);
        assert!(
            compile(&[Source {
                lang: None,
                name: "bad.rules",
                text: "class A = a\nnear self_harm = A",
            }])
            .is_err()
        );
        assert!(
            compile(&[Source {
                lang: None,
                name: "bad.rules",
                text: "class A = a\nnear self_harm = A & MISSING",
            }])
            .is_err()
        );
    }

    #[test]
    fn builtin_rules_compile() {
        let lex = compile(CONTENT_SOURCES).expect("content rules compile");
        assert!(lex.pattern_count() > 1000);
        assert!(!lex.seqs.is_empty());
        let img = compile(IMAGE_SOURCES).expect("image rules compile");
        assert!(img.pattern_count() > 100);
    }
}
