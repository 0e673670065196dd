"""What the key store needs of a system keyring, and the errors it understands (no Qt).

Two backends implement :class:`KeyringBackend`: :mod:`.secret_service` (Linux and other
freedesktop systems: GNOME Keyring, KWallet) and :mod:`.keyring_package` (Windows and
macOS, through the ``keyring`` package). Tests inject an in-memory one.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["KeyringBackend", "KeyringError", "KeyringLockedError", "NoKeyringError"]


class KeyringError(Exception):
    """The keyring failed. ``str()`` is a short, key-free reason ("it did not answer")."""


class NoKeyringError(KeyringError):
    """There is no system keyring at all: nothing can be stored, so nothing is stored."""


class KeyringLockedError(KeyringError):
    """The keyring exists but is locked, and unlocking it needs the user."""

    def __init__(self, reason: str = "the keyring is locked") -> None:
        super().__init__(reason)


class KeyringBackend(Protocol):
    """A place for passwords, keyed by service and user name."""

    def get_password(self, service: str, username: str) -> str | None:
        """The stored password, or None if there is none."""
        ...

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store ``password``, replacing any stored before."""
        ...

    def delete_password(self, service: str, username: str) -> None:
        """Forget the password. Nothing stored is not an error."""
        ...
