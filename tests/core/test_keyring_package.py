"""The Windows and macOS key store: keyring's backends, with keyring's errors made ours.

keyring is a test dependency on every OS (pyproject.toml), so this adapter is tested on
Linux too, with backends that behave as keyring's do.
"""

from __future__ import annotations

import pytest

keyring_errors = pytest.importorskip(
    "keyring.errors", reason='needs keyring (a test dependency: pip install -e ".[test]")'
)

from memory_keyring import FailingKeyring, MemoryKeyring  # noqa: E402 - after the skip
from pvc_sample_editor.system.credentials import (  # noqa: E402
    KEYRING_SERVICE,
    KEYRING_USERNAME,
    KeyStore,
    KeyStoreError,
    LoadedKey,
)
from pvc_sample_editor.system.keyring_package import KeyringPackage  # noqa: E402

SECRET = "sk_live_do-not-leak-0123456789"


class KeyringLikeMemory(MemoryKeyring):
    """Deletes as keyring's backends do: deleting nothing raises PasswordDeleteError."""

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring_errors.PasswordDeleteError("Password not found")
        super().delete_password(service, username)


def test_round_trip_and_deleting_nothing_is_not_an_error() -> None:
    backend = KeyringLikeMemory()
    store = KeyStore(KeyringPackage(backend))
    store.save(SECRET)
    assert backend.store == {(KEYRING_SERVICE, KEYRING_USERNAME): SECRET}
    assert store.load() == LoadedKey(SECRET, "keyring")
    store.delete()
    store.delete()  # keyring raises PasswordDeleteError here; the key store must not
    assert store.load() is None


def test_no_keyring_loads_none_and_says_so_on_save() -> None:
    store = KeyStore(KeyringPackage(FailingKeyring(keyring_errors.NoKeyringError("advice"))))
    assert store.load() is None
    store.delete()
    with pytest.raises(KeyStoreError) as info:
        store.save(SECRET)
    assert str(info.value) == (
        "Could not save the key in the system keyring: no system keyring is available; "
        "the key will be used for this session only."
    )


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (keyring_errors.KeyringLocked("whatever"), "the keyring is locked"),
        (keyring_errors.PasswordSetError("backend refused."), "backend refused"),
        (keyring_errors.KeyringError(), "KeyringError"),
        (OSError("the Keychain went away"), "the Keychain went away"),
    ],
)
def test_keyring_failures_become_clear_key_store_errors(exc: Exception, reason: str) -> None:
    store = KeyStore(KeyringPackage(FailingKeyring(exc)))
    with pytest.raises(KeyStoreError, match=f"system keyring: {reason}; the key will be used"):
        store.save(SECRET)
    with pytest.raises(KeyStoreError, match=f"^Could not read the key .*: {reason}\\.$"):
        store.load()


def test_keyrings_default_under_tests_is_the_fail_backend() -> None:
    """conftest sets PYTHON_KEYRING_BACKEND: keyring's default refuses everything."""
    store = KeyStore(KeyringPackage())
    assert store.load() is None
    with pytest.raises(KeyStoreError, match="no system keyring is available"):
        store.save(SECRET)
