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
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ENV_VAR",
    "KEYRING_SERVICE",
    "KEYRING_USERNAME",
    "KeySource",
    "KeyStore",
    "KeyStoreError",
    "LoadedKey",
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

    ``backend`` is a ``keyring.backend.KeyringBackend`` instance (tests inject an
    in-memory one); None means keyring's default for this system, resolved on first
    use because probing backends can talk to D-Bus and be slow. keyring's own
    ``PYTHON_KEYRING_BACKEND`` chooses that default (the test suite sets it to a backend
    that refuses everything, so no test can touch the user's real keyring).
    """

    def __init__(self, backend: Any = None) -> None:
        self._backend = backend

    def _keyring(self) -> Any:
        if self._backend is None:
            import keyring  # ~50 ms of imports: paid when a key is needed, not at start-up

            self._backend = keyring.get_keyring()
        return self._backend

    def load(self) -> LoadedKey | None:
        """The key to use: the environment variable first, then the keyring; None if neither.

        A system without any keyring simply has no stored key (None). Any other keyring
        failure raises :class:`KeyStoreError` so the caller can say why it asks again.
        """
        env_key = os.environ.get(ENV_VAR, "").strip()
        if env_key:
            return LoadedKey(env_key, "environment")
        import keyring.errors

        try:
            stored = self._keyring().get_password(KEYRING_SERVICE, KEYRING_USERNAME)
        except keyring.errors.NoKeyringError:
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
        """
        import keyring.errors

        try:
            self._keyring().delete_password(KEYRING_SERVICE, KEYRING_USERNAME)
        except keyring.errors.PasswordDeleteError:
            return  # nothing was stored
        except Exception as exc:  # see load()
            raise KeyStoreError(
                f"Could not remove the key from the system keyring: {_reason(exc)}."
            ) from None
        log.info("API key removed from the system keyring")


def _reason(exc: BaseException, secret: str | None = None) -> str:
    """A short, key-free description of a keyring failure."""
    import keyring.errors

    if isinstance(exc, keyring.errors.NoKeyringError):
        # keyring's own text is a paragraph of packaging advice; users need the gist.
        return "no system keyring is available"
    if isinstance(exc, keyring.errors.KeyringLocked):
        return "the keyring is locked"
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    if secret:
        # A backend could echo its input in an error; the key must never reach the UI or log.
        text = text.replace(secret, "<hidden>")
    return text
