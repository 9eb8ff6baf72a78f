//! Tracing initialisation: JSON lines in Lambda (CloudWatch-friendly), compact text locally.

use config::Settings;
use tracing_subscriber::EnvFilter;

/// Where the process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Inside AWS Lambda: JSON logs without ANSI colours or timestamps (Lambda adds them).
    Lambda,
    /// A terminal: compact human-readable logs.
    Local,
}

/// Installs the global subscriber once; later calls are ignored.
pub fn init(settings: &Settings, mode: Mode) {
    let level = if settings.debug_mode {
        "debug"
    } else {
        settings.log_level.as_str()
    };
    // Dependencies stay at warn so their logs cannot leak request contents.
    let filter = EnvFilter::try_new(format!(
        "warn,edge={level},storage={level},providers={level},safety={level},wiring={level},devserver={level},heroes={level},health={level},story_generation={level},extract_scenes={level},audio_synthesis={level},avatar_generation={level},scene_illustration={level},stories={level},accounting={level}"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info"));
    let result = match mode {
        Mode::Lambda => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_ansi(false)
            .without_time()
            .with_current_span(false)
            .try_init(),
        Mode::Local => tracing_subscriber::fmt()
            .compact()
            .with_env_filter(filter)
            .with_target(false)
            .try_init(),
    };
    let _ = result;
}

/// True when running inside AWS Lambda.
pub fn running_in_lambda(lookup: impl Fn(&str) -> Option<String>) -> bool {
    lookup("AWS_LAMBDA_FUNCTION_NAME").is_some() && lookup("AWS_LAMBDA_RUNTIME_API").is_some()
}
