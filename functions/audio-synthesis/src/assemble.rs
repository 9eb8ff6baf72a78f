//! Turning the chunks' audio into one stream and measuring it (pure: no IO).

use providers::AudioFormat;

/// One narration, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Narration {
    /// The joined stream.
    pub bytes: Vec<u8>,
    /// Its container.
    pub format: AudioFormat,
    /// Measured from the stream itself (MP3 frames or WAV samples).
    pub duration_seconds: f64,
}

/// Why the chunks could not be joined (a provider answered with something unusable).
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    /// No chunk at all.
    #[error("no audio chunks")]
    Empty,
    /// Chunks came back in different containers.
    #[error("chunks differ in container")]
    MixedFormats,
    /// An MP3 chunk did not parse or chunks differ in format.
    #[error("mp3: {0}")]
    Mp3(#[from] audio::mp3::Mp3Error),
    /// A WAV chunk did not parse or chunks differ in format.
    #[error("wav: {0}")]
    Wav(#[from] audio::wav::WavError),
}

/// Joins the chunks, in order, into one valid stream of their common container: MP3 chunks
/// lose their later ID3 tags and Xing/Info headers and get one fresh header for the whole
/// (so players show the full length); WAV chunks get one header with the summed data size.
pub fn assemble(chunks: &[(AudioFormat, &[u8])]) -> Result<Narration, AssembleError> {
    let (format, _) = *chunks.first().ok_or(AssembleError::Empty)?;
    if chunks.iter().any(|(f, _)| *f != format) {
        return Err(AssembleError::MixedFormats);
    }
    let parts: Vec<&[u8]> = chunks.iter().map(|(_, b)| *b).collect();
    let (bytes, duration_seconds) = match format {
        AudioFormat::Mp3 => {
            let joined = audio::mp3::join(&parts)?;
            let duration = audio::mp3::parse(&joined)?.duration_seconds;
            (joined, duration)
        }
        AudioFormat::Wav => {
            let joined = audio::wav::join_wav(&parts)?;
            let duration = audio::wav::parse(&joined)?.duration_seconds;
            (joined, duration)
        }
    };
    Ok(Narration {
        bytes,
        format,
        duration_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mp3_chunks_become_one_stream_with_one_tag_one_header_and_the_summed_length() {
        let parts: Vec<Vec<u8>> = [2.0, 3.5, 1.25]
            .iter()
            .map(|s| audio::mp3::encode_silence(*s))
            .collect();
        let expected: f64 = parts
            .iter()
            .map(|p| audio::mp3::parse(p).expect("chunk parses").duration_seconds)
            .sum();
        let chunks: Vec<(AudioFormat, &[u8])> = parts
            .iter()
            .map(|p| (AudioFormat::Mp3, p.as_slice()))
            .collect();
        let n = assemble(&chunks).expect("joins");
        assert_eq!(n.format, AudioFormat::Mp3);
        let info = audio::mp3::parse(&n.bytes).expect("joined stream parses end to end");
        assert!((info.duration_seconds - expected).abs() < 1e-9);
        assert!((n.duration_seconds - expected).abs() < 1e-9);
        assert_eq!(info.id3v2_tags, 1, "later chunks' ID3 tags are dropped");
        assert_eq!(info.header_frames, 1, "one Info header for the whole");
        assert_eq!(info.trailing_bytes, 0);
    }

    #[test]
    fn wav_chunks_become_one_wav_whose_length_is_the_sum() {
        let a = audio::wav::sine_wav(1.5, 16_000, 440.0);
        let b = audio::wav::sine_wav(2.0, 16_000, 440.0);
        let n = assemble(&[(AudioFormat::Wav, &a), (AudioFormat::Wav, &b)]).expect("joins");
        assert_eq!(n.format, AudioFormat::Wav);
        let info = audio::wav::parse(&n.bytes).expect("parses");
        assert!((info.duration_seconds - 3.5).abs() < 0.01);
        assert!((n.duration_seconds - info.duration_seconds).abs() < 1e-9);
    }

    #[test]
    fn mixed_or_broken_chunks_are_refused_not_stored() {
        let mp3 = audio::mp3::encode_silence(1.0);
        let wav = audio::wav::sine_wav(1.0, 16_000, 440.0);
        assert!(matches!(
            assemble(&[(AudioFormat::Mp3, &mp3), (AudioFormat::Wav, &wav)]),
            Err(AssembleError::MixedFormats)
        ));
        assert!(matches!(
            assemble(&[(AudioFormat::Mp3, &mp3), (AudioFormat::Mp3, b"not audio")]),
            Err(AssembleError::Mp3(_))
        ));
        assert!(matches!(assemble(&[]), Err(AssembleError::Empty)));
    }
}
