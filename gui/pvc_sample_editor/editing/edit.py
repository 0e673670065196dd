"""The edit of one PVC sample: a value object, its validation and its request body.

Qt-free. The model holds integer milliseconds only; the view converts its float seconds
once, with :func:`pvc_sample_editor.timecode.seconds_to_ms`.

Decisions the spec leaves open (see ``CONTRACT.md``), made here and tested:
- The body always carries explicit values for trims, the noise setting and the file
  name, so "omitted means unchanged" never matters for our own requests.
- ``selected_speaker_ids`` replaces the selection, so it is sent whole, and only when
  separation is ``completed``; otherwise the key is absent (never ``null``).
- A sample with no trims on the server starts as the whole file: ``0 .. duration``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pvc_sample_editor.api.file_names import file_name_problem
from pvc_sample_editor.api.models import Sample, SampleEditRequest

__all__ = [
    "MIN_KEPT_MS",
    "EditContext",
    "EditProblem",
    "InvalidEditError",
    "SampleEdit",
    "build_request",
    "build_request_body",
    "edit_from_sample",
    "validate_edit",
]


#: The shortest kept region the editor submits: less is never a usable training sample,
#: and a slip (Start and End set at the same playhead) must not be one Ctrl+S away.
MIN_KEPT_MS = 1000


@dataclass(frozen=True)
class SampleEdit:
    """What the user wants the sample to be. Immutable: change it with ``replace``."""

    trim_start_ms: int
    trim_end_ms: int
    remove_background_noise: bool
    file_name: str
    selected_speaker_ids: tuple[str, ...] = ()

    def with_trims(self, start_ms: int, end_ms: int) -> SampleEdit:
        """A copy with new trims."""
        return replace(self, trim_start_ms=start_ms, trim_end_ms=end_ms)

    def with_speakers(self, ids: Iterable[str]) -> SampleEdit:
        """A copy with a new speaker selection (kept in the order given, without repeats)."""
        return replace(self, selected_speaker_ids=tuple(dict.fromkeys(ids)))

    @property
    def kept_ms(self) -> int:
        """Length of the kept region."""
        return self.trim_end_ms - self.trim_start_ms


@dataclass(frozen=True)
class EditContext:
    """What the server knows about the sample that validation depends on."""

    duration_ms: int
    separation_completed: bool = False
    known_speaker_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EditProblem:
    """One reason an edit cannot be sent; ``field`` names the model field (for the UI)."""

    field: str
    message: str


@dataclass
class InvalidEditError(ValueError):
    """Raised by :func:`build_request_body` for an edit that fails validation."""

    problems: tuple[EditProblem, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        return "; ".join(p.message for p in self.problems) or "invalid edit"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_edit(edit: SampleEdit, ctx: EditContext) -> tuple[EditProblem, ...]:
    """Every reason ``edit`` cannot be submitted for a sample described by ``ctx``."""
    problems: list[EditProblem] = []
    start, end = edit.trim_start_ms, edit.trim_end_ms
    if not _is_int(start):
        problems.append(EditProblem("trim_start_ms", "The start trim must be whole milliseconds."))
    if not _is_int(end):
        problems.append(EditProblem("trim_end_ms", "The end trim must be whole milliseconds."))
    if _is_int(start) and _is_int(end):
        if start < 0:
            problems.append(EditProblem("trim_start_ms", "The start cannot be before 0 ms."))
        if end > ctx.duration_ms:
            problems.append(
                EditProblem(
                    "trim_end_ms",
                    f"The end ({end} ms) is past the end of the audio ({ctx.duration_ms} ms).",
                )
            )
        if start >= end:
            problems.append(
                EditProblem("trim_end_ms", "The end must come after the start; nothing is kept.")
            )
        elif end - start < min(MIN_KEPT_MS, ctx.duration_ms):
            problems.append(
                EditProblem(
                    "trim_end_ms",
                    f"Only {end - start} ms would be kept; a sample needs at least "
                    f"{MIN_KEPT_MS // 1000} s. Move End later or Start earlier.",
                )
            )
    if not isinstance(edit.remove_background_noise, bool):
        problems.append(
            EditProblem("remove_background_noise", "The noise setting must be on or off.")
        )
    name_problem = file_name_problem(edit.file_name)
    if name_problem:
        problems.append(EditProblem("file_name", name_problem))
    if ctx.separation_completed:
        unknown = [s for s in edit.selected_speaker_ids if s not in ctx.known_speaker_ids]
        if unknown:
            problems.append(
                EditProblem(
                    "selected_speaker_ids",
                    f"Unknown speaker(s): {', '.join(unknown)}. Refresh the speakers.",
                )
            )
        if not edit.selected_speaker_ids:
            problems.append(
                EditProblem("selected_speaker_ids", "Tick at least one speaker to keep.")
            )
    return tuple(problems)


def build_request(edit: SampleEdit, ctx: EditContext) -> SampleEditRequest:
    """The request that asks the server to hold ``edit``.

    Raises InvalidEditError instead of building a request the server would refuse.
    """
    problems = validate_edit(edit, ctx)
    if problems:
        raise InvalidEditError(problems)
    return SampleEditRequest(
        trim_start_time=edit.trim_start_ms,
        trim_end_time=edit.trim_end_ms,
        remove_background_noise=edit.remove_background_noise,
        file_name=edit.file_name,
        selected_speaker_ids=edit.selected_speaker_ids if ctx.separation_completed else None,
    )


def build_request_body(edit: SampleEdit, ctx: EditContext) -> dict[str, Any]:
    """The JSON body of ``POST /v1/voices/pvc/{voice}/samples/{sample}`` for ``edit``.

    Keys are in the order the official SDK writes them. Raises InvalidEditError instead
    of building a body the server would refuse.
    """
    return build_request(edit, ctx).to_json()


def edit_from_sample(sample: Sample, duration_ms: int | None = None) -> SampleEdit:
    """The server's current state as an edit: the starting point of every session.

    ``duration_ms`` (the local copy's length) is used when the server has none. Missing
    trims mean the whole file; a missing selection means every known speaker.
    """
    total = sample.duration_ms if sample.duration_ms is not None else duration_ms
    total = total if total is not None else 0
    start = sample.trim_start if sample.trim_start is not None else 0
    end = sample.trim_end if sample.trim_end is not None else total
    sep = sample.speaker_separation
    selected: tuple[str, ...] = ()
    if sep is not None and sep.completed:
        if sep.selected_speaker_ids is not None:
            selected = sep.selected_speaker_ids
        else:
            selected = sep.speaker_ids
    return SampleEdit(
        trim_start_ms=start,
        trim_end_ms=end,
        remove_background_noise=bool(sample.remove_background_noise),
        file_name=sample.file_name,
        selected_speaker_ids=selected,
    )
