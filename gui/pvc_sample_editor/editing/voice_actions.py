"""Deleting samples and training the voice, in words and plain functions (no Qt).

What the window needs to offer these safely: the confirmation that names what is lost
(:func:`deletion_question`), a delete that takes the sample's local draft with it
(:func:`delete_sample`), whether Train may be pressed and why not
(:func:`train_readiness`), the line the sample list's header shows while a voice
trains (:func:`training_line`), and the waits between polls while it changes
(:func:`poll_delays`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.api.training import TrainingState
from pvc_sample_editor.editing.budget import MINIMUM_MS, Budget, budget_sentence, kept_ms
from pvc_sample_editor.editing.drafts import DraftKey, DraftStore
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.voice_summary import SampleSummary, VoiceSummary
from pvc_sample_editor.editing.workspace import SampleState
from pvc_sample_editor.timecode import format_ms

if TYPE_CHECKING:  # the client (and requests) load only when a connection is made
    from pvc_sample_editor.api.client import ApiClient

__all__ = [
    "TrainReadiness",
    "delete_sample",
    "deletion_question",
    "poll_delays",
    "train_readiness",
    "training_line",
]


def deletion_question(row: SampleSummary) -> str:
    """The confirmation before deleting: the sample, its length, its kept minutes."""
    sample = row.sample
    duration = sample.duration_ms
    length = "of unknown length" if duration is None else f"{format_ms(duration)} long"
    draft = " and its unsent edits" if row.state is not SampleState.SAVED else ""
    return (
        f"Delete “{sample.file_name}” ({length}, {row.kept_ms / 60_000:.1f} min kept) "
        f"from the voice{draft}? The server cannot undo this: to get it back you would "
        "upload the recording again."
    )


def delete_sample(
    client: ApiClient,
    drafts: DraftStore,
    ref: SampleRef,
    *,
    cancel: threading.Event | None = None,
) -> None:
    """Delete the sample on the server, then its local draft (if it has one).

    The draft goes only once the server said ok: a failed delete loses nothing.
    """
    client.delete_sample(ref.voice_id, ref.sample_id, cancel=cancel)
    drafts.discard(DraftKey.for_sample(ref))


@dataclass(frozen=True)
class TrainReadiness:
    """Whether Train can be pressed, what its button or tooltip says, what to send first."""

    enabled: bool
    reason: str
    #: Samples with edits not sent yet: offer to submit them before training.
    unsent: tuple[SampleSummary, ...] = ()


def train_readiness(summary: VoiceSummary) -> TrainReadiness:
    """Train is enabled once the server's kept audio meets the 30-minute minimum.

    The server trains on what it holds, so unsent edits do not count toward the
    minimum; they are listed to be offered for submission first.
    """
    saved = Budget.of([kept_ms(row.sample) for row in summary.samples])
    unsent = tuple(row for row in summary.samples if row.state is not SampleState.SAVED)
    tuning = summary.voice.fine_tuning
    if tuning is not None and tuning.changing:
        return TrainReadiness(False, "The voice is already training.", unsent)
    if tuning is not None and not tuning.is_allowed_to_fine_tune:
        return TrainReadiness(False, "ElevenLabs does not allow this voice to be trained.")
    if saved.total_ms < MINIMUM_MS:
        return TrainReadiness(False, budget_sentence(saved.total_ms), unsent)
    if unsent:
        count = len(unsent)
        return TrainReadiness(
            True,
            f"{count} sample{'s' * (count != 1)} {'have' if count != 1 else 'has'} edits not "
            "sent yet; send them first so the training hears them.",
            unsent,
        )
    return TrainReadiness(True, budget_sentence(saved.total_ms))


def training_line(voice: Voice) -> str:
    """One line for the sample list's header: each model's state, "" before any training."""
    tuning = voice.fine_tuning
    parts = []
    for model in tuning.models if tuning is not None else ():
        state = model.state
        if isinstance(state, TrainingState):
            words = state.label
            if state is TrainingState.FINE_TUNING and model.progress is not None:
                words += f" {model.progress:.0%}"
        else:
            words = f"state “{state}”"
        parts.append(f"{model.model_id}: {words}")
    if voice.recording_quality is not None:
        quality = getattr(voice.recording_quality, "value", voice.recording_quality)
        parts.append(f"recording quality: {quality}")
    return "; ".join(parts)


def poll_delays(first: float = 1.0, factor: float = 1.6, most: float = 15.0) -> Iterator[float]:
    """Seconds to wait between polls of a changing state: 1, 1.6, 2.6, … up to 15."""
    delay = first
    while True:
        yield delay
        delay = min(delay * factor, most)
