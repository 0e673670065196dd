"""The first page a user sees when no API key is known: connect, or try the offline demo."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pvc_sample_editor.api.regions import DEFAULT_BASE_URL, REGIONS, normalise_base_url

__all__ = ["CUSTOM_URL_LABEL", "WelcomePage"]

CUSTOM_URL_LABEL = "Custom URL…"


def _plain_label(text: str = "", *, wrap: bool = True) -> QLabel:
    """A label that never interprets its text as HTML (it may show server or user text)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    return label


def _eye_icon(color: QColor, *, crossed: bool) -> QIcon:
    """An eye (or a crossed-out eye) drawn at run time: Qt ships no such icon everywhere."""
    size = 64
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(color, 5)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    # Two arcs make the almond outline; a filled circle is the pupil.
    painter.drawArc(QRectF(4, 18, 56, 56), 30 * 16, 120 * 16)
    painter.drawArc(QRectF(4, -10, 56, 56), 210 * 16, 120 * 16)
    painter.setBrush(color)
    painter.drawEllipse(QPointF(32, 32), 8, 8)
    if crossed:
        painter.drawLine(QPointF(12, 54), QPointF(52, 10))
    painter.end()
    return QIcon(pixmap)


class WelcomePage(QWidget):
    """Asks for an API key and region, or offers the offline demo.

    The page only collects intent: it emits :attr:`connect_requested` or
    :attr:`demo_requested` and leaves checking the key and storing it to its owner,
    which reports problems back with :meth:`show_error`.
    """

    #: The user asked to connect: (api_key, base_url, remember_in_keyring).
    connect_requested = Signal(str, str, bool)
    #: The user asked for the offline demo.
    demo_requested = Signal()
    #: The user went back to what was open (see :meth:`set_can_go_back`).
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, base_url: str | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(640, 420)

        heading = _plain_label("Welcome to PVC Sample Editor", wrap=False)
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        heading.setFont(font)
        intro = _plain_label(
            "Trim, pick speakers, remove background noise from and rename the samples "
            "of your ElevenLabs Professional Voice Clones."
        )

        # (a) Connect with an API key.
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste your ElevenLabs API key")
        self.key_edit.setAccessibleName("API key")
        # Even when revealed, the key must not be dragged out into another app.
        self.key_edit.setDragEnabled(False)
        color = self.palette().color(QPalette.ColorRole.PlaceholderText)
        self._show_icon = _eye_icon(color, crossed=False)
        self._hide_icon = _eye_icon(color, crossed=True)
        self.reveal_action = QAction(self._show_icon, "Show key", self)
        self.reveal_action.setCheckable(True)
        self.reveal_action.toggled.connect(self._on_reveal_toggled)
        self.key_edit.addAction(self.reveal_action, QLineEdit.ActionPosition.TrailingPosition)

        self.region_combo = QComboBox()
        self.region_combo.setAccessibleName("Region")
        for name, url in REGIONS.items():
            self.region_combo.addItem(name, url)
        self.region_combo.addItem(CUSTOM_URL_LABEL, None)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://…")
        self.url_edit.setAccessibleName("Server URL")

        self.remember_check = QCheckBox("Remember the key in the system keyring")
        self.remember_check.setChecked(True)

        self.error_label = _plain_label()
        error_palette = self.error_label.palette()
        error_palette.setColor(QPalette.ColorRole.WindowText, QColor(0xB3, 0x26, 0x1E))
        self.error_label.setPalette(error_palette)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        self.connect_button = QPushButton("Connect")
        self.connect_button.setDefault(True)
        self.connect_button.setEnabled(False)

        where = _plain_label(
            "Find your key on elevenlabs.io under Settings → API keys. A key in the "
            "ELEVENLABS_API_KEY environment variable is used automatically."
        )
        where.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self._form = QFormLayout()
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.addRow("API &key:", self.key_edit)
        self._form.addRow("&Region:", self.region_combo)
        self._form.addRow("Server &URL:", self.url_edit)
        self._form.addRow("", self.remember_check)

        connect_box = QGroupBox("Connect with your API key")
        connect_layout = QVBoxLayout(connect_box)
        connect_layout.setSpacing(10)
        connect_layout.addLayout(self._form)
        connect_layout.addWidget(self.error_label)
        # Shown when the page was opened over work (File → Connect…): the way back to it.
        self.back_button = QPushButton("Back to the editor")
        self.back_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.connect_button)
        connect_layout.addLayout(buttons)
        connect_layout.addStretch(1)
        connect_layout.addWidget(where)

        # (b) The offline demo.
        self.demo_button = QPushButton("Try the offline demo")
        demo_text = _plain_label(
            "Runs a local emulator with a demo voice and sample on this computer. "
            "No account, no network, nothing is sent to ElevenLabs."
        )
        demo_box = QGroupBox("Just looking?")
        demo_layout = QVBoxLayout(demo_box)
        demo_layout.setSpacing(10)
        demo_layout.addWidget(demo_text)
        demo_row = QHBoxLayout()
        demo_row.addStretch(1)
        demo_row.addWidget(self.demo_button)
        demo_layout.addLayout(demo_row)
        demo_layout.addStretch(1)

        # The key form needs the room; the demo is the secondary choice.
        connect_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        choices = QHBoxLayout()
        choices.setSpacing(16)
        choices.addWidget(connect_box, 3)
        choices.addWidget(demo_box, 2)

        # The content keeps a readable width and floats a little above the middle of a
        # large window instead of sticking to its top-left corner.
        content = QWidget()
        content.setMaximumWidth(920)
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(12)
        content_layout.addWidget(heading)
        content_layout.addWidget(intro)
        content_layout.addSpacing(8)
        content_layout.addLayout(choices)

        centred = QHBoxLayout()
        centred.addStretch(0)
        centred.addWidget(content, 1)
        centred.addStretch(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.addStretch(1)
        layout.addLayout(centred)
        layout.addStretch(2)

        self.key_edit.textChanged.connect(self._update_connect_enabled)
        self.key_edit.textEdited.connect(self._clear_error)
        self.url_edit.textEdited.connect(self._clear_error)
        self.key_edit.returnPressed.connect(self._request_connect)
        self.url_edit.returnPressed.connect(self._request_connect)
        self.region_combo.currentIndexChanged.connect(self._on_region_changed)
        self.connect_button.clicked.connect(self._request_connect)
        self.demo_button.clicked.connect(self.demo_requested)
        self.back_button.clicked.connect(self.back_requested)

        self.set_base_url(base_url or DEFAULT_BASE_URL)
        self._update_connect_enabled()

    # ------------------------------------------------------------ public

    def set_base_url(self, url: str) -> None:
        """Preselect the region with this URL, or fill in a custom URL (e.g. the last used)."""
        index = self.region_combo.findData(url.rstrip("/"))
        if index < 0:
            index = self.region_combo.count() - 1
            self.url_edit.setText(url)
        self.region_combo.setCurrentIndex(index)
        self._on_region_changed()

    def set_can_go_back(self, can: bool) -> None:
        """Offer "Back to the editor" (when a file or sample is open behind the page)."""
        self.back_button.setVisible(can)

    def show_error(self, text: str) -> None:
        """Show a problem under the form as plain text (it may be a server's message)."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        """Lock the form while the owner checks the key, so it cannot be sent twice."""
        for widget in (self.key_edit, self.region_combo, self.url_edit, self.remember_check):
            widget.setEnabled(not busy)
        self.connect_button.setText("Connecting…" if busy else "Connect")
        self.demo_button.setEnabled(not busy)
        self._update_connect_enabled()

    # ------------------------------------------------------------ internals

    def _custom(self) -> bool:
        return self.region_combo.currentData() is None

    def _on_region_changed(self) -> None:
        self._form.setRowVisible(self.url_edit, self._custom())
        self._clear_error()
        if self._custom() and self.isVisible():
            self.url_edit.setFocus()

    def _on_reveal_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.key_edit.setEchoMode(mode)
        self.reveal_action.setIcon(self._hide_icon if shown else self._show_icon)
        self.reveal_action.setText("Hide key" if shown else "Show key")

    def _update_connect_enabled(self) -> None:
        self.connect_button.setEnabled(
            bool(self.key_edit.text().strip()) and self.key_edit.isEnabled()
        )

    def _clear_error(self) -> None:
        self.show_error("")

    def _request_connect(self) -> None:
        key = self.key_edit.text().strip()
        if not key or not self.connect_button.isEnabled():
            return
        if self._custom():
            try:
                base_url = normalise_base_url(self.url_edit.text())
            except ValueError as exc:
                self.show_error(str(exc))
                self.url_edit.setFocus()
                return
        else:
            base_url = str(self.region_combo.currentData())
        self._clear_error()
        self.connect_requested.emit(key, base_url, self.remember_check.isChecked())
