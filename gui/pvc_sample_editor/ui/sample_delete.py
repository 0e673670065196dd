"""Deleting a sample from the workspace list: the row's context menu, the Delete key when
the list has focus, and Voice → Delete Sample.

The confirmation names the sample, its length and kept minutes and says the server
cannot undo it (:func:`~pvc_sample_editor.editing.voice_actions.deletion_question`). The
delete runs off the GUI thread and takes the sample's draft with it; then the voice is
read again, so the list and the gauge show what the server holds. Deleting the sample
open in the editor moves to its neighbour in the list, or, when it was the last one,
leaves its local recording open on its own (nothing of it is on the server any more), or
shows no sample when it had only the server's preview.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.editing.drafts import DraftKey
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.voice_actions import delete_sample, deletion_question
from pvc_sample_editor.editing.voice_summary import SampleSummary, sample_summary
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.tasks import TaskRunner
from pvc_sample_editor.ui.workspace import WorkspaceBinder
from pvc_sample_editor.ui.workspace_panel import WorkspacePanel

if TYPE_CHECKING:
    from pvc_sample_editor.ui.batch import BatchQueue

__all__ = ["SampleDeleter", "voice_menu"]


def voice_menu(bar: QMenuBar) -> QMenu:
    """The window's Voice menu (made by the queue's binder), or a new one."""
    for action in bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == "Voice":
            return menu
    return bar.addMenu("&Voice")


class SampleDeleter(QObject):
    """Asks, deletes on the server and locally, then shows the voice as it is now."""

    def __init__(
        self,
        controller: EditorController,
        panel: WorkspacePanel,
        binder: WorkspaceBinder,
        batch: BatchQueue,
        *,
        confirm: Callable[[str, str], bool],
        say: Callable[[str], None],
        menu: QMenu,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self._panel = panel
        self._binder = binder
        self._batch = batch
        self._confirm = confirm
        self._say = say
        self._voice: Voice | None = None
        self._deleting: set[str] = set()
        # Deleted while open: its parked session and any re-saved draft go once it is left.
        self._left: set[SampleRef] = set()
        self._runner = TaskRunner("delete", max_threads=1, parent=self)
        self.action = QAction("&Delete Sample…", self)
        self.action.setToolTip("Delete the selected sample from the voice on the server")
        self.action.triggered.connect(self.delete_selected)
        menu.addSeparator()
        menu.addAction(self.action)
        # The Delete key acts only while the list has focus (it edits text elsewhere).
        self.key_action = QAction("Delete Sample", panel.table)
        self.key_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.key_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.key_action.triggered.connect(self.delete_selected)
        panel.table.addAction(self.key_action)
        panel.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        panel.table.customContextMenuRequested.connect(self._context_menu)
        controller.voice_loaded.connect(self._on_voice)
        self._enable()

    def _on_voice(self, voice: Voice) -> None:
        self._voice = voice
        for ref in list(self._left):
            current = self._c.session
            if current is not None and current.ref == ref:
                continue  # still on screen: the neighbour is not open yet
            self._left.discard(ref)
            parked = self._c.histories.take(ref)
            if parked is not None:
                self._c.histories.group.removeStack(parked[1])
                parked[1].deleteLater()
            self._c.drafts.discard(DraftKey.for_sample(ref))
        self._enable()

    def _enable(self) -> None:
        voice = self._voice
        self.action.setEnabled(voice is not None and bool(voice.samples))

    def _selected_id(self) -> str | None:
        rows = self._panel.table.selectionModel().selectedRows()
        if not rows:
            return None
        source = self._panel.proxy.mapToSource(rows[0])
        return self._panel.model.rows[source.row()].sample_id if source.isValid() else None

    def _context_menu(self, pos: QPoint) -> None:
        index = self._panel.table.indexAt(pos)
        source = self._panel.proxy.mapToSource(index)
        if not source.isValid():
            return
        sample_id = self._panel.model.rows[source.row()].sample_id
        menu = QMenu(self._panel.table)
        action = menu.addAction("Delete Sample…")
        action.triggered.connect(lambda: self.delete(sample_id))
        self.popup_menu(menu, self._panel.table.viewport().mapToGlobal(pos))

    def popup_menu(self, menu: QMenu, at: QPoint) -> None:
        """Show the row's menu (a test replaces this to pick from it without a popup)."""
        menu.popup(at)

    def delete_selected(self) -> None:
        """Delete the sample selected in the list (the one open, usually)."""
        sample_id = self._selected_id()
        if sample_id is None:
            self._say("Select a sample in the list first.")
            return
        self.delete(sample_id)

    def summary(self, sample_id: str) -> SampleSummary | None:
        """The sample's row as the core words it (its state from its draft)."""
        voice = self._voice
        sample = voice.sample(sample_id) if voice is not None else None
        if voice is None or sample is None:
            return None
        ref = SampleRef(voice.voice_id, sample_id)
        row = sample_summary(sample, self._c.drafts.load(DraftKey.for_sample(ref)))
        shown = next((r for r in self._panel.model.rows if r.sample_id == sample_id), None)
        if shown is not None:  # the list knows the open edit, typed but not drafted yet
            row = SampleSummary(row.sample, shown.state, shown.kept_ms, row.edit)
        return row

    def delete(self, sample_id: str) -> None:
        """Ask, then delete ``sample_id`` of the open voice on the server and locally."""
        voice, client = self._voice, self._c.client
        row = self.summary(sample_id)
        if voice is None or client is None or row is None or sample_id in self._deleting:
            return
        ref = SampleRef(voice.voice_id, sample_id)
        current = self._c.session.ref if self._c.session is not None else None
        if self._batch.holds(ref) or (current == ref and self._c.submitting):
            self._say(f"“{row.sample.file_name}” is being submitted: delete it once it is done.")
            return
        if not self._confirm("Delete the sample?", deletion_question(row)):
            return
        self._deleting.add(sample_id)
        self._say(f"Deleting “{row.sample.file_name}”…")
        drafts = self._c.drafts

        def work(cancel: threading.Event) -> Voice:
            delete_sample(client, drafts, ref, cancel=cancel)
            return client.get_voice(ref.voice_id, cancel=cancel)

        def failed(exc: BaseException) -> None:
            self._say(f"Could not delete “{row.sample.file_name}”: {exc}")

        def settled() -> None:
            self._deleting.discard(sample_id)

        self._runner.submit(
            work,
            on_result=lambda fresh: self._deleted(ref, row.sample.file_name, fresh),
            on_error=failed,
            on_settled=settled,
            name="delete sample",
        )

    def _deleted(self, ref: SampleRef, name: str, voice: Voice) -> None:
        self._say(f"Deleted “{name}” from the voice.")
        current = self._c.session
        self._left.add(ref)
        if current is not None and current.ref == ref:
            self._leave(ref)
        self._c.adopt_voice(voice)  # the workspace re-renders from it

    def _leave(self, ref: SampleRef) -> None:
        """The open sample is gone: open its neighbour, or keep its recording on its own."""
        neighbour = self._panel.neighbour(ref.sample_id, 1) or self._panel.neighbour(
            ref.sample_id, -1
        )
        if neighbour is not None:
            self._binder.open_sample(neighbour)
            return
        path = self._c.local_path
        if path is not None:
            self._c.open_local_file(path)  # unattached: nothing of it is on the server now
        else:  # it showed the server's preview, which has gone with it
            self._c.close_sample()

    def shutdown(self) -> None:
        """Wait for a delete in flight (it is quick; its outcome is kept on the server)."""
        self._runner.shutdown()
