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

use async_trait::async_trait;
use edge::{
    ApiError, AuthMode, Body, Ctx, Function, FunctionName, Gateway, Reply, Request, Response,
};
use wiring::Deps;

pub use request::{ACCEPTED_MODELS, AudioRequest, MAX_TEXT_CHARS};

/// The `audio-synthesis` function.
pub struct App {
    gateway: Gateway,
    deps: Deps,
}

impl App {
    /// Builds the function from shared dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            gateway: deps.gateway(FunctionName::AudioSynthesis),
            deps,
        }
    }

    async fn route(&self, ctx: Ctx) -> Result<Reply, ApiError> {
        if !ctx.segments.is_empty() {
            return Err(ApiError::not_found("Route"));
        }
        if ctx.method != http::Method::POST {
            return Err(ApiError::method_not_allowed());
        }
        let body = ctx.json_object()?;
        wiring::metered::metered(&self.deps, &ctx, FunctionName::AudioSynthesis, |meter| {
            service::synthesize(meter, body, ctx.deadline)
        })
        .await
    }
}

#[async_trait]
impl Function for App {
    fn name(&self) -> FunctionName {
        FunctionName::AudioSynthesis
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        self.gateway
            .serve(req, AuthMode::Required, |ctx| self.route(ctx))
            .await
    }
}
