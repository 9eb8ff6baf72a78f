//! Lambda entry point of `scene-illustration`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::prebuild_safety_engine();
    wiring::run_lambda(scene_illustration::App::new).await
}
