//! `scene-illustration` (SPEC §5.6): `POST /` paints 1–`MAX_SCENE_COUNT` scenes, accepting
//! both the app's shape (`prompt`, `scene_number`, `timestamp`, `process_async`,
//! `hero_visual_profile`) and the full one (`illustration_prompt`, `text_segment`,
//! `timestamp_seconds`, `emotion`, `importance`). Every prompt is combined with the hero's
//! canonical appearance and sanitised (a companion always present); scenes are painted
//! concurrently (`ILLUSTRATION_CONCURRENCY`), each stored as it finishes; a content-policy
//! refusal is retried once with a gentler prompt. For a stored story each scene's status
//! (pending → processing → completed/failed) is kept for `stories`. The rate limit counts
//! images; scenes served from the 30-day image cache are not charged.
//!
//! `process_async: true` is accepted but the work is still done before the response: a
//! Lambda function cannot keep working after it answers.

mod service;

use edge::{ApiError, FunctionName, Reply};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;
use wiring::metered::Meter;

/// The `scene-illustration` use case on `POST /`.
pub struct Service;

impl wiring::PostService for Service {
    const NAME: FunctionName = FunctionName::SceneIllustration;

    fn run(
        meter: Arc<Meter>,
        body: Map<String, Value>,
        deadline: Instant,
    ) -> impl Future<Output = Result<Reply, ApiError>> + Send {
        service::illustrate(meter, body, deadline)
    }
}

/// The `scene-illustration` function.
pub type App = wiring::PostFunction<Service>;
