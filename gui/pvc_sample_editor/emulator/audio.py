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
  simple spectral gate, so that comparing the two previews means something offline
  and in tests: a short-time Fourier transform (2048-sample Hann frames at 48 kHz,
  scaled with the rate; 75 % overlap), a per-bin noise level from the quietest tenth
  of the frames, and every bin of every frame whose neighbourhood (3 frames by 3 bins)
  is less than 10 dB above that level attenuated by 30 dB (the gain smoothed over three
  frames against "musical noise"); a file with no quiet stretch (its loudest tenth of
  frames within 10 dB of its quietest) is left as it is,
  then the inverse transform with overlap-add. The gain comes from the channels' mix
  and applies to every channel alike. Steady background noise drops by about 30 dB
  and speech keeps its level; it is deterministic, and not the server's algorithm.
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
# The spectral gate: bins this far above the quietest frames' level pass...
GATE_MARGIN = 10 ** (10 / 20)
# ...the others are attenuated this much; the quietest share of frames sets the level.
GATE_ATTENUATION = 10 ** (-30 / 20)
GATE_QUIET_SHARE = 0.1
# The loudest tenth must be this far above the quietest (10 dB) for a background to exist.
GATE_MIN_CONTRAST = 10.0

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


def _frames(x: npt.NDArray[np.float32], size: int, hop: int) -> npt.NDArray[np.float32]:
    """Overlapping frames of ``x`` (already padded), one a row: a view, nothing copied."""
    count = 1 + (x.shape[0] - size) // hop
    return np.lib.stride_tricks.as_strided(
        x, shape=(count, size), strides=(x.strides[0] * hop, x.strides[0]), writeable=False
    )


def _spectral_gate(data: Float2D, rate: int) -> Float2D:
    """``data`` with its steady background noise gated out (see the module docstring)."""
    size = 1 << max(8, round(math.log2(rate * 2048 / 48_000)))
    hop = size // 4
    frames_in = data.shape[0]
    if frames_in < size:
        return data
    window = np.hanning(size + 1)[:size].astype(np.float32)  # periodic Hann
    pad = size  # so every sample lies under four frames
    padded_length = frames_in + 2 * pad + (-(frames_in + pad) % hop)

    def spectrum(x: npt.NDArray[np.float32]) -> npt.NDArray[np.complex64]:
        padded = np.zeros(padded_length, np.float32)
        padded[pad : pad + frames_in] = x
        return np.fft.rfft(_frames(padded, size, hop) * window, axis=1).astype(np.complex64)

    mix = spectrum(data.mean(axis=1, dtype=np.float32))
    magnitude = np.abs(mix)
    energy = (magnitude**2).mean(axis=1)
    quiet = energy <= np.quantile(energy, GATE_QUIET_SHARE)
    loud = energy >= np.quantile(energy, 1 - GATE_QUIET_SHARE)
    if energy[loud].mean() < energy[quiet].mean() * GATE_MIN_CONTRAST:
        return data  # no quiet stretch to learn the background from: nothing to remove
    noise = magnitude[quiet].mean(axis=0)
    # Compare a 3 x 3 (frames x bins) average, not single bins: a noise bin's magnitude
    # scatters (Rayleigh), and single bins above the margin would let noise through.
    smooth = magnitude.copy()
    smooth[1:-1] = (magnitude[:-2] + magnitude[1:-1] + magnitude[2:]) / 3
    smooth[:, 1:-1] = (smooth[:, :-2] + smooth[:, 1:-1] + smooth[:, 2:]) / 3
    gain = np.where(smooth > noise * GATE_MARGIN, 1.0, GATE_ATTENUATION).astype(np.float32)
    # Average over three frames: a bin that flickers across the threshold is not left
    # ringing on its own (the "musical noise" of a hard gate).
    gain[1:-1] = (gain[:-2] + gain[1:-1] + gain[2:]) / 3
    norm = np.zeros(padded_length, np.float32)
    for start in range(0, padded_length - size + 1, hop):
        norm[start : start + size] += window**2
    norm = np.maximum(norm, 1e-6)
    out = np.empty_like(data)
    for channel in range(data.shape[1]):
        spec = mix if data.shape[1] == 1 else spectrum(np.ascontiguousarray(data[:, channel]))
        pieces = np.fft.irfft(spec * gain, n=size, axis=1).astype(np.float32) * window
        y = np.zeros(padded_length, np.float32)
        for index, start in enumerate(range(0, padded_length - size + 1, hop)):
            y[start : start + size] += pieces[index]
        out[:, channel] = (y / norm)[pad : pad + frames_in]
    return out


def preview(path: Path, *, remove_background_noise: bool = False) -> tuple[bytes, float]:
    """WAV bytes of the first :data:`PREVIEW_SECONDS` of the file, and their duration."""
    rate = sf.info(str(path)).samplerate
    data, rate = _read(path, 0, math.ceil(PREVIEW_SECONDS * rate))
    if remove_background_noise:
        data = _spectral_gate(data, rate)
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
