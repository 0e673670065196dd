"""The Linux key store against a real Secret Service: GNOME Keyring on a private D-Bus.

Each test that needs the service starts its own session bus (``dbus-daemon`` with a
configuration that can start nothing by itself) and ``gnome-keyring-daemon`` on it, with
its own HOME, data and runtime folders, and points ``DBUS_SESSION_BUS_ADDRESS`` at that
bus. The user's own bus and keyring are never reached. The tests look at the keyring's
contents with their own D-Bus calls (jeepney, as the app, but written out here), not
through the code under test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jeepney import DBusAddress, MessageType, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from pvc_sample_editor.system.credentials import (
    KEYRING_SERVICE,
    KEYRING_USERNAME,
    KeyStore,
    KeyStoreError,
    LoadedKey,
)
from pvc_sample_editor.system.secret_service import SecretService, session_bus_address

SECRET = "sk_live_do-not-leak-0123456789"
PASSWORD = "keyring-password-for-tests"
SECRETS = "org.freedesktop.secrets"
SERVICE = DBusAddress("/org/freedesktop/secrets", SECRETS, "org.freedesktop.Secret.Service")

# A session bus that only routes: no service directories, so nothing is started by
# D-Bus activation (the system's gnome-keyring service file would otherwise answer).
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(
            f"needs {' and '.join(missing)} (Debian: apt-get install dbus-daemon gnome-keyring)"
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


@dataclass
class PrivateBus:
    """A running session bus of our own and the folder its daemons keep their state in."""

    address: str
    root: Path

    def connect(self) -> DBusConnection:
        return open_dbus_connection(self.address, auth_timeout=5)

    def call(self, address: DBusAddress, method: str, sig: str | None = None, *body: Any) -> Any:
        """Call a method on this bus and return the reply's body (errors fail the test)."""
        with self.connect() as conn:
            reply = conn.send_and_get_reply(new_method_call(address, method, sig, body), timeout=5)
        assert reply.header.message_type == MessageType.method_return, reply.body
        return reply.body

    def has_owner(self, name: str) -> bool:
        bus = DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus")
        return bool(self.call(bus, "NameHasOwner", "s", name)[0])


@pytest.fixture
def private_bus() -> Iterator[PrivateBus]:
    """A ``dbus-daemon --session`` of our own, with nothing on it yet."""
    _need("dbus-daemon")
    # Unix socket paths are limited to ~100 bytes: a short folder, not pytest's tmp_path.
    root = Path(tempfile.mkdtemp(prefix="pvc-bus-"))
    config = root / "bus.conf"
    config.write_text(BUS_CONFIG.format(dir=root))
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # it says it cannot raise its fd limit: not our concern
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().decode().strip()  # "" if it died
        assert address.startswith("unix:"), "dbus-daemon did not start"
        yield PrivateBus(address, root)
    finally:
        _stop(proc)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def _gnome_keyring(bus: PrivateBus, unlock: bool) -> Iterator[PrivateBus]:
    """gnome-keyring-daemon's Secret Service on ``bus``; with ``unlock``, a login keyring."""
    _need("gnome-keyring-daemon")
    root = bus.root
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root / "home"),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_RUNTIME_DIR": str(root / "run"),
        "DBUS_SESSION_BUS_ADDRESS": bus.address,
    }
    for folder in ("home", "data", "config", "run"):
        (root / folder).mkdir(mode=0o700)
    log = (root / "gnome-keyring.log").open("wb")
    # --unlock reads the password from stdin and creates the "login" keyring with it,
    # which becomes the default collection. Without it there is no keyring at all.
    proc = subprocess.Popen(
        [
            "gnome-keyring-daemon",
            "--foreground",
            "--components=secrets",
            *(["--unlock"] if unlock else []),
        ],
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=log,
        env=env,
    )
    try:
        assert proc.stdin is not None
        if unlock:
            proc.stdin.write(PASSWORD.encode())
        proc.stdin.close()
        deadline = time.monotonic() + 15
        while not bus.has_owner(SECRETS):
            assert proc.poll() is None, (root / "gnome-keyring.log").read_text()
            assert time.monotonic() < deadline, "gnome-keyring-daemon did not take its name"
            time.sleep(0.02)
        yield bus
    finally:
        _stop(proc)
        log.close()


@pytest.fixture
def gnome_keyring(private_bus: PrivateBus, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateBus]:
    """GNOME Keyring with its login keyring unlocked, this test's session bus pointed at it."""
    with _gnome_keyring(private_bus, unlock=True) as bus:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
        yield bus


def _default_collection(bus: PrivateBus) -> str:
    (path,) = bus.call(SERVICE, "ReadAlias", "s", "default")
    assert path != "/"
    return str(path)


def _items(bus: PrivateBus, attributes: dict[str, str]) -> list[str]:
    collection = DBusAddress(_default_collection(bus), SECRETS, "org.freedesktop.Secret.Collection")
    (items,) = bus.call(collection, "SearchItems", "a{ss}", attributes)
    return list(items)


def _our_items(bus: PrivateBus) -> list[str]:
    return _items(bus, {"service": KEYRING_SERVICE, "username": KEYRING_USERNAME})


def _lock(bus: PrivateBus) -> None:
    locked, prompt = bus.call(SERVICE, "Lock", "ao", [_default_collection(bus)])
    assert prompt == "/"  # locking needs no password
    assert len(locked) == 1


def test_save_load_delete_round_trip(gnome_keyring: PrivateBus) -> None:
    store = KeyStore()  # the system's keyring: the Secret Service of this test's bus
    assert store.load() is None
    store.save(SECRET)
    assert store.load() == LoadedKey(SECRET, "keyring")
    store.save("a-newer-key")  # replaces, never adds
    assert store.load() == LoadedKey("a-newer-key", "keyring")
    items = _our_items(gnome_keyring)
    assert len(items) == 1
    # The item says whose it is: the attributes identify the app, not only the key.
    assert _items(gnome_keyring, {"application": "pvc-sample-editor"}) == items
    store.delete()
    assert store.load() is None
    assert _our_items(gnome_keyring) == []
    store.delete()  # nothing stored: not an error


def test_a_second_store_reads_what_the_first_saved(gnome_keyring: PrivateBus) -> None:
    KeyStore().save(f"  {SECRET}\n")
    assert KeyStore(SecretService(gnome_keyring.address)).load() == LoadedKey(SECRET, "keyring")


def test_a_key_saved_by_keyring_is_found_and_replaced_in_place(gnome_keyring: PrivateBus) -> None:
    """Earlier versions stored the key through keyring's SecretService backend, with its
    own "application" attribute: an upgrade must keep finding it, and not duplicate it."""
    with gnome_keyring.connect() as conn:
        _, session = conn.send_and_get_reply(
            new_method_call(SERVICE, "OpenSession", "sv", ("plain", ("s", ""))), timeout=5
        ).body
        collection = DBusAddress(
            _default_collection(gnome_keyring), SECRETS, "org.freedesktop.Secret.Collection"
        )
        attributes = {
            "application": "Python keyring library",
            "service": KEYRING_SERVICE,
            "username": KEYRING_USERNAME,
        }
        properties = {"org.freedesktop.Secret.Item.Attributes": ("a{ss}", attributes)}
        secret = (session, b"", b"key-from-keyring", "text/plain")
        reply = conn.send_and_get_reply(
            new_method_call(collection, "CreateItem", "a{sv}(oayays)b", (properties, secret, True)),
            timeout=5,
        )
        assert reply.header.message_type == MessageType.method_return, reply.body
    store = KeyStore()
    assert store.load() == LoadedKey("key-from-keyring", "keyring")
    store.save(SECRET)
    assert len(_our_items(gnome_keyring)) == 1
    assert store.load() == LoadedKey(SECRET, "keyring")


def test_a_locked_keyring_says_so_at_once(gnome_keyring: PrivateBus) -> None:
    """Unlocking needs the user's password (a prompt): the store does not show it and
    wait, it says the keyring is locked. Each message names the cause, not a timeout."""
    store = KeyStore()
    store.save(SECRET)
    _lock(gnome_keyring)
    with pytest.raises(KeyStoreError) as info:
        store.load()
    assert str(info.value) == (
        "Could not read the key from the system keyring: the keyring is locked."
    )
    with pytest.raises(KeyStoreError) as info:
        store.save("another-key")
    assert str(info.value) == (
        "Could not save the key in the system keyring: the keyring is locked; "
        "the key will be used for this session only."
    )
    with pytest.raises(KeyStoreError, match=r"^Could not remove .*: the keyring is locked\.$"):
        store.delete()
    assert len(_our_items(gnome_keyring)) == 1  # still there for when it is unlocked


def test_no_default_keyring_loads_none_and_says_so_on_save(
    private_bus: PrivateBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service with no keyring yet (no login keyring): making one needs a password, so
    nothing is stored and the message says what to do."""
    with _gnome_keyring(private_bus, unlock=False) as bus:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
        (path,) = bus.call(SERVICE, "ReadAlias", "s", "default")
        assert path == "/"
        store = KeyStore()
        assert store.load() is None
        with pytest.raises(KeyStoreError) as info:
            store.save(SECRET)
        assert str(info.value) == (
            "Could not save the key in the system keyring: it has no default keyring yet "
            "(create one in your desktop's password manager); the key will be used for "
            "this session only."
        )
        store.delete()


def test_a_bus_without_a_secret_service_has_no_keyring(
    private_bus: PrivateBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    store = KeyStore()
    assert store.load() is None
    with pytest.raises(KeyStoreError, match="no system keyring is available; the key will"):
        store.save(SECRET)
    store.delete()


def test_no_session_bus_at_all_has_no_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # with no "bus" socket in it
    assert session_bus_address() is None
    store = KeyStore()
    assert store.load() is None
    with pytest.raises(KeyStoreError, match="no system keyring is available"):
        store.save(SECRET)


def test_without_the_variable_the_bus_is_found_where_systemd_puts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    (tmp_path / "bus").touch()
    assert session_bus_address() == f"unix:path={tmp_path / 'bus'}"
