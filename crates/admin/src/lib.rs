//! Operator commands. `admin usage --since 24h [--until <RFC 3339>] [--function NAME]
//! [--json]` prints, per function over the window, requests, total cost, average response
//! time, total tokens, errors, rate-limited requests and cache hits — the seed's monitoring
//! queries — from whichever backend `STORAGE_BACKEND` selects.

use accounting::Report;
use chrono::{DateTime, Duration, Utc};
use storage::{Backend, StoreError};

/// A parsed `usage` command.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageArgs {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub function: Option<String>,
    pub json: bool,
}

/// Parses `30m`, `24h`, `7d`, `90d` (or an RFC 3339 instant) relative to `now`.
pub fn parse_since(raw: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let (num, unit) = raw.split_at(raw.len().checked_sub(1)?);
    let n: i64 = num.parse().ok().filter(|n| *n > 0)?;
    let d = match unit {
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => return None,
    };
    Some(now - d)
}

/// Parses the arguments after `usage`.
pub fn parse_usage_args(args: &[String], now: DateTime<Utc>) -> Result<UsageArgs, String> {
    let mut out = UsageArgs {
        since: now - Duration::hours(24),
        until: now + Duration::seconds(1),
        function: None,
        json: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--since" => {
                let v = it.next().ok_or("--since needs a value (e.g. 24h)")?;
                out.since =
                    parse_since(v, now).ok_or("--since: use 30m, 24h, 7d or an RFC 3339 time")?;
            }
            "--until" => {
                let v = it.next().ok_or("--until needs a value")?;
                out.until =
                    parse_since(v, now).ok_or("--until: use an RFC 3339 time or a duration ago")?;
            }
            "--function" => {
                let v = it.next().ok_or("--function needs a name")?;
                if config::FunctionName::parse(v).is_none() {
                    return Err(format!("unknown function `{v}`"));
                }
                out.function = Some(v.clone());
            }
            "--json" => out.json = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if out.since >= out.until {
        return Err("--since must be before --until".to_string());
    }
    Ok(out)
}

/// Builds the report from the backend's ledger.
pub async fn usage_report(backend: &Backend, args: &UsageArgs) -> Result<Report, StoreError> {
    let records = backend
        .usage
        .usage_between(args.function.as_deref(), args.since, args.until)
        .await?;
    Ok(Report::from_records(
        &records,
        args.since.to_rfc3339(),
        args.until.to_rfc3339(),
    ))
}

/// Renders a report as a table or JSON.
pub fn render(report: &Report, json: bool) -> String {
    if json {
        serde_json::to_string_pretty(report).unwrap_or_default()
    } else {
        report.to_table()
    }
}
