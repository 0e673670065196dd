"""Submit all edited, and separate speakers in all: what to send, how, and the journal.

Qt-free. The UI's queue (``ui/batch.py``) asks :func:`edited_sample_ids` what to send,
runs :func:`send_queued` for each sample off the GUI thread, and keeps a
:class:`QueueJournal` of the samples still to send, so that a crash or a kill -9 loses
no queue: the drafts already hold every edit, and the journal says which were queued.

Sending twice with stale data is what a resumed queue must never do: a sample whose
edit may have landed before the kill is read first, and only sent if the server does
not hold it yet (:func:`send_queued`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pvc_sample_editor.api.models import Sample, Voice
from pvc_sample_editor.editing.drafts import DraftKey, DraftStore, write_durably
from pvc_sample_editor.editing.edit import EditContext, SampleEdit
from pvc_sample_editor.editing.session import EditSession, SampleRef
from pvc_sample_editor.editing.workflows import (
    SubmitResult,
    confirm_differences,
    submit_and_confirm,
)
from pvc_sample_editor.editing.workspace import SampleState, draft_state
from pvc_sample_editor.system.paths import user_data_dir

if TYPE_CHECKING:  # the client (and requests) load only when a connection is made
    from pvc_sample_editor.api.client import ApiClient

__all__ = [
    "MAX_POLL_DELAY_MS",
    "QueueJournal",
    "context_of",
    "edited_sample_ids",
    "poll_delay_ms",
    "poll_separations",
    "send_queued",
]

log = logging.getLogger(__name__)

_JOURNAL_SCHEMA = 1
#: The longest wait between two rounds of separation polls.
MAX_POLL_DELAY_MS = 15_000


def edited_sample_ids(
    voice: Voice, drafts: DraftStore, live: Mapping[str, bool] | None = None
) -> tuple[str, ...]:
    """The samples of ``voice`` with an unsent edit, in the voice's order.

    ``live`` maps the samples open in the window (the one shown and those left with
    their history) to whether their edit differs from the server's: an open edit is the
    newest word on its sample. For the others their draft on disk decides (an
    interrupted submission counts as unsent).
    """
    live = live or {}
    ids = []
    for sample in voice.samples:
        if sample.sample_id in live:
            if live[sample.sample_id]:
                ids.append(sample.sample_id)
            continue
        key = DraftKey.for_sample(SampleRef(voice.voice_id, sample.sample_id))
        if draft_state(sample, drafts.load(key)) is not SampleState.SAVED:
            ids.append(sample.sample_id)
    return tuple(ids)


def context_of(sample: Sample) -> EditContext:
    """What validating an edit of ``sample`` needs, as the server describes it now."""
    return EditSession(ref=None, sample=sample, local_duration_ms=None).context


def send_queued(
    client: ApiClient,
    ref: SampleRef,
    edit: SampleEdit,
    cancel: threading.Event,
    on_progress: Callable[[str], None] = lambda _message: None,
) -> SubmitResult:
    """Send one queued edit unless the server already holds it, then confirm it.

    The sample is read first: an edit that landed before a crash or a kill is confirmed
    by that read and not sent again, and one that did not is checked and sent against
    the sample as it is now (its length, its speakers), never against a stale copy.
    Raises as :func:`~pvc_sample_editor.editing.workflows.submit_and_confirm` does, and
    NotFoundError for a sample removed on the server.
    """
    on_progress("Reading the sample…")
    sample = client.get_sample(ref.voice_id, ref.sample_id, cancel=cancel)
    # The selection is checked against the speakers, which the voice's copy may leave out.
    sample = _with_speakers(client, ref.voice_id, sample, cancel)
    ctx = context_of(sample)
    if not confirm_differences(edit, sample, ctx):
        return SubmitResult(edit, sample, confirmed=True, differences=())
    return submit_and_confirm(client, ref, edit, ctx, cancel, on_progress)


def poll_separations(
    client: ApiClient, voice_id: str, sample_ids: Iterable[str], cancel: threading.Event
) -> dict[str, Sample]:
    """One round of polling every pending separation of a voice: one request for all.

    The voice is read once (each sample carries its separation's status); only a
    separation that has just completed without its speakers costs one more read. A
    sample missing from the result is no longer on the server.
    """
    voice = client.get_voice(voice_id, cancel=cancel)
    found = {}
    for sample_id in sample_ids:
        sample = voice.sample(sample_id)
        if sample is not None:
            found[sample_id] = _with_speakers(client, voice_id, sample, cancel)
    return found


def _with_speakers(
    client: ApiClient, voice_id: str, sample: Sample, cancel: threading.Event
) -> Sample:
    """``sample`` with its speakers read, if its separation completed without them."""
    sep = sample.speaker_separation
    if sep is None or not sep.completed or sep.speakers:
        return sample
    speakers = client.get_speakers(voice_id, sample.sample_id, cancel=cancel)
    return replace(sample, speaker_separation=speakers)


def poll_delay_ms(first_ms: int, rounds: int) -> int:
    """How long to wait before poll round ``rounds`` (0 first): doubling, capped."""
    return int(min(first_ms * 2 ** min(rounds, 16), max(MAX_POLL_DELAY_MS, first_ms)))


class QueueJournal:
    """The samples a Submit all has still to send, kept on disk across a crash.

    One small JSON file, written atomically at every change. Anything unreadable is
    treated as an empty journal (the drafts, which hold the edits, are untouched).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else user_data_dir(create=False) / "queue.json"

    def save(self, refs: Iterable[SampleRef]) -> None:
        """Record ``refs`` as the samples still to send (none: the file goes).

        Raises OSError when it cannot be written.
        """
        items = [{"voice_id": r.voice_id, "sample_id": r.sample_id} for r in refs]
        if not items:
            self.clear()
            return
        body = {"schema": _JOURNAL_SCHEMA, "items": items}
        write_durably(self.path, json.dumps(body, ensure_ascii=True, indent=1).encode("ascii"))

    def load(self) -> tuple[SampleRef, ...]:
        """The samples recorded as still to send, in order (none when there is no queue)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return ()
        except OSError as exc:
            log.warning("cannot read the queue journal %s: %s", self.path, exc)
            return ()
        try:
            obj = json.loads(raw.decode("utf-8"))
            if obj.get("schema") != _JOURNAL_SCHEMA:
                raise ValueError(f"schema {obj.get('schema')!r}")
            refs = tuple(SampleRef(i["voice_id"], i["sample_id"]) for i in obj["items"])
            if not all(isinstance(x, str) for r in refs for x in (r.voice_id, r.sample_id)):
                raise ValueError("ids must be strings")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring an unreadable queue journal %s: %s", self.path, exc)
            return ()
        return refs

    def clear(self) -> None:
        """Forget the queue (all sent, or the user chose not to resume)."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # offered again next time; its samples are read before sending
            log.warning("cannot remove the queue journal %s: %s", self.path, exc)
