"""Readers for the fields of the API's JSON answers, shared by every response model.

A missing required field, or any field of the wrong JSON type, raises
:class:`UnexpectedResponseError` with a sentence naming it -- never ``KeyError`` or
``TypeError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeVar

from pvc_sample_editor.api.errors import UnexpectedResponseError

__all__ = ["listed", "obj", "opt", "preview", "req", "str_map", "str_tuple", "typed"]

T = TypeVar("T")


def obj(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise UnexpectedResponseError(
            f"The server sent {what} in an unexpected form (not a JSON object).",
            detail=preview(data),
        )
    return data


def preview(data: object) -> str:
    text = repr(data)
    return text if len(text) <= 200 else text[:200] + "…"


def req(obj: Mapping[str, Any], key: str, kind: type[T], what: str) -> T:
    if key not in obj or obj[key] is None:
        raise UnexpectedResponseError(
            f"The server's {what} is missing the field '{key}'.", detail=preview(dict(obj))
        )
    return typed(obj[key], key, kind, what)


def opt(obj: Mapping[str, Any], key: str, kind: type[T], what: str) -> T | None:
    value = obj.get(key)
    if value is None:
        return None
    return typed(value, key, kind, what)


def typed(value: object, key: str, kind: type[T], what: str) -> T:
    ok: bool
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok:
            try:
                value = float(value)  # type: ignore[arg-type]
            except OverflowError:  # a JSON integer too large for a float
                ok = False
        if ok and not math.isfinite(value):  # type: ignore[arg-type]
            ok = False
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok and isinstance(value, float) and value.is_integer():
            value, ok = int(value), True
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise UnexpectedResponseError(
            f"The server's {what} has '{key}' of the wrong type "
            f"(expected {kind.__name__}, got {type(value).__name__}).",
            detail=preview(value),
        )
    return value  # type: ignore[return-value]


def listed(obj: Mapping[str, Any], key: str, what: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnexpectedResponseError(
            f"The server's {what} has '{key}' that is not a list.", detail=preview(value)
        )
    return value


def str_tuple(obj: Mapping[str, Any], key: str, what: str) -> tuple[str, ...] | None:
    if obj.get(key) is None:
        return None
    items = listed(obj, key, what)
    for item in items:
        if not isinstance(item, str):
            raise UnexpectedResponseError(
                f"The server's {what} has a non-text entry in '{key}'.", detail=preview(item)
            )
    return tuple(items)


def str_map(
    o: Mapping[str, Any], key: str, kind: type[str] | type[float], what: str
) -> dict[str, Any]:
    """An object of ``kind`` values keyed by text (labels, per-model states); {} if absent."""
    value = o.get(key)
    if value is None:
        return {}
    return {str(k): typed(v, key, kind, what) for k, v in obj(value, what).items()}
