"""Generate the bundled two-speaker demo recording and its speaker sidecar.

Produces, in the output folder (default: this script's own folder):

* ``demo-interview.flac`` -- a short synthetic "interview" (mono, 16-bit,
  22050 Hz) made with espeak-ng in two clearly different voices, with
  1.5 s of silence at each end, short pauses between turns, low-level pink
  room noise (about -50 dBFS RMS, rolled off above 3 kHz) and a faint 50 Hz
  hum so that noise removal has something to act on. Peaks are normalised to
  -3 dBFS.
* ``demo-interview.flac.speakers.json`` -- the speaker sidecar consumed by the
  emulator: per-speaker utterance bounds in seconds, measured from where each
  (silence-trimmed) synthesized turn was placed in the final file.

The output is deterministic: espeak-ng is deterministic and all randomness
(noise, pause lengths) comes from a fixed seed.

Usage::

    python resources/demo/make_demo.py [--out DIR]

Requires the ``espeak-ng`` binary on PATH plus numpy and soundfile.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

SAMPLE_RATE = 22050
SEED = 20240611
EDGE_SILENCE_S = 1.5
PAUSE_RANGE_S = (0.3, 0.8)
PEAK_DBFS = -3.0
NOISE_DBFS = -50.0
NOISE_ROLLOFF_HZ = 3000.0
NOISE_HIGHPASS_HZ = 20.0
HUM_DBFS = -58.0
HUM_HZ = 50.0
TRIM_THRESHOLD_DB = -45.0
FLAC_NAME = "demo-interview.flac"
SIDECAR_NAME = FLAC_NAME + ".speakers.json"
MAX_BYTES = 1_000_000

# espeak-ng arguments per speaker: voice+variant, pitch (-p) and speed (-s).
VOICES: dict[int, list[str]] = {
    0: ["-v", "en-us+m3", "-p", "35", "-s", "165"],
    1: ["-v", "en-gb+f4", "-p", "70", "-s", "150"],
}

# (speaker index, text). Speaker 0 is the interviewer, speaker 1 the guest.
SCRIPT: list[tuple[int, str]] = [
    (0, "Welcome back. Today we are talking about recording voice samples."),
    (1, "Thanks for having me. It is simpler than most people think."),
    (0, "So where should someone start?"),
    (1, "Find a quiet room with soft furnishings, and keep the microphone a hand's width away."),
    (0, "How long should each sample be?"),
    (1, "A few minutes of clean, natural speech is far better than an hour of noisy audio."),
    (0, "And what about background noise?"),
    (1, "Switch off fans and fridges, and always listen back before you upload anything."),
    (0, "Great advice. Thanks for joining us."),
]


def synthesize(text: str, voice_args: list[str], workdir: Path) -> np.ndarray:
    """Synthesize ``text`` with espeak-ng and return float32 mono samples.

    espeak-ng writes a temporary WAV file which is read back with soundfile.
    Raises ``RuntimeError`` if espeak-ng returns audio at an unexpected rate.
    """
    wav_path = workdir / "turn.wav"
    subprocess.run(
        ["espeak-ng", *voice_args, "-w", str(wav_path), text],
        check=True,
        capture_output=True,
    )
    audio, rate = sf.read(wav_path, dtype="float32", always_2d=False)
    if rate != SAMPLE_RATE:
        raise RuntimeError(f"espeak-ng produced {rate} Hz, expected {SAMPLE_RATE} Hz")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    return np.asarray(audio, dtype=np.float32)


def trim_silence(audio: np.ndarray, threshold_db: float = TRIM_THRESHOLD_DB) -> np.ndarray:
    """Trim leading/trailing silence using a 10 ms frame-energy threshold.

    Frames whose RMS is more than ``threshold_db`` below the clip's loudest
    frame count as silence. Returns the slice from the first to the last
    frame above the threshold (whole frames, so bounds stay tight).
    """
    frame = int(SAMPLE_RATE * 0.010)
    n_frames = len(audio) // frame
    if n_frames == 0:
        return audio
    frames = audio[: n_frames * frame].reshape(n_frames, frame)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    ref = float(rms.max())
    if ref <= 0.0:
        return audio[:0]
    loud = np.flatnonzero(rms >= ref * 10.0 ** (threshold_db / 20.0))
    return audio[loud[0] * frame : (loud[-1] + 1) * frame]


def pink_noise(n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n_samples`` of unit-RMS pink (1/f power) noise via FFT shaping.

    Sub-audible content below ``NOISE_HIGHPASS_HZ`` is removed (it would
    otherwise dominate the RMS as slow DC drift), and the noise is rolled off
    above ``NOISE_ROLLOFF_HZ`` (second order), like typical room tone; this
    also keeps the FLAC file small.
    """
    spectrum = np.fft.rfft(rng.standard_normal(n_samples))
    freqs = np.fft.rfftfreq(n_samples, d=1.0 / SAMPLE_RATE)
    freqs[0] = freqs[1]
    spectrum /= np.sqrt(freqs)
    spectrum /= np.sqrt(1.0 + (freqs / NOISE_ROLLOFF_HZ) ** 4)
    spectrum[freqs < NOISE_HIGHPASS_HZ] = 0.0
    noise = np.fft.irfft(spectrum, n=n_samples)
    noise -= noise.mean()
    return noise / np.sqrt(np.mean(noise**2))


def db_to_amp(db: float) -> float:
    """Convert a dBFS value to a linear amplitude."""
    return float(10.0 ** (db / 20.0))


def build_mix(workdir: Path, rng: np.random.Generator) -> tuple[np.ndarray, dict[int, list]]:
    """Synthesize every turn, place them on a timeline and add noise and hum.

    Returns the final float mix (peak-normalised to ``PEAK_DBFS``) and a
    mapping of speaker index to a list of ``(start_sample, end_sample)``.
    """
    pieces: list[np.ndarray] = [np.zeros(int(EDGE_SILENCE_S * SAMPLE_RATE), dtype=np.float32)]
    spans: dict[int, list] = {speaker: [] for speaker in VOICES}
    cursor = len(pieces[0])
    for index, (speaker, text) in enumerate(SCRIPT):
        if index > 0:
            pause = int(rng.uniform(*PAUSE_RANGE_S) * SAMPLE_RATE)
            pieces.append(np.zeros(pause, dtype=np.float32))
            cursor += pause
        clip = trim_silence(synthesize(text, VOICES[speaker], workdir))
        # Roughly level-match the two voices before placing them.
        clip = clip / np.sqrt(np.mean(clip.astype(np.float64) ** 2)) * 0.1
        pieces.append(clip.astype(np.float32))
        spans[speaker].append((cursor, cursor + len(clip)))
        cursor += len(clip)
    pieces.append(np.zeros(int(EDGE_SILENCE_S * SAMPLE_RATE), dtype=np.float32))
    speech = np.concatenate(pieces).astype(np.float64)

    # Speech peaks at PEAK_DBFS before the noise bed is added.
    speech *= db_to_amp(PEAK_DBFS) / np.max(np.abs(speech))
    t = np.arange(len(speech)) / SAMPLE_RATE
    hum = np.sin(2 * np.pi * HUM_HZ * t) + 0.3 * np.sin(2 * np.pi * 3 * HUM_HZ * t)
    hum *= db_to_amp(HUM_DBFS) / np.sqrt(np.mean(hum**2))
    noise = pink_noise(len(speech), rng) * db_to_amp(NOISE_DBFS)
    mix = speech + noise + hum
    # Final peak normalisation (the noise bed shifts the peak only slightly).
    mix *= db_to_amp(PEAK_DBFS) / np.max(np.abs(mix))
    return mix, spans


def write_outputs(out_dir: Path, mix: np.ndarray, spans: dict[int, list]) -> None:
    """Write the FLAC file and its ``.speakers.json`` sidecar into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sf.write(
        out_dir / FLAC_NAME,
        mix,
        SAMPLE_RATE,
        format="FLAC",
        subtype="PCM_16",
        compression_level=1.0,
    )
    duration = len(mix) / SAMPLE_RATE
    sidecar = {
        "speakers": [
            {
                "speaker_id": f"speaker_{speaker}",
                "utterances": [
                    {"start": round(start / SAMPLE_RATE, 3), "end": round(end / SAMPLE_RATE, 3)}
                    for start, end in spans[speaker]
                ],
            }
            for speaker in sorted(spans)
        ],
        "duration_secs": round(duration, 3),
        "generated_by": "resources/demo/make_demo.py",
    }
    (out_dir / SIDECAR_NAME).write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate the demo and print a short summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="output directory (default: this script's folder)",
    )
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        print("error: espeak-ng not found on PATH", file=sys.stderr)
        return 1
    rng = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        mix, spans = build_mix(Path(tmp), rng)
    write_outputs(args.out, mix, spans)
    flac = args.out / FLAC_NAME
    if flac.stat().st_size >= MAX_BYTES:
        print(f"warning: {flac} is not under {MAX_BYTES} bytes", file=sys.stderr)
    print(
        f"wrote {flac} ({len(mix) / SAMPLE_RATE:.2f} s, {flac.stat().st_size} bytes) "
        f"and {args.out / SIDECAR_NAME}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
