//! Metadata tags found around MP3 audio: ID3v2 (front, or anywhere with a footer),
//! ID3v1 / ID3v1-enhanced (last 128 / 227+128 bytes), APEv2 (usually at the end).

/// Decodes a 4-byte syncsafe integer (7 bits per byte). `None` if a high bit is set.
#[must_use]
pub fn syncsafe_decode(b: [u8; 4]) -> Option<u32> {
    if b.iter().any(|x| x & 0x80 != 0) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, x| (acc << 7) | u32::from(*x)))
}

/// Encodes `n` (< 2^28) as a 4-byte syncsafe integer; larger values saturate.
#[must_use]
pub fn syncsafe_encode(n: u32) -> [u8; 4] {
    let n = n.min(0x0FFF_FFFF);
    [
        ((n >> 21) & 0x7F) as u8,
        ((n >> 14) & 0x7F) as u8,
        ((n >> 7) & 0x7F) as u8,
        (n & 0x7F) as u8,
    ]
}

/// Result of looking for a tag at some position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagProbe {
    /// No tag signature here.
    None,
    /// A well-formed tag of this many bytes.
    Tag(usize),
    /// A tag signature whose header is malformed or runs past the end.
    Malformed,
}

/// Total length of an ID3v2 tag starting at `data[0]` (header, body and optional footer).
pub(crate) fn id3v2_len(data: &[u8]) -> TagProbe {
    if !data.starts_with(b"ID3") {
        return TagProbe::None;
    }
    let Some(h) = data.get(..10) else {
        return TagProbe::Malformed;
    };
    let (major, minor, flags) = (h[3], h[4], h[5]);
    if major == 0xFF || minor == 0xFF || !(2..=4).contains(&major) {
        return TagProbe::Malformed;
    }
    let Some(size) = syncsafe_decode([h[6], h[7], h[8], h[9]]) else {
        return TagProbe::Malformed;
    };
    let footer = if major == 4 && flags & 0x10 != 0 {
        10
    } else {
        0
    };
    let total = 10 + size as usize + footer;
    if total > data.len() {
        TagProbe::Malformed
    } else {
        TagProbe::Tag(total)
    }
}

/// Length of an APEv2 tag starting at `data[0]` with its header (`APETAGEX`, header flag).
///
/// An APE *footer* at `data[0]` (tag without header whose start we already passed) is
/// not expected here; a footer found at the start of what remains is treated as a
/// 32-byte tag only when nothing follows it but an optional ID3v1 tag.
pub(crate) fn ape_len(data: &[u8]) -> TagProbe {
    if !data.starts_with(b"APETAGEX") {
        return TagProbe::None;
    }
    let Some(h) = data.get(..32) else {
        return TagProbe::Malformed;
    };
    let size = u32::from_le_bytes([h[12], h[13], h[14], h[15]]) as usize;
    let flags = u32::from_le_bytes([h[20], h[21], h[22], h[23]]);
    let has_header = flags & (1 << 31) != 0;
    let is_header = flags & (1 << 29) != 0;
    if size < 32 {
        return TagProbe::Malformed;
    }
    let total = if is_header {
        // Header: `size` counts items + footer, not the header itself.
        size + 32
    } else if has_header {
        // A footer whose header we did not see: malformed at this position.
        return TagProbe::Malformed;
    } else {
        // Footer-only tag that is just the footer (no items before it).
        32
    };
    if total > data.len() {
        TagProbe::Malformed
    } else {
        TagProbe::Tag(total)
    }
}

/// Builds an ID3v2.4 tag holding one UTF-8 text frame (`frame_id` such as `TSSE`).
#[must_use]
pub fn id3v24_text_tag(frame_id: [u8; 4], text: &str) -> Vec<u8> {
    let body_len = 1 + text.len();
    let body_len_u32 = u32::try_from(body_len).unwrap_or(u32::MAX);
    let mut frame = Vec::with_capacity(10 + body_len);
    frame.extend_from_slice(&frame_id);
    frame.extend_from_slice(&syncsafe_encode(body_len_u32));
    frame.extend_from_slice(&[0, 0]);
    frame.push(3); // UTF-8
    frame.extend_from_slice(text.as_bytes());
    let mut tag = Vec::with_capacity(10 + frame.len());
    tag.extend_from_slice(b"ID3\x04\x00\x00");
    tag.extend_from_slice(&syncsafe_encode(
        u32::try_from(frame.len()).unwrap_or(u32::MAX),
    ));
    tag.extend_from_slice(&frame);
    tag
}
