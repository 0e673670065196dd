"""The minutes that count: how much of each sample, and of a voice, training will hear.

ElevenLabs asks for at least 30 minutes of clean, single-speaker audio for a
Professional Voice Clone, recommends about an hour, and clones best from two to three
hours. Only the total runtime counts, not the number of samples. A sample counts for
its kept region (between the trims) or, once speakers are separated, for the selected
speakers' speech inside that region. Qt-free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pvc_sample_editor.api.models import Sample, SpeakerSeparation
from pvc_sample_editor.editing.edit import SampleEdit, edit_from_sample
from pvc_sample_editor.timecode import seconds_to_ms

__all__ = [
    "BEST_MAX_MS",
    "BEST_MIN_MS",
    "MINIMUM_MS",
    "RECOMMENDED_MS",
    "Budget",
    "budget_sentence",
    "kept_ms",
    "window_kept",
]

MINIMUM_MS = 30 * 60_000
RECOMMENDED_MS = 60 * 60_000
BEST_MIN_MS = 120 * 60_000
BEST_MAX_MS = 180 * 60_000


def _merged(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def kept_ms(sample: Sample, edit: SampleEdit | None = None) -> int:
    """The milliseconds of ``sample`` that count, with ``edit`` (or the server's state).

    The trim window; once separation is completed, the selected speakers' speech inside
    it (overlapping speech counted once). 0 when nothing is kept.
    """
    edit = edit if edit is not None else edit_from_sample(sample)
    start, end = edit.trim_start_ms, edit.trim_end_ms
    if end <= start:
        return 0
    sep = sample.speaker_separation
    if sep is None or not sep.completed or not sep.speakers:
        return end - start
    chosen = set(edit.selected_speaker_ids)
    spans = []
    for speaker in sep.speakers:
        if speaker.speaker_id not in chosen:
            continue
        for u in speaker.utterances:
            try:
                a, b = seconds_to_ms(u.start), seconds_to_ms(u.end)
            except ValueError:  # a time the server sent as absurd counts for nothing
                continue
            a, b = max(a, start), min(b, end)
            if b > a:
                spans.append((a, b))
    return sum(b - a for a, b in _merged(spans))


def window_kept(
    sample: Sample | None, separation: SpeakerSeparation | None, edit: SampleEdit
) -> Callable[[int, int], int] | None:
    """What counts of a trim window ``(start, end)`` of ``sample`` with ``edit``'s speakers,
    as :func:`kept_ms` counts it, when a completed ``separation`` makes that differ from
    the window (the speakers' speech only); None when the window is what counts."""
    if sample is None or separation is None or not (separation.completed and separation.speakers):
        return None
    separated = dataclasses.replace(sample, speaker_separation=separation)

    def kept(start_ms: int, end_ms: int) -> int:
        trimmed = dataclasses.replace(edit, trim_start_ms=start_ms, trim_end_ms=end_ms)
        return kept_ms(separated, trimmed)

    return kept


@dataclass(frozen=True)
class Budget:
    """A voice's total kept time against ElevenLabs' marks."""

    total_ms: int

    @property
    def minutes(self) -> float:
        """The total in minutes."""
        return self.total_ms / 60_000

    @property
    def trainable(self) -> bool:
        """True once the 30-minute minimum is met."""
        return self.total_ms >= MINIMUM_MS

    @classmethod
    def of(cls, kept: Sequence[int]) -> Budget:
        """The budget of samples keeping ``kept`` ms each."""
        return cls(sum(max(k, 0) for k in kept))


def _minutes(ms: int) -> str:
    minutes = ms / 60_000
    if minutes < 90:
        return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"
    return f"{minutes / 60:.1f} h"


def _pair(have_ms: int, more_ms: int) -> tuple[str, str]:
    """Two amounts in minutes at one precision, so what is shown adds up (27.3 + 2.7,
    not 27 + 2.7)."""
    if min(have_ms, more_ms) < 10 * 60_000:
        return f"{have_ms / 60_000:.1f} min", f"{more_ms / 60_000:.1f} min"
    return _minutes(have_ms), _minutes(more_ms)


def budget_sentence(total_ms: int) -> str:
    """Where a voice stands, in one sentence."""
    have = _minutes(total_ms)
    if total_ms <= 0:
        return "Nothing kept yet: the voice needs 30 min of audio before it can be trained."
    if total_ms < MINIMUM_MS:
        have, more = _pair(total_ms, MINIMUM_MS - total_ms)
        return (
            f"{have} kept: {more} more are needed before the voice can be trained "
            "(30 min at least)."
        )
    if total_ms < RECOMMENDED_MS:
        have, more = _pair(total_ms, RECOMMENDED_MS - total_ms)
        return (
            f"{have} kept: enough to train. About an hour is recommended; "
            f"{more} more would get there."
        )
    if total_ms < BEST_MIN_MS:
        return f"{have} kept: the recommended hour is met. Two to three hours clone best."
    if total_ms <= BEST_MAX_MS:
        return f"{have} kept: in the two-to-three-hour range that clones best."
    return f"{have} kept: more than three hours. More audio no longer helps much."
