"""THE EDIT (``POST …/samples/{sample_id}``) and the decisions the spec leaves open.

Each decision listed in the ``pvc_sample_editor.emulator`` package docstring has a
test here, over real HTTP against the seeded demo sample (38.657 s = 38657 ms).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from conftest import EmulatorHttp
from pvc_sample_editor.emulator.demo import DEMO_SAMPLE_ID, DEMO_VOICE_ID
from pvc_sample_editor.emulator.server import EmulatorServer

SAMPLE = f"/v1/voices/pvc/{DEMO_VOICE_ID}/samples/{DEMO_SAMPLE_ID}"
DURATION_MS = 38657
FULL_EDIT = {
    "remove_background_noise": True,
    "trim_start_time": 1500,
    "trim_end_time": 30000,
    "file_name": "interview-take-3.wav",
}


def edit(http: EmulatorHttp, body: Any) -> Any:
    """POST the edit; return the response."""
    return http.post(SAMPLE, json=body)


def state(http: EmulatorHttp) -> dict[str, Any]:
    """The demo sample as the voice reports it."""
    return http.sample(DEMO_VOICE_ID, DEMO_SAMPLE_ID)


def assert_refused(response: Any, loc: list[Any], type_: str) -> dict[str, Any]:
    """The response is a 422 whose only issue is at ``loc`` with that type."""
    assert response.status_code == 422, response.text
    [entry] = response.json()["detail"]
    assert (entry["loc"], entry["type"]) == (loc, type_), entry
    assert entry["msg"]
    assert "input" in entry
    return dict(entry)


def test_full_edit_applies_and_reads_back_in_integer_ms(http: EmulatorHttp) -> None:
    response = edit(http, FULL_EDIT)
    assert response.json() == {"voice_id": DEMO_VOICE_ID}, "the response carries no state"
    sample = state(http)
    assert sample["trim_start"] == 1500
    assert sample["trim_end"] == 30000
    assert isinstance(sample["trim_start"], int)
    assert sample["remove_background_noise"] is True
    assert sample["file_name"] == "interview-take-3.wav"


def test_omitted_trims_speakers_and_name_are_unchanged(http: EmulatorHttp) -> None:
    # The spec gives these four no default (not even null): absent means "keep".
    http.separate(SAMPLE)
    edit(http, {**FULL_EDIT, "selected_speaker_ids": ["speaker_1"]})
    before = state(http)
    assert edit(http, {"remove_background_noise": True}).status_code == 200
    assert state(http) == before
    edit(http, {"remove_background_noise": True, "trim_start_time": 2000})
    after = state(http)
    assert after["trim_start"] == 2000
    assert {k: after[k] for k in after if k != "trim_start"} == {
        k: before[k] for k in before if k != "trim_start"
    }


@pytest.mark.parametrize("body", [{"trim_start_time": 2000}, {}, None], ids=["trim", "{}", "none"])
def test_omitted_remove_background_noise_is_the_spec_default_false(
    http: EmulatorHttp, body: dict[str, Any] | None
) -> None:
    edit(http, FULL_EDIT)
    assert state(http)["remove_background_noise"] is True
    response = http.post(SAMPLE) if body is None else edit(http, body)
    assert response.status_code == 200
    after = state(http)
    assert after["remove_background_noise"] is False, "the spec's default is false"
    assert (after["trim_end"], after["file_name"]) == (30000, FULL_EDIT["file_name"])


def test_null_clears_a_trim_back_to_untrimmed(http: EmulatorHttp) -> None:
    edit(http, FULL_EDIT)
    edit(http, {"trim_start_time": None})
    assert (state(http)["trim_start"], state(http)["trim_end"]) == (None, 30000)
    edit(http, {"trim_end_time": None})
    assert (state(http)["trim_start"], state(http)["trim_end"]) == (None, None)


def test_null_file_name_leaves_the_name(http: EmulatorHttp) -> None:
    edit(http, {"file_name": "kept.flac"})
    edit(http, {"file_name": None})
    assert state(http)["file_name"] == "kept.flac"


def test_integral_float_trim_is_accepted_as_an_integer(http: EmulatorHttp) -> None:
    edit(http, {"trim_start_time": 1500.0})
    assert state(http)["trim_start"] == 1500


def test_trims_may_span_the_whole_file(http: EmulatorHttp) -> None:
    assert edit(http, {"trim_start_time": 0, "trim_end_time": DURATION_MS}).status_code == 200
    assert (state(http)["trim_start"], state(http)["trim_end"]) == (0, DURATION_MS)


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        ({"trim_start_time": "abc"}, ["body", "trim_start_time"], "int_parsing"),
        ({"trim_start_time": "15"}, ["body", "trim_start_time"], "int_parsing"),
        ({"trim_start_time": 1.5}, ["body", "trim_start_time"], "int_from_float"),
        ({"trim_start_time": True}, ["body", "trim_start_time"], "int_type"),
        ({"trim_end_time": [1]}, ["body", "trim_end_time"], "int_type"),
        ({"remove_background_noise": None}, ["body", "remove_background_noise"], "bool_type"),
        ({"remove_background_noise": "yes"}, ["body", "remove_background_noise"], "bool_parsing"),
        ({"remove_background_noise": 1}, ["body", "remove_background_noise"], "bool_type"),
        ({"selected_speaker_ids": "speaker_0"}, ["body", "selected_speaker_ids"], "list_type"),
        ({"selected_speaker_ids": [0]}, ["body", "selected_speaker_ids", 0], "string_type"),
        ({"file_name": 5}, ["body", "file_name"], "string_type"),
        ({"file_name": ""}, ["body", "file_name"], "value_error"),
        ({"file_name": "a/b.wav"}, ["body", "file_name"], "value_error"),
        ({"file_name": "x" * 256}, ["body", "file_name"], "value_error"),
    ],
)
def test_wrong_types_are_422_and_change_nothing(
    http: EmulatorHttp, body: dict[str, Any], loc: list[Any], type_: str
) -> None:
    before = state(http)
    # A valid field beside the bad one must not be applied either.
    assert_refused(edit(http, {"trim_end_time": 20000, **body}), loc, type_)
    assert state(http) == before


def test_every_bad_field_is_reported_at_once(http: EmulatorHttp) -> None:
    response = edit(http, {"trim_start_time": "a", "trim_end_time": 2.5, "file_name": 1})
    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["detail"]] == [
        "trim_start_time",
        "trim_end_time",
        "file_name",
    ]


@pytest.mark.parametrize(
    ("raw", "type_"),
    [
        (b"{", "json_invalid"),
        (b'{"trim_start_time": }', "json_invalid"),
        (b"[1]", "model_attributes_type"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_422(
    http: EmulatorHttp, raw: bytes, type_: str
) -> None:
    response = http.post(SAMPLE, data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == type_
    assert response.json()["detail"][0]["loc"][0] == "body"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"trim_start_time": -1}, "trim_start_time"),
        ({"trim_end_time": DURATION_MS + 1}, "trim_end_time"),
        ({"trim_start_time": DURATION_MS + 5}, "trim_start_time"),
        ({"trim_start_time": 2000, "trim_end_time": 1000}, "trim_end_time"),
        ({"trim_start_time": 2000, "trim_end_time": 2000}, "trim_end_time"),
        ({"trim_end_time": 0}, "trim_end_time"),
        ({"trim_start_time": DURATION_MS}, "trim_start_time"),
    ],
)
def test_trims_outside_the_file_or_reversed_are_422(
    http: EmulatorHttp, body: dict[str, int], field: str
) -> None:
    before = state(http)
    entry = assert_refused(edit(http, body), ["body", field], "value_error")
    assert "ms" in entry["msg"]
    assert state(http) == before


def test_a_single_trim_is_checked_against_the_stored_other_one(http: EmulatorHttp) -> None:
    edit(http, {"trim_start_time": 3000, "trim_end_time": 5000})
    assert_refused(
        edit(http, {"trim_start_time": 6000}), ["body", "trim_start_time"], "value_error"
    )
    assert_refused(edit(http, {"trim_end_time": 2500}), ["body", "trim_end_time"], "value_error")
    assert edit(http, {"trim_start_time": 4000}).status_code == 200
    # Clearing the end makes it the duration again, so a later start becomes possible.
    assert edit(http, {"trim_end_time": None, "trim_start_time": 9000}).status_code == 200
    assert (state(http)["trim_start"], state(http)["trim_end"]) == (9000, None)


def test_speakers_cannot_be_selected_before_separation_completes(http: EmulatorHttp) -> None:
    entry = assert_refused(
        edit(http, {"selected_speaker_ids": ["speaker_0"]}),
        ["body", "selected_speaker_ids"],
        "value_error",
    )
    assert "not_started" in entry["msg"]
    # null is allowed at any time: it clears (an already empty) selection.
    assert edit(http, {"selected_speaker_ids": None}).status_code == 200


def test_selection_is_stored_in_the_order_given_and_null_clears_it(http: EmulatorHttp) -> None:
    speakers = http.separate(SAMPLE)
    assert speakers["status"] == "completed"
    assert sorted(speakers["speakers"]) == ["speaker_0", "speaker_1"]
    assert edit(http, {"selected_speaker_ids": ["speaker_1", "speaker_0"]}).status_code == 200
    assert http.get(f"{SAMPLE}/speakers").json()["selected_speaker_ids"] == [
        "speaker_1",
        "speaker_0",
    ]
    sample = state(http)
    assert sample["speaker_separation"]["selected_speaker_ids"] == ["speaker_1", "speaker_0"]
    edit(http, {"selected_speaker_ids": ["speaker_0"]})
    assert http.get(f"{SAMPLE}/speakers").json()["selected_speaker_ids"] == ["speaker_0"]
    edit(http, {"selected_speaker_ids": None})
    assert http.get(f"{SAMPLE}/speakers").json()["selected_speaker_ids"] is None


@pytest.mark.parametrize(
    ("ids", "loc"),
    [
        (["speaker_0", "speaker_9"], ["body", "selected_speaker_ids", 1]),
        (["speaker_0", "speaker_0"], ["body", "selected_speaker_ids", 1]),
        ([], ["body", "selected_speaker_ids"]),
    ],
)
def test_unknown_repeated_or_no_speakers_are_422(
    http: EmulatorHttp, ids: list[str], loc: list[Any]
) -> None:
    http.separate(SAMPLE)
    edit(http, {"selected_speaker_ids": ["speaker_1"]})
    assert_refused(edit(http, {"selected_speaker_ids": ids}), loc, "value_error")
    assert http.get(f"{SAMPLE}/speakers").json()["selected_speaker_ids"] == ["speaker_1"]


def test_separation_is_pending_until_the_delay_has_passed(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "emu", separation_delay=1.0) as server:
        server.seed_demo()
        client = EmulatorHttp(server.base_url, server.api_key)
        try:
            started = time.monotonic()
            client.post(f"{SAMPLE}/separate-speakers")
            pending = client.get(f"{SAMPLE}/speakers").json()
            assert (pending["status"], pending["speakers"]) == ("pending", None)
            assert (
                client.sample(DEMO_VOICE_ID, DEMO_SAMPLE_ID)["speaker_separation"]["status"]
                == "pending"
            )
            # separate() POSTs again while pending: that must not restart the clock,
            # or completion would come 1.5 s after the first POST at the earliest.
            time.sleep(0.5)
            done = client.separate(SAMPLE)
            assert done["status"] == "completed"
            assert 1.0 <= time.monotonic() - started < 1.45
        finally:
            client.close()


def test_separating_again_after_completion_keeps_the_selection(http: EmulatorHttp) -> None:
    http.separate(SAMPLE)
    edit(http, {"selected_speaker_ids": ["speaker_1"]})
    assert http.post(f"{SAMPLE}/separate-speakers").json() == {"status": "ok"}
    body = http.get(f"{SAMPLE}/speakers").json()
    assert (body["status"], body["selected_speaker_ids"]) == ("completed", ["speaker_1"])


def test_speakers_come_from_the_sidecar_with_seconds(http: EmulatorHttp, emulator: Any) -> None:
    import json

    sidecar = json.loads(Path(str(emulator.demo.audio_path) + ".speakers.json").read_text())
    speakers = http.separate(SAMPLE)["speakers"]
    for entry in sidecar["speakers"]:
        got = speakers[entry["speaker_id"]]
        assert got["speaker_id"] == entry["speaker_id"]
        assert got["utterances"] == entry["utterances"]
        expected = sum(u["end"] - u["start"] for u in entry["utterances"])
        assert got["duration_secs"] == pytest.approx(expected, abs=0.001)


def test_edits_survive_a_restart_on_the_same_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "emu"
    readings = []
    for round_ in range(2):
        with EmulatorServer(data, separation_delay=0.0) as server:
            server.seed_demo()  # idempotent: must not reset the edited sample
            client = EmulatorHttp(server.base_url, server.api_key)
            try:
                if round_ == 0:
                    client.post(f"{SAMPLE}/separate-speakers")
                    client.post(SAMPLE, json={**FULL_EDIT, "selected_speaker_ids": ["speaker_1"]})
                    created = client.post("/v1/voices/pvc", json={"name": "Mine", "language": "en"})
                    voice_id = created.json()["voice_id"]
                readings.append(
                    (
                        client.get(f"/v1/voices/{DEMO_VOICE_ID}").json(),
                        client.get(f"/v1/voices/{voice_id}").json()["name"],
                        client.get(f"{SAMPLE}/audio").json()["audio_base_64"],
                    )
                )
            finally:
                client.close()
    assert readings[0] == readings[1]
    sample = readings[1][0]["samples"][0]
    assert (sample["trim_start"], sample["trim_end"], sample["file_name"]) == (
        1500,
        30000,
        "interview-take-3.wav",
    )
    assert sample["speaker_separation"]["selected_speaker_ids"] == ["speaker_1"]
    assert (data / "emulator.sqlite3").is_file()
