//! `audio-synthesis` (SPEC §5.4): `POST /` narrates a text — or the caller's stored story — in
//! one of seven voices. Text over the provider's input limit is split at sentence boundaries,
//! the chunks are synthesised concurrently (bounded, order kept, a failed chunk retried once on
//! its own) and joined into one valid stream whose duration is measured from its frames. The
//! audio is stored under the caller (content-addressed), linked to the story, cached for
//! 7 days and returned as a presigned URL. A chunk that still fails is a 502 and nothing is
//! stored or referenced.
//!
//! Depends on the shared crates only, never on another function crate.

mod assemble;
mod request;
mod service;

pub use request::{ACCEPTED_MODELS, AudioRequest, MAX_TEXT_CHARS};

use edge::{ApiError, FunctionName, Reply};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;
use wiring::metered::Meter;

/// The `audio-synthesis` use case on `POST /`.
pub struct Service;

impl wiring::PostService for Service {
    const NAME: FunctionName = FunctionName::AudioSynthesis;

    fn run(
        meter: Arc<Meter>,
        body: Map<String, Value>,
        deadline: Instant,
    ) -> impl Future<Output = Result<Reply, ApiError>> + Send {
        service::synthesize(meter, body, deadline)
    }
}

/// The `audio-synthesis` function.
pub type App = wiring::PostFunction<Service>;
