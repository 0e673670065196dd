"""The response models: what they accept, what they refuse, and that they never crash."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvc_sample_editor.api.errors import UnexpectedResponseError
from pvc_sample_editor.api.models import (
    AudioClip,
    Sample,
    SeparationStatus,
    Speaker,
    SpeakerSeparation,
    Utterance,
    Voice,
    VoicePage,
    Waveform,
    samples_from_json,
    status_from_json,
    voice_id_from_json,
)
from pvc_sample_editor.timecode import seconds_to_ms

SEPARATION: dict[str, Any] = {
    "voice_id": "v1",
    "sample_id": "s1",
    "status": "completed",
    "speakers": {
        "speaker_10": {"speaker_id": "speaker_10", "duration_secs": 1.0},
        "speaker_2": {
            "speaker_id": "speaker_2",
            "duration_secs": 12.5,
            "utterances": [{"start": 0.5, "end": 3.25}],
        },
    },
    "selected_speaker_ids": ["speaker_2"],
}
SAMPLE: dict[str, Any] = {
    "sample_id": "s1",
    "file_name": "interview.wav",
    "mime_type": "audio/wav",
    "size_bytes": 123456,
    "hash": "abc",
    "duration_secs": 61.2346,
    "remove_background_noise": True,
    "has_isolated_audio": False,
    "has_isolated_audio_preview": None,
    "speaker_separation": SEPARATION,
    "trim_start": 1500,
    "trim_end": 42000,
    "some_future_field": {"x": 1},
}
VOICE: dict[str, Any] = {
    "voice_id": "v1",
    "name": "Narrator",
    "category": "professional",
    "description": None,
    "labels": {},
    "available_for_tiers": [],
    "high_quality_base_model_ids": [],
    "samples": [SAMPLE],
}
PAGE: dict[str, Any] = {
    "voices": [VOICE],
    "has_more": True,
    "total_count": 7,
    "next_page_token": "t2",
}
PREVIEW: dict[str, Any] = {
    "audio_base_64": base64.b64encode(b"RIFF....").decode(),
    "voice_id": "v1",
    "sample_id": "s1",
    "media_type": "audio/mpeg",
    "duration_secs": 30.0,
}
WAVEFORM: dict[str, Any] = {"sample_id": "s1", "visual_waveform": [0, 0.5, 1]}

# Every parser the client uses, with a body it accepts.
PARSERS: list[tuple[Callable[[object], object], dict[str, Any] | list[Any]]] = [
    (Utterance.from_json, {"start": 0.0, "end": 1.0}),
    (Speaker.from_json, {"speaker_id": "speaker_0", "duration_secs": 1.0}),
    (SpeakerSeparation.from_json, SEPARATION),
    (Sample.from_json, SAMPLE),
    (Voice.from_json, VOICE),
    (VoicePage.from_json, PAGE),
    (AudioClip.from_json, PREVIEW),
    (Waveform.from_json, WAVEFORM),
    (voice_id_from_json, {"voice_id": "v1"}),
    (status_from_json, {"status": "ok"}),
    (samples_from_json, [SAMPLE]),
]
PARSER_IDS = [getattr(p, "__qualname__", str(p)) for p, _ in PARSERS]


def test_sample_parses_every_field() -> None:
    sample = Sample.from_json(SAMPLE)
    assert sample.trim_start == 1500
    assert sample.trim_end == 42000
    assert sample.duration_secs == pytest.approx(61.2346)
    assert sample.duration_ms == 61235
    assert sample.remove_background_noise is True
    assert sample.has_isolated_audio_preview is None
    assert sample.speaker_separation is not None
    assert sample.speaker_separation.completed


def test_missing_optional_fields_become_none() -> None:
    minimal = {k: SAMPLE[k] for k in ("sample_id", "file_name", "mime_type", "size_bytes", "hash")}
    sample = Sample.from_json(minimal)
    assert sample == Sample("s1", "interview.wav", "audio/wav", 123456, "abc")
    assert sample.duration_ms is None


@pytest.mark.parametrize("absent", [None, "missing"])
def test_a_sample_needs_only_its_id_and_name(absent: str | None) -> None:
    # CONTRACT.md: every sample field may be missing; the file facts are unused.
    facts = ("mime_type", "size_bytes", "hash")
    body = {k: v for k, v in SAMPLE.items() if k not in facts}
    if absent is None:
        body |= dict.fromkeys(facts)
    sample = Sample.from_json(body)
    assert (sample.mime_type, sample.size_bytes, sample.hash) == (None, None, None)
    assert sample.trim_start == 1500, "the rest of the sample still parses"


def test_speakers_are_sorted_naturally_and_keyed_by_the_map() -> None:
    body = copy.deepcopy(SEPARATION)
    body["speakers"]["speaker_10"]["speaker_id"] = "something_else"
    sep = SpeakerSeparation.from_json(body)
    assert sep.speaker_ids == ("speaker_2", "speaker_10")
    assert sep.speakers[0].utterances == (Utterance(0.5, 3.25),)
    assert sep.selected_speaker_ids == ("speaker_2",)


def test_unknown_status_is_kept_as_text() -> None:
    sep = SpeakerSeparation.from_json({**SEPARATION, "status": "queued"})
    assert sep.status == "queued"
    assert not sep.completed
    assert SeparationStatus.PENDING.label == "in progress"


def test_voice_page_and_voice() -> None:
    page = VoicePage.from_json(PAGE)
    assert page.has_more
    assert page.total_count == 7
    assert page.next_page_token == "t2"
    voice = page.voices[0]
    assert voice.sample("s1") is not None
    assert voice.sample("nope") is None
    assert voice.description is None


def test_audio_is_decoded_and_its_repr_stays_short() -> None:
    clip = AudioClip.from_json(
        {**PREVIEW, "audio_base_64": base64.b64encode(b"x" * 10_000).decode()}
    )
    assert clip.audio == b"x" * 10_000
    assert "10000 bytes" in repr(clip)
    assert len(repr(clip)) < 120


def test_waveform_values_are_floats() -> None:
    assert Waveform.from_json(WAVEFORM).values == (0.0, 0.5, 1.0)


@pytest.mark.parametrize(
    ("parser", "body", "words"),
    [
        (Sample.from_json, {**SAMPLE, "size_bytes": "12"}, "wrong type"),
        (Sample.from_json, {**SAMPLE, "size_bytes": True}, "wrong type"),
        (Sample.from_json, {**SAMPLE, "trim_start": 1.5}, "wrong type"),
        (Sample.from_json, {k: v for k, v in SAMPLE.items() if k != "sample_id"}, "missing"),
        (Sample.from_json, {**SAMPLE, "sample_id": None}, "missing the field"),
        (Sample.from_json, {k: v for k, v in SAMPLE.items() if k != "file_name"}, "missing"),
        (Sample.from_json, {**SAMPLE, "file_name": 7}, "wrong type"),
        (Sample.from_json, {**SAMPLE, "mime_type": ["audio/wav"]}, "wrong type"),
        (Sample.from_json, {**SAMPLE, "hash": 12}, "wrong type"),
        (Sample.from_json, [SAMPLE], "not a JSON object"),
        (Utterance.from_json, {"start": 10**400, "end": 1}, "wrong type"),
        (AudioClip.from_json, {**PREVIEW, "audio_base_64": "not base64!"}, "base64"),
        (AudioClip.from_json, {**PREVIEW, "audio_base_64": "é"}, "base64"),
        (Waveform.from_json, {"sample_id": "s1"}, "visual_waveform"),
        (Waveform.from_json, {**WAVEFORM, "visual_waveform": [1, "x"]}, "wrong type"),
        (SpeakerSeparation.from_json, {**SEPARATION, "speakers": []}, "not a JSON object"),
        (SpeakerSeparation.from_json, {**SEPARATION, "selected_speaker_ids": [1]}, "non-text"),
        (samples_from_json, {"samples": []}, "not a JSON list"),
    ],
)
def test_wrong_shapes_are_refused_with_a_typed_error(
    parser: Callable[[object], object], body: object, words: str
) -> None:
    with pytest.raises(UnexpectedResponseError, match=words):
        parser(body)


def test_whole_floats_are_accepted_for_integers() -> None:
    assert Sample.from_json({**SAMPLE, "trim_start": 1500.0}).trim_start == 1500


def test_unicode_digits_in_speaker_ids_do_not_crash_sorting() -> None:
    # str.isdigit() is true for '²' but int('²') fails: sorting must not use it.
    body = {**SEPARATION, "speakers": {"s²": {"speaker_id": "x", "duration_secs": 1}}}
    assert SpeakerSeparation.from_json(body).speaker_ids == ("s²",)


@given(secs=st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_duration_ms_rounds_like_the_view(secs: float) -> None:
    sample = Sample("s", "f", "m", 0, "h", duration_secs=secs)
    assert sample.duration_ms == seconds_to_ms(secs)


def test_half_millisecond_duration_rounds_up_like_the_handles() -> None:
    assert Sample("s", "f", "m", 0, "h", duration_secs=10.0625).duration_ms == 10063


def test_absurd_duration_is_treated_as_unknown() -> None:
    assert Sample.from_json({**SAMPLE, "duration_secs": 1e306}).duration_ms is None


# ---------------------------------------------------------------- properties

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize(("parser", "_valid"), PARSERS, ids=PARSER_IDS)
@settings(max_examples=80, deadline=None)
@given(data=JSON)
def test_arbitrary_json_only_ever_raises_unexpected_response(
    parser: Callable[[object], object], _valid: object, data: object
) -> None:
    try:
        parser(data)
    except UnexpectedResponseError as err:
        message = str(err)
        assert message


def _paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place inside a JSON value, for replacing one of them."""
    found: list[tuple[str | int, ...]] = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@pytest.mark.parametrize(("parser", "valid"), PARSERS, ids=PARSER_IDS)
@settings(max_examples=80, deadline=None)
@given(data=st.data(), replacement=JSON)
def test_one_field_of_a_valid_body_replaced_never_crashes(
    parser: Callable[[object], object],
    valid: dict[str, Any] | list[Any],
    data: st.DataObject,
    replacement: object,
) -> None:
    """Nearly right bodies reach deeper code than random ones do."""
    body = json.loads(json.dumps(valid))
    path = data.draw(st.sampled_from(_paths(body)[1:]))
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = replacement
    try:
        parser(body)
    except UnexpectedResponseError as err:
        message = str(err)
        assert message


@pytest.mark.parametrize(("parser", "valid"), PARSERS, ids=PARSER_IDS)
def test_valid_bodies_parse_and_ignore_unknown_fields(
    parser: Callable[[object], object], valid: dict[str, Any] | list[Any]
) -> None:
    first = parser(valid)
    if isinstance(valid, dict):
        assert parser({**valid, "added_later": [1, {"x": None}]}) == first


def test_an_absurd_duration_is_unknown_not_a_crash() -> None:
    """1e306 s is finite, so it parses; in milliseconds it overflows."""
    with pytest.raises(ValueError, match="not a finite time"):
        seconds_to_ms(1e306)
    assert Sample("s", "f", "m", 0, "h", duration_secs=1e306).duration_ms is None
    body = {**SEPARATION, "speakers": {"s0": {"speaker_id": "s0", "duration_secs": 1e306}}}
    assert SpeakerSeparation.from_json(body).speakers[0].duration_ms is None
    assert SpeakerSeparation.from_json(SEPARATION).speakers[0].duration_ms is not None
