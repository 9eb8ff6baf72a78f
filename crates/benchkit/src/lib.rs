//! Bench-only tools behind `scripts/bench` (issue 11). Nothing here is deployed and no other
//! crate depends on this one; it may depend on every function crate because it times them.
//!
//! - [`emulator`]: a minimal Lambda Runtime API that spawns a function binary, hands it one
//!   API Gateway v2 event and times exec → first `/next` → the response POST.
//! - [`init`]: the cold-start init steps of `wiring::run_lambda`, timed one by one in a fresh
//!   child process per start (same constructors, same order).
//! - [`cpu`]: warm handler cost per request, in process, with the offline provider and the
//!   embedded backend on a tmpfs directory (no network, no disk).
//! - [`hello`]: the minimal hyper "hello" server used as the physical-limit reference.
//! - [`tokens`]: HS256 tokens (and matching hero ids) for many bench users.

pub mod args;
pub mod cpu;
pub mod emulator;
pub mod event;
pub mod hello;
pub mod init;
pub mod stats;
pub mod tokens;

/// The eight functions, by binary (= crate) name.
pub const FUNCTIONS: [&str; 8] = [
    "story-generation",
    "extract-scenes",
    "audio-synthesis",
    "avatar-generation",
    "scene-illustration",
    "health",
    "heroes",
    "stories",
];

/// Builds the function called `name` over `deps` (the `App::new` its `main.rs` calls).
pub fn build_function(
    name: &str,
    deps: wiring::Deps,
) -> Option<std::sync::Arc<dyn edge::Function>> {
    use std::sync::Arc;
    let f: Arc<dyn edge::Function> = match name {
        "story-generation" => Arc::new(story_generation::App::new(deps)),
        "extract-scenes" => Arc::new(extract_scenes::App::new(deps)),
        "audio-synthesis" => Arc::new(audio_synthesis::App::new(deps)),
        "avatar-generation" => Arc::new(avatar_generation::App::new(deps)),
        "scene-illustration" => Arc::new(scene_illustration::App::new(deps)),
        "health" => Arc::new(health::App::new(deps)),
        "heroes" => Arc::new(heroes::App::new(deps)),
        "stories" => Arc::new(stories::App::new(deps)),
        _ => return None,
    };
    Some(f)
}
