"""Add recordings to the open voice: File → Add Recordings… or files dropped on the list.

Each file is read once for its facts (:func:`~pvc_sample_editor.editing.upload_checks.
inspect_file`) off the GUI thread; what the server would refuse or ElevenLabs advises
against is said, with the choice to go on (a refused file is never sent). A recording
longer than 35 minutes is offered a split at its pauses into a folder the user picks,
written with progress on a worker, and its parts go instead. The batch is journaled
before the first byte and sent by :func:`~pvc_sample_editor.editing.upload_journal.
run_batch` on a worker, one request a file, with a bar per file and one for all, and
Cancel. The new samples appear in the list with the uploaded files as their local
copies. A batch an earlier run left unfinished is offered on the next start, and
resuming it sends only what the server does not hold.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QVBoxLayout, QWidget

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.split import SPLIT_OFFER_SECONDS, split_file
from pvc_sample_editor.editing.upload_checks import LocalFile, inspect_file
from pvc_sample_editor.editing.upload_journal import (
    EntryState,
    JournalEntry,
    UploadBatch,
    UploadJournal,
    UploadOutcome,
    UploadProgress,
    describe_batch,
    run_batch,
)
from pvc_sample_editor.editing.upload_plan import Checked, check_files, issues_text
from pvc_sample_editor.timecode import format_ms
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.tasks import TaskRunner, report_progress
from pvc_sample_editor.ui.upload_panel import UploadPanel
from pvc_sample_editor.ui.window_layout import AUDIO_FILE_FILTER
from pvc_sample_editor.ui.workspace import WorkspaceBinder
from pvc_sample_editor.ui.workspace_panel import WorkspacePanel

__all__ = ["Uploader"]

_REPORT_EVERY_S = 0.05  # progress reports cross to the GUI thread at most this often


def _ask_files(parent: QWidget) -> list[Path]:
    chosen, _ = QFileDialog.getOpenFileNames(parent, "Add recordings", "", AUDIO_FILE_FILTER)
    return [Path(p) for p in chosen]


def _ask_folder(parent: QWidget, start: Path) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(
        parent, "Choose a folder for the parts (the original stays as it is)", str(start)
    )
    return Path(chosen) if chosen else None


class Uploader(QObject):
    """Checks, splits and uploads recordings to the open voice; resumes unfinished ones."""

    def __init__(
        self,
        controller: EditorController,
        panel: WorkspacePanel,
        binder: WorkspaceBinder,
        *,
        confirm: Callable[[str, str], bool],
        say: Callable[[str], None],
        journal: UploadJournal | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self._panel = panel
        self._binder = binder
        self._confirm = confirm
        self._say = say
        self.journal = journal or UploadJournal()
        #: How files, the parts' folder and a notice are asked for (dialogs unless
        #: a caller answers instead).
        self.choose_files: Callable[[], list[Path]] = lambda: _ask_files(panel)
        self.choose_folder: Callable[[Path], Path | None] = lambda s: _ask_folder(panel, s)
        self.inform: Callable[[str, str], None] = self._warn
        self.voice: Voice | None = None
        self.progress = UploadPanel()
        box = panel.layout()
        assert isinstance(box, QVBoxLayout)
        box.insertWidget(box.indexOf(panel.queue_progress) + 1, self.progress)
        self.progress.cancel_requested.connect(self.cancel)
        self.hint = QLabel(
            "This voice has no samples yet. Drop its recordings on the list below, or use "
            "File → Add Recordings… ElevenLabs asks for at least 30 minutes of one speaker, "
            "ideally one to three hours; a recording over 35 minutes is split at its pauses."
        )
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.hide()
        box.insertWidget(box.indexOf(panel.table), self.hint)
        self._runner = TaskRunner("uploads", max_threads=1, parent=self)
        self._cancel = threading.Event()
        self._busy = False
        self._resumes: list[UploadBatch] = []
        self._offered = False
        self.action = QAction("Add &Recordings…", self)
        self.action.setToolTip("Upload recordings to the open voice as new samples")
        self.action.triggered.connect(self.add_recordings)
        # Sent with each upload (the spec's remove_background_noise); each sample's own
        # setting can be changed in the editor afterwards.
        self.noise_action = QAction("Remove Background &Noise from Uploads", self)
        self.noise_action.setCheckable(True)
        self.noise_action.setToolTip(
            "Upload new recordings with background-noise removal on. It can make clean "
            "audio worse: use it only for recordings with noise."
        )
        viewport = panel.table.viewport()
        viewport.setAcceptDrops(True)
        viewport.installEventFilter(self)
        controller.voice_loaded.connect(self._on_voice)
        self._enable()

    def _warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self._panel, title, text)

    @property
    def busy(self) -> bool:
        """True while files are being checked, split or uploaded."""
        return self._busy

    def _on_voice(self, voice: Voice) -> None:
        self.voice = voice
        self.hint.setVisible(not voice.samples)
        self._enable()
        if not self._offered and self._c.client is not None:
            self._offered = True
            # From the event loop: the question is a modal box, not for inside a signal.
            QTimer.singleShot(0, self, self.offer_unfinished)

    def _enable(self) -> None:
        self.action.setEnabled(self.voice is not None and not self._busy)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Files dragged onto the sample list are added as recordings."""
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDragEnterEvent)
            if self.voice is not None and any(u.isLocalFile() for u in event.mimeData().urls()):
                event.acceptProposedAction()
                return True
        elif event.type() == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
            if files and self.voice is not None:
                event.acceptProposedAction()
                self.add_files(files)
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------ adding

    def add_recordings(self) -> None:
        """File → Add Recordings…: choose files, then add them."""
        files = self.choose_files()
        if files:
            self.add_files(files)

    def add_files(self, paths: Sequence[Path]) -> None:
        """Check ``paths``, ask about what is wrong, split long ones, upload the rest."""
        voice, client = self.voice, self._c.client
        if voice is None or client is None:
            self._say("Open a voice first: recordings are added to the voice on screen.")
            return
        if self._busy:
            self._say("An upload is running: add more once it is done, or cancel it.")
            return
        self._set_busy(True)
        count = len(paths)
        self._say(f"Checking {count} recording{'s' * (count != 1)}…")
        self._run(lambda cancel: check_files(paths, voice, cancel), self._checked)

    def _checked(self, checked: Checked) -> None:
        voice = self.voice
        sendable = checked.sendable
        if voice is None:
            return self._set_busy(False)
        if not sendable:
            self._set_busy(False)
            self.inform("Nothing to upload", issues_text(checked))
            return None
        # Repeats get a question of their own (below); the rest are asked about here.
        if (checked.other_issues or checked.unreadable) and not self._confirm(
            "Upload these recordings?",
            issues_text(checked, repeats=False) + "\n\nUpload anyway?",
        ):
            self._set_busy(False)
            return None
        twice = checked.duplicates
        if twice:
            one = len(twice) == 1
            names = ", ".join(f"“{p.name}”" for p in twice)
            # Asked so that No (the default button) is the safe answer: leave them out.
            if not self._confirm(
                "Upload the repeats too?",
                f"{names} repeat{'s' * one} a recording that is already in the voice or "
                f"chosen twice, so {'it' if one else 'they'} would count twice. Upload "
                f"{'it' if one else 'them'} too? No leaves {'it' if one else 'them'} out "
                "and uploads the rest.",
            ):
                sendable = checked.without(twice)
                if not sendable:
                    self._set_busy(False)
                    self._say("Nothing to upload: every file is already in the voice.")
                    return None
        splits: list[tuple[LocalFile, Path]] = []
        files: list[LocalFile] = []
        for file in sendable:
            if file.duration_ms is None or file.duration_ms <= SPLIT_OFFER_SECONDS * 1000:
                files.append(file)
                continue
            folder = self._split_folder(file)
            if folder is not None:
                splits.append((file, folder))
            elif self._confirm(
                "Upload it whole?",
                f"“{file.path.name}” was not split. Upload it whole anyway? The server "
                "may refuse a sample over 30 minutes.",
            ):
                files.append(file)
        if splits:
            self._split_then_upload(voice, files, splits)
        elif files:
            self._upload(voice, files)
        else:
            self._set_busy(False)
        return None

    def _split_folder(self, file: LocalFile) -> Path | None:
        length = format_ms(file.duration_ms or 0)
        if not self._confirm(
            "Split the long recording?",
            f"“{file.path.name}” is {length} long; a sample may be at most 30 minutes. "
            "Split it at its pauses into parts of at most 30 minutes and upload the parts "
            "instead? The parts are written as new files into a folder you choose; the "
            "original is left as it is.",
        ):
            return None
        return self.choose_folder(file.path.parent)

    def _split_then_upload(
        self, voice: Voice, files: list[LocalFile], splits: list[tuple[LocalFile, Path]]
    ) -> None:
        def work(cancel: threading.Event) -> list[LocalFile]:
            parts: list[LocalFile] = []
            for file, folder in splits:
                written = split_file(
                    file.path,
                    folder,
                    should_stop=cancel.is_set,
                    on_progress=_throttled(_named(file.path.name)),
                )
                parts += [inspect_file(p.path, should_stop=cancel.is_set) for p in written]
            return parts

        def progress(value: Any) -> None:
            name, fraction = value
            self.progress.show_splitting(name, fraction)

        def split(parts: list[LocalFile]) -> None:
            self._say(f"Split into {len(parts)} parts.")
            self._upload(voice, files + parts)

        self._run(work, split, on_progress=progress, what="split the recording")

    def _upload(self, voice: Voice, files: Sequence[LocalFile]) -> None:
        client = self._c.client
        if client is None:
            return self._set_busy(False)
        try:
            batch = self.journal.begin(
                client.base_url,
                voice.voice_id,
                files,
                remove_background_noise=self.noise_action.isChecked(),
            )
        except OSError as exc:
            self._set_busy(False)
            self.inform(
                "Cannot upload",
                f"The upload journal cannot be written ({exc.strerror or exc}), so an "
                "interrupted upload could be sent twice. Nothing was sent.",
            )
            return None
        self.run(batch)
        return None

    # ------------------------------------------------------------ running a batch

    def run(self, batch: UploadBatch) -> None:
        """Send ``batch``'s files not on the server yet, with progress and Cancel."""
        client = self._c.client
        if client is None:
            return
        self._set_busy(True)
        self.progress.start(batch)
        left = len(batch.in_state(EntryState.PENDING, EntryState.SENDING))
        self._say(f"Uploading {left} recording{'s' * (left != 1)}…")
        journal = self.journal

        def work(cancel: threading.Event) -> UploadOutcome:
            return run_batch(
                client,
                journal,
                batch,
                on_progress=_throttled(report_progress),
                on_sample=lambda i, entry: report_progress((i, entry)),
                cancel=cancel,
            )

        def progress(value: Any) -> None:
            if isinstance(value, UploadProgress):
                self.progress.show_progress(value)
            else:
                index, _entry = value
                self.progress.mark(index, "on the server")

        self._run(work, self._finished, on_progress=progress, what="upload")

    def _finished(self, outcome: UploadOutcome) -> None:
        batch = outcome.batch
        copies = {
            SampleRef(batch.voice_id, e.sample_id): Path(e.path)
            for e in batch.entries
            if e.state is EntryState.DONE and e.sample_id is not None
        }
        self._binder.adopt_local_copies(copies)
        failed = batch.in_state(EntryState.FAILED)
        for index, entry in enumerate(batch.entries):
            if entry.state is EntryState.FAILED:
                self.progress.mark(index, "refused", failed=True)
        open_left = batch.in_state(EntryState.PENDING, EntryState.SENDING)
        if not open_left:  # what failed is said below; nothing is left to resume
            self.journal.remove(batch.batch_id)
        sent = len(batch.in_state(EntryState.DONE))
        if outcome.cancelled or outcome.error is not None:
            why = "cancelled" if outcome.cancelled else f"stopped: {outcome.error}"
            self._say(
                f"Upload {why}. {sent} of {len(batch.entries)} on the server; the rest is "
                "offered again on the next start."
            )
        else:
            self._say(f"Uploaded: {sent} of {len(batch.entries)} on the server.")
        if failed:
            self.inform("Some recordings were refused", _failures(failed))
        first = next(iter(copies), None)
        self._reread(batch.voice_id, first)

    def _reread(self, voice_id: str, first: SampleRef | None = None) -> None:
        """Read the voice again so the list shows its new samples (with their copies);
        with no sample on screen (a new voice), ``first`` of them opens."""
        client = self._c.client
        if client is None:
            return self._set_busy(False)

        def done(voice: Voice) -> None:
            self.progress.finish()
            self._set_busy(False)
            if self.voice is None or self.voice.voice_id == voice_id:
                self._c.adopt_voice(voice)
                if first is not None and self._c.session is None:
                    self._binder.open_sample(first.sample_id)
            self._next_resume()

        self._run(lambda cancel: client.get_voice(voice_id, cancel=cancel), done)
        return None

    def cancel(self) -> None:
        """Stop the split or upload in flight; the journal keeps what was not sent."""
        if self._busy:
            self._cancel.set()
            self.progress.cancelling()

    # ------------------------------------------------------------ the next start

    def offer_unfinished(self) -> None:
        """Ask about each batch an earlier run left unfinished, and resume the chosen."""
        client = self._c.client
        if client is None:
            return
        voice = self.voice
        for batch in self.journal.unfinished(client.base_url):
            name = voice.name if voice is not None and voice.voice_id == batch.voice_id else None
            if self._confirm(
                "Resume the interrupted upload?",
                describe_batch(batch, name) + " Resume it now? The voice is checked first, "
                "so nothing is sent twice. No forgets it; the files stay on your disk.",
            ):
                self._resumes.append(batch)
            else:
                self.journal.remove(batch.batch_id)
        self._next_resume()

    def _next_resume(self) -> None:
        if self._resumes and not self._busy:
            self.run(self._resumes.pop(0))

    # ------------------------------------------------------------ plumbing

    def _run(
        self,
        work: Callable[[threading.Event], Any],
        done: Callable[[Any], None],
        *,
        on_progress: Callable[[Any], None] | None = None,
        what: str = "check the recordings",
    ) -> None:
        # Our own cancel event: the runner drops a cancelled task's outcome, and a
        # cancelled upload's outcome (what reached the server) must still be shown.
        self._cancel = cancel = threading.Event()

        def failed(exc: BaseException) -> None:
            self.progress.finish()
            self._set_busy(False)
            if cancel.is_set():
                self._say(f"Cancelled: could not {what}.")
            else:
                self.inform("Upload", f"Could not {what}: {exc}")

        self._runner.submit(
            lambda _event: work(cancel),
            on_result=done,
            on_error=failed,
            on_progress=on_progress,
            name=what,
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._enable()

    def shutdown(self) -> None:
        """Stop what runs (the journal keeps it for the next start) and wait."""
        self._resumes.clear()
        self._cancel.set()
        self._runner.shutdown()


def _throttled(report: Callable[[Any], None]) -> Callable[..., None]:
    """``report`` at most every 50 ms, and always for the last value."""
    last = [0.0]

    def call(*args: Any) -> None:
        value: Any = args[0] if len(args) == 1 else args
        now = time.monotonic()
        done = (isinstance(value, UploadProgress) and value.file_sent >= value.file_total) or (
            isinstance(value, float) and value >= 1.0
        )
        if done or now - last[0] >= _REPORT_EVERY_S:
            last[0] = now
            report(value)

    return call


def _named(name: str) -> Callable[[float], None]:
    """Report a split's progress with the recording's name."""

    def report(fraction: float) -> None:
        report_progress((name, fraction))

    return report


def _failures(entries: Sequence[JournalEntry]) -> str:
    return "\n".join(f"• {e.name}: {e.error or 'refused'}" for e in entries)
