//! Composition root shared by every function binary and the dev server: builds settings,
//! the authenticator, the storage backend and the clock once per cold start, and maps adapter
//! errors to client-facing [`ApiError`]s (internal details go to logs, never to clients).

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
                return Err(StartupError::Storage(
                    "STORAGE_BACKEND=aws is not available in this build yet".to_string(),
                ));
            }
        };
        Ok(Self {
            settings: Arc::new(settings),
            auth,
            backend,
            embedded_blobs,
            clock,
            http,
        })
    }

    /// The edge gateway of `function`.
    pub fn gateway(&self, function: FunctionName) -> Gateway {
        Gateway::new(function, self.settings.clone(), self.auth.clone())
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

/// Error type of a function binary's `main`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The whole `main` of a function binary: settings, tracing, dependencies once per cold
/// start, then the Lambda runtime loop. Start-up errors name the variable at fault.
pub async fn run_lambda<F, B>(build: B) -> Result<(), BoxError>
where
    F: edge::Function,
    B: FnOnce(Deps) -> F,
{
    let settings = Settings::from_env().inspect_err(|e| eprintln!("{e}"))?;
    let mode = if edge::telemetry::running_in_lambda(|k| std::env::var(k).ok()) {
        edge::telemetry::Mode::Lambda
    } else {
        edge::telemetry::Mode::Local
    };
    edge::telemetry::init(&settings, mode);
    let deps = Deps::from_settings(settings).await.inspect_err(|e| {
        tracing::error!(error = %e, "start-up failed");
    })?;
    let function: Arc<dyn edge::Function> = Arc::new(build(deps));
    edge::lambda::run(function).await
}
