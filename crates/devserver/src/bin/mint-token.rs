//! Mints an HS256 dev token: `mint-token <sub> [role] [ttl_secs]`, signed with `JWT_SECRET`
//! (or the public dev secret outside production).

use config::Settings;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(sub) = args.first() else {
        eprintln!("usage: mint-token <sub> [role=authenticated] [ttl_secs=86400]");
        return ExitCode::from(2);
    };
    let role = args.get(1).map(String::as_str).unwrap_or("authenticated");
    let ttl: u64 = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(86_400);
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let Some(secret) = settings.jwt_secret else {
        eprintln!("JWT_SECRET is not set");
        return ExitCode::from(2);
    };
    match edge::auth::mint_hs256(
        secret.expose(),
        sub,
        role,
        std::time::Duration::from_secs(ttl),
        settings.jwt_issuer.as_deref(),
    ) {
        Ok(t) => {
            println!("{t}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
