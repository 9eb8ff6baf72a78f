//! The edge of every InfiniteStories function — the only shared crate that knows Lambda and
//! HTTP. It turns a `lambda_http::Request` into a [`Ctx`] (request id, authenticated caller,
//! JSON body read whatever the `Content-Type`, size limit, CORS preflight) and a handler's
//! `Result<Reply, ApiError>` into the SPEC §3 envelopes, status codes and headers.
//!
//! Handlers are infallible: every failure becomes an error envelope, and a panic inside a
//! handler is caught and answered with 500 `INTERNAL_ERROR` instead of crashing the runtime.

pub mod auth;
pub mod emf;
pub mod error;
pub mod gateway;
pub mod lambda;
pub mod telemetry;

pub use auth::{Authenticator, Caller};
pub use config as settings;
pub use config::{FunctionName, Settings};
pub use error::ApiError;
pub use gateway::{AuthMode, Ctx, Function, Gateway, HeaderSink, MAX_BODY_BYTES, Reply};
pub use lambda_http::{Body, Request, Response};
