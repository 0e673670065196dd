"""The ElevenLabs API regions and the rules for a server address the user types in.

An API key belongs to one region: a residency key is rejected by the global host, so the
user picks the region and the key together.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["DEFAULT_BASE_URL", "REGIONS", "is_loopback_host", "normalise_base_url"]

#: Display name -> base URL, in the order the UI lists them; the default comes first.
REGIONS: dict[str, str] = {
    "Global (default)": "https://api.elevenlabs.io",
    "United States": "https://api.us.elevenlabs.io",
    "EU residency": "https://api.eu.residency.elevenlabs.io",
    "India residency": "https://api.in.residency.elevenlabs.io",
    "Singapore residency": "https://api.sg.residency.elevenlabs.io",
}

DEFAULT_BASE_URL = REGIONS["Global (default)"]


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``: addresses that never leave this machine."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_base_url(url: str) -> str:
    """Check a server address and return it without trailing slashes.

    Plain ``http://`` is refused unless the host is this computer (the local emulator):
    the API key travels in a header, and over plain HTTP anyone on the path could read it.
    Raises ValueError with a message saying what is wrong and what to do.
    """
    text = url.strip()
    example = f"for example {DEFAULT_BASE_URL}"
    if not text:
        raise ValueError(f"The server address is empty. Enter one, {example}.")
    try:
        parts = urlsplit(text)
        port = parts.port  # parsing the port is what raises on "host:abc"
    except ValueError:
        raise ValueError(
            f"The server address {text!r} is not a valid URL. Enter one like {DEFAULT_BASE_URL}."
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(
            f"The server address must start with https:// (got {text!r}). Enter one, {example}."
        )
    host = parts.hostname
    if not host:
        raise ValueError(f"The server address {text!r} has no host name. Enter one, {example}.")
    if parts.username is not None or parts.password is not None:
        # A password in the URL would end up in logs and window titles.
        raise ValueError(
            "The server address must not contain a user name or password; "
            "the API key is entered separately."
        )
    if parts.query or parts.fragment:
        raise ValueError(
            f"The server address {text!r} must not contain '?' or '#'. Enter only the base "
            f"address, {example}."
        )
    if scheme == "http" and not is_loopback_host(host):
        raise ValueError(
            f"Plain http:// would send your API key unencrypted to {host}. "
            "Use https://, or http:// only for this computer (localhost, 127.0.0.1, ::1)."
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"
