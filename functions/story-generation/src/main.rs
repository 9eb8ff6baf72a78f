//! Lambda entry point of `story-generation`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::prebuild_safety_engine();
    wiring::run_lambda(story_generation::App::new).await
}
