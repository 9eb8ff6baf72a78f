//! Usage reports: the seed's monitoring queries (requests, total cost, average response time,
//! tokens, errors, cache hits per function over a window), computed from ledger records so
//! every backend gives the same totals for the same traffic.

use serde::Serialize;
use std::collections::BTreeMap;
use storage::{UsageRecord, UsageStatus};

/// Totals of one function.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FunctionReport {
    pub function_name: String,
    /// Ledger rows (one per AI call or refused request), as the seed's `COUNT(*)`.
    pub requests: u64,
    /// Distinct request ids among them.
    pub distinct_requests: u64,
    /// USD over rows with a known price.
    pub total_cost: f64,
    /// Rows whose model had no price (excluded from `total_cost`, never counted as zero).
    pub unpriced_calls: u64,
    pub avg_response_time_ms: f64,
    pub total_tokens: u64,
    pub total_characters: u64,
    pub total_images: u64,
    pub errors: u64,
    pub rate_limited: u64,
    pub cache_hits: u64,
}

/// A report over a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Window start (RFC 3339).
    pub since: String,
    /// Window end (RFC 3339).
    pub until: String,
    pub functions: Vec<FunctionReport>,
    pub total: FunctionReport,
}

fn add(r: &mut FunctionReport, rec: &UsageRecord, time_sum: &mut u128) {
    r.requests += 1;
    match rec.cost_estimate {
        Some(c) => r.total_cost += c,
        None => r.unpriced_calls += 1,
    }
    *time_sum += u128::from(rec.response_time_ms);
    r.total_tokens += rec.tokens_used;
    r.total_characters += rec.characters;
    r.total_images += rec.images;
    match rec.status {
        UsageStatus::Error => r.errors += 1,
        UsageStatus::RateLimited => r.rate_limited += 1,
        UsageStatus::Success => {}
    }
    if rec.cached {
        r.cache_hits += 1;
    }
}

impl Report {
    /// Aggregates records (already filtered to the window).
    pub fn from_records(records: &[UsageRecord], since: String, until: String) -> Self {
        let mut by_fn: BTreeMap<&str, (FunctionReport, u128, std::collections::HashSet<&str>)> =
            BTreeMap::new();
        let mut total = FunctionReport {
            function_name: "total".into(),
            ..FunctionReport::default()
        };
        let mut total_time = 0u128;
        let mut total_ids = std::collections::HashSet::new();
        for rec in records {
            let entry = by_fn.entry(&rec.function_name).or_insert_with(|| {
                (
                    FunctionReport {
                        function_name: rec.function_name.clone(),
                        ..FunctionReport::default()
                    },
                    0,
                    std::collections::HashSet::new(),
                )
            });
            add(&mut entry.0, rec, &mut entry.1);
            entry.2.insert(&rec.request_id);
            add(&mut total, rec, &mut total_time);
            total_ids.insert(rec.request_id.as_str());
        }
        let finish = |mut r: FunctionReport, time: u128, ids: usize| {
            r.avg_response_time_ms = if r.requests == 0 {
                0.0
            } else {
                (time as f64 / r.requests as f64 * 10.0).round() / 10.0
            };
            r.distinct_requests = ids as u64;
            r.total_cost = (r.total_cost * 1e6).round() / 1e6;
            r
        };
        let functions = by_fn
            .into_values()
            .map(|(r, t, ids)| finish(r, t, ids.len()))
            .collect();
        Self {
            since,
            until,
            functions,
            total: finish(total, total_time, total_ids.len()),
        }
    }

    /// A fixed-width table for terminals.
    pub fn to_table(&self) -> String {
        let mut out = format!("usage from {} to {}\n", self.since, self.until);
        out.push_str(&format!(
            "{:<20} {:>9} {:>12} {:>10} {:>12} {:>7} {:>8} {:>10}\n",
            "function",
            "requests",
            "cost_usd",
            "avg_ms",
            "tokens",
            "errors",
            "limited",
            "cache_hits"
        ));
        for r in self.functions.iter().chain(std::iter::once(&self.total)) {
            out.push_str(&format!(
                "{:<20} {:>9} {:>12.6} {:>10.1} {:>12} {:>7} {:>8} {:>10}\n",
                r.function_name,
                r.requests,
                r.total_cost,
                r.avg_response_time_ms,
                r.total_tokens,
                r.errors,
                r.rate_limited,
                r.cache_hits
            ));
        }
        if self.total.unpriced_calls > 0 {
            out.push_str(&format!(
                "note: {} call(s) used models missing from the price table (not in cost_usd)\n",
                self.total.unpriced_calls
            ));
        }
        out
    }
}
