"""The sample picker against the real emulator over loopback, driven like a person would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem
from pytestqt.qtbot import QtBot

from pvc_sample_editor.api.client import ApiClient, RetryPolicy
from pvc_sample_editor.api.models import Voice, VoicePage
from pvc_sample_editor.emulator.demo import DEMO_EXTRA_SAMPLES, DEMO_VOICE_NAME, find_demo_audio
from pvc_sample_editor.timecode import format_ms
from pvc_sample_editor.ui.picker import SamplePickerDialog
from pvc_sample_editor.ui.tasks import TaskRunner

# The emulator seeds three professional voices (plus a clone and a legacy premade voice,
# which the professional-only list must not show).
SEEDED = {DEMO_VOICE_NAME, "Audiobook baritone", "Podcast host"}
WAIT_MS = 10_000


class RecordingClient:
    """The real client, with a note of every list_voices call (the request log drops queries)."""

    def __init__(self, client: ApiClient) -> None:
        self._client = client
        self.searches: list[str | None] = []
        self._lock = threading.Lock()

    def list_voices(self, **kwargs: Any) -> VoicePage:
        with self._lock:
            self.searches.append(kwargs.get("search"))
        return self._client.list_voices(**kwargs)

    def get_voice(self, voice_id: str, **kwargs: Any) -> Voice:
        return self._client.get_voice(voice_id, **kwargs)


@pytest.fixture
def client(emulator: Any) -> Iterator[ApiClient]:
    # One attempt: a 500 must reach the dialog at once rather than after the client's backoff.
    api = ApiClient(emulator.base_url, emulator.api_key, retry=RetryPolicy(max_attempts=1))
    yield api
    api.close()


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    tasks = TaskRunner("picker-test", max_threads=2)
    yield tasks
    assert tasks.shutdown()
    tasks.deleteLater()


@pytest.fixture
def open_picker(
    qtbot: QtBot, client: ApiClient, runner: TaskRunner
) -> Iterator[Callable[..., SamplePickerDialog]]:
    """Open a picker (shown, first page loaded); every one is closed before the runner stops."""
    opened: list[SamplePickerDialog] = []

    def open_(source: Any = None, **kwargs: Any) -> SamplePickerDialog:
        dialog = SamplePickerDialog(source or client, runner, **kwargs)
        qtbot.addWidget(dialog)
        opened.append(dialog)
        dialog.resize(900, 520)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog

    yield open_
    for dialog in opened:
        dialog.close()


def voice_names(dialog: SamplePickerDialog) -> list[str]:
    return [dialog.voice_list.item(row).text() for row in range(dialog.voice_list.count())]


def wait_idle(qtbot: QtBot, dialog: SamplePickerDialog) -> None:
    """Wait until the dialog shows no busy indicator any more."""
    qtbot.waitUntil(lambda: dialog.busy_bar.isHidden(), timeout=WAIT_MS)


def click_voice(qtbot: QtBot, dialog: SamplePickerDialog, name: str) -> None:
    items = dialog.voice_list.findItems(name, Qt.MatchFlag.MatchExactly)
    assert items, f"{name!r} not in {voice_names(dialog)}"
    item: QListWidgetItem = items[0]
    dialog.voice_list.scrollToItem(item)
    rect = dialog.voice_list.visualItemRect(item)
    qtbot.mouseClick(dialog.voice_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def row_texts(dialog: SamplePickerDialog, row: int) -> list[str]:
    table = dialog.sample_table
    return [table.item(row, column).text() for column in range(table.columnCount())]


def test_lists_the_professional_voices(qtbot: QtBot, open_picker: Callable[..., Any]) -> None:
    dialog = open_picker()
    assert dialog.busy_bar.isVisible()  # the list is loading: the user sees it
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 3, timeout=WAIT_MS)
    wait_idle(qtbot, dialog)
    assert set(voice_names(dialog)) == SEEDED
    assert dialog.count_label.text() == "3 of 3 voices"
    assert dialog.load_more_button.isHidden()
    assert not dialog.open_button.isEnabled()


def test_search_is_debounced_and_narrows_the_list(
    qtbot: QtBot, client: ApiClient, open_picker: Callable[..., Any]
) -> None:
    source = RecordingClient(client)
    dialog = open_picker(source)
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 3, timeout=WAIT_MS)

    qtbot.keyClicks(dialog.search_edit, "podcast")
    qtbot.waitUntil(lambda: voice_names(dialog) == ["Podcast host"], timeout=WAIT_MS)
    wait_idle(qtbot, dialog)
    assert dialog.count_label.text() == "1 of 1 voice"
    # One request for the whole word, not one per keystroke.
    assert source.searches == [None, "podcast"]

    # Enter searches at once (and must not press Open).
    dialog.search_edit.clear()
    qtbot.keyClicks(dialog.search_edit, "zzz-nothing")
    assert dialog.busy_bar.isHidden()  # still inside the debounce pause
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    assert dialog.busy_bar.isVisible()  # the search started without waiting
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 0, timeout=WAIT_MS)
    assert source.searches[-1] == "zzz-nothing"
    assert dialog.count_label.text() == "No professional voices match “zzz-nothing”."
    assert dialog.isVisible()


def test_load_more_fetches_the_next_page(qtbot: QtBot, open_picker: Callable[..., Any]) -> None:
    dialog = open_picker(page_size=2)
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 2, timeout=WAIT_MS)
    wait_idle(qtbot, dialog)
    assert dialog.count_label.text() == "2 of 3 voices"
    assert dialog.load_more_button.isVisible()
    first_page = voice_names(dialog)

    qtbot.mouseClick(dialog.load_more_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 3, timeout=WAIT_MS)
    wait_idle(qtbot, dialog)
    assert voice_names(dialog)[:2] == first_page
    assert set(voice_names(dialog)) == SEEDED
    assert dialog.count_label.text() == "3 of 3 voices"
    assert dialog.load_more_button.isHidden()


def test_choosing_the_demo_voice_and_double_clicking_its_sample(
    qtbot: QtBot, emulator: Any, open_picker: Callable[..., Any]
) -> None:
    info = soundfile.info(str(find_demo_audio()))
    expected_duration = format_ms(round(info.frames * 1000 / info.samplerate))
    dialog = open_picker()
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 3, timeout=WAIT_MS)

    click_voice(qtbot, dialog, DEMO_VOICE_NAME)
    table = dialog.sample_table
    qtbot.waitUntil(lambda: table.rowCount() == 1 + len(DEMO_EXTRA_SAMPLES), timeout=WAIT_MS)
    wait_idle(qtbot, dialog)
    assert dialog.voice_title.text() == DEMO_VOICE_NAME
    file_name, duration, trim_start, trim_end, speakers = row_texts(dialog, 0)
    assert file_name.endswith(".flac")
    assert duration == expected_duration
    assert duration.startswith("0:00:3")  # the demo interview is about 39 s long
    assert (trim_start, trim_end) == ("—", "—")  # untrimmed as seeded
    assert speakers
    assert dialog.open_button.isEnabled()  # the first sample, the interview, is preselected

    pos = table.visualItemRect(table.item(0, 0)).center()
    with qtbot.waitSignal(dialog.accepted):
        # A real double click is a click, then a second press that arrives as DblClick;
        # item views ignore a DblClick not preceded by a press on the same item.
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    chosen = dialog.selected()
    assert chosen is not None
    voice, sample = chosen
    assert (voice.voice_id, sample.sample_id) == (emulator.demo.voice_id, emulator.demo.sample_id)
    assert voice.name == DEMO_VOICE_NAME
    assert sample.file_name == file_name


def test_open_button_returns_the_selection(
    qtbot: QtBot, emulator: Any, open_picker: Callable[..., Any]
) -> None:
    dialog = open_picker()
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 3, timeout=WAIT_MS)
    click_voice(qtbot, dialog, DEMO_VOICE_NAME)
    qtbot.waitUntil(dialog.open_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    chosen = dialog.selected()
    assert chosen is not None
    assert chosen[1].sample_id == emulator.demo.sample_id


def test_a_voice_without_samples_opens_on_its_own_to_add_recordings(
    qtbot: QtBot, open_picker: Callable[..., Any]
) -> None:
    dialog = open_picker()
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 3, timeout=WAIT_MS)
    click_voice(qtbot, dialog, "Podcast host")
    qtbot.waitUntil(lambda: "no samples yet" in dialog.samples_hint.text(), timeout=WAIT_MS)
    assert dialog.sample_table.rowCount() == 0
    assert dialog.open_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    chosen = dialog.selected()
    assert chosen is not None
    voice, sample = chosen
    assert voice.name == "Podcast host"
    assert sample is None


def test_server_error_is_shown_inline_and_retry_recovers(
    qtbot: QtBot, emulator: Any, open_picker: Callable[..., Any]
) -> None:
    emulator.faults.inject("get_user_voices_v2", count=1, status=500)
    dialog = open_picker()
    qtbot.waitUntil(dialog.error_row.isVisible, timeout=WAIT_MS)
    wait_idle(qtbot, dialog)
    assert dialog.error_label.text()
    assert dialog.error_label.textFormat() == Qt.TextFormat.PlainText
    assert dialog.voice_list.count() == 0

    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 3, timeout=WAIT_MS)
    assert dialog.error_row.isHidden()

    # The same for the samples of a voice.
    emulator.faults.inject("get_voice_by_id", count=1, status=500)
    click_voice(qtbot, dialog, DEMO_VOICE_NAME)
    qtbot.waitUntil(dialog.error_row.isVisible, timeout=WAIT_MS)
    assert dialog.sample_table.rowCount() == 0
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: dialog.sample_table.rowCount() == 1 + len(DEMO_EXTRA_SAMPLES), timeout=WAIT_MS
    )
    assert dialog.error_row.isHidden()


def test_markup_in_a_voice_name_is_shown_literally(
    qtbot: QtBot, client: ApiClient, open_picker: Callable[..., Any]
) -> None:
    name = "<b>x</b><img src=y>"
    client.create_voice(name, "en")
    dialog = open_picker()
    qtbot.waitUntil(lambda: name in voice_names(dialog), timeout=WAIT_MS)
    click_voice(qtbot, dialog, name)
    qtbot.waitUntil(lambda: "no samples yet" in dialog.samples_hint.text(), timeout=WAIT_MS)
    assert dialog.voice_title.text() == name
    assert dialog.voice_title.textFormat() == Qt.TextFormat.PlainText


def test_a_slow_older_list_never_replaces_a_newer_search(
    qtbot: QtBot, emulator: Any, runner: TaskRunner, open_picker: Callable[..., Any]
) -> None:
    emulator.faults.inject("get_user_voices_v2", count=1, latency=1.0)
    dialog = open_picker()
    qtbot.keyClicks(dialog.search_edit, "baritone")
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: voice_names(dialog) == ["Audiobook baritone"], timeout=WAIT_MS)
    # Let the slow, unfiltered first reply arrive too (an idle runner has delivered or
    # dropped every outcome); it must have been dropped.
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
    assert voice_names(dialog) == ["Audiobook baritone"]
    assert dialog.count_label.text() == "1 of 1 voice"


def test_cancel_drops_outstanding_requests(
    qtbot: QtBot, emulator: Any, runner: TaskRunner, open_picker: Callable[..., Any]
) -> None:
    dialog = open_picker()
    qtbot.waitUntil(lambda: dialog.voice_list.count() == 3, timeout=WAIT_MS)
    emulator.faults.inject("get_voice_by_id", count=1, latency=0.5)
    click_voice(qtbot, dialog, DEMO_VOICE_NAME)
    assert dialog.busy_bar.isVisible()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.selected() is None
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
    assert dialog.sample_table.rowCount() == 0
