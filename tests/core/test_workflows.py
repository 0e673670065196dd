"""The editing workflows, Qt-free: submit and confirm by read-back, open, describe errors.

Run against the emulator over loopback with the real client, no display needed.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.api.errors import NotFoundError
from pvc_sample_editor.api.models import Sample, SeparationStatus, SpeakerSeparation
from pvc_sample_editor.editing.edit import EditContext, InvalidEditError, SampleEdit
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workflows import (
    confirm_differences,
    describe_error,
    length_mismatch_warning,
    open_sample,
    submit_and_confirm,
)


def _read_back(**fields: Any) -> Any:
    """A read-back sample of 'take.wav' (1 s long) with ``fields`` set."""
    base: dict[str, Any] = dict(
        sample_id="s", file_name="take.wav", mime_type="audio/wav", size_bytes=1, hash="h"
    )
    return Sample(**{**base, **fields})


def test_a_read_back_listing_the_speakers_in_another_order_confirms() -> None:
    """A selection has no order: the same speakers read back reordered are no difference,
    other speakers are."""

    sent = SampleEdit(100, 900, False, "take.wav", ("speaker_0", "speaker_1"))
    ctx = EditContext(1000, separation_completed=True)

    def read_back(*ids: str) -> Any:
        sep = SpeakerSeparation("v", "s", SeparationStatus.COMPLETED, selected_speaker_ids=ids)
        return _read_back(
            remove_background_noise=False, speaker_separation=sep, trim_start=100, trim_end=900
        )

    assert confirm_differences(sent, read_back("speaker_1", "speaker_0"), ctx) == ()
    assert confirm_differences(sent, read_back("speaker_1"), ctx) == ("speaker selection differs",)


def test_a_read_back_with_null_trims_and_noise_confirms_what_they_mean() -> None:
    """The spec allows null trims and a null noise setting. A null trim is the file's edge
    (as on open); a null noise setting says nothing. Neither is reported as "differs"
    (which kept the draft and the unsaved mark for ever), but real differences are."""

    ctx = EditContext(1000)
    nulls = _read_back(remove_background_noise=None, trim_start=None, trim_end=None)
    assert confirm_differences(SampleEdit(0, 1000, True, "take.wav"), nulls, ctx) == ()
    assert confirm_differences(SampleEdit(0, 1000, False, "take.wav"), nulls, ctx) == ()
    assert confirm_differences(SampleEdit(5, 1000, False, "take.wav"), nulls, ctx) == (
        "start: sent 5 ms, server has None",
    )
    assert confirm_differences(SampleEdit(0, 900, False, "take.wav"), nulls, ctx) == (
        "end: sent 900 ms, server has None",
    )
    off = _read_back(remove_background_noise=False, trim_start=0, trim_end=1000)
    assert confirm_differences(SampleEdit(0, 1000, True, "take.wav"), off, ctx) == (
        "noise setting differs",
    )


def _client(emulator: Any) -> ApiClient:
    return ApiClient(emulator.base_url, emulator.api_key)


def _demo(emulator: Any) -> SampleRef:
    return SampleRef(emulator.demo.voice_id, emulator.demo.sample_id)


def test_submit_and_confirm_sends_the_edit_and_reads_back_what_the_server_holds(
    emulator: Any,
) -> None:
    ref, progress = _demo(emulator), []
    with _client(emulator) as client:
        opened = open_sample(client, ref, threading.Event())
        duration = opened.sample.duration_ms
        assert duration is not None
        sent = SampleEdit(1234, duration - 567, True, "renamed take.flac")
        result = submit_and_confirm(
            client, ref, sent, EditContext(duration), threading.Event(), progress.append
        )
        again = open_sample(client, ref, threading.Event()).sample
    assert result.confirmed, result.differences
    assert result.sent == sent
    assert (again.trim_start, again.trim_end, again.file_name) == (
        1234,
        duration - 567,
        "renamed take.flac",
    )
    assert progress == ["Saved; reading it back from the server…"]


# The emulator fixture is shared by the examples on purpose: refusals send nothing.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.integers(-5, 5), name=st.sampled_from(["", "a/b.wav", "..", "ok.wav"]))
def test_an_invalid_edit_is_refused_before_anything_is_sent(
    emulator: Any, start: int, name: str
) -> None:
    ctx = EditContext(1000)
    edit = SampleEdit(start, 1000 if start >= 0 else 999, False, name)
    if start >= 0 and name == "ok.wav":
        return  # the one valid combination: the other test sends those
    posts_before = len(emulator.requests_log.for_operation("edit_pvc_voice_sample"))
    with _client(emulator) as client, pytest.raises(InvalidEditError) as caught:
        submit_and_confirm(client, _demo(emulator), edit, ctx, threading.Event())
    assert len(emulator.requests_log.for_operation("edit_pvc_voice_sample")) == posts_before
    message, _fields = describe_error(caught.value)
    assert message == str(caught.value)
    assert "Unexpected" not in message


def test_opening_a_sample_the_voice_no_longer_has_says_so(emulator: Any) -> None:
    ref = SampleRef(emulator.demo.voice_id, "no-such-sample")
    with _client(emulator) as client, pytest.raises(NotFoundError) as caught:
        open_sample(client, ref, threading.Event())
    assert "has no sample no-such-sample" in str(caught.value)
    assert "deleted" in str(caught.value)


def test_a_local_copy_is_called_out_only_beyond_half_a_second() -> None:
    assert length_mismatch_warning(10_000, 10_500) == ""
    assert length_mismatch_warning(10_000, None) == ""
    warning = length_mismatch_warning(10_000, 10_501)
    assert "10.000 s" in warning
    assert "10.501 s" in warning


def test_an_unexpected_error_is_named_as_such() -> None:
    message, fields = describe_error(KeyError("x"))
    assert message == "Unexpected error: KeyError('x')"
    assert fields == {}
