//! Secrets from AWS Secrets Manager, resolved once per cold start (SPEC §10).
//!
//! A deployed stack never puts `OPENAI_API_KEY` or `JWT_SECRET` into a function's
//! environment (where anyone with `lambda:GetFunctionConfiguration` could read them). The
//! template sets `OPENAI_API_KEY_SECRET_ARN` and `JWT_SECRET_ARN` instead, and the function
//! binary calls [`resolve_from_env`] before it parses its settings: the current value of each
//! named secret is fetched (concurrently, one `GetSecretValue` each) and returned as an
//! overlay that `config::Settings::from_lookup` reads in front of the environment. So:
//!
//! - the process environment is never modified (no `set_var`);
//! - the values live only in the settings of this execution environment, and a rotated
//!   secret takes effect at the next cold start (force one by updating the function's
//!   configuration or redeploying — see DEPLOYMENT.md);
//! - without any `*_SECRET_ARN` variable nothing here touches AWS (local development).
//!
//! Rules, per secret variable (`OPENAI_API_KEY`, `JWT_SECRET`):
//!
//! | `VAR` | `VAR_SECRET_ARN` | result |
//! |---|---|---|
//! | unset | unset | unset (the usual defaults of `config` apply) |
//! | set | unset | the environment value (local development, tests) |
//! | unset | set | the secret's current `SecretString`, trimmed |
//! | set | set | start-up error: ambiguous |
//!
//! A secret that has no value yet (created empty by the template, `ResourceNotFoundException`)
//! or whose value is blank is an error for `JWT_SECRET` (a deployed stack must never fall back
//! to the public dev secret) and for `OPENAI_API_KEY` in production; outside production
//! `OPENAI_API_KEY` then stays unset and the offline provider answers, with a note that the
//! caller logs. Errors name the variable and never contain a secret value.

use aws_config::BehaviorVersion;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// A secret-bearing setting and the variable that names its Secrets Manager secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretVariable {
    /// The setting `config` reads (`OPENAI_API_KEY`).
    pub variable: &'static str,
    /// The variable holding the secret's ARN or name (`OPENAI_API_KEY_SECRET_ARN`).
    pub reference: &'static str,
    /// Whether a secret without a value stops start-up outside production too.
    pub required_when_referenced: bool,
}

/// Every secret-bearing setting.
pub const SECRET_VARIABLES: &[SecretVariable] = &[
    SecretVariable {
        variable: "OPENAI_API_KEY",
        reference: "OPENAI_API_KEY_SECRET_ARN",
        required_when_referenced: false,
    },
    SecretVariable {
        variable: "JWT_SECRET",
        reference: "JWT_SECRET_ARN",
        required_when_referenced: true,
    },
];

/// The reference variable of a secret-bearing setting (`JWT_SECRET` → `JWT_SECRET_ARN`).
pub fn reference_of(variable: &str) -> Option<&'static str> {
    SECRET_VARIABLES
        .iter()
        .find(|s| s.variable == variable)
        .map(|s| s.reference)
}

/// How long one `GetSecretValue` may take, retries included (a cold start must not hang).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A start-up failure: which variable, and why (never a secret value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {variable}: {message}")]
pub struct SecretError {
    /// The variable at fault (`JWT_SECRET_ARN`, or `JWT_SECRET` when both are set).
    pub variable: String,
    /// What is wrong.
    pub message: String,
}

fn err(variable: &str, message: impl Into<String>) -> SecretError {
    SecretError {
        variable: variable.to_string(),
        message: message.into(),
    }
}

/// Resolved secrets: an overlay in front of the environment.
#[derive(Default, Clone)]
pub struct Resolved {
    /// `Some(value)` resolved, `None` referenced but deliberately left unset.
    overlay: HashMap<&'static str, Option<String>>,
    notes: Vec<String>,
}

impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.overlay.keys().collect();
        names.sort();
        f.debug_struct("Resolved")
            .field("variables", &names)
            .field("notes", &self.notes)
            .finish()
    }
}

impl Resolved {
    /// The value of `name`: a resolved secret when `name` was referenced, else `env(name)`.
    pub fn get(&self, name: &str, env: impl Fn(&str) -> Option<String>) -> Option<String> {
        match self.overlay.get(name) {
            Some(value) => value.clone(),
            None => env(name),
        }
    }

    /// The settings whose value came from (or was withheld by) Secrets Manager.
    pub fn variables(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.overlay.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Human-readable notes for the start-up log (names only, never values).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

fn non_empty(lookup: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn is_production(lookup: &dyn Fn(&str) -> Option<String>) -> bool {
    non_empty(lookup, "ENVIRONMENT")
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "production" | "prod"))
}

/// The secrets `lookup` references, checking that none is also set directly.
pub fn references(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(SecretVariable, String)>, SecretError> {
    let mut out = Vec::new();
    for s in SECRET_VARIABLES {
        let Some(id) = non_empty(lookup, s.reference) else {
            continue;
        };
        if non_empty(lookup, s.variable).is_some() {
            return Err(err(
                s.variable,
                format!("set either {} or {}, not both", s.variable, s.reference),
            ));
        }
        out.push((*s, id));
    }
    Ok(out)
}

enum Fetched {
    Value(String),
    NoValue,
}

async fn fetch(client: &Client, s: SecretVariable, id: &str) -> Result<Fetched, SecretError> {
    let reply = match client.get_secret_value().secret_id(id).send().await {
        Ok(reply) => reply,
        Err(e) => {
            return match e.as_service_error() {
                Some(GetSecretValueError::ResourceNotFoundException(_)) => Ok(Fetched::NoValue),
                Some(service) => Err(err(
                    s.reference,
                    format!(
                        "Secrets Manager refused GetSecretValue on {id}: {}",
                        service.meta().code().unwrap_or("unknown error")
                    ),
                )),
                None => Err(err(
                    s.reference,
                    format!(
                        "Secrets Manager did not answer GetSecretValue on {id}: {}",
                        aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                    ),
                )),
            };
        }
    };
    match reply.secret_string() {
        Some(v) if !v.trim().is_empty() => Ok(Fetched::Value(v.trim().to_string())),
        Some(_) => Ok(Fetched::NoValue),
        None if reply.secret_binary().is_some() => Err(err(
            s.reference,
            format!(
                "secret {id} holds binary data; store {} as a string",
                s.variable
            ),
        )),
        None => Ok(Fetched::NoValue),
    }
}

/// Resolves every referenced secret with `client` (the testable core of [`resolve_from_env`]).
pub async fn resolve(
    lookup: &dyn Fn(&str) -> Option<String>,
    client: &Client,
) -> Result<Resolved, SecretError> {
    let refs = references(lookup)?;
    let production = is_production(lookup);
    let fetched = futures::future::join_all(refs.iter().map(|(s, id)| fetch(client, *s, id))).await;
    let mut resolved = Resolved::default();
    for ((s, id), outcome) in refs.iter().zip(fetched) {
        match outcome? {
            Fetched::Value(v) => {
                resolved.overlay.insert(s.variable, Some(v));
                resolved
                    .notes
                    .push(format!("{} resolved from Secrets Manager", s.variable));
            }
            Fetched::NoValue if s.required_when_referenced || production => {
                return Err(err(
                    s.reference,
                    format!(
                        "secret {id} does not exist or has no value yet; set it with \
                         `aws secretsmanager put-secret-value --secret-id {id} --secret-string …`"
                    ),
                ));
            }
            Fetched::NoValue => {
                resolved.overlay.insert(s.variable, None);
                resolved.notes.push(format!(
                    "{} names a secret without a value yet: {} stays unset",
                    s.reference, s.variable
                ));
            }
        }
    }
    Ok(resolved)
}

/// A Secrets Manager client for `sdk` with a bounded operation time.
pub fn client(sdk: &aws_config::SdkConfig) -> Client {
    let conf = aws_sdk_secretsmanager::config::Builder::from(sdk)
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(FETCH_TIMEOUT)
                .build(),
        )
        .build();
    Client::from_conf(conf)
}

/// Resolves the secrets the process environment references. Loads the AWS SDK configuration
/// (region and credentials of the Lambda role) only when there is something to fetch. Call
/// once per cold start, before parsing settings.
pub async fn resolve_from_env() -> Result<Resolved, SecretError> {
    let lookup = |name: &str| std::env::var(name).ok();
    if references(&lookup)?.is_empty() {
        return Ok(Resolved::default());
    }
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    resolve(&lookup, &client(&sdk)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn nothing_referenced_means_nothing_to_fetch() {
        let lookup = map(&[("OPENAI_API_KEY", "sk-local"), ("JWT_SECRET_ARN", "  ")]);
        assert!(references(&lookup).expect("valid").is_empty());
        let r = Resolved::default();
        assert_eq!(
            r.get("OPENAI_API_KEY", &lookup).as_deref(),
            Some("sk-local")
        );
    }

    #[test]
    fn a_variable_set_twice_is_refused_by_name() {
        let lookup = map(&[("JWT_SECRET", "x"), ("JWT_SECRET_ARN", "arn:x")]);
        let e = references(&lookup).expect_err("ambiguous");
        assert_eq!(e.variable, "JWT_SECRET");
        assert!(e.message.contains("JWT_SECRET_ARN"));
    }

    #[test]
    fn every_secret_variable_has_its_reference() {
        for s in SECRET_VARIABLES {
            assert_eq!(reference_of(s.variable), Some(s.reference));
            assert!(s.reference.starts_with(s.variable));
        }
        assert_eq!(reference_of("TEXT_MODEL"), None);
    }

    #[test]
    fn debug_shows_names_not_values() {
        let mut r = Resolved::default();
        r.overlay
            .insert("JWT_SECRET", Some("very-secret-value".into()));
        let shown = format!("{r:?}");
        assert!(shown.contains("JWT_SECRET"));
        assert!(!shown.contains("very-secret-value"));
    }
}
