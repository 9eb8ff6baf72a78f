//! Lambda entry point of `stories`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::run_lambda(stories::App::new).await
}
