//! Warm handler cost per request, in process: `Function::handle` called in a loop with an
//! in-memory request (the same `lambda_http::Request` the dev server builds), the offline
//! provider (no network) and the embedded backend in a tmpfs directory (SQLite and media
//! files in RAM). Reports wall time and CPU time per request; CPU is summed over every
//! thread of the process (`/proc/self/task/*/schedstat`), so SQLite's blocking-pool work and
//! the JSON log line each request writes are included.

use crate::tokens;
use config::Settings;
use edge::{Body, Function};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// CPU time of every thread of this process, in nanoseconds.
pub fn process_cpu_ns() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

struct Case {
    name: &'static str,
    function: &'static str,
    method: &'static str,
    path: String,
    body: Option<String>,
    auth: bool,
}

fn request(case: &Case, token: &str, n: u64) -> Option<edge::Request> {
    let mut b = http::Request::builder()
        .method(case.method)
        .uri(case.path.as_str())
        .header("host", "localhost")
        .header("user-agent", "benchkit");
    if case.auth {
        b = b.header("authorization", format!("Bearer {token}"));
    }
    if case.method == "OPTIONS" {
        b = b
            .header("origin", "http://localhost")
            .header("access-control-request-method", "POST");
    }
    let body = match &case.body {
        Some(t) => {
            b = b.header("content-type", "application/octet-stream");
            Body::Binary(t.replace("{{N}}", &n.to_string()).into_bytes())
        }
        None => Body::Empty,
    };
    b.body(body).ok()
}

fn cases(hero: &str) -> Vec<Case> {
    let hero_body = json!({
        "name": "Luna", "primary_trait": "Brave", "secondary_trait": "Kind",
        "appearance": "curly red hair and a yellow raincoat", "special_ability": "talks to owls",
        "age": 7
    })
    .to_string();
    let story_body = json!({
        "hero_id": hero,
        "event": {"type": "built_in", "data": {"name": "Bedtime Adventure"}},
        "target_duration": 300, "language": "en", "regenerate": true
    })
    .to_string();
    let content = "Luna walked through the quiet meadow with her friend the owl. ".repeat(30);
    let scenes_body = json!({
        "story_content": format!("{content} Story number {{{{N}}}}."),
        "story_duration": 180,
        "hero": {"id": hero, "name": "Luna"},
        "event_context": "Bedtime Adventure"
    })
    .to_string();
    vec![
        Case {
            name: "gateway only: CORS preflight (OPTIONS)",
            function: "heroes",
            method: "OPTIONS",
            path: "/".into(),
            body: None,
            auth: false,
        },
        Case {
            name: "health GET / (DB + media probes, offline provider)",
            function: "health",
            method: "GET",
            path: "/".into(),
            body: None,
            auth: false,
        },
        Case {
            name: "heroes GET /{id} (JWT + one read)",
            function: "heroes",
            method: "GET",
            path: format!("/{hero}"),
            body: None,
            auth: true,
        },
        Case {
            name: "heroes GET / (JWT + list)",
            function: "heroes",
            method: "GET",
            path: "/".into(),
            body: None,
            auth: true,
        },
        Case {
            name: "heroes PUT /{id} (JWT + safety screen + write)",
            function: "heroes",
            method: "PUT",
            path: format!("/{hero}"),
            body: Some(hero_body),
            auth: true,
        },
        Case {
            name: "stories GET / (JWT + list)",
            function: "stories",
            method: "GET",
            path: "/".into(),
            body: None,
            auth: true,
        },
        Case {
            name: "story-generation POST (offline provider, regenerate)",
            function: "story-generation",
            method: "POST",
            path: "/".into(),
            body: Some(story_body),
            auth: true,
        },
        Case {
            name: "extract-scenes POST (offline provider)",
            function: "extract-scenes",
            method: "POST",
            path: "/".into(),
            body: Some(scenes_body),
            auth: true,
        },
    ]
}

async fn call(f: &Arc<dyn Function>, case: &Case, token: &str, n: u64) -> u16 {
    match request(case, token, n) {
        Some(req) => f.handle(req).await.status().as_u16(),
        None => 0,
    }
}

/// Runs every case for about `seconds` (at most `max_iters` requests each).
pub async fn run(data_dir: &Path, seconds: f64, max_iters: u64) -> Result<Value, String> {
    let _ = std::fs::remove_dir_all(data_dir);
    let mut env: HashMap<&str, String> = HashMap::new();
    env.insert("DATA_DIR", data_dir.display().to_string());
    env.insert("ENVIRONMENT", "development".into());
    env.insert("LOG_LEVEL", "info".into());
    for k in [
        "RATE_LIMIT_STORY_GENERATION",
        "RATE_LIMIT_AUDIO_SYNTHESIS",
        "RATE_LIMIT_AVATAR_GENERATION",
        "RATE_LIMIT_SCENE_ILLUSTRATION",
        "RATE_LIMIT_EXTRACT_SCENES",
    ] {
        env.insert(k, "1000000".into());
    }
    let settings =
        Settings::from_lookup(|k| env.get(k).cloned()).map_err(|e| format!("settings: {e}"))?;
    edge::telemetry::init(&settings, edge::telemetry::Mode::Lambda);
    let token_line = tokens::lines(&settings, 0xc0, 1, 3600)?
        .pop()
        .ok_or("no token")?;
    let mut parts = token_line.split('\t');
    let token = parts.next().unwrap_or_default().to_owned();
    let _user = parts.next();
    let hero = parts.next().unwrap_or_default().to_owned();
    let deps = wiring::Deps::from_settings(settings)
        .await
        .map_err(|e| format!("deps: {e}"))?;
    let mut functions: HashMap<&str, Arc<dyn Function>> = HashMap::new();
    for name in [
        "heroes",
        "health",
        "stories",
        "story-generation",
        "extract-scenes",
    ] {
        let f = crate::build_function(name, deps.clone()).ok_or("unknown function")?;
        functions.insert(name, f);
    }
    let all = cases(&hero);
    // The hero (PUT) and one story exist before anything is timed.
    for setup in [4usize, 6] {
        let case = &all[setup];
        let status = call(&functions[case.function], case, &token, 0).await;
        if !(200..300).contains(&status) {
            return Err(format!("set-up {} answered {status}", case.name));
        }
    }
    let mut results = Vec::new();
    for case in &all {
        let f = &functions[case.function];
        for n in 0..20 {
            call(f, case, &token, n).await;
        }
        let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
        let budget = Duration::from_secs_f64(seconds);
        let cpu0 = process_cpu_ns();
        let t0 = Instant::now();
        let mut n = 0u64;
        while n < max_iters && t0.elapsed() < budget {
            let status = call(f, case, &token, 1000 + n).await;
            *statuses.entry(status).or_default() += 1;
            n += 1;
        }
        let wall = t0.elapsed();
        let cpu = process_cpu_ns().saturating_sub(cpu0);
        let n_f = n.max(1) as f64;
        results.push(json!({
            "case": case.name,
            "function": case.function,
            "requests": n,
            "statuses": statuses.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "wall_us_per_req": (wall.as_secs_f64() * 1e6 / n_f * 10.0).round() / 10.0,
            "cpu_us_per_req": (cpu as f64 / 1e3 / n_f * 10.0).round() / 10.0,
        }));
    }
    let _ = std::fs::remove_dir_all(data_dir);
    Ok(json!({"data_dir": data_dir.display().to_string(), "cases": results}))
}
