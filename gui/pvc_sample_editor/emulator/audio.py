"""Reading uploaded audio and producing the emulator's waveform and audio previews.

Decisions (the spec leaves these open):

- **Waveform resolution**: ``visual_waveform`` holds one value per 100 ms window of the
  whole, untrimmed file (:data:`WAVEFORM_WINDOW_SECS`): the peak absolute sample value
  over all channels in that window, in ``[0, 1]`` (full scale = 1), rounded to 4
  decimals. The last window may be shorter, so the length is
  ``ceil(duration_secs * 10)``.
- **Preview encoding**: every audio the emulator sends (the 30 s sample preview and a
  speaker's audio) is 16-bit PCM WAV, ``media_type`` ``"audio/wav"``, in the upload's
  sample rate and channel count. WAV because every player and decoder the editor might
  use (QtMultimedia, soundfile, the stdlib ``wave`` module) reads it; its size does not
  matter over loopback.
- **Preview noise removal**: ``remove_background_noise=true`` on the preview applies a
  simple noise gate: every 50 ms frame quieter than the speech threshold of
  :mod:`.segmentation` is attenuated by 20 dB. Audibly different and deterministic,
  which is all an emulator needs.
"""

from __future__ import annotations

import io
import math
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from pvc_sample_editor.emulator.segmentation import frame_rms, speech_threshold

__all__ = [
    "PREVIEW_MEDIA_TYPE",
    "PREVIEW_SECONDS",
    "WAVEFORM_WINDOW_SECS",
    "AudioInfo",
    "UnreadableAudioError",
    "cut_spans",
    "load_mono",
    "preview",
    "probe",
    "visual_waveform",
]

PREVIEW_SECONDS = 30.0
PREVIEW_MEDIA_TYPE = "audio/wav"
WAVEFORM_WINDOW_SECS = 0.1
GATE_ATTENUATION = 10 ** (-20 / 20)

# libsndfile's major format -> the MIME type the API reports for the sample.
_MIME_BY_FORMAT = {
    "WAV": "audio/wav",
    "WAVEX": "audio/wav",
    "RF64": "audio/wav",
    "W64": "audio/wav",
    "FLAC": "audio/flac",
    "OGG": "audio/ogg",
    "MP3": "audio/mpeg",
    "AIFF": "audio/aiff",
    "AU": "audio/basic",
    "CAF": "audio/x-caf",
}

Float2D = npt.NDArray[np.float32]


class UnreadableAudioError(ValueError):
    """The bytes are not audio that libsndfile can decode."""


@dataclass(frozen=True)
class AudioInfo:
    """What the API reports about a stored file, derived by actually decoding it."""

    duration_secs: float
    samplerate: int
    channels: int
    frames: int
    mime_type: str


def probe(path: Path, file_name: str) -> AudioInfo:
    """Decode ``path``'s header; raise :class:`UnreadableAudioError` when it is not audio."""
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise UnreadableAudioError(f"'{file_name}' is not a readable audio file ({exc})") from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise UnreadableAudioError(f"'{file_name}' contains no audio")
    mime = _MIME_BY_FORMAT.get(str(info.format)) or mimetypes.guess_type(file_name)[0]
    return AudioInfo(
        duration_secs=round(info.frames / info.samplerate, 3),
        samplerate=int(info.samplerate),
        channels=int(info.channels),
        frames=int(info.frames),
        mime_type=mime or "application/octet-stream",
    )


def _read(path: Path, start: int = 0, stop: int | None = None) -> tuple[Float2D, int]:
    data, rate = sf.read(str(path), start=start, stop=stop, dtype="float32", always_2d=True)
    return data, int(rate)


def load_mono(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """The whole file mixed down to one float64 channel, and its sample rate."""
    data, rate = _read(path)
    return data.mean(axis=1, dtype=np.float64), rate


def visual_waveform(path: Path) -> list[float]:
    """Peak absolute value per 100 ms window of the whole file (see module docstring)."""
    rate = sf.info(str(path)).samplerate
    window = max(1, round(rate * WAVEFORM_WINDOW_SECS))
    peaks: list[float] = []
    # Block-wise so an hour-long upload never sits in memory whole, but 256 windows a
    # block: one window a block cost 0.9 s for a 14-minute sample. A block is a whole
    # number of windows, so only the file's last window can be short.
    blocks = sf.blocks(str(path), blocksize=window * 256, dtype="float32", always_2d=True)
    for block in blocks:
        frame_peaks = np.abs(block).max(axis=1) if block.size else np.zeros(1, np.float32)
        whole = frame_peaks.size // window * window
        if whole:
            peaks.extend(frame_peaks[:whole].reshape(-1, window).max(axis=1).tolist())
        if whole < frame_peaks.size:
            peaks.append(float(frame_peaks[whole:].max()))
    return [round(p, 4) for p in peaks]


def _encode_wav(data: Float2D, rate: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, data, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _noise_gate(data: Float2D, rate: int) -> Float2D:
    mono = data.mean(axis=1, dtype=np.float64)
    rms, frame = frame_rms(mono, rate)
    if rms.size == 0:
        return data
    quiet = rms < speech_threshold(rms)
    gain = np.where(quiet, GATE_ATTENUATION, 1.0).repeat(frame)
    # Pad the per-frame gain to the sample count (the last partial frame counts as quiet
    # or not by the frame before it).
    gain = np.pad(gain, (0, max(0, data.shape[0] - gain.size)), mode="edge")[: data.shape[0]]
    return (data * gain[:, None]).astype(np.float32)


def preview(path: Path, *, remove_background_noise: bool = False) -> tuple[bytes, float]:
    """WAV bytes of the first :data:`PREVIEW_SECONDS` of the file, and their duration."""
    rate = sf.info(str(path)).samplerate
    data, rate = _read(path, 0, math.ceil(PREVIEW_SECONDS * rate))
    if remove_background_noise:
        data = _noise_gate(data, rate)
    return _encode_wav(data, rate), round(data.shape[0] / rate, 3)


def cut_spans(path: Path, spans: Sequence[tuple[float, float]]) -> tuple[bytes, float]:
    """WAV bytes of the given ``(start, end)`` second spans, joined in order, and duration."""
    data, rate = _read(path)
    pieces = [
        data[max(0, round(start * rate)) : min(data.shape[0], round(end * rate))]
        for start, end in spans
    ]
    joined = np.concatenate(pieces) if pieces else np.zeros((0, data.shape[1]), np.float32)
    return _encode_wav(joined, rate), round(joined.shape[0] / rate, 3)
