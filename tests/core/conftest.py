"""Fixtures for the core tests: a spec-checking HTTP client and generated audio."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import soundfile as sf

# Lets test modules here `from openapi_check import ...` under any pytest import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from openapi_check import assert_valid_response, operation_for

# Synthetic "two speakers" recording used by the segmentation and upload tests:
# (start, end, f0) of each utterance in seconds; silence elsewhere.
TWO_VOICE_RATE = 16000
TWO_VOICE_DURATION = 5.0
TWO_VOICE_SPANS = ((0.5, 1.7, 110.0), (2.2, 3.2, 240.0), (3.7, 4.5, 110.0))


class EmulatorHttp:
    """A ``requests`` session against a running emulator, with the API key.

    Every API response is checked: it carries ``x-trace-id`` and its JSON body conforms
    to the spec schema for its operation and status (``check=False`` to skip, e.g. for
    unknown paths or deliberately broken responses).
    """

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["xi-api-key"] = api_key

    def request(
        self, method: str, path: str, *, check: bool = True, **kwargs: Any
    ) -> requests.Response:
        """Send one request (10 s timeout) and check the answer against the spec."""
        kwargs.setdefault("timeout", 10)
        response = self.session.request(method, self.base_url + path, **kwargs)
        if check:
            assert response.headers.get("x-trace-id"), "every response carries x-trace-id"
            assert_valid_response(
                operation_for(method, path), response.status_code, response.json()
            )
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST ``path``."""
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        """DELETE ``path``."""
        return self.request("DELETE", path, **kwargs)

    def sample(self, voice_id: str, sample_id: str) -> dict[str, Any]:
        """The sample as ``GET /v1/voices/{voice_id}`` reports it."""
        voice = self.get(f"/v1/voices/{voice_id}").json()
        return next(s for s in voice["samples"] if s["sample_id"] == sample_id)

    def separate(self, sample_path: str, *, within: float = 5.0) -> dict[str, Any]:
        """POST separate-speakers for ``…/samples/{id}``; poll until it is no longer pending."""
        assert self.post(f"{sample_path}/separate-speakers").json() == {"status": "ok"}
        deadline = time.monotonic() + within
        while True:
            body: dict[str, Any] = self.get(f"{sample_path}/speakers").json()
            if body["status"] != "pending" or time.monotonic() > deadline:
                return body
            time.sleep(0.05)

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()


@pytest.fixture
def http(emulator: Any) -> Iterator[EmulatorHttp]:
    """An :class:`EmulatorHttp` for the suite's ``emulator`` fixture (demo seeded)."""
    client = EmulatorHttp(emulator.base_url, emulator.api_key)
    yield client
    client.close()


def two_voice_signal(rate: int = TWO_VOICE_RATE) -> np.ndarray:
    """A mono float32 signal: harmonic "voices" at :data:`TWO_VOICE_SPANS`, faint noise."""
    t = np.arange(int(TWO_VOICE_DURATION * rate)) / rate
    signal = np.random.default_rng(7).normal(0.0, 1e-4, t.size)
    for start, end, f0 in TWO_VOICE_SPANS:
        inside = (t >= start) & (t < end)
        tt = t[inside] - start
        voice = sum(np.sin(2 * np.pi * f0 * k * tt) / k for k in range(1, 6))
        # A syllable-rate wobble makes it speech-like without creating gaps.
        voice *= 0.3 * (0.75 + 0.25 * np.sin(2 * np.pi * 4 * tt))
        signal[inside] += voice
    return signal.astype(np.float32)


@pytest.fixture
def make_audio(tmp_path: Path) -> Callable[..., Path]:
    """Write audio to a file in tmp: ``make_audio(name, signal=None, rate=16000)``.

    Without ``signal`` it writes :func:`two_voice_signal`. The format follows the
    extension (``.wav``, ``.flac``).
    """

    def write(name: str, signal: np.ndarray | None = None, rate: int = TWO_VOICE_RATE) -> Path:
        path = tmp_path / name
        data = two_voice_signal(rate) if signal is None else signal
        sf.write(str(path), data, rate, subtype="PCM_16")
        return path

    return write


def exit_during_a_slow_decode(body: str, path: Path) -> list[str]:
    """Run ``body`` in a fresh interpreter with every decode slowed; the words it printed.

    Each decode (``FrameDecoder.read_sum``) first sleeps 0.3 s, releasing the GIL as
    libsndfile does, and prints ``decoded`` when done; ``body`` sees ``path`` and starts
    the work, then the interpreter exits. A decode still running inside libsndfile while
    the process tears it down crashed it (Segmentation fault, seen with a 1-hour MP3):
    exit must wait, so ``decoded`` comes after ``exiting``. Asserts a clean exit.
    """
    code = (
        "import sys, threading, time\n"
        "from pvc_sample_editor.audio import source\n"
        "real = source.FrameDecoder.read_sum\n"
        "def slow(self, start, frames):\n"
        "    time.sleep(0.3)\n"
        "    out = real(self, start, frames)\n"
        "    print('decoded', flush=True)\n"
        "    return out\n"
        "source.FrameDecoder.read_sum = slow\n"
        "path = sys.argv[1]\n"
        f"{body}\n"
        "time.sleep(0.05)  # the decode has started\n"
        "print('exiting', flush=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split()


def write_in_blocks(path: Path, data: np.ndarray, rate: int = 48_000, **kwargs: str) -> Path:
    """Write ``(frames, channels)`` samples to ``path`` (format from the suffix or kwargs).

    In small writes: libsndfile 1.2's Vorbis encoder crashes on one huge write.
    """
    with sf.SoundFile(path, "w", rate, data.shape[1], **kwargs) as out:
        for start in range(0, len(data), 8192):
            out.write(data[start : start + 8192])
    return path


def file_mono(path: Path) -> np.ndarray:
    """The mono mix as the audio core defines it, computed the plain way in float64."""
    data = np.nan_to_num(sf.read(path, dtype="float64", always_2d=True)[0], posinf=1, neginf=-1)
    return np.clip(data.mean(axis=1), -1, 1)


def count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the start frame of every block any FrameDecoder decodes from now on."""
    from pvc_sample_editor.audio.source import FrameDecoder

    reads: list[int] = []
    real_read_sum = FrameDecoder.read_sum

    def counting_read_sum(self: FrameDecoder, start: int, frames: int) -> np.ndarray:
        reads.append(start)
        return real_read_sum(self, start, frames)

    monkeypatch.setattr(FrameDecoder, "read_sum", counting_read_sum)
    return reads
