"""``pvc-sample-editor voice VOICE_ID [--json] [--api-base URL]``: a voice's minutes, headless.

Prints each sample's name, duration, kept time and state (saved, edited: an unsent local
draft, submitting: a draft whose submission is not confirmed yet), then the voice's total
kept minutes and where that leaves it (:mod:`pvc_sample_editor.editing.budget`). With
``--json`` the same as one JSON object, for scripts.

The key and server are found as the window finds them: ``ELEVENLABS_API_KEY``, else the
key the window saved in the system keyring; ``--api-base``, else the server the window
last connected to (its region: a key works in one region only), else the global API.
Qt is never imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from pvc_sample_editor.api.client import ApiClient, RetryNotice
from pvc_sample_editor.api.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    ValidationError,
)
from pvc_sample_editor.api.regions import DEFAULT_BASE_URL, normalise_base_url
from pvc_sample_editor.editing.budget import budget_sentence
from pvc_sample_editor.editing.drafts import DraftStore
from pvc_sample_editor.editing.voice_summary import VoiceSummary, summarise_voice
from pvc_sample_editor.system.credentials import ENV_VAR, KeyStore, KeyStoreError
from pvc_sample_editor.system.settings_file import remembered_base_url, settings_path
from pvc_sample_editor.timecode import format_ms

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "print_table", "run", "summary_json"]

EXIT_OK = 0
#: The server or the network failed (5xx, timeout, refused connection): try again later.
EXIT_FAILED = 1
#: Bad arguments, a bad server address, no key, a key the server rejects, an unknown voice.
EXIT_BAD_INPUT = 2

_NO_KEY = (
    f"No API key. Set {ENV_VAR} (for example `{ENV_VAR}=sk_... pvc-sample-editor voice "
    "VOICE_ID`), or start the window once, enter the key there and keep it in the keyring."
)

_EPILOG = f"""\
exit status:
  0  the voice was read and printed
  1  the server or the network failed (a 5xx, a timeout, no connection):
     try again later
  2  bad input: bad arguments or server address, no API key, a key the server
     rejects, or a voice id it does not know

The key comes from {ENV_VAR}, else the system keyring (where the window
keeps it). The server is --api-base, else the one the window last connected to,
else {DEFAULT_BASE_URL}.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pvc-sample-editor voice",
        description=(
            "List a voice's samples: name, duration, kept time and state (saved,\n"
            "edited, submitting), and the voice's total kept minutes against the\n"
            "30 minutes it needs."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("voice_id", metavar="VOICE_ID", help="the professional voice to list")
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.add_argument(
        "--api-base",
        metavar="URL",
        help="API base URL (a region, or http://127.0.0.1:PORT for an emulator)",
    )
    return p


def _fail(message: str, code: int) -> int:
    print(f"pvc-sample-editor voice: {message}", file=sys.stderr)
    return code


def _base_url(given: str | None) -> str:
    """The server to ask; raises ValueError with a sentence when the address is wrong."""
    if given is not None:
        return normalise_base_url(given)
    remembered = remembered_base_url()
    if remembered is None:
        return DEFAULT_BASE_URL
    try:
        return normalise_base_url(remembered)
    except ValueError as exc:
        raise ValueError(
            f"The server address the window remembered ({settings_path()}) is wrong: {exc} "
            "Give one with --api-base, or connect once from the window."
        ) from None


def _on_retry(notice: RetryNotice) -> None:
    print(notice.message, file=sys.stderr)


def run(argv: list[str]) -> int:
    """Run the verb with ``argv`` (the words after ``voice``); return the exit status."""
    try:
        ns = _parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a syntax error argparse has explained (2)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    voice_id = ns.voice_id.strip()
    if not voice_id:
        return _fail("the voice id is empty. Give the id of one of your voices.", EXIT_BAD_INPUT)
    try:
        base_url = _base_url(ns.api_base)
    except ValueError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    try:
        loaded = KeyStore().load()
    except KeyStoreError as exc:
        return _fail(f"{exc} {_NO_KEY}", EXIT_BAD_INPUT)
    if loaded is None:
        return _fail(_NO_KEY, EXIT_BAD_INPUT)
    try:
        with ApiClient(base_url, loaded.key, on_retry=_on_retry) as client:
            voice = client.get_voice(voice_id)
    except AuthenticationError as exc:
        return _fail(f"{exc} (key from the {loaded.source}; server {base_url})", EXIT_BAD_INPUT)
    except (NotFoundError, ValidationError) as exc:
        return _fail(f"{exc} (voice {voice_id} on {base_url})", EXIT_BAD_INPUT)
    except ApiError as exc:
        return _fail(f"{exc} (server {base_url})", EXIT_FAILED)
    summary = summarise_voice(voice, DraftStore())
    if ns.json:
        # ASCII: valid JSON on any console encoding, and a lone surrogate a server sent
        # in a name is escaped rather than failing the write.
        json.dump(summary_json(summary), sys.stdout, ensure_ascii=True)
        sys.stdout.write("\n")
    else:
        print_table(summary, sys.stdout)
    return EXIT_OK


def summary_json(summary: VoiceSummary) -> dict[str, object]:
    """The ``--json`` object."""
    total = summary.budget.total_ms
    return {
        "voice_id": summary.voice.voice_id,
        "name": summary.voice.name,
        "samples": [
            {
                "sample_id": row.sample.sample_id,
                "file_name": row.sample.file_name,
                "duration_ms": row.sample.duration_ms,
                "kept_ms": row.kept_ms,
                "state": row.state.value,
            }
            for row in summary.samples
        ],
        "total_kept_ms": total,
        "total_kept_minutes": round(total / 60_000, 3),
    }


def _clean(text: str) -> str:
    """A server's name made safe for one table cell: no control or escape characters.

    Also no lone surrogates (JSON can carry them), which no console encoding can write.
    """
    return "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)


def print_table(summary: VoiceSummary, out: TextIO) -> None:
    """The readable listing: a header, one row per sample, the total and its sentence."""
    voice = summary.voice
    count = len(summary.samples)
    out.write(f"{_clean(voice.name)} ({voice.voice_id}): {count} sample{'s' * (count != 1)}\n\n")
    rows = [("name", "duration", "kept", "kept ms", "state")]
    for row in summary.samples:
        duration = row.sample.duration_ms
        rows.append(
            (
                _clean(row.sample.file_name),
                "?" if duration is None else format_ms(duration),
                format_ms(row.kept_ms),
                f"{row.kept_ms:,}",
                row.state.value,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        cells = [r[0].ljust(widths[0])]
        cells += [r[i].rjust(widths[i]) for i in (1, 2, 3)]
        cells.append(r[4])
        out.write("  ".join(cells).rstrip() + "\n")
    total = summary.budget.total_ms
    out.write(f"\ntotal kept: {total / 60_000:.1f} min ({total:,} ms)\n")
    out.write(budget_sentence(total) + "\n")
