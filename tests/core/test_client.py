"""The real client against the real emulator over loopback: endpoints, faults, retries."""

from __future__ import annotations

import io
import logging
import math
import struct
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pvc_sample_editor.api.client import ApiClient, RetryNotice, RetryPolicy, Timeouts
from pvc_sample_editor.api.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)
from pvc_sample_editor.api.models import SeparationStatus
from pvc_sample_editor.editing.edit import EditContext, SampleEdit, build_request
from pvc_sample_editor.emulator.demo import DEMO_VOICE_ID, EXTRA_VOICES

AUDIOBOOK, PODCAST = (v.voice_id for v in EXTRA_VOICES if v.name.startswith(("Audio", "Pod")))


@pytest.fixture
def waits() -> list[float]:
    """Retry waits the client asked for; passing ``waits.append`` as ``sleep`` skips them."""
    return []


@pytest.fixture
def client(emulator: Any, waits: list[float]) -> Iterator[ApiClient]:
    with ApiClient(emulator.base_url, emulator.api_key, sleep=waits.append) as api:
        yield api


@pytest.fixture
def ids(emulator: Any) -> tuple[str, str]:
    return emulator.demo.voice_id, emulator.demo.sample_id


def _records(emulator: Any, operation_id: str, count: int) -> list[Any]:
    """The log of one operation once it holds ``count`` records (or after 2 s).

    The emulator logs a request after answering it, so the client can be a step ahead.
    """
    deadline = time.monotonic() + 2.0
    while True:
        records = list(emulator.requests_log.for_operation(operation_id))
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.01)


def _tone_wav(path: Path, secs: float = 1.0, rate: int = 16_000) -> Path:
    """A tiny mono 16-bit WAV with a 220 Hz tone, loud enough to count as speech."""
    frames = b"".join(
        struct.pack("<h", int(12_000 * math.sin(2 * math.pi * 220 * n / rate)))
        for n in range(int(secs * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    path.write_bytes(buffer.getvalue())
    return path


def _wait_for_separation(client: ApiClient, voice_id: str, sample_id: str) -> Any:
    deadline = time.monotonic() + 10
    while True:
        sep = client.get_speakers(voice_id, sample_id)
        if sep.status != SeparationStatus.PENDING or time.monotonic() > deadline:
            return sep
        time.sleep(0.05)


# ---------------------------------------------------------------- every endpoint


def test_list_voices_pages_through_professional_voices(client: ApiClient, emulator: Any) -> None:
    first = client.list_voices(page_size=1)
    assert len(first.voices) == 1
    assert first.total_count >= 2
    assert first.has_more
    assert first.next_page_token
    second = client.list_voices(page_size=1, next_page_token=first.next_page_token)
    assert second.voices[0].voice_id != first.voices[0].voice_id
    assert all(v.category == "professional" for v in first.voices + second.voices)
    (record, *_) = _records(emulator, "get_user_voices_v2", 2)
    assert record.status == 200


def test_list_voices_search(client: ApiClient, emulator: Any) -> None:
    page = client.list_voices(search="demo narrator")
    assert [v.voice_id for v in page.voices] == [emulator.demo.voice_id]
    with pytest.raises(ValueError, match="page_size"):
        client.list_voices(page_size=101)


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("READING voice", {AUDIOBOOK}),  # in the description only
        ("American", {DEMO_VOICE_ID}),  # a label value only
        ("Professional", {DEMO_VOICE_ID, AUDIOBOOK, PODCAST}),  # the category
        ("use_case", set()),  # label keys are not searched
    ],
)
def test_list_voices_search_looks_beyond_the_name(
    client: ApiClient, search: str, found: set[str]
) -> None:
    # The spec: "Searches in name, description, labels, category."
    assert {v.voice_id for v in client.list_voices(search=search).voices} == found


def test_get_voice_and_sample(client: ApiClient, ids: tuple[str, str]) -> None:
    voice_id, sample_id = ids
    voice = client.get_voice(voice_id)
    assert voice.voice_id == voice_id
    sample = client.get_sample(voice_id, sample_id)
    assert sample == voice.sample(sample_id)
    assert sample.duration_secs
    assert sample.duration_secs > 1


def test_missing_sample_and_voice_are_not_found(client: ApiClient, ids: tuple[str, str]) -> None:
    with pytest.raises(NotFoundError, match="no longer part of this voice"):
        client.get_sample(ids[0], "NoSuchSample")
    with pytest.raises(NotFoundError, match=r"The voice was not found \(404\)") as info:
        client.get_voice("NoSuchVoice")
    assert info.value.status == 404
    assert info.value.detail
    assert info.value.trace_id  # kept for a support request


def test_waveform_and_preview(client: ApiClient, ids: tuple[str, str]) -> None:
    waveform = client.get_sample_waveform(*ids)
    assert waveform.sample_id == ids[1]
    assert waveform.values
    assert all(0 <= v <= 1 for v in waveform.values)
    plain = client.get_sample_preview(*ids)
    gated = client.get_sample_preview(*ids, remove_background_noise=True)
    assert plain.audio[:4] == b"RIFF"
    assert plain.media_type == "audio/wav"
    assert plain.duration_secs is not None
    assert plain.duration_secs <= 30.0
    assert gated.audio != plain.audio


def test_speaker_separation_flow(client: ApiClient, ids: tuple[str, str]) -> None:
    assert client.get_speakers(*ids).status == SeparationStatus.NOT_STARTED
    assert client.start_speaker_separation(*ids) == "ok"
    sep = _wait_for_separation(client, *ids)
    assert sep.completed
    assert sep.speaker_ids
    clip = client.get_speaker_audio(*ids, sep.speaker_ids[0])
    assert clip.audio[:4] == b"RIFF"
    with pytest.raises(NotFoundError, match="The speaker was not found"):
        client.get_speaker_audio(*ids, "speaker_99")


def test_edit_body_reaches_the_server_in_sdk_shape(
    client: ApiClient, emulator: Any, ids: tuple[str, str]
) -> None:
    client.start_speaker_separation(*ids)
    sep = _wait_for_separation(client, *ids)
    chosen = sep.speaker_ids[:2]
    duration = client.get_sample(*ids).duration_ms
    assert duration is not None
    assert duration > 32_000  # the demo interview is ~38.7 s
    edit = SampleEdit(1500, 32000, True, "interview-take-3.wav", chosen)
    ctx = EditContext(duration, True, sep.speaker_ids)
    assert client.edit_sample(*ids, build_request(edit, ctx)) == ids[0]
    (record,) = _records(emulator, "edit_pvc_voice_sample", 1)
    assert record.method == "POST"
    assert list(record.body.items()) == [
        ("remove_background_noise", True),
        ("selected_speaker_ids", list(chosen)),
        ("trim_start_time", 1500),
        ("trim_end_time", 32000),
        ("file_name", "interview-take-3.wav"),
    ]
    after = client.get_sample(*ids)
    assert (after.trim_start, after.trim_end, after.file_name) == (
        1500,
        32000,
        "interview-take-3.wav",
    )
    assert client.get_speakers(*ids).selected_speaker_ids == chosen


def test_stale_separation_state_gives_field_errors(client: ApiClient, ids: tuple[str, str]) -> None:
    # The UI thinks separation completed; the server knows it has not started.
    duration = client.get_sample(*ids).duration_ms
    assert duration is not None
    ctx = EditContext(duration, True, ("speaker_0",))
    edit = SampleEdit(0, duration, False, "a.wav", ("speaker_0",))
    with pytest.raises(ValidationError) as info:
        client.edit_sample(*ids, build_request(edit, ctx))
    err = info.value
    assert str(err).startswith("The server refused the edit: selected_speaker_ids: ")
    assert err.field_errors[0].field == "selected_speaker_ids"
    assert err.status == 422
    assert err.attempts == 1


def test_create_voice_add_and_delete_samples(
    client: ApiClient, emulator: Any, tmp_path: Path
) -> None:
    voice_id = client.create_voice("Test voice", "en", description="made by a test")
    files = [_tone_wav(tmp_path / "one.wav"), _tone_wav(tmp_path / "two.wav", secs=0.5)]
    added = client.add_samples(voice_id, files, remove_background_noise=True)
    assert [s.file_name for s in added] == ["one.wav", "two.wav"]
    assert all(s.remove_background_noise for s in added)
    assert added[1].duration_secs == pytest.approx(0.5, abs=0.01)
    assert client.delete_sample(voice_id, added[0].sample_id) == "ok"
    assert [s.sample_id for s in client.get_voice(voice_id).samples] == [added[1].sample_id]


def test_create_voice_refused_names_the_field(client: ApiClient) -> None:
    with pytest.raises(ValidationError) as info:
        client.create_voice("x" * 101, "en")
    assert info.value.field_errors[0].field == "name"
    assert str(info.value).startswith("The server refused the new voice: name: ")


# ---------------------------------------------------------------- retries


def test_429_with_retry_after_is_waited_for_then_succeeds(
    emulator: Any, ids: tuple[str, str], waits: list[float]
) -> None:
    notices: list[RetryNotice] = []
    emulator.faults.inject("get_voice_by_id", status=429, retry_after=2)
    with ApiClient(
        emulator.base_url, emulator.api_key, sleep=waits.append, on_retry=notices.append
    ) as client:
        assert client.get_voice(ids[0]).voice_id == ids[0]
    assert waits == [2.0]
    assert [n.message for n in notices] == ["Rate limited, retrying in 2 s (attempt 2 of 3)"]
    assert [r.status for r in _records(emulator, "get_voice_by_id", 2)] == [429, 200]


def test_short_real_retry_after_is_really_waited(emulator: Any, ids: tuple[str, str]) -> None:
    emulator.faults.inject("get_voice_by_id", status=429, retry_after=0.3)
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        started = time.monotonic()
        client.get_voice(ids[0])
    assert time.monotonic() - started >= 0.25


def test_500_twice_then_success(
    client: ApiClient, emulator: Any, ids: tuple[str, str], waits: list[float]
) -> None:
    emulator.faults.inject("edit_pvc_voice_sample", count=2, status=500)
    duration = client.get_sample(*ids).duration_ms
    assert duration is not None
    client.edit_sample(
        *ids, build_request(SampleEdit(0, duration, False, "x.wav"), EditContext(duration))
    )
    assert [r.status for r in _records(emulator, "edit_pvc_voice_sample", 3)] == [500, 500, 200]
    assert len(waits) == 2
    assert 0.75 <= waits[0] <= 1.0
    assert 1.5 <= waits[1] <= 2.0


def test_attempts_are_bounded(
    client: ApiClient, emulator: Any, ids: tuple[str, str], waits: list[float]
) -> None:
    emulator.faults.inject("get_pvc_sample_speakers", count=10, status=503)
    with pytest.raises(ServerError) as info:
        client.get_speakers(*ids)
    assert info.value.attempts == 3
    assert "after 3 attempts" in str(info.value)
    assert len(_records(emulator, "get_pvc_sample_speakers", 3)) == 3
    assert len(waits) == 2


def test_rate_limit_outlasting_the_attempts(
    client: ApiClient, emulator: Any, ids: tuple[str, str]
) -> None:
    emulator.faults.inject("get_voice_by_id", count=3, status=429, retry_after=1)
    with pytest.raises(RateLimitedError) as info:
        client.get_voice(ids[0])
    assert info.value.retry_after == 1.0
    assert info.value.attempts == 3


# ---------------------------------------------------------------- transport faults


def test_read_timeout_becomes_transport_error(emulator: Any, ids: tuple[str, str]) -> None:
    emulator.faults.inject("get_voice_by_id", latency=1.0)
    with (
        ApiClient(
            emulator.base_url,
            emulator.api_key,
            timeouts=Timeouts(read=0.3),
            retry=RetryPolicy(max_attempts=1),
        ) as client,
        pytest.raises(TransportError) as info,
    ):
        client.get_voice(ids[0])
    assert "did not answer within 0.3 s" in str(info.value)
    assert info.value.status is None


def test_get_read_timeout_is_retried(
    emulator: Any, ids: tuple[str, str], waits: list[float]
) -> None:
    emulator.faults.inject("get_voice_by_id", latency=1.0)
    with ApiClient(
        emulator.base_url, emulator.api_key, timeouts=Timeouts(read=0.3), sleep=waits.append
    ) as client:
        assert client.get_voice(ids[0]).voice_id == ids[0]
    assert len(waits) == 1


def test_dropped_connection_on_get_is_retried(
    client: ApiClient, emulator: Any, ids: tuple[str, str]
) -> None:
    emulator.faults.inject("get_pvc_sample_visual_waveform", drop=True)
    assert client.get_sample_waveform(*ids).values
    assert [r.status for r in _records(emulator, "get_pvc_sample_visual_waveform", 2)] == [0, 200]


def test_dropped_connection_becomes_transport_error(
    client: ApiClient, emulator: Any, ids: tuple[str, str]
) -> None:
    emulator.faults.inject("get_pvc_sample_visual_waveform", count=3, drop=True)
    with pytest.raises(TransportError, match=r"Could not reach 127\.0\.0\.1") as info:
        client.get_sample_waveform(*ids)
    assert info.value.attempts == 3


def test_post_is_not_retried_on_a_dropped_connection(
    client: ApiClient, emulator: Any, ids: tuple[str, str], waits: list[float]
) -> None:
    duration = client.get_sample(*ids).duration_ms
    assert duration is not None
    emulator.faults.inject("edit_pvc_voice_sample", drop=True)
    with pytest.raises(TransportError):
        client.edit_sample(
            *ids, build_request(SampleEdit(0, duration, False, "x.wav"), EditContext(duration))
        )
    emulator.faults.inject("start_speaker_separation", drop=True)
    with pytest.raises(TransportError):
        client.start_speaker_separation(*ids)
    emulator.faults.inject("delete_pvc_voice_sample", drop=True)
    with pytest.raises(TransportError):
        client.delete_sample(*ids)
    assert len(_records(emulator, "edit_pvc_voice_sample", 1)) == 1
    assert len(_records(emulator, "start_speaker_separation", 1)) == 1
    assert len(_records(emulator, "delete_pvc_voice_sample", 1)) == 1
    assert waits == []


def test_truncated_body_is_a_transport_error(
    client: ApiClient, emulator: Any, ids: tuple[str, str]
) -> None:
    emulator.faults.inject("get_voice_by_id", count=3, truncate=True)
    with pytest.raises(TransportError, match=r"broke before the whole answer|dropped"):
        client.get_voice(ids[0])


def test_malformed_json_is_an_unexpected_response(
    client: ApiClient, emulator: Any, ids: tuple[str, str]
) -> None:
    emulator.faults.inject("get_pvc_sample_speakers", malformed=True)
    with pytest.raises(UnexpectedResponseError, match="not JSON") as info:
        client.get_speakers(*ids)
    assert info.value.attempts == 1
    assert len(_records(emulator, "get_pvc_sample_speakers", 1)) == 1


def test_html_error_page_is_a_server_error(
    client: ApiClient, emulator: Any, ids: tuple[str, str]
) -> None:
    emulator.faults.inject("get_voice_by_id", count=3, html=True)
    with pytest.raises(ServerError, match=r"\(502\)") as info:
        client.get_voice(ids[0])
    assert "<html" in str(info.value.detail).lower()


def test_oversized_response_is_refused(
    client: ApiClient, emulator: Any, ids: tuple[str, str]
) -> None:
    emulator.faults.inject("get_voice_by_id", oversize_mb=9)
    with pytest.raises(UnexpectedResponseError, match="larger than 8 MB"):
        client.get_voice(ids[0])
    # Audio answers may be larger.
    emulator.faults.inject("get_pvc_sample_audio", oversize_mb=9)
    assert client.get_sample_preview(*ids).audio


def test_wrong_key_is_an_authentication_error(emulator: Any, ids: tuple[str, str]) -> None:
    with (
        ApiClient(emulator.base_url, "sk_wrong", retry=RetryPolicy(max_attempts=1)) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.get_voice(ids[0])
    assert str(info.value).startswith(
        "Your API key was rejected (401). Check the key and its region."
    )
    with ApiClient(emulator.base_url, None) as client, pytest.raises(AuthenticationError):
        client.get_voice(ids[0])


def test_injected_422_carries_field_errors(
    client: ApiClient, emulator: Any, ids: tuple[str, str]
) -> None:
    emulator.faults.inject("get_pvc_sample_speakers", status=422)
    with pytest.raises(ValidationError) as info:
        client.get_speakers(*ids)
    assert info.value.field_errors
    assert all(f.message for f in info.value.field_errors)


# ---------------------------------------------------------------- the key stays secret


def test_key_never_leaks_from_any_error(
    emulator: Any, ids: tuple[str, str], waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = emulator.api_key
    faults: list[dict[str, Any]] = [
        {"status": 401},
        {"status": 403},
        {"status": 404},
        {"status": 422},
        {"status": 429, "retry_after": 1},
        {"status": 500},
        {"status": 400},
        {"drop": True},
        {"truncate": True},
        {"malformed": True},
        {"html": True},
        {"oversize_mb": 9},
        {"latency": 1.0},
    ]
    errors: list[ApiError] = []
    with ApiClient(
        emulator.base_url,
        key,
        sleep=waits.append,
        retry=RetryPolicy(max_attempts=1),
        timeouts=Timeouts(read=0.3),
    ) as client:
        for fault in faults:
            emulator.faults.inject("get_voice_by_id", **fault)
            with pytest.raises(ApiError) as info:
                client.get_voice(ids[0])
            errors.append(info.value)
        assert key not in repr(client)
    with ApiClient(emulator.base_url, "sk_WRONG-distinctive-31d7") as wrong:
        with pytest.raises(AuthenticationError) as info:
            wrong.get_voice(ids[0])
        errors.append(info.value)
    assert len({type(e) for e in errors}) >= 8
    for err in errors:
        for text in (str(err), repr(err), *map(str, err.args), str(err.detail)):
            assert key not in text
            assert "sk_WRONG-distinctive-31d7" not in text
    assert key not in caplog.text
    assert "sk_WRONG-distinctive-31d7" not in caplog.text
