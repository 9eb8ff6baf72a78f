//! Hero use cases, free of Lambda types.

use domain::{Hero, HeroDraft, HeroId, HeroPatch};
use edge::{ApiError, Caller, Reply};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Duration;
use storage::{BlobKey, Bucket, PageRequest};
use wiring::{Deps, store_error};

/// Hero CRUD over the storage ports.
pub struct HeroService {
    deps: Deps,
}

fn parse_id(raw: &str) -> Result<HeroId, ApiError> {
    HeroId::parse(raw).ok_or_else(|| ApiError::invalid("The hero id must be a UUID"))
}

impl HeroService {
    /// A service over `deps`.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    async fn wire(&self, hero: &Hero) -> Value {
        let url = match hero
            .avatar_key
            .as_deref()
            .map(|k| BlobKey::from_stored(&hero.user_id, k))
        {
            Some(Ok(key)) => self
                .deps
                .backend
                .blobs
                .presign_get(
                    Bucket::HeroAvatars,
                    &key,
                    Duration::from_secs(self.deps.settings.media_url_ttl),
                )
                .await
                .map_err(|e| tracing::warn!(error = %e, "avatar presign failed"))
                .ok(),
            _ => None,
        };
        hero.to_wire(url)
    }

    async fn load(&self, caller: &Caller, id: &HeroId) -> Result<Hero, ApiError> {
        self.deps
            .backend
            .heroes
            .get_hero(&caller.user_id, id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ApiError::not_found("Hero"))
    }

    /// `GET /`
    pub async fn list(
        &self,
        caller: &Caller,
        query: &HashMap<String, String>,
    ) -> Result<Reply, ApiError> {
        let limit = match query.get("limit") {
            None => storage::page::DEFAULT_LIMIT,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=storage::page::MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "`limit` must be a whole number between 1 and {}",
                        storage::page::MAX_LIMIT
                    ))
                })?,
        };
        let page = PageRequest {
            limit,
            cursor: query.get("cursor").filter(|c| !c.is_empty()).cloned(),
        };
        let result = self
            .deps
            .backend
            .heroes
            .list_heroes(&caller.user_id, &page)
            .await
            .map_err(store_error)?;
        let mut heroes = Vec::with_capacity(result.items.len());
        for h in &result.items {
            heroes.push(self.wire(h).await);
        }
        Ok(Reply::ok(json!({
            "heroes": heroes,
            "count": heroes.len(),
            "next_cursor": result.next_cursor,
        })))
    }

    /// `GET /{id}`
    pub async fn get(&self, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
        let id = parse_id(id)?;
        let hero = self.load(caller, &id).await?;
        Ok(Reply::ok(self.wire(&hero).await))
    }

    /// `POST /`: a new hero with a server-chosen id.
    pub async fn create(
        &self,
        caller: &Caller,
        body: &Map<String, Value>,
    ) -> Result<Reply, ApiError> {
        let draft = HeroDraft::parse(body, "").map_err(|e| ApiError::fields(&e))?;
        let hero = Hero::from_draft(
            HeroId::new_random(),
            caller.user_id.clone(),
            draft,
            self.deps.clock.now(),
        );
        self.deps
            .backend
            .heroes
            .put_hero(&hero)
            .await
            .map_err(store_error)?;
        tracing::info!(hero_id = %hero.id, "hero created");
        Ok(Reply::created(self.wire(&hero).await))
    }

    /// `PUT /{id}`: create-or-replace with the client's id (201 when created, 200 when
    /// replaced).
    pub async fn put(
        &self,
        caller: &Caller,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<Reply, ApiError> {
        let id = parse_id(id)?;
        if let Some(body_id) = body.get("id").and_then(Value::as_str)
            && HeroId::parse(body_id) != Some(id)
        {
            return Err(ApiError::invalid("The body's `id` does not match the path"));
        }
        let draft = HeroDraft::parse(body, "").map_err(|e| ApiError::fields(&e))?;
        let now = self.deps.clock.now();
        let existing = self
            .deps
            .backend
            .heroes
            .get_hero(&caller.user_id, &id)
            .await
            .map_err(store_error)?;
        let (hero, created) = match existing {
            Some(mut h) => {
                h.replace_with(draft, now);
                (h, false)
            }
            None => (
                Hero::from_draft(id, caller.user_id.clone(), draft, now),
                true,
            ),
        };
        self.deps
            .backend
            .heroes
            .put_hero(&hero)
            .await
            .map_err(store_error)?;
        tracing::info!(hero_id = %hero.id, created, "hero stored");
        let data = self.wire(&hero).await;
        Ok(if created {
            Reply::created(data)
        } else {
            Reply::ok(data)
        })
    }

    /// `PATCH /{id}`
    pub async fn patch(
        &self,
        caller: &Caller,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<Reply, ApiError> {
        let id = parse_id(id)?;
        let patch = HeroPatch::parse(body).map_err(|e| ApiError::fields(&e))?;
        let mut hero = self.load(caller, &id).await?;
        hero.apply(patch, self.deps.clock.now());
        self.deps
            .backend
            .heroes
            .put_hero(&hero)
            .await
            .map_err(store_error)?;
        Ok(Reply::ok(self.wire(&hero).await))
    }

    /// `DELETE /{id}`: the hero and its avatar objects.
    pub async fn delete(&self, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
        let id = parse_id(id)?;
        // 404 before deleting media, so another user's id reveals nothing.
        self.load(caller, &id).await?;
        let removed = self
            .deps
            .backend
            .blobs
            .delete_prefix(
                Bucket::HeroAvatars,
                &caller.user_id,
                &format!("heroes/{id}"),
            )
            .await
            .map_err(store_error)?;
        self.deps
            .backend
            .heroes
            .delete_hero(&caller.user_id, &id)
            .await
            .map_err(store_error)?;
        tracing::info!(hero_id = %id, avatar_objects = removed, "hero deleted");
        Ok(Reply::ok(json!({ "id": id.to_string(), "deleted": true })))
    }
}
