"""The background queue of a voice's samples: Submit all edited, Separate speakers in all.

At most :data:`MAX_REQUESTS` requests run at once (the free tier's concurrency limit),
counting a single Submit in flight. Each submission is the core's
:func:`~pvc_sample_editor.editing.queue.send_queued` (read, send if needed, read back);
a confirmed one settles its sample as the single Submit does and removes its draft; a
failure keeps the draft and waits for Retry. The samples still to send are journalled
(:class:`~pvc_sample_editor.editing.queue.QueueJournal`) so a crash or a kill -9 can
resume them. Speaker separations share the runner through :class:`SeparationBatch`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal

from pvc_sample_editor.api.errors import NotFoundError
from pvc_sample_editor.api.models import Sample
from pvc_sample_editor.editing.drafts import DraftKey
from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.editing.queue import QueueJournal, edited_sample_ids, send_queued
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workflows import (
    ReadBackFailedError,
    SubmitResult,
    describe_error,
)
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.tasks import Task, TaskRunner, report_progress

__all__ = ["MAX_REQUESTS", "BatchQueue"]

log = logging.getLogger(__name__)

#: Requests at once: the free tier's concurrency limit.
MAX_REQUESTS = 2


def _removed_message(name: str) -> str:
    """What a row and the status line say of a sample the server no longer has."""
    return (
        f"{name} was removed on the server: nothing was sent. Its edit, if any, is kept as "
        "a draft; reopen the voice to see its samples as they are now."
    )


@dataclass
class _Job:
    """One request's worth of work on the queue, started when a slot frees."""

    sample_id: str
    track: bool  # a submission: its row says queued, then submitting
    counted: bool  # on the progress bar (a poll of the separations is not)
    # Given the callback to pass as on_settled; None when there is nothing to do after all.
    start: Callable[[Callable[[], None]], Task[Any] | None]


class BatchQueue(QObject):
    """Runs a voice's per-sample work in the background, two requests at a time."""

    rows_changed = Signal(object)  # tuple of sample ids whose row should be redrawn
    progressed = Signal(int, int)  # done, total (0, 0: idle)
    status = Signal(str)  # a line for the status bar

    def __init__(
        self,
        controller: EditorController,
        journal: QueueJournal | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self.journal = journal if journal is not None else QueueJournal()
        self.runner = TaskRunner("queue", max_threads=MAX_REQUESTS, parent=self)
        self._waiting: deque[_Job] = deque()
        self._running: dict[int, object] = {}
        #: Per sample id: why its last submission failed; the samples waiting, in flight.
        self.failures: dict[str, str] = {}
        self.removed: set[str] = set()  # found gone from the server (a kind of failure)
        self.queued: set[str] = set()
        self.sending: set[str] = set()
        #: The newest state of each sample the queue has read from the server.
        self.samples: dict[str, Sample] = {}
        # What the journal holds: a queue left by an earlier run stays until it is answered.
        self._journalled: list[SampleRef] = list(self.journal.load())
        # The progress bar's run: counted jobs settled and queued, submissions settled.
        self._done = 0
        self._total = 0
        self._sends = 0
        self._closed = False

    # ---------------------------------------------------------------- state

    @property
    def busy(self) -> bool:
        """True while any job waits or runs."""
        return bool(self._waiting or self._running)

    def sample(self, sample_id: str) -> Sample | None:
        """The newest state of ``sample_id`` known: the queue's read-back, else the voice's."""
        known = self.samples.get(sample_id)
        voice = self._c.voice
        return known if known is not None or voice is None else voice.sample(sample_id)

    def left(self) -> int:
        """How many samples this run of Submit all has still to send (waiting or in flight)."""
        return len(self.queued | self.sending)

    def holds(self, ref: SampleRef | None) -> bool:
        """True while ``ref`` waits or is being sent on the queue."""
        return ref is not None and ref.sample_id in self.queued | self.sending

    def _voice_id(self) -> str | None:
        session = self._c.session
        return session.ref.voice_id if session is not None and session.ref is not None else None

    def _open_edits(self) -> dict[SampleRef, tuple[SampleEdit, bool]]:
        """The edits open in the window (shown and parked): each with "differs from server"."""
        open_: dict[SampleRef, tuple[SampleEdit, bool]] = {}
        session = self._c.session
        if session is not None and session.ref is not None:
            open_[session.ref] = (session.edit, session.dirty)
        for ref, (parked, _stack) in self._c.histories.items():
            open_[ref] = (parked.edit, parked.dirty)
        return open_

    # ---------------------------------------------------------------- submit all

    def edited(self) -> tuple[str, ...]:
        """The open voice's samples with an unsent edit (what Submit all would send)."""
        voice, voice_id = self._c.voice, self._voice_id()
        if voice is None or voice_id is None or voice.voice_id != voice_id:
            return ()
        live = {r.sample_id: dirty for r, (_e, dirty) in self._open_edits().items()}
        return edited_sample_ids(voice, self._c.drafts, live)

    def submit_all(self) -> int:
        """Queue every edited sample of the open voice not already queued; how many."""
        voice_id = self._voice_id()
        if voice_id is None:
            return 0
        return self.submit([SampleRef(voice_id, s) for s in self.edited()])

    def retry_failed(self) -> int:
        """Queue again every sample whose submission failed; how many."""
        voice_id = self._voice_id()
        if voice_id is None:
            return 0
        return self.submit([SampleRef(voice_id, s) for s in list(self.failures)])

    def submit(self, refs: list[SampleRef]) -> int:
        """Queue the submission of each of ``refs`` (those already queued are skipped)."""
        added = [r for r in refs if r.sample_id not in self.queued | self.sending]
        if not added or self._closed:
            return 0
        for ref in added:
            self.failures.pop(ref.sample_id, None)
            self.removed.discard(ref.sample_id)
            self.queued.add(ref.sample_id)
        self._journalled.extend(r for r in added if r not in self._journalled)
        self._write_journal()
        self.rows_changed.emit(tuple(r.sample_id for r in added))
        for ref in added:
            self.enqueue(
                ref.sample_id,
                partial(self._start_submit, ref),
                track=True,
            )
        return len(added)

    def _write_journal(self) -> None:
        try:
            self.journal.save(self._journalled)
        except OSError as exc:  # the queue still runs; only a crash would lose its list
            self.status.emit(f"Could not record the queue ({exc}): a crash would lose its list.")

    def _edit_to_send(self, ref: SampleRef) -> SampleEdit | None:
        """The edit to send for ``ref``: open in the window and unsent, else its draft
        (marked pending); None when there is neither.

        An open edit the server already holds still has its draft sent if one is left:
        after a kill, the draft of an edit that landed late is confirmed by the read
        that precedes any send, and removed.
        """
        c = self._c
        store = c.drafts
        draft = store.load(DraftKey.for_sample(ref))
        opened = self._open_edits().get(ref)
        if opened is not None and opened[1]:
            edit: SampleEdit | None = opened[0]
        else:
            edit = draft.edit if draft is not None else None
        if edit is None:
            return None  # nothing unsent (saved meanwhile, or the draft was discarded)
        if c.session is not None and c.session.ref == ref:
            c.autosave.pending = True  # later autosaves of the shown edit keep the mark
        if draft is not None:
            try:  # an interrupted send is then said as such, as for the single Submit
                store.save(draft.with_submission_pending())
            except OSError as exc:
                log.warning("cannot mark the draft of %s pending: %s", ref.sample_id, exc)
        return edit

    def _start_submit(self, ref: SampleRef, settled: Callable[[], None]) -> Task[Any] | None:
        client, session = self._c.client, self._c.session
        if client is None or (self._c.submitting and session is not None and session.ref == ref):
            return None  # the single Submit is sending it already
        edit = self._edit_to_send(ref)
        if edit is None:
            return None
        sent = edit

        def work(cancel: threading.Event) -> SubmitResult:
            return send_queued(client, ref, sent, cancel, report_progress)

        return self.runner.submit(
            work,
            on_result=lambda result: self._submitted(ref, result),
            on_error=lambda exc: self._submit_failed(ref, exc),
            on_settled=settled,
            name=f"submit {ref.sample_id}",
        )

    def _submitted(self, ref: SampleRef, result: SubmitResult) -> None:
        self.samples[ref.sample_id] = result.sample
        if not result.confirmed:
            self._fail(ref, "The server holds other values: " + "; ".join(result.differences))
            return
        if not self._c.settle(ref, result):  # not open in the window: its draft on disk
            key = DraftKey.for_sample(ref)
            draft = self._c.drafts.load(key)
            if draft is not None and draft.edit == result.sent:
                try:
                    self._c.drafts.discard(key)
                except OSError as exc:
                    self.status.emit(f"The draft of {result.sample.file_name} stays: {exc}")
        self._forget(ref)

    def _submit_failed(self, ref: SampleRef, exc: BaseException) -> None:
        if not isinstance(exc, ReadBackFailedError):
            self._unmark_pending(ref)  # not sent: the draft is plainly unsent again
        if isinstance(exc, NotFoundError):
            self.mark_removed(ref.sample_id)
            self._forget(ref)
        else:
            self._fail(ref, describe_error(exc)[0])

    def mark_removed(self, sample_id: str) -> None:
        """``sample_id`` is gone from the server: said on its row and the status line."""
        sample = self.sample(sample_id)
        reason = _removed_message(sample.file_name if sample else f"Sample {sample_id}")
        self.removed.add(sample_id)
        self.failures[sample_id] = reason
        self.status.emit(reason)
        self.rows_changed.emit((sample_id,))

    def _unmark_pending(self, ref: SampleRef) -> None:
        c = self._c
        if c.session is not None and c.session.ref == ref:
            c.autosave.pending = False
        draft = c.drafts.load(DraftKey.for_sample(ref))
        if draft is not None and draft.submission_pending:
            try:
                c.drafts.save(draft.with_submission_pending(False))
            except OSError as exc:
                log.warning("cannot unmark the draft of %s: %s", ref.sample_id, exc)

    def _fail(self, ref: SampleRef, reason: str) -> None:
        self.failures[ref.sample_id] = reason
        self._forget(ref)

    def _forget(self, ref: SampleRef) -> None:
        """``ref`` is settled either way: off the journal, counted, its row redrawn."""
        self._journalled = [r for r in self._journalled if r != ref]
        self._write_journal()

    def unfinished(self, voice_id: str) -> tuple[SampleRef, ...]:
        """The samples of ``voice_id`` an earlier run left in the journal, not queued now."""
        busy = self.queued | self.sending
        return tuple(
            r for r in self._journalled if r.voice_id == voice_id and r.sample_id not in busy
        )

    def drop_unfinished(self, refs: tuple[SampleRef, ...]) -> None:
        """Forget ``refs`` from the journal (not resumed: their drafts stay as they are)."""
        self._journalled = [r for r in self._journalled if r not in refs]
        self._write_journal()

    # ---------------------------------------------------------------- the pump

    def enqueue(
        self,
        sample_id: str,
        start: Callable[[Callable[[], None]], Task[Any] | None],
        *,
        track: bool = False,
        counted: bool = True,
    ) -> None:
        """Run ``start(on_settled)`` when a slot is free: it submits to :attr:`runner` with
        that ``on_settled``, or returns None when there is nothing to do after all."""
        if self._closed:
            return
        self._waiting.append(_Job(sample_id, track, counted, start))
        self._total += counted
        self._pump()

    def _slots(self) -> int:
        return MAX_REQUESTS - len(self._running) - (1 if self._c.submitting else 0)

    def _pump(self) -> None:
        while self._waiting and self._slots() > 0 and not self._closed:
            job = self._waiting.popleft()
            self.queued.discard(job.sample_id)
            slot = object()  # the job's place among those running, until it settles
            task = job.start(partial(self._settled, job, slot))
            if task is None:
                self._settled(job, None)
                continue
            self._running[id(slot)] = slot
            if job.track:
                self.sending.add(job.sample_id)
                self.rows_changed.emit((job.sample_id,))
        self._report()

    def _settled(self, job: _Job, slot: object | None) -> None:
        if slot is not None:
            self._running.pop(id(slot), None)
        self._done += job.counted
        self._sends += job.track
        if job.track:
            self.sending.discard(job.sample_id)
            self.rows_changed.emit((job.sample_id,))
        self._pump()

    def _report(self) -> None:
        if self._done < self._total:
            self.progressed.emit(self._done, self._total)
            return
        if self._sends:
            self.status.emit(self._summary())
        self._done = self._total = self._sends = 0
        self.progressed.emit(0, 0)

    def _summary(self) -> str:
        gone = len(self.removed)
        failed = len(self.failures) - gone
        text = f"Submit all done: {self._sends - failed - gone} of {self._sends} saved"
        if failed:
            text += f", {failed} failed (Retry Failed sends them again)"
        if gone:
            text += (
                f"; {gone} removed on the server meanwhile, "
                f"{'its edit' if gone == 1 else 'their edits'} kept as drafts"
            )
        return text + "."

    # ---------------------------------------------------------------- closing

    def shutdown(self) -> None:
        """Stop starting work and wait for what runs; the journal keeps what is left."""
        self._closed = True
        self._waiting.clear()
        self.runner.shutdown()
