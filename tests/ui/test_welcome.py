"""The welcome page: a key and region become one connect request; bad URLs never leave it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from pvc_sample_editor.api.regions import DEFAULT_BASE_URL, REGIONS
from pvc_sample_editor.ui.welcome import CUSTOM_URL_LABEL, WelcomePage

KEY = "sk_welcome_test_key"


@pytest.fixture
def page(qtbot: QtBot) -> WelcomePage:
    widget = WelcomePage()
    qtbot.addWidget(widget)
    widget.resize(820, 520)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def choose_region(qtbot: QtBot, page: WelcomePage, name: str) -> None:
    """Pick a region the way a keyboard user does: arrow keys on the focused combo box.

    (Typing the name is unreliable: Space opens the popup, and quick successive searches
    are joined into one search string.)
    """
    combo = page.region_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == name:
            break
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == name


def test_connect_is_disabled_until_a_key_is_typed(qtbot: QtBot, page: WelcomePage) -> None:
    assert not page.connect_button.isEnabled()
    qtbot.keyClicks(page.key_edit, "   ")
    assert not page.connect_button.isEnabled()
    qtbot.keyClicks(page.key_edit, "k")
    assert page.connect_button.isEnabled()


def test_key_is_hidden_until_revealed(qtbot: QtBot, page: WelcomePage) -> None:
    qtbot.keyClicks(page.key_edit, KEY)
    assert page.key_edit.echoMode() == QLineEdit.EchoMode.Password
    assert KEY not in page.key_edit.displayText()
    page.reveal_action.trigger()
    assert page.key_edit.displayText() == KEY
    page.reveal_action.trigger()
    assert page.key_edit.echoMode() == QLineEdit.EchoMode.Password


def test_connect_emits_key_default_region_and_remember(qtbot: QtBot, page: WelcomePage) -> None:
    qtbot.keyClicks(page.key_edit, f" {KEY} ")
    with qtbot.waitSignal(page.connect_requested) as blocker:
        qtbot.mouseClick(page.connect_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [KEY, DEFAULT_BASE_URL, True]


def test_connect_uses_the_chosen_region(qtbot: QtBot, page: WelcomePage) -> None:
    qtbot.keyClicks(page.key_edit, KEY)
    choose_region(qtbot, page, "EU residency")
    qtbot.mouseClick(page.remember_check, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.connect_requested) as blocker:
        qtbot.keyClick(page.key_edit, Qt.Key.Key_Return)
    assert blocker.args == [KEY, REGIONS["EU residency"], False]


def test_url_field_only_for_custom_region(qtbot: QtBot, page: WelcomePage) -> None:
    assert not page.url_edit.isVisible()
    choose_region(qtbot, page, CUSTOM_URL_LABEL)
    assert page.url_edit.isVisible()
    choose_region(qtbot, page, "United States")
    assert not page.url_edit.isVisible()


def test_plain_http_custom_url_is_refused_inline(qtbot: QtBot, page: WelcomePage) -> None:
    qtbot.keyClicks(page.key_edit, KEY)
    choose_region(qtbot, page, CUSTOM_URL_LABEL)
    qtbot.keyClicks(page.url_edit, "http://example.com")
    with qtbot.assertNotEmitted(page.connect_requested, wait=50):
        qtbot.mouseClick(page.connect_button, Qt.MouseButton.LeftButton)
    assert page.error_label.isVisible()
    assert "unencrypted" in page.error_label.text()
    assert "example.com" in page.error_label.text()
    # Editing the address clears the complaint; a valid https address then goes through.
    page.url_edit.clear()
    qtbot.keyClicks(page.url_edit, "https://proxy.example.com/")
    assert not page.error_label.isVisible()
    with qtbot.waitSignal(page.connect_requested) as blocker:
        qtbot.mouseClick(page.connect_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [KEY, "https://proxy.example.com", True]


def test_loopback_http_custom_url_is_accepted(qtbot: QtBot, page: WelcomePage) -> None:
    qtbot.keyClicks(page.key_edit, KEY)
    choose_region(qtbot, page, CUSTOM_URL_LABEL)
    qtbot.keyClicks(page.url_edit, "http://127.0.0.1:8123")
    with qtbot.waitSignal(page.connect_requested) as blocker:
        qtbot.keyClick(page.url_edit, Qt.Key.Key_Return)
    assert blocker.args[1] == "http://127.0.0.1:8123"


def test_demo_button_emits_demo_requested(qtbot: QtBot, page: WelcomePage) -> None:
    with (
        qtbot.waitSignal(page.demo_requested),
        qtbot.assertNotEmitted(page.connect_requested),
    ):
        qtbot.mouseClick(page.demo_button, Qt.MouseButton.LeftButton)


def test_show_error_is_plain_text(qtbot: QtBot, page: WelcomePage) -> None:
    page.show_error("<b>Invalid</b> key")
    assert page.error_label.isVisible()
    assert page.error_label.textFormat() == Qt.TextFormat.PlainText
    assert page.error_label.text() == "<b>Invalid</b> key"
    qtbot.keyClicks(page.key_edit, "x")  # typing again clears the old complaint
    assert not page.error_label.isVisible()


def test_busy_page_cannot_connect_twice(qtbot: QtBot, page: WelcomePage) -> None:
    qtbot.keyClicks(page.key_edit, KEY)
    page.set_busy(True)
    with qtbot.assertNotEmitted(page.connect_requested, wait=50):
        qtbot.mouseClick(page.connect_button, Qt.MouseButton.LeftButton)
    page.set_busy(False)
    assert page.connect_button.isEnabled()


def test_remembered_custom_url_is_restored(qtbot: QtBot) -> None:
    widget = WelcomePage(base_url="http://localhost:9000")
    qtbot.addWidget(widget)
    assert widget.region_combo.currentText() == CUSTOM_URL_LABEL
    assert widget.url_edit.text() == "http://localhost:9000"
    widget.set_base_url(REGIONS["India residency"] + "/")
    assert widget.region_combo.currentText() == "India residency"
