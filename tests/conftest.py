"""Suite-wide settings: offscreen Qt, no leaked threads, a loopback emulator fixture."""

from __future__ import annotations

import faulthandler
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# Must happen before anything creates a QApplication: with no display and no platform
# plugin chosen, Qt aborts the whole pytest process.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep the user's real keyring out of the test run. On Linux the key store talks to the
# Secret Service on the D-Bus session bus: this address leads nowhere, so the default key
# store finds no keyring (tests/core/test_secret_service.py starts a private bus and
# keyring daemon and points the store at those). On Windows and macOS, keyring's own switch
# makes every operation of its default backend fail. Settings, drafts and logs go to a
# fresh folder per test (below).
NO_SESSION_BUS = "unix:path=/nonexistent/pvc-sample-editor-tests/no-session-bus"
os.environ["DBUS_SESSION_BUS_ADDRESS"] = NO_SESSION_BUS
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ.pop("ELEVENLABS_API_KEY", None)

TEST_API_KEY = "test-key-7f3a"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A slow test (a package built, a Debian root made) runs for minutes on purpose.

    faulthandler's watchdog (``faulthandler_timeout``: every thread's stack for a hang in
    C code, where no Python handler runs) would print "Timeout" and a dump of every
    thread in the middle of a passing run. Here it is disarmed; the test's own
    ``timeout`` marker (pytest-timeout) still ends a real hang, with the stacks.
    """
    if item.get_closest_marker("slow") is not None:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """Fail any test that leaves a Python thread (or a QThread's Python side) running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        leaked = [
            t
            for t in threading.enumerate()
            # Qt's pool threads show up as _DummyThread once they run Python code, and
            # Python never learns when they end; tests/ui/conftest.py checks those pools.
            if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    if leaked:
        names = ", ".join(sorted(t.name for t in leaked))
        pytest.fail(f"test left threads running: {names}")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point settings, drafts, caches and logs at a fresh folder for every test."""
    home = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("PVC_SAMPLE_EDITOR_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))


@pytest.fixture
def emulator(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    """A running emulator on an ephemeral loopback port with the demo voice seeded.

    Yields the ``EmulatorServer``; ``.base_url``, ``.api_key``, ``.faults`` and
    ``.demo`` (ids of the seeded demo voice and sample) are what tests use. A test
    module's ``EMULATOR_SEPARATION_DELAY`` sets how long separations stay pending.
    """
    from pvc_sample_editor.emulator.server import EmulatorServer

    delay = getattr(request.module, "EMULATOR_SEPARATION_DELAY", 0.2)
    server = EmulatorServer(
        data_dir=tmp_path / "emulator", api_key=TEST_API_KEY, separation_delay=delay
    )
    server.start()
    try:
        server.seed_demo()
        yield server
    finally:
        server.stop()
