//! WAV tests: parse, join, sine, streamed headers, robustness.

use audio::wav::{WavError, join_wav, parse, sine_wav, wav_header};

fn samples(wav: &[u8]) -> Vec<i16> {
    let info = parse(wav).expect("parse");
    wav[info.data_offset..info.data_offset + info.data_len]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

#[test]
fn sine_is_soft_and_measured() {
    let wav = sine_wav(1.5, 22_050, 440.0);
    let info = parse(&wav).expect("parse");
    assert_eq!(
        (info.channels, info.sample_rate, info.bits_per_sample),
        (1, 22_050, 16)
    );
    assert_eq!(info.frames, 33_075);
    assert!((info.duration_seconds - 1.5).abs() < 1e-9);
    assert_eq!(
        u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]) as usize,
        wav.len() - 8
    );
    let s = samples(&wav);
    let peak = s.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
    assert!(
        peak > 6_000 && peak <= (i16::MAX as f64 * 0.2) as u16 + 1,
        "peak {peak}"
    );
    // Fades: silent edges, quiet first 10 ms.
    assert_eq!(s[0], 0);
    assert!(s.last().copied().unwrap_or(0).unsigned_abs() < 50);
    assert!(s[..220].iter().all(|v| v.unsigned_abs() < 2_000));
    // Degenerate inputs do not panic.
    assert_eq!(
        parse(&sine_wav(0.0, 16_000, 440.0)).expect("empty").frames,
        0
    );
    assert_eq!(
        parse(&sine_wav(f64::NAN, 0, f64::NAN))
            .expect("nan")
            .sample_rate,
        8_000
    );
    assert_eq!(
        parse(&sine_wav(0.001, 16_000, 440.0)).expect("tiny").frames,
        16
    );
}

#[test]
fn join_fixes_sizes_and_sums_durations() {
    let parts = [
        sine_wav(0.5, 16_000, 300.0),
        sine_wav(1.25, 16_000, 400.0),
        sine_wav(0.25, 16_000, 500.0),
    ];
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let joined = join_wav(&refs).expect("join");
    let info = parse(&joined).expect("parse");
    assert!((info.duration_seconds - 2.0).abs() < 1e-9);
    assert_eq!(info.data_offset, 44);
    assert_eq!(info.data_len, joined.len() - 44);
    assert_eq!(
        u32::from_le_bytes([joined[4], joined[5], joined[6], joined[7]]) as usize,
        joined.len() - 8
    );
    assert_eq!(
        u32::from_le_bytes([joined[40], joined[41], joined[42], joined[43]]) as usize,
        info.data_len
    );
    let mut expected = samples(&parts[0]);
    expected.extend(samples(&parts[1]));
    expected.extend(samples(&parts[2]));
    assert_eq!(samples(&joined), expected);
}

#[test]
fn join_rejects_mismatch_and_empty() {
    let a = sine_wav(0.1, 16_000, 300.0);
    let b = sine_wav(0.1, 22_050, 300.0);
    assert!(matches!(
        join_wav(&[&a, &b]),
        Err(WavError::FormatMismatch { index: 1, .. })
    ));
    assert_eq!(join_wav(&[]), Err(WavError::NoInputs));
    assert_eq!(join_wav(&[&a, b"RIFF"]), Err(WavError::NotWav));
}

/// A WAV as espeak-ng `--stdout` writes it: placeholder sizes, a `LIST` chunk.
fn streamed_wav(pcm: &[u8]) -> Vec<u8> {
    let mut w = wav_header(1, 22_050, 16, 0).expect("header").to_vec();
    w.truncate(36);
    w[4..8].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    w.extend_from_slice(b"LIST\x05\x00\x00\x00hello\x00"); // odd size + pad byte
    w.extend_from_slice(b"data");
    w.extend_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    w.extend_from_slice(pcm);
    w
}

#[test]
fn streamed_sizes_and_extra_chunks() {
    let pcm = vec![0u8; 22_050 * 2 + 1]; // one second and a stray byte
    let w = streamed_wav(&pcm);
    let info = parse(&w).expect("parse");
    assert_eq!(info.frames, 22_050);
    assert!((info.duration_seconds - 1.0).abs() < 1e-9);
    let joined = join_wav(&[&w, &w]).expect("join");
    assert!((parse(&joined).expect("joined").duration_seconds - 2.0).abs() < 1e-9);
}

#[test]
fn rejects_non_pcm_and_garbage_without_panicking() {
    let mut float = sine_wav(0.1, 16_000, 300.0);
    float[20] = 3; // WAVE_FORMAT_IEEE_FLOAT
    assert_eq!(parse(&float), Err(WavError::NotPcm(3)));
    assert_eq!(parse(b"not a wav at all"), Err(WavError::NotWav));
    let w = streamed_wav(&[0; 64]);
    for cut in 0..w.len() {
        let _ = parse(&w[..cut]);
    }
    let mut x: u64 = 1;
    for i in 0..2000 {
        let mut d = w.clone();
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let at = (x >> 33) as usize % d.len();
        d[at] ^= 1 << (i % 8);
        let _ = parse(&d);
        let _ = join_wav(&[&d, &w]);
    }
}
