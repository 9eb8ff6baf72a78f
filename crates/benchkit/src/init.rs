//! The init work of a cold start, itemised: the steps of `wiring::run_lambda` (and the
//! `Deps::from_settings` it calls) timed one by one with the same constructors in the same
//! order, in a fresh child process per start so every step is really cold (page faults,
//! lazy statics, first TLS/crypto use). Medians over the starts are reported.
//!
//! The Lambda runtime client itself (reading its environment, connecting to the Runtime API
//! and the first poll) is not itemised here; the emulator's "exec → first `/next`" minus the
//! sum of these steps is that remainder.

use crate::stats::summarize;
use config::{Settings, StorageBackend};
use domain::{Clock, SystemClock};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Environment variable carrying the parent's wall-clock time just before `spawn`.
pub const SPAWN_ENV: &str = "BENCHKIT_SPAWN_UNIX_NS";
/// Prefix of the child's result line on stderr.
pub const RESULT_PREFIX: &str = "BENCHKIT_INIT ";

fn unix_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn lap(t: &mut Instant) -> f64 {
    let ms = t.elapsed().as_secs_f64() * 1e3;
    *t = Instant::now();
    ms
}

/// Runs in the child: times each init step of `function` and returns `[[step, ms], …]`.
pub fn child(function: &str) -> Result<Value, String> {
    let exec_ms = std::env::var(SPAWN_ENV)
        .ok()
        .and_then(|v| v.parse::<u128>().ok())
        .map(|spawned| unix_ns().saturating_sub(spawned) as f64 / 1e6);
    let mut steps: Vec<(&'static str, f64)> = Vec::new();
    if let Some(ms) = exec_ms {
        steps.push(("exec → main (kernel, loader)", ms));
    }
    let mut t = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    steps.push(("tokio runtime (#[tokio::main])", lap(&mut t)));
    let function = function.to_owned();
    let rest = rt.block_on(async move { steps_in_runtime(&function).await })?;
    steps.extend(rest);
    let list: Vec<Value> = steps.iter().map(|(k, v)| json!([k, v])).collect();
    Ok(Value::Array(list))
}

async fn steps_in_runtime(function: &str) -> Result<Vec<(&'static str, f64)>, String> {
    let mut steps = Vec::new();
    let mut t = Instant::now();
    let secrets = secrets::resolve_from_env()
        .await
        .map_err(|e| format!("secrets: {e}"))?;
    steps.push(("secrets (none referenced)", lap(&mut t)));
    let settings = Settings::from_lookup(|k| secrets.get(k, |k| std::env::var(k).ok()))
        .map_err(|e| format!("settings: {e}"))?;
    steps.push(("settings parse", lap(&mut t)));
    edge::telemetry::init(&settings, edge::telemetry::Mode::Lambda);
    steps.push(("tracing subscriber", lap(&mut t)));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let http = reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| format!("http client: {e}"))?;
    steps.push(("reqwest client (rustls, root certs)", lap(&mut t)));
    let auth = edge::Authenticator::from_settings(&settings, http.clone())
        .await
        .map_err(|e| format!("auth: {e}"))?;
    steps.push(("authenticator (HS256 key)", lap(&mut t)));
    let (backend, blobs) = match settings.storage_backend {
        StorageBackend::Embedded => {
            let (b, blobs) = storage::embedded::open(
                &settings.data_dir,
                &settings.public_base_url,
                clock.clone(),
            )
            .await
            .map_err(|e| format!("storage: {e}"))?;
            steps.push(("storage open (SQLite schema, media dir)", lap(&mut t)));
            (b, Some(blobs))
        }
        StorageBackend::Aws => {
            let sdk = storage::aws::sdk_config_from_env().await;
            steps.push(("AWS SDK config load (env credentials)", lap(&mut t)));
            let names = storage::aws::AwsNames {
                table: settings.aws.table.clone(),
                story_assets: settings.aws.bucket_story_assets.clone(),
                hero_avatars: settings.aws.bucket_hero_avatars.clone(),
                story_audio: settings.aws.bucket_story_audio.clone(),
                story_illustrations: settings.aws.bucket_story_illustrations.clone(),
            };
            let b = storage::aws::open(&sdk, names, clock.clone());
            steps.push(("DynamoDB + S3 clients", lap(&mut t)));
            (b, None)
        }
    };
    let deps = wiring::Deps::assemble(settings, Arc::new(auth), backend, blobs, clock, http, None)
        .map_err(|e| format!("deps: {e}"))?;
    steps.push(("provider client + accounting (Deps::assemble)", lap(&mut t)));
    let app = crate::build_function(function, deps).ok_or("unknown function")?;
    steps.push(("App::new", lap(&mut t)));
    let _ = std::hint::black_box(safety::Engine::global());
    steps.push((
        "safety engine (lazy, first request that screens text)",
        lap(&mut t),
    ));
    drop(app);
    Ok(steps)
}

/// Runs `starts` children for `function` (each with a fresh `DATA_DIR` below `data_root`)
/// and reports the median of every step.
pub fn parent(function: &str, starts: usize, data_root: &Path) -> Result<Value, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut order: Vec<String> = Vec::new();
    let mut samples: HashMap<String, Vec<f64>> = HashMap::new();
    let mut failures = Vec::new();
    for i in 0..starts {
        let data_dir = data_root.join(format!("init-{function}-{i}"));
        let _ = std::fs::remove_dir_all(&data_dir);
        let output = std::process::Command::new(&exe)
            .args(["init-child", "--function", function])
            .env("DATA_DIR", &data_dir)
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
            .env(SPAWN_ENV, unix_ns().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("spawn: {e}"))?;
        let _ = std::fs::remove_dir_all(&data_dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let Some(line) = stderr.lines().find_map(|l| l.strip_prefix(RESULT_PREFIX)) else {
            failures.push(stderr.lines().last().unwrap_or("no output").to_owned());
            continue;
        };
        let Ok(Value::Array(steps)) = serde_json::from_str::<Value>(line) else {
            failures.push(format!("unparsable: {line}"));
            continue;
        };
        for step in steps {
            let (Some(name), Some(ms)) = (step[0].as_str(), step[1].as_f64()) else {
                continue;
            };
            if !order.iter().any(|o| o == name) {
                order.push(name.to_owned());
            }
            samples.entry(name.to_owned()).or_default().push(ms);
        }
    }
    let steps: Vec<Value> = order
        .iter()
        .map(|name| {
            let values = samples.get(name).map(Vec::as_slice).unwrap_or_default();
            json!({"step": name, "ms": summarize(values).to_json()})
        })
        .collect();
    Ok(json!({
        "function": function,
        "starts": starts,
        "failures": failures.len(),
        "first_failure": failures.first(),
        "steps": steps,
    }))
}
