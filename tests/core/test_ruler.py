"""The time ruler: ticks at steps a person counts in, labels only as precise as the step."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pvc_sample_editor.timecode import format_tick, ruler_steps

HUMAN_STEPS = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5}
HUMAN_STEPS |= {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 18000, 36000}


def _parse(label: str) -> float:
    """Seconds from a label, read back independently of the formatter."""
    seconds = 0.0
    for part in label.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def test_a_twelve_minute_file_is_ruled_in_whole_minutes() -> None:
    """The issue's case: 12 minutes across 1600 px ticked every 1:40 as 0:01:40.000."""
    major, minor = ruler_steps(12 * 60, 1600)
    assert major == 60
    assert 60 % minor == 0
    labels = [format_tick(k * major, major) for k in range(13)]
    assert labels[:3] == ["0:00", "1:00", "2:00"]
    assert labels[-1] == "12:00"


@pytest.mark.parametrize(
    ("seconds", "step", "label"),
    [
        (750.0, 30.0, "12:30"),
        (12.5, 0.5, "0:12.5"),
        (12.345, 0.005, "0:12.345"),
        (12.34, 0.02, "0:12.34"),
        (59.9999, 1.0, "1:00"),
        (3725.0, 5.0, "62:05"),
        (3725.0, 5.0, "1:02:05"),
        (0.0, 0.001, "0:00.000"),
    ],
)
def test_labels_carry_only_the_precision_of_the_step(
    seconds: float, step: float, label: str
) -> None:
    hours = label.count(":") == 2
    assert format_tick(seconds, step, hours=hours) == label


def test_each_zoom_level_has_its_own_precision() -> None:
    """Zooming in from the whole file to a few ms, the labels gain digits only as needed."""
    seen = []
    for span in (3600.0, 600.0, 60.0, 10.0, 1.0, 0.1, 0.01):
        step, _ = ruler_steps(span, 1200)
        seen.append(format_tick(12.0 + step, step))
    assert seen[2:] == ["0:17", "0:13", "0:12.1", "0:12.01", "0:12.001"]


@given(
    span=st.floats(min_value=0.005, max_value=30 * 3600.0),
    width=st.floats(min_value=200.0, max_value=4000.0),
)
def test_steps_are_human_roomy_and_the_finest_that_fit(span: float, width: float) -> None:
    major, minor = ruler_steps(span, width)
    px = width / span
    assert major * px >= 90.0  # labels never crowd each other
    assert major in HUMAN_STEPS or major % 86400 == 0
    finer = [s for s in HUMAN_STEPS if s < major]
    assert all(s * px < 90.0 for s in finer)  # no finer human step would have fitted
    ratio = major / minor
    assert math.isclose(ratio, round(ratio), abs_tol=1e-9)  # minor ticks fall on major ones


@given(
    start=st.floats(min_value=0.0, max_value=20 * 3600.0),
    span=st.floats(min_value=0.005, max_value=3600.0),
)
def test_neighbouring_labels_differ_and_read_back_to_their_tick(start: float, span: float) -> None:
    major, _ = ruler_steps(span, 1400)
    hours = start + span >= 3600
    first = math.ceil(start / major)
    ticks = [(first + k) * major for k in range(3)]
    labels = [format_tick(t, major, hours=hours) for t in ticks]
    assert len(set(labels)) == 3
    for tick, label in zip(ticks, labels, strict=True):
        assert abs(_parse(label) - tick) <= 0.0005 + 1e-6 * tick
