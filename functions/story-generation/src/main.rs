//! Lambda entry point of `story-generation`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::run_lambda(story_generation::App::new).await
}
