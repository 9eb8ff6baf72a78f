//! MPEG audio frame headers (MPEG-1, MPEG-2, MPEG-2.5; Layers I, II and III).

use std::fmt;

/// MPEG audio version of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MpegVersion {
    /// MPEG-1 (32, 44.1, 48 kHz).
    V1,
    /// MPEG-2 LSF (16, 22.05, 24 kHz).
    V2,
    /// MPEG-2.5 (8, 11.025, 12 kHz), an unofficial but widespread extension.
    V25,
}

/// MPEG audio layer of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Layer I (384 samples per frame).
    I,
    /// Layer II (1152 samples per frame).
    II,
    /// Layer III, i.e. "MP3" (1152 samples per frame for MPEG-1, 576 otherwise).
    III,
}

/// Channel mode of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelMode {
    /// Two independent channels.
    Stereo,
    /// Joint stereo (M/S and/or intensity stereo).
    JointStereo,
    /// Two mono channels.
    DualChannel,
    /// One channel.
    Mono,
}

impl ChannelMode {
    /// Number of channels (1 for mono, 2 otherwise).
    #[must_use]
    pub fn channels(self) -> u8 {
        if self == Self::Mono { 1 } else { 2 }
    }

    fn bits(self) -> u32 {
        match self {
            Self::Stereo => 0,
            Self::JointStereo => 1,
            Self::DualChannel => 2,
            Self::Mono => 3,
        }
    }
}

impl fmt::Display for MpegVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1 => "MPEG-1",
            Self::V2 => "MPEG-2",
            Self::V25 => "MPEG-2.5",
        })
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::I => "Layer I",
            Self::II => "Layer II",
            Self::III => "Layer III",
        })
    }
}

/// Why four bytes are not a usable MPEG audio frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Fewer than four bytes available.
    #[error("fewer than 4 bytes")]
    TooShort,
    /// The 11-bit frame sync is not all ones.
    #[error("no frame sync")]
    NoSync,
    /// Version bits `01` (reserved).
    #[error("reserved MPEG version")]
    ReservedVersion,
    /// Layer bits `00` (reserved).
    #[error("reserved layer")]
    ReservedLayer,
    /// Bitrate index 0: "free format" streams are not supported.
    #[error("free-format bitrate is not supported")]
    FreeFormat,
    /// Bitrate index 15 (invalid).
    #[error("invalid bitrate index")]
    BadBitrate,
    /// Sample-rate index 3 (reserved).
    #[error("reserved sample rate")]
    ReservedSampleRate,
    /// Emphasis `10` (reserved).
    #[error("reserved emphasis")]
    ReservedEmphasis,
}

const BITRATES_V1_L1: [u32; 15] = [
    0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
];
const BITRATES_V1_L2: [u32; 15] = [
    0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
];
const BITRATES_V1_L3: [u32; 15] = [
    0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
const BITRATES_V2_L1: [u32; 15] = [
    0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
];
const BITRATES_V2_L23: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

fn bitrate_table(version: MpegVersion, layer: Layer) -> &'static [u32; 15] {
    match (version, layer) {
        (MpegVersion::V1, Layer::I) => &BITRATES_V1_L1,
        (MpegVersion::V1, Layer::II) => &BITRATES_V1_L2,
        (MpegVersion::V1, Layer::III) => &BITRATES_V1_L3,
        (_, Layer::I) => &BITRATES_V2_L1,
        (_, _) => &BITRATES_V2_L23,
    }
}

fn sample_rate_table(version: MpegVersion) -> [u32; 3] {
    match version {
        MpegVersion::V1 => [44_100, 48_000, 32_000],
        MpegVersion::V2 => [22_050, 24_000, 16_000],
        MpegVersion::V25 => [11_025, 12_000, 8_000],
    }
}

/// The MPEG version whose sample-rate table holds `sample_rate`, if any.
#[must_use]
pub fn version_for_sample_rate(sample_rate: u32) -> Option<MpegVersion> {
    [MpegVersion::V1, MpegVersion::V2, MpegVersion::V25]
        .into_iter()
        .find(|v| sample_rate_table(*v).contains(&sample_rate))
}

/// The bitrates (kbps) valid for a version and layer, ascending.
#[must_use]
pub fn valid_bitrates(version: MpegVersion, layer: Layer) -> &'static [u32] {
    &bitrate_table(version, layer)[1..]
}

/// A decoded 4-byte MPEG audio frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// MPEG version.
    pub version: MpegVersion,
    /// Layer.
    pub layer: Layer,
    /// `true` when a 16-bit CRC follows the header.
    pub crc_protected: bool,
    /// Bitrate in kbps (never 0: free format is rejected).
    pub bitrate_kbps: u32,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// `true` when the frame carries one padding slot.
    pub padding: bool,
    /// Channel mode.
    pub channel_mode: ChannelMode,
    /// The raw 32-bit header word (big-endian), for the bits not decoded above.
    pub raw: u32,
}

impl FrameHeader {
    /// Decodes the header at the start of `bytes` (at least four bytes).
    ///
    /// # Errors
    /// A [`HeaderError`] when the bytes are not a valid, non-free-format header.
    pub fn parse(bytes: &[u8]) -> Result<Self, HeaderError> {
        let b: [u8; 4] = bytes
            .get(..4)
            .and_then(|s| s.try_into().ok())
            .ok_or(HeaderError::TooShort)?;
        let raw = u32::from_be_bytes(b);
        if raw >> 21 != 0x7FF {
            return Err(HeaderError::NoSync);
        }
        let version = match (raw >> 19) & 3 {
            0 => MpegVersion::V25,
            2 => MpegVersion::V2,
            3 => MpegVersion::V1,
            _ => return Err(HeaderError::ReservedVersion),
        };
        let layer = match (raw >> 17) & 3 {
            1 => Layer::III,
            2 => Layer::II,
            3 => Layer::I,
            _ => return Err(HeaderError::ReservedLayer),
        };
        let crc_protected = (raw >> 16) & 1 == 0;
        let bitrate_index = ((raw >> 12) & 0xF) as usize;
        let bitrate_kbps = match bitrate_index {
            0 => return Err(HeaderError::FreeFormat),
            15 => return Err(HeaderError::BadBitrate),
            i => bitrate_table(version, layer)[i],
        };
        let sr_index = ((raw >> 10) & 3) as usize;
        let sample_rate = *sample_rate_table(version)
            .get(sr_index)
            .ok_or(HeaderError::ReservedSampleRate)?;
        if raw & 3 == 2 {
            return Err(HeaderError::ReservedEmphasis);
        }
        let padding = (raw >> 9) & 1 == 1;
        let channel_mode = match (raw >> 6) & 3 {
            0 => ChannelMode::Stereo,
            1 => ChannelMode::JointStereo,
            2 => ChannelMode::DualChannel,
            _ => ChannelMode::Mono,
        };
        Ok(Self {
            version,
            layer,
            crc_protected,
            bitrate_kbps,
            sample_rate,
            padding,
            channel_mode,
            raw,
        })
    }

    /// Builds a header (no CRC, not copyrighted, "original" bit set, no emphasis).
    ///
    /// Returns `None` when the sample rate or bitrate is not in the tables of the version
    /// implied by the sample rate.
    #[must_use]
    pub fn new(
        layer: Layer,
        sample_rate: u32,
        bitrate_kbps: u32,
        channel_mode: ChannelMode,
        padding: bool,
    ) -> Option<Self> {
        let version = version_for_sample_rate(sample_rate)?;
        let sr_index = sample_rate_table(version)
            .iter()
            .position(|s| *s == sample_rate)?;
        let br_index = bitrate_table(version, layer)
            .iter()
            .skip(1)
            .position(|b| *b == bitrate_kbps)?
            + 1;
        let version_bits: u32 = match version {
            MpegVersion::V1 => 3,
            MpegVersion::V2 => 2,
            MpegVersion::V25 => 0,
        };
        let layer_bits: u32 = match layer {
            Layer::I => 3,
            Layer::II => 2,
            Layer::III => 1,
        };
        let raw = (0x7FF << 21)
            | (version_bits << 19)
            | (layer_bits << 17)
            | (1 << 16) // protection bit set = no CRC
            | ((br_index as u32) << 12)
            | ((sr_index as u32) << 10)
            | (u32::from(padding) << 9)
            | (channel_mode.bits() << 6)
            | (1 << 2); // original
        Some(Self {
            version,
            layer,
            crc_protected: false,
            bitrate_kbps,
            sample_rate,
            padding,
            channel_mode,
            raw,
        })
    }

    /// The header as it is written in a stream.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 4] {
        self.raw.to_be_bytes()
    }

    /// Number of channels.
    #[must_use]
    pub fn channels(&self) -> u8 {
        self.channel_mode.channels()
    }

    /// PCM samples (per channel) decoded from one frame.
    #[must_use]
    pub fn samples_per_frame(&self) -> u32 {
        match (self.layer, self.version) {
            (Layer::I, _) => 384,
            (Layer::II, _) | (Layer::III, MpegVersion::V1) => 1152,
            (Layer::III, _) => 576,
        }
    }

    /// Total frame length in bytes, header and padding included.
    #[must_use]
    pub fn frame_len(&self) -> usize {
        let br = u64::from(self.bitrate_kbps) * 1000;
        let sr = u64::from(self.sample_rate);
        let pad = u64::from(self.padding);
        let len = match (self.layer, self.version) {
            (Layer::I, _) => (12 * br / sr + pad) * 4,
            (Layer::II, _) | (Layer::III, MpegVersion::V1) => 144 * br / sr + pad,
            (Layer::III, _) => 72 * br / sr + pad,
        };
        usize::try_from(len).unwrap_or(usize::MAX)
    }

    /// Length of the Layer III side information (0 for Layers I and II).
    #[must_use]
    pub fn side_info_len(&self) -> usize {
        match (self.layer, self.version, self.channel_mode) {
            (Layer::III, MpegVersion::V1, ChannelMode::Mono) => 17,
            (Layer::III, MpegVersion::V1, _) => 32,
            (Layer::III, _, ChannelMode::Mono) => 9,
            (Layer::III, _, _) => 17,
            _ => 0,
        }
    }

    /// Duration of one frame in seconds.
    #[must_use]
    pub fn frame_seconds(&self) -> f64 {
        f64::from(self.samples_per_frame()) / f64::from(self.sample_rate)
    }

    /// The same header with another bitrate and padding flag (`None` if the bitrate is
    /// not valid for this version and layer).
    #[must_use]
    pub fn with_bitrate(&self, bitrate_kbps: u32, padding: bool) -> Option<Self> {
        let br_index = bitrate_table(self.version, self.layer)
            .iter()
            .skip(1)
            .position(|b| *b == bitrate_kbps)?
            + 1;
        let raw = (self.raw & !(0xF << 12) & !(1 << 9))
            | ((br_index as u32) << 12)
            | (u32::from(padding) << 9);
        Some(Self {
            bitrate_kbps,
            padding,
            raw,
            ..*self
        })
    }

    /// `true` when both frames can live in one stream (same version, layer, sample rate
    /// and channel count).
    #[must_use]
    pub fn compatible_with(&self, other: &Self) -> bool {
        self.version == other.version
            && self.layer == other.layer
            && self.sample_rate == other.sample_rate
            && self.channels() == other.channels()
    }

    /// A short description such as `MPEG-2 Layer III 24000 Hz mono`.
    #[must_use]
    pub fn format_description(&self) -> String {
        format!(
            "{} {} {} Hz {}",
            self.version,
            self.layer,
            self.sample_rate,
            if self.channels() == 1 {
                "mono"
            } else {
                "stereo"
            }
        )
    }
}
