//! `avatar-generation` (SPEC §5.5): `POST /` paints the caller's hero. The image prompt is
//! built server-side from the stored hero (name, traits, ability) and the parent's screened
//! words, with the hero's canonical appearance, then sanitised (picture-book style, a
//! companion always present). The PNG is kept under `{user}/heroes/{hero_id}/` (removed with
//! the hero), the hero gains `avatar_url`, `avatar_prompt`, `avatar_generation_id` and a
//! refreshed `visual_profile.canonical_prompt` that every later illustration reuses. An
//! identical painting within 30 days is served from the image cache, uncharged.

mod service;

use edge::{ApiError, FunctionName, Reply};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;
use wiring::metered::Meter;

/// The `avatar-generation` use case on `POST /`.
pub struct Service;

impl wiring::PostService for Service {
    const NAME: FunctionName = FunctionName::AvatarGeneration;

    fn run(
        meter: Arc<Meter>,
        body: Map<String, Value>,
        deadline: Instant,
    ) -> impl Future<Output = Result<Reply, ApiError>> + Send {
        service::generate(meter, body, deadline)
    }
}

/// The `avatar-generation` function.
pub type App = wiring::PostFunction<Service>;
