"""A voice's samples as the workspace lists them: each one's state and kept time, and the total.

Qt-free. The headless ``voice`` verb prints it; the window's sample list can show the
same. A sample's state comes from its local draft, by the rule the window's list uses
(:func:`pvc_sample_editor.editing.workspace.draft_state`).

An edited or submitting sample counts for its draft's kept time: that is what the voice
will train on once it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from pvc_sample_editor.api.models import Sample, Voice
from pvc_sample_editor.editing.budget import Budget, kept_ms
from pvc_sample_editor.editing.drafts import Draft, DraftStore
from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.editing.workspace import SampleState, draft_state

__all__ = ["SampleState", "SampleSummary", "VoiceSummary", "sample_summary", "summarise_voice"]


@dataclass(frozen=True)
class SampleSummary:
    """One sample's row: the server's sample, its state, and the milliseconds it keeps."""

    sample: Sample
    state: SampleState
    kept_ms: int
    #: The draft's edit when the state is not ``saved``.
    edit: SampleEdit | None = None


@dataclass(frozen=True)
class VoiceSummary:
    """A voice's rows, in the server's order, and its budget."""

    voice: Voice
    samples: tuple[SampleSummary, ...]

    @property
    def budget(self) -> Budget:
        """The voice's total kept time."""
        return Budget.of([s.kept_ms for s in self.samples])


def sample_summary(sample: Sample, draft: Draft | None) -> SampleSummary:
    """The row for ``sample`` given its local draft (None when it has none)."""
    state = draft_state(sample, draft)
    if draft is not None and state is not SampleState.SAVED:
        return SampleSummary(sample, state, kept_ms(sample, draft.edit), draft.edit)
    return SampleSummary(sample, SampleState.SAVED, kept_ms(sample))


def summarise_voice(voice: Voice, drafts: DraftStore | None = None) -> VoiceSummary:
    """Every sample of ``voice`` with its state from ``drafts`` (None: no drafts read)."""
    # One listing of the draft folder, then only the drafts that exist are read.
    ids = [s.sample_id for s in voice.samples]
    saved = drafts.for_samples(voice.voice_id, ids) if drafts is not None else {}
    rows = [sample_summary(s, saved.get(s.sample_id)) for s in voice.samples]
    return VoiceSummary(voice, tuple(rows))
