"""Editing gestures as pure functions: whatever the input, the trims stay in the sample."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pvc_sample_editor.api.models import SeparationStatus, Speaker, SpeakerSeparation
from pvc_sample_editor.editing import operations as ops
from pvc_sample_editor.editing.edit import SampleEdit

EDIT = SampleEdit(1000, 9000, False, "take.wav")
ANY_MS = st.integers(-(10**12), 10**12)


def _in_bounds(edit: SampleEdit, duration: int) -> bool:
    return 0 <= edit.trim_start_ms < edit.trim_end_ms <= duration


@given(duration=st.integers(2, 10**10), start=ANY_MS, end=ANY_MS)
def test_trims_from_any_gesture_stay_inside_the_sample_and_in_order(
    duration: int, start: int, end: int
) -> None:
    assert _in_bounds(ops.with_trims(EDIT, duration, start, end), duration)
    assert _in_bounds(ops.with_start(EDIT, duration, start), duration)
    assert _in_bounds(ops.with_end(EDIT, duration, end), duration)
    assert _in_bounds(ops.nudged(EDIT, duration, 0, start), duration)
    assert _in_bounds(ops.nudged(EDIT, duration, 1, end), duration)


def test_a_start_past_the_end_carries_it_a_second_on_and_a_nudge_stops_at_the_other() -> None:
    assert ops.with_start(EDIT, 20_000, 9500).trim_end_ms == 10_500
    assert ops.with_start(EDIT, 10_000, 9500).trim_end_ms == 10_000  # the file's end
    assert ops.with_end(EDIT, 10_000, 5000).trim_start_ms == 1000  # before the start: stays
    assert ops.with_end(EDIT, 10_000, 800).trim_start_ms == 0
    assert ops.with_end(EDIT, 10_000, 1000).trim_start_ms == 0  # onto the start


def test_start_and_end_set_at_the_same_playhead_keep_a_second_not_a_millisecond() -> None:
    """I then O without moving the cursor (or O then I) used to leave a 1 ms sample."""
    at = 5000
    both = ops.with_end(ops.with_start(EDIT, 10_000, at), 10_000, at)
    assert (both.trim_start_ms, both.trim_end_ms) == (4000, 5000)
    both = ops.with_start(ops.with_end(EDIT, 10_000, at), 10_000, at)
    assert (both.trim_start_ms, both.trim_end_ms) == (5000, 6000)
    assert ops.nudged(EDIT, 10_000, 0, 50_000).trim_start_ms == 8999
    assert ops.nudged(EDIT, 10_000, 1, -50_000).trim_end_ms == 1001
    assert ops.nudged(EDIT, 10_000, 1, 10).trim_end_ms == 9010


def test_chosen_speakers_follow_the_separation_order() -> None:
    speakers = tuple(Speaker(sid, 1.0) for sid in ("a", "b", "c"))
    sep = SpeakerSeparation("v", "s", SeparationStatus.COMPLETED, speakers=speakers)
    assert ops.with_speakers(EDIT, None, ["b", "a"]).selected_speaker_ids == ("b", "a")
    assert ops.with_speakers(EDIT, sep, ["c", "a"]).selected_speaker_ids == ("a", "c")
    assert ops.with_speakers(EDIT, sep, ["x"]).selected_speaker_ids == ()
    assert ops.with_noise(EDIT, True).remove_background_noise is True
    assert ops.with_file_name(EDIT, "x.wav").file_name == "x.wav"
