//! `heroes`: the server copy of a user's heroes (SPEC §5.1). Routes:
//! `PUT /{id}` create-or-replace with a client-chosen id, `POST /` create with a server id,
//! `GET /` list (newest first, `limit`/`cursor`), `GET /{id}`, `PATCH /{id}`, `DELETE /{id}`
//! (also removes the hero's avatar objects). Another user's hero is always 404.

mod service;

use async_trait::async_trait;
use edge::{AuthMode, Body, Ctx, Function, FunctionName, Gateway, Reply, Request, Response};
use wiring::Deps;

pub use service::HeroService;

/// The `heroes` function.
pub struct App {
    gateway: Gateway,
    service: HeroService,
    deps: Deps,
}

impl App {
    /// Builds the function from shared dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            gateway: deps.gateway(FunctionName::Heroes),
            service: HeroService::new(deps.clone()),
            deps,
        }
    }

    async fn route(&self, ctx: Ctx) -> Result<Reply, edge::ApiError> {
        use http::Method;
        let caller = ctx.caller()?.clone();
        let segs: Vec<&str> = ctx.segments.iter().map(String::as_str).collect();
        match (ctx.method.clone(), segs.as_slice()) {
            (Method::GET, []) => self.service.list(&caller, &ctx.query).await,
            (Method::POST, []) => {
                let body = ctx.json_object()?;
                wiring::metered::metered(
                    &self.deps,
                    &ctx,
                    FunctionName::Heroes,
                    |meter| async move { self.service.create(&meter, &body).await },
                )
                .await
            }
            (Method::GET, [id]) => self.service.get(&caller, id).await,
            (Method::PUT, [id]) => {
                let body = ctx.json_object()?;
                let id = id.to_string();
                wiring::metered::metered(
                    &self.deps,
                    &ctx,
                    FunctionName::Heroes,
                    |meter| async move { self.service.put(&meter, &id, &body).await },
                )
                .await
            }
            (Method::PATCH, [id]) => {
                let body = ctx.json_object()?;
                let id = id.to_string();
                wiring::metered::metered(
                    &self.deps,
                    &ctx,
                    FunctionName::Heroes,
                    |meter| async move { self.service.patch(&meter, &id, &body).await },
                )
                .await
            }
            (Method::DELETE, [id]) => self.service.delete(&caller, id).await,
            (_, [] | [_]) => Err(edge::ApiError::method_not_allowed()),
            _ => Err(edge::ApiError::not_found("Route")),
        }
    }
}

#[async_trait]
impl Function for App {
    fn name(&self) -> FunctionName {
        FunctionName::Heroes
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        self.gateway
            .serve(req, AuthMode::Required, |ctx| self.route(ctx))
            .await
    }
}
