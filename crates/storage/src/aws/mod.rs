//! The AWS backend: every record port on one DynamoDB table, media on four private S3
//! buckets, with the official AWS SDK for Rust. The same code runs against real AWS and
//! against a wire-compatible local server (moto) when `AWS_ENDPOINT_URL` is set.
//!
//! # Why one table
//!
//! Every request of the app touches one user's data (heroes, stories, scenes, cache,
//! idempotency, rate limits, safety events), so putting all of it under one partition key
//! `USER#{user_id}` keeps each access a single-partition `GetItem`/`Query`, lets one IAM
//! policy and one TTL setting and one point-in-time-recovery switch cover everything, and
//! needs one table per stage in the SAM template. The only cross-user access pattern, the
//! operators' usage report, gets its own month-bucketed partitions and the overloaded GSI.
//!
//! # Key schema (`pk`, `sk`; GSI `gsi1` on `gsi1pk`, `gsi1sk`)
//!
//! | record | `pk` | `sk` | `gsi1pk` / `gsi1sk` |
//! |---|---|---|---|
//! | hero | `USER#{u}` | `HERO#{id}` | `USER#{u}#HEROES` / `{created_ms}#{id}` (active heroes only) |
//! | story | `USER#{u}` | `STORY#{id}` | `USER#{u}#STORIES` / `{created_ms}#{id}` |
//! | illustration state | `USER#{u}` | `STORY#{id}#SCENE#{nnnnnnnnnn}` | – |
//! | cache entry | `USER#{u}` | `CACHE#{ns}#{key}` | – |
//! | idempotency record | `USER#{u}` | `IDEM#{key}` | – |
//! | rate-limit counter | `USER#{u}` | `RL#{function}#{window_start}` | – |
//! | safety event | `USER#{u}` | `SAFETY#{created_ms}#{id}` | – |
//! | usage record | `USAGE#{yyyy-mm}` | `{created_ms}#{id}` | `USAGE#{function}` / `{created_ms}#{id}` |
//! | health probe | `HEALTH` | `PROBE` | – |
//!
//! `created_ms` is zero-padded to 15 digits so string order is time order; `{created_ms}#{id}`
//! breaks ties by id exactly like the embedded backend's `ORDER BY created_ms, id`. Free-form
//! parts (function names, cache namespaces and keys, idempotency keys) have `%` and `#`
//! percent-escaped so they cannot forge another record's key.
//!
//! Access patterns, none of them a `Scan`:
//! - get/put/delete one record: `GetItem`/`PutItem`/`DeleteItem` on `(pk, sk)`, with
//!   strongly consistent reads (the embedded backend reads its own writes, so this one does).
//! - heroes and stories newest first: `Query gsi1` on `USER#{u}#HEROES` (sparse: an inactive
//!   hero has no `gsi1pk`, so it is readable but not listed), descending, `gsi1sk < cursor`.
//!   The cursor is the shared [`crate::page::Position`] `(created_ms, id)`, so it is opaque,
//!   scoped to the caller (the partition comes from the caller's id, never from the cursor)
//!   and identical in shape on both backends. GSI reads are eventually consistent on real
//!   DynamoDB: a hero listed right after its `PutItem` may lag by a fraction of a second.
//! - a story's illustration states: `Query pk = USER#{u} AND begins_with(sk, STORY#{id}#SCENE#)`
//!   (scene numbers zero-padded, so the query returns them in order); deleting a story deletes
//!   them with `BatchWriteItem`.
//! - usage by function and time: one `Query gsi1` on `USAGE#{function}` with
//!   `gsi1sk BETWEEN` (eventually consistent, like every GSI read; one index partition per
//!   function takes ≤ 1 000 writes/s); usage of every function: one `Query` per calendar month of the window
//!   on `pk = USAGE#{yyyy-mm}`, `sk BETWEEN` (so no list of function names is needed and the
//!   storage crate stays independent of `config`). A month bucket bounds partition size; it
//!   does not spread concurrent writes (no time bucketing does), which is fine far below
//!   DynamoDB's 1 000 writes/s per partition. Windows are limited to 1 200 months.
//! - safety events of a user since `t`: `Query pk = USER#{u} AND sk BETWEEN SAFETY#{t}# AND SAFETY#~`.
//!
//! # Expiry
//!
//! Expiring items (cache, idempotency, rate limits, usage, safety events) carry `ttl`
//! (epoch seconds, the table's TTL attribute) and `exp_ms` (epoch milliseconds). DynamoDB
//! deletes expired items lazily, up to days later, and moto never does, so every reader
//! filters on `exp_ms` itself.
//!
//! # Conditional writes
//!
//! - rate limit: ONE `UpdateItem` `ADD #count :cost` with
//!   `attribute_not_exists(#count) OR #count <= :max_before` (`max_before = limit - cost`);
//!   `ConditionalCheckFailedException` means denied (then a consistent `GetItem` reads the
//!   count). Release: `ADD #count :neg` guarded by `#count >= :cost`, else clamp to 0.
//! - idempotency begin: a conditional `PutItem` that only succeeds when no live record exists
//!   (`attribute_not_exists(pk) OR #exp <= :now OR (#state = :in_flight AND #lease <= :now)`);
//!   on failure the existing record tells `InFlight` or `Completed`. Complete and abandon are
//!   conditional too, so they never resurrect a record.
//!
//! # Documents
//!
//! Heroes, stories, scene states, usage rows, safety events, cached values and stored
//! responses are kept as one JSON string attribute `doc` (the domain types' serde form, the
//! same as the embedded backend), next to the key and filter attributes. DynamoDB's item limit
//! is 400 KB; a 5 000-word story with its scenes is ≈ 40–60 KB, far below it.

mod dynamo;
mod error;
mod keys;
pub mod resources;
mod s3;

pub use aws_config;
pub use s3::S3Blobs;

use crate::{Backend, Bucket, HealthProbe, Probe};
use async_trait::async_trait;
use aws_config::BehaviorVersion;
use domain::Clock;
use std::sync::Arc;

/// Physical names of the stage's AWS resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsNames {
    /// The DynamoDB table.
    pub table: String,
    /// Bucket of [`Bucket::StoryAssets`].
    pub story_assets: String,
    /// Bucket of [`Bucket::HeroAvatars`].
    pub hero_avatars: String,
    /// Bucket of [`Bucket::StoryAudio`].
    pub story_audio: String,
    /// Bucket of [`Bucket::StoryIllustrations`].
    pub story_illustrations: String,
}

impl AwsNames {
    /// The physical name of a logical bucket.
    pub fn bucket(&self, bucket: Bucket) -> &str {
        match bucket {
            Bucket::StoryAssets => &self.story_assets,
            Bucket::HeroAvatars => &self.hero_avatars,
            Bucket::StoryAudio => &self.story_audio,
            Bucket::StoryIllustrations => &self.story_illustrations,
        }
    }
}

/// Loads the SDK configuration from the environment (region, credentials, and
/// `AWS_ENDPOINT_URL` for a local server). Call once per cold start.
pub async fn sdk_config_from_env() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// The S3 client for `sdk`: path-style addressing when an endpoint URL is configured (a local
/// server has no per-bucket DNS names), virtual-hosted otherwise.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Opens the AWS backend (kind `"aws"`). Builds the clients; makes no request.
pub fn open(sdk: &aws_config::SdkConfig, names: AwsNames, clock: Arc<dyn Clock>) -> Backend {
    from_clients(
        aws_sdk_dynamodb::Client::new(sdk),
        s3_client(sdk),
        names,
        clock,
    )
}

/// Builds the backend from ready clients (tests pass mocked ones).
pub fn from_clients(
    dynamo: aws_sdk_dynamodb::Client,
    s3: aws_sdk_s3::Client,
    names: AwsNames,
    clock: Arc<dyn Clock>,
) -> Backend {
    let names = Arc::new(names);
    let records = Arc::new(dynamo::DynamoRecords::new(
        dynamo,
        names.table.clone(),
        clock.clone(),
    ));
    let blobs = Arc::new(S3Blobs::new(s3, names, clock));
    let health = Arc::new(AwsProbe {
        records: records.clone(),
        blobs: blobs.clone(),
    });
    Backend {
        heroes: records.clone(),
        stories: records.clone(),
        usage: records.clone(),
        rate_limits: records.clone(),
        cache: records.clone(),
        idempotency: records.clone(),
        safety_events: records,
        blobs,
        health,
        kind: "aws",
    }
}

struct AwsProbe {
    records: Arc<dynamo::DynamoRecords>,
    blobs: Arc<S3Blobs>,
}

#[async_trait]
impl HealthProbe for AwsProbe {
    async fn probe_database(&self) -> Probe {
        match self.records.probe().await {
            Ok(()) => Probe::ok(),
            Err(e) => {
                tracing::warn!(error = %e, "database probe failed");
                Probe::failed("table did not answer a write and a read")
            }
        }
    }

    async fn probe_storage(&self) -> Probe {
        match self.blobs.probe().await {
            Ok(()) => Probe::ok(),
            Err(e) => {
                tracing::warn!(error = %e, "storage probe failed");
                Probe::failed("buckets did not answer")
            }
        }
    }
}
