"""Odd but honest files: encodings that cannot seek, stubs, a cut Ogg, a single sample.

- GSM 6.10 (and G.721, NMS ADPCM) in WAV or AIFF are valid, but libsndfile cannot seek
  in them; they were called damaged. They load, read front to back.
- A 4-byte ``RIFF``/``fLaC``/``OggS`` file was called "a text file".
- A short Ogg missing its last byte said it "contains no audio".
- A one-sample file loaded as 0 ms, with an edit that could never be valid.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.audio import AudioLoadError, SampleReader, load_pyramid, probe

RATE = 8000


def _tone(seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    # Loud in the first half, quiet in the second: where the peaks land is checkable.
    amplitude = np.where(t < seconds / 2, 0.8, 0.1)
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


UNSEEKABLE = {
    "wav_gsm": ("WAV", "GSM610"),
    "aiff_gsm": ("AIFF", "GSM610"),
    "wav_g721": ("WAV", "G721_32"),
    "wav_nms_adpcm": ("WAV", "NMS_ADPCM_16"),
}


@pytest.fixture(params=UNSEEKABLE, ids=UNSEEKABLE)
def unseekable(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    container, subtype = UNSEEKABLE[request.param]
    path = tmp_path / f"speech.{container.lower()}"
    sf.write(path, _tone(6.0), RATE, format=container, subtype=subtype)
    with sf.SoundFile(path) as handle:
        assert not handle.seekable()  # the case under test
    return path


def _decoded(path: Path) -> np.ndarray:
    """The whole file read front to back by libsndfile: the truth to compare with."""
    data, _ = sf.read(path, dtype="float32", always_2d=True)
    return np.clip(data.mean(axis=1), -1, 1)


def test_an_unseekable_encoding_loads_whole(unseekable: Path) -> None:
    truth = _decoded(unseekable)
    pyramid = load_pyramid(unseekable, workers=2, use_cache=False)
    assert pyramid.complete
    assert not pyramid.truncated
    assert pyramid.info.frames == truth.size
    finest = pyramid.bucket_sizes[0]
    whole = truth.size // finest * finest
    np.testing.assert_allclose(
        pyramid.maxs[0][: whole // finest], truth[:whole].reshape(-1, finest).max(axis=1)
    )


def test_an_unseekable_encoding_reads_anywhere_in_any_order(unseekable: Path) -> None:
    truth = _decoded(unseekable)
    with SampleReader(unseekable) as reader:
        for start, stop in ((40_000, 41_000), (100, 900), (47_000, 48_000), (0, 48_000)):
            got = reader.read_mono(start, stop)
            np.testing.assert_allclose(got, truth[start:stop], atol=1e-6)


def test_a_gsm_file_made_by_sox_loads(tmp_path: Path) -> None:
    """The case the adversarial test found, made the way it made it."""
    source, gsm = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(source, _tone(3.0, 16_000), 16_000)
    subprocess.run(
        ["sox", str(source), "-e", "gsm-full-rate", "-r", "8000", "-c", "1", str(gsm)],
        check=True,
        timeout=30,
    )
    pyramid = load_pyramid(gsm, use_cache=False)
    assert pyramid.info.subtype == "GSM610"
    assert abs(pyramid.info.duration_secs - 3.0) < 0.05
    assert float(pyramid.maxs[-1].max()) > 0.5  # the loud half is there


@pytest.mark.parametrize(
    ("magic", "kind"),
    [(b"RIFF", "WAV"), (b"fLaC", "FLAC"), (b"OggS", "Ogg"), (b"FORM", "AIFF"), (b"ID3", "MP3")],
)
def test_a_stub_of_a_container_is_called_a_cut_short_file_of_it(
    tmp_path: Path, magic: bytes, kind: str
) -> None:
    path = tmp_path / "stub.bin"
    path.write_bytes(magic)
    with pytest.raises(AudioLoadError) as caught:
        probe(path)
    message = str(caught.value)
    assert "text" not in message
    assert f"damaged or cut-short {kind} file" in message
    assert f"({len(magic)} bytes)" in message


def test_a_text_file_is_still_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("FORMS to fill in: RIFFs and fLaCs\n")
    with pytest.raises(AudioLoadError, match="is a text file"):
        probe(path)


def test_a_short_ogg_missing_its_last_byte_is_called_cut_short(tmp_path: Path) -> None:
    """All of a 0.1 s Vorbis file is in its last page; without its last byte that page
    fails its checksum and nothing decodes. That is a cut-short file, not an empty one."""
    whole = tmp_path / "whole.ogg"
    sf.write(whole, _tone(0.1, 48_000), 48_000, format="OGG", subtype="VORBIS")
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(whole.read_bytes()[:-1])
    with pytest.raises(AudioLoadError) as caught:
        probe(cut)
    assert "contains no audio" not in str(caught.value)
    assert "cut short" in str(caught.value)


def test_a_longer_ogg_missing_its_last_byte_loads_what_decodes(tmp_path: Path) -> None:
    whole = tmp_path / "whole.ogg"
    sf.write(whole, _tone(3.0, 48_000), 48_000, format="OGG", subtype="VORBIS")
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(whole.read_bytes()[:-1])
    pyramid = load_pyramid(cut, use_cache=False)
    assert pyramid.info.duration_secs > 2.0


def test_an_empty_ogg_still_contains_no_audio(tmp_path: Path) -> None:
    path = tmp_path / "empty.ogg"
    with sf.SoundFile(path, "w", 48_000, 1, format="OGG", subtype="VORBIS"):
        pass
    with pytest.raises(AudioLoadError, match="contains no audio"):
        probe(path)


@pytest.mark.parametrize("frames", [1, 23])  # 23 frames at 48 kHz: 0.48 ms, rounds to 0
def test_a_file_shorter_than_a_millisecond_is_refused_as_too_short(
    tmp_path: Path, frames: int
) -> None:
    """Trims are whole milliseconds and the API rounds the length to the nearest one, so
    a file under half a millisecond is 0 ms long and no edit of it can ever be valid:
    refused at once, saying so, rather than opened into an editor that cannot save."""
    path = tmp_path / "click.wav"
    sf.write(path, np.full(frames, 0.5, dtype=np.float32), 48_000)
    with pytest.raises(AudioLoadError) as caught:
        probe(path)
    message = str(caught.value)
    assert "too short" in message
    assert f"{frames} sample" in message


def test_a_file_of_one_millisecond_opens(tmp_path: Path) -> None:
    path = tmp_path / "blip.wav"
    sf.write(path, np.full(48, 0.5, dtype=np.float32), 48_000)
    assert probe(path).duration_ms == 1


def _wav_with_tag(path: Path, tag: int) -> Path:
    """A WAV whose fmt chunk names encoding ``tag``, with a few bytes of data."""
    fmt = struct.pack("<HHIIHH", tag, 1, 8000, 16000, 2, 16)
    data = bytes(400)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


@pytest.mark.parametrize(("tag", "name"), [(0x0161, "Windows Media Audio"), (0x1234, "")])
def test_a_wav_in_an_encoding_libsndfile_lacks_says_so_and_what_to_do(
    tmp_path: Path, tag: int, name: str
) -> None:
    """libsndfile calls such a fmt chunk "malformed"; the user needs to hear "convert"."""
    path = _wav_with_tag(tmp_path / "take.wav", tag)
    with pytest.raises(AudioLoadError) as caught:
        probe(path)
    message = str(caught.value)
    assert f"format tag 0x{tag:04X}" in message
    assert name in message
    assert "cannot decode" in message
    assert "Convert it to FLAC or to WAV with PCM samples" in message


def test_float_channels_that_overflow_or_cancel_read_cleanly(tmp_path: Path) -> None:
    """Found by the header fuzz: +Inf in one channel and -Inf in the other, or two
    channels near float32's maximum, made the channel sum warn ("invalid value", an
    "overflow"), an exception wherever warnings are errors. The mix is sanitised after
    the sum (NaN -> 0, ±Inf -> ±1, clipped to [-1, 1]), so the warning is noise."""
    big = np.finfo(np.float32).max
    left = np.array([np.inf, big, 0.5, -np.inf] * 300, dtype=np.float32)
    right = np.array([-np.inf, big, 0.5, np.nan] * 300, dtype=np.float32)
    path = tmp_path / "float.wav"
    sf.write(path, np.stack([left, right], axis=1), 48_000, subtype="FLOAT")
    with SampleReader(path) as reader:
        mono = reader.read_mono(0, 4)
    np.testing.assert_array_equal(mono, np.array([0.0, 1.0, 0.5, -0.5], dtype=np.float32))
    pyramid = load_pyramid(path, use_cache=False)
    assert float(pyramid.maxs[0].max()) == 1.0
