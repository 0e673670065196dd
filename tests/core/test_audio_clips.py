"""Audio the server sends (preview, a speaker's audio): decoded to mono like a file."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.audio import AudioLoadError
from pvc_sample_editor.audio.document import decode_mono, document_from_bytes


def sine(seconds: float, rate: int, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def encoded(samples: np.ndarray, rate: int, **kwargs: str) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("container", "media_type"), [("FLAC", "audio/flac"), ("WAV", "audio/wav")]
)
def test_lossless_audio_comes_back_as_its_mono_mix(container: str, media_type: str) -> None:
    left, right = sine(0.5, 22_050), sine(0.5, 22_050, freq=660.0)
    data = encoded(np.stack([left, right], axis=1), 22_050, format=container, subtype="PCM_16")

    mono, rate = decode_mono(data, media_type)

    assert rate == 22_050
    assert mono.dtype == np.float32
    np.testing.assert_allclose(mono, (left + right) / 2, atol=1 / 16_384)


def test_a_clip_longer_than_one_decode_block_is_whole() -> None:
    samples = sine(3.0, 48_000, freq=3.0)  # 144 000 frames: three blocks
    mono, _rate = decode_mono(encoded(samples, 48_000, format="WAV", subtype="FLOAT"), "audio/wav")
    np.testing.assert_array_equal(mono, samples)


@pytest.mark.parametrize(
    ("container", "subtype", "media_type"),
    [("OGG", "VORBIS", "audio/ogg"), ("MP3", "MPEG_LAYER_III", "audio/mpeg")],
)
def test_lossy_audio_decodes_to_about_the_same_sound(
    container: str, subtype: str, media_type: str
) -> None:
    samples = sine(1.0, 44_100)
    mono, rate = decode_mono(
        encoded(samples, 44_100, format=container, subtype=subtype), media_type
    )
    assert rate == 44_100
    assert abs(mono.size - samples.size) < 4096  # encoder padding
    rms = float(np.sqrt(np.mean(mono.astype(np.float64) ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.1)


def test_nan_inf_and_overs_are_made_safe_as_for_files() -> None:
    # A float WAV can hold NaN, Inf and samples beyond full scale; the view and the
    # player get 0, ±1 and clipped samples, as from a local file.
    samples = np.array([0.25, np.nan, np.inf, -np.inf, 1.5, -3.0, -0.5], dtype=np.float32)
    mono, _rate = decode_mono(encoded(samples, 8000, format="WAV", subtype="FLOAT"), "audio/wav")
    np.testing.assert_array_equal(mono, [0.25, 0.0, 1.0, -1.0, 1.0, -1.0, -0.5])


def test_bytes_that_are_not_audio_get_a_clear_message() -> None:
    garbage = b"<html>oops</html>" * 76 + b"\0" * 8
    with pytest.raises(AudioLoadError, match=r"Could not decode .*audio/mpeg, 1300 bytes"):
        decode_mono(garbage, "audio/mpeg; charset=binary")
    with pytest.raises(AudioLoadError, match="no audio data"):
        decode_mono(b"", "audio/flac")
    silent = encoded(np.zeros(0, dtype=np.float32), 8000, format="WAV", subtype="PCM_16")
    with pytest.raises(AudioLoadError, match="contains no samples"):
        decode_mono(silent, "audio/wav")


def test_a_document_from_bytes_reads_and_plays_the_clip() -> None:
    samples = sine(0.5, 16_000)
    doc = document_from_bytes(encoded(samples, 16_000, format="WAV", subtype="FLOAT"), "audio/wav")
    assert (doc.samplerate, doc.frames, doc.path) == (16_000, samples.size, None)
    np.testing.assert_array_equal(doc.read_mono(100, 200), samples[100:200])
    assert doc.duration_ms == 500
