"""Error responses shaped like the real API's, and the checks that produce 422 bodies.

The real service is FastAPI + pydantic, so a refused body comes back as
``{"detail": [{"type", "loc", "msg", "input"}]}`` with pydantic's wording and type
codes. The checks here are stricter than pydantic's lax mode in one way, on purpose:
strings such as ``"15"`` or ``"yes"`` are not coerced to numbers or booleans, because
the spec says ``integer``/``boolean`` and a client sending strings has a bug the
emulator should surface. Integral floats (``1500.0``) are accepted as JSON Schema does.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

__all__ = [
    "MAX_JSON_DEPTH",
    "MISSING",
    "Fields",
    "HttpError",
    "Missing",
    "decode_json",
    "error_body",
    "invalid",
    "is_json_content_type",
    "issue",
    "not_found",
    "parse_json_object",
    "query_bool",
    "query_int",
]


class Missing(enum.Enum):
    """Marks a field the body did not contain (distinct from an explicit ``null``)."""

    MISSING = "missing"


MISSING = Missing.MISSING


class HttpError(Exception):
    """An error response (status, JSON body, extra headers) raised by an operation."""

    def __init__(self, status: int, body: object, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def status_code_name(status: int) -> str:
    """``429`` -> ``"too_many_requests"``: the snake_case ``detail.status`` for a code."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"http_{status}"
    return "".join(c if c.isalnum() else "_" for c in phrase.lower()).strip("_")


def error_body(status: str, message: str) -> dict[str, Any]:
    """The API's (observed, unspecified) error shape: ``{"detail": {status, message}}``."""
    return {"detail": {"status": status, "message": message}}


def not_found(what: str, message: str) -> HttpError:
    """A 404 for an unknown ``voice``, ``sample`` or ``speaker``."""
    return HttpError(404, error_body(f"{what}_not_found", message))


def issue(loc: list[str | int], msg: str, type_: str, input_: object) -> dict[str, Any]:
    """One entry of a 422 ``detail`` list, in pydantic's key order."""
    return {"type": type_, "loc": loc, "msg": msg, "input": input_}


def invalid(*issues: dict[str, Any]) -> HttpError:
    """A 422 carrying ``issues`` (an ``HTTPValidationError`` body)."""
    return HttpError(422, {"detail": list(issues)})


#: Deepest nesting of arrays and objects a body may have. The API's bodies are two
#: levels deep; pydantic stops at a few hundred. Far below the interpreter's recursion
#: limit, so neither decoding nor echoing a value back in a 422 can exhaust the stack.
MAX_JSON_DEPTH = 64


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 would become inf, which JSON cannot carry back
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _too_deep(value: object) -> bool:
    """True when ``value`` nests arrays/objects more than MAX_JSON_DEPTH deep (no recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _json_invalid(pos: int | None, error: str) -> HttpError:
    entry = issue(
        ["body"] if pos is None else ["body", pos], "JSON decode error", "json_invalid", {}
    )
    entry["ctx"] = {"error": error}
    return invalid(entry)


def decode_json(raw: bytes) -> object:
    """Decode a request body as strict JSON, or raise a 422 ``json_invalid``.

    Stricter than ``json.loads``, whose failures here were 500s or dropped
    connections: NaN/Infinity and numbers beyond a float are refused (they could not
    be echoed back as JSON), and so are integers of more than 4,300 digits (Python's
    conversion limit), nesting deeper than :data:`MAX_JSON_DEPTH` and text that is not
    UTF-8. A duplicate key keeps its last value, as FastAPI does.
    """
    try:
        value = json.loads(
            raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except UnicodeDecodeError as exc:
        raise _json_invalid(exc.start, str(exc)) from None
    except json.JSONDecodeError as exc:
        raise _json_invalid(exc.pos, str(exc)) from None
    except ValueError as exc:  # too many digits, a NaN, a number out of range
        raise _json_invalid(None, str(exc)[:200]) from None
    except RecursionError:
        raise _json_invalid(None, f"nested more than {MAX_JSON_DEPTH} deep") from None
    if _too_deep(value):
        raise _json_invalid(None, f"nested more than {MAX_JSON_DEPTH} deep")
    return value


def is_json_content_type(content_type: str) -> bool:
    """True for a type FastAPI reads JSON from: none at all, ``application/json``, ``+json``."""
    media = content_type.split(";", 1)[0].strip().lower()
    return (
        not media
        or media == "application/json"
        or (media.startswith("application/") and media.endswith("+json"))
    )


def parse_json_object(
    raw: bytes, *, required: bool, content_type: str | None = None
) -> dict[str, Any]:
    """Decode a JSON request body that must be an object.

    An empty body is ``{}`` when the spec marks the body optional, else a ``missing``
    422. Invalid JSON and non-objects are 422s the way FastAPI words them; so is a body
    sent with a ``content_type`` that is not JSON (FastAPI then sees bytes, not an
    object; the body is not applied). ``None`` skips that check.
    """
    if not raw.strip():
        if required:
            raise invalid(issue(["body"], "Field required", "missing", None))
        return {}
    if content_type is not None and not is_json_content_type(content_type):
        text = raw[:200].decode("utf-8", errors="replace")
        raise invalid(
            issue(
                ["body"],
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type",
                text,
            )
        )
    value = decode_json(raw)
    if not isinstance(value, dict):
        raise invalid(
            issue(
                ["body"],
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type",
                value,
            )
        )
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Fields:
    """Reads typed fields out of a decoded body, collecting every error before raising.

    Each reader returns the value, ``None`` for an explicit null (where allowed) or
    :data:`MISSING`. Call :meth:`check` once all fields are read.
    """

    def __init__(self, body: Mapping[str, Any], where: str = "body") -> None:
        self.body = body
        self.where = where
        self.issues: list[dict[str, Any]] = []

    def error(self, name: str | list[str | int], msg: str, type_: str, input_: object) -> None:
        """Record a error with field ``name`` (or a longer location path)."""
        loc: list[str | int] = [self.where, name] if isinstance(name, str) else [self.where, *name]
        self.issues.append(issue(loc, msg, type_, input_))

    def value_error(self, name: str | list[str | int], message: str, input_: object) -> None:
        """Record a semantic error (pydantic's ``value_error``)."""
        self.error(name, f"Value error, {message}", "value_error", input_)

    def check(self) -> None:
        """Raise the collected errors as one 422."""
        if self.issues:
            raise invalid(*self.issues)

    def _get(self, name: str, required: bool = False) -> object:
        if name not in self.body:
            if required:
                self.error(name, "Field required", "missing", dict(self.body))
            return MISSING
        return self.body[name]

    def string(
        self, name: str, *, required: bool = False, nullable: bool = False, max_length: int = 0
    ) -> str | Missing | None:
        """A text field, optionally nullable and length-limited."""
        value = self._get(name, required)
        if value is MISSING or (value is None and nullable):
            return value
        if not isinstance(value, str):
            self.error(name, "Input should be a valid string", "string_type", value)
            return MISSING
        if max_length and len(value) > max_length:
            self.error(
                name,
                f"String should have at most {max_length} characters",
                "string_too_long",
                value,
            )
            return MISSING
        return value

    def integer(self, name: str, *, nullable: bool = False) -> int | Missing | None:
        """An integer field; integral floats pass, fractions, strings and booleans do not."""
        value = self._get(name)
        if value is MISSING or (value is None and nullable):
            return value
        if _is_number(value) and isinstance(value, float):
            if math.isfinite(value) and value.is_integer():
                return int(value)
            self.error(
                name,
                "Input should be a valid integer, got a number with a fractional part",
                "int_from_float",
                value,
            )
            return MISSING
        if not _is_number(value):
            if isinstance(value, str):
                msg = "Input should be a valid integer, unable to parse string as an integer"
                type_ = "int_parsing"
            else:
                msg, type_ = "Input should be a valid integer", "int_type"
            self.error(name, msg, type_, value)
            return MISSING
        assert isinstance(value, int)
        return value

    def boolean(self, name: str, *, nullable: bool = False) -> bool | Missing | None:
        """A JSON boolean; ``"yes"``, ``1`` and (unless ``nullable``) ``null`` are refused."""
        value = self._get(name)
        if value is MISSING or (value is None and nullable):
            return value
        if not isinstance(value, bool):
            if isinstance(value, str):
                msg = "Input should be a valid boolean, unable to interpret input"
                self.error(name, msg, "bool_parsing", value)
            else:
                self.error(name, "Input should be a valid boolean", "bool_type", value)
            return MISSING
        return value

    def string_list(self, name: str, *, nullable: bool = False) -> list[str] | Missing | None:
        """A list of strings; each bad entry is reported at its index."""
        value = self._get(name)
        if value is MISSING or (value is None and nullable):
            return value
        if not isinstance(value, list):
            self.error(name, "Input should be a valid list", "list_type", value)
            return MISSING
        return list(value) if self._all_strings(name, enumerate(value)) else MISSING

    def string_map(self, name: str, *, nullable: bool = False) -> dict[str, str] | Missing | None:
        """An object whose values are strings (voice labels)."""
        value = self._get(name)
        if value is MISSING or (value is None and nullable):
            return value
        if not isinstance(value, dict):
            self.error(name, "Input should be a valid dictionary", "dict_type", value)
            return MISSING
        return dict(value) if self._all_strings(name, value.items()) else MISSING

    def _all_strings(self, name: str, entries: Iterable[tuple[str | int, object]]) -> bool:
        """Report every non-string entry of a container at ``[name, key]``."""
        ok = True
        for key, item in entries:
            if not isinstance(item, str):
                self.error([name, key], "Input should be a valid string", "string_type", item)
                ok = False
        return ok


_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


def query_bool(query: Mapping[str, list[str]], name: str, default: bool) -> bool:
    """A boolean query parameter, parsed the way FastAPI parses query booleans."""
    values = query.get(name)
    if not values:
        return default
    text = values[-1].strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise invalid(
        issue(
            ["query", name],
            "Input should be a valid boolean, unable to interpret input",
            "bool_parsing",
            values[-1],
        )
    )


def query_int(
    query: Mapping[str, list[str]], name: str, default: int, *, low: int, high: int
) -> int:
    """An integer query parameter within ``[low, high]``."""
    values = query.get(name)
    if not values:
        return default
    raw = values[-1]
    try:
        number = int(raw.strip())
    except ValueError:
        raise invalid(
            issue(
                ["query", name],
                "Input should be a valid integer, unable to parse string as an integer",
                "int_parsing",
                raw,
            )
        ) from None
    if number < low:
        raise invalid(
            issue(
                ["query", name],
                f"Input should be greater than or equal to {low}",
                "greater_than_equal",
                raw,
            )
        )
    if number > high:
        raise invalid(
            issue(
                ["query", name],
                f"Input should be less than or equal to {high}",
                "less_than_equal",
                raw,
            )
        )
    return number
