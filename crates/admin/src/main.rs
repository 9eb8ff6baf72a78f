//! `cargo run -p admin -- usage --since 24h [--function story-generation] [--json]`

use std::process::ExitCode;

const USAGE: &str = "usage: admin usage [--since 24h|7d|<RFC 3339>] [--until <RFC 3339>] [--function NAME] [--json]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if cmd != "usage" {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let parsed = match admin::parse_usage_args(rest, chrono::Utc::now()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let deps = match wiring::Deps::from_env().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match admin::usage_report(&deps.backend, &parsed).await {
        Ok(report) => {
            println!("{}", admin::render(&report, parsed.json));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("could not read the usage ledger: {e}");
            ExitCode::from(1)
        }
    }
}
