//! A real (decodable) MP3 encoder for digital silence, for fakes and tests.

use super::Mp3Error;
use super::header::{ChannelMode, FrameHeader, Layer, MpegVersion};
use super::tags::id3v24_text_tag;
use super::vbr::build_header_frame;

/// Longest silence [`encode_silence_with`] produces; longer requests are clamped.
pub const MAX_SILENCE_SECONDS: f64 = 3600.0;

/// Text of the `TSSE` (encoder settings) frame in the ID3v2.4 tag of generated silence.
pub const SILENCE_ENCODER_NAME: &str = "InfiniteStories audio silence encoder";

/// Options for [`encode_silence_with`].
///
/// The default is shaped like OpenAI `/audio/speech` MP3 output: MPEG-2 Layer III,
/// 24 kHz, mono, 160 kbps CBR, with an ID3v2.4 tag (`TSSE`) and an `Info` header frame.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceOptions {
    /// Wanted duration; rounded *up* to whole frames, at least one frame, at most
    /// [`MAX_SILENCE_SECONDS`] (also for +∞). NaN, zero and negative values mean one
    /// frame.
    pub seconds: f64,
    /// Sample rate in Hz: one of 8000, 11025, 12000 (MPEG-2.5), 16000, 22050, 24000
    /// (MPEG-2), 32000, 44100, 48000 (MPEG-1).
    pub sample_rate: u32,
    /// Constant bitrate in kbps, valid for the MPEG version implied by the sample rate.
    pub bitrate_kbps: u32,
    /// 1 (mono) or 2 (stereo).
    pub channels: u8,
    /// Prefix an ID3v2.4 tag with a `TSSE` frame.
    pub id3v2: bool,
    /// Start with an `Info` header frame (frame count, byte count, TOC).
    pub info_header: bool,
}

impl Default for SilenceOptions {
    fn default() -> Self {
        Self {
            seconds: 1.0,
            sample_rate: 24_000,
            bitrate_kbps: 160,
            channels: 1,
            id3v2: true,
            info_header: true,
        }
    }
}

impl SilenceOptions {
    /// Default (OpenAI-like) options for `seconds` of silence.
    #[must_use]
    pub fn seconds(seconds: f64) -> Self {
        Self {
            seconds,
            ..Self::default()
        }
    }
}

/// `seconds` of silence as an OpenAI-like MP3 (see [`SilenceOptions::default`]): an
/// ID3v2.4 tag, an `Info` frame, then `ceil(seconds / 0.024)` (at least one) silent
/// MPEG-2 Layer III frames of 576 samples at 24 kHz, 480 bytes each.
///
/// Every audio frame has all-zero side information (no Huffman data, no scale factors),
/// which any decoder renders as digital silence.
#[must_use]
pub fn encode_silence(seconds: f64) -> Vec<u8> {
    encode_silence_with(&SilenceOptions::seconds(seconds)).unwrap_or_default()
}

/// Silence with explicit options.
///
/// Padding slots are distributed like a real CBR encoder does (e.g. 44.1 kHz at
/// 128 kbps alternates 417- and 418-byte frames), so the average bitrate is exact.
///
/// # Errors
/// [`Mp3Error::InvalidOptions`] for an unsupported sample rate, a bitrate not valid for
/// that sample rate's MPEG version, or a channel count other than 1 or 2.
pub fn encode_silence_with(opts: &SilenceOptions) -> Result<Vec<u8>, Mp3Error> {
    let mode = match opts.channels {
        1 => ChannelMode::Mono,
        2 => ChannelMode::Stereo,
        n => return Err(Mp3Error::InvalidOptions(format!("{n} channels"))),
    };
    let header = FrameHeader::new(Layer::III, opts.sample_rate, opts.bitrate_kbps, mode, false)
        .ok_or_else(|| {
            Mp3Error::InvalidOptions(format!(
                "{} kbps at {} Hz is not a valid Layer III combination",
                opts.bitrate_kbps, opts.sample_rate
            ))
        })?;
    let seconds = if opts.seconds > 0.0 {
        opts.seconds.min(MAX_SILENCE_SECONDS)
    } else {
        0.0
    };
    let spf = f64::from(header.samples_per_frame());
    let sr = u64::from(opts.sample_rate);
    // Frames needed, rounded up; the small epsilon keeps exact multiples exact.
    let wanted = (seconds * sr as f64 / spf - 1e-9).ceil();
    let count = if wanted >= 1.0 { wanted as usize } else { 1 };

    let coef: u64 = if header.version == MpegVersion::V1 {
        144
    } else {
        72
    };
    let exact = coef * u64::from(opts.bitrate_kbps) * 1000;
    let rem = exact % sr;
    let mut acc = 0u64;
    let mut lens = Vec::with_capacity(count);
    let mut audio = Vec::new();
    for _ in 0..count {
        acc += rem;
        let pad = acc >= sr;
        if pad {
            acc -= sr;
        }
        let h = FrameHeader::new(Layer::III, opts.sample_rate, opts.bitrate_kbps, mode, pad)
            .ok_or_else(|| Mp3Error::InvalidOptions("header".into()))?;
        let len = h.frame_len();
        let start = audio.len();
        audio.resize(start + len, 0);
        audio[start..start + 4].copy_from_slice(&h.to_bytes());
        lens.push(len);
    }

    let mut out = Vec::with_capacity(audio.len() + 1024);
    if opts.id3v2 {
        out.extend_from_slice(&id3v24_text_tag(*b"TSSE", SILENCE_ENCODER_NAME));
    }
    if opts.info_header
        && let Some(frame) = build_header_frame(&header, &lens, true)
    {
        out.extend_from_slice(&frame);
    }
    out.extend_from_slice(&audio);
    Ok(out)
}
