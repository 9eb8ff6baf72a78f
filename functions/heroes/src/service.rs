//! Hero use cases, free of Lambda types.

use domain::{Hero, HeroDraft, HeroId, HeroPatch};
use edge::{ApiError, Caller, Reply};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Duration;
use storage::{BlobKey, Bucket, PageRequest};
use wiring::guard::Input;
use wiring::metered::Meter;
use wiring::{Deps, store_error};

/// Hero text is user input: every field goes through the input side of the safety pipeline
/// (rules + moderation) before it is stored. Returns cleaned values in field order.
async fn screen_fields(
    meter: &Meter,
    fields: &mut [(&str, &mut String, usize)],
) -> Result<(), ApiError> {
    let inputs: Vec<Input<'_>> = fields
        .iter()
        .map(|(f, t, l)| Input {
            field: f,
            text: t.as_str(),
            limit: *l,
        })
        .collect();
    let cleaned = meter.screen(&inputs, None).await?;
    for ((_, slot, _), value) in fields.iter_mut().zip(cleaned) {
        **slot = value;
    }
    Ok(())
}

fn profile_fields(p: &mut domain::VisualProfile) -> Vec<(&'static str, &mut String, usize)> {
    let mut out: Vec<(&'static str, &mut String, usize)> = Vec::new();
    for (name, slot) in [
        ("visual_profile.hair_color", &mut p.hair_color),
        ("visual_profile.hair_style", &mut p.hair_style),
        ("visual_profile.eye_color", &mut p.eye_color),
        ("visual_profile.skin_tone", &mut p.skin_tone),
        ("visual_profile.clothing_style", &mut p.clothing_style),
    ] {
        if let Some(v) = slot.as_mut() {
            out.push((name, v, 100));
        }
    }
    if let Some(v) = p.canonical_prompt.as_mut() {
        out.push(("visual_profile.canonical_prompt", v, 1000));
    }
    for v in p.distinctive_features.iter_mut() {
        out.push(("visual_profile.distinctive_features", v, 100));
    }
    for v in p.color_palette.iter_mut() {
        out.push(("visual_profile.color_palette", v, 100));
    }
    out
}

async fn screen_draft(meter: &Meter, d: &mut HeroDraft) -> Result<(), ApiError> {
    let mut profile = d.visual_profile.take();
    {
        let mut fields: Vec<(&str, &mut String, usize)> = vec![
            ("name", &mut d.name, 50),
            ("primary_trait", &mut d.primary_trait, 40),
            ("secondary_trait", &mut d.secondary_trait, 40),
            ("appearance", &mut d.appearance, 500),
            ("special_ability", &mut d.special_ability, 200),
        ];
        if let Some(p) = d.avatar_prompt.as_mut() {
            fields.push(("avatar_prompt", p, 1000));
        }
        if let Some(p) = profile.as_mut() {
            fields.extend(profile_fields(p));
        }
        screen_fields(meter, &mut fields).await?;
    }
    d.visual_profile = profile;
    Ok(())
}

async fn screen_patch(meter: &Meter, d: &mut HeroPatch) -> Result<(), ApiError> {
    let mut fields: Vec<(&str, &mut String, usize)> = Vec::new();
    for (name, slot, limit) in [
        ("name", &mut d.name, 50),
        ("primary_trait", &mut d.primary_trait, 40),
        ("secondary_trait", &mut d.secondary_trait, 40),
        ("appearance", &mut d.appearance, 500),
        ("special_ability", &mut d.special_ability, 200),
        ("avatar_prompt", &mut d.avatar_prompt, 1000),
    ] {
        if let Some(v) = slot.as_mut() {
            fields.push((name, v, limit));
        }
    }
    if let Some(Some(p)) = d.visual_profile.as_mut() {
        fields.extend(profile_fields(p));
    }
    if fields.is_empty() {
        return Ok(());
    }
    screen_fields(meter, &mut fields).await
}

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
        self.load_for(&caller.user_id, id).await
    }

    async fn load_for(&self, user: &domain::UserId, id: &HeroId) -> Result<Hero, ApiError> {
        self.deps
            .backend
            .heroes
            .get_hero(user, id)
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
        meter: &Meter,
        body: &Map<String, Value>,
    ) -> Result<Reply, ApiError> {
        let mut draft = HeroDraft::parse(body, "").map_err(|e| ApiError::fields(&e))?;
        screen_draft(meter, &mut draft).await?;
        let hero = Hero::from_draft(
            HeroId::new_random(),
            meter.user().clone(),
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
        meter: &Meter,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<Reply, ApiError> {
        let id = parse_id(id)?;
        let user = meter.user().clone();
        if let Some(body_id) = body.get("id").and_then(Value::as_str)
            && HeroId::parse(body_id) != Some(id)
        {
            return Err(ApiError::invalid("The body's `id` does not match the path"));
        }
        let mut draft = HeroDraft::parse(body, "").map_err(|e| ApiError::fields(&e))?;
        screen_draft(meter, &mut draft).await?;
        let now = self.deps.clock.now();
        let existing = self
            .deps
            .backend
            .heroes
            .get_hero(&user, &id)
            .await
            .map_err(store_error)?;
        let (hero, created) = match existing {
            Some(mut h) => {
                h.replace_with(draft, now);
                (h, false)
            }
            None => (Hero::from_draft(id, user.clone(), draft, now), true),
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
        meter: &Meter,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<Reply, ApiError> {
        let id = parse_id(id)?;
        let mut patch = HeroPatch::parse(body).map_err(|e| ApiError::fields(&e))?;
        let mut hero = self.load_for(meter.user(), &id).await?;
        screen_patch(meter, &mut patch).await?;
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
