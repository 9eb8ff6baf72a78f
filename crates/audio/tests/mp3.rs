//! MP3 tests: headers, silence encoder, parse, join, robustness.

use audio::chunk::{OPENAI_TTS_MAX_CHARS, split_for_tts};
use audio::mp3::{
    self, ChannelMode, FrameHeader, HeaderError, JoinOptions, Layer, Mp3Error, MpegVersion,
    SilenceOptions, VbrKind, encode_silence, encode_silence_with, join, join_with, layout, parse,
};

const LAME_CBR: &[u8] = include_bytes!("fixtures/lame_24k_mono_64k_cbr.mp3");
const LAME_VBR: &[u8] = include_bytes!("fixtures/lame_24k_mono_vbr.mp3");
const LAME_44_BARE: &[u8] = include_bytes!("fixtures/lame_44k_stereo_96k_bare.mp3");

const FRAME_24K: f64 = 576.0 / 24_000.0;

fn frames_for(seconds: f64) -> u64 {
    ((seconds / FRAME_24K) - 1e-9).ceil().max(1.0) as u64
}

/// Asserts the frames of `data` tile it exactly from the first frame to the end.
fn assert_frames_tile(data: &[u8]) {
    let l = layout(data).expect("layout");
    let mut pos = l.frames[0].offset;
    assert_eq!(
        pos,
        l.id3v2.first().map_or(0, |r| r.end),
        "first frame after ID3"
    );
    for f in &l.frames {
        assert_eq!(f.offset, pos, "frames are contiguous");
        pos += f.len;
    }
    assert_eq!(pos, data.len(), "last frame ends the stream");
    assert_eq!(l.trailing_bytes, 0);
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[test]
fn header_tables_and_sizes() {
    // MPEG-1 Layer III 128 kbps 44.1 kHz joint stereo, no padding / padding.
    let h = FrameHeader::parse(&[0xFF, 0xFB, 0x90, 0x64]).expect("header");
    assert_eq!(
        (h.version, h.layer, h.bitrate_kbps, h.sample_rate),
        (MpegVersion::V1, Layer::III, 128, 44_100)
    );
    assert_eq!(h.channel_mode, ChannelMode::JointStereo);
    assert_eq!((h.frame_len(), h.samples_per_frame()), (417, 1152));
    let h = FrameHeader::parse(&[0xFF, 0xFB, 0x92, 0x64]).expect("padded");
    assert_eq!(h.frame_len(), 418);
    // MPEG-2 Layer III 160 kbps 24 kHz mono (OpenAI tts shape).
    let h = FrameHeader::new(Layer::III, 24_000, 160, ChannelMode::Mono, false).expect("new");
    assert_eq!(h.to_bytes(), [0xFF, 0xF3, 0xE4, 0xC4]);
    assert_eq!(
        (h.frame_len(), h.samples_per_frame(), h.side_info_len()),
        (480, 576, 9)
    );
    // MPEG-2.5 Layer III 8 kHz 8 kbps.
    let h = FrameHeader::new(Layer::III, 8_000, 8, ChannelMode::Mono, false).expect("2.5");
    assert_eq!(h.version, MpegVersion::V25);
    assert_eq!(h.frame_len(), 72);
    let parsed = FrameHeader::parse(&h.to_bytes()).expect("roundtrip");
    assert_eq!(parsed, h);
    // Layer I: (12 * 384000 / 48000 + 0) * 4 = 384; Layer II 192 kbps 48 kHz = 576.
    let h = FrameHeader::new(Layer::I, 48_000, 384, ChannelMode::Stereo, true).expect("L1");
    assert_eq!((h.frame_len(), h.samples_per_frame()), (388, 384));
    let h = FrameHeader::new(Layer::II, 48_000, 192, ChannelMode::Stereo, false).expect("L2");
    assert_eq!((h.frame_len(), h.samples_per_frame()), (576, 1152));
    // Rejections.
    assert_eq!(
        FrameHeader::parse(&[0xFF, 0xFB, 0x00, 0x64]),
        Err(HeaderError::FreeFormat)
    );
    assert_eq!(
        FrameHeader::parse(&[0xFF, 0xFB, 0xF0, 0x64]),
        Err(HeaderError::BadBitrate)
    );
    assert_eq!(
        FrameHeader::parse(&[0xFF, 0xFB, 0x9C, 0x64]),
        Err(HeaderError::ReservedSampleRate)
    );
    assert_eq!(
        FrameHeader::parse(&[0xFF, 0xEB, 0x90, 0x64]),
        Err(HeaderError::ReservedVersion)
    );
    assert_eq!(
        FrameHeader::parse(&[0xFF, 0xF9, 0x90, 0x64]),
        Err(HeaderError::ReservedLayer)
    );
    assert_eq!(
        FrameHeader::parse(&[0xFF, 0xFB, 0x90, 0x66]),
        Err(HeaderError::ReservedEmphasis)
    );
    assert_eq!(
        FrameHeader::parse(&[0x49, 0x44, 0x33, 0x04]),
        Err(HeaderError::NoSync)
    );
    assert_eq!(
        FrameHeader::parse(&[0xFF, 0xFB]),
        Err(HeaderError::TooShort)
    );
    assert!(FrameHeader::new(Layer::III, 24_000, 320, ChannelMode::Mono, false).is_none());
    assert!(FrameHeader::new(Layer::III, 44_000, 128, ChannelMode::Mono, false).is_none());
}

#[test]
fn silence_is_openai_shaped() {
    let data = encode_silence(2.0);
    assert!(data.starts_with(b"ID3\x04\x00"));
    assert!(data.windows(4).any(|w| w == b"TSSE"));
    let info = parse(&data).expect("parse");
    assert_eq!(info.frames, frames_for(2.0));
    assert_eq!(info.frames, 84);
    assert!((info.duration_seconds - 84.0 * FRAME_24K).abs() < 1e-9);
    assert_eq!(
        (info.sample_rate, info.bitrate_kbps, info.channels),
        (24_000, 160, 1)
    );
    assert_eq!(
        (info.version, info.layer, info.vbr),
        (MpegVersion::V2, Layer::III, false)
    );
    assert_eq!(info.audio_bytes, 84 * 480);
    assert_eq!((info.header_frames, info.id3v2_tags), (1, 1));
    let header = info.header.expect("Info frame");
    assert_eq!(header.kind, VbrKind::Info);
    assert_eq!(header.frames, Some(84));
    let id3_len = layout(&data).expect("layout").id3v2[0].end;
    assert_eq!(header.bytes, Some((data.len() - id3_len) as u32));
    let toc = header.toc.expect("toc");
    assert!(toc.windows(2).all(|w| w[0] <= w[1]), "TOC is monotonic");
    assert_frames_tile(&data);
}

#[test]
fn silence_durations_round_up_to_frames() {
    for seconds in [0.001, 0.024, 0.025, 1.0, 2.5, 10.0, 61.3] {
        let info = parse(&encode_silence(seconds)).expect("parse");
        assert_eq!(info.frames, frames_for(seconds), "{seconds}");
        assert!(info.duration_seconds >= seconds - 1e-9);
        assert!(info.duration_seconds < seconds + FRAME_24K);
    }
    for seconds in [0.0, -3.0, f64::NAN, f64::NEG_INFINITY] {
        assert_eq!(parse(&encode_silence(seconds)).expect("parse").frames, 1);
    }
    let huge = parse(&encode_silence(f64::INFINITY)).expect("clamped");
    assert!((huge.duration_seconds - mp3::MAX_SILENCE_SECONDS).abs() < FRAME_24K);
}

#[test]
fn silence_options() {
    let opts = SilenceOptions {
        seconds: 3.0,
        sample_rate: 44_100,
        bitrate_kbps: 128,
        channels: 2,
        id3v2: false,
        info_header: false,
    };
    let data = encode_silence_with(&opts).expect("encode");
    assert_eq!(&data[..2], &[0xFF, 0xFB]);
    let info = parse(&data).expect("parse");
    assert_eq!(
        (info.id3v2_tags, info.header_frames, info.header),
        (0, 0, None)
    );
    assert_eq!(
        (info.sample_rate, info.channels, info.bitrate_kbps),
        (44_100, 2, 128)
    );
    assert_eq!(info.frames, (3.0f64 * 44_100.0 / 1152.0).ceil() as u64);
    // Padding alternates so the average bitrate is exact.
    let expected_bytes = (info.duration_seconds * 128_000.0 / 8.0).floor();
    assert!((info.audio_bytes as f64 - expected_bytes).abs() <= 1.0);
    assert_frames_tile(&data);

    for (sr, br, ch) in [
        (48_000, 320, 1),
        (32_000, 32, 2),
        (16_000, 8, 2),
        (8_000, 8, 1),
        (22_050, 64, 1),
    ] {
        let o = SilenceOptions {
            sample_rate: sr,
            bitrate_kbps: br,
            channels: ch,
            ..SilenceOptions::seconds(1.0)
        };
        let data = encode_silence_with(&o).expect("encode");
        let info = parse(&data).expect("parse");
        assert_eq!(
            (info.sample_rate, info.channels, info.header_frames),
            (sr, ch, 1)
        );
        assert!(info.duration_seconds >= 1.0);
        assert_frames_tile(&data);
    }
    for bad in [
        SilenceOptions {
            sample_rate: 44_000,
            ..SilenceOptions::default()
        },
        SilenceOptions {
            bitrate_kbps: 320,
            ..SilenceOptions::default()
        },
        SilenceOptions {
            channels: 3,
            ..SilenceOptions::default()
        },
    ] {
        assert!(matches!(
            encode_silence_with(&bad),
            Err(Mp3Error::InvalidOptions(_))
        ));
    }
}

#[test]
fn parses_real_lame_output() {
    let cbr = parse(LAME_CBR).expect("cbr");
    assert_eq!(
        (cbr.frames, cbr.sample_rate, cbr.bitrate_kbps, cbr.vbr),
        (44, 24_000, 64, false)
    );
    assert_eq!(cbr.header.as_ref().map(|h| h.kind), Some(VbrKind::Info));
    assert_eq!(cbr.header.and_then(|h| h.frames), Some(44));
    let vbr = parse(LAME_VBR).expect("vbr");
    assert!(vbr.vbr);
    assert_eq!(vbr.header.as_ref().map(|h| h.kind), Some(VbrKind::Xing));
    assert_eq!(vbr.header.and_then(|h| h.frames), Some(vbr.frames as u32));
    let bare = parse(LAME_44_BARE).expect("bare");
    assert_eq!(
        (
            bare.frames,
            bare.sample_rate,
            bare.channels,
            bare.id3v2_tags
        ),
        (21, 44_100, 2, 0)
    );
    assert!(bare.header.is_none());
    for d in [LAME_CBR, LAME_VBR, LAME_44_BARE] {
        assert_frames_tile(d);
    }
}

fn ape_tag() -> Vec<u8> {
    let item = b"\x05\x00\x00\x00\x00\x00\x00\x00Title\x00Night";
    let size = (item.len() + 32) as u32;
    let block = |flags: u32| {
        let mut b = b"APETAGEX".to_vec();
        b.extend_from_slice(&2000u32.to_le_bytes());
        b.extend_from_slice(&size.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&flags.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        b
    };
    let mut t = block((1 << 31) | (1 << 29));
    t.extend_from_slice(item);
    t.extend_from_slice(&block(1 << 31));
    t
}

fn id3v1() -> Vec<u8> {
    let mut t = b"TAG".to_vec();
    t.resize(128, b' ');
    t
}

#[test]
fn skips_all_kinds_of_tags() {
    let plain = encode_silence_with(&SilenceOptions {
        id3v2: false,
        ..SilenceOptions::seconds(1.0)
    })
    .expect("encode");
    let base = parse(&plain).expect("plain");

    // ID3v2.4 with footer flag + zero padding before the first frame.
    let mut tagged =
        b"ID3\x04\x00\x10\x00\x00\x00\x05hello3DI\x04\x00\x10\x00\x00\x00\x05".to_vec();
    tagged.extend_from_slice(&[0, 0, 0]);
    tagged.extend_from_slice(&plain);
    tagged.extend_from_slice(&ape_tag());
    tagged.extend_from_slice(&id3v1());
    let info = parse(&tagged).expect("tagged");
    assert_eq!(
        (info.frames, info.id3v2_tags, info.other_tags),
        (base.frames, 1, 2)
    );

    // Enhanced ID3v1 (TAG+) before ID3v1, ID3v2.3 at the front.
    let mut t2 = b"ID3\x03\x00\x00\x00\x00\x01\x00".to_vec();
    t2.extend_from_slice(&[0; 128]);
    t2.extend_from_slice(&plain);
    let mut plus = b"TAG+".to_vec();
    plus.resize(227, 0);
    t2.extend_from_slice(&plus);
    t2.extend_from_slice(&id3v1());
    let info = parse(&t2).expect("tag+");
    assert_eq!((info.frames, info.other_tags), (base.frames, 1));

    // A mid-stream ID3v2 tag (naive `cat a.mp3 b.mp3`) is skipped and counted.
    let mut cat = encode_silence(1.0);
    cat.extend_from_slice(&encode_silence(1.0));
    let info = parse(&cat).expect("cat");
    assert_eq!((info.id3v2_tags, info.header_frames), (2, 2));
    assert_eq!(info.frames, 2 * base.frames);

    // Malformed tags are errors.
    assert!(matches!(
        parse(b"ID3\x04\x00\x00\x7F\x7F\x7F\x7F"),
        Err(Mp3Error::BadTag { .. })
    ));
    assert!(matches!(
        parse(b"ID3\x04\x00\x00\x80\x00\x00\x00"),
        Err(Mp3Error::BadTag { .. })
    ));
}

#[test]
fn garbage_and_trailing_bytes() {
    let data = encode_silence(1.0);
    let l = layout(&data).expect("layout");
    let mid = l.frames[10].offset;

    let mut bad = data.clone();
    bad[mid] = 0x00;
    assert!(matches!(parse(&bad), Err(Mp3Error::Garbage { offset, .. }) if offset == mid));

    let mut inserted = data[..mid].to_vec();
    inserted.extend_from_slice(b"junk");
    inserted.extend_from_slice(&data[mid..]);
    assert!(matches!(parse(&inserted), Err(Mp3Error::Garbage { offset, .. }) if offset == mid));

    // Fewer than 4 trailing bytes, zero padding and a cut last frame are tolerated.
    for tail in [&b"ab"[..], &[0u8; 700][..], &data[mid..mid + 100]] {
        let mut t = data.clone();
        t.extend_from_slice(tail);
        let info = parse(&t).expect("tolerated");
        assert_eq!(info.trailing_bytes, tail.len());
        assert_eq!(info.frames, frames_for(1.0));
    }
    let mut t = data.clone();
    t.extend_from_slice(b"this is not audio");
    assert!(matches!(parse(&t), Err(Mp3Error::Garbage { .. })));

    // Format change mid-stream.
    let mut mixed = data.clone();
    mixed.extend_from_slice(
        &encode_silence_with(&SilenceOptions {
            sample_rate: 22_050,
            id3v2: false,
            ..SilenceOptions::default()
        })
        .expect("encode"),
    );
    assert!(matches!(parse(&mixed), Err(Mp3Error::Inconsistent { .. })));

    // Free format.
    let mut free = data[l.frames[1].offset..].to_vec();
    free[2] &= 0x0F;
    assert!(matches!(
        parse(&free),
        Err(Mp3Error::FreeFormat { offset: 0 })
    ));

    assert_eq!(parse(&[]), Err(Mp3Error::Empty));
    assert_eq!(parse(&data[..l.id3v2[0].end]), Err(Mp3Error::NoFrames));
    assert!(parse(b"hello world, not an mp3").is_err());
    // A stream with only its Info frame has no audio.
    let info_only = &data[..l.frames[1].offset];
    assert_eq!(parse(info_only), Err(Mp3Error::NoFrames));
}

fn check_joined(joined: &[u8], parts: &[&[u8]]) {
    let info = parse(joined).expect("joined parses");
    let sum: f64 = parts
        .iter()
        .map(|p| parse(p).expect("part").duration_seconds)
        .sum();
    let frame = f64::from(info.samples_per_frame) / f64::from(info.sample_rate);
    assert!(
        (info.duration_seconds - sum).abs() <= frame + 1e-9,
        "{} vs {sum}",
        info.duration_seconds
    );
    assert_eq!(info.header_frames, 1, "exactly one Xing/Info frame");
    assert!(info.id3v2_tags <= 1);
    assert_eq!(info.other_tags, 0);
    let l = layout(joined).expect("layout");
    assert!(l.frames[0].vbr.is_some(), "header frame comes first");
    let header = info.header.expect("header");
    assert_eq!(header.frames, Some(info.frames as u32));
    let id3_end = l.leading_id3v2().map_or(0, |r| r.end);
    assert_eq!(header.bytes, Some((joined.len() - id3_end) as u32));
    assert_frames_tile(joined);
}

#[test]
fn join_three_chunks() {
    let a = encode_silence(3.2);
    let b = encode_silence(0.5);
    let c = encode_silence(7.77);
    let joined = join(&[&a, &b, &c]).expect("join");
    check_joined(&joined, &[&a, &b, &c]);
    let info = parse(&joined).expect("parse");
    assert_eq!(
        info.frames,
        frames_for(3.2) + frames_for(0.5) + frames_for(7.77)
    );
    assert_eq!(info.header.map(|h| h.kind), Some(VbrKind::Info));
    assert!(joined.starts_with(b"ID3\x04"));

    let bare = join_with(
        &[&a, &b],
        JoinOptions {
            keep_id3v2: false,
            write_header: false,
        },
    )
    .expect("bare");
    let info = parse(&bare).expect("bare parse");
    assert_eq!((info.id3v2_tags, info.header_frames), (0, 0));
    assert_eq!(join(&[&a]).expect("single").len(), a.len());
}

#[test]
fn join_real_encoder_output_vbr() {
    let joined = join(&[LAME_CBR, LAME_VBR, LAME_CBR]).expect("join");
    check_joined(&joined, &[LAME_CBR, LAME_VBR, LAME_CBR]);
    let info = parse(&joined).expect("parse");
    assert!(info.vbr);
    assert_eq!(info.header.map(|h| h.kind), Some(VbrKind::Xing));
    let joined = join(&[LAME_44_BARE, LAME_44_BARE]).expect("join 44");
    check_joined(&joined, &[LAME_44_BARE, LAME_44_BARE]);
}

#[test]
fn ten_thousand_char_story_joins_to_sum_of_chunks() {
    let sentence = "The sleepy dragon counted stars above the quiet valley. ";
    let story = sentence.repeat(10_000 / sentence.len() + 1);
    let chunks = split_for_tts(&story, OPENAI_TTS_MAX_CHARS);
    assert_eq!(chunks.len(), 3);
    // A fake TTS: ~15 characters per second of speech.
    let mp3s: Vec<Vec<u8>> = chunks
        .iter()
        .map(|c| encode_silence(c.chars().count() as f64 / 15.0))
        .collect();
    let parts: Vec<&[u8]> = mp3s.iter().map(Vec::as_slice).collect();
    let joined = join(&parts).expect("join");
    check_joined(&joined, &parts);
}

#[test]
fn join_rejects_mismatches_and_bad_chunks() {
    let a = encode_silence(1.0);
    let b = encode_silence_with(&SilenceOptions {
        sample_rate: 22_050,
        ..SilenceOptions::default()
    })
    .expect("encode");
    let stereo = encode_silence_with(&SilenceOptions {
        channels: 2,
        ..SilenceOptions::default()
    })
    .expect("encode");
    assert!(matches!(
        join(&[&a, &b]),
        Err(Mp3Error::FormatMismatch { index: 1, .. })
    ));
    assert!(matches!(
        join(&[&a, &stereo]),
        Err(Mp3Error::FormatMismatch { index: 1, .. })
    ));
    assert!(matches!(
        join(&[&a, LAME_44_BARE]),
        Err(Mp3Error::FormatMismatch { index: 1, .. })
    ));
    assert!(matches!(
        join(&[&a, b"nope"]),
        Err(Mp3Error::Chunk { index: 1, .. })
    ));
    assert_eq!(join(&[]), Err(Mp3Error::NoChunks));
}

#[test]
fn corrupt_input_never_panics() {
    let mut tagged = encode_silence(0.3);
    tagged.extend_from_slice(&ape_tag());
    tagged.extend_from_slice(&id3v1());
    let inputs = [tagged, LAME_VBR.to_vec(), LAME_44_BARE.to_vec()];
    for input in &inputs {
        for cut in 0..input.len() {
            let _ = parse(&input[..cut]);
            let _ = parse(&input[cut..]);
        }
    }
    let mut r = Lcg(2024);
    for round in 0..3000 {
        let mut data = inputs[round % inputs.len()].clone();
        for _ in 0..=(r.next() % 8) {
            let i = (r.next() as usize) % data.len();
            data[i] ^= 1 << (r.next() % 8);
        }
        if round % 5 == 0 {
            let i = (r.next() as usize) % data.len();
            data.truncate(i.max(1));
        }
        if let Ok(info) = parse(&data) {
            assert!(info.frames > 0 && info.duration_seconds > 0.0);
        }
        let _ = join(&[&data, &inputs[0]]);
        let _ = join(&[&inputs[0], &data]);
    }
    for len in 0..200 {
        let noise: Vec<u8> = (0..len).map(|_| (r.next() & 0xFF) as u8).collect();
        let _ = parse(&noise);
        let mut synced = noise.clone();
        synced.splice(0..0, [0xFF, 0xF3, 0xE4, 0xC4]);
        let _ = parse(&synced);
    }
}
