"""The open document: the server's sample, the user's edit, and what blocks submission.

Qt-free and observable: views subscribe with a callback and re-read what they need.
Only the controller changes it; widgets never write to it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum, auto

from pvc_sample_editor.api.models import Sample, SpeakerSeparation
from pvc_sample_editor.editing.edit import (
    EditContext,
    EditProblem,
    SampleEdit,
    edit_from_sample,
    validate_edit,
)

__all__ = ["Change", "EditSession", "SampleRef"]


@dataclass(frozen=True)
class SampleRef:
    """Which sample on the server an edit is for."""

    voice_id: str
    sample_id: str


class Change(Enum):
    """What changed, so a view can skip work that does not concern it."""

    EDIT = auto()
    SERVER = auto()
    SEPARATION = auto()


Listener = Callable[[Change], None]


class EditSession:
    """The edit being made to one sample, and the server state it started from."""

    def __init__(
        self,
        *,
        ref: SampleRef | None,
        sample: Sample | None,
        local_duration_ms: int | None,
        file_name: str = "",
    ) -> None:
        self.ref = ref
        self.sample = sample
        self.local_duration_ms = local_duration_ms
        self.separation: SpeakerSeparation | None = sample.speaker_separation if sample else None
        if sample is not None:
            self.baseline = edit_from_sample(sample, local_duration_ms)
        else:
            self.baseline = SampleEdit(0, local_duration_ms or 0, False, file_name)
        self.edit = self.baseline
        self._listeners: list[Listener] = []

    # ---------------------------------------------------------------- observing

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(change)`` after every change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # ---------------------------------------------------------------- derived state

    @property
    def duration_ms(self) -> int:
        """The length trims are bounded by: the server's if known, else the local file's."""
        if self.sample is not None and self.sample.duration_ms is not None:
            return self.sample.duration_ms
        return self.local_duration_ms or 0

    @property
    def context(self) -> EditContext:
        """What validation needs to know about the sample."""
        sep = self.separation
        return EditContext(
            duration_ms=self.duration_ms,
            separation_completed=bool(sep and sep.completed),
            known_speaker_ids=sep.speaker_ids if sep else (),
        )

    @property
    def dirty(self) -> bool:
        """True when the edit differs from what the server holds."""
        return self.edit != self.baseline

    @property
    def problems(self) -> tuple[EditProblem, ...]:
        """Why the edit is invalid (empty when it is valid)."""
        return validate_edit(self.edit, self.context)

    def submit_block_reason(self) -> str | None:
        """One sentence saying why Submit is disabled, or None when it can be pressed."""
        if self.ref is None:
            return (
                "This file is not attached to a sample; open a sample from your account to submit."
            )
        problems = self.problems
        if problems:
            return problems[0].message
        if not self.dirty:
            return "No changes to submit."
        return None

    # ---------------------------------------------------------------- changes

    def set_edit(self, edit: SampleEdit) -> None:
        """Replace the edit (the controller's undo commands call this)."""
        if edit != self.edit:
            self.edit = edit
            self._notify(Change.EDIT)

    def apply_server_sample(self, sample: Sample, *, keep_edit: bool) -> None:
        """Adopt the server's state as the new baseline (after open or read-back).

        With ``keep_edit`` the user's edit is left alone (e.g. a draft being restored);
        otherwise the edit becomes the server's state.
        """
        self.sample = sample
        if sample.speaker_separation is not None:
            self.separation = sample.speaker_separation
        self.baseline = edit_from_sample(sample, self.local_duration_ms)
        self._notify(Change.SERVER)
        if not keep_edit:
            self.set_edit(self.baseline)

    def set_separation(self, separation: SpeakerSeparation) -> None:
        """New speaker-separation state; a fresh completion selects the server's choice
        (every speaker if it has none), unless the edit already keeps some of the speakers
        found (a restored draft made against the completed separation)."""
        # Completed without its speakers (the voice's copy may leave them out) is not yet
        # news: the selection default applies when the speakers arrive.
        known = self.separation
        was_completed = bool(known and known.completed and known.speakers)
        self.separation = separation
        self._notify(Change.SEPARATION)
        if separation.completed and not was_completed:
            selected = separation.selected_speaker_ids
            ids = selected if selected is not None else separation.speaker_ids
            self.baseline = replace(self.baseline, selected_speaker_ids=tuple(ids))
            mine = self.edit.selected_speaker_ids
            if not mine or not set(mine) <= set(separation.speaker_ids):
                self.set_edit(self.edit.with_speakers(ids))
