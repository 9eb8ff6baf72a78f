//! Test harness: starts the dev server's router in-process on an ephemeral loopback port
//! over a fresh data directory, and mints tokens for test users. Tests then talk plain HTTP
//! to it, exactly like the app does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The JWT secret every test server uses.
pub const TEST_SECRET: &str = "system-tests-secret-0123456789-abcdefghij";

/// A running dev server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Bound address.
    pub addr: SocketAddr,
    /// Shared dependencies (direct access to storage for assertions).
    pub deps: wiring::Deps,
    /// Every EMF document the functions emitted.
    pub emf: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    data_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// A server over a fresh temporary data directory.
    pub async fn start() -> Self {
        Self::start_with(&[], None).await
    }

    /// A server with extra environment variables, over `data_dir` (or a fresh one).
    pub async fn start_with(vars: &[(&str, &str)], data_dir: Option<&Path>) -> Self {
        let (tmp, dir) = match data_dir {
            Some(d) => (None, d.to_path_buf()),
            None => {
                let t = tempfile::tempdir().expect("tempdir");
                let d = t.path().join("data");
                (Some(t), d)
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let mut env: HashMap<String, String> = HashMap::from([
            ("JWT_SECRET".to_string(), TEST_SECRET.to_string()),
            ("DATA_DIR".to_string(), dir.display().to_string()),
            ("DEV_ADDR".to_string(), addr.to_string()),
            ("PUBLIC_BASE_URL".to_string(), base.clone()),
        ]);
        for (k, v) in vars {
            env.insert(k.to_string(), v.to_string());
        }
        let settings = config::Settings::from_lookup(|k| env.get(k).cloned()).expect("settings");
        let mut deps = wiring::Deps::from_settings(settings).await.expect("deps");
        let (emitter, emf) = edge::emf::Emitter::capture();
        deps.metrics = emitter;
        let app = devserver::router(&deps);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base,
            addr,
            deps,
            emf,
            data_dir: dir,
            _tmp: tmp,
            task,
        }
    }

    /// A server on the AWS backend: DynamoDB and S3 of the local moto server
    /// (`testkit::moto`), with a fresh table and buckets created from the same `infra/`
    /// definitions as the deployed stack.
    pub async fn start_aws(vars: &[(&str, &str)]) -> Self {
        use storage::aws::aws_config::{self, BehaviorVersion, Region};
        let endpoint = testkit::moto::endpoint();
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "moto",
            ))
            .load()
            .await;
        let tag = &uuid::Uuid::new_v4().simple().to_string()[..12];
        let names = storage::aws::AwsNames {
            table: format!("e2e-{tag}"),
            story_assets: format!("e2e-{tag}-story-assets"),
            hero_avatars: format!("e2e-{tag}-hero-avatars"),
            story_audio: format!("e2e-{tag}-story-audio"),
            story_illustrations: format!("e2e-{tag}-story-illustrations"),
        };
        storage::aws::resources::create_all(&sdk, &names)
            .await
            .expect("create table and buckets on moto");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let mut env: HashMap<String, String> = HashMap::from([
            ("JWT_SECRET".to_string(), TEST_SECRET.to_string()),
            ("STORAGE_BACKEND".to_string(), "aws".to_string()),
            ("TABLE_NAME".to_string(), names.table.clone()),
            (
                "BUCKET_STORY_ASSETS".to_string(),
                names.story_assets.clone(),
            ),
            (
                "BUCKET_HERO_AVATARS".to_string(),
                names.hero_avatars.clone(),
            ),
            ("BUCKET_STORY_AUDIO".to_string(), names.story_audio.clone()),
            (
                "BUCKET_STORY_ILLUSTRATIONS".to_string(),
                names.story_illustrations.clone(),
            ),
            ("DEV_ADDR".to_string(), addr.to_string()),
        ]);
        for (k, v) in vars {
            env.insert(k.to_string(), v.to_string());
        }
        let settings = config::Settings::from_lookup(|k| env.get(k).cloned()).expect("settings");
        let clock: std::sync::Arc<dyn domain::Clock> = std::sync::Arc::new(domain::SystemClock);
        let http = reqwest::Client::new();
        let auth = std::sync::Arc::new(
            edge::Authenticator::from_settings(&settings, http.clone())
                .await
                .expect("auth"),
        );
        let backend = storage::aws::open(&sdk, names, clock.clone());
        let mut deps =
            wiring::Deps::assemble(settings, auth, backend, None, clock, http, None).expect("deps");
        let (emitter, emf) = edge::emf::Emitter::capture();
        deps.metrics = emitter;
        let app = devserver::router(&deps);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base,
            addr,
            deps,
            emf,
            data_dir: PathBuf::new(),
            _tmp: None,
            task,
        }
    }

    /// The URL of `path` under a function (`url("heroes", "/abc")`).
    pub fn url(&self, function: &str, path: &str) -> String {
        format!("{}/functions/v1/{function}{path}", self.base)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the server, keeping the data directory (for restart tests).
    pub fn stop(mut self) -> Option<tempfile::TempDir> {
        self.task.abort();
        self._tmp.take()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An HS256 token for `sub` signed with [`TEST_SECRET`].
pub fn token(sub: &str) -> String {
    token_with(sub, "authenticated", 3600)
}

/// An HS256 token with a role and lifetime.
pub fn token_with(sub: &str, role: &str, ttl_secs: u64) -> String {
    edge::auth::mint_hs256(TEST_SECRET, sub, role, Duration::from_secs(ttl_secs), None)
        .expect("mint")
}

/// A plain HTTP client (no cookies, no retries).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}
