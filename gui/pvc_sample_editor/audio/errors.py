"""Errors the audio core raises, worded for the person who opened the file."""

from __future__ import annotations

__all__ = ["AudioLoadError", "LoadCancelled"]


class AudioLoadError(Exception):
    """A file that cannot be opened or read as audio.

    ``str(err)`` is a complete, user-facing sentence: what is wrong with which file and
    what to do about it. The original exception, if any, is chained as ``__cause__``
    for the log.
    """


class LoadCancelled(Exception):  # noqa: N818 - the name the UI is written against
    """A load stopped because its ``cancel`` event was set.

    Deliberately not an :class:`AudioLoadError`: a cancel is the user's choice, not a
    problem with the file, and a UI that reports load errors must not report it.
    """
