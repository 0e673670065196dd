"""Benchmark the audio checks against the targets of the audio-insight issue.

Not a pytest test. Run::

    python tests/benchmarks/bench_analysis.py              # 1 h timing, 1 h and 3 h memory

It makes (once, cached under the system temp folder) 48 kHz mono 16-bit WAVs of
espeak-ng phrases with pauses and quiet room noise, 1 h and 3 h long, then measures in
the same run, each in a fresh interpreter:

- ``pyloudnorm``'s integrated loudness of the 1-hour file, already in memory (float64):
  the reference;
- the full report (:func:`analyse_file`, with speech detection) on the same file, read
  from disk (page cache warm); the target is at most 1.5 × the reference;
- a full report of a 10-second region (what a view shows) and the time to the first
  partial report of the whole file; the target for first verdicts is 200 ms;
- peak memory of the full report over the interpreter after its imports, for 1 h and
  3 h; the target is 60 MB for both.

Each figure is printed as one JSON line; the ratios against the targets follow.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))

from bench_audio_load import emit, proc_status_mb, reset_peak_rss, run_audio_child

RATE = 48_000
RATIO_TARGET = 1.5
FIRST_VERDICT_TARGET_S = 0.200
RSS_TARGET_MB = 60.0


def fixture(hours: float) -> Path:
    """A WAV of ``hours`` of espeak-ng phrases, 0.2-2.5 s pauses and -65 dBFS room noise."""
    import labelled  # espeak-ng, scipy: needed only to make the file

    key = hashlib.sha256(f"analysis-v1-{hours}-{RATE}".encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"pvc-bench-analysis-{key}" / "speech.wav"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    _log(f"generating {hours} h of speech in {path}")
    phrases = [
        0.5 * p / np.abs(p).max() for p in (labelled.phrase(t, RATE) for t in labelled.PHRASES)
    ]
    rng = np.random.default_rng(20261203)
    total = round(hours * 3600 * RATE)
    tmp = path.with_suffix(".tmp.wav")
    with sf.SoundFile(tmp, "w", RATE, 1, "PCM_16", format="WAV") as out:
        written = 0
        while written < total:
            gap = np.zeros(round(rng.uniform(0.2, 2.5) * RATE))
            part = np.concatenate([phrases[rng.integers(len(phrases))], gap])[: total - written]
            part += 10 ** (-65 / 20) * rng.standard_normal(part.size)
            out.write(part.astype(np.float32))
            written += part.size
    tmp.replace(path)
    return path


def _log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- children


def _child(kind: str, path: Path) -> dict[str, Any]:
    from pvc_sample_editor.analysis import analyse_file  # the baseline child imports it too

    result: dict[str, Any] = {}
    rss_after_imports = proc_status_mb("VmRSS") or 0.0
    if kind == "pyloudnorm":
        import pyloudnorm

        data = sf.read(path, dtype="float64")[0]
        meter = pyloudnorm.Meter(RATE)
        start = time.perf_counter()
        result["lufs"] = meter.integrated_loudness(data)
        result["seconds"] = time.perf_counter() - start
    elif kind == "report":
        reset_peak_rss()
        start = time.perf_counter()
        firsts: list[float] = []
        report = analyse_file(
            path, on_progress=lambda f, r: firsts.append(time.perf_counter() - start)
        )
        result["seconds"] = time.perf_counter() - start
        result["first_partial_seconds"] = firsts[0]
        result["lufs"] = report.integrated_lufs
        result["speech_ratio"] = report.speech_ratio
        result["long_pauses"] = len(report.long_pauses)
        result["peak_above_imports_mb"] = (proc_status_mb("VmHWM") or 0.0) - rss_after_imports
    elif kind == "region":
        middle = sf.info(str(path)).frames * 1000 // RATE // 2
        analyse_file(path, 0, 10_000)  # warm: the first call pays numpy's lazy set-up
        start = time.perf_counter()
        analyse_file(path, middle, middle + 10_000)
        result["seconds"] = time.perf_counter() - start
    elif kind != "baseline":
        raise ValueError(kind)
    return result


def run_child(kind: str, path: Path) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its JSON result."""
    return run_audio_child(kind, path, script=__file__)


# --------------------------------------------------------------------------- main


def main() -> int:
    """Make fixtures, measure, print one JSON line per figure and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs per timing; best is kept")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.path)))
        return 0
    one, three = fixture(1.0), fixture(3.0)
    for path in (one, three):  # page cache warm
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
    emit(figure="load_average_1min_at_start", value=os.getloadavg()[0])
    reference = min(
        (run_child("pyloudnorm", one) for _ in range(args.repeat)), key=lambda r: r["seconds"]
    )
    emit(figure="pyloudnorm_1h_seconds", value=round(reference["seconds"], 3))
    runs = [run_child("report", one) for _ in range(args.repeat)]
    ours = min(runs, key=lambda r: r["seconds"])
    emit(figure="report_1h_seconds", value=round(ours["seconds"], 3))
    emit(figure="lufs_ours_vs_pyloudnorm", value=[ours["lufs"], reference["lufs"]])
    emit(figure="speech_ratio_1h", value=round(ours["speech_ratio"], 3))
    first = max(r["first_partial_seconds"] for r in runs)
    emit(figure="first_partial_report_seconds", value=round(first, 4))
    region = min((run_child("region", one) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    emit(figure="region_10s_report_seconds", value=round(region["seconds"], 4))
    rss_1h = max(r["peak_above_imports_mb"] for r in runs)
    rss_3h = run_child("report", three)["peak_above_imports_mb"]
    emit(
        figure="report_peak_rss_above_imports_mb",
        value={"1h": round(rss_1h, 1), "3h": round(rss_3h, 1)},
    )
    ratio = ours["seconds"] / reference["seconds"]
    print(f"report / pyloudnorm = {ratio:.2f} (target ≤ {RATIO_TARGET})")
    print(
        f"first verdicts: 10-s region {region['seconds'] * 1000:.0f} ms, first partial "
        f"report of 1 h {first * 1000:.0f} ms (target ≤ {FIRST_VERDICT_TARGET_S * 1000:.0f} ms)"
    )
    print(f"peak memory: 1 h {rss_1h:.1f} MB, 3 h {rss_3h:.1f} MB (target ≤ {RSS_TARGET_MB} MB)")
    ok = (
        ratio <= RATIO_TARGET
        and max(region["seconds"], first) <= FIRST_VERDICT_TARGET_S
        and max(rss_1h, rss_3h) <= RSS_TARGET_MB
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
