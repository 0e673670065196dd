"""The argument parser the headless verbs share: a mistake is an exception, not an exit.

argparse's own ``error`` prints and exits with status 2 from deep inside ``parse_args``;
the verbs want to word the message themselves and return their status, so that ``run``
can be called from tests and scripts without catching SystemExit.
"""

from __future__ import annotations

import argparse
from typing import TextIO

__all__ = ["ArgumentError", "VerbParser", "parse_or_explain"]

#: The exit status of every verb for bad input.
BAD_INPUT = 2


class ArgumentError(Exception):
    """Bad arguments; the message says which and what to do."""


class VerbParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise :class:`ArgumentError`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgumentError(message)


def parse_or_explain(
    parser: argparse.ArgumentParser, argv: list[str], err: TextIO, usage: str
) -> argparse.Namespace | int:
    """``argv`` parsed, or the exit status once the mistake and ``usage`` are written to
    ``err`` (0 after ``--help``, which argparse prints itself)."""
    try:
        return parser.parse_args(argv)
    except ArgumentError as e:
        err.write(f"{parser.prog}: {e}\n")
        err.write(f"Usage: {usage}\n")
        return BAD_INPUT
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else BAD_INPUT
