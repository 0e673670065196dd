"""The key store: environment first, keyring second, failures as clear KeyStoreErrors."""

from __future__ import annotations

import logging
import sys

import pytest

from memory_keyring import FailingKeyring, MemoryKeyring
from pvc_sample_editor.system.credentials import (
    ENV_VAR,
    KEYRING_SERVICE,
    KEYRING_USERNAME,
    KeyStore,
    KeyStoreError,
    LoadedKey,
    system_keyring,
)
from pvc_sample_editor.system.keyring_backend import (
    KeyringError,
    KeyringLockedError,
    NoKeyringError,
)

SECRET = "sk_live_do-not-leak-0123456789"


@pytest.fixture
def memory() -> MemoryKeyring:
    return MemoryKeyring()


def test_nothing_stored_loads_none(memory: MemoryKeyring) -> None:
    assert KeyStore(memory).load() is None


def test_save_then_load_round_trips_under_the_app_names(memory: MemoryKeyring) -> None:
    store = KeyStore(memory)
    store.save(f"  {SECRET}\n")  # pasted keys often carry whitespace
    assert memory.store == {(KEYRING_SERVICE, KEYRING_USERNAME): SECRET}
    assert store.load() == LoadedKey(SECRET, "keyring")


def test_delete_forgets_and_is_idempotent(memory: MemoryKeyring) -> None:
    store = KeyStore(memory)
    store.save(SECRET)
    store.delete()
    assert store.load() is None
    store.delete()  # nothing stored any more: not an error


def test_environment_wins_over_keyring(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyStore(memory)
    store.save("stored-key")
    monkeypatch.setenv(ENV_VAR, "env-key")
    assert store.load() == LoadedKey("env-key", "environment")


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_environment_falls_back_to_keyring(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    store = KeyStore(memory)
    store.save("stored-key")
    monkeypatch.setenv(ENV_VAR, value)
    assert store.load() == LoadedKey("stored-key", "keyring")


def test_environment_works_even_when_keyring_is_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "env-key")
    store = KeyStore(FailingKeyring(KeyringLockedError()))
    assert store.load() == LoadedKey("env-key", "environment")


def test_repr_and_str_hide_the_key() -> None:
    loaded = LoadedKey(SECRET, "keyring")
    assert SECRET not in repr(loaded)
    assert SECRET not in str(loaded)
    assert SECRET not in f"{loaded!r} {loaded}"
    assert "keyring" in repr(loaded)


def test_no_keyring_available_means_no_stored_key() -> None:
    store = KeyStore(FailingKeyring(NoKeyringError("there is no D-Bus session bus")))
    assert store.load() is None


def test_save_without_keyring_says_session_only() -> None:
    store = KeyStore(FailingKeyring(NoKeyringError("there is no D-Bus session bus")))
    with pytest.raises(KeyStoreError) as info:
        store.save(SECRET)
    message = str(info.value)
    assert message == (
        "Could not save the key in the system keyring: no system keyring is available; "
        "the key will be used for this session only."
    )
    assert info.value.__cause__ is None  # no chained backend error carrying details


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (KeyringLockedError(), "the keyring is locked"),
        (KeyringError("it did not answer within 5 seconds"), "it did not answer within 5 seconds"),
        (OSError("D-Bus went away"), "D-Bus went away"),
        (RuntimeError(), "RuntimeError"),
    ],
)
def test_save_failures_become_clear_key_store_errors(exc: Exception, reason: str) -> None:
    with pytest.raises(KeyStoreError, match=f"system keyring: {reason}; the key will be used"):
        KeyStore(FailingKeyring(exc)).save(SECRET)


def test_load_and_delete_failures_become_key_store_errors() -> None:
    store = KeyStore(FailingKeyring(KeyringLockedError()))
    with pytest.raises(
        KeyStoreError, match=r"^Could not read the key .*: the keyring is locked\.$"
    ):
        store.load()
    with pytest.raises(
        KeyStoreError, match=r"^Could not remove the key .*: the keyring is locked\.$"
    ):
        store.delete()


def test_backend_echoing_the_key_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = KeyStore(FailingKeyring(ValueError(f"cannot store {SECRET!r}")))
    with pytest.raises(KeyStoreError) as info:
        store.save(SECRET)
    assert SECRET not in str(info.value)
    assert "<hidden>" in str(info.value)
    assert SECRET not in caplog.text


def test_empty_key_is_refused(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="empty"):
        KeyStore(memory).save("  ")
    assert memory.store == {}


def test_delete_without_any_keyring_is_not_an_error() -> None:
    KeyStore(FailingKeyring(NoKeyringError("there is no D-Bus session bus"))).delete()


def test_default_backend_under_tests_never_touches_the_real_keyring() -> None:
    """conftest points the session bus nowhere (Linux) and keyring at its fail backend
    (Windows, macOS): the default store finds no keyring, so no test reaches the user's."""
    store = KeyStore()
    assert store.load() is None
    with pytest.raises(KeyStoreError, match="no system keyring is available"):
        store.save(SECRET)
    store.delete()


def test_the_system_keyring_follows_the_platform() -> None:
    """The backend matches the dependency pyproject.toml installs on this OS."""
    if sys.platform in ("win32", "darwin"):
        from pvc_sample_editor.system.keyring_package import KeyringPackage as Expected
    else:
        from pvc_sample_editor.system.secret_service import SecretService as Expected
    assert isinstance(system_keyring(), Expected)
