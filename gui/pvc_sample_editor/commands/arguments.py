"""The argument parser the headless verbs share: a mistake is an exception, not an exit.

argparse's own ``error`` prints and exits with status 2 from deep inside ``parse_args``;
the verbs want to word the message themselves and return their status, so that ``run``
can be called from tests and scripts without catching SystemExit.
"""

from __future__ import annotations

import argparse

__all__ = ["ArgumentError", "VerbParser"]


class ArgumentError(Exception):
    """Bad arguments; the message says which and what to do."""


class VerbParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise :class:`ArgumentError`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgumentError(message)
