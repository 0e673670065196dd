"""``pvc-sample-editor check FILE... [--start-ms N] [--end-ms N] [--json]``.

Prints a report per file (a table, or one JSON object per line with ``--json``) and
exits 0 when nothing fails, 1 when a line of some report fails, and 2 when a file cannot
be read or the arguments are wrong. Unreadable files are reported on stderr with the
reason and what to do, the other files are still checked. Imports no Qt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from pvc_sample_editor.analysis import AnalysisOptions, Report, Verdict, analyse_file
from pvc_sample_editor.analysis.report import format_time_ms
from pvc_sample_editor.audio.errors import AudioLoadError
from pvc_sample_editor.commands.arguments import VerbParser, parse_or_explain

__all__ = ["run"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

_LABELS = {
    "rms": ("RMS level", "dBFS"),
    "true_peak": ("True peak", "dBTP"),
    "integrated_loudness": ("Loudness", "LUFS"),
    "noise_floor": ("Noise floor", "dBFS"),
    "snr": ("Signal to noise", "dB"),
    "clipping": ("Clipped spots", ""),
    "dc_offset": ("DC offset", ""),
    "speech": ("Speech", ""),
    "long_pauses": ("Long pauses", ""),
    "sample_rate": ("Sample rate", "Hz"),
    "bit_depth": ("Bit depth", "bit"),
}


def _parser() -> VerbParser:
    p = VerbParser(
        prog="pvc-sample-editor check",
        description="Check recordings against ElevenLabs' guidance for voice clone samples.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="audio files to check")
    p.add_argument("--start-ms", type=int, default=0, help="start of the region (ms)")
    p.add_argument("--end-ms", type=int, default=None, help="end of the region (ms)")
    p.add_argument("--pause-ms", type=int, default=1500, help="report pauses longer than this (ms)")
    p.add_argument(
        "--padding-ms", type=int, default=150, help="room left around suggested trims (ms)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    return p


def run(argv: list[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the ``check`` verb on ``argv`` (the arguments after ``check``)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    ns = parse_or_explain(
        _parser(), argv, err, "pvc-sample-editor check FILE... [--start-ms N] [--end-ms N] [--json]"
    )
    if isinstance(ns, int):
        return ns
    if ns.pause_ms <= 0 or ns.padding_ms < 0:
        err.write("pvc-sample-editor check: --pause-ms must be above 0, --padding-ms 0 or more.\n")
        return EXIT_BAD_INPUT
    options = AnalysisOptions(pause_threshold_ms=ns.pause_ms, trim_padding_ms=ns.padding_ms)
    status = EXIT_OK
    for index, path in enumerate(ns.files):
        try:
            report = analyse_file(path, ns.start_ms, ns.end_ms, options=options)
        except (AudioLoadError, ValueError) as e:
            err.write(f"{path}: {e}\n")
            status = EXIT_BAD_INPUT
            continue
        if ns.json:
            out.write(json.dumps(report.to_json(), allow_nan=False) + "\n")
        else:
            if index:
                out.write("\n")
            out.write(format_table(report, path))
        out.flush()
        if report.verdict is Verdict.FAIL and status == EXIT_OK:
            status = EXIT_FAILED
    return status


def format_table(report: Report, path: Path) -> str:
    """The report as the plain-text table ``check`` prints."""
    depth = f"{report.bit_depth}-bit" if report.bit_depth else report.subtype.lower()
    channels = {1: "mono", 2: "stereo"}.get(report.channels, f"{report.channels} channels")
    lines = [
        f"{path}  {format_time_ms(report.start_ms)}-{format_time_ms(report.end_ms)} "
        f"({report.duration_ms / 1000:.1f} s, {report.samplerate} Hz, {depth}, {channels})"
        f"  {report.verdict.value.upper()}",
    ]
    for finding in report.findings:
        label, unit = _LABELS.get(finding.check, (finding.check, ""))
        value = _format_value(finding.check, finding.value, unit)
        lines.append(f"  {finding.verdict.value:<4}  {label:<15} {value:>12}  {finding.message}")
    for start, end in report.clipped_runs[:5]:
        lines.append(f"        clipped {format_time_ms(start)}-{format_time_ms(end)}")
    for start, end in report.long_pauses[:10]:
        lines.append(
            f"        pause   {format_time_ms(start)}-{format_time_ms(end)}"
            f" ({(end - start) / 1000:.1f} s)"
        )
    if report.suggested_trim_start_ms is not None and report.suggested_trim_end_ms is not None:
        lines.append(
            f"  Suggested trims: {format_time_ms(report.suggested_trim_start_ms)} to "
            f"{format_time_ms(report.suggested_trim_end_ms)}"
        )
    return "\n".join(lines) + "\n"


def _format_value(check: str, value: float | int | str | None, unit: str) -> str:
    if value is None:
        return "-"
    if check == "speech" and isinstance(value, float):
        return f"{value:.0%}"
    if isinstance(value, float) and check != "dc_offset":
        return f"{value:.1f} {unit}".strip()
    return f"{value} {unit}".strip()
