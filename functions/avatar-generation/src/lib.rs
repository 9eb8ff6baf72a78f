//! `avatar-generation` (SPEC §5.5): `POST /` paints the caller's hero. The image prompt is
//! built server-side from the stored hero (name, traits, ability) and the parent's screened
//! words, with the hero's canonical appearance, then sanitised (picture-book style, a
//! companion always present). The PNG is kept under `{user}/heroes/{hero_id}/` (removed with
//! the hero), the hero gains `avatar_url`, `avatar_prompt`, `avatar_generation_id` and a
//! refreshed `visual_profile.canonical_prompt` that every later illustration reuses. An
//! identical painting within 30 days is served from the image cache, uncharged.

mod service;

use async_trait::async_trait;
use edge::{
    ApiError, AuthMode, Body, Ctx, Function, FunctionName, Gateway, Reply, Request, Response,
};
use wiring::Deps;

/// The `avatar-generation` function.
pub struct App {
    gateway: Gateway,
    deps: Deps,
}

impl App {
    /// Builds the function from shared dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            gateway: deps.gateway(FunctionName::AvatarGeneration),
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
        wiring::metered::metered(&self.deps, &ctx, FunctionName::AvatarGeneration, |meter| {
            service::generate(meter, body, ctx.deadline)
        })
        .await
    }
}

#[async_trait]
impl Function for App {
    fn name(&self) -> FunctionName {
        FunctionName::AvatarGeneration
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        self.gateway
            .serve(req, AuthMode::Required, |ctx| self.route(ctx))
            .await
    }
}
