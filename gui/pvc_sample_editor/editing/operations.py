"""What each editing gesture does to an edit: pure functions from one edit to the next.

Trims are clamped to the sample and kept in order here, once, whether they come from a
drag, a typed value, a nudge or the playhead. A handle set onto or past the other one
carries it along by the shortest region worth keeping; a region shorter than that
(dragged or typed on purpose) is allowed here and refused at submit by validation. The
UI wraps each result in an undoable command; these functions know nothing of undo or Qt.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from pvc_sample_editor.api.models import SpeakerSeparation
from pvc_sample_editor.editing.edit import MIN_KEPT_MS, SampleEdit

__all__ = [
    "nudged",
    "with_end",
    "with_file_name",
    "with_noise",
    "with_speakers",
    "with_start",
    "with_trims",
]


def with_trims(edit: SampleEdit, duration_ms: int, start_ms: int, end_ms: int) -> SampleEdit:
    """Both trims set, clamped to ``[0, duration_ms]`` and kept at least 1 ms apart."""
    start = min(max(start_ms, 0), max(duration_ms - 1, 0))
    end = min(max(end_ms, start + 1), duration_ms)
    return edit.with_trims(start, end)


def with_start(edit: SampleEdit, duration_ms: int, start_ms: int) -> SampleEdit:
    """The start set; the end stays, or moves on to keep ``MIN_KEPT_MS`` if the start
    reaches it (a start set at the end's playhead never leaves a 1 ms sample)."""
    end = edit.trim_end_ms if start_ms < edit.trim_end_ms else start_ms + MIN_KEPT_MS
    return with_trims(edit, duration_ms, start_ms, end)


def with_end(edit: SampleEdit, duration_ms: int, end_ms: int) -> SampleEdit:
    """The end set; the start stays, or moves back to keep ``MIN_KEPT_MS`` if the end
    reaches it."""
    start = edit.trim_start_ms if end_ms > edit.trim_start_ms else end_ms - MIN_KEPT_MS
    return with_trims(edit, duration_ms, start, end_ms)


def nudged(edit: SampleEdit, duration_ms: int, handle: int, delta_ms: int) -> SampleEdit:
    """The start (``handle`` 0) or end (1) moved by ``delta_ms``, never past the other."""
    if handle == 0:
        return with_start(
            edit, duration_ms, min(edit.trim_start_ms + delta_ms, edit.trim_end_ms - 1)
        )
    return with_end(edit, duration_ms, max(edit.trim_end_ms + delta_ms, edit.trim_start_ms + 1))


def with_noise(edit: SampleEdit, on: bool) -> SampleEdit:
    """Background-noise removal switched on or off."""
    return replace(edit, remove_background_noise=on)


def with_file_name(edit: SampleEdit, name: str) -> SampleEdit:
    """The sample renamed."""
    return replace(edit, file_name=name)


def with_speakers(
    edit: SampleEdit, separation: SpeakerSeparation | None, ids: Collection[str]
) -> SampleEdit:
    """The speakers to keep, in the separation's order (a selection has no order of its own)."""
    order = separation.speaker_ids if separation else tuple(ids)
    return edit.with_speakers(sid for sid in order if sid in ids)
