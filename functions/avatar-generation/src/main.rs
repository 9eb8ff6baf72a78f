//! Lambda entry point of `avatar-generation`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::run_lambda(avatar_generation::App::new).await
}
