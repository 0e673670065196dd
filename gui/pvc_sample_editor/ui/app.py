"""Start the application: QApplication, key or demo, the window, the sample picker."""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from pvc_sample_editor import APP_ID, APP_NAME
from pvc_sample_editor.api.regions import DEFAULT_BASE_URL, REGIONS, normalise_base_url
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.options import AppOptions
from pvc_sample_editor.system.crashlog import SECRETS, install_logging
from pvc_sample_editor.system.credentials import KeyStore, KeyStoreError
from pvc_sample_editor.system.resources import resource_path
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.crash import CrashNotifier
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.picker import SamplePickerDialog
from pvc_sample_editor.ui.settings import RecentSample, Settings, open_qsettings
from pvc_sample_editor.ui.tasks import TaskRunner, report_progress
from pvc_sample_editor.ui.welcome import WelcomePage

if TYPE_CHECKING:  # imported where used: start-up on a local file needs neither
    from pvc_sample_editor.api.client import ApiClient, RetryNotice
    from pvc_sample_editor.emulator.server import EmulatorServer

__all__ = ["AppShell", "create_application", "launch", "run_app"]

log = logging.getLogger(__name__)

# How long start-up waits for a given file to load before asking the keyring anyway.
_FIRST_LOAD_PATIENCE_MS = 3000


def create_application() -> QApplication:
    """The QApplication (reused when one exists, as under pytest-qt)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(QIcon(str(resource_path("icons/pvc-sample-editor.svg"))))
    return app


def retry_reporter(notice: RetryNotice) -> None:
    """Client retry hook (runs on the worker): show the wait in the busy line."""
    report_progress(notice.message)


def connection_label(base_url: str, demo: bool) -> str:
    """Header text saying where edits go."""
    if demo:
        return "Offline demo (local emulator)"
    for name, url in REGIONS.items():
        if url == base_url:
            return f"ElevenLabs · {name}"
    return f"Server: {base_url}"


class AppShell(QObject):
    """Owns the window, the client, the demo emulator and the switches between them."""

    def __init__(
        self,
        options: AppOptions,
        *,
        qsettings: QSettings | None = None,
        key_store: KeyStore | None = None,
        player: object | None = None,
        poll_interval_ms: int = 3000,
    ) -> None:
        super().__init__()
        self.options = options
        self.settings = Settings(qsettings if qsettings is not None else open_qsettings())
        self.key_store = key_store if key_store is not None else KeyStore()
        self.emulator: EmulatorServer | None = None
        self.client: ApiClient | None = None
        self._poll_interval_ms = poll_interval_ms
        self.controller = EditorController(None, poll_interval_ms=poll_interval_ms)
        # The audio library and the device probe cost time: the player is made after the
        # window is first painted (see start), unless one is given.
        self._player = player
        self.window = MainWindow(self.controller, player=self._player, settings=self.settings.q)
        # The app runs without drafts when their folder cannot be made, and says so.
        drafts_problem = self.controller.drafts.problem()
        if drafts_problem:
            self.controller.warning.emit(drafts_problem)
        self.window.open_sample_requested.connect(self.pick_sample)
        self.window.connect_requested.connect(self.show_welcome)
        self.window.closed.connect(self.shutdown)
        self.welcome = WelcomePage(base_url=self.settings.base_url)
        self.welcome.connect_requested.connect(self._on_connect)
        self.welcome.demo_requested.connect(self.start_demo)
        self.welcome.back_requested.connect(self._show_editor)
        # A file opened or dropped while the welcome page shows is shown at once.
        self.controller.audio_loaded.connect(self._show_editor)
        self.window.stack.addWidget(self.welcome)
        self._picker_runner = TaskRunner("picker", max_threads=1, parent=self)
        self._shut_down = False
        self._asked_opened = False  # the voice or sample named on the command line
        self._build_recent_menu()

    # ---------------------------------------------------------------- start

    def start(self) -> None:
        """Decide what to show from the options, the environment and the keyring."""
        o = self.options
        self.window.show()
        local_file = None if (o.voice_id and o.sample_id) else o.audio
        if local_file is not None and not o.demo:
            # A local file was asked for: show it first. The keyring (its imports and a
            # D-Bus probe, ~0.1 s) and the audio-device probe (~0.1 s) hold the GIL and
            # the GUI thread, so they wait until the file is loaded rather than slow it.
            self._after_first_load(self._finish_file_start)
            self._show_local_file(local_file)
            return
        if self._player is None:
            QTimer.singleShot(0, self._attach_player)
        self._finish_start()

    def _after_first_load(self, then: Callable[[], None]) -> None:
        """Run ``then`` once, from the event loop, after the first load ends either way.

        A load that is replaced before it ends emits neither signal, so a timer runs
        ``then`` after a few seconds at the latest.
        """
        c = self.controller
        done = False

        def run() -> None:
            nonlocal done
            if done:
                return
            done = True
            c.audio_loaded.disconnect(schedule)
            c.audio_failed.disconnect(schedule)
            if not self._shut_down:
                then()

        def schedule(*_args: object) -> None:
            QTimer.singleShot(0, self, run)  # after the loaded file's paint

        c.audio_loaded.connect(schedule)
        c.audio_failed.connect(schedule)
        QTimer.singleShot(_FIRST_LOAD_PATIENCE_MS, self, run)

    def _show_local_file(self, path: Path) -> None:
        """Open ``path`` without a connection, saying how to connect."""
        self.window.connection_label.setText("Not connected (File → Connect…)")
        self.controller.open_local_file(path)

    def _finish_file_start(self) -> None:
        self._attach_player()
        if self.client is None:  # not connected by hand (File → Connect…) meanwhile
            self._finish_start()

    def _finish_start(self) -> None:
        o = self.options
        if o.demo:
            self.start_demo()
            return
        try:
            loaded = self.key_store.load()
        except KeyStoreError as exc:
            loaded = None
            self.welcome.show_error(str(exc))
        if loaded is None:
            if o.audio is None:
                self.show_welcome()
            elif o.voice_id and o.sample_id:
                # A sample and its copy were asked for, but there is no key: show the file.
                self._show_local_file(o.audio)
            return
        base = o.api_base or self.settings.base_url or DEFAULT_BASE_URL
        if not self._connect(loaded.key, base, demo=False):
            return
        self._open_asked()

    def _open_asked(self) -> bool:
        """Open the voice or sample the command line named, once; False when there is none
        (left) to open."""
        o = self.options
        if self._asked_opened:
            return False
        self._asked_opened = True
        if o.voice_id and o.sample_id:
            self.controller.open_sample(SampleRef(o.voice_id, o.sample_id), o.audio)
        elif o.voice_id:
            self.window.workspace_binder.open_voice(o.voice_id)
        return bool(o.voice_id)

    def _connect(self, key: str, base_url: str, *, demo: bool) -> bool:
        SECRETS.add(key)  # from now on the crash log redacts it
        from pvc_sample_editor.api.client import ApiClient

        try:
            client = ApiClient(base_url, key, on_retry=retry_reporter)
        except ValueError as exc:
            self.show_welcome()
            self.welcome.show_error(str(exc))
            return False
        if self.client is not None:
            self.client.close()
        self.client = client
        self.controller.client = client
        self.window.connection_label.setText(connection_label(client.base_url, demo))
        self._show_editor()
        return True

    def _on_connect(self, key: str, base_url: str, remember: bool) -> None:
        try:
            base_url = normalise_base_url(base_url)
        except ValueError as exc:
            self.welcome.show_error(str(exc))
            return
        if remember:
            try:
                self.key_store.save(key)
            except KeyStoreError as exc:
                self.window.statusBar().showMessage(str(exc), 10000)
        self.settings.base_url = base_url
        if self._connect(key, base_url, demo=False) and not self._open_asked():
            self.pick_sample()

    def start_demo(self) -> None:
        """Start the emulator in-process, seed the demo voice and open its sample."""
        from pvc_sample_editor.emulator.demo import DEMO_API_KEY
        from pvc_sample_editor.emulator.server import EmulatorServer

        if self.emulator is None:
            data_dir = Path(tempfile.mkdtemp(prefix="pvc-demo-"))
            server = EmulatorServer(data_dir=data_dir, api_key=DEMO_API_KEY, separation_delay=3.0)
            server.start()
            server.seed_demo()
            self.emulator = server
        server = self.emulator
        if not self._connect(DEMO_API_KEY, server.base_url, demo=True):
            return
        demo = server.demo
        self.controller.open_sample(SampleRef(demo.voice_id, demo.sample_id), Path(demo.audio_path))

    def _attach_player(self) -> None:
        if self._player is None:
            self._player = _make_player()
            self.window.set_player(self._player)

    def show_welcome(self) -> None:
        """Show the page to enter a key (or start the demo), with a way back to any work."""
        c = self.controller
        self.welcome.set_can_go_back(c.session is not None or c.audio is not None)
        self.window.stack.setCurrentWidget(self.welcome)

    def _show_editor(self) -> None:
        self.window.stack.setCurrentWidget(self.window.editor_page)

    # ---------------------------------------------------------------- samples

    def pick_sample(self) -> None:
        """Show the sample picker; open what the user chooses."""
        if self.client is None:
            self.show_welcome()
            return
        dialog = SamplePickerDialog(self.client, self._picker_runner, self.window)
        chosen = dialog.selected() if dialog.exec() else None
        dialog.deleteLater()
        if chosen is None:
            return
        voice, sample = chosen
        if sample is None:  # a voice with no samples yet: its workspace, to add them
            self.window.workspace_binder.open_voice(voice.voice_id)
            return
        self.open_sample(
            SampleRef(voice.voice_id, sample.sample_id), f"{voice.name} › {sample.file_name}"
        )

    def open_sample(self, ref: SampleRef, label: str, local_path: Path | None = None) -> None:
        """Open a server sample; ask for its local copy when none is known."""
        if local_path is None:
            known = {(r.voice_id, r.sample_id): r for r in self.settings.recent_samples()}
            previous = known.get((ref.voice_id, ref.sample_id))
            if previous and previous.local_path and Path(previous.local_path).is_file():
                local_path = Path(previous.local_path)
        self.controller.open_sample(ref, local_path)
        self.settings.add_recent(
            RecentSample(ref.voice_id, ref.sample_id, label, str(local_path or ""))
        )
        self._build_recent_menu()

    def _build_recent_menu(self) -> None:
        file_menu = self.window.file_menu
        existing = getattr(self, "_recent_menu", None)
        if existing is not None:
            existing.clear()
            menu = existing
        else:
            menu = file_menu.addMenu("Open &Recent")
            file_menu.insertMenu(self.window.open_file_action, menu)
            self._recent_menu = menu
        recent = self.settings.recent_samples()
        menu.setEnabled(bool(recent))
        for r in recent:
            action = QAction(r.label, menu)
            action.triggered.connect(
                lambda _c=False, r=r: self.open_sample(
                    SampleRef(r.voice_id, r.sample_id),
                    r.label,
                    Path(r.local_path) if r.local_path else None,
                )
            )
            menu.addAction(action)

    # ---------------------------------------------------------------- stop

    def shutdown(self) -> None:
        """Stop the picker runner, the client and the demo emulator."""
        self._shut_down = True
        self._picker_runner.shutdown()
        if self.client is not None:
            self.client.close()
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        if self._player is not None and hasattr(self._player, "shutdown"):
            self._player.shutdown()


def _make_player() -> object | None:
    try:
        from pvc_sample_editor.ui.playback import Player
    except ImportError:  # a stripped install without the playback module
        log.warning("the playback module is not available; playback disabled")
        return None
    return Player()


def launch(options: AppOptions) -> tuple[AppShell, CrashNotifier, Path]:
    """Everything run_app does before the event loop: logging, crash handling, the shell.

    Raises whatever ``AppShell.start`` raises; the caller reports it. With a file given,
    part of the start runs later from the event loop (see ``AppShell.start``); errors
    there reach the crash dialog like any other.
    """
    create_application()
    log_path = install_logging()
    log.info("starting %s; log at %s", APP_NAME, log_path)
    shell = AppShell(options)
    notifier = CrashNotifier(lambda: shell.window, shell.controller.save_draft_now)
    notifier.install()
    try:
        shell.start()
    except Exception:
        notifier.uninstall()
        shell.shutdown()
        raise
    return shell, notifier, log_path


def run_app(options: AppOptions) -> int:
    """Run the GUI until the window closes; returns the exit code."""
    app = create_application()
    try:
        _shell, notifier, _log_path = launch(options)
    except Exception as exc:  # a broken start must say why, not vanish
        log.exception("start-up failed")
        QMessageBox.critical(QWidget(), APP_NAME, f"Could not start: {exc}")
        return 1
    try:
        return int(app.exec())
    finally:
        notifier.uninstall()
