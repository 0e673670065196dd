"""Benchmark the split of a long recording against one soundfile pass of the same audio.

Not a pytest test. Run::

    python tests/benchmarks/bench_split.py              # 3 hours of 48 kHz WAV
    python tests/benchmarks/bench_split.py --hours 1 --repeat 1

It generates (once, cached under the system temp folder) speech-like mono 48 kHz 16-bit
WAV, then measures in fresh interpreters, alternating so a burst of load from other
programs tends to hit both sides:

- the reference: read the WAV in blocks and write it as one 16-bit FLAC with soundfile;
- ``split_file`` with the app's defaults (parts of at most 30 minutes);

and, for the split, the rise of peak RSS above the interpreter's RSS after its imports.
The issue's targets: split time ≤ 1.5 × the reference, peak ≤ 100 MB above baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_audio_load import (
    SAMPLERATE,
    _speech_block,
    emit,
    proc_status_mb,
    reset_peak_rss,
    run_audio_child,
)

RATIO_TARGET = 1.5
PEAK_TARGET_MB = 100.0
_BLOCK = 1 << 17


def fixture(hours: float) -> Path:
    """A cached WAV of ``hours`` of speech-like audio (words, syllables, pauses, hiss)."""
    folder = Path(tempfile.gettempdir()) / f"pvc-bench-split-{hours:g}h"
    path = folder / "speech.wav"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    print(f"# generating {hours:g} h of WAV in {folder}", file=sys.stderr, flush=True)
    rng = np.random.default_rng(20261203)
    state = {"t": 0.0, "phase": 0.0}
    frames = round(hours * 3600 * SAMPLERATE)
    tmp = path.with_suffix(".tmp.wav")
    with sf.SoundFile(tmp, "w", SAMPLERATE, 1, "PCM_16", format="WAV") as out:
        for start in range(0, frames, 10 * SAMPLERATE):
            out.write(_speech_block(rng, min(10 * SAMPLERATE, frames - start), state))
    tmp.replace(path)
    return path


def _child(kind: str, path: Path) -> dict[str, Any]:
    from pvc_sample_editor.editing.split import split_file  # the reference imports it too

    out = Path(tempfile.mkdtemp(prefix="pvc-bench-split-out-"))
    rss_after_imports = proc_status_mb("VmRSS") or 0.0
    reset_peak_rss()
    result: dict[str, Any] = {}
    try:
        start = time.perf_counter()
        cpu_start = time.process_time()
        if kind == "reference":
            buffer = np.empty((_BLOCK, 1), dtype="int16")
            with (
                sf.SoundFile(path) as source,
                sf.SoundFile(out / "all.flac", "w", SAMPLERATE, 1, "PCM_16", format="FLAC") as sink,
            ):
                while True:
                    got = source.read(_BLOCK, dtype="int16", always_2d=True, out=buffer)
                    if not got.shape[0]:
                        break
                    sink.write(got)
        elif kind == "split":
            parts = split_file(path, out)
            result["parts"] = [(p.start_ms, p.end_ms, p.ends_in_pause) for p in parts]
        else:
            raise ValueError(kind)
        result["seconds"] = time.perf_counter() - start
        # CPU seconds: on a machine shared with other work, less noisy than wall time.
        result["cpu_seconds"] = time.process_time() - cpu_start
        result["peak_above_imports_mb"] = (proc_status_mb("VmHWM") or 0.0) - rss_after_imports
        result["output_mb"] = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    finally:
        shutil.rmtree(out)
    return result


def main() -> int:
    """Make the fixture, measure, print one JSON line per figure and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=2, help="runs per side; best is kept")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import json

        print(json.dumps(_child(args.child, args.path)))
        return 0
    path = fixture(args.hours)
    with open(path, "rb") as f:  # page cache warm for both sides
        while f.read(1 << 24):
            pass
    runs: dict[str, list[dict[str, Any]]] = {"reference": [], "split": []}
    for _ in range(args.repeat):
        for kind in runs:
            runs[kind].append(run_audio_child(kind, path, script=__file__))
    ref = min(r["seconds"] for r in runs["reference"])
    split = min(r["seconds"] for r in runs["split"])
    peak = max(r["peak_above_imports_mb"] for r in runs["split"])
    emit(figure="input", hours=args.hours, wav_mb=round(path.stat().st_size / 1e6, 1))
    emit(
        figure="reference_wav_to_flac_seconds",
        value=round(ref, 3),
        runs=[round(r["seconds"], 3) for r in runs["reference"]],
    )
    emit(
        figure="split_seconds",
        value=round(split, 3),
        runs=[round(r["seconds"], 3) for r in runs["split"]],
    )
    emit(figure="split_parts", value=runs["split"][0]["parts"])
    emit(
        figure="split_peak_above_imports_mb",
        value=round(peak, 1),
        reference=round(max(r["peak_above_imports_mb"] for r in runs["reference"]), 1),
    )
    ref_cpu = min(r["cpu_seconds"] for r in runs["reference"])
    split_cpu = min(r["cpu_seconds"] for r in runs["split"])
    emit(
        figure="cpu_seconds",
        reference=round(ref_cpu, 3),
        split=round(split_cpu, 3),
        ratio=round(split_cpu / ref_cpu, 3),
    )
    ratio = split / ref
    emit(
        figure="split_vs_reference_ratio",
        value=round(ratio, 3),
        target=RATIO_TARGET,
        met=ratio <= RATIO_TARGET,
    )
    emit(
        figure="split_peak_memory_mb",
        value=round(peak, 1),
        target=PEAK_TARGET_MB,
        met=peak <= PEAK_TARGET_MB,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
