"""The voice's own actions in the window, made in one place and wired by the window:
deleting samples (:mod:`.sample_delete`), training (:mod:`.training`) and adding
recordings (:mod:`.uploads`), new voices and their details (:mod:`.new_voice`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.new_voice import VoiceEditor
from pvc_sample_editor.ui.queue_binder import QueueBinder
from pvc_sample_editor.ui.sample_delete import SampleDeleter, voice_menu
from pvc_sample_editor.ui.training import TrainingWatcher
from pvc_sample_editor.ui.uploads import Uploader
from pvc_sample_editor.ui.window_layout import EditorLayout
from pvc_sample_editor.ui.workspace import WorkspaceBinder

__all__ = ["VoiceActions"]


class VoiceActions(QObject):
    """Delete and Train for the open voice: the list's menu and keys, the Voice menu."""

    def __init__(
        self,
        controller: EditorController,
        window: EditorLayout,
        binder: WorkspaceBinder,
        queue: QueueBinder,
    ) -> None:
        super().__init__(window)
        menu = voice_menu(window.menuBar())

        def confirm(title: str, text: str) -> bool:
            return window.confirm(title, text)

        def say(text: str) -> None:
            window.statusBar().showMessage(text, 8000)

        self.deleter = SampleDeleter(
            controller,
            window.workspace,
            binder,
            queue.batch,
            confirm=confirm,
            say=say,
            menu=menu,
            parent=self,
        )
        self.training = TrainingWatcher(
            controller,
            window.workspace,
            queue.batch,
            submit_all=queue.submit_all,
            confirm=confirm,
            say=say,
            menu=menu,
            parent=self,
        )

        self.uploader = Uploader(
            controller, window.workspace, binder, confirm=confirm, say=say, parent=self
        )
        window.file_menu.insertAction(window.submit_action, self.uploader.action)
        window.file_menu.insertAction(window.submit_action, self.uploader.noise_action)
        self.details = VoiceEditor(
            controller,
            window,
            say=say,
            file_menu=window.file_menu,
            voice_menu=menu,
            parent=self,
        )

    def shutdown(self) -> None:
        """Stop the training poll and an upload (journaled), wait for a delete in flight."""
        self.uploader.shutdown()
        self.details.shutdown()
        self.training.shutdown()
        self.deleter.shutdown()
