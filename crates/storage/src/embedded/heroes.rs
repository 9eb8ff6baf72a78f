//! Heroes in SQLite: one JSON document per hero, indexed by owner and creation time.

use super::db::Db;
use crate::page::{DEFAULT_LIMIT, MAX_LIMIT, Position};
use crate::{HeroStore, Page, PageRequest, StoreError};
use async_trait::async_trait;
use domain::{Hero, HeroId, UserId};
use rusqlite::{OptionalExtension, params};

pub(crate) struct EmbeddedHeroes {
    db: Db,
}

impl EmbeddedHeroes {
    pub(crate) fn new(db: Db) -> Self {
        Self { db }
    }
}

fn decode(doc: &str) -> Result<Hero, StoreError> {
    Ok(serde_json::from_str(doc)?)
}

#[async_trait]
impl HeroStore for EmbeddedHeroes {
    async fn put_hero(&self, hero: &Hero) -> Result<(), StoreError> {
        let doc = serde_json::to_string(hero)?;
        let user = hero.user_id.as_str().to_string();
        let id = hero.id.to_string();
        let created = hero.created_at.timestamp_millis();
        let active = hero.is_active;
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO heroes (user_id, id, created_ms, is_active, doc) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(user_id, id) DO UPDATE SET created_ms = excluded.created_ms,
                       is_active = excluded.is_active, doc = excluded.doc",
                    params![user, id, created, active, doc],
                )?;
                Ok(())
            })
            .await
    }

    async fn get_hero(&self, user: &UserId, id: &HeroId) -> Result<Option<Hero>, StoreError> {
        let user = user.as_str().to_string();
        let id = id.to_string();
        let doc: Option<String> = self
            .db
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT doc FROM heroes WHERE user_id = ?1 AND id = ?2",
                    params![user, id],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await?;
        doc.as_deref().map(decode).transpose()
    }

    async fn list_heroes(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Hero>, StoreError> {
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
                let mut out = Vec::new();
                match after {
                    None => {
                        let mut st = c.prepare_cached(
                            "SELECT doc FROM heroes WHERE user_id = ?1 AND is_active = 1
                             ORDER BY created_ms DESC, id DESC LIMIT ?2",
                        )?;
                        let rows = st.query_map(params![user, fetch], |r| r.get(0))?;
                        for r in rows {
                            out.push(r?);
                        }
                    }
                    Some(pos) => {
                        let mut st = c.prepare_cached(
                            "SELECT doc FROM heroes WHERE user_id = ?1 AND is_active = 1
                               AND (created_ms < ?2 OR (created_ms = ?2 AND id < ?3))
                             ORDER BY created_ms DESC, id DESC LIMIT ?4",
                        )?;
                        let rows =
                            st.query_map(params![user, pos.t, pos.id, fetch], |r| r.get(0))?;
                        for r in rows {
                            out.push(r?);
                        }
                    }
                }
                Ok(out)
            })
            .await?;
        let mut items = docs
            .iter()
            .map(|d| decode(d))
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|h| {
                Position {
                    t: h.created_at.timestamp_millis(),
                    id: h.id.to_string(),
                }
                .encode()
            })
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn delete_hero(&self, user: &UserId, id: &HeroId) -> Result<bool, StoreError> {
        let user = user.as_str().to_string();
        let id = id.to_string();
        self.db
            .call(move |c| {
                let n = c.execute(
                    "DELETE FROM heroes WHERE user_id = ?1 AND id = ?2",
                    params![user, id],
                )?;
                Ok(n > 0)
            })
            .await
    }
}
