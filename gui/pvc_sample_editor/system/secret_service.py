"""The freedesktop Secret Service (GNOME Keyring, KWallet) over D-Bus, with jeepney (no Qt).

The ``keyring`` package reaches the same service through SecretStorage, which needs
``cryptography`` (16 MB installed) for its encrypted session; this module needs only
jeepney, pure-Python D-Bus of half a megabyte. It keeps the rules keyring followed, so a
key stored by earlier versions of the app is found, replaced and deleted as before:

- items live in the default collection (alias ``default``, usually "Login");
- an item is found by its ``service`` and ``username`` attributes;
- a locked collection is unlocked when the service can do it without asking the user.

Where unlocking needs the user (a password prompt), this module does not show the prompt
and wait for an answer: the key store runs on the GUI thread, which must not hang on a
dialog the user may never see. It raises :class:`KeyringLockedError` at once instead. Every
D-Bus call has a timeout, so a service that hangs costs seconds, not the app. (One
exception: jeepney sends the bus's ``Hello`` without one. The bus daemon itself answers
it, right after the authentication, which is timed.)

One connection per operation, closed after it: the session bus is cheap to reach, and no
connection or secret session outlives the call that needed it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jeepney import DBusAddress, DBusErrorResponse, MessageType, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from .keyring_backend import KeyringError, KeyringLockedError, NoKeyringError

__all__ = ["CALL_TIMEOUT", "SecretService", "session_bus_address"]

#: Seconds any one D-Bus call may take. The first call may start the service (D-Bus
#: activation of gnome-keyring-daemon or kwalletd), which takes about a second.
CALL_TIMEOUT = 5.0

_BUS_NAME = "org.freedesktop.secrets"
_SERVICE = DBusAddress(
    "/org/freedesktop/secrets", bus_name=_BUS_NAME, interface="org.freedesktop.Secret.Service"
)
_COLLECTION_IFACE = "org.freedesktop.Secret.Collection"
_ITEM_IFACE = "org.freedesktop.Secret.Item"
_NO_OBJECT = "/"  # what the service returns for "no collection" and "no prompt needed"
#: Attributes that mark items as ours, besides ``service`` and ``username`` (which find them).
_APPLICATION = "pvc-sample-editor"

# Error names that mean "no Secret Service here" rather than "the service failed".
_ABSENT = {
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
    "org.freedesktop.DBus.Error.Spawn.ChildExited",
}


def session_bus_address() -> str | None:
    """The session bus's address, as libdbus and GLib find it; None if there is none.

    ``DBUS_SESSION_BUS_ADDRESS`` first; a desktop session always sets it. Failing that, the
    per-user bus of systemd at ``$XDG_RUNTIME_DIR/bus``, as sd-bus and GDBus fall back to.
    """
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.exists(os.path.join(runtime, "bus")):
        return "unix:path=" + os.path.join(runtime, "bus")
    return None


class SecretService:
    """A :class:`~.keyring_backend.KeyringBackend` on the Secret Service of the session bus.

    ``bus_address`` is a D-Bus address (``unix:path=…``); None means the session bus,
    looked up at each call, so a session bus that appears later is found.
    """

    def __init__(self, bus_address: str | None = None, timeout: float = CALL_TIMEOUT) -> None:
        self._bus_address = bus_address
        self._timeout = timeout

    def get_password(self, service: str, username: str) -> str | None:
        """The secret of the first matching item of the default collection, or None."""
        with self._session() as s:
            collection = s.default_collection()
            if collection is None:
                return None
            items = s.find(collection, service, username)
            if not items:
                return None
            s.unlock(collection)
            secret = s.call(_item(items[0]), "GetSecret", "o", (s.session,))[0]
            return bytes(secret[2]).decode("utf-8")

    def set_password(self, service: str, username: str, password: str) -> None:
        """Replace the secret of the matching items, or make one in the default collection."""
        with self._session() as s:
            collection = s.default_collection() or s.create_default_collection()
            s.unlock(collection)
            secret = (s.session, b"", password.encode("utf-8"), "text/plain; charset=utf8")
            items = s.find(collection, service, username)
            # Updating in place keeps one item per key, whatever attributes an older
            # version (keyring's "application") gave it.
            for item in items:
                s.call(_item(item), "SetSecret", "(oayays)", (secret,))
            if items:
                return
            attributes = {"service": service, "username": username, "application": _APPLICATION}
            properties = {
                "org.freedesktop.Secret.Item.Label": (
                    "s",
                    f"Password for '{username}' on '{service}'",
                ),
                "org.freedesktop.Secret.Item.Attributes": ("a{ss}", attributes),
            }
            _, prompt = s.call(
                _collection(collection), "CreateItem", "a{sv}(oayays)b", (properties, secret, True)
            )
            if prompt != _NO_OBJECT:
                raise KeyringLockedError()

    def delete_password(self, service: str, username: str) -> None:
        """Delete every matching item of the default collection; none is not an error."""
        with self._session() as s:
            collection = s.default_collection()
            if collection is None:
                return
            items = s.find(collection, service, username)
            if items:
                s.unlock(collection)
            for item in items:
                (prompt,) = s.call(_item(item), "Delete")
                if prompt != _NO_OBJECT:
                    raise KeyringLockedError()

    @contextmanager
    def _session(self) -> Iterator[_Session]:
        """A connection and an open secret session, both closed on leaving."""
        address = self._bus_address or session_bus_address()
        if address is None:
            raise NoKeyringError("there is no D-Bus session bus")
        try:
            connection = open_dbus_connection(address, auth_timeout=self._timeout)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            # OSError covers the socket that is not there or refuses us, and TimeoutError.
            raise NoKeyringError(f"the D-Bus session bus cannot be reached ({exc})") from None
        with connection:
            yield _Session(connection, self._timeout)


class _Session:
    """One connection to the service with a "plain" secret session open on it."""

    def __init__(self, connection: DBusConnection, timeout: float) -> None:
        self._connection = connection
        self._timeout = timeout
        # "plain": secrets cross the bus unencrypted. The session bus is a socket private
        # to this user on this machine (the bus checks the peer's uid), so only the
        # user's own processes, which can read the keyring anyway, could see them. The
        # alternative ("dh-ietf1024-sha256-aes128-cbc-pkcs7") needs Diffie-Hellman and
        # AES, i.e. the cryptography package this module exists to avoid.
        _, self.session = self.call(_SERVICE, "OpenSession", "sv", ("plain", ("s", "")))

    def call(
        self,
        address: DBusAddress,
        method: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]:
        """Call ``method`` and return the reply's body; D-Bus errors become KeyringErrors."""
        message = new_method_call(address, method, signature, body)
        try:
            reply = self._connection.send_and_get_reply(message, timeout=self._timeout)
        except TimeoutError:
            raise KeyringError(f"it did not answer within {self._timeout:g} seconds") from None
        except OSError as exc:
            raise KeyringError(f"the D-Bus connection failed ({exc})") from None
        if reply.header.message_type == MessageType.error:
            raise _error(DBusErrorResponse(reply)) from None
        body_out: tuple[Any, ...] = reply.body
        return body_out

    def default_collection(self) -> str | None:
        """The path of the collection the "default" alias names, or None if it names none."""
        (path,) = self.call(_SERVICE, "ReadAlias", "s", ("default",))
        return None if path == _NO_OBJECT else str(path)

    def create_default_collection(self) -> str:
        """Make the default collection, if the service can without asking the user."""
        label = {"org.freedesktop.Secret.Collection.Label": ("s", "Login")}
        path, prompt = self.call(_SERVICE, "CreateCollection", "a{sv}s", (label, "default"))
        if prompt != _NO_OBJECT or path == _NO_OBJECT:
            raise KeyringError(
                "it has no default keyring yet (create one in your desktop's password manager)"
            )
        return str(path)

    def find(self, collection: str, service: str, username: str) -> list[str]:
        """The paths of the collection's items stored under ``service`` and ``username``."""
        attributes = {"service": service, "username": username}
        (items,) = self.call(_collection(collection), "SearchItems", "a{ss}", (attributes,))
        return [str(item) for item in items]

    def unlock(self, collection: str) -> None:
        """Unlock the collection if it is locked; KeyringLockedError if that needs the user."""
        properties = DBusAddress(collection, _BUS_NAME, "org.freedesktop.DBus.Properties")
        ((_, locked),) = self.call(properties, "Get", "ss", (_COLLECTION_IFACE, "Locked"))
        if not locked:
            return
        _, prompt = self.call(_SERVICE, "Unlock", "ao", ([collection],))
        if prompt != _NO_OBJECT:
            raise KeyringLockedError()


def _collection(path: str) -> DBusAddress:
    return DBusAddress(path, bus_name=_BUS_NAME, interface=_COLLECTION_IFACE)


def _item(path: str) -> DBusAddress:
    return DBusAddress(path, bus_name=_BUS_NAME, interface=_ITEM_IFACE)


def _error(exc: DBusErrorResponse) -> KeyringError:
    """A D-Bus error reply as the KeyringError a user can read."""
    name = str(exc.name or "")
    if name in _ABSENT:
        return NoKeyringError("no Secret Service is running")
    if name == "org.freedesktop.Secret.Error.IsLocked":
        return KeyringLockedError()
    if name == "org.freedesktop.DBus.Error.NoReply":
        return KeyringError("it did not answer")
    detail = exc.data[0] if exc.data and isinstance(exc.data[0], str) else ""
    return KeyringError(f"it refused ({name}{': ' + detail if detail else ''})")
