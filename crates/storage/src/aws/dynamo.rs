//! Every record port on one DynamoDB table (data model: the module doc of [`crate::aws`]).

use super::error::{is_condition_failed, sdk};
use super::keys::{self, GSI1};
use crate::page::{DEFAULT_LIMIT, MAX_LIMIT, Position};
use crate::records::*;
use crate::{HeroStore, Page, PageRequest, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, ReturnValue, ReturnValuesOnConditionCheckFailure, WriteRequest,
};
use chrono::{DateTime, Utc};
use domain::{Clock, Hero, HeroId, SceneIllustration, StoryId, StoryRecord, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

type Item = HashMap<String, AttributeValue>;

/// Attempts of a read-modify loop that can race with another writer (idempotency claims).
const RACE_ATTEMPTS: usize = 5;
/// Rounds of re-sending `UnprocessedItems` of a batch delete.
const BATCH_ROUNDS: usize = 8;

pub(crate) struct DynamoRecords {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::Corrupt(format!("attribute {name} missing"))),
    }
}

fn get_i64(item: &Item, name: &str) -> Result<i64, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("attribute {name} not an integer"))),
        _ => Err(StoreError::Corrupt(format!("attribute {name} missing"))),
    }
}

fn doc<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    Ok(serde_json::from_str(get_s(item, "doc")?)?)
}

fn to_doc<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    Ok(s(serde_json::to_string(value)?))
}

/// `ttl` (epoch seconds, the table's TTL attribute) and `exp_ms` (what readers filter on).
fn expiry(at: DateTime<Utc>) -> [(&'static str, AttributeValue); 2] {
    [("ttl", n(at.timestamp())), ("exp_ms", n(ms(at)))]
}

fn live(item: &Item, now_ms: i64) -> Result<bool, StoreError> {
    Ok(get_i64(item, "exp_ms")? > now_ms)
}

fn page_limit(page: &PageRequest) -> u32 {
    if page.limit == 0 {
        DEFAULT_LIMIT
    } else {
        page.limit.min(MAX_LIMIT)
    }
}

impl DynamoRecords {
    pub(crate) fn new(client: Client, table: String, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            table,
            clock,
        }
    }

    fn key(pk: String, sk: String) -> Item {
        HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
    }

    async fn get(
        &self,
        op: &'static str,
        pk: String,
        sk: String,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk(op, e))?;
        Ok(out.item)
    }

    async fn put(&self, op: &'static str, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk(op, e))?;
        Ok(())
    }

    /// Deletes one item; whether it existed.
    async fn delete(&self, op: &'static str, pk: String, sk: String) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk(op, e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// Every item of a query, following `LastEvaluatedKey` (1 MB pages).
    async fn query_all(
        &self,
        op: &'static str,
        query: QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = query
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk(op, e))?;
            out.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }

    /// Newest-first page of an owner's GSI list (`heroes`, `stories`), `limit + 1` items read
    /// so the cursor is only given when another page exists (as on the embedded backend).
    async fn list_newest<T: DeserializeOwned>(
        &self,
        op: &'static str,
        index_pk: String,
        page: &PageRequest,
        position: impl Fn(&T) -> Position,
    ) -> Result<Page<T>, StoreError> {
        let limit = page_limit(page) as usize;
        let after = match &page.cursor {
            None => None,
            Some(c) => {
                Some(Position::decode(c).ok_or_else(|| StoreError::Invalid("cursor".to_string()))?)
            }
        };
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .scan_index_forward(false)
            .expression_attribute_values(":pk", s(index_pk));
        query = match after {
            None => query.key_condition_expression("gsi1pk = :pk"),
            Some(p) => query
                .key_condition_expression("gsi1pk = :pk AND gsi1sk < :after")
                .expression_attribute_values(":after", s(keys::created_key(p.t, &p.id))),
        };
        let mut items: Vec<T> = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let want = (limit + 1 - items.len()) as i32;
            let out = query
                .clone()
                .limit(want)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk(op, e))?;
            for item in out.items.unwrap_or_default() {
                items.push(doc(&item)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() && items.len() <= limit => start = Some(k),
                _ => break,
            }
        }
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| position(last).encode())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Deletes keys in `BatchWriteItem` chunks of 25, re-sending unprocessed ones.
    async fn batch_delete(&self, op: &'static str, keys: Vec<Item>) -> Result<(), StoreError> {
        for chunk in keys.chunks(25) {
            let mut pending = chunk
                .iter()
                .map(|k| {
                    DeleteRequest::builder()
                        .set_key(Some(k.clone()))
                        .build()
                        .map(|d| WriteRequest::builder().delete_request(d).build())
                        .map_err(|e| StoreError::Invalid(format!("{op}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            for round in 0.. {
                if pending.is_empty() {
                    break;
                }
                if round == BATCH_ROUNDS {
                    return Err(StoreError::Unavailable(format!(
                        "{op}: items left unprocessed"
                    )));
                }
                if round > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << round)).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| sdk(op, e))?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&self.table))
                    .unwrap_or_default();
            }
        }
        Ok(())
    }

    /// Writes and reads back the probe item.
    pub(crate) async fn probe(&self) -> Result<(), StoreError> {
        let now = self.clock.now();
        let token = uuid::Uuid::new_v4().to_string();
        let mut item = Self::key("HEALTH".into(), "PROBE".into());
        item.insert("token".into(), s(token.clone()));
        item.extend(expiry(now + chrono::Duration::days(1)).map(|(k, v)| (k.to_string(), v)));
        self.put("probe put", item).await?;
        let back = self
            .get("probe get", "HEALTH".into(), "PROBE".into())
            .await?
            .ok_or_else(|| StoreError::Unavailable("probe item missing".to_string()))?;
        // Another instance may have probed in between; any token read back proves the round trip.
        get_s(&back, "token").map(|_| ())
    }

    fn usage_item(record: &UsageRecord) -> Result<Item, StoreError> {
        let created = record.created_at;
        let sk = keys::created_key(ms(created), &record.id);
        let mut item = Self::key(
            keys::usage_pk(
                chrono::Datelike::year(&created),
                chrono::Datelike::month(&created),
            ),
            sk.clone(),
        );
        item.insert("gsi1pk".into(), s(keys::usage_index(&record.function_name)));
        item.insert("gsi1sk".into(), s(sk));
        item.insert("doc".into(), to_doc(record)?);
        item.extend(expiry(record.expires_at).map(|(k, v)| (k.to_string(), v)));
        Ok(item)
    }
}

#[async_trait]
impl HeroStore for DynamoRecords {
    async fn put_hero(&self, hero: &Hero) -> Result<(), StoreError> {
        let id = hero.id.to_string();
        let mut item = Self::key(keys::user_pk(&hero.user_id), keys::hero_sk(&id));
        if hero.is_active {
            item.insert("gsi1pk".into(), s(keys::heroes_index(&hero.user_id)));
            item.insert(
                "gsi1sk".into(),
                s(keys::created_key(ms(hero.created_at), &id)),
            );
        }
        item.insert("doc".into(), to_doc(hero)?);
        self.put("put hero", item).await
    }

    async fn get_hero(&self, user: &UserId, id: &HeroId) -> Result<Option<Hero>, StoreError> {
        self.get(
            "get hero",
            keys::user_pk(user),
            keys::hero_sk(&id.to_string()),
        )
        .await?
        .map(|item| doc(&item))
        .transpose()
    }

    async fn list_heroes(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Hero>, StoreError> {
        self.list_newest("list heroes", keys::heroes_index(user), page, |h: &Hero| {
            Position {
                t: ms(h.created_at),
                id: h.id.to_string(),
            }
        })
        .await
    }

    async fn delete_hero(&self, user: &UserId, id: &HeroId) -> Result<bool, StoreError> {
        self.delete(
            "delete hero",
            keys::user_pk(user),
            keys::hero_sk(&id.to_string()),
        )
        .await
    }
}

#[async_trait]
impl StoryStore for DynamoRecords {
    async fn put_story(&self, story: &StoryRecord) -> Result<(), StoreError> {
        let id = story.id.to_string();
        let mut item = Self::key(keys::user_pk(&story.user_id), keys::story_sk(&id));
        item.insert("gsi1pk".into(), s(keys::stories_index(&story.user_id)));
        item.insert(
            "gsi1sk".into(),
            s(keys::created_key(ms(story.created_at), &id)),
        );
        item.insert("doc".into(), to_doc(story)?);
        self.put("put story", item).await
    }

    async fn get_story(
        &self,
        user: &UserId,
        id: &StoryId,
    ) -> Result<Option<StoryRecord>, StoreError> {
        self.get(
            "get story",
            keys::user_pk(user),
            keys::story_sk(&id.to_string()),
        )
        .await?
        .map(|item| doc(&item))
        .transpose()
    }

    async fn list_stories(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<StoryRecord>, StoreError> {
        self.list_newest(
            "list stories",
            keys::stories_index(user),
            page,
            |st: &StoryRecord| Position {
                t: ms(st.created_at),
                id: st.id.to_string(),
            },
        )
        .await
    }

    async fn delete_story(&self, user: &UserId, id: &StoryId) -> Result<bool, StoreError> {
        let id = id.to_string();
        let existed = self
            .delete("delete story", keys::user_pk(user), keys::story_sk(&id))
            .await?;
        let scenes = self
            .query_all(
                "list scenes",
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":pk", s(keys::user_pk(user)))
                    .expression_attribute_values(":prefix", s(keys::scene_prefix(&id)))
                    .projection_expression("pk, sk")
                    .consistent_read(true),
            )
            .await?;
        self.batch_delete("delete scenes", scenes).await?;
        Ok(existed)
    }

    async fn put_illustration(
        &self,
        user: &UserId,
        state: &SceneIllustration,
    ) -> Result<(), StoreError> {
        let mut item = Self::key(
            keys::user_pk(user),
            keys::scene_sk(&state.story_id.to_string(), state.scene_number),
        );
        item.insert("doc".into(), to_doc(state)?);
        self.put("put illustration", item).await
    }

    async fn list_illustrations(
        &self,
        user: &UserId,
        story: &StoryId,
    ) -> Result<Vec<SceneIllustration>, StoreError> {
        let items = self
            .query_all(
                "list illustrations",
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":pk", s(keys::user_pk(user)))
                    .expression_attribute_values(
                        ":prefix",
                        s(keys::scene_prefix(&story.to_string())),
                    )
                    .consistent_read(true),
            )
            .await?;
        items.iter().map(doc).collect()
    }
}

#[async_trait]
impl UsageStore for DynamoRecords {
    async fn record_usage(&self, record: &UsageRecord) -> Result<(), StoreError> {
        let item = Self::usage_item(record)?;
        // Appending, like the embedded ledger's primary key: a reused id is a conflict.
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| sdk("record usage", e))?;
        Ok(())
    }

    async fn usage_between(
        &self,
        function: Option<&str>,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<UsageRecord>, StoreError> {
        if until <= since {
            return Ok(Vec::new());
        }
        let (from, to) = keys::created_bounds(ms(since), ms(until));
        let items = match function {
            Some(f) => {
                self.query_all(
                    "usage by function",
                    self.client
                        .query()
                        .table_name(&self.table)
                        .index_name(GSI1)
                        .key_condition_expression("gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to")
                        .expression_attribute_values(":pk", s(keys::usage_index(f)))
                        .expression_attribute_values(":from", s(from))
                        .expression_attribute_values(":to", s(to)),
                )
                .await?
            }
            None => {
                let months = keys::months_between(since, until).ok_or_else(|| {
                    StoreError::Invalid("usage window longer than 100 years".to_string())
                })?;
                let mut all = Vec::new();
                for (year, month) in months {
                    all.extend(
                        self.query_all(
                            "usage by month",
                            self.client
                                .query()
                                .table_name(&self.table)
                                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                                .expression_attribute_values(":pk", s(keys::usage_pk(year, month)))
                                .expression_attribute_values(":from", s(from.clone()))
                                .expression_attribute_values(":to", s(to.clone()))
                                .consistent_read(true),
                        )
                        .await?,
                    );
                }
                all
            }
        };
        let now = ms(self.clock.now());
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            if live(item, now)? {
                out.push(doc::<UsageRecord>(item)?);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl RateLimitStore for DynamoRecords {
    async fn acquire(
        &self,
        user: &UserId,
        function: &str,
        window_start: i64,
        cost: u32,
        limit: u32,
        expires_at: DateTime<Utc>,
    ) -> Result<Acquire, StoreError> {
        let (pk, sk) = (keys::user_pk(user), keys::rate_sk(function, window_start));
        if cost <= limit {
            let [(_, ttl), (_, exp)] = expiry(expires_at);
            let out = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(Self::key(pk.clone(), sk.clone())))
                .update_expression("ADD #count :cost SET #ttl = :ttl, #exp = :exp")
                .condition_expression("attribute_not_exists(#count) OR #count <= :max_before")
                .expression_attribute_names("#count", "count")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_names("#exp", "exp_ms")
                .expression_attribute_values(":cost", n(cost))
                .expression_attribute_values(":max_before", n(limit - cost))
                .expression_attribute_values(":ttl", ttl)
                .expression_attribute_values(":exp", exp)
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            match out {
                Ok(out) => {
                    let used = out
                        .attributes
                        .as_ref()
                        .map(|a| get_i64(a, "count"))
                        .transpose()?
                        .unwrap_or(i64::from(cost));
                    return Ok(Acquire::Granted {
                        used: u32::try_from(used).unwrap_or(u32::MAX),
                    });
                }
                Err(e) if is_condition_failed(&e) => {}
                Err(e) => return Err(sdk("acquire rate limit", e)),
            }
        }
        let used = match self.get("read rate limit", pk, sk).await? {
            Some(item) => get_i64(&item, "count")?,
            None => 0,
        };
        Ok(Acquire::Denied {
            used: u32::try_from(used.max(0)).unwrap_or(u32::MAX),
        })
    }

    async fn release(
        &self,
        user: &UserId,
        function: &str,
        window_start: i64,
        cost: u32,
    ) -> Result<(), StoreError> {
        let key = Self::key(keys::user_pk(user), keys::rate_sk(function, window_start));
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.clone()))
            .update_expression("ADD #count :neg")
            .condition_expression("#count >= :cost")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":neg", n(-i64::from(cost)))
            .expression_attribute_values(":cost", n(cost))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => {
                // Less than `cost` left (or no counter): clamp at zero like the embedded
                // store; a missing counter stays missing.
                let clamp = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .update_expression("SET #count = :zero")
                    .condition_expression("attribute_exists(#count) AND #count < :cost")
                    .expression_attribute_names("#count", "count")
                    .expression_attribute_values(":zero", n(0))
                    .expression_attribute_values(":cost", n(cost))
                    .send()
                    .await;
                match clamp {
                    Ok(_) => Ok(()),
                    Err(e) if is_condition_failed(&e) => Ok(()),
                    Err(e) => Err(sdk("clamp rate limit", e)),
                }
            }
            Err(e) => Err(sdk("release rate limit", e)),
        }
    }
}

#[async_trait]
impl CacheStore for DynamoRecords {
    async fn cache_get(
        &self,
        user: &UserId,
        namespace: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Value>, StoreError> {
        match self
            .get(
                "cache get",
                keys::user_pk(user),
                keys::cache_sk(namespace, key),
            )
            .await?
        {
            Some(item) if live(&item, ms(now))? => Ok(Some(doc(&item)?)),
            _ => Ok(None),
        }
    }

    async fn cache_put(
        &self,
        user: &UserId,
        namespace: &str,
        key: &str,
        value: &Value,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut item = Self::key(keys::user_pk(user), keys::cache_sk(namespace, key));
        item.insert("doc".into(), to_doc(value)?);
        item.extend(expiry(expires_at).map(|(k, v)| (k.to_string(), v)));
        self.put("cache put", item).await
    }

    async fn cache_delete(
        &self,
        user: &UserId,
        namespace: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        self.delete(
            "cache delete",
            keys::user_pk(user),
            keys::cache_sk(namespace, key),
        )
        .await
        .map(|_| ())
    }
}

const IN_FLIGHT: &str = "in_flight";
const COMPLETED: &str = "completed";

/// Reads an idempotency record that is live at `now` (`None` when missing or dead).
fn idem_state(item: &Item, now: i64) -> Result<Option<IdemBegin>, StoreError> {
    let state = get_s(item, "state")?;
    let expired = get_i64(item, "exp_ms")? <= now;
    let lease_over = state != COMPLETED && get_i64(item, "lease_ms")? <= now;
    if expired || lease_over {
        return Ok(None);
    }
    let request_hash = get_s(item, "request_hash")?.to_string();
    Ok(Some(if state == COMPLETED {
        IdemBegin::Completed {
            request_hash,
            response: serde_json::from_str(get_s(item, "response")?)?,
        }
    } else {
        IdemBegin::InFlight { request_hash }
    }))
}

#[async_trait]
impl IdempotencyStore for DynamoRecords {
    async fn begin(
        &self,
        user: &UserId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<IdemBegin, StoreError> {
        let (pk, sk) = (keys::user_pk(user), keys::idem_sk(key));
        let mut item = Self::key(pk.clone(), sk.clone());
        item.insert("request_hash".into(), s(request_hash));
        item.insert("state".into(), s(IN_FLIGHT));
        item.insert("lease_ms".into(), n(ms(lease_until)));
        item.extend(expiry(expires_at).map(|(k, v)| (k.to_string(), v)));
        let now = ms(now);
        for _ in 0..RACE_ATTEMPTS {
            let claim = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression(
                    "attribute_not_exists(pk) OR #exp <= :now OR (#state = :in_flight AND #lease <= :now)",
                )
                .expression_attribute_names("#exp", "exp_ms")
                .expression_attribute_names("#state", "state")
                .expression_attribute_names("#lease", "lease_ms")
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":in_flight", s(IN_FLIGHT))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .send()
                .await;
            let existing = match claim {
                Ok(_) => return Ok(IdemBegin::Started),
                Err(e) if is_condition_failed(&e) => {
                    let old = e.as_service_error().and_then(|se| match se {
                        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => {
                            c.item().cloned()
                        }
                        _ => None,
                    });
                    match old {
                        Some(item) => Some(item),
                        None => self.get("idempotency get", pk.clone(), sk.clone()).await?,
                    }
                }
                Err(e) => return Err(sdk("idempotency begin", e)),
            };
            if let Some(state) = existing
                .as_ref()
                .map(|i| idem_state(i, now))
                .transpose()?
                .flatten()
            {
                return Ok(state);
            }
            // The record went away or died between the claim and the read: claim again.
        }
        Err(StoreError::Conflict(
            "idempotency key contended".to_string(),
        ))
    }

    async fn complete(
        &self,
        user: &UserId,
        key: &str,
        response: &StoredResponse,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let [(_, ttl), (_, exp)] = expiry(expires_at);
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::user_pk(user), keys::idem_sk(key))))
            .update_expression(
                "SET #state = :completed, #response = :response, #ttl = :ttl, #exp = :exp",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#response", "response")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#exp", "exp_ms")
            .expression_attribute_values(":completed", s(COMPLETED))
            .expression_attribute_values(":response", s(serde_json::to_string(response)?))
            .expression_attribute_values(":ttl", ttl)
            .expression_attribute_values(":exp", exp)
            .send()
            .await;
        match out {
            // No record (abandoned or expired and deleted): nothing to complete, as embedded.
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(sdk("idempotency complete", e)),
            Ok(_) => Ok(()),
        }
    }

    async fn abandon(&self, user: &UserId, key: &str) -> Result<(), StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::user_pk(user), keys::idem_sk(key))))
            .condition_expression("#state = :in_flight")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":in_flight", s(IN_FLIGHT))
            .send()
            .await;
        match out {
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(sdk("idempotency abandon", e)),
            Ok(_) => Ok(()),
        }
    }
}

#[async_trait]
impl SafetyEventStore for DynamoRecords {
    async fn record_safety_event(&self, event: &SafetyEventRecord) -> Result<(), StoreError> {
        let user = UserId::parse(&event.user_id)
            .ok_or_else(|| StoreError::Invalid("safety event user id".to_string()))?;
        let mut item = Self::key(
            keys::user_pk(&user),
            keys::safety_sk(ms(event.created_at), &event.id),
        );
        item.insert("doc".into(), to_doc(event)?);
        item.extend(expiry(event.expires_at).map(|(k, v)| (k.to_string(), v)));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| sdk("record safety event", e))?;
        Ok(())
    }

    async fn safety_events_for(
        &self,
        user: &UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SafetyEventRecord>, StoreError> {
        let items = self
            .query_all(
                "safety events",
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                    .expression_attribute_values(":pk", s(keys::user_pk(user)))
                    .expression_attribute_values(":from", s(keys::safety_from(ms(since))))
                    .expression_attribute_values(":to", s(keys::SAFETY_END))
                    .consistent_read(true),
            )
            .await?;
        let now = ms(self.clock.now());
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            if live(item, now)? {
                out.push(doc(item)?);
            }
        }
        Ok(out)
    }
}
