//! Lambda entry point of `extract-scenes`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::prebuild_safety_engine();
    wiring::run_lambda(extract_scenes::App::new).await
}
