//! `--key value` and `--flag` command-line arguments (no parser dependency for a bench tool).

use std::collections::HashMap;
use std::str::FromStr;

/// Parsed arguments: repeated keys keep every value in order.
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<String, Vec<String>>,
}

impl Args {
    /// Parses `--key value` pairs; a `--key` followed by another `--key` (or nothing) is a flag.
    pub fn parse(raw: &[String]) -> Result<Self, String> {
        let mut out = Self::default();
        let mut i = 0;
        while i < raw.len() {
            let Some(key) = raw[i].strip_prefix("--") else {
                return Err(format!("unexpected argument {:?}", raw[i]));
            };
            let (key, value) = match key.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => match raw.get(i + 1) {
                    Some(next) if !next.starts_with("--") => {
                        i += 1;
                        (key.to_owned(), next.clone())
                    }
                    _ => (key.to_owned(), "true".to_owned()),
                },
            };
            out.values.entry(key).or_default().push(value);
            i += 1;
        }
        Ok(out)
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// The last value of `key`, or an error naming it.
    pub fn required(&self, key: &str) -> Result<&str, String> {
        self.get(key).ok_or_else(|| format!("--{key} is required"))
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.values
            .get(key)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// `key` parsed, or `default` when absent.
    pub fn number<T: FromStr>(&self, key: &str, default: T) -> Result<T, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{key}: cannot parse {v:?}")),
        }
    }

    /// Whether `--key` was given (as a flag or `--key true`).
    pub fn flag(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| v != "false")
    }
}
