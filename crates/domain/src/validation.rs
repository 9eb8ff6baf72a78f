//! Field-by-field validation of untrusted JSON, collecting the first few violations so a
//! client learns everything wrong with a request in one round trip.

use serde::Serialize;
use serde_json::{Map, Value};

/// How many violations a response reports at most.
pub const MAX_REPORTED: usize = 5;

/// One violation: the field path and a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the field (`event.data.name`, `scenes[2].prompt`).
    pub field: String,
    /// What is wrong, for people.
    pub message: String,
}

/// An ordered list of violations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation (only the first [`MAX_REPORTED`] are kept).
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        if self.0.len() < MAX_REPORTED {
            self.0.push(FieldError {
                field: field.into(),
                message: message.into(),
            });
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded violations.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(value)` when empty, otherwise `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The first violation's field name (for summary messages).
    pub fn first_field(&self) -> Option<&str> {
        self.0.first().map(|e| e.field.as_str())
    }
}

/// Removes control characters (keeping newlines and tabs when `multiline`), and trims.
pub fn clean_text(raw: &str, multiline: bool) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| {
            if multiline && (*c == '\n' || *c == '\t') {
                return true;
            }
            !c.is_control() && !is_invisible_format(*c)
        })
        .collect();
    cleaned.trim().to_string()
}

/// Zero-width and bidi-override characters used to hide text from filters and people.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Typed reads of an untrusted JSON object.
pub struct Reader<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
    /// Violations recorded so far.
    pub errors: FieldErrors,
}

impl<'a> Reader<'a> {
    /// Reads fields of `obj`; field names in errors are prefixed with `prefix.` when non-empty.
    pub fn new(obj: &'a Map<String, Value>, prefix: &str) -> Self {
        Self {
            obj,
            prefix: prefix.to_string(),
            errors: FieldErrors::new(),
        }
    }

    /// The full path of a field.
    pub fn path(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_string()
        } else {
            format!("{}.{}", self.prefix, field)
        }
    }

    /// The raw value, treating JSON `null` as absent.
    pub fn raw(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    /// True if the field is present and not null.
    pub fn has(&self, field: &str) -> bool {
        self.raw(field).is_some()
    }

    /// Records a violation against `field`.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.errors.push(path, message);
    }

    /// A string field, cleaned, with a length in characters between `min` and `max`.
    pub fn string(
        &mut self,
        field: &str,
        required: bool,
        min: usize,
        max: usize,
        multiline: bool,
    ) -> Option<String> {
        match self.raw(field) {
            None => {
                if required {
                    self.fail(field, "is required");
                }
                None
            }
            Some(Value::String(s)) => {
                let cleaned = clean_text(s, multiline);
                let n = cleaned.chars().count();
                if n < min {
                    if min == 1 {
                        self.fail(field, "must not be empty");
                    } else {
                        self.fail(field, format!("must be at least {min} characters"));
                    }
                    None
                } else if n > max {
                    self.fail(field, format!("must be at most {max} characters"));
                    None
                } else {
                    Some(cleaned)
                }
            }
            Some(_) => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    /// An integer field (a JSON number with no fraction, or with a fraction when `allow_fraction`
    /// — then rounded) within `min..=max`.
    pub fn integer(
        &mut self,
        field: &str,
        required: bool,
        min: i64,
        max: i64,
        allow_fraction: bool,
    ) -> Option<i64> {
        match self.raw(field) {
            None => {
                if required {
                    self.fail(field, "is required");
                }
                None
            }
            Some(Value::Number(n)) => {
                let v = if let Some(i) = n.as_i64() {
                    Some(i)
                } else if let Some(f) = n.as_f64() {
                    if allow_fraction && f.is_finite() && f.abs() < 1e12 {
                        Some(f.round() as i64)
                    } else if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e12 {
                        Some(f as i64)
                    } else {
                        None
                    }
                } else {
                    None
                };
                match v {
                    Some(i) if (min..=max).contains(&i) => Some(i),
                    Some(_) => {
                        self.fail(field, format!("must be between {min} and {max}"));
                        None
                    }
                    None => {
                        self.fail(field, "must be a whole number");
                        None
                    }
                }
            }
            Some(_) => {
                self.fail(field, "must be a number");
                None
            }
        }
    }

    /// A floating-point field within `min..=max`.
    pub fn number(&mut self, field: &str, required: bool, min: f64, max: f64) -> Option<f64> {
        match self.raw(field) {
            None => {
                if required {
                    self.fail(field, "is required");
                }
                None
            }
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if f.is_finite() && f >= min && f <= max => Some(f),
                _ => {
                    self.fail(field, format!("must be between {min} and {max}"));
                    None
                }
            },
            Some(_) => {
                self.fail(field, "must be a number");
                None
            }
        }
    }

    /// A boolean field.
    pub fn boolean(&mut self, field: &str) -> Option<bool> {
        match self.raw(field) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail(field, "must be true or false");
                None
            }
        }
    }

    /// An object field.
    pub fn object(&mut self, field: &str, required: bool) -> Option<&'a Map<String, Value>> {
        match self.raw(field) {
            None => {
                if required {
                    self.fail(field, "is required");
                }
                None
            }
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                self.fail(field, "must be an object");
                None
            }
        }
    }

    /// A list of short strings (each cleaned, 1..=`max_len` chars), at most `max_items`.
    pub fn string_list(
        &mut self,
        field: &str,
        max_items: usize,
        max_len: usize,
    ) -> Option<Vec<String>> {
        match self.raw(field) {
            None => None,
            Some(Value::Array(items)) => {
                if items.len() > max_items {
                    self.fail(field, format!("must have at most {max_items} items"));
                    return None;
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => {
                            let c = clean_text(s, false);
                            if c.chars().count() > max_len {
                                let p = format!("{field}[{i}]");
                                self.fail(&p, format!("must be at most {max_len} characters"));
                                return None;
                            }
                            if !c.is_empty() {
                                out.push(c);
                            }
                        }
                        _ => {
                            let p = format!("{field}[{i}]");
                            self.fail(&p, "must be a string");
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Some(_) => {
                self.fail(field, "must be a list of strings");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_and_invisible_characters_are_stripped() {
        assert_eq!(clean_text("  Lu\u{0007}na\u{200B} ", false), "Luna");
        assert_eq!(clean_text("a\nb", true), "a\nb");
        assert_eq!(clean_text("a\nb", false), "ab");
    }

    #[test]
    fn reader_reports_type_and_range_errors_with_paths() {
        let v = json!({"name": 5, "age": 40, "t": 3.5});
        let obj = v.as_object().expect("object");
        let mut r = Reader::new(obj, "hero");
        assert_eq!(r.string("name", true, 1, 50, false), None);
        assert_eq!(r.integer("age", false, 3, 12, false), None);
        assert_eq!(r.integer("t", false, 1, 10, true), Some(4));
        assert_eq!(r.string("missing", true, 1, 5, false), None);
        let fields: Vec<_> = r.errors.errors().iter().map(|e| e.field.clone()).collect();
        assert_eq!(fields, vec!["hero.name", "hero.age", "hero.missing"]);
    }

    #[test]
    fn only_the_first_few_violations_are_kept() {
        let mut e = FieldErrors::new();
        for i in 0..20 {
            e.push(format!("f{i}"), "bad");
        }
        assert_eq!(e.errors().len(), MAX_REPORTED);
    }
}
