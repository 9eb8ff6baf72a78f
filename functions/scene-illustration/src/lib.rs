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

use async_trait::async_trait;
use edge::{
    ApiError, AuthMode, Body, Ctx, Function, FunctionName, Gateway, Reply, Request, Response,
};
use wiring::Deps;

/// The `scene-illustration` function.
pub struct App {
    gateway: Gateway,
    deps: Deps,
}

impl App {
    /// Builds the function from shared dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            gateway: deps.gateway(FunctionName::SceneIllustration),
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
        wiring::metered::metered(&self.deps, &ctx, FunctionName::SceneIllustration, |meter| {
            service::illustrate(meter, body, ctx.deadline)
        })
        .await
    }
}

#[async_trait]
impl Function for App {
    fn name(&self) -> FunctionName {
        FunctionName::SceneIllustration
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        self.gateway
            .serve(req, AuthMode::Required, |ctx| self.route(ctx))
            .await
    }
}
