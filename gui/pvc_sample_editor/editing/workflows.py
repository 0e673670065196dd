"""The editor's conversations with the server, as plain functions (no Qt).

Each takes the client, the sample and a cancel event, blocks, and returns a frozen
value or raises a typed error. The UI runs them off the GUI thread; tests call them
directly against the emulator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pvc_sample_editor.api.errors import ApiError, NotFoundError, ValidationError
from pvc_sample_editor.api.models import Sample, SpeakerSeparation, Voice
from pvc_sample_editor.audio.document import AudioDocument, document_from_bytes
from pvc_sample_editor.editing.edit import (
    EditContext,
    InvalidEditError,
    SampleEdit,
    build_request,
    edit_from_sample,
)
from pvc_sample_editor.editing.session import SampleRef

if TYPE_CHECKING:  # the client (and requests) load only when a connection is made
    from pvc_sample_editor.api.client import ApiClient

__all__ = [
    "MISMATCH_TOLERANCE_MS",
    "OpenedSample",
    "ReadBackFailedError",
    "SampleGoneError",
    "SubmitResult",
    "confirm_differences",
    "describe_error",
    "fetch_preview",
    "fetch_speaker_audio",
    "length_mismatch_warning",
    "open_sample",
    "read_speakers",
    "start_separation",
    "submit_and_confirm",
]

#: A local copy whose length differs from the server's by more than this is called out.
MISMATCH_TOLERANCE_MS = 500


class ReadBackFailedError(Exception):
    """The edit was sent and accepted, but reading it back to confirm it failed."""


@dataclass(frozen=True)
class OpenedSample:
    """The server's view of a sample at open time."""

    ref: SampleRef
    voice_name: str
    sample: Sample
    voice: Voice | None = None  # the whole voice, as read to find the sample


@dataclass(frozen=True)
class SubmitResult:
    """What the server holds after a submission, and whether it matches what was sent."""

    sent: SampleEdit
    sample: Sample
    confirmed: bool
    differences: tuple[str, ...]


class SampleGoneError(NotFoundError):
    """The voice was read and no longer holds the sample; ``voice`` is what it holds now."""

    def __init__(self, message: str, voice: Voice) -> None:
        super().__init__(message, status=404)
        self.voice = voice


def open_sample(client: ApiClient, ref: SampleRef, cancel: threading.Event) -> OpenedSample:
    """Read the sample (through its voice, whose name the window shows).

    Raises :class:`SampleGoneError`, with the voice as it is, when the sample has gone.
    """
    voice = client.get_voice(ref.voice_id, cancel=cancel)
    sample = voice.sample(ref.sample_id)
    if sample is None:
        raise SampleGoneError(
            f"The voice '{voice.name}' has no sample {ref.sample_id}; it may have been deleted.",
            voice,
        )
    return OpenedSample(ref, voice.name, sample, voice)


def fetch_preview(client: ApiClient, ref: SampleRef, cancel: threading.Event) -> AudioDocument:
    """The server's 30-second preview of the sample, decoded."""
    clip = client.get_sample_preview(ref.voice_id, ref.sample_id, cancel=cancel)
    return document_from_bytes(clip.audio, clip.media_type)


def fetch_speaker_audio(
    client: ApiClient, ref: SampleRef, speaker_id: str, cancel: threading.Event
) -> AudioDocument:
    """One speaker's separated audio, decoded (minutes long for an hour's interview)."""
    clip = client.get_speaker_audio(ref.voice_id, ref.sample_id, speaker_id, cancel=cancel)
    return document_from_bytes(clip.audio, clip.media_type, label=speaker_id)


def read_speakers(client: ApiClient, ref: SampleRef, cancel: threading.Event) -> SpeakerSeparation:
    """The sample's speaker-separation state."""
    return client.get_speakers(ref.voice_id, ref.sample_id, cancel=cancel)


def start_separation(
    client: ApiClient, ref: SampleRef, cancel: threading.Event
) -> SpeakerSeparation:
    """Ask the server to separate speakers; return the state it then reports."""
    client.start_speaker_separation(ref.voice_id, ref.sample_id, cancel=cancel)
    return read_speakers(client, ref, cancel)


def confirm_differences(sent: SampleEdit, sample: Sample, ctx: EditContext) -> tuple[str, ...]:
    """Fields where the server's read-back differs from what was sent.

    The spec lets the server send null (or nothing) for the trims and the noise setting.
    A null trim means the file's edge, read as on open (:func:`edit_from_sample`); a
    null noise setting says nothing, so it is not counted as a difference.
    """
    diffs: list[str] = []
    held = edit_from_sample(sample, ctx.duration_ms)
    if held.trim_start_ms != sent.trim_start_ms:
        diffs.append(f"start: sent {sent.trim_start_ms} ms, server has {sample.trim_start}")
    if held.trim_end_ms != sent.trim_end_ms:
        diffs.append(f"end: sent {sent.trim_end_ms} ms, server has {sample.trim_end}")
    noise = sample.remove_background_noise
    if noise is not None and noise != sent.remove_background_noise:
        diffs.append("noise setting differs")
    if sample.file_name != sent.file_name:
        diffs.append(f"file name: server has {sample.file_name!r}")
    sep = sample.speaker_separation
    read_back = sep.selected_speaker_ids if sep is not None else None
    # A selection has no order; the server may return it in another one.
    if (
        ctx.separation_completed
        and read_back is not None
        and set(read_back) != set(sent.selected_speaker_ids)
    ):
        diffs.append("speaker selection differs")
    return tuple(diffs)


def submit_and_confirm(
    client: ApiClient,
    ref: SampleRef,
    sent: SampleEdit,
    ctx: EditContext,
    cancel: threading.Event,
    on_progress: Callable[[str], None] = lambda _message: None,
) -> SubmitResult:
    """Send ``sent``, then read the sample back and compare.

    Raises InvalidEditError before sending anything for an edit the server would
    refuse, an ApiError when the edit did not go through, and ReadBackFailedError when
    it did but could not be read back.
    """
    client.edit_sample(ref.voice_id, ref.sample_id, build_request(sent, ctx), cancel=cancel)
    on_progress("Saved; reading it back from the server…")
    try:
        sample = client.get_sample(ref.voice_id, ref.sample_id, cancel=cancel)
    except ApiError as exc:
        raise ReadBackFailedError(str(exc)) from exc
    diffs = confirm_differences(sent, sample, ctx)
    return SubmitResult(sent, sample, not diffs, diffs)


def length_mismatch_warning(local_ms: int, server_ms: int | None) -> str:
    """The warning for a local copy whose length is not the server's ("" when it fits)."""
    if server_ms is None or abs(local_ms - server_ms) <= MISMATCH_TOLERANCE_MS:
        return ""
    return (
        f"This file lasts {local_ms / 1000:.3f} s but the server's sample lasts "
        f"{server_ms / 1000:.3f} s. It may not be this sample's audio: check that you "
        "opened the right local copy before trimming."
    )


def describe_error(exc: BaseException) -> tuple[str, dict[str, str]]:
    """A user message for a failure and, for 422s, the message per edit field."""
    fields: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for fe in exc.field_errors:
            if fe.field:
                fields[fe.field] = fe.message
    if isinstance(exc, (ApiError, ReadBackFailedError, InvalidEditError)):
        return str(exc), fields
    return f"Unexpected error: {exc!r}", fields
