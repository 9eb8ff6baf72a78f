//! Lambda entry point of `extract-scenes`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::run_lambda(extract_scenes::App::new).await
}
