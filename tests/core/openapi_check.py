"""Validate response bodies against the API spec (``../shared/api/pvc-openapi.json``).

The spec is OpenAPI 3.1, whose schemas are JSON Schema 2020-12 (nullable fields are
``anyOf [..., {"type": "null"}]``). A response schema is validated with its
``#/components/...`` references resolved against the whole spec document.

Statuses the spec does not document (401, 404, 429, 5xx) are checked against the
error shape the contract describes as observed: ``{"detail": {"status", "message"}}``.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "OBSERVED_ERROR_SCHEMA",
    "SPEC_PATH",
    "assert_valid_response",
    "operation_for",
    "response_errors",
    "spec",
    "strict_json",
]

# The shared contract folder sits beside the checkout (tests/core/ -> tests -> checkout);
# PVC_OPENAPI_SPEC overrides it for a checkout that keeps it elsewhere.
_BESIDE_CHECKOUT = Path(__file__).resolve().parents[3] / "shared" / "api" / "pvc-openapi.json"
SPEC_PATH = Path(os.environ.get("PVC_OPENAPI_SPEC", str(_BESIDE_CHECKOUT)))
_SPEC_URI = "urn:pvc-openapi"

OBSERVED_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


@cache
def spec() -> dict[str, Any]:
    """The parsed spec document."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


@cache
def _registry() -> Registry[Any]:
    registry: Registry[Any] = Registry().with_resource(
        _SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT202012)
    )
    return registry


def _operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    found: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (method.upper(), path, operation)
    return found


def operation_for(method: str, path: str) -> str:
    """The operationId serving ``method path`` (a concrete path, query string allowed)."""
    path = path.split("?", 1)[0]
    for operation_id, (op_method, template, _) in _operations().items():
        pattern = "^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$"
        if op_method == method.upper() and re.match(pattern, path):
            return operation_id
    raise KeyError(f"no operation in the spec for {method} {path}")


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _validator(operation_id: str, status: int) -> Draft202012Validator:
    operations = _operations()
    if operation_id not in operations:
        raise KeyError(f"unknown operationId {operation_id!r}")
    method, path, operation = operations[operation_id]
    responses = operation["responses"]
    if str(status) in responses:
        pointer = _pointer(
            "paths", path, method.lower(), "responses", str(status), "content", "application/json"
        )
        schema: dict[str, Any] = {"$ref": f"{_SPEC_URI}#/{pointer}/schema"}
    elif status >= 400:
        schema = OBSERVED_ERROR_SCHEMA
    else:
        raise AssertionError(f"{operation_id} does not document status {status}")
    return Draft202012Validator(schema, registry=_registry())


def response_errors(operation_id: str, status: int, body: object) -> list[str]:
    """Every way ``body`` breaks the spec for that operation and status (empty: valid)."""
    validator = _validator(operation_id, status)
    return [_describe(e) for e in sorted(validator.iter_errors(body), key=lambda e: str(e.path))]


def _describe(error: ValidationError) -> str:
    # For an anyOf failure name the deepest error inside its branches (the real branch,
    # not the "type: null" one), recursively, rather than just "not valid under any".
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.context or ())))
    where = "/".join(str(p) for p in error.absolute_path) or "<root>"
    return f"{where}: {error.message}"


def assert_valid_response(operation_id: str, status: int, body: object) -> None:
    """Fail with every schema violation when ``body`` does not conform to the spec."""
    errors = response_errors(operation_id, status, body)
    if errors:
        raise AssertionError(
            f"{operation_id} {status} response breaks the spec:\n  " + "\n  ".join(errors[:20])
        )


def strict_json(data: bytes) -> Any:
    """Parse a response body as JSON proper: ``NaN`` and ``Infinity`` are Python's
    extensions, which ``json.loads`` (and so ``requests``) accepts but no JSON parser
    must; a server that echoes them back has sent an answer a client cannot read."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"the answer holds {constant}, which is not JSON")

    return json.loads(data, parse_constant=refuse)
