//! Composition root shared by every function binary and the dev server: builds settings,
//! the authenticator, the storage backend and the clock once per cold start, and maps adapter
//! errors to client-facing [`ApiError`]s (internal details go to logs, never to clients).
//! [`metered`] is the pipeline every AI function runs through: idempotency, rate limits,
//! provider choice (offline under `X-Test-Mode`), the usage ledger and EMF metrics.

pub mod guard;
pub mod images;
pub mod metered;
mod post;

pub use post::{PostFunction, PostService};

use config::{Settings, StorageBackend};
use domain::{Clock, SystemClock};
use edge::{ApiError, Authenticator, FunctionName, Gateway};
use std::sync::Arc;
use storage::{Backend, StoreError};

/// Start-up failure, naming what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Invalid configuration (names the variable).
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The authenticator could not be built.
    #[error(transparent)]
    Auth(#[from] edge::auth::AuthSetupError),
    /// The storage backend could not be opened.
    #[error("storage could not be opened: {0}")]
    Storage(String),
    /// The AI provider settings are invalid.
    #[error(transparent)]
    Provider(#[from] providers::ConfigError),
}

/// Maps settings to the OpenAI client's configuration (`None` without a key: offline).
pub fn provider_config(settings: &Settings) -> Option<providers::ProviderConfig> {
    let key = settings.openai_api_key.as_ref()?;
    let mut c = providers::ProviderConfig::new(key.expose())
        .with_base_url(settings.openai_base_url.as_str().trim_end_matches('/'));
    c.text_model = settings.text_model.clone();
    c.text_fallback_model = settings.text_fallback_model.clone();
    c.review_model = settings.review_model.clone();
    c.tts_model = settings.tts_model.clone();
    c.image_model = settings.image_model.clone();
    c.moderation_model = settings.moderation_model.clone();
    Some(c)
}

/// Everything a function needs, built once and shared (cheap to clone).
#[derive(Clone)]
pub struct Deps {
    /// Parsed settings.
    pub settings: Arc<Settings>,
    /// JWT verification.
    pub auth: Arc<Authenticator>,
    /// Storage ports.
    pub backend: Backend,
    /// The embedded blob store when that backend is used (the dev server serves its media).
    pub embedded_blobs: Option<Arc<storage::embedded::EmbeddedBlobStore>>,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Shared HTTP client (connection pool) for outbound calls.
    pub http: reqwest::Client,
    /// The configured AI provider (OpenAI when a key is set, else offline).
    pub providers: providers::Providers,
    /// The offline provider (always; `X-Test-Mode: true` uses it).
    pub offline: providers::Providers,
    /// The provider settings (model ids for health's lifecycle check), when OpenAI is used.
    pub provider_config: Option<providers::ProviderConfig>,
    /// Per-user rate limits.
    pub limiter: accounting::RateLimiter,
    /// The usage ledger.
    pub ledger: accounting::Ledger,
    /// Idempotency records.
    pub idempotency: accounting::Idempotency,
    /// Story, audio and image caches.
    pub cache: accounting::Cache,
    /// EMF metric lines.
    pub metrics: edge::emf::Emitter,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Deps {
    /// Reads the environment and builds everything.
    pub async fn from_env() -> Result<Self, StartupError> {
        let settings = Settings::from_env()?;
        Self::from_settings(settings).await
    }

    /// Builds everything from parsed settings.
    pub async fn from_settings(settings: Settings) -> Result<Self, StartupError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let http = reqwest::Client::builder()
            .pool_idle_timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| StartupError::Storage(e.to_string()))?;
        let auth = Arc::new(Authenticator::from_settings(&settings, http.clone()).await?);
        let (backend, embedded_blobs) = match settings.storage_backend {
            StorageBackend::Embedded => {
                let (b, blobs) = storage::embedded::open(
                    &settings.data_dir,
                    &settings.public_base_url,
                    clock.clone(),
                )
                .await
                .map_err(|e| StartupError::Storage(e.to_string()))?;
                (b, Some(blobs))
            }
            StorageBackend::Aws => {
                // Loaded once per cold start: region and credentials from the environment
                // (the Lambda role), and `AWS_ENDPOINT_URL` for a local server.
                let sdk = storage::aws::sdk_config_from_env().await;
                let names = storage::aws::AwsNames {
                    table: settings.aws.table.clone(),
                    story_assets: settings.aws.bucket_story_assets.clone(),
                    hero_avatars: settings.aws.bucket_hero_avatars.clone(),
                    story_audio: settings.aws.bucket_story_audio.clone(),
                    story_illustrations: settings.aws.bucket_story_illustrations.clone(),
                };
                tracing::info!(
                    table = %names.table,
                    local_endpoint = sdk.endpoint_url().is_some(),
                    "storage backend: aws"
                );
                (storage::aws::open(&sdk, names, clock.clone()), None)
            }
        };
        Self::assemble(settings, auth, backend, embedded_blobs, clock, http, None)
    }

    /// Builds the accounting and provider parts around an opened backend. `providers`
    /// overrides the provider chosen from settings (tests inject one).
    pub fn assemble(
        settings: Settings,
        auth: Arc<Authenticator>,
        backend: Backend,
        embedded_blobs: Option<Arc<storage::embedded::EmbeddedBlobStore>>,
        clock: Arc<dyn Clock>,
        http: reqwest::Client,
        providers: Option<providers::Providers>,
    ) -> Result<Self, StartupError> {
        let provider_config = provider_config(&settings);
        let providers = match providers {
            Some(p) => p,
            None => providers::Providers::from_config(provider_config.clone())?,
        };
        let limiter = accounting::RateLimiter::new(
            backend.rate_limits.clone(),
            settings.rate_limits,
            settings.rate_limit_window,
            clock.clone(),
        );
        let ledger = accounting::Ledger::new(backend.usage.clone(), clock.clone());
        let idempotency = accounting::Idempotency::new(backend.idempotency.clone(), clock.clone());
        let cache = accounting::Cache::new(
            backend.cache.clone(),
            clock.clone(),
            settings.story_cache_ttl,
            settings.cache_ttl,
        );
        let in_lambda = edge::telemetry::running_in_lambda(|k| std::env::var(k).ok());
        Ok(Self {
            settings: Arc::new(settings),
            auth,
            backend,
            embedded_blobs,
            clock,
            http,
            providers,
            offline: providers::Providers::offline(),
            provider_config,
            limiter,
            ledger,
            idempotency,
            cache,
            metrics: edge::emf::Emitter::new(in_lambda),
        })
    }

    /// The provider a request uses: offline under `X-Test-Mode: true`.
    pub fn providers_for(&self, test_mode: bool) -> &providers::Providers {
        if test_mode {
            &self.offline
        } else {
            &self.providers
        }
    }

    /// The edge gateway of `function`.
    pub fn gateway(&self, function: FunctionName) -> Gateway {
        Gateway::new(function, self.settings.clone(), self.auth.clone())
            .with_emitter(self.metrics.clone())
    }
}

/// Maps a storage failure to a client error, logging the internal reason.
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(_) => ApiError::invalid("Invalid cursor or key"),
        StoreError::Conflict(_) => ApiError::conflict("The resource changed; please retry"),
        StoreError::Unavailable(reason) => {
            tracing::error!(%reason, "storage unavailable");
            ApiError::unavailable("Storage is temporarily unavailable")
        }
        StoreError::Corrupt(reason) => {
            tracing::error!(%reason, "corrupt stored record");
            ApiError::internal()
        }
    }
}

/// Maps an AI provider failure to the client error; `service` names what failed in the
/// message ("story", "narration"). Upstream details stay in logs.
pub fn provider_error(e: &providers::ProviderError, service: &str) -> ApiError {
    use providers::ProviderError;
    match e {
        ProviderError::ContentPolicy { .. } => ApiError::content_rejected("provider_policy", None),
        ProviderError::RateLimited { retry_after } => {
            let mut err = ApiError::unavailable(format!(
                "The {service} service is busy; please try again shortly"
            ));
            err.retry_after = Some(retry_after.map(|d| d.as_secs().max(1)).unwrap_or(30));
            err
        }
        ProviderError::CircuitOpen { .. }
        | ProviderError::QuotaExceeded
        | ProviderError::Unauthorized => {
            ApiError::unavailable(format!("The {service} service is temporarily unavailable"))
        }
        ProviderError::Timeout | ProviderError::DeadlineExceeded => ApiError::timeout(),
        _ => ApiError::upstream(format!("The {service} service failed; please try again")),
    }
}

/// Error type of a function binary's `main`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Set by [`prebuild_safety_engine`]: [`run_lambda`] waits for the engine before serving.
static SAFETY_WANTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Builds the shared content-safety engine (≈1 s of rule compilation on the benchmark
/// machine, see BENCHMARKS.md) on a background thread, so it overlaps the rest of a cold start
/// (secrets, settings, SDK clients); [`run_lambda`] then waits for it before taking the first
/// event, so the build is paid in the Lambda *init* phase (hidden entirely by provisioned or
/// proactive initialisation) rather than by the first request that screens text. Called first
/// by the `main` of every function that screens or sanitises text; `health` and `stories`
/// never pay for it.
pub fn prebuild_safety_engine() {
    SAFETY_WANTED.store(true, std::sync::atomic::Ordering::Relaxed);
    let spawned = std::thread::Builder::new()
        .name("safety-engine".into())
        .spawn(|| {
            safety::Engine::global();
        });
    if spawned.is_err() {
        // Without a thread the engine is simply built on first use, as before.
        tracing::debug!("safety engine will be built on first use");
    }
}

/// The whole `main` of a function binary: settings, tracing, dependencies once per cold
/// start, then the Lambda runtime loop. Start-up errors name the variable at fault.
pub async fn run_lambda<F, B>(build: B) -> Result<(), BoxError>
where
    F: edge::Function,
    B: FnOnce(Deps) -> F,
{
    // Secrets (`*_SECRET_ARN`) are fetched once per cold start and read in front of the
    // environment; nothing is fetched when none is referenced.
    let secrets = secrets::resolve_from_env()
        .await
        .inspect_err(|e| eprintln!("{e}"))?;
    let settings = Settings::from_lookup(|k| secrets.get(k, |k| std::env::var(k).ok()))
        .inspect_err(|e| eprintln!("{e}"))?;
    let mode = if edge::telemetry::running_in_lambda(|k| std::env::var(k).ok()) {
        edge::telemetry::Mode::Lambda
    } else {
        edge::telemetry::Mode::Local
    };
    edge::telemetry::init(&settings, mode);
    for note in secrets.notes() {
        tracing::info!(note = %note, "secrets");
    }
    let deps = Deps::from_settings(settings).await.inspect_err(|e| {
        tracing::error!(error = %e, "start-up failed");
    })?;
    let function: Arc<dyn edge::Function> = Arc::new(build(deps));
    if SAFETY_WANTED.load(std::sync::atomic::Ordering::Relaxed) {
        // Blocks until the background build finishes (or builds here if it never started).
        let _ = tokio::task::spawn_blocking(|| {
            safety::Engine::global();
        })
        .await;
    }
    edge::lambda::run(function).await
}
