//! Key strings of the single-table design (see the module doc of [`crate::aws`]).

use chrono::{DateTime, Datelike, Utc};
use domain::UserId;

/// Name of the overloaded global secondary index.
pub(crate) const GSI1: &str = "gsi1";
/// Largest number of month buckets one usage query may span (100 years).
pub(crate) const MAX_USAGE_MONTHS: usize = 1200;

/// Percent-escapes `%` and `#` so a free-form part cannot forge a key separator.
pub(crate) fn esc(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        match ch {
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// Epoch milliseconds, zero-padded so string order is time order (times before 1970 sort
/// as 1970; the app never creates them).
pub(crate) fn ms_key(ms: i64) -> String {
    format!("{:015}", ms.max(0))
}

/// `{created_ms}#{id}`.
pub(crate) fn created_key(ms: i64, id: &str) -> String {
    format!("{}#{id}", ms_key(ms))
}

pub(crate) fn user_pk(user: &UserId) -> String {
    format!("USER#{}", user.as_str())
}

pub(crate) fn hero_sk(id: &str) -> String {
    format!("HERO#{id}")
}

pub(crate) fn heroes_index(user: &UserId) -> String {
    format!("USER#{}#HEROES", user.as_str())
}

pub(crate) fn story_sk(id: &str) -> String {
    format!("STORY#{id}")
}

pub(crate) fn stories_index(user: &UserId) -> String {
    format!("USER#{}#STORIES", user.as_str())
}

pub(crate) fn scene_prefix(story: &str) -> String {
    format!("STORY#{story}#SCENE#")
}

pub(crate) fn scene_sk(story: &str, scene: u32) -> String {
    format!("{}{scene:010}", scene_prefix(story))
}

pub(crate) fn cache_sk(namespace: &str, key: &str) -> String {
    format!("CACHE#{}#{}", esc(namespace), esc(key))
}

pub(crate) fn idem_sk(key: &str) -> String {
    format!("IDEM#{}", esc(key))
}

pub(crate) fn rate_sk(function: &str, window_start: i64) -> String {
    format!("RL#{}#{window_start}", esc(function))
}

pub(crate) fn safety_sk(ms: i64, id: &str) -> String {
    format!("SAFETY#{}", created_key(ms, id))
}

/// Lower bound of safety events created at or after `ms`.
pub(crate) fn safety_from(ms: i64) -> String {
    format!("SAFETY#{}#", ms_key(ms))
}

/// Above every safety event key (`~` sorts after digits).
pub(crate) const SAFETY_END: &str = "SAFETY#~";

/// Month bucket of usage records: `USAGE#{yyyy-mm}`.
pub(crate) fn usage_pk(year: i32, month: u32) -> String {
    format!("USAGE#{year:04}-{month:02}")
}

/// GSI partition of one function's usage records.
pub(crate) fn usage_index(function: &str) -> String {
    format!("USAGE#{}", esc(function))
}

/// `(from, to)` sort-key bounds (inclusive) of records created in `[since, until)`.
pub(crate) fn created_bounds(since_ms: i64, until_ms: i64) -> (String, String) {
    (
        format!("{}#", ms_key(since_ms)),
        format!("{}#~", ms_key(until_ms - 1)),
    )
}

/// The calendar months (UTC) that `[since, until)` touches, oldest first; `None` when there
/// are more than [`MAX_USAGE_MONTHS`].
pub(crate) fn months_between(
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Option<Vec<(i32, u32)>> {
    let last = until - chrono::Duration::milliseconds(1);
    let index = |t: DateTime<Utc>| i64::from(t.year()) * 12 + i64::from(t.month0());
    let (from, to) = (index(since), index(last));
    if to < from {
        return Some(Vec::new());
    }
    if (to - from) as usize >= MAX_USAGE_MONTHS {
        return None;
    }
    Some(
        (from..=to)
            .map(|i| (i.div_euclid(12) as i32, i.rem_euclid(12) as u32 + 1))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn free_form_parts_cannot_forge_a_separator() {
        assert_eq!(cache_sk("story", "a#b"), "CACHE#story#a%23b");
        assert_ne!(cache_sk("a#b", "c"), cache_sk("a", "b#c"));
        assert_eq!(esc("50%#"), "50%25%23");
        assert_eq!(rate_sk("story-generation", 7), "RL#story-generation#7");
    }

    #[test]
    fn created_keys_sort_by_time_then_id() {
        let mut keys = vec![
            created_key(1_000, "b"),
            created_key(999, "z"),
            created_key(1_000, "a"),
            created_key(10_000_000_000_000, "a"),
        ];
        keys.sort();
        assert_eq!(
            keys,
            vec![
                created_key(999, "z"),
                created_key(1_000, "a"),
                created_key(1_000, "b"),
                created_key(10_000_000_000_000, "a"),
            ]
        );
        let (from, to) = created_bounds(1_000, 2_000);
        assert!(from <= created_key(1_000, "0") && created_key(1_999, "ffff") <= to);
        assert!(created_key(999, "z") < from && created_key(2_000, "0") > to);
        assert_eq!(scene_sk("s", 7), "STORY#s#SCENE#0000000007");
        assert!(scene_sk("s", 9) < scene_sk("s", 10));
    }

    #[test]
    fn usage_windows_map_to_their_months() {
        let t = |y, m, d| {
            Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
                .single()
                .expect("date")
        };
        assert_eq!(
            months_between(t(2026, 11, 15), t(2027, 2, 1)),
            Some(vec![(2026, 11), (2026, 12), (2027, 1)]),
            "the end is exclusive"
        );
        assert_eq!(months_between(t(2026, 3, 1), t(2026, 3, 1)), Some(vec![]));
        assert_eq!(months_between(t(1900, 1, 1), t(2026, 1, 1)), None);
        assert_eq!(usage_pk(2026, 3), "USAGE#2026-03");
    }
}
