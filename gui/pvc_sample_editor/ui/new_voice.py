"""File → New Voice… and Voice → Edit Voice Details…: a voice's name, language,
description and labels.

A new voice is created on the server (``POST /v1/voices/pvc``), read back and opened in
the workspace, empty, ready for recordings. Its name, description and labels can be
changed later (``POST /v1/voices/pvc/{id}``); the list's title follows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QWidget,
)

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.tasks import TaskRunner

__all__ = ["LANGUAGES", "VoiceDetails", "VoiceDetailsDialog", "VoiceEditor", "parse_labels"]

#: The languages a professional voice is made in: code and name, the code is sent.
LANGUAGES = (
    ("en", "English"), ("ar", "Arabic"), ("bg", "Bulgarian"), ("zh", "Chinese"),
    ("hr", "Croatian"), ("cs", "Czech"), ("da", "Danish"), ("nl", "Dutch"),
    ("fil", "Filipino"), ("fi", "Finnish"), ("fr", "French"), ("de", "German"),
    ("el", "Greek"), ("hi", "Hindi"), ("hu", "Hungarian"), ("id", "Indonesian"),
    ("it", "Italian"), ("ja", "Japanese"), ("ko", "Korean"), ("ms", "Malay"),
    ("no", "Norwegian"), ("pl", "Polish"), ("pt", "Portuguese"), ("ro", "Romanian"),
    ("ru", "Russian"), ("sk", "Slovak"), ("es", "Spanish"), ("sv", "Swedish"),
    ("ta", "Tamil"), ("tr", "Turkish"), ("uk", "Ukrainian"), ("vi", "Vietnamese"),
)  # fmt: skip
NAME_MAX, DESCRIPTION_MAX = 100, 500  # the spec's limits


@dataclass(frozen=True)
class VoiceDetails:
    """What the dialog asks: the language only for a new voice."""

    name: str
    language: str
    description: str | None
    labels: dict[str, str]


def parse_labels(text: str) -> dict[str, str]:
    """``key: value`` a line into labels; ValueError saying which line is not one."""
    labels: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip() or not value.strip():
            raise ValueError(
                f"Label line {number} (“{line.strip()}”) is not “key: value”, "
                "for example “accent: Scottish”."
            )
        labels[key.strip()] = value.strip()
    return labels


class VoiceDetailsDialog(QDialog):
    """Name, language (a new voice only), description and labels, checked before OK."""

    def __init__(self, parent: QWidget | None = None, *, voice: Voice | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit Voice Details" if voice is not None else "New Voice")
        form = QFormLayout(self)
        self.name = QLineEdit(voice.name if voice is not None else "")
        self.name.setMaxLength(NAME_MAX)
        self.name.setPlaceholderText("e.g. Narrator, warm")
        self.language = QComboBox()
        for code, words in LANGUAGES:
            self.language.addItem(f"{words} ({code})", code)
        self.description = QPlainTextEdit((voice.description or "") if voice is not None else "")
        self.description.setPlaceholderText("What the voice sounds like, for your own list")
        self.description.setMaximumHeight(80)
        self.labels = QPlainTextEdit(
            "\n".join(f"{k}: {v}" for k, v in voice.labels) if voice is not None else ""
        )
        self.labels.setPlaceholderText("accent: Scottish\nage: middle-aged")
        self.labels.setMaximumHeight(70)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #e5484d;")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Create Voice" if voice is None else "Save")
        form.addRow("Name", self.name)
        if voice is None:  # the language is chosen once, when the voice is made
            form.addRow("Language", self.language)
        form.addRow("Description", self.description)
        form.addRow("Labels", self.labels)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.result_details: VoiceDetails | None = None

    def details(self) -> VoiceDetails:
        """What the fields say; ValueError with what to fix."""
        name = self.name.text().strip()
        if not name:
            raise ValueError("Give the voice a name.")
        description = self.description.toPlainText().strip()
        if len(description) > DESCRIPTION_MAX:
            raise ValueError(
                f"The description is {len(description)} characters; "
                f"at most {DESCRIPTION_MAX} are kept. Shorten it."
            )
        labels = parse_labels(self.labels.toPlainText())
        return VoiceDetails(name, str(self.language.currentData()), description or None, labels)

    def _accept(self) -> None:
        try:
            self.result_details = self.details()
        except ValueError as exc:
            self.problem.setText(str(exc))
            return
        self.accept()


def _ask(parent: QWidget, voice: Voice | None) -> VoiceDetails | None:
    dialog = VoiceDetailsDialog(parent, voice=voice)
    dialog.exec()
    return dialog.result_details


class VoiceEditor(QObject):
    """Creates voices and edits the open one's details, off the GUI thread."""

    def __init__(
        self,
        controller: EditorController,
        window: QWidget,
        *,
        say: Callable[[str], None],
        file_menu: QMenu,
        voice_menu: QMenu,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self._say = say
        #: How the details are asked (a dialog unless a caller answers).
        self.ask: Callable[[Voice | None], VoiceDetails | None] = lambda v: _ask(window, v)
        self.voice: Voice | None = None
        self._runner = TaskRunner("voice details", max_threads=1, parent=self)
        self.new_action = QAction("&New Voice…", self)
        self.new_action.setToolTip("Create an empty professional voice to add recordings to")
        self.new_action.triggered.connect(self.new_voice)
        self.edit_action = QAction("&Edit Voice Details…", self)
        self.edit_action.triggered.connect(self.edit_voice)
        if file_menu.actions():  # first in the menu: where a person starts
            file_menu.insertAction(file_menu.actions()[0], self.new_action)
        else:
            file_menu.addAction(self.new_action)
        voice_menu.addAction(self.edit_action)
        controller.voice_loaded.connect(self._on_voice)
        self._enable()

    def _on_voice(self, voice: Voice) -> None:
        self.voice = voice
        self._enable()

    def _enable(self) -> None:
        online = self._c.client is not None
        self.new_action.setEnabled(online)
        self.edit_action.setEnabled(online and self.voice is not None)

    def new_voice(self) -> None:
        """Ask for the details, create the voice and open it in the workspace."""
        client = self._c.client
        if client is None:
            self._say("Connect first: a voice is created on the server.")
            return
        details = self.ask(None)
        if details is None:
            return
        self._say(f"Creating “{details.name}”…")

        def work(cancel: threading.Event) -> Voice:
            voice_id = client.create_voice(
                details.name, details.language, description=details.description, cancel=cancel
            )
            if details.labels:
                client.update_voice(voice_id, labels=details.labels, cancel=cancel)
            return client.get_voice(voice_id, cancel=cancel)

        self._run(
            work, f"Created “{details.name}”: add its recordings.", "create the voice", new=True
        )

    def edit_voice(self) -> None:
        """Ask for the open voice's new name, description and labels, and save them."""
        voice, client = self.voice, self._c.client
        if voice is None or client is None:
            return
        details = self.ask(voice)
        if details is None:
            return

        def work(cancel: threading.Event) -> Voice:
            client.update_voice(
                voice.voice_id,
                name=details.name,
                description=details.description,
                labels=details.labels or None,
                cancel=cancel,
            )
            return client.get_voice(voice.voice_id, cancel=cancel)

        self._run(work, "Saved the voice's details.", "save the voice's details")

    def _run(
        self, work: Callable[[threading.Event], Voice], said: str, what: str, *, new: bool = False
    ) -> None:
        def done(voice: Voice) -> None:
            self._say(said)
            ref = self._c.session.ref if self._c.session is not None else None
            if ref is not None and ref.voice_id == voice.voice_id:  # the editor's title
                self._c.voice_name = voice.name
            self._c.adopt_voice(voice)
            if new and ref is not None:  # the new voice's list: no other voice's sample beside
                self._c.close_sample(keep_history=True)

        def failed(exc: BaseException) -> None:
            self._say(f"Could not {what}: {exc}")

        self._runner.submit(work, on_result=done, on_error=failed, name=what)

    def shutdown(self) -> None:
        """Wait for a request in flight."""
        self._runner.shutdown()
