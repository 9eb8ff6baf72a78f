//! MP3 (MPEG audio) streams: frame walking, measured durations, joining, silence.
//!
//! * [`parse`] walks every frame from the first to the last and measures the duration
//!   from the frames themselves (`frames × samples_per_frame / sample_rate`), never from
//!   the file size or a header's claims.
//! * [`join`] turns several MP3s (e.g. one per TTS chunk) into **one** valid stream:
//!   the first chunk's ID3v2 tag is kept, every other tag and every Xing/Info/VBRI header
//!   frame is dropped, the audio frames are concatenated and a fresh `Info` (CBR) or
//!   `Xing` (VBR) header frame describing the whole is written first.
//! * [`encode_silence`] produces real, decodable silent MP3s shaped like OpenAI's
//!   `/audio/speech` output (ID3v2.4 tag, `Info` frame, MPEG-2 Layer III 24 kHz mono
//!   160 kbps).
//!
//! # What [`parse`] accepts
//!
//! * Any number of ID3v2 tags (v2.2–v2.4, syncsafe sizes, v2.4 footer flag) before the
//!   first frame, followed by optional zero padding; further ID3v2 tags and APEv2 tags
//!   (with header) between frames are skipped and counted.
//! * At the end: ID3v1 (`TAG`, 128 bytes, optionally preceded by enhanced `TAG+`),
//!   APEv2 (footer, with or without header) and Lyrics3v2, in any order.
//! * Frames must follow each other exactly. All frames must share MPEG version, layer,
//!   sample rate and channel count (stereo, joint stereo and dual channel may mix);
//!   the bitrate may vary (VBR). Free-format frames are rejected.
//! * Trailing junk: after the last whole frame we tolerate (and report in
//!   [`Mp3Info::trailing_bytes`]) a *truncated final frame* (a valid, compatible header
//!   whose frame runs past the end, as a cut download leaves), fewer than four bytes, or
//!   any run of zero bytes. Anything else after or between frames is
//!   [`Mp3Error::Garbage`].
//! * Xing/Info/VBRI header frames are recognised wherever they are, counted in
//!   [`Mp3Info::header_frames`] and excluded from `frames`, `audio_bytes` and the
//!   duration.
//!
//! Joining caveat: Layer III frames may borrow bits from earlier frames (the "bit
//! reservoir"). Encoders start every stream with `main_data_begin = 0`, so the first
//! audio frame of each chunk never refers to the previous chunk; joined streams decode
//! exactly as their parts, except for each part's own encoder delay/padding (a few ms of
//! silence at every seam), which the fresh header does not describe (no LAME gapless tag).

mod header;
mod silence;
mod tags;
mod vbr;

use std::ops::Range;

pub use header::{
    ChannelMode, FrameHeader, HeaderError, Layer, MpegVersion, valid_bitrates,
    version_for_sample_rate,
};
pub use silence::{
    MAX_SILENCE_SECONDS, SILENCE_ENCODER_NAME, SilenceOptions, encode_silence, encode_silence_with,
};
pub use tags::{id3v24_text_tag, syncsafe_decode, syncsafe_encode};
pub use vbr::{VbrHeader, VbrKind, build_header_frame};

use tags::TagProbe;

/// Errors of MP3 parsing and joining. Never a panic, whatever the input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Mp3Error {
    /// No bytes at all.
    #[error("empty input")]
    Empty,
    /// No audio frame was found (only tags, or only a header frame).
    #[error("no MPEG audio frames")]
    NoFrames,
    /// A tag signature (`ID3`, `APETAGEX`, `LYRICSBEGIN`) with a malformed or
    /// out-of-bounds header.
    #[error("malformed {tag} tag at byte {offset}")]
    BadTag {
        /// Byte offset of the tag.
        offset: usize,
        /// Tag kind.
        tag: &'static str,
    },
    /// A free-format frame (bitrate index 0), which we do not support.
    #[error("free-format MPEG frame at byte {offset} is not supported")]
    FreeFormat {
        /// Byte offset of the frame.
        offset: usize,
    },
    /// Bytes that are neither a frame nor a tag where a frame was expected.
    #[error("garbage at byte {offset}: {reason}")]
    Garbage {
        /// Byte offset of the garbage.
        offset: usize,
        /// Why the bytes are not a frame header.
        reason: HeaderError,
    },
    /// A frame whose format differs from the stream's first frame.
    #[error("frame at byte {offset} is {found}, stream is {expected}")]
    Inconsistent {
        /// Byte offset of the frame.
        offset: usize,
        /// Format of the first frame.
        expected: String,
        /// Format of this frame.
        found: String,
    },
    /// [`join`] was given no chunks.
    #[error("nothing to join")]
    NoChunks,
    /// One chunk given to [`join`] is not a valid MP3.
    #[error("chunk {index}: {source}")]
    Chunk {
        /// Index of the chunk.
        index: usize,
        /// What is wrong with it.
        source: Box<Mp3Error>,
    },
    /// A chunk given to [`join`] has another sample rate, version, layer or channel count
    /// than the first.
    #[error("chunk {index} is {found}, first chunk is {expected}")]
    FormatMismatch {
        /// Index of the chunk.
        index: usize,
        /// Format of the first chunk.
        expected: String,
        /// Format of this chunk.
        found: String,
    },
    /// Options that cannot be encoded.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
}

/// One frame found by [`layout`].
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSpan {
    /// Byte offset of the frame header in the input.
    pub offset: usize,
    /// Frame length in bytes.
    pub len: usize,
    /// Decoded header.
    pub header: FrameHeader,
    /// `Some` when this frame is a Xing/Info/VBRI header frame rather than audio.
    pub vbr: Option<VbrHeader>,
}

/// Everything [`layout`] found in a stream, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Mp3Layout {
    /// All frames, header frames included, in stream order.
    pub frames: Vec<FrameSpan>,
    /// Byte ranges of all ID3v2 tags (leading and mid-stream).
    pub id3v2: Vec<Range<usize>>,
    /// Byte ranges of the tags at the end (ID3v1, APEv2, Lyrics3v2) and of mid-stream
    /// APEv2 tags.
    pub other_tags: Vec<Range<usize>>,
    /// Tolerated bytes after the last whole frame (see the module docs).
    pub trailing_bytes: usize,
}

impl Mp3Layout {
    /// The audio frames (header frames excluded).
    pub fn audio_frames(&self) -> impl Iterator<Item = &FrameSpan> {
        self.frames.iter().filter(|f| f.vbr.is_none())
    }

    /// The leading ID3v2 tag's range, if the stream starts with one.
    #[must_use]
    pub fn leading_id3v2(&self) -> Option<Range<usize>> {
        self.id3v2.first().filter(|r| r.start == 0).cloned()
    }
}

/// Measured facts about an MP3 stream, from [`parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Mp3Info {
    /// Audio frames (Xing/Info/VBRI header frames not counted).
    pub frames: u64,
    /// `frames × samples_per_frame / sample_rate`.
    pub duration_seconds: f64,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Average bitrate of the audio frames in kbps (rounded).
    pub bitrate_kbps: u32,
    /// Bytes of audio frames (tags and header frames not counted).
    pub audio_bytes: u64,
    /// Channels (1 or 2).
    pub channels: u8,
    /// MPEG version.
    pub version: MpegVersion,
    /// Layer.
    pub layer: Layer,
    /// Samples per channel per frame.
    pub samples_per_frame: u32,
    /// `true` when the audio frames do not all have the same bitrate.
    pub vbr: bool,
    /// The first Xing/Info/VBRI header frame's content, if any.
    pub header: Option<VbrHeader>,
    /// Number of Xing/Info/VBRI header frames (a well-formed stream has 0 or 1).
    pub header_frames: usize,
    /// Number of ID3v2 tags (a well-formed stream has 0 or 1, at the start).
    pub id3v2_tags: usize,
    /// Number of other tags (ID3v1, APEv2, Lyrics3v2).
    pub other_tags: usize,
    /// Tolerated trailing bytes (see the module docs).
    pub trailing_bytes: usize,
}

fn tag_err(offset: usize, tag: &'static str) -> Mp3Error {
    Mp3Error::BadTag { offset, tag }
}

/// Finds the tags at the end of `data[from..]`; returns where the audio region ends.
fn strip_tail(data: &[u8], from: usize, ranges: &mut Vec<Range<usize>>) -> Result<usize, Mp3Error> {
    let mut end = data.len();
    if end - from >= 128 && data[end - 128..].starts_with(b"TAG") {
        let mut start = end - 128;
        if start - from >= 227 && data[start - 227..].starts_with(b"TAG+") {
            start -= 227;
        }
        ranges.push(start..end);
        end = start;
    }
    // APEv2 and Lyrics3v2 may come in either order before ID3v1.
    for _ in 0..2 {
        if end - from >= 32 && data[end - 32..end].starts_with(b"APETAGEX") {
            let f = &data[end - 32..end];
            let size = u32::from_le_bytes([f[12], f[13], f[14], f[15]]) as usize;
            let flags = u32::from_le_bytes([f[20], f[21], f[22], f[23]]);
            let total = size.saturating_add(if flags & (1 << 31) != 0 { 32 } else { 0 });
            if size < 32 || total > end - from {
                return Err(tag_err(end - 32, "APEv2"));
            }
            ranges.push(end - total..end);
            end -= total;
        }
        if end - from >= 15 + 11 && data[..end].ends_with(b"LYRICS200") {
            let digits = &data[end - 15..end - 9];
            let size = std::str::from_utf8(digits)
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(|| tag_err(end - 15, "Lyrics3v2"))?;
            let total = size + 15;
            if total > end - from || !data[end - total..].starts_with(b"LYRICSBEGIN") {
                return Err(tag_err(end - 15, "Lyrics3v2"));
            }
            ranges.push(end - total..end);
            end -= total;
        }
    }
    Ok(end)
}

/// Walks a stream: tags, every frame from start to end, tolerated trailing bytes.
///
/// # Errors
/// See [`Mp3Error`]; in particular [`Mp3Error::Garbage`] for anything unexpected
/// between frames and [`Mp3Error::NoFrames`] when no frame is found.
pub fn layout(data: &[u8]) -> Result<Mp3Layout, Mp3Error> {
    if data.is_empty() {
        return Err(Mp3Error::Empty);
    }
    let mut id3v2 = Vec::new();
    let mut other_tags = Vec::new();
    let mut pos = 0;
    loop {
        match tags::id3v2_len(&data[pos..]) {
            TagProbe::Tag(n) => {
                id3v2.push(pos..pos + n);
                pos += n;
            }
            TagProbe::Malformed => return Err(tag_err(pos, "ID3v2")),
            TagProbe::None => break,
        }
    }
    while data.get(pos) == Some(&0) {
        pos += 1;
    }
    let end = strip_tail(data, pos, &mut other_tags)?;

    let mut frames: Vec<FrameSpan> = Vec::new();
    let mut first: Option<FrameHeader> = None;
    let mut trailing_bytes = 0;
    while pos < end {
        let rest = &data[pos..end];
        match FrameHeader::parse(rest) {
            Ok(h) => {
                if let Some(f) = &first
                    && !f.compatible_with(&h)
                {
                    return Err(Mp3Error::Inconsistent {
                        offset: pos,
                        expected: f.format_description(),
                        found: h.format_description(),
                    });
                }
                let len = h.frame_len();
                if len > rest.len() {
                    if frames.is_empty() {
                        return Err(Mp3Error::NoFrames);
                    }
                    trailing_bytes = rest.len();
                    break;
                }
                first.get_or_insert(h);
                let vbr = vbr::detect(&rest[..len], &h);
                frames.push(FrameSpan {
                    offset: pos,
                    len,
                    header: h,
                    vbr,
                });
                pos += len;
            }
            Err(reason) => {
                match tags::id3v2_len(rest) {
                    TagProbe::Tag(n) => {
                        id3v2.push(pos..pos + n);
                        pos += n;
                        continue;
                    }
                    TagProbe::Malformed => return Err(tag_err(pos, "ID3v2")),
                    TagProbe::None => {}
                }
                match tags::ape_len(rest) {
                    TagProbe::Tag(n) => {
                        other_tags.push(pos..pos + n);
                        pos += n;
                        continue;
                    }
                    TagProbe::Malformed => return Err(tag_err(pos, "APEv2")),
                    TagProbe::None => {}
                }
                if !frames.is_empty() && (rest.len() < 4 || rest.iter().all(|b| *b == 0)) {
                    trailing_bytes = rest.len();
                    break;
                }
                if reason == HeaderError::FreeFormat {
                    return Err(Mp3Error::FreeFormat { offset: pos });
                }
                return Err(Mp3Error::Garbage {
                    offset: pos,
                    reason,
                });
            }
        }
    }
    if frames.is_empty() {
        return Err(Mp3Error::NoFrames);
    }
    Ok(Mp3Layout {
        frames,
        id3v2,
        other_tags,
        trailing_bytes,
    })
}

/// Parses a whole MP3 stream and measures it from its frames.
///
/// # Errors
/// As [`layout`]; also [`Mp3Error::NoFrames`] when the stream holds only a header frame.
pub fn parse(data: &[u8]) -> Result<Mp3Info, Mp3Error> {
    let l = layout(data)?;
    let mut audio = l.audio_frames();
    let first = audio.next().ok_or(Mp3Error::NoFrames)?.header;
    let mut frames = 1u64;
    let mut audio_bytes = 0u64;
    let mut vbr = false;
    for f in l.audio_frames() {
        audio_bytes += f.len as u64;
        vbr |= f.header.bitrate_kbps != first.bitrate_kbps;
    }
    frames += audio.count() as u64;
    let spf = first.samples_per_frame();
    let duration_seconds = frames as f64 * f64::from(spf) / f64::from(first.sample_rate);
    let bitrate_kbps = if duration_seconds > 0.0 {
        (audio_bytes as f64 * 8.0 / duration_seconds / 1000.0).round() as u32
    } else {
        0
    };
    let header_frames = l.frames.iter().filter(|f| f.vbr.is_some()).count();
    Ok(Mp3Info {
        frames,
        duration_seconds,
        sample_rate: first.sample_rate,
        bitrate_kbps,
        audio_bytes,
        channels: first.channels(),
        version: first.version,
        layer: first.layer,
        samples_per_frame: spf,
        vbr,
        header: l.frames.iter().find_map(|f| f.vbr.clone()),
        header_frames,
        id3v2_tags: l.id3v2.len(),
        other_tags: l.other_tags.len(),
        trailing_bytes: l.trailing_bytes,
    })
}

/// Options for [`join_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinOptions {
    /// Keep the first chunk's leading ID3v2 tag (if it has one) at the front.
    pub keep_id3v2: bool,
    /// Write a fresh `Info`/`Xing` header frame for the whole stream (Layer III only).
    pub write_header: bool,
}

impl Default for JoinOptions {
    fn default() -> Self {
        Self {
            keep_id3v2: true,
            write_header: true,
        }
    }
}

/// Joins MP3 chunks into one stream with [`JoinOptions::default`]: first chunk's ID3v2
/// tag, a fresh `Info` (all frames one bitrate) or `Xing` header frame with frame count,
/// byte count and TOC, then every chunk's audio frames in order. All other tags, header
/// frames and tolerated trailing bytes are dropped.
///
/// # Errors
/// [`Mp3Error::NoChunks`] for an empty slice; [`Mp3Error::Chunk`] when a chunk does not
/// parse; [`Mp3Error::FormatMismatch`] when chunks differ in MPEG version, layer, sample
/// rate or channel count; [`Mp3Error::NoFrames`] when no chunk has audio frames.
pub fn join(chunks: &[&[u8]]) -> Result<Vec<u8>, Mp3Error> {
    join_with(chunks, JoinOptions::default())
}

/// [`join`] with explicit options.
///
/// # Errors
/// As [`join`].
pub fn join_with(chunks: &[&[u8]], opts: JoinOptions) -> Result<Vec<u8>, Mp3Error> {
    if chunks.is_empty() {
        return Err(Mp3Error::NoChunks);
    }
    let mut layouts = Vec::with_capacity(chunks.len());
    for (index, chunk) in chunks.iter().enumerate() {
        let l = layout(chunk).map_err(|e| Mp3Error::Chunk {
            index,
            source: Box::new(e),
        })?;
        layouts.push(l);
    }
    let mut template: Option<FrameHeader> = None;
    let mut lens = Vec::new();
    let mut audio_len = 0usize;
    let mut cbr = true;
    for (index, l) in layouts.iter().enumerate() {
        for f in l.audio_frames() {
            match &template {
                None => template = Some(f.header),
                Some(t) if !t.compatible_with(&f.header) => {
                    return Err(Mp3Error::FormatMismatch {
                        index,
                        expected: t.format_description(),
                        found: f.header.format_description(),
                    });
                }
                Some(t) => cbr &= t.bitrate_kbps == f.header.bitrate_kbps,
            }
            lens.push(f.len);
            audio_len += f.len;
        }
    }
    let template = template.ok_or(Mp3Error::NoFrames)?;

    let id3 = if opts.keep_id3v2 {
        layouts[0]
            .leading_id3v2()
            .map(|r| &chunks[0][r])
            .unwrap_or_default()
    } else {
        &[]
    };
    let header_frame = if opts.write_header {
        build_header_frame(&template, &lens, cbr).unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(id3.len() + header_frame.len() + audio_len);
    out.extend_from_slice(id3);
    out.extend_from_slice(&header_frame);
    for (chunk, l) in chunks.iter().zip(&layouts) {
        for f in l.audio_frames() {
            out.extend_from_slice(&chunk[f.offset..f.offset + f.len]);
        }
    }
    Ok(out)
}
