//! `story-generation` (SPEC §5.2): `POST /` writes a personalised bedtime story for the
//! caller's hero about a built-in or custom event, in one of five languages, with its scenes;
//! screened on the way in and reviewed on the way out; stored before it is returned; cached
//! per hero version, event, duration and language.

mod service;

use async_trait::async_trait;
use edge::{
    ApiError, AuthMode, Body, Ctx, Function, FunctionName, Gateway, Reply, Request, Response,
};
use wiring::Deps;

/// The `story-generation` function.
pub struct App {
    gateway: Gateway,
    deps: Deps,
}

impl App {
    /// Builds the function from shared dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            gateway: deps.gateway(FunctionName::StoryGeneration),
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
        wiring::metered::metered(&self.deps, &ctx, FunctionName::StoryGeneration, |meter| {
            service::generate(meter, body, ctx.deadline)
        })
        .await
    }
}

#[async_trait]
impl Function for App {
    fn name(&self) -> FunctionName {
        FunctionName::StoryGeneration
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        self.gateway
            .serve(req, AuthMode::Required, |ctx| self.route(ctx))
            .await
    }
}
