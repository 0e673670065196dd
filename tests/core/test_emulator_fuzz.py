"""Generated request bodies: the emulator answers each in the spec's shape, never a 500.

The edit of a sample gets every field as a value of every JSON type and size (huge
and negative numbers, floats, NaN and Infinity, lone surrogates, long and odd names,
nested lists and objects, extra keys), under JSON and other content types, and raw
bytes; uploads get odd file names and contents; raw connections send bodies shorter or
longer than their Content-Length. Every answer must be a 2xx or 4xx that parses as
strict JSON in the spec's shape (the ``http`` fixture checks each against the spec),
never a 500, a reset or silence; after a 200 the sample reads back valid.

Deterministic (derandomized, no example database) and bounded: a few hundred requests
over loopback in a few seconds.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_check import strict_json

from conftest import EmulatorHttp
from pvc_sample_editor.api.file_names import file_name_problem


def _fuzz(examples: int) -> settings:
    """Deterministic and bounded; one emulator serves all the examples of a test."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


TEXT = st.text(
    st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from("/\\.\0\n")),
    max_size=30,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**300), 10**300),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.text(min_size=250, max_size=300),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
TRIMS = st.one_of(st.integers(-5, 40_000), JSON_VALUES)
NAMES = st.one_of(TEXT, st.sampled_from(["take.wav", "..", ".", "a" * 256]), JSON_VALUES)
SPEAKERS = st.one_of(
    st.lists(st.sampled_from(["speaker_0", "speaker_1", "nobody", ""]), max_size=3), JSON_VALUES
)
EDIT_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "trim_start_time": TRIMS,
        "trim_end_time": TRIMS,
        "file_name": NAMES,
        "selected_speaker_ids": SPEAKERS,
        "remove_background_noise": st.one_of(st.booleans(), JSON_VALUES),
        "unexpected": JSON_VALUES,
    },
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=zz",
        "",
    ]
)


def _check_sample(http: EmulatorHttp, emulator: Any) -> None:
    """The sample reads back (spec-checked by the fixture) with a state an edit allows."""
    sample = http.sample(emulator.demo.voice_id, emulator.demo.sample_id)
    duration_ms = round(sample["duration_secs"] * 1000)
    start, end = sample["trim_start"], sample["trim_end"]
    first = 0 if start is None else start
    last = duration_ms if end is None else end
    assert 0 <= first < last <= duration_ms, sample
    assert file_name_problem(sample["file_name"]) is None, sample["file_name"]
    assert isinstance(sample["remove_background_noise"], bool)


def _edit_path(emulator: Any) -> str:
    return f"/v1/voices/pvc/{emulator.demo.voice_id}/samples/{emulator.demo.sample_id}"


def _post(http: EmulatorHttp, path: str, body: bytes, content_type: str) -> Any:
    response = http.post(path, data=body, headers={"Content-Type": content_type})
    assert response.status_code in (200, 422), (response.status_code, response.text[:500])
    return response


@_fuzz(120)
@given(body=EDIT_BODIES, content_type=CONTENT_TYPES)
def test_generated_edit_bodies_answer_in_the_spec(
    http: EmulatorHttp, emulator: Any, body: dict[str, Any], content_type: str
) -> None:
    # ASCII JSON as a client would send it: a lone surrogate travels as \ud800, and
    # Python writes NaN and Infinity, which a hostile client may send too.
    raw = json.dumps(body).encode("ascii")
    response = _post(http, _edit_path(emulator), raw, content_type)
    answer = strict_json(response.content)
    if response.status_code == 200:
        assert answer == {"voice_id": emulator.demo.voice_id}
        _check_sample(http, emulator)


@_fuzz(120)
@given(
    raw=st.one_of(
        st.binary(max_size=200),
        st.builds(
            lambda a, b: a + b, st.sampled_from([b"{", b'{"file_name": ', b"["]), st.binary()
        ),
    ),
    content_type=CONTENT_TYPES,
)
def test_generated_raw_bodies_answer_in_the_spec(
    http: EmulatorHttp, emulator: Any, raw: bytes, content_type: str
) -> None:
    response = _post(http, _edit_path(emulator), raw, content_type)
    strict_json(response.content)
    if response.status_code == 200:
        _check_sample(http, emulator)


@_fuzz(40)
@given(name=st.one_of(TEXT, st.text(min_size=200, max_size=400)), audio=st.booleans())
def test_generated_upload_names_answer_in_the_spec(
    http: EmulatorHttp, emulator: Any, name: str, audio: bool
) -> None:
    content = emulator.demo.audio_path.read_bytes()[:20_000] if audio else b"not audio"
    head = (
        '--zz\r\nContent-Disposition: form-data; name="files"; filename="'
        + name.replace('"', "%22").replace("\r", "").replace("\n", "")
        + '"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode("utf-8", "surrogatepass")
    body = head + content + b"\r\n--zz--\r\n"
    path = f"/v1/voices/pvc/{emulator.demo.voice_id}/samples"
    response = _post(http, path, body, "multipart/form-data; boundary=zz")
    for sample in strict_json(response.content) if response.status_code == 200 else []:
        assert file_name_problem(sample["file_name"]) is None, sample["file_name"]
        http.delete(f"{path}/{sample['sample_id']}")


@_fuzz(60)
@given(body=st.binary(max_size=300), declared=st.integers(0, 400))
def test_a_body_and_a_content_length_that_disagree_always_get_an_answer(
    emulator: Any, body: bytes, declared: int
) -> None:
    """Sent on a raw connection whose sending side then closes: a short body is a 400,
    a long one is cut at its length; always a status line and a JSON error or result."""
    head = (
        f"POST {_edit_path(emulator)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"xi-api-key: {emulator.api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    status = int(status_line.split()[1])
    if len(body) < declared:
        assert status == 400, data[:300]
    else:
        assert status in (200, 422), data[:300]
    strict_json(rest.partition(b"\r\n\r\n")[2])
