//! `story-generation` (SPEC §5.2): `POST /` writes a personalised bedtime story for the
//! caller's hero about a built-in or custom event, in one of five languages, with its scenes;
//! screened on the way in and reviewed on the way out; stored before it is returned; cached
//! per hero version, event, duration and language.

mod service;

use edge::{ApiError, FunctionName, Reply};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;
use wiring::metered::Meter;

/// The `story-generation` use case on `POST /`.
pub struct Service;

impl wiring::PostService for Service {
    const NAME: FunctionName = FunctionName::StoryGeneration;

    fn run(
        meter: Arc<Meter>,
        body: Map<String, Value>,
        deadline: Instant,
    ) -> impl Future<Output = Result<Reply, ApiError>> + Send {
        service::generate(meter, body, deadline)
    }
}

/// The `story-generation` function.
pub type App = wiring::PostFunction<Service>;
