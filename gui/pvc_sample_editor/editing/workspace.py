"""A voice's samples as the workspace lists them: what each keeps and where its edit stands.

Qt-free. The list reads the server's samples, the drafts on disk and the edit open in the
window (live, while a handle moves), and says per sample: its length, the minutes it
keeps, its speakers and noise setting, and whether its edit is saved, unsent, being
sent or failed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Set
from dataclasses import dataclass
from pathlib import Path

from pvc_sample_editor.api.models import Sample, SeparationStatus, Voice
from pvc_sample_editor.editing.budget import kept_ms
from pvc_sample_editor.editing.drafts import Draft, DraftStore
from pvc_sample_editor.editing.edit import SampleEdit, edit_from_sample
from pvc_sample_editor.editing.recordings import LocalCopy

__all__ = [
    "LocalState",
    "SampleRow",
    "SampleState",
    "draft_state",
    "local_state",
    "needs_separation",
    "sample_row",
    "sample_rows",
]


class SampleState(str, enum.Enum):
    """Where a sample's edit stands."""

    SAVED = "saved"
    EDITED = "edited"  # an unsent edit (a draft on disk, or open in the window)
    QUEUED = "queued"  # waiting its turn in Submit all
    SUBMITTING = "submitting"
    FAILED = "failed"


def draft_state(sample: Sample, draft: Draft | None) -> SampleState:
    """What a sample's local draft says of it: the one rule the list and ``voice`` share.

    ``submitting`` while a submission started from it is not confirmed, ``edited`` while
    it holds what the server does not (speakers compared as a set), else ``saved``.
    """
    if draft is None:
        return SampleState.SAVED
    if draft.submission_pending:
        return SampleState.SUBMITTING
    if draft.confirmed_by(edit_from_sample(sample)):
        return SampleState.SAVED
    return SampleState.EDITED


class LocalState(str, enum.Enum):
    """What the editor opens for a sample: its local copy, or the server's preview."""

    UNKNOWN = "—"  # no recordings folder chosen (a copy opened by hand still counts)
    FILE = "file"
    PREVIEW = "preview"  # nothing found in the folder
    DIFFERS = "differs"  # a file matched by name or size lasts another time: not used


def local_state(
    copy: LocalCopy | None, *, opened_by_hand: Path | None = None
) -> tuple[LocalState, str]:
    """A sample's local-copy state and the sentence its tooltip gives.

    ``copy`` is what the recordings folder holds for it (None: no folder); a file the
    user opened for the sample by hand wins over the folder.
    """
    if opened_by_hand is not None:
        return LocalState.FILE, f"Opens {opened_by_hand} (chosen by hand)."
    if copy is None:
        return LocalState.UNKNOWN, ""
    if copy.usable and copy.path is not None:
        how = copy.how.value if copy.how is not None else "name"
        return LocalState.FILE, f"Opens {copy.path} (found by its {how})."
    if copy.problem:
        return LocalState.DIFFERS, copy.problem
    return LocalState.PREVIEW, (
        "No file in the recordings folder has this sample's name, size or length: it "
        "opens the server's 30-second preview."
    )


def needs_separation(sample: Sample) -> bool:
    """True when the sample's speakers were never separated, or separating them failed."""
    sep = sample.speaker_separation
    return sep is None or sep.status in ("not_started", "failed")


@dataclass(frozen=True)
class SampleRow:
    """One sample as the workspace shows it."""

    sample_id: str
    file_name: str
    duration_ms: int | None
    kept_ms: int
    speakers: str
    noise: bool
    state: SampleState
    reason: str = ""  # why it failed, or what an interrupted submission means
    local: LocalState = LocalState.UNKNOWN
    local_note: str = ""  # the local copy's path and how it was found, or why none is used
    verdict: str = ""  # the audio check's verdict of its kept region ("" until checked)
    separable: bool = False  # its speakers were never separated (or that failed)

    @property
    def label(self) -> str:
        """How the state reads in the list."""
        return self.state.value


def _speakers_short(sample: Sample) -> str:
    """The separation state in a list cell's few letters."""
    sep = sample.speaker_separation
    if sep is None or sep.status == "not_started":
        return "—"
    if sep.completed:
        count = len(sep.speakers)
        return f"{count} speaker{'s' if count != 1 else ''}" if count else "separated"
    status = sep.status.value if isinstance(sep.status, SeparationStatus) else str(sep.status)
    return "separating" if status == "pending" else status


def sample_row(
    sample: Sample,
    edit: SampleEdit | None,
    *,
    submitting: bool = False,
    failure: str = "",
    draft: Draft | None = None,
    queued: bool = False,
) -> SampleRow:
    """The row of ``sample`` with the ``edit`` open in the window, else its ``draft``, else
    the server's state."""
    server = edit_from_sample(sample)
    shown = edit if edit is not None else draft.edit if draft is not None else server
    reason = ""
    if submitting:
        state = SampleState.SUBMITTING
    elif queued:
        state = SampleState.QUEUED
    elif failure:
        state, reason = SampleState.FAILED, failure
    elif edit is not None:  # open in the window: compared as the session compares it
        state = SampleState.EDITED if edit != server else SampleState.SAVED
    elif draft_state(sample, draft) is SampleState.SAVED:
        state = SampleState.SAVED
    else:
        # The window knows nothing is being sent: a pending draft is an interrupted send.
        state = SampleState.EDITED
        if draft is not None and draft.submission_pending:
            reason = "Its submission was interrupted: open it and press Submit to send it again."
    return SampleRow(
        sample_id=sample.sample_id,
        file_name=shown.file_name,
        duration_ms=sample.duration_ms,
        kept_ms=kept_ms(sample, shown),
        speakers=_speakers_short(sample),
        noise=shown.remove_background_noise,
        state=state,
        reason=reason,
        separable=needs_separation(sample),
    )


def sample_rows(
    voice: Voice,
    drafts: DraftStore,
    *,
    live: Mapping[str, SampleEdit] | None = None,
    submitting: Set[str] = frozenset(),
    failed: Mapping[str, str] | None = None,
    queued: Set[str] = frozenset(),
) -> tuple[SampleRow, ...]:
    """Every sample of ``voice``: ``live`` edits (open in the window) first, then drafts."""
    live = live or {}
    failed = failed or {}
    saved = drafts.for_samples(voice.voice_id, [s.sample_id for s in voice.samples])
    rows = []
    for sample in voice.samples:
        draft = saved.get(sample.sample_id)
        rows.append(
            sample_row(
                sample,
                live.get(sample.sample_id),
                submitting=sample.sample_id in submitting,
                failure=failed.get(sample.sample_id, ""),
                draft=draft,
                queued=sample.sample_id in queued,
            )
        )
    return tuple(rows)
