"""Fault injection and the request log, in process and over the ``/_emulator`` routes."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests

from conftest import EmulatorHttp
from pvc_sample_editor.emulator.demo import DEMO_SAMPLE_ID, DEMO_VOICE_ID
from pvc_sample_editor.emulator.faults import Fault

VOICE = f"/v1/voices/{DEMO_VOICE_ID}"
SAMPLE = f"/v1/voices/pvc/{DEMO_VOICE_ID}/samples/{DEMO_SAMPLE_ID}"
EDIT = {"remove_background_noise": True, "trim_start_time": 1000, "trim_end_time": 9000}


def statuses(emulator: Any, operation_id: str) -> list[int]:
    """The statuses the log recorded for one operation."""
    return [r.status for r in emulator.requests_log.for_operation(operation_id)]


def trim_start(http: EmulatorHttp) -> Any:
    """The demo sample's stored trim start."""
    return http.sample(DEMO_VOICE_ID, DEMO_SAMPLE_ID)["trim_start"]


def test_status_fault_for_the_next_n_requests(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("get_voice_by_id", count=2, status=503)
    first, second, third = (http.get(VOICE) for _ in range(3))
    assert [r.status_code for r in (first, second, third)] == [503, 503, 200]
    assert first.json()["detail"]["status"] == "service_unavailable"
    assert first.headers["x-trace-id"]
    assert statuses(emulator, "get_voice_by_id") == [503, 503, 200]


def test_a_status_fault_does_not_apply_the_edit(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("edit_pvc_voice_sample", status=500)
    response = http.post(SAMPLE, json=EDIT)
    assert response.status_code == 500
    assert response.json()["detail"]["status"] == "internal_server_error"
    assert trim_start(http) is None
    [record] = emulator.requests_log.for_operation("edit_pvc_voice_sample")
    assert (record.method, record.path, record.status, record.body) == ("POST", SAMPLE, 500, EDIT)


def test_429_carries_retry_after_and_the_concurrency_headers(
    http: EmulatorHttp, emulator: Any
) -> None:
    emulator.faults.inject("edit_pvc_voice_sample", status=429, retry_after=2)
    response = http.post(SAMPLE, json=EDIT)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.headers["maximum-concurrent-requests"] == "2"
    assert response.json()["detail"]["status"] == "too_many_concurrent_requests"


def test_an_injected_422_is_a_validation_error_body(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("edit_pvc_voice_sample", status=422)
    response = http.post(SAMPLE, json=EDIT)  # the http fixture checks HTTPValidationError
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "value_error"


@pytest.mark.parametrize("status", [400, 403, 404, 409, 502])
def test_any_status_uses_the_error_shape(http: EmulatorHttp, emulator: Any, status: int) -> None:
    emulator.faults.inject("*", status=status)
    response = http.get("/v1/voices")
    assert response.status_code == status
    assert set(response.json()["detail"]) == {"status", "message"}


def test_drop_closes_the_connection_without_an_answer(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("edit_pvc_voice_sample", drop=True)
    with pytest.raises(requests.ConnectionError):
        http.post(SAMPLE, json=EDIT)
    assert trim_start(http) is None, "a dropped request is not applied"
    assert statuses(emulator, "edit_pvc_voice_sample") == [0]
    assert http.post(SAMPLE, json=EDIT).status_code == 200, "the next attempt goes through"


def test_truncate_applies_the_edit_then_resets_mid_body(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("edit_pvc_voice_sample", truncate=True)
    with pytest.raises(requests.RequestException):
        http.post(SAMPLE, json=EDIT)
    assert trim_start(http) == 1000, "the server applied it; only the answer was lost"


def test_malformed_json_is_a_200_that_does_not_parse(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("edit_pvc_voice_sample", malformed=True)
    response = http.post(SAMPLE, json=EDIT, check=False)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert trim_start(http) == 1000


def test_html_error_page(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("get_voice_by_id", html=True)
    emulator.faults.inject("get_voices", html=True, status=504)
    bad_gateway = http.get(VOICE, check=False)
    timeout = http.get("/v1/voices", check=False)
    assert bad_gateway.status_code == 502
    assert bad_gateway.headers["Content-Type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in bad_gateway.text
    assert (timeout.status_code, "504" in timeout.text) == (504, True)


def test_oversize_is_valid_json_of_the_requested_size(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("edit_pvc_voice_sample", oversize_mb=2)
    emulator.faults.inject("add_pvc_voice_samples", oversize_mb=1)
    response = http.post(SAMPLE, json=EDIT)  # still valid against the schema
    assert len(response.content) >= 2 * 1024 * 1024
    assert response.json()["voice_id"] == DEMO_VOICE_ID
    listed = http.post(f"/v1/voices/pvc/{DEMO_VOICE_ID}/samples", files=[("x", ("a", b"b"))])
    assert listed.status_code == 422, "oversize pads whatever the answer is"
    assert len(listed.content) >= 1024 * 1024


def test_latency_delays_and_then_answers(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("get_voices", latency=0.3)
    started = time.monotonic()
    assert http.get("/v1/voices").status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    http.get("/v1/voices")
    assert time.monotonic() - started < 0.3, "only the next request was slowed"


def test_a_slow_request_that_the_client_abandons_is_still_applied(
    http: EmulatorHttp, emulator: Any
) -> None:
    emulator.faults.inject("edit_pvc_voice_sample", latency=0.5)
    with pytest.raises(requests.Timeout):
        http.post(SAMPLE, json=EDIT, timeout=0.1)
    deadline = time.monotonic() + 5
    while trim_start(http) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert trim_start(http) == 1000


def test_route_faults_come_before_wildcard_ones(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("*", status=500)
    emulator.faults.inject("get_voices", status=409)
    assert http.get("/v1/voices").status_code == 409
    assert http.get("/v1/voices").status_code == 500
    assert http.get("/v1/voices").status_code == 200
    assert emulator.faults.pending() == {}


def test_clear_disarms_everything(http: EmulatorHttp, emulator: Any) -> None:
    emulator.faults.inject("*", count=5, status=500)
    emulator.faults.clear()
    assert http.get("/v1/voices").status_code == 200


@pytest.mark.parametrize(
    ("route", "kwargs"),
    [
        ("get_voice", {"status": 500}),
        ("get_voices", {"count": 0, "status": 500}),
        ("get_voices", {"drop": True, "html": True}),
        ("get_voices", {"drop": True, "status": 500}),
        ("get_voices", {"retry_after": 1}),
        ("get_voices", {"status": 42}),
        ("get_voices", {}),
    ],
)
def test_nonsense_faults_are_refused(emulator: Any, route: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- each case has its own message
        emulator.faults.inject(route, **kwargs)


def test_fault_short_circuit_rules() -> None:
    assert Fault(status=500).short_circuits
    assert Fault(drop=True).short_circuits
    assert not Fault(status=500, malformed=True).short_circuits
    assert not Fault(latency=1.0).short_circuits


def test_requests_log_records_every_api_request(http: EmulatorHttp, emulator: Any) -> None:
    emulator.requests_log.clear()
    http.get("/v1/voices", params={"show_legacy": "true"})
    http.post(SAMPLE, json={"file_name": "x.wav"})
    http.get("/nowhere", check=False)
    records = list(emulator.requests_log)
    assert [(r.method, r.path, r.operation_id, r.status, r.body) for r in records] == [
        ("GET", "/v1/voices", "get_voices", 200, None),
        ("POST", SAMPLE, "edit_pvc_voice_sample", 200, {"file_name": "x.wav"}),
        ("GET", "/nowhere", None, 404, None),
    ]
    assert records[1] == ("POST", SAMPLE, "edit_pvc_voice_sample", 200, {"file_name": "x.wav"})
    assert len(emulator.requests_log) == 3


def test_the_log_is_safe_under_concurrent_requests(emulator: Any) -> None:
    emulator.requests_log.clear()
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            with requests.Session() as session:
                for _ in range(10):
                    session.get(
                        emulator.base_url + "/v1/voices",
                        headers={"xi-api-key": emulator.api_key},
                        timeout=10,
                    )
        except BaseException as exc:  # reported below, on the test thread
            errors.append(exc)

    workers = [threading.Thread(target=hammer) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(emulator.requests_log) == 40


def test_control_routes_over_http(http: EmulatorHttp, emulator: Any) -> None:
    armed = http.post(
        "/_emulator/faults", json={"route": "get_voices", "status": 503, "count": 2}, check=False
    )
    assert armed.json() == {"status": "ok", "pending": {"get_voices": 2}}
    assert http.get("/v1/voices").status_code == 503
    assert http.delete("/_emulator/faults", check=False).json() == {"status": "ok"}
    assert http.get("/v1/voices").status_code == 200
    log = http.get("/_emulator/requests", check=False).json()["requests"]
    assert [(r["operation_id"], r["status"]) for r in log] == [
        ("get_voices", 503),
        ("get_voices", 200),
    ]
    assert set(log[0]) == {"method", "path", "operation_id", "status", "body"}
    assert http.delete("/_emulator/requests", check=False).json() == {"status": "ok"}
    assert len(emulator.requests_log) == 0, "control requests are not logged"


def test_control_routes_refuse_bad_input_and_missing_keys(http: EmulatorHttp) -> None:
    bad = http.post("/_emulator/faults", json={"route": "nope", "status": 500}, check=False)
    assert bad.status_code == 422
    assert "unknown route" in bad.json()["detail"][0]["msg"]
    typo = http.post("/_emulator/faults", json={"route": "*", "statuz": 500}, check=False)
    assert typo.status_code == 422
    assert http.post("/_emulator/faults", json={"status": 500}, check=False).status_code == 422
    assert http.get("/_emulator/nothing", check=False).status_code == 404
    http.session.headers["xi-api-key"] = "wrong"
    assert http.get("/_emulator/requests", check=False).status_code == 401
    assert http.delete("/_emulator/faults", check=False).status_code == 401
