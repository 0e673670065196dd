"""Measure the speech detection against a plain energy threshold on a labelled set.

Not a pytest test. Run::

    python tests/benchmarks/bench_vad.py

The set (``tests/analysis/labelled.py``) is espeak-ng speech: six phrases per clip with
pauses of 0.4-3 s, breaths and clicks in the pauses, and rumbly room noise at several
signal-to-noise ratios, at 48 and 44.1 kHz. The truth comes from the clean phrases.
For each condition it prints the frame accuracy (10 ms frames) of

- ``report``: the speech the report uses (WebRTC VAD, then clicks and breaths dropped);
- ``webrtc``: the WebRTC VAD's own decisions;
- ``energy``: speech where a 30 ms frame is 10 dB above the quietest tenth of frames;

and, for the report's suggested trims, how often the start fell after the true onset or
the end before the true offset (must be never), and the mean room left around speech.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))

import labelled

from pvc_sample_editor.analysis import analyse_samples
from pvc_sample_editor.analysis.speech import FRAME_MS, EnergyDetector, VoiceDetector

SNRS: tuple[float | None, ...] = (None, 30.0, 20.0, 10.0, 5.0)
RATES = (48_000, 44_100)
SEEDS = (1, 2, 3)


def _grid(segments: tuple[tuple[int, int], ...], count: int) -> np.ndarray:
    mask = np.zeros(count, dtype=bool)
    for start, end in segments:
        mask[start // 10 : end // 10] = True
    return mask


def _per_frame(decisions: np.ndarray, count: int) -> np.ndarray:
    mask = np.zeros(count, dtype=bool)
    spread = np.repeat(decisions, FRAME_MS // labelled.FRAME_MS)[:count]
    mask[: spread.size] = spread
    return mask


def measure(clip: labelled.Clip) -> dict[str, float]:
    """Frame accuracies and trim outcome for one clip."""
    truth = clip.truth
    count = truth.size
    report = analyse_samples(clip.samples, clip.rate)
    vad = VoiceDetector(clip.rate)
    vad.feed(clip.samples)
    step = clip.rate * FRAME_MS // 1000
    whole = clip.samples.size // step
    power = (clip.samples[: whole * step].astype(np.float64).reshape(whole, step) ** 2).mean(1)
    energy = EnergyDetector().detect(power)
    start, end = report.suggested_trim_start_ms, report.suggested_trim_end_ms
    assert start is not None
    assert end is not None
    return {
        "report": float(np.mean(_grid(report.speech_segments, count) == truth)),
        "webrtc": float(np.mean(_per_frame(vad.frames, count) == truth)),
        "energy": float(np.mean(_per_frame(energy, count) == truth)),
        "cut_in": float(start > clip.onset_ms or end < clip.offset_ms),
        "room_ms": float((clip.onset_ms - start) + (end - clip.offset_ms)) / 2,
    }


def main() -> int:
    """Run every condition, print one JSON line each and a summary."""
    rows = []
    for snr in SNRS:
        results = []
        for rate in RATES:
            for seed in SEEDS:
                rng = np.random.default_rng(seed)
                gaps = tuple(float(g) for g in rng.uniform(0.4, 3.0, 5).round(2))
                clip = labelled.make_clip(
                    rate, gaps, snr_db=snr, breaths=True, clicks=True, seed=seed * 7 + rate
                )
                results.append(measure(clip))
        row = {
            "snr_db": "clean" if snr is None else snr,
            **{k: round(float(np.mean([r[k] for r in results])), 3) for k in results[0]},
            "clips": len(results),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    for key in ("report", "webrtc", "energy"):
        print(f"{key:>7}: mean frame accuracy {np.mean([r[key] for r in rows]):.3f}")
    cut = sum(r["cut_in"] * r["clips"] for r in rows)
    print(f"suggested trims that cut into speech: {cut:.0f} of {sum(r['clips'] for r in rows)}")
    return 0 if cut == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
