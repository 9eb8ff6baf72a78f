//! Lambda entry point of `heroes`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::run_lambda(heroes::App::new).await
}
