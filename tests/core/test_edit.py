"""The edit value object: validation, the request body, rounding, and the round trip."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.api.models import Sample, SpeakerSeparation, encode_body
from pvc_sample_editor.editing.edit import (
    MIN_KEPT_MS,
    EditContext,
    InvalidEditError,
    SampleEdit,
    build_request,
    build_request_body,
    edit_from_sample,
    validate_edit,
)
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workflows import submit_and_confirm
from pvc_sample_editor.timecode import format_ms, seconds_to_ms

SPEAKERS = ("speaker_0", "speaker_1", "speaker_2")
SEPARATED = EditContext(duration_ms=60_000, separation_completed=True, known_speaker_ids=SPEAKERS)
PLAIN = EditContext(duration_ms=60_000)
GOOD = SampleEdit(1500, 42000, True, "interview-take-3.wav", ("speaker_0", "speaker_2"))
SDK_EXAMPLE = (
    b'{"remove_background_noise":true,"selected_speaker_ids":["speaker_0","speaker_2"],'
    b'"trim_start_time":1500,"trim_end_time":42000,"file_name":"interview-take-3.wav"}'
)


# ---------------------------------------------------------------- the body


def test_body_is_exactly_what_the_sdk_sends() -> None:
    assert encode_body(build_request_body(GOOD, SEPARATED)) == SDK_EXAMPLE


def test_selection_is_left_out_until_separation_completed() -> None:
    body = build_request_body(GOOD, PLAIN)
    assert list(body) == [
        "remove_background_noise",
        "trim_start_time",
        "trim_end_time",
        "file_name",
    ]
    assert body["remove_background_noise"] is True


def test_the_full_selection_is_sent_every_time() -> None:
    edit = GOOD.with_speakers(["speaker_2", "speaker_0", "speaker_2"])
    assert build_request_body(edit, SEPARATED)["selected_speaker_ids"] == ["speaker_2", "speaker_0"]


def test_noise_setting_is_always_an_explicit_boolean() -> None:
    body = build_request_body(SampleEdit(0, 1000, False, "a.wav"), PLAIN)
    assert body["remove_background_noise"] is False


def test_non_ascii_names_are_sent_as_utf8() -> None:
    body = encode_body(build_request_body(SampleEdit(0, 1000, False, "Grüße é.wav"), PLAIN))
    assert '"file_name":"Grüße é.wav"'.encode() in body


# ---------------------------------------------------------------- validation

INVALID: list[tuple[str, SampleEdit, EditContext, str]] = [
    ("negative start", SampleEdit(-1, 100, False, "a.wav"), PLAIN, "trim_start_ms"),
    ("end past audio", SampleEdit(0, 60_001, False, "a.wav"), PLAIN, "trim_end_ms"),
    ("start == end", SampleEdit(500, 500, False, "a.wav"), PLAIN, "trim_end_ms"),
    ("start > end", SampleEdit(600, 500, False, "a.wav"), PLAIN, "trim_end_ms"),
    ("1 ms kept", SampleEdit(500, 501, False, "a.wav"), PLAIN, "trim_end_ms"),
    ("999 ms kept", SampleEdit(0, 999, False, "a.wav"), PLAIN, "trim_end_ms"),
    ("float start", SampleEdit(1.5, 500, False, "a.wav"), PLAIN, "trim_start_ms"),  # type: ignore[arg-type]
    ("float end", SampleEdit(0, 500.0, False, "a.wav"), PLAIN, "trim_end_ms"),  # type: ignore[arg-type]
    ("bool start", SampleEdit(True, 500, False, "a.wav"), PLAIN, "trim_start_ms"),  # type: ignore[arg-type]
    ("noise not bool", SampleEdit(0, 500, 1, "a.wav"), PLAIN, "remove_background_noise"),  # type: ignore[arg-type]
    ("empty name", SampleEdit(0, 500, False, ""), PLAIN, "file_name"),
    ("blank name", SampleEdit(0, 500, False, "   "), PLAIN, "file_name"),
    ("slash", SampleEdit(0, 500, False, "dir/a.wav"), PLAIN, "file_name"),
    ("backslash", SampleEdit(0, 500, False, "dir\\a.wav"), PLAIN, "file_name"),
    ("newline", SampleEdit(0, 500, False, "a\n.wav"), PLAIN, "file_name"),
    ("nul", SampleEdit(0, 500, False, "a\x00.wav"), PLAIN, "file_name"),
    ("zero width", SampleEdit(0, 500, False, "a\u200b.wav"), PLAIN, "file_name"),
    ("dot dot", SampleEdit(0, 500, False, ".."), PLAIN, "file_name"),
    ("too long", SampleEdit(0, 500, False, "é" * 128 + ".wav"), PLAIN, "file_name"),
    ("unknown speaker", GOOD.with_speakers(["speaker_9"]), SEPARATED, "selected_speaker_ids"),
    ("no speaker", GOOD.with_speakers([]), SEPARATED, "selected_speaker_ids"),
]


@pytest.mark.parametrize(
    ("edit", "ctx", "field"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_edits_are_refused_naming_the_field(
    edit: SampleEdit, ctx: EditContext, field: str
) -> None:
    problems = validate_edit(edit, ctx)
    assert field in {p.field for p in problems}
    assert all(p.message.endswith((".", "speakers.")) for p in problems)
    with pytest.raises(InvalidEditError) as info:
        build_request_body(edit, ctx)
    assert info.value.problems == problems
    assert str(info.value) == "; ".join(p.message for p in problems)


def test_boundaries_are_allowed() -> None:
    assert validate_edit(SampleEdit(0, 60_000, False, "a.wav"), PLAIN) == ()
    assert validate_edit(SampleEdit(59_000, 60_000, False, "a.wav"), PLAIN) == ()


def test_a_region_under_a_second_is_refused_saying_why_unless_it_is_the_whole_file() -> None:
    (problem,) = validate_edit(SampleEdit(5000, 5001, False, "a.wav"), PLAIN)
    assert problem.field == "trim_end_ms"
    assert problem.message.startswith("Only 1 ms would be kept; a sample needs at least 1 s.")
    short_file = EditContext(duration_ms=600)
    assert validate_edit(SampleEdit(0, 600, False, "a.wav"), short_file) == ()
    assert validate_edit(SampleEdit(0, 599, False, "a.wav"), short_file) != ()


def test_unknown_speakers_do_not_matter_before_separation() -> None:
    assert validate_edit(GOOD.with_speakers(["speaker_9"]), PLAIN) == ()


# ---------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("secs", "ms"),
    [(0.0, 0), (1.5, 1500), (0.0625, 63), (0.0624, 62), (-0.0625, -63), (2.0005, 2001)],
)
def test_seconds_to_ms_rounds_half_away_from_zero(secs: float, ms: int) -> None:
    assert seconds_to_ms(secs) == ms


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_seconds_to_ms_refuses_non_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        seconds_to_ms(bad)


@given(ms=st.integers(min_value=-(10**9), max_value=10**9))
def test_whole_milliseconds_survive_the_trip_through_seconds(ms: int) -> None:
    assert seconds_to_ms(ms / 1000) == ms


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0:00:00.000"),
        (1500, "0:00:01.500"),
        (3_723_004, "1:02:03.004"),
        (-1500, "-0:00:01.500"),
    ],
)
def test_format_ms(ms: int, text: str) -> None:
    assert format_ms(ms) == text


# ---------------------------------------------------------------- edit_from_sample


def _sample(**fields: Any) -> Sample:
    return Sample("s1", "take.wav", "audio/wav", 10, "h", **fields)


def _separation(status: str, selected: tuple[str, ...] | None) -> SpeakerSeparation:
    return SpeakerSeparation.from_json(
        {
            "voice_id": "v1",
            "sample_id": "s1",
            "status": status,
            "speakers": {s: {"speaker_id": s, "duration_secs": 1.0} for s in SPEAKERS},
            "selected_speaker_ids": None if selected is None else list(selected),
        }
    )


def test_untrimmed_sample_starts_as_the_whole_file() -> None:
    edit = edit_from_sample(_sample(duration_secs=12.3456))
    assert edit == SampleEdit(0, 12346, False, "take.wav")


def test_server_state_is_the_starting_edit() -> None:
    sample = _sample(
        duration_secs=60.0,
        trim_start=100,
        trim_end=5000,
        remove_background_noise=True,
        speaker_separation=_separation("completed", ("speaker_1",)),
    )
    assert edit_from_sample(sample) == SampleEdit(100, 5000, True, "take.wav", ("speaker_1",))


def test_missing_selection_means_every_speaker() -> None:
    sample = _sample(duration_secs=60.0, speaker_separation=_separation("completed", None))
    assert edit_from_sample(sample).selected_speaker_ids == SPEAKERS


def test_unfinished_separation_selects_nothing() -> None:
    sample = _sample(duration_secs=60.0, speaker_separation=_separation("pending", ("speaker_1",)))
    assert edit_from_sample(sample).selected_speaker_ids == ()


def test_local_duration_is_used_when_the_server_has_none() -> None:
    assert edit_from_sample(_sample(), duration_ms=9000).trim_end_ms == 9000


# ---------------------------------------------------------------- properties

NAME = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"), blacklist_characters="/\\"),
    min_size=1,
    max_size=40,
).filter(lambda s: bool(s.strip()) and s not in (".", ".."))


@st.composite
def valid_edits(draw: st.DrawFn, ctx: EditContext) -> SampleEdit:
    """Any edit validation must accept for ``ctx``."""
    shortest = min(MIN_KEPT_MS, ctx.duration_ms)
    start = draw(st.integers(0, ctx.duration_ms - shortest))
    end = draw(st.integers(start + shortest, ctx.duration_ms))
    speakers: tuple[str, ...] = ()
    if ctx.separation_completed:
        speakers = tuple(
            draw(st.lists(st.sampled_from(ctx.known_speaker_ids), min_size=1, unique=True))
        )
    return SampleEdit(start, end, draw(st.booleans()), draw(NAME), speakers)


@st.composite
def invalid_edits(draw: st.DrawFn, ctx: EditContext) -> SampleEdit:
    """A valid edit broken in exactly one way."""
    edit = draw(valid_edits(ctx))
    breakers = [
        lambda: edit.with_trims(draw(st.integers(max_value=-1)), edit.trim_end_ms),
        lambda: edit.with_trims(
            edit.trim_start_ms, draw(st.integers(min_value=ctx.duration_ms + 1))
        ),
        lambda: edit.with_trims(edit.trim_end_ms, draw(st.integers(0, edit.trim_end_ms))),
        lambda: edit.with_trims(edit.trim_start_ms + 0.5, edit.trim_end_ms),  # type: ignore[arg-type]
        lambda: SampleEdit(
            edit.trim_start_ms,
            edit.trim_end_ms,
            edit.remove_background_noise,
            draw(st.sampled_from(["", " ", "a/b", "a\\b", "a\tb", "a\x7fb", "\u2028", ".."])),
            edit.selected_speaker_ids,
        ),
    ]
    if ctx.separation_completed:
        breakers.append(lambda: edit.with_speakers([]))
        breakers.append(lambda: edit.with_speakers([*edit.selected_speaker_ids, "speaker_99"]))
    return draw(st.sampled_from(breakers))()


@given(data=st.data(), completed=st.booleans())
def test_valid_edits_build_a_complete_body(data: st.DataObject, completed: bool) -> None:
    ctx = SEPARATED if completed else PLAIN
    edit = data.draw(valid_edits(ctx))
    body = build_request_body(edit, ctx)
    assert {"remove_background_noise", "trim_start_time", "trim_end_time", "file_name"} <= set(body)
    assert ("selected_speaker_ids" in body) is completed
    assert body["trim_start_time"] == edit.trim_start_ms


@given(data=st.data(), completed=st.booleans())
def test_invalid_edits_never_build_a_body(data: st.DataObject, completed: bool) -> None:
    ctx = SEPARATED if completed else PLAIN
    edit = data.draw(invalid_edits(ctx))
    with pytest.raises(InvalidEditError):
        build_request_body(edit, ctx)


# ---------------------------------------------------------------- against the emulator


def _separated(client: ApiClient, voice_id: str, sample_id: str) -> SpeakerSeparation:
    """Run speaker separation on the emulator and wait (bounded) for it to finish."""
    client.start_speaker_separation(voice_id, sample_id)
    deadline = time.monotonic() + 10
    while True:
        sep = client.get_speakers(voice_id, sample_id)
        if sep.completed or time.monotonic() > deadline:
            assert sep.completed, f"separation did not finish: {sep.status}"
            return sep
        time.sleep(0.05)


@pytest.fixture
def separated_client(emulator: Any) -> Any:
    """A client and the demo sample's context, with speaker separation completed."""
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        voice_id, sample_id = emulator.demo.voice_id, emulator.demo.sample_id
        sep = _separated(client, voice_id, sample_id)
        sample = client.get_sample(voice_id, sample_id)
        assert sample.duration_ms is not None
        ctx = EditContext(sample.duration_ms, True, sep.speaker_ids)
        yield client, ctx


ROUND_TRIP = settings(
    max_examples=25,
    deadline=None,
    # The emulator is started once per test, not per example: each edit replaces the
    # previous one completely, so state carried between examples cannot hide a failure.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@ROUND_TRIP
@given(data=st.data())
def test_every_valid_edit_round_trips_through_the_emulator(
    emulator: Any, separated_client: Any, data: st.DataObject
) -> None:
    client, ctx = separated_client
    voice_id, sample_id = emulator.demo.voice_id, emulator.demo.sample_id
    edit = data.draw(valid_edits(ctx))
    assert client.edit_sample(voice_id, sample_id, build_request(edit, ctx)) == voice_id
    assert edit_from_sample(client.get_sample(voice_id, sample_id)) == edit


@ROUND_TRIP
@given(data=st.data())
def test_every_invalid_edit_is_refused_before_sending(
    emulator: Any, separated_client: Any, data: st.DataObject
) -> None:
    client, ctx = separated_client
    edit = data.draw(invalid_edits(ctx))
    posts_before = len(emulator.requests_log.for_operation("edit_pvc_voice_sample"))
    ref = SampleRef(emulator.demo.voice_id, emulator.demo.sample_id)
    with pytest.raises(InvalidEditError):
        submit_and_confirm(client, ref, edit, ctx, threading.Event())
    assert len(emulator.requests_log.for_operation("edit_pvc_voice_sample")) == posts_before


def test_without_separation_the_selection_is_not_sent(emulator: Any) -> None:
    voice_id, sample_id = emulator.demo.voice_id, emulator.demo.sample_id
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        sample = client.get_sample(voice_id, sample_id)
        assert sample.duration_ms is not None
        edit = SampleEdit(250, sample.duration_ms - 250, True, "trimmed.wav")
        request = build_request(edit, EditContext(sample.duration_ms))
        client.edit_sample(voice_id, sample_id, request)
        after = client.get_sample(voice_id, sample_id)
    deadline = time.monotonic() + 2.0  # the emulator logs a request after answering it
    while not emulator.requests_log.for_operation("edit_pvc_voice_sample"):
        assert time.monotonic() < deadline, "the edit never reached the emulator"
        time.sleep(0.01)
    (record,) = emulator.requests_log.for_operation("edit_pvc_voice_sample")
    assert "selected_speaker_ids" not in record.body
    assert (after.trim_start, after.trim_end, after.file_name) == (
        250,
        edit.trim_end_ms,
        "trimmed.wav",
    )
    assert after.remove_background_noise is True
