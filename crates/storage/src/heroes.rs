//! The hero record port.

use crate::{Page, PageRequest, StoreError};
use async_trait::async_trait;
use domain::{Hero, HeroId, UserId};

/// Heroes, scoped by owner.
#[async_trait]
pub trait HeroStore: Send + Sync {
    /// Creates or replaces the hero `hero.id` of `hero.user_id`.
    async fn put_hero(&self, hero: &Hero) -> Result<(), StoreError>;
    /// The caller's hero, if it exists.
    async fn get_hero(&self, user: &UserId, id: &HeroId) -> Result<Option<Hero>, StoreError>;
    /// The caller's active heroes, newest first.
    async fn list_heroes(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Hero>, StoreError>;
    /// Deletes the caller's hero; `false` if there was none.
    async fn delete_hero(&self, user: &UserId, id: &HeroId) -> Result<bool, StoreError>;
}
