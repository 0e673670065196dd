"""``pvc-sample-editor split FILE --out DIR [--max-minutes 30] [--json]``.

Splits a long recording into balanced parts of at most ``--max-minutes``, each cut in
the quietest pause near its target (:mod:`pvc_sample_editor.editing.split`), written
into ``DIR`` (never over the original or an existing file). Prints each part's path,
start and end ms; with ``--json`` one JSON list of ``{"path", "start_ms", "end_ms"}``
in order. A recording no longer than the limit is left alone: nothing is written and
the list is empty.

Exit status: 0 the parts were written (or nothing needed splitting), 1 a part had to
be cut outside any pause (written, and said on stderr), 2 bad input: bad arguments, an
unreadable file, an output folder that cannot take the parts. Imports no Qt.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from pvc_sample_editor.audio.errors import AudioLoadError
from pvc_sample_editor.commands.arguments import VerbParser, parse_or_explain
from pvc_sample_editor.editing.split import (
    DEFAULT_MAX_SECONDS,
    SplitError,
    SplitPart,
    plan_split,
    write_split,
)
from pvc_sample_editor.timecode import format_ms

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "run"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

_EPILOG = """\
exit status:
  0  the parts were written, every cut in a pause (or the file needed no split)
  1  the parts were written, but a cut fell outside any pause: listen to it
  2  bad input: bad arguments, an unreadable file, or an output folder that
     cannot take the parts (missing, not writable, already holds them)
"""


def _parser() -> VerbParser:
    p = VerbParser(
        prog="pvc-sample-editor split",
        description=(
            "Split a long recording into balanced parts, each cut in the quietest\n"
            "pause near its target, written as FLAC (WAV for float sources)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the recording to split")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the parts")
    p.add_argument(
        "--max-minutes",
        type=float,
        default=DEFAULT_MAX_SECONDS / 60,
        metavar="M",
        help="longest part in minutes (default 30, the longest sample ElevenLabs takes)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON list of the parts")
    return p


def run(argv: list[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the ``split`` verb on ``argv`` (the arguments after ``split``)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    ns = parse_or_explain(
        _parser(), argv, err, "pvc-sample-editor split FILE --out DIR [--max-minutes 30] [--json]"
    )
    if isinstance(ns, int):
        return ns
    if not ns.max_minutes > 0 or ns.max_minutes != ns.max_minutes:
        err.write("pvc-sample-editor split: --max-minutes must be a number above 0.\n")
        return EXIT_BAD_INPUT
    max_seconds = ns.max_minutes * 60
    try:
        plan = plan_split(
            ns.file, ns.out, max_seconds=max_seconds, search_seconds=min(120.0, max_seconds / 8)
        )
        if len(plan.parts) == 1:
            err.write(
                f"{ns.file}: {format_ms(plan.info.duration_ms)} is not longer than "
                f"{ns.max_minutes:g} minutes; nothing to split, nothing written.\n"
            )
            parts: tuple[SplitPart, ...] = ()
        else:
            parts = write_split(plan)
    except (AudioLoadError, SplitError) as e:
        err.write(f"pvc-sample-editor split: {e}\n")
        return EXIT_BAD_INPUT
    if plan.caveat:
        err.write(f"note: {plan.caveat}\n")
    if ns.json:
        json.dump([p.to_json() for p in parts], out, ensure_ascii=True)
        out.write("\n")
    else:
        for part in parts:
            out.write(f"{part.path}\t{part.start_ms}\t{part.end_ms}\n")
    status = EXIT_OK
    for part in parts[:-1]:
        if not part.ends_in_pause:
            err.write(
                f"warning: no pause near {format_ms(part.end_ms)}; the cut after part "
                f"{part.index} is at the quietest moment there, which may be inside a word.\n"
            )
            status = EXIT_FAILED
    return status
