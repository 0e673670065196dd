"""The emulator's noise-removed preview: a spectral gate that lowers a known noise floor.

The signal: tone bursts (speech-like on and off, at -15 dBFS RMS) over white noise of a
known level (-50 dBFS RMS). The noise floor of each preview is measured twice, with the
analysis package (the quietest 500 ms, as the audio check reports it) and with plain
numpy over a stretch known to hold only noise; the gated one must be far lower, and
the bursts must keep their level.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.analysis import analyse_samples
from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.emulator.audio import preview

RATE = 48_000
NOISE_DBFS = -50.0


def db(x: np.ndarray[Any, Any]) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64)))))


def bursts_over_noise(seconds: int = 12, channels: int = 1) -> np.ndarray[Any, Any]:
    """One second of tone, one of noise only, in turn, all over white noise at -50 dBFS."""
    rng = np.random.default_rng(7)
    t = np.arange(seconds * RATE) / RATE
    on = (np.floor(t) % 2 == 0).astype(np.float64)
    tone = 0.25 * np.sin(2 * np.pi * 440 * t) * on  # -15 dBFS RMS while on
    noise_rms = 10 ** (NOISE_DBFS / 20)
    noise = rng.normal(0, noise_rms, (t.size, channels))
    return (tone[:, None] + noise).astype(np.float32)


def decode(wav: bytes) -> np.ndarray[Any, Any]:
    return np.asarray(sf.read(io.BytesIO(wav), dtype="float32", always_2d=True)[0])


@pytest.mark.parametrize("channels", [1, 2])
def test_the_gated_preview_has_a_much_lower_noise_floor(tmp_path: Path, channels: int) -> None:
    path = tmp_path / "take.wav"
    signal = bursts_over_noise(channels=channels)
    sf.write(path, signal, RATE, subtype="FLOAT")
    plain = decode(preview(path)[0])
    gated = decode(preview(path, remove_background_noise=True)[0])
    assert plain.shape == gated.shape == signal.shape

    # Independent: RMS over a stretch that holds only noise (1.2-1.8 s), and a tone's.
    quiet = slice(round(1.2 * RATE), round(1.8 * RATE))
    loud = slice(round(4.2 * RATE), round(4.8 * RATE))
    assert abs(db(plain[quiet]) - NOISE_DBFS) < 0.5  # the preview is the file (16-bit)
    assert db(gated[quiet]) < NOISE_DBFS - 20
    assert abs(db(gated[loud]) - db(plain[loud])) < 0.5, "the gate changed the tone's level"

    # The analysis package's noise floor (quietest 500 ms) agrees with both.
    floor_plain = analyse_samples(plain, RATE).noise_floor_dbfs
    floor_gated = analyse_samples(gated, RATE).noise_floor_dbfs
    assert abs(floor_plain - NOISE_DBFS) < 1.0
    assert floor_gated < floor_plain - 20
    assert abs(floor_gated - db(gated[quiet])) < 3.0


def test_a_clean_recording_keeps_its_level_through_the_gate(tmp_path: Path) -> None:
    """No noise to remove: what is there stays (the gate only cuts what is near the floor)."""
    path = tmp_path / "clean.wav"
    t = np.arange(4 * RATE) / RATE
    tone = (0.25 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    sf.write(path, tone, RATE, subtype="FLOAT")
    gated = decode(preview(path, remove_background_noise=True)[0])[:, 0]
    middle = slice(RATE, 3 * RATE)
    assert abs(db(gated[middle]) - db(tone[middle])) < 0.2


def test_the_client_gets_both_previews_from_the_emulator(emulator: Any, tmp_path: Path) -> None:
    """Over loopback: GET …/audio?remove_background_noise=true is the gated one."""
    path = tmp_path / "noisy.wav"
    sf.write(path, bursts_over_noise(seconds=6), RATE, subtype="PCM_16")
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        voice = emulator.demo.voice_id
        sample_id = client.add_samples(voice, [path])[0].sample_id
        plain = decode(client.get_sample_preview(voice, sample_id).audio)
        gated = decode(
            client.get_sample_preview(voice, sample_id, remove_background_noise=True).audio
        )
    quiet = slice(round(1.2 * RATE), round(1.8 * RATE))
    assert db(gated[quiet]) < db(plain[quiet]) - 20
