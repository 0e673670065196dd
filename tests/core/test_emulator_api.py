"""The emulator's endpoints over real loopback HTTP; every answer is checked against the spec.

The ``http`` fixture validates each response body against the spec schema of its
operation and status, so every test here is also a conformance test.
"""

from __future__ import annotations

from http.client import HTTPConnection
from typing import Any

import pytest
from openapi_check import spec

from conftest import EmulatorHttp
from pvc_sample_editor.emulator.demo import (
    DEMO_EXTRA_SAMPLES,
    DEMO_SAMPLE_ID,
    DEMO_VOICE_ID,
    DEMO_VOICE_NAME,
    EXTRA_VOICES,
)
from pvc_sample_editor.emulator.routes import OPERATION_IDS, ROUTES
from pvc_sample_editor.emulator.training import TrainingSettings

PVC = f"/v1/voices/pvc/{DEMO_VOICE_ID}"
SAMPLE = f"{PVC}/samples/{DEMO_SAMPLE_ID}"
CLONED = next(v.voice_id for v in EXTRA_VOICES if v.category == "cloned")
LEGACY = next(v.voice_id for v in EXTRA_VOICES if v.is_legacy)


def test_routes_cover_every_operation_of_the_spec() -> None:
    in_spec = {
        (method.upper(), path, op["operationId"])
        for path, item in spec()["paths"].items()
        for method, op in item.items()
    }
    assert {(r.method, r.template, r.operation_id) for r in ROUTES} == in_spec
    assert len(OPERATION_IDS) == len(ROUTES)


def test_every_operation_answers_per_spec(http: EmulatorHttp, emulator: Any) -> None:
    """One call per operation, checked against the spec by the http fixture; then 422s."""
    emulator.requests_log.clear()
    voice_id = http.post("/v1/voices/pvc", json={"name": "Tour", "language": "en"}).json()[
        "voice_id"
    ]
    http.post(f"/v1/voices/pvc/{voice_id}", json={"name": "Tour 2"})
    emulator.api.training = TrainingSettings(seconds=60, min_dataset_seconds=0)
    http.post(f"/v1/voices/pvc/{voice_id}/train", json={"model_id": None})
    wav = emulator.demo.audio_path.read_bytes()
    [added] = http.post(
        f"/v1/voices/pvc/{voice_id}/samples", files=[("files", ("t.flac", wav))]
    ).json()
    sample = f"/v1/voices/pvc/{voice_id}/samples/{added['sample_id']}"
    http.post(sample, json={"trim_start_time": 10})
    http.get(f"{sample}/audio")
    http.get(f"{sample}/waveform")
    http.get(f"{sample}/speakers")
    http.separate(sample)  # start_speaker_separation (no sidecar: segmentation)
    http.get(f"{sample}/speakers/speaker_0/audio")
    http.get(f"/v1/voices/{voice_id}")
    http.get("/v1/voices")
    http.get("/v2/voices")
    http.delete(sample)
    ok = {r.operation_id for r in emulator.requests_log if r.status == 200}
    assert ok == set(OPERATION_IDS)

    refused = [
        http.post("/v1/voices/pvc", json={"name": 1, "language": "en"}),
        http.post(f"/v1/voices/pvc/{voice_id}", json={"labels": []}),
        http.post(f"/v1/voices/pvc/{voice_id}/train", json={"model_id": 3}),
        http.post(f"/v1/voices/pvc/{voice_id}/samples", files=[("files", ("x.wav", b"x"))]),
        http.post(SAMPLE, json={"trim_start_time": "abc"}),
        http.get(f"{SAMPLE}/audio", params={"remove_background_noise": "perhaps"}),
        http.get("/v1/voices", params={"show_legacy": "perhaps"}),
        http.get("/v2/voices", params={"page_size": 500}),
    ]
    assert [r.status_code for r in refused] == [422] * len(refused)


def test_demo_voice_reads_back_as_seeded(http: EmulatorHttp) -> None:
    voice = http.get(f"/v1/voices/{DEMO_VOICE_ID}").json()
    assert voice["name"] == DEMO_VOICE_NAME
    assert voice["category"] == "professional"
    # The interview comes first; the generated samples after it (test_demo_voice.py).
    assert len(voice["samples"]) == 1 + len(DEMO_EXTRA_SAMPLES)
    sample = voice["samples"][0]
    assert sample["sample_id"] == DEMO_SAMPLE_ID
    assert sample["file_name"] == "demo-interview.flac"
    assert sample["mime_type"] == "audio/flac"
    assert sample["duration_secs"] == pytest.approx(38.657, abs=0.001)
    assert (sample["trim_start"], sample["trim_end"]) == (None, None)
    assert sample["remove_background_noise"] is False
    assert sample["speaker_separation"]["status"] == "not_started"
    assert sample["speaker_separation"]["speakers"] is None


def test_every_response_carries_a_trace_id(http: EmulatorHttp) -> None:
    first = http.get("/v1/voices")
    missing = http.get("/v1/voices/nope")
    unknown = http.get("/v9/nothing", check=False)
    ids = [r.headers["x-trace-id"] for r in (first, missing, unknown)]
    assert all(ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    ("headers", "why"), [({}, "no key"), ({"xi-api-key": "wrong"}, "wrong key")]
)
def test_without_a_valid_key_every_route_is_401(
    http: EmulatorHttp, headers: dict[str, str], why: str
) -> None:
    http.session.headers.pop("xi-api-key")
    for method, path in [
        ("GET", "/v1/voices"),
        ("GET", f"/v1/voices/{DEMO_VOICE_ID}"),
        ("POST", SAMPLE),
        ("DELETE", SAMPLE),
        ("GET", f"{SAMPLE}/audio"),
    ]:
        response = http.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (why, method, path)
        assert response.json()["detail"]["status"] == "invalid_api_key"
    http.session.headers["xi-api-key"] = "restored"


def test_unknown_ids_are_404_with_the_right_status(http: EmulatorHttp) -> None:
    cases = [
        ("GET", "/v1/voices/NoSuchVoice", "voice_not_found"),
        ("POST", "/v1/voices/pvc/NoSuchVoice", "voice_not_found"),
        ("POST", "/v1/voices/pvc/NoSuchVoice/train", "voice_not_found"),
        ("GET", f"/v1/voices/pvc/NoSuchVoice/samples/{DEMO_SAMPLE_ID}/waveform", "voice_not_found"),
        ("POST", f"{PVC}/samples/NoSuchSample", "sample_not_found"),
        ("DELETE", f"{PVC}/samples/NoSuchSample", "sample_not_found"),
        ("GET", f"{PVC}/samples/NoSuchSample/audio", "sample_not_found"),
        ("GET", f"{PVC}/samples/NoSuchSample/speakers", "sample_not_found"),
        ("POST", f"{PVC}/samples/NoSuchSample/separate-speakers", "sample_not_found"),
        ("GET", f"{SAMPLE}/speakers/speaker_0/audio", "speaker_not_found"),
        # PVC routes only serve professional voices.
        ("POST", f"/v1/voices/pvc/{CLONED}", "voice_not_found"),
    ]
    for method, path, status in cases:
        response = http.request(method, path, json={})
        assert response.status_code == 404, (method, path)
        detail = response.json()["detail"]
        assert detail["status"] == status
        assert detail["message"]


def test_unknown_path_and_wrong_method_answer_like_fastapi(http: EmulatorHttp) -> None:
    missing = http.get("/v1/nothing/here", check=False)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    wrong = http.request("PUT", SAMPLE, check=False)
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})


def test_a_non_professional_voice_is_still_readable(http: EmulatorHttp) -> None:
    voice = http.get(f"/v1/voices/{CLONED}").json()
    assert voice["category"] == "cloned"
    assert voice["samples"] == []
    assert voice["fine_tuning"] is None


# ---------------------------------------------------------------- voices


def test_create_edit_and_train_a_voice(http: EmulatorHttp, emulator: Any) -> None:
    created = http.post(
        "/v1/voices/pvc",
        json={"name": "New voice", "language": "en", "labels": {"accent": "irish"}},
    )
    assert created.status_code == 200
    voice_id = created.json()["voice_id"]
    assert len(voice_id) == 20

    edited = http.post(
        f"/v1/voices/pvc/{voice_id}", json={"name": "Renamed", "description": "calm"}
    )
    assert edited.json() == {"voice_id": voice_id}
    refused = http.post(f"/v1/voices/pvc/{voice_id}/train", json={})
    assert refused.status_code == 400
    assert refused.json()["detail"]["status"] == "dataset_too_short"
    emulator.api.training = TrainingSettings(seconds=60, min_dataset_seconds=0)
    trained = http.post(f"/v1/voices/pvc/{voice_id}/train", json={})
    assert trained.json() == {"status": "ok"}

    voice = http.get(f"/v1/voices/{voice_id}").json()
    assert (voice["name"], voice["description"]) == ("Renamed", "calm")
    assert voice["labels"] == {"accent": "irish"}, "an omitted field is unchanged"
    assert voice["category"] == "professional"
    assert voice["samples"] == []
    assert voice["fine_tuning"]["state"] == {"eleven_multilingual_v2": "queued"}

    http.post(f"/v1/voices/pvc/{voice_id}", json={"description": None, "labels": None})
    voice = http.get(f"/v1/voices/{voice_id}").json()
    assert (voice["description"], voice["labels"]) == (None, {}), "null clears them"


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        ({"language": "en"}, ["body", "name"], "missing"),
        ({"name": "x"}, ["body", "language"], "missing"),
        ({"name": "x" * 101, "language": "en"}, ["body", "name"], "string_too_long"),
        ({"name": 3, "language": "en"}, ["body", "name"], "string_type"),
        (
            {"name": "x", "language": "en", "labels": {"a": 1}},
            ["body", "labels", "a"],
            "string_type",
        ),
        (None, ["body"], "missing"),
    ],
)
def test_create_voice_refuses_bad_bodies(
    http: EmulatorHttp, body: Any, loc: list[Any], type_: str
) -> None:
    response = http.post("/v1/voices/pvc", json=body)
    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(loc, type_)]


def test_v1_voices_hides_legacy_voices_unless_asked(http: EmulatorHttp) -> None:
    plain = {v["voice_id"] for v in http.get("/v1/voices").json()["voices"]}
    legacy = {
        v["voice_id"]
        for v in http.get("/v1/voices", params={"show_legacy": "true"}).json()["voices"]
    }
    assert LEGACY not in plain
    assert legacy == plain | {LEGACY}
    assert DEMO_VOICE_ID in plain
    assert http.get("/v1/voices", params={"show_legacy": "maybe"}).status_code == 422


def _page(http: EmulatorHttp, **params: Any) -> dict[str, Any]:
    response = http.get("/v2/voices", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_v2_voices_default_page_is_newest_first_without_legacy(http: EmulatorHttp) -> None:
    page = _page(http)
    ids = [v["voice_id"] for v in page["voices"]]
    assert ids[0] == DEMO_VOICE_ID, "the demo voice is the newest seeded voice"
    assert LEGACY not in ids
    created = [v["created_at_unix"] for v in page["voices"]]
    assert created == sorted(created, reverse=True)
    assert (page["has_more"], page["total_count"], page["next_page_token"]) == (False, 4, None)


def test_v2_voices_pages_with_tokens(http: EmulatorHttp) -> None:
    seen: list[str] = []
    token = None
    for _ in range(10):
        params: dict[str, Any] = {"page_size": 1}
        if token:
            params["next_page_token"] = token
        page = _page(http, **params)
        assert len(page["voices"]) == 1
        assert page["total_count"] == 4
        seen.append(page["voices"][0]["voice_id"])
        token = page["next_page_token"]
        assert page["has_more"] is (token is not None)
        if not page["has_more"]:
            break
    assert len(seen) == len(set(seen)) == 4


def test_v2_voices_search_category_and_sort(http: EmulatorHttp) -> None:
    found = _page(http, search="PODCAST")
    assert [v["name"] for v in found["voices"]] == ["Podcast host"]
    assert _page(http, search="zzz")["voices"] == []
    # The category is searched too ("clone;" in the description is not "cloned").
    assert [v["voice_id"] for v in _page(http, search="CLONED")["voices"]] == [CLONED]
    professional = _page(http, category="professional")
    assert {v["category"] for v in professional["voices"]} == {"professional"}
    assert professional["total_count"] == 3
    assert [v["category"] for v in _page(http, category="cloned")["voices"]] == ["cloned"]
    names = [v["name"] for v in _page(http, sort="name", sort_direction="asc")["voices"]]
    assert names == sorted(names, key=str.casefold)


def test_v2_total_count_without_include_total_count_is_a_lower_bound(http: EmulatorHttp) -> None:
    page = _page(http, page_size=2, include_total_count="false")
    assert page["has_more"] is True
    assert page["total_count"] == 2


@pytest.mark.parametrize(
    ("params", "name", "type_"),
    [
        ({"page_size": 101}, "page_size", "less_than_equal"),
        ({"page_size": 0}, "page_size", "greater_than_equal"),
        ({"page_size": "ten"}, "page_size", "int_parsing"),
        ({"next_page_token": "garbage"}, "next_page_token", "value_error"),
        ({"sort": "colour"}, "sort", "value_error"),
    ],
)
def test_v2_voices_refuses_bad_queries(
    http: EmulatorHttp, params: dict[str, Any], name: str, type_: str
) -> None:
    response = http.get("/v2/voices", params=params)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["query", name], type_)


def test_page_size_100_is_allowed(http: EmulatorHttp) -> None:
    assert len(_page(http, page_size=100)["voices"]) == 4


def test_a_response_is_json_with_the_content_type(http: EmulatorHttp) -> None:
    response = http.get(f"{SAMPLE}/speakers")
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) == len(response.content)


def test_keep_alive_connection_serves_several_requests(emulator: Any) -> None:
    host, port = emulator.base_url.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port), timeout=10)
    try:
        sockets = []
        for _ in range(3):
            connection.request("GET", "/v1/voices", headers={"xi-api-key": emulator.api_key})
            response = connection.getresponse()
            assert response.status == 200
            response.read()
            sockets.append(connection.sock)
    finally:
        connection.close()
    assert sockets[0] is not None
    assert sockets[0] is sockets[1] is sockets[2], "HTTP/1.1 keep-alive: one connection reused"
