"""Where the ElevenLabs API key lives: the environment or the system keyring (no Qt).

Rules:
- A non-empty ``ELEVENLABS_API_KEY`` wins over the keyring, the same variable the
  official SDK reads, so scripted and CI use needs no keyring at all.
- The key is only ever held in memory or in the keyring. It is never written to
  settings, logs or files, and it never appears in a repr or an error message.
- Keyring trouble (no backend, a locked keyring, a backend crash) never escapes as
  anything but :class:`KeyStoreError`, whose message says what happened and what it
  means for the user.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Literal

from .keyring_backend import KeyringBackend, NoKeyringError

__all__ = [
    "ENV_VAR",
    "KEYRING_SERVICE",
    "KEYRING_USERNAME",
    "KeySource",
    "KeyStore",
    "KeyStoreError",
    "LoadedKey",
    "system_keyring",
]

log = logging.getLogger(__name__)

ENV_VAR = "ELEVENLABS_API_KEY"
KEYRING_SERVICE = "pvc-sample-editor"
KEYRING_USERNAME = "elevenlabs-api-key"

KeySource = Literal["environment", "keyring"]


class KeyStoreError(Exception):
    """The keyring could not be used. ``str()`` is a sentence to show the user."""


@dataclass(frozen=True)
class LoadedKey:
    """An API key and where it came from. Its repr never shows the key."""

    key: str = field(repr=False)
    source: KeySource

    def __repr__(self) -> str:
        return f"LoadedKey(key=<hidden>, source={self.source!r})"


class KeyStore:
    """Reads, stores and forgets the API key.

    ``backend`` is any :class:`~.keyring_backend.KeyringBackend` (tests inject an
    in-memory one); None means the system's keyring, resolved on first use because
    reaching it can import a lot and talk to D-Bus: the Secret Service on Linux and other
    freedesktop systems (:mod:`.secret_service`), keyring's default on Windows and macOS
    (:mod:`.keyring_package`). The test suite points both away from the user's keyring
    (tests/conftest.py).
    """

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._backend = backend

    def _keyring(self) -> KeyringBackend:
        if self._backend is None:
            self._backend = system_keyring()
        return self._backend

    def load(self) -> LoadedKey | None:
        """The key to use: the environment variable first, then the keyring; None if neither.

        A system without any keyring simply has no stored key (None). Any other keyring
        failure raises :class:`KeyStoreError` so the caller can say why it asks again.
        """
        env_key = os.environ.get(ENV_VAR, "").strip()
        if env_key:
            return LoadedKey(env_key, "environment")
        try:
            stored = self._keyring().get_password(KEYRING_SERVICE, KEYRING_USERNAME)
        except NoKeyringError:
            return None
        except Exception as exc:  # backends raise D-Bus, OS and their own errors alike
            raise KeyStoreError(
                f"Could not read the key from the system keyring: {_reason(exc)}."
            ) from None
        if stored is None or not stored.strip():
            return None
        return LoadedKey(stored.strip(), "keyring")

    def save(self, key: str) -> None:
        """Remember ``key`` in the keyring. Raises :class:`KeyStoreError` if it cannot.

        The caller should keep using the key for the session when this fails.
        """
        key = key.strip()
        if not key:
            raise ValueError("An empty API key cannot be saved.")
        try:
            self._keyring().set_password(KEYRING_SERVICE, KEYRING_USERNAME, key)
        except Exception as exc:  # see load(): any backend failure is a KeyStoreError
            raise KeyStoreError(
                f"Could not save the key in the system keyring: {_reason(exc, key)}; "
                "the key will be used for this session only."
            ) from None
        log.info("API key saved in the system keyring")

    def delete(self) -> None:
        """Forget the stored key. Nothing stored is not an error.

        The environment variable, if set, is outside the app's control and stays.
        A system without any keyring has nothing stored, so that is not an error either.
        """
        try:
            self._keyring().delete_password(KEYRING_SERVICE, KEYRING_USERNAME)
        except NoKeyringError:
            return
        except Exception as exc:  # see load()
            raise KeyStoreError(
                f"Could not remove the key from the system keyring: {_reason(exc)}."
            ) from None
        log.info("API key removed from the system keyring")


def system_keyring() -> KeyringBackend:
    """This system's keyring: the Secret Service on D-Bus, or keyring's on Windows and macOS.

    The choice follows the dependencies pyproject.toml installs on each OS.
    """
    if sys.platform in ("win32", "darwin"):
        from .keyring_package import KeyringPackage

        return KeyringPackage()
    from .secret_service import SecretService

    return SecretService()


def _reason(exc: BaseException, secret: str | None = None) -> str:
    """A short, key-free description of a keyring failure."""
    if isinstance(exc, NoKeyringError):
        # The backend's detail (which bus, which socket) does not help users; the gist does.
        return "no system keyring is available"
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    if secret:
        # A backend could echo its input in an error; the key must never reach the UI or log.
        text = text.replace(secret, "<hidden>")
    return text
