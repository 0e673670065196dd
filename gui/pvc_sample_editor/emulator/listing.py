"""``GET /v2/voices``: search, category filter, sort and paging over the stored voices.

Decisions: legacy voices are left out (as ``/v1/voices`` does without ``show_legacy``);
``search`` is a case-insensitive substring of the name, the description, a label
value or the category (the four the spec names; see :func:`_matches`); ``category`` is
an exact match; other filters are accepted and ignored. The default order is newest
first (``created_at_unix`` descending; ties by id). ``next_page_token`` is the decimal offset
of the next page, opaque to clients. With ``include_total_count=false`` the count is
not computed and ``total_count`` is a lower bound: the voices up to the end of this page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pvc_sample_editor.emulator.store import VoiceRecord
from pvc_sample_editor.emulator.validation import invalid, issue, query_bool, query_int

__all__ = ["MAX_PAGE_SIZE", "list_voices_v2"]

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10


def _choice(query: Mapping[str, list[str]], name: str, allowed: Sequence[str], default: str) -> str:
    values = query.get(name)
    if not values or not values[-1]:
        return default
    if values[-1] not in allowed:
        expected = " or ".join(repr(a) for a in allowed)
        raise invalid(
            issue(["query", name], f"Value error, expected {expected}", "value_error", values[-1])
        )
    return values[-1]


def _offset(query: Mapping[str, list[str]]) -> int:
    token = (query.get("next_page_token") or [""])[-1]
    if not token:
        return 0
    if not token.isdigit():
        raise invalid(
            issue(
                ["query", "next_page_token"],
                "Value error, unknown page token",
                "value_error",
                token,
            )
        )
    return int(token)


def _matches(voice: VoiceRecord, term: str) -> bool:
    """Whether casefolded ``term`` occurs in the voice's name, description, labels or category.

    Labels match by value only: the keys are a small fixed vocabulary (``accent``,
    ``age``, ``gender``, ``use_case``...) that most voices carry, so matching them would
    make a search for "age" return nearly everything; the spec filters by label key
    through separate parameters (``gender``, ``age``, ``accent``, ``use_cases``) instead.
    """
    fields = (voice.name, voice.description or "", voice.category, *voice.labels.values())
    return any(term in text.casefold() for text in fields)


def list_voices_v2(
    voices: Sequence[VoiceRecord], query: Mapping[str, list[str]]
) -> tuple[list[VoiceRecord], bool, int, str | None]:
    """One page: ``(voices, has_more, total_count, next_page_token)``."""
    page_size = query_int(query, "page_size", DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    offset = _offset(query)
    include_total = query_bool(query, "include_total_count", True)
    sort = _choice(query, "sort", ("created_at_unix", "name"), "created_at_unix")
    default_direction = "desc" if sort == "created_at_unix" else "asc"
    direction = _choice(query, "sort_direction", ("asc", "desc"), default_direction)
    search = (query.get("search") or [""])[-1].casefold()
    category = (query.get("category") or [""])[-1]

    found = [
        v
        for v in voices
        if not v.is_legacy
        and (not search or _matches(v, search))
        and (not category or v.category == category)
    ]
    if sort == "name":
        found.sort(key=lambda v: (v.name.casefold(), v.voice_id), reverse=direction == "desc")
    else:
        found.sort(key=lambda v: (v.created_at_unix, v.voice_id), reverse=direction == "desc")
    page = found[offset : offset + page_size]
    has_more = offset + page_size < len(found)
    total = len(found) if include_total else min(len(found), offset + len(page))
    return page, has_more, total, str(offset + page_size) if has_more else None
