//! `extract-scenes` (SPEC §5.3): `POST /` splits a story into 3–`MAX_SCENE_COUNT` scenes with
//! narration timestamps and child-safe English illustration prompts. A stored story that
//! already has scenes is answered without an AI call; a model reply that breaks the rules is
//! repaired or replaced by a deterministic split, never passed through.

mod service;

use async_trait::async_trait;
use edge::{
    ApiError, AuthMode, Body, Ctx, Function, FunctionName, Gateway, Reply, Request, Response,
};
use wiring::Deps;

/// The `extract-scenes` function.
pub struct App {
    gateway: Gateway,
    deps: Deps,
}

impl App {
    /// Builds the function from shared dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            gateway: deps.gateway(FunctionName::ExtractScenes),
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
        wiring::metered::metered(&self.deps, &ctx, FunctionName::ExtractScenes, |meter| {
            service::extract(meter, body, ctx.deadline)
        })
        .await
    }
}

#[async_trait]
impl Function for App {
    fn name(&self) -> FunctionName {
        FunctionName::ExtractScenes
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        self.gateway
            .serve(req, AuthMode::Required, |ctx| self.route(ctx))
            .await
    }
}
