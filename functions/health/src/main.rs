//! Lambda entry point of `health`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::run_lambda(health::App::new).await
}
