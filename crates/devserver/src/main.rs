//! `scripts/dev`: runs every function locally on the embedded defaults.

use config::Settings;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    wiring::prebuild_safety_engine();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    edge::telemetry::init(&settings, edge::telemetry::Mode::Local);
    let deps = match wiring::Deps::from_settings(settings).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("start-up failed: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = deps.settings.dev_addr;
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr} (DEV_ADDR): {e}");
            return ExitCode::from(2);
        }
    };
    let base = format!("http://{addr}/functions/v1");
    println!("InfiniteStories dev server");
    println!(
        "  functions:  {base}/<name>   (health, heroes, story-generation, extract-scenes, stories)"
    );
    println!(
        "  storage:    {} (DATA_DIR={})",
        deps.backend.kind,
        deps.settings.data_dir.display()
    );
    println!(
        "  provider:   {}",
        if deps.settings.openai_api_key.is_some() {
            "openai"
        } else {
            "offline (no OPENAI_API_KEY)"
        }
    );
    if deps.settings.jwt_secret_is_dev_default {
        println!("  JWT_SECRET: unset, using the public dev secret (see README)");
    }
    match devserver::dev_token(&deps, devserver::DEV_USER_ID, "authenticated", 30 * 86_400) {
        Some(token) => {
            println!("  dev user:   {}", devserver::DEV_USER_ID);
            println!("  dev token (30 days):\n{token}");
            println!("  try: curl -H \"Authorization: Bearer $TOKEN\" {base}/heroes");
        }
        None => println!("  (JWT_SECRET is unset and JWKS is configured: no dev token)"),
    }
    println!("ready: {base}/health");
    let app = devserver::router(&deps);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let shutdown = async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return shutdown.await,
            };
        tokio::select! {
            _ = shutdown => {},
            _ = term.recv() => {},
        }
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("server error: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
