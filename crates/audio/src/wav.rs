//! Minimal PCM WAV helpers for the offline (espeak-ng) narration path.
//!
//! * [`parse`] reads a RIFF/WAVE header (`fmt ` with PCM format 1 or
//!   `WAVE_FORMAT_EXTENSIBLE` carrying PCM) and measures the duration from the `data`
//!   chunk. Streamed WAVs whose RIFF/`data` sizes are placeholders (espeak-ng `--stdout`
//!   writes `0x7FFFFFFF`/`0xFFFFFFFF`, others write 0) are accepted: the `data` chunk then
//!   extends to the end of the input (rounded down to whole sample frames).
//! * [`join_wav`] concatenates same-format PCM WAVs into one canonical 44-byte-header
//!   WAV with correct sizes.
//! * [`sine_wav`] renders a soft placeholder tone (16-bit mono) with fades.

/// Errors of WAV parsing and joining.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WavError {
    /// Not a RIFF/WAVE file or too short for its header.
    #[error("not a RIFF/WAVE file")]
    NotWav,
    /// A chunk header that runs past the end, or a missing `fmt `/`data` chunk.
    #[error("malformed WAV: {0}")]
    Malformed(&'static str),
    /// Not integer PCM (e.g. float, µ-law, ADPCM).
    #[error("unsupported WAV format tag {0:#06x} (PCM only)")]
    NotPcm(u16),
    /// [`join_wav`] was given no inputs.
    #[error("nothing to join")]
    NoInputs,
    /// [`join_wav`] inputs differ in channels, sample rate or bits per sample.
    #[error("input {index} has format {found}, first input has {expected}")]
    FormatMismatch {
        /// Index of the input.
        index: usize,
        /// Format of the first input.
        expected: String,
        /// Format of this input.
        found: String,
    },
    /// [`join_wav`] output would exceed the 4 GiB RIFF size limit.
    #[error("joined WAV too large")]
    TooLarge,
}

/// Facts about a PCM WAV, from [`parse`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WavInfo {
    /// Channels.
    pub channels: u16,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Bits per sample (8, 16, 24, 32).
    pub bits_per_sample: u16,
    /// Bytes per sample frame (all channels).
    pub block_align: u16,
    /// Byte offset of the PCM data.
    pub data_offset: usize,
    /// Length of the PCM data in bytes (whole sample frames).
    pub data_len: usize,
    /// Sample frames (`data_len / block_align`).
    pub frames: u64,
    /// `frames / sample_rate`.
    pub duration_seconds: f64,
}

impl WavInfo {
    fn format_description(&self) -> String {
        format!(
            "{} ch, {} Hz, {}-bit",
            self.channels, self.sample_rate, self.bits_per_sample
        )
    }
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Parses a PCM WAV header and measures its duration.
///
/// # Errors
/// [`WavError`] for non-WAV input, malformed chunks, or non-PCM formats.
pub fn parse(data: &[u8]) -> Result<WavInfo, WavError> {
    if data.len() < 12 || &data[..4] != b"RIFF" || &data[8..12] != b"WAVE" {
        return Err(WavError::NotWav);
    }
    let mut pos = 12;
    let mut fmt: Option<(u16, u32, u16, u16)> = None;
    while pos + 8 <= data.len() {
        let id = &data[pos..pos + 4];
        let size = le32(data, pos + 4).ok_or(WavError::Malformed("chunk header"))? as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if size < 16 || body + 16 > data.len() {
                return Err(WavError::Malformed("fmt chunk"));
            }
            let mut tag = le16(data, body).ok_or(WavError::Malformed("fmt chunk"))?;
            let channels = le16(data, body + 2).ok_or(WavError::Malformed("fmt chunk"))?;
            let rate = le32(data, body + 4).ok_or(WavError::Malformed("fmt chunk"))?;
            let align = le16(data, body + 12).ok_or(WavError::Malformed("fmt chunk"))?;
            let bits = le16(data, body + 14).ok_or(WavError::Malformed("fmt chunk"))?;
            if tag == 0xFFFE {
                // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the real tag.
                tag = le16(data, body + 24).ok_or(WavError::Malformed("extensible fmt"))?;
            }
            if tag != 1 {
                return Err(WavError::NotPcm(tag));
            }
            if channels == 0 || rate == 0 || align == 0 || bits == 0 {
                return Err(WavError::Malformed("zero field in fmt"));
            }
            fmt = Some((channels, rate, bits, align));
        } else if id == b"data" {
            let (channels, sample_rate, bits_per_sample, block_align) =
                fmt.ok_or(WavError::Malformed("data before fmt"))?;
            let available = data.len() - body;
            let len = if size == 0 || size > available {
                available
            } else {
                size
            };
            let len = len - len % usize::from(block_align);
            let frames = (len / usize::from(block_align)) as u64;
            return Ok(WavInfo {
                channels,
                sample_rate,
                bits_per_sample,
                block_align,
                data_offset: body,
                data_len: len,
                frames,
                duration_seconds: frames as f64 / f64::from(sample_rate),
            });
        }
        pos = body.saturating_add(size).saturating_add(size & 1);
    }
    Err(WavError::Malformed(if fmt.is_some() {
        "no data chunk"
    } else {
        "no fmt chunk"
    }))
}

/// A canonical 44-byte PCM WAV header for `data_len` bytes of PCM.
///
/// # Errors
/// [`WavError::TooLarge`] when the sizes do not fit the RIFF 32-bit fields.
pub fn wav_header(
    channels: u16,
    sample_rate: u32,
    bits_per_sample: u16,
    data_len: usize,
) -> Result<[u8; 44], WavError> {
    let data_len = u32::try_from(data_len).map_err(|_| WavError::TooLarge)?;
    let riff_len = data_len.checked_add(36).ok_or(WavError::TooLarge)?;
    let block_align = channels.saturating_mul(bits_per_sample.div_ceil(8));
    let byte_rate = sample_rate.saturating_mul(u32::from(block_align));
    let mut h = [0u8; 44];
    h[..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&riff_len.to_le_bytes());
    h[8..16].copy_from_slice(b"WAVEfmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes());
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&bits_per_sample.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    Ok(h)
}

/// Concatenates PCM WAVs of one format (channels, sample rate, bits per sample) into one
/// canonical WAV (44-byte header, correct RIFF and `data` sizes). Extra chunks of the
/// inputs (`LIST`, `fact`, …) are dropped.
///
/// # Errors
/// [`WavError::NoInputs`], any input's parse error, [`WavError::FormatMismatch`], or
/// [`WavError::TooLarge`].
pub fn join_wav(inputs: &[&[u8]]) -> Result<Vec<u8>, WavError> {
    let infos = inputs
        .iter()
        .map(|w| parse(w))
        .collect::<Result<Vec<_>, _>>()?;
    let first = *infos.first().ok_or(WavError::NoInputs)?;
    for (index, info) in infos.iter().enumerate() {
        if (
            info.channels,
            info.sample_rate,
            info.bits_per_sample,
            info.block_align,
        ) != (
            first.channels,
            first.sample_rate,
            first.bits_per_sample,
            first.block_align,
        ) {
            return Err(WavError::FormatMismatch {
                index,
                expected: first.format_description(),
                found: info.format_description(),
            });
        }
    }
    let total: usize = infos.iter().map(|i| i.data_len).sum();
    let header = wav_header(
        first.channels,
        first.sample_rate,
        first.bits_per_sample,
        total,
    )?;
    let mut out = Vec::with_capacity(44 + total);
    out.extend_from_slice(&header);
    for (w, i) in inputs.iter().zip(&infos) {
        out.extend_from_slice(&w[i.data_offset..i.data_offset + i.data_len]);
    }
    Ok(out)
}

/// Longest tone [`sine_wav`] renders; longer requests are clamped.
pub const MAX_SINE_SECONDS: f64 = 3600.0;

/// A soft placeholder tone: 16-bit mono PCM WAV of `seconds` (rounded to whole samples,
/// clamped to `0..=`[`MAX_SINE_SECONDS`]; NaN means 0) at `sample_rate` Hz (0 is treated
/// as 8000), a sine at `freq` Hz with peak amplitude 20 % of full scale and raised-cosine
/// fade-in and fade-out of 50 ms each (shortened to a quarter of the tone if shorter).
#[must_use]
pub fn sine_wav(seconds: f64, sample_rate: u32, freq: f64) -> Vec<u8> {
    let sample_rate = if sample_rate == 0 { 8000 } else { sample_rate };
    let seconds = if seconds.is_finite() {
        seconds.clamp(0.0, MAX_SINE_SECONDS)
    } else {
        0.0
    };
    let freq = if freq.is_finite() { freq } else { 0.0 };
    let sr = f64::from(sample_rate);
    let n = (seconds * sr).round() as usize;
    let fade = ((0.05 * sr) as usize).min(n / 4).max(1);
    let amp = 0.2 * f64::from(i16::MAX);
    let mut out = Vec::with_capacity(44 + 2 * n);
    // 2 * n <= 2 * 3600 * u32::MAX fits usize but may exceed u32: fall back to an empty tone.
    let Ok(header) = wav_header(1, sample_rate, 16, 2 * n) else {
        return wav_header(1, sample_rate, 16, 0)
            .map(|h| h.to_vec())
            .unwrap_or_default();
    };
    out.extend_from_slice(&header);
    for i in 0..n {
        let t = i as f64 / sr;
        let edge = i.min(n - 1 - i);
        let gain = if edge < fade {
            0.5 - 0.5 * (std::f64::consts::PI * edge as f64 / fade as f64).cos()
        } else {
            1.0
        };
        let v = (amp * gain * (2.0 * std::f64::consts::PI * freq * t).sin()).round() as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}
