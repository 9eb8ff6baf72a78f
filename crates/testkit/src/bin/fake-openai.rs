//! Runs the fake OpenAI-compatible server on 127.0.0.1 until Ctrl-C.
//!
//! Port: `--port N` (or `--port=N`), else `FAKE_OPENAI_PORT`, else 0 (ephemeral). Prints the
//! bound base URL so the dev server can use it as `OPENAI_BASE_URL`.

use std::net::SocketAddr;
use std::process::ExitCode;
use testkit::FakeOpenAi;

fn port_from(args: &[String], env: Option<String>) -> Result<u16, String> {
    let mut iter = args.iter();
    let mut raw: Option<String> = None;
    while let Some(arg) = iter.next() {
        if let Some(v) = arg.strip_prefix("--port=") {
            raw = Some(v.to_owned());
        } else if arg == "--port" {
            raw = iter.next().cloned();
        } else if arg == "--help" || arg == "-h" {
            return Err(
                "usage: fake-openai [--port N]   (env FAKE_OPENAI_PORT; 0 = ephemeral)".to_owned(),
            );
        } else {
            return Err(format!("unknown argument {arg:?} (try --help)"));
        }
    }
    match raw.or(env) {
        None => Ok(0),
        Some(v) => v.trim().parse().map_err(|_| format!("invalid port {v:?}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = match port_from(&args, std::env::var("FAKE_OPENAI_PORT").ok()) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let fake = match FakeOpenAi::start_on(SocketAddr::from(([127, 0, 0, 1], port))).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fake-openai: cannot bind 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("fake-openai listening on {}", fake.base_url());
    println!("OPENAI_BASE_URL={}", fake.base_url());
    println!(
        "admin: POST http://{0}/__admin/faults | /__admin/latency | /__admin/reset | /__admin/models, GET /__admin/requests",
        fake.addr()
    );
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("fake-openai: cannot listen for Ctrl-C; stopping");
    }
    drop(fake);
    ExitCode::SUCCESS
}
