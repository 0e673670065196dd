"""The Windows Credential Manager and the macOS Keychain, through ``keyring`` (no Qt).

The ``keyring`` package is installed on Windows and macOS only (see pyproject.toml): on
Linux it would pull SecretStorage and ``cryptography``, and :mod:`.secret_service` does
that job with less. Its ``PYTHON_KEYRING_BACKEND`` variable still chooses the backend
here (the test suite sets it to one that refuses everything).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from .keyring_backend import KeyringError, KeyringLockedError, NoKeyringError

__all__ = ["KeyringPackage"]


class KeyringPackage:
    """A :class:`~.keyring_backend.KeyringBackend` on keyring's default backend.

    keyring's own errors become ours; anything else a backend raises passes through
    (the key store reports those too).
    """

    def __init__(self, backend: Any = None) -> None:
        if backend is None:
            import keyring  # ~50 ms of imports: paid when a key is needed, not at start-up

            backend = keyring.get_keyring()
        #: A ``keyring.backend.KeyringBackend``: keyring's default unless one is given.
        self._keyring: Any = backend

    def get_password(self, service: str, username: str) -> str | None:
        """See :class:`~.keyring_backend.KeyringBackend`."""
        value = _call(self._keyring.get_password, service, username)
        return None if value is None else str(value)

    def set_password(self, service: str, username: str, password: str) -> None:
        """See :class:`~.keyring_backend.KeyringBackend`."""
        _call(self._keyring.set_password, service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        """See :class:`~.keyring_backend.KeyringBackend`."""
        import keyring.errors

        def delete() -> None:
            # PasswordDeleteError is keyring's way of saying nothing was stored.
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                self._keyring.delete_password(service, username)

        _call(delete)


def _call(method: Callable[..., Any], *args: str) -> Any:
    """``method(*args)``, with keyring's errors turned into this package's."""
    import keyring.errors

    try:
        return method(*args)
    except keyring.errors.NoKeyringError:
        raise NoKeyringError("no system keyring is available") from None
    except keyring.errors.KeyringLocked:
        raise KeyringLockedError() from None
    except keyring.errors.KeyringError as exc:
        raise KeyringError(str(exc).strip().rstrip(".") or type(exc).__name__) from None
