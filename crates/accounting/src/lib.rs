//! Accounting for InfiniteStories (SPEC §3, §8): fixed-window per-user rate limits that cannot
//! be over-run by concurrency, the usage ledger (one record per AI call, priced from the
//! provider's dated price table), idempotency records, caches with the seed's TTLs, usage
//! reports (the seed's monitoring queries). The CloudWatch EMF lines themselves are written by
//! the edge for every invocation (`edge::emf`), with the totals this crate's ledger measured.
//!
//! Everything here works through the storage ports, so it behaves the same on every backend.
//! No HTTP or Lambda types: the edge maps decisions to headers and envelopes.

pub mod cache;
pub mod idempotency;
pub mod ledger;
pub mod ratelimit;
pub mod report;

pub use cache::{Cache, CacheKind};
pub use idempotency::{IdemOutcome, Idempotency, request_hash};
pub use ledger::{CallRecord, Ledger};
pub use ratelimit::{Decision, RateLimiter, Ticket};
pub use report::{FunctionReport, Report};
