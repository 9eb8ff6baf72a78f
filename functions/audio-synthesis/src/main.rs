//! Lambda entry point of `audio-synthesis`: wiring only.

#[tokio::main]
async fn main() -> Result<(), wiring::BoxError> {
    wiring::prebuild_safety_engine();
    wiring::run_lambda(audio_synthesis::App::new).await
}
