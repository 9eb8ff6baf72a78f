//! The shape shared by the AI functions whose only route is an authenticated, metered
//! `POST /` with a JSON object body (story-generation, extract-scenes, audio-synthesis,
//! avatar-generation, scene-illustration): each names its use case with [`PostService`] and is
//! `pub type App = wiring::PostFunction<Service>;`.

use crate::Deps;
use crate::metered::{Meter, metered};
use async_trait::async_trait;
use edge::{
    ApiError, AuthMode, Body, Ctx, Function, FunctionName, Gateway, Reply, Request, Response,
};
use serde_json::{Map, Value};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

/// One function's use case: its name and what its `POST /` does inside the metered pipeline.
pub trait PostService: Send + Sync + 'static {
    /// The function (crate = Lambda = URL name).
    const NAME: FunctionName;

    /// Answers one request: the caller's screened budget is in `meter`, the request body is a
    /// JSON object, `deadline` is when the caller stops waiting.
    fn run(
        meter: Arc<Meter>,
        body: Map<String, Value>,
        deadline: Instant,
    ) -> impl Future<Output = Result<Reply, ApiError>> + Send;
}

/// A function serving `S` on `POST /` (404 on any other path, 405 on any other method).
pub struct PostFunction<S> {
    gateway: Gateway,
    deps: Deps,
    service: PhantomData<fn() -> S>,
}

impl<S: PostService> PostFunction<S> {
    /// Builds the function from shared dependencies (once per cold start).
    pub fn new(deps: Deps) -> Self {
        Self {
            gateway: deps.gateway(S::NAME),
            deps,
            service: PhantomData,
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
        metered(&self.deps, &ctx, S::NAME, |meter| {
            S::run(meter, body, ctx.deadline)
        })
        .await
    }
}

#[async_trait]
impl<S: PostService> Function for PostFunction<S> {
    fn name(&self) -> FunctionName {
        S::NAME
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        self.gateway
            .serve(req, AuthMode::Required, |ctx| self.route(ctx))
            .await
    }
}
