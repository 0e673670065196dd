"""Benchmark an upload to the emulator against a plain ``requests`` multipart upload.

Not a pytest test. Run::

    python tests/benchmarks/bench_upload.py              # a 400 MB WAV
    python tests/benchmarks/bench_upload.py --mb 100 --repeat 1

The emulator runs in its own process (``pvc-sample-editor emulator``); each upload runs
in a fresh interpreter, alternating the two kinds so a burst of load from other
programs tends to hit both:

- the reference: ``requests.post(url, files=..., data=...)`` with the file's bytes (as
  ``requests`` needs them: read whole into memory);
- ``ApiClient.add_samples``: the body streamed from disk, with progress reports.

Printed: seconds, MB/s and the rise of peak RSS above the interpreter's RSS after its
imports, for both; the throughput ratio (target ≥ 0.5) and the app's memory (flat: it
should not grow with the file). Each uploaded sample is deleted again.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_audio_load import emit, proc_status_mb, reset_peak_rss

RATIO_TARGET = 0.5
KEY = "bench-upload-key"


def fixture(megabytes: int) -> Path:
    """A cached mono 48 kHz 16-bit WAV of about ``megabytes`` MB of noise."""
    path = Path(tempfile.gettempdir()) / f"pvc-bench-upload-{megabytes}mb" / "take.wav"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    frames = megabytes * 1_000_000 // 2
    with sf.SoundFile(path, "w", 48_000, 1, "PCM_16", format="WAV") as out:
        for start in range(0, frames, 1 << 20):
            out.write((0.05 * rng.standard_normal(min(1 << 20, frames - start))).astype("f4"))
    return path


def _child(kind: str, url: str, voice_id: str, path: Path) -> dict[str, Any]:
    import requests

    from pvc_sample_editor.api.client import ApiClient

    rss_after_imports = proc_status_mb("VmRSS") or 0.0
    reset_peak_rss()
    start = time.perf_counter()
    if kind == "requests":
        response = requests.post(
            f"{url}/v1/voices/pvc/{voice_id}/samples",
            headers={"xi-api-key": KEY},
            files=[("files", (path.name, path.read_bytes(), "audio/wav"))],
            data={"remove_background_noise": "false"},
            timeout=600,
        )
        response.raise_for_status()
        sample_id = response.json()[0]["sample_id"]
    else:
        with ApiClient(url, KEY) as client:
            sample_id = client.add_samples(voice_id, [path], on_progress=lambda s, t: None)[
                0
            ].sample_id
    seconds = time.perf_counter() - start
    peak = (proc_status_mb("VmHWM") or 0.0) - rss_after_imports
    requests.delete(
        f"{url}/v1/voices/pvc/{voice_id}/samples/{sample_id}",
        headers={"xi-api-key": KEY},
        timeout=60,
    ).raise_for_status()
    return {"seconds": seconds, "peak_above_imports_mb": peak}


def main() -> int:
    """Start the emulator, measure, print one JSON line per figure and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; best is kept")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--voice", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.url, args.voice, args.path)))
        return 0
    path = fixture(args.mb)
    size_mb = path.stat().st_size / 1e6
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pvc_sample_editor",
                "emulator",
                "--port",
                "0",
                "--data",
                data,
                "--api-key",
                KEY,
                "--no-demo",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = next(line for line in server.stdout if line.startswith("URL:")).split()[1]
            import requests

            voice_id = requests.post(
                f"{url}/v1/voices/pvc",
                headers={"xi-api-key": KEY},
                json={"name": "bench", "language": "en"},
                timeout=10,
            ).json()["voice_id"]
            runs: dict[str, list[dict[str, Any]]] = {"requests": [], "app": []}
            for _ in range(args.repeat):
                for kind in runs:
                    out = subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--child",
                            kind,
                            "--url",
                            url,
                            "--voice",
                            voice_id,
                            "--path",
                            str(path),
                        ],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                    runs[kind].append(json.loads(out.strip().splitlines()[-1]))
            emulator_peak = proc_status_mb("VmHWM", server.pid)
        finally:
            server.terminate()
            server.wait(30)
    best = {k: min(r["seconds"] for r in v) for k, v in runs.items()}
    peak = {k: max(r["peak_above_imports_mb"] for r in v) for k, v in runs.items()}
    emit(figure="file_mb", value=round(size_mb, 1))
    for kind in runs:
        emit(
            figure=f"{kind}_upload_seconds",
            value=round(best[kind], 3),
            mb_per_s=round(size_mb / best[kind], 1),
            runs=[round(r["seconds"], 3) for r in runs[kind]],
            peak_above_imports_mb=round(peak[kind], 1),
        )
    ratio = best["requests"] / best["app"]  # throughput of the app over the reference's
    emit(
        figure="app_vs_requests_throughput",
        value=round(ratio, 3),
        target=RATIO_TARGET,
        met=ratio >= RATIO_TARGET,
    )
    emit(
        figure="emulator_peak_rss_mb",
        value=round(emulator_peak or 0.0, 1),
        file_mb=round(size_mb, 1),
    )
    emit(
        figure="app_peak_memory_mb",
        value=round(peak["app"], 1),
        file_mb=round(size_mb, 1),
        flat=peak["app"] < 0.1 * size_mb,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
