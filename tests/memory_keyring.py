"""Keyring backends for tests that must never touch the real keyring."""

from __future__ import annotations


class MemoryKeyring:
    """An in-memory :class:`~pvc_sample_editor.system.keyring_backend.KeyringBackend`.

    Only the tests that inject it into a ``KeyStore`` ever use it.
    """

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


class FailingKeyring:
    """A keyring backend whose every operation raises the given exception."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def get_password(self, service: str, username: str) -> str | None:
        raise self.exc

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.exc

    def delete_password(self, service: str, username: str) -> None:
        raise self.exc
