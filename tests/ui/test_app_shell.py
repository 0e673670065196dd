"""The app as a user starts it: the offline demo, the no-key welcome, connecting, memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from pytestqt.qtbot import QtBot

from memory_keyring import MemoryKeyring
from pvc_sample_editor.cli import parse_args
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.options import AppOptions
from pvc_sample_editor.system.credentials import KeyStore
from pvc_sample_editor.ui.app import AppShell
from pvc_sample_editor.ui.picker import SamplePickerDialog


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_shell(qtbot: QtBot, settings: QSettings) -> Iterator[Any]:
    shells: list[AppShell] = []

    def make(options: AppOptions, key_store: KeyStore | None = None) -> AppShell:
        shell = AppShell(
            options, qsettings=settings, key_store=key_store or KeyStore(MemoryKeyring())
        )
        shell.window.confirm = lambda title, text: True
        qtbot.addWidget(shell.window)
        shells.append(shell)
        return shell

    yield make
    for shell in shells:
        shell.window.close()
        shell.shutdown()


def test_demo_opens_the_demo_sample_offline(qtbot: QtBot, make_shell: Any) -> None:
    """--demo: emulator in-process, demo voice seeded, its sample open with the local copy."""
    shell = make_shell(parse_args(["--demo"]))
    shell.start()
    c = shell.controller
    qtbot.waitUntil(lambda: c.audio is not None and c.session is not None, timeout=20000)
    assert c.session.ref is not None
    assert c.session.sample is not None
    assert "Offline demo" in shell.window.connection_label.text()
    assert c.audio.path is not None
    assert c.audio.path.name == "demo-interview.flac"
    assert shell.emulator is not None
    assert shell.emulator.base_url.startswith("http://127.0.0.1:")


def test_without_a_key_the_welcome_page_offers_key_or_demo(qtbot: QtBot, make_shell: Any) -> None:
    """No key anywhere: the welcome page is shown; its demo button starts the demo."""
    shell = make_shell(AppOptions())
    shell.start()
    assert shell.window.stack.currentWidget() is shell.welcome
    qtbot.mouseClick(shell.welcome.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shell.controller.audio is not None, timeout=20000)
    assert shell.window.stack.currentWidget() is shell.window.editor_page


def test_entering_a_key_connects_remembers_it_in_the_keyring_only(
    qtbot: QtBot,
    make_shell: Any,
    emulator: Any,
    settings: QSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Typing a key and a custom (loopback) URL connects; the key goes to the keyring,
    never to the settings file; the URL is remembered."""
    ring = MemoryKeyring()
    shell = make_shell(AppOptions(), KeyStore(ring))
    picked: list[bool] = []
    monkeypatch.setattr(SamplePickerDialog, "exec", lambda self: picked.append(True) or 0)
    shell.start()
    w = shell.welcome
    qtbot.keyClicks(w.key_edit, emulator.api_key)
    w.set_base_url(emulator.base_url)
    qtbot.mouseClick(w.connect_button, Qt.MouseButton.LeftButton)
    assert shell.client is not None
    assert shell.client.base_url == emulator.base_url
    assert picked == [True]  # the sample picker opened
    assert ring.store[("pvc-sample-editor", "elevenlabs-api-key")] == emulator.api_key
    settings.sync()
    text = Path(settings.fileName()).read_text()
    assert emulator.api_key not in text
    assert emulator.base_url in text


def test_recent_samples_and_geometry_persist(
    qtbot: QtBot, make_shell: Any, emulator: Any, settings: QSettings
) -> None:
    """An opened sample appears under Open Recent next time; the window size comes back."""
    store = KeyStore(MemoryKeyring())
    store.save(emulator.api_key)
    demo = emulator.demo
    first = make_shell(AppOptions(api_base=emulator.base_url), store)
    first.start()
    first.open_sample(
        SampleRef(demo.voice_id, demo.sample_id), "Demo › interview", Path(demo.audio_path)
    )
    qtbot.waitUntil(lambda: first.controller.audio is not None, timeout=20000)
    # The offscreen screen is 800x800 and Qt keeps restored windows on screen.
    first.window.resize(777, 555)
    first.window.close()
    second = make_shell(AppOptions(api_base=emulator.base_url), store)
    second.start()
    labels = [a.text() for a in second._recent_menu.actions()]
    assert labels == ["Demo › interview"]
    assert (second.window.width(), second.window.height()) == (777, 555)
    second._recent_menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: second.controller.audio is not None, timeout=20000)
    assert second.controller.audio.path == Path(demo.audio_path)


def test_a_file_given_without_a_key_is_shown_with_a_way_to_connect(
    qtbot: QtBot, make_shell: Any, tmp_path: Path
) -> None:
    """``pvc-sample-editor FILE`` with no key: the file is on screen; File → Connect… is there."""
    import numpy as np
    import soundfile as sf

    path = tmp_path / "take.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000)
    shell = make_shell(parse_args([str(path)]))
    shell.start()
    qtbot.waitUntil(lambda: shell.controller.audio is not None, timeout=10000)
    assert shell.window.stack.currentWidget() is shell.window.editor_page
    assert "Not connected" in shell.window.connection_label.text()
    shell.window.connect_action.trigger()
    assert shell.window.stack.currentWidget() is shell.welcome


def test_a_file_given_with_a_stored_key_is_shown_and_connected(
    qtbot: QtBot, make_shell: Any, emulator: Any, settings: QSettings, tmp_path: Path
) -> None:
    """``pvc-sample-editor FILE`` with a key in the keyring: the keyring is asked only once
    the file is loaded and painted (its imports and D-Bus probe, ~0.1 s, would hold the
    load and the paint back), and the window ends up connected with the file on screen."""
    import numpy as np
    import soundfile as sf

    path = tmp_path / "take.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000)
    asked_with: list[tuple[object, bool]] = []  # (the open audio, was it painted loaded)
    painted: list[object] = []

    class WatchedKeyring(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            audio = shell.controller.audio
            asked_with.append((audio, audio is not None and audio in painted))
            return super().get_password(service, username)

    class PaintWatcher(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            loaded = shell.controller.audio  # set once the load has ended
            if event.type() == QEvent.Type.Paint and loaded is not None:
                painted.append(shell.window.waveform.source)
            return False

    ring = WatchedKeyring()
    ring.set_password("pvc-sample-editor", "elevenlabs-api-key", emulator.api_key)
    settings.setValue("api/base_url", emulator.base_url)
    shell = make_shell(parse_args([str(path)]), KeyStore(ring))
    watcher = PaintWatcher()
    shell.window.waveform.viewport().installEventFilter(watcher)
    shell.start()
    assert asked_with == []
    qtbot.waitUntil(lambda: shell.client is not None, timeout=10000)
    shell.window.waveform.viewport().removeEventFilter(watcher)
    assert asked_with == [(shell.controller.audio, True)]
    assert shell.controller.audio is not None
    assert shell.controller.audio.path == path
    assert shell.controller.client is shell.client
    assert shell.window.stack.currentWidget() is shell.window.editor_page
    assert "Not connected" not in shell.window.connection_label.text()


def _stored_key(emulator: Any, settings: QSettings) -> KeyStore:
    ring = MemoryKeyring()
    ring.set_password("pvc-sample-editor", "elevenlabs-api-key", emulator.api_key)
    settings.setValue("api/base_url", emulator.base_url)
    return KeyStore(ring)


def test_a_voice_id_alone_lists_the_voice_and_opens_its_first_sample(
    qtbot: QtBot, make_shell: Any, emulator: Any, settings: QSettings
) -> None:
    from pvc_sample_editor.api.client import ApiClient

    demo = emulator.demo
    with ApiClient(emulator.base_url, emulator.api_key) as check:
        served = {s.sample_id for s in check.get_voice(demo.voice_id).samples}
    assert len(served) > 1
    shell = make_shell(parse_args(["--voice-id", demo.voice_id]), _stored_key(emulator, settings))
    shell.start()
    panel, c = shell.window.workspace, shell.controller
    qtbot.waitUntil(lambda: {r.sample_id for r in panel.model.rows} == served, timeout=10000)
    first = panel.first_sample_id()
    assert first is not None
    qtbot.waitUntil(
        lambda: c.session is not None and c.session.ref == SampleRef(demo.voice_id, first),
        timeout=10000,
    )
    qtbot.waitUntil(lambda: c.audio is not None, timeout=10000)  # its preview: no folder yet
    assert shell.window.stack.currentWidget() is shell.window.editor_page


def test_a_voice_id_given_without_a_key_opens_once_a_key_is_entered(
    qtbot: QtBot, make_shell: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = emulator.demo
    shell = make_shell(parse_args(["--voice-id", demo.voice_id]), KeyStore(MemoryKeyring()))
    picked: list[bool] = []
    monkeypatch.setattr(SamplePickerDialog, "exec", lambda self: picked.append(True) or 0)
    shell.start()
    assert shell.window.stack.currentWidget() is shell.welcome  # no key: ask for one
    w = shell.welcome
    qtbot.keyClicks(w.key_edit, emulator.api_key)
    w.set_base_url(emulator.base_url)
    qtbot.mouseClick(w.connect_button, Qt.MouseButton.LeftButton)
    panel = shell.window.workspace
    qtbot.waitUntil(lambda: len(panel.model.rows) > 1, timeout=10000)
    assert picked == []  # the voice asked for opened: no picker
    c = shell.controller
    qtbot.waitUntil(
        lambda: c.session is not None and c.session.ref.voice_id == demo.voice_id, timeout=10000
    )


def test_a_voice_id_alone_of_an_empty_voice_shows_it_to_add_recordings(
    qtbot: QtBot, make_shell: Any, emulator: Any, settings: QSettings
) -> None:
    from pvc_sample_editor.api.client import ApiClient

    with ApiClient(emulator.base_url, emulator.api_key) as check:
        voice_id = check.create_voice("Fresh voice", "en")
    shell = make_shell(parse_args(["--voice-id", voice_id]), _stored_key(emulator, settings))
    shell.start()
    panel = shell.window.workspace
    qtbot.waitUntil(lambda: "Fresh voice" in panel.title.text(), timeout=10000)
    assert len(panel.model.rows) == 0
    assert shell.controller.session is None
    assert shell.window.stack.currentWidget() is shell.window.editor_page


def test_a_broken_file_given_with_a_stored_key_says_why_and_still_connects(
    qtbot: QtBot,
    make_shell: Any,
    emulator: Any,
    settings: QSettings,
    tmp_path: Path,
    warnings_shown: list[str],
) -> None:
    """The keyring waits for the file's load to end, failed loads included."""
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio" * 100)
    ring = MemoryKeyring()
    ring.set_password("pvc-sample-editor", "elevenlabs-api-key", emulator.api_key)
    settings.setValue("api/base_url", emulator.base_url)
    shell = make_shell(parse_args([str(junk)]), KeyStore(ring))
    shell.start()
    qtbot.waitUntil(lambda: shell.client is not None, timeout=2500)  # before the 3-s patience
    assert len(warnings_shown) == 1
    assert "junk.wav" in warnings_shown[0]
    assert shell.controller.audio is None
    assert "Not connected" not in shell.window.connection_label.text()


def test_connecting_by_hand_while_a_given_file_loads_is_kept(
    qtbot: QtBot, make_shell: Any, emulator: Any, settings: QSettings, tmp_path: Path
) -> None:
    """The deferred keyring look-up must not replace a connection the user just made."""
    import numpy as np
    import soundfile as sf

    path = tmp_path / "take.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000)
    ring = MemoryKeyring()
    ring.set_password("pvc-sample-editor", "elevenlabs-api-key", emulator.api_key)
    shell = make_shell(parse_args([str(path)]), KeyStore(ring))
    shell.start()
    assert shell._connect(emulator.api_key, emulator.base_url, demo=False)  # File → Connect…
    chosen = shell.client
    qtbot.waitUntil(lambda: shell._player is not None or shell.controller.audio is not None)
    qtbot.wait(200)  # the deferred part of the start has run by now
    assert shell.client is chosen


def test_play_says_it_waits_for_the_audio_check_until_the_player_is_attached(
    qtbot: QtBot, make_shell: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a file given, the audio output is probed after the file is shown."""
    import numpy as np
    import soundfile as sf

    from pvc_sample_editor.ui import app as app_module

    monkeypatch.setattr(app_module, "_make_player", lambda: None)  # playback module missing
    path = tmp_path / "take.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000)
    shell = make_shell(parse_args([str(path)]))
    play = shell.window.toggle_play_action
    shell.start()
    assert play.toolTip() == "Playback is available once the audio output has been checked."
    assert not shell.window.sound_label.isVisible()  # not yet a problem: still checking
    qtbot.waitUntil(lambda: "could not be loaded" in play.toolTip(), timeout=10000)
    missing = "Playback is not available: its module could not be loaded."
    assert play.toolTip() == missing
    assert shell.window.sound_label.text() == missing
    play.trigger()
    assert shell.window.statusBar().currentMessage() == missing


def test_connect_from_the_editor_can_go_back_to_the_open_file(
    qtbot: QtBot, make_shell: Any, tmp_path: Path
) -> None:
    """File → Connect… over a file being edited is not a one-way trip."""
    import numpy as np
    import soundfile as sf

    path = tmp_path / "take.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000)
    shell = make_shell(parse_args([]))
    shell.start()  # no key, no file: the welcome page, with nothing to go back to
    window = shell.window
    assert window.stack.currentWidget() is shell.welcome
    assert not shell.welcome.back_button.isVisible()
    shell.controller.open_local_file(path)  # File → Open Local Copy… (or a drop)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.editor_page, timeout=10000)
    window.connect_action.trigger()
    assert window.stack.currentWidget() is shell.welcome
    assert shell.welcome.back_button.isVisible()
    qtbot.mouseClick(shell.welcome.back_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.editor_page
    assert shell.controller.local_path == path


def test_a_data_folder_that_cannot_be_made_still_starts_and_warns(
    qtbot: QtBot, make_shell: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file where the data folder should be once stopped the app from starting. It now
    starts, edits work, and it says edits will not survive a crash until that is fixed."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "data").write_text("not a folder")
    monkeypatch.setenv("PVC_SAMPLE_EDITOR_HOME", str(home))
    path = tmp_path / "take.wav"
    sf.write(path, np.zeros(16_000, dtype=np.float32), 16_000)
    shell = make_shell(parse_args([str(path)]))
    shell.start()
    window = shell.window
    qtbot.waitUntil(lambda: shell.controller.audio is not None, timeout=10000)
    assert window.banner.isVisible()
    assert "edits will not survive a crash" in window.banner_label.text()
    shell.controller.set_trims(100, 900)
    asked: list[str] = []
    window.confirm = lambda _title, text: asked.append(text) is None
    window.close()
    assert asked
    assert "could not be saved" in asked[0]
    assert "will be lost" in asked[0]
