//! Lambda entry point of `avatar-generation`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::prebuild_safety_engine();
    wiring::run_lambda(avatar_generation::App::new).await
}
