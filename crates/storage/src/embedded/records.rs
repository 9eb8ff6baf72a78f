//! Every non-hero record port in SQLite.

use super::db::Db;
use crate::page::{DEFAULT_LIMIT, MAX_LIMIT, Position};
use crate::records::*;
use crate::{Page, PageRequest, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{SceneIllustration, StoryId, StoryRecord, UserId};
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

pub(crate) struct EmbeddedRecords {
    db: Db,
}

impl EmbeddedRecords {
    pub(crate) fn new(db: Db) -> Self {
        Self { db }
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

#[async_trait]
impl StoryStore for EmbeddedRecords {
    async fn put_story(&self, story: &StoryRecord) -> Result<(), StoreError> {
        let doc = serde_json::to_string(story)?;
        let (user, id, created) = (
            story.user_id.as_str().to_string(),
            story.id.to_string(),
            ms(story.created_at),
        );
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO stories (user_id, id, created_ms, doc) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(user_id, id) DO UPDATE SET created_ms = excluded.created_ms, doc = excluded.doc",
                    params![user, id, created, doc],
                )?;
                Ok(())
            })
            .await
    }

    async fn get_story(
        &self,
        user: &UserId,
        id: &StoryId,
    ) -> Result<Option<StoryRecord>, StoreError> {
        let (user, id) = (user.as_str().to_string(), id.to_string());
        let doc: Option<String> = self
            .db
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT doc FROM stories WHERE user_id = ?1 AND id = ?2",
                    params![user, id],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await?;
        doc.map(|d| serde_json::from_str(&d).map_err(StoreError::from))
            .transpose()
    }

    async fn list_stories(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<StoryRecord>, StoreError> {
        let limit = if page.limit == 0 {
            DEFAULT_LIMIT
        } else {
            page.limit.min(MAX_LIMIT)
        };
        let after = match &page.cursor {
            None => None,
            Some(c) => {
                Some(Position::decode(c).ok_or_else(|| StoreError::Invalid("cursor".to_string()))?)
            }
        };
        let user = user.as_str().to_string();
        let docs: Vec<String> = self
            .db
            .call(move |c| {
                let fetch = i64::from(limit) + 1;
                let (t, id) = after
                    .map(|p| (p.t, p.id))
                    .unwrap_or((i64::MAX, String::new()));
                let mut st = c.prepare_cached(
                    "SELECT doc FROM stories WHERE user_id = ?1
                       AND (created_ms < ?2 OR (created_ms = ?2 AND (?3 = '' OR id < ?3)))
                     ORDER BY created_ms DESC, id DESC LIMIT ?4",
                )?;
                let rows = st.query_map(params![user, t, id, fetch], |r| r.get(0))?;
                rows.collect::<Result<Vec<String>, _>>().map_err(Into::into)
            })
            .await?;
        let mut items = docs
            .iter()
            .map(|d| serde_json::from_str::<StoryRecord>(d).map_err(StoreError::from))
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|s| {
                Position {
                    t: ms(s.created_at),
                    id: s.id.to_string(),
                }
                .encode()
            })
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn delete_story(&self, user: &UserId, id: &StoryId) -> Result<bool, StoreError> {
        let (user, id) = (user.as_str().to_string(), id.to_string());
        self.db
            .call(move |c| {
                let tx = c.transaction()?;
                let n = tx.execute(
                    "DELETE FROM stories WHERE user_id = ?1 AND id = ?2",
                    params![user, id],
                )?;
                tx.execute(
                    "DELETE FROM illustrations WHERE user_id = ?1 AND story_id = ?2",
                    params![user, id],
                )?;
                tx.commit()?;
                Ok(n > 0)
            })
            .await
    }

    async fn put_illustration(
        &self,
        user: &UserId,
        state: &SceneIllustration,
    ) -> Result<(), StoreError> {
        let doc = serde_json::to_string(state)?;
        let (user, story, n) = (
            user.as_str().to_string(),
            state.story_id.to_string(),
            i64::from(state.scene_number),
        );
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO illustrations (user_id, story_id, scene_number, doc) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(user_id, story_id, scene_number) DO UPDATE SET doc = excluded.doc",
                    params![user, story, n, doc],
                )?;
                Ok(())
            })
            .await
    }

    async fn list_illustrations(
        &self,
        user: &UserId,
        story: &StoryId,
    ) -> Result<Vec<SceneIllustration>, StoreError> {
        let (user, story) = (user.as_str().to_string(), story.to_string());
        let docs: Vec<String> = self
            .db
            .call(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT doc FROM illustrations WHERE user_id = ?1 AND story_id = ?2 ORDER BY scene_number",
                )?;
                let rows = st.query_map(params![user, story], |r| r.get(0))?;
                rows.collect::<Result<Vec<String>, _>>().map_err(Into::into)
            })
            .await?;
        docs.iter()
            .map(|d| serde_json::from_str(d).map_err(StoreError::from))
            .collect()
    }
}

#[async_trait]
impl UsageStore for EmbeddedRecords {
    async fn record_usage(&self, record: &UsageRecord) -> Result<(), StoreError> {
        let doc = serde_json::to_string(record)?;
        let (id, f, created, expires) = (
            record.id.clone(),
            record.function_name.clone(),
            ms(record.created_at),
            ms(record.expires_at),
        );
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO usage (id, function_name, created_ms, expires_ms, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, f, created, expires, doc],
                )?;
                Ok(())
            })
            .await
    }

    async fn usage_between(
        &self,
        function: Option<&str>,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<UsageRecord>, StoreError> {
        let function = function.map(str::to_string);
        let (since, until, now) = (ms(since), ms(until), ms(Utc::now()));
        let docs: Vec<String> = self
            .db
            .call(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT doc FROM usage WHERE created_ms >= ?1 AND created_ms < ?2 AND expires_ms > ?3
                       AND (?4 IS NULL OR function_name = ?4)
                     ORDER BY created_ms, id",
                )?;
                let rows = st.query_map(params![since, until, now, function], |r| r.get(0))?;
                rows.collect::<Result<Vec<String>, _>>().map_err(Into::into)
            })
            .await?;
        docs.iter()
            .map(|d| serde_json::from_str(d).map_err(StoreError::from))
            .collect()
    }
}

#[async_trait]
impl RateLimitStore for EmbeddedRecords {
    async fn acquire(
        &self,
        user: &UserId,
        function: &str,
        window_start: i64,
        cost: u32,
        limit: u32,
        expires_at: DateTime<Utc>,
    ) -> Result<Acquire, StoreError> {
        let (user, function, expires) = (
            user.as_str().to_string(),
            function.to_string(),
            ms(expires_at),
        );
        self.db
            .call(move |c| {
                // One conditional upsert: the row is only incremented when the result stays
                // within the limit; RETURNING tells whether it was.
                let granted: Option<i64> = c
                    .query_row(
                        "INSERT INTO rate_limits (user_id, function_name, window_start, count, expires_ms)
                         SELECT ?1, ?2, ?3, ?4, ?6 WHERE ?4 <= ?5
                         ON CONFLICT(user_id, function_name, window_start)
                           DO UPDATE SET count = count + excluded.count WHERE count + excluded.count <= ?5
                         RETURNING count",
                        params![user, function, window_start, i64::from(cost), i64::from(limit), expires],
                        |r| r.get(0),
                    )
                    .optional()?;
                match granted {
                    Some(used) => Ok(Acquire::Granted { used: used as u32 }),
                    None => {
                        let used: i64 = c
                            .query_row(
                                "SELECT count FROM rate_limits WHERE user_id = ?1 AND function_name = ?2 AND window_start = ?3",
                                params![user, function, window_start],
                                |r| r.get(0),
                            )
                            .optional()?
                            .unwrap_or(0);
                        Ok(Acquire::Denied { used: used as u32 })
                    }
                }
            })
            .await
    }

    async fn release(
        &self,
        user: &UserId,
        function: &str,
        window_start: i64,
        cost: u32,
    ) -> Result<(), StoreError> {
        let (user, function) = (user.as_str().to_string(), function.to_string());
        self.db
            .call(move |c| {
                c.execute(
                    "UPDATE rate_limits SET count = MAX(count - ?4, 0)
                     WHERE user_id = ?1 AND function_name = ?2 AND window_start = ?3",
                    params![user, function, window_start, i64::from(cost)],
                )?;
                Ok(())
            })
            .await
    }
}

#[async_trait]
impl CacheStore for EmbeddedRecords {
    async fn cache_get(
        &self,
        user: &UserId,
        namespace: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Value>, StoreError> {
        let (user, ns, key, now) = (
            user.as_str().to_string(),
            namespace.to_string(),
            key.to_string(),
            ms(now),
        );
        let doc: Option<String> = self
            .db
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT value FROM cache WHERE user_id = ?1 AND namespace = ?2 AND key = ?3 AND expires_ms > ?4",
                    params![user, ns, key, now],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await?;
        doc.map(|d| serde_json::from_str(&d).map_err(StoreError::from))
            .transpose()
    }

    async fn cache_put(
        &self,
        user: &UserId,
        namespace: &str,
        key: &str,
        value: &Value,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let doc = serde_json::to_string(value)?;
        let (user, ns, key, exp) = (
            user.as_str().to_string(),
            namespace.to_string(),
            key.to_string(),
            ms(expires_at),
        );
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO cache (user_id, namespace, key, value, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(user_id, namespace, key) DO UPDATE SET value = excluded.value, expires_ms = excluded.expires_ms",
                    params![user, ns, key, doc, exp],
                )?;
                Ok(())
            })
            .await
    }

    async fn cache_delete(
        &self,
        user: &UserId,
        namespace: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let (user, ns, key) = (
            user.as_str().to_string(),
            namespace.to_string(),
            key.to_string(),
        );
        self.db
            .call(move |c| {
                c.execute(
                    "DELETE FROM cache WHERE user_id = ?1 AND namespace = ?2 AND key = ?3",
                    params![user, ns, key],
                )?;
                Ok(())
            })
            .await
    }
}

#[async_trait]
impl IdempotencyStore for EmbeddedRecords {
    async fn begin(
        &self,
        user: &UserId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<IdemBegin, StoreError> {
        let (user, key, hash) = (
            user.as_str().to_string(),
            key.to_string(),
            request_hash.to_string(),
        );
        let (now, lease, exp) = (ms(now), ms(lease_until), ms(expires_at));
        self.db
            .call(move |c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let existing: Option<(String, String, Option<String>, i64, i64)> = tx
                    .query_row(
                        "SELECT request_hash, state, response, lease_ms, expires_ms FROM idempotency
                         WHERE user_id = ?1 AND key = ?2",
                        params![user, key],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                    )
                    .optional()?;
                let live = existing.filter(|(_, state, _, lease_ms, expires_ms)| {
                    *expires_ms > now && (state == "completed" || *lease_ms > now)
                });
                let out = match live {
                    Some((request_hash, state, response, _, _)) if state == "completed" => {
                        let response = response
                            .ok_or_else(|| StoreError::Corrupt("idempotency response".into()))?;
                        IdemBegin::Completed {
                            request_hash,
                            response: serde_json::from_str(&response)?,
                        }
                    }
                    Some((request_hash, _, _, _, _)) => IdemBegin::InFlight { request_hash },
                    None => {
                        tx.execute(
                            "INSERT INTO idempotency (user_id, key, request_hash, state, response, lease_ms, expires_ms)
                             VALUES (?1, ?2, ?3, 'in_flight', NULL, ?4, ?5)
                             ON CONFLICT(user_id, key) DO UPDATE SET request_hash = excluded.request_hash,
                               state = 'in_flight', response = NULL, lease_ms = excluded.lease_ms,
                               expires_ms = excluded.expires_ms",
                            params![user, key, hash, lease, exp],
                        )?;
                        IdemBegin::Started
                    }
                };
                tx.commit()?;
                Ok(out)
            })
            .await
    }

    async fn complete(
        &self,
        user: &UserId,
        key: &str,
        response: &StoredResponse,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let doc = serde_json::to_string(response)?;
        let (user, key, exp) = (user.as_str().to_string(), key.to_string(), ms(expires_at));
        self.db
            .call(move |c| {
                c.execute(
                    "UPDATE idempotency SET state = 'completed', response = ?3, expires_ms = ?4
                     WHERE user_id = ?1 AND key = ?2",
                    params![user, key, doc, exp],
                )?;
                Ok(())
            })
            .await
    }

    async fn abandon(&self, user: &UserId, key: &str) -> Result<(), StoreError> {
        let (user, key) = (user.as_str().to_string(), key.to_string());
        self.db
            .call(move |c| {
                c.execute(
                    "DELETE FROM idempotency WHERE user_id = ?1 AND key = ?2 AND state = 'in_flight'",
                    params![user, key],
                )?;
                Ok(())
            })
            .await
    }
}

#[async_trait]
impl SafetyEventStore for EmbeddedRecords {
    async fn record_safety_event(&self, event: &SafetyEventRecord) -> Result<(), StoreError> {
        let doc = serde_json::to_string(event)?;
        let (id, user, created, exp) = (
            event.id.clone(),
            event.user_id.clone(),
            ms(event.created_at),
            ms(event.expires_at),
        );
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO safety_events (id, user_id, created_ms, expires_ms, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, user, created, exp, doc],
                )?;
                Ok(())
            })
            .await
    }

    async fn safety_events_for(
        &self,
        user: &UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SafetyEventRecord>, StoreError> {
        let (user, since, now) = (user.as_str().to_string(), ms(since), ms(Utc::now()));
        let docs: Vec<String> = self
            .db
            .call(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT doc FROM safety_events WHERE user_id = ?1 AND created_ms >= ?2 AND expires_ms > ?3
                     ORDER BY created_ms, id",
                )?;
                let rows = st.query_map(params![user, since, now], |r| r.get(0))?;
                rows.collect::<Result<Vec<String>, _>>().map_err(Into::into)
            })
            .await?;
        docs.iter()
            .map(|d| serde_json::from_str(d).map_err(StoreError::from))
            .collect()
    }
}
