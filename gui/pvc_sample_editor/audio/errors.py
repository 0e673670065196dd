"""Errors the audio core raises, worded for the person who opened the file."""

from __future__ import annotations

__all__ = ["AudioFileChangedError", "AudioLoadError", "LoadCancelled"]


class AudioLoadError(Exception):
    """A file that cannot be opened or read as audio.

    ``str(err)`` is a complete, user-facing sentence: what is wrong with which file and
    what to do about it. The original exception, if any, is chained as ``__cause__``
    for the log.
    """


class AudioFileChangedError(AudioLoadError):
    """The file was overwritten, cut short, replaced or deleted after it was opened.

    Every read after the change raises it (the same message each time), never samples
    of the new content under the old length nor a cascade of other errors: what is on
    screen no longer describes the file, and the remedy is to open it again.
    """

    @classmethod
    def for_file(cls, name: str) -> AudioFileChangedError:
        """The error for the file called ``name``, worded for the person who opened it."""
        return cls(
            f"“{name}” changed on disk while it was open (it was overwritten, cut short, "
            "replaced or deleted), so the editor stopped reading it. Open it again to see "
            "it as it is now."
        )


class LoadCancelled(Exception):  # noqa: N818 - the name the UI is written against
    """A load stopped because its ``cancel`` event was set.

    Deliberately not an :class:`AudioLoadError`: a cancel is the user's choice, not a
    problem with the file, and a UI that reports load errors must not report it.
    """
