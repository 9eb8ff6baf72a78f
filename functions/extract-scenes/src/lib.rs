//! `extract-scenes` (SPEC §5.3): `POST /` splits a story into 3–`MAX_SCENE_COUNT` scenes with
//! narration timestamps and child-safe English illustration prompts. A stored story that
//! already has scenes is answered without an AI call; a model reply that breaks the rules is
//! repaired or replaced by a deterministic split, never passed through.

mod service;

use edge::{ApiError, FunctionName, Reply};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;
use wiring::metered::Meter;

/// The `extract-scenes` use case on `POST /`.
pub struct Service;

impl wiring::PostService for Service {
    const NAME: FunctionName = FunctionName::ExtractScenes;

    fn run(
        meter: Arc<Meter>,
        body: Map<String, Value>,
        deadline: Instant,
    ) -> impl Future<Output = Result<Reply, ApiError>> + Send {
        service::extract(meter, body, deadline)
    }
}

/// The `extract-scenes` function.
pub type App = wiring::PostFunction<Service>;
