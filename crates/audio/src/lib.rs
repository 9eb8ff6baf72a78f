//! Pure audio helpers for the InfiniteStories audio-synthesis function (SPEC §5.4).
//!
//! Everything here is synchronous, allocation-only code: no IO, no async, no network.
//!
//! * [`chunk`] — sentence-aware splitting of story text under a TTS provider's
//!   per-request character limit (4,096 chars for OpenAI `/audio/speech`).
//! * [`mp3`] — MPEG audio frame-header parsing, tag skipping (ID3v2/ID3v1/APEv2),
//!   Xing/Info/VBRI detection, measured durations, joining of several MP3s into one
//!   valid stream with a fresh Info/Xing header, and a real silent-MP3 encoder for fakes
//!   and tests.
//! * [`wav`] — PCM WAV header parsing (durations for the offline espeak-ng path),
//!   joining of same-format WAVs and a soft placeholder sine tone.

pub mod chunk;
pub mod mp3;
pub mod wav;
