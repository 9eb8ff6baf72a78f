//! Xing / Info / VBRI header frames: the first frame of most MP3 files, carrying the
//! frame and byte counts players use to show the length and to seek.

use super::header::{FrameHeader, Layer};

/// Which kind of header frame was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VbrKind {
    /// `Xing` tag (LAME/ffmpeg, VBR stream).
    Xing,
    /// `Info` tag (LAME/ffmpeg, CBR stream; same layout as Xing).
    Info,
    /// Fraunhofer `VBRI` tag (always 32 bytes after the header).
    Vbri,
}

/// Decoded content of a Xing/Info/VBRI header frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VbrHeader {
    /// Kind of tag.
    pub kind: VbrKind,
    /// Audio frame count (not counting the header frame itself), when present.
    pub frames: Option<u32>,
    /// Byte count of the stream (LAME counts the header frame and the audio frames), when
    /// present.
    pub bytes: Option<u32>,
    /// Xing seek table (100 entries, `offset * 256 / bytes`), when present.
    pub toc: Option<Vec<u8>>,
    /// Quality indicator, when present.
    pub quality: Option<u32>,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(s))
}

/// Looks for a Xing/Info tag (after the side information) or a VBRI tag (32 bytes after
/// the header) inside one complete Layer III frame.
#[must_use]
pub fn detect(frame: &[u8], header: &FrameHeader) -> Option<VbrHeader> {
    if header.layer != Layer::III {
        return None;
    }
    let off = 4 + header.side_info_len();
    let tag = frame.get(off..off + 4)?;
    if tag == b"Xing" || tag == b"Info" {
        let kind = if tag == b"Xing" {
            VbrKind::Xing
        } else {
            VbrKind::Info
        };
        let flags = be32(frame, off + 4)?;
        let mut at = off + 8;
        let mut take = |flag: u32, len: usize| -> Option<Option<usize>> {
            if flags & flag == 0 {
                return Some(None);
            }
            frame.get(at..at + len)?;
            let start = at;
            at += len;
            Some(Some(start))
        };
        let frames = take(1, 4)?.and_then(|p| be32(frame, p));
        let bytes = take(2, 4)?.and_then(|p| be32(frame, p));
        let toc = take(4, 100)?.and_then(|p| frame.get(p..p + 100).map(<[u8]>::to_vec));
        let quality = take(8, 4)?.and_then(|p| be32(frame, p));
        return Some(VbrHeader {
            kind,
            frames,
            bytes,
            toc,
            quality,
        });
    }
    if frame.get(36..40)? == b"VBRI" {
        let quality = frame.get(44..46)?;
        return Some(VbrHeader {
            kind: VbrKind::Vbri,
            bytes: Some(be32(frame, 46)?),
            frames: Some(be32(frame, 50)?),
            toc: None,
            quality: Some(u32::from(u16::from_be_bytes([quality[0], quality[1]]))),
        });
    }
    None
}

/// Bytes of Xing payload we write: tag, flags, frames, bytes, 100-byte TOC.
const XING_PAYLOAD: usize = 4 + 4 + 4 + 4 + 100;

/// Builds a complete Xing (VBR) or Info (CBR) header frame for a Layer III stream whose
/// audio frames have the given format (`template`), count, byte lengths and TOC.
///
/// The frame uses the template's version, sample rate and channel mode, no CRC, no
/// padding, and the template's bitrate if the payload fits, else the smallest bitrate
/// that fits. Its side information is all zero, so decoders that ignore the tag decode
/// it as one frame of silence.
///
/// `frame_lens` are the lengths of the audio frames in stream order; the byte count
/// written is the header frame plus all audio frames, and the TOC maps each percent of
/// the duration to the position of the corresponding frame.
#[must_use]
pub fn build_header_frame(
    template: &FrameHeader,
    frame_lens: &[usize],
    cbr: bool,
) -> Option<Vec<u8>> {
    if template.layer != Layer::III {
        return None;
    }
    let side = template.side_info_len();
    let needed = 4 + side + XING_PAYLOAD;
    let mut header = FrameHeader::new(
        Layer::III,
        template.sample_rate,
        template.bitrate_kbps,
        template.channel_mode,
        false,
    )?;
    if header.frame_len() < needed {
        header = super::header::valid_bitrates(header.version, Layer::III)
            .iter()
            .filter_map(|br| {
                FrameHeader::new(
                    Layer::III,
                    template.sample_rate,
                    *br,
                    template.channel_mode,
                    false,
                )
            })
            .find(|h| h.frame_len() >= needed)?;
    }
    let own_len = header.frame_len();
    let frames = frame_lens.len();
    let audio_bytes: u64 = frame_lens.iter().map(|l| *l as u64).sum();
    let total_bytes = own_len as u64 + audio_bytes;

    let mut out = vec![0u8; own_len];
    out[..4].copy_from_slice(&header.to_bytes());
    let mut at = 4 + side;
    let mut put = |bytes: &[u8]| {
        out[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(if cbr { b"Info" } else { b"Xing" });
    put(&7u32.to_be_bytes()); // frames | bytes | TOC
    put(&u32::try_from(frames).unwrap_or(u32::MAX).to_be_bytes());
    put(&u32::try_from(total_bytes).unwrap_or(u32::MAX).to_be_bytes());

    // TOC: position (relative to the header frame) of the frame at i % of the duration.
    let mut starts = Vec::with_capacity(frames);
    let mut pos = own_len as u64;
    for len in frame_lens {
        starts.push(pos);
        pos += *len as u64;
    }
    let mut toc = [0u8; 100];
    for (i, slot) in toc.iter_mut().enumerate() {
        let idx = i * frames / 100;
        let offset = starts.get(idx).copied().unwrap_or(total_bytes);
        let v = offset.saturating_mul(256) / total_bytes.max(1);
        *slot = u8::try_from(v.min(255)).unwrap_or(255);
    }
    put(&toc);
    Some(out)
}
