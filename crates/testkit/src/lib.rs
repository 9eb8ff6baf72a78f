//! Dev-only test helpers for InfiniteStories. Never a dependency of a deployed binary.
//! Depends on `audio` (real MP3 frames for the fake speech endpoint) but never on
//! `providers`, which uses this crate as a dev-dependency to test its client over real HTTP.
//!
//! - [`fake_openai`]: a fake OpenAI-compatible HTTP server with scripted faults and latency
//!   (library API for tests, admin routes and the `fake-openai` binary for the dev server).
//! - [`moto`]: the shared local AWS-compatible server for tests of the AWS adapters.

pub mod fake_openai;
pub mod moto;

pub use fake_openai::{Endpoint, FakeOpenAi, Fault, RecordedRequest};
