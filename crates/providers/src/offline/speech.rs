//! Offline narration: `espeak-ng` when it is on `PATH`, otherwise a clearly-labelled
//! placeholder tone whose length matches the text at the narration pace.

use domain::Language;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

/// Sample rate of the placeholder tone.
pub(crate) const TONE_SAMPLE_RATE: u32 = 16_000;
/// Label written into the placeholder's RIFF INFO chunk.
pub(crate) const TONE_LABEL: &str =
    "InfiniteStories offline placeholder tone - no speech engine installed (install espeak-ng)";

/// `espeak-ng` on `PATH`, looked up once.
pub(crate) fn espeak_path() -> Option<&'static PathBuf> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join("espeak-ng"))
            .find(|candidate| candidate.is_file())
    })
    .as_ref()
}

/// Narration length of `text` at `language`'s pace and `speed`, at least one second.
pub(crate) fn narration_duration(text: &str, language: Language, speed: f32) -> f64 {
    let words = text.split_whitespace().count() as f64;
    let wpm = f64::from(language.narration_wpm()) * f64::from(speed.clamp(0.25, 4.0));
    (words * 60.0 / wpm).max(1.0)
}

/// Runs espeak-ng; `None` when it fails or runs past the deadline (the caller falls back to
/// the placeholder tone).
pub(crate) async fn espeak(
    binary: &PathBuf,
    text: &str,
    language: Language,
    speed: f32,
    deadline: Instant,
) -> Option<Vec<u8>> {
    let wpm = (f64::from(language.narration_wpm()) * f64::from(speed.clamp(0.5, 2.0))).round();
    let mut child = tokio::process::Command::new(binary)
        .arg("-v")
        .arg(language.code())
        .arg("-s")
        .arg(format!("{wpm}"))
        .arg("--stdout")
        .arg("--stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = text.to_owned();
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(input.as_bytes()).await;
        let _ = stdin.shutdown().await;
    });
    let remaining = deadline.saturating_duration_since(Instant::now());
    let output = tokio::time::timeout(
        remaining.min(Duration::from_secs(120)),
        child.wait_with_output(),
    )
    .await
    .ok()?
    .ok()?;
    let _ = writer.await;
    (output.status.success() && output.stdout.starts_with(b"RIFF")).then_some(output.stdout)
}

/// A soft, gently pulsing sine (one pulse per word-ish beat) as 16-bit mono PCM WAV with a
/// RIFF `LIST/INFO` chunk naming it a placeholder.
pub(crate) fn placeholder_tone(seconds: f64) -> Vec<u8> {
    let rate = TONE_SAMPLE_RATE;
    let samples = (seconds * f64::from(rate)).round().max(1.0) as usize;
    let mut pcm: Vec<u8> = Vec::with_capacity(samples * 2);
    let fade = (f64::from(rate) * 0.05) as usize;
    for n in 0..samples {
        let t = n as f64 / f64::from(rate);
        let pulse = 0.6 + 0.4 * (std::f64::consts::TAU * 1.2 * t).sin().abs();
        let edge = (n.min(samples - 1 - n) as f64 / fade.max(1) as f64).min(1.0);
        let v = 0.12 * pulse * edge * (std::f64::consts::TAU * 196.0 * t).sin();
        let s = (v * f64::from(i16::MAX)) as i16;
        pcm.extend_from_slice(&s.to_le_bytes());
    }
    wav(&pcm, rate, 1, Some(TONE_LABEL))
}

/// A PCM WAV file around `pcm` (16-bit little endian).
fn wav(pcm: &[u8], rate: u32, channels: u16, label: Option<&str>) -> Vec<u8> {
    let mut info: Vec<u8> = Vec::new();
    if let Some(label) = label {
        let mut text = label.as_bytes().to_vec();
        text.push(0);
        if text.len() % 2 == 1 {
            text.push(0);
        }
        info.extend_from_slice(b"LIST");
        info.extend_from_slice(&((4 + 8 + text.len()) as u32).to_le_bytes());
        info.extend_from_slice(b"INFO");
        info.extend_from_slice(b"INAM");
        info.extend_from_slice(&(text.len() as u32).to_le_bytes());
        info.extend_from_slice(&text);
    }
    let block_align = channels * 2;
    let mut out = Vec::with_capacity(44 + info.len() + pcm.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((4 + 24 + info.len() + 8 + pcm.len()) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(&info);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(pcm.len() as u32).to_le_bytes());
    out.extend_from_slice(pcm);
    out
}
