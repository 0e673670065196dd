"""The ruler under the waveform, as drawn: human steps, only the digits the zoom needs."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot
from view_driver import shown_view, speech_like, wheel_at

from pvc_sample_editor.ui.ruler import TimeAxis


def _seconds(label: str) -> float:
    minutes, seconds = label.split(":")
    return int(minutes) * 60 + float(seconds)


def test_a_twelve_minute_file_is_labelled_in_minutes_then_tenths_as_the_wheel_zooms(
    qtbot: QtBot,
) -> None:
    view = shown_view(qtbot, speech_like(12 * 60.0, rate=4000), width=1600)
    axis = view.getPlotItem().getAxis("bottom")
    assert isinstance(axis, TimeAxis)
    labels = axis.labels()
    # Every minute (not 0:01:40.000); the labels at the very edges would be cut in half.
    assert labels[:3] == ["1:00", "2:00", "3:00"]
    assert labels[-1] in ("11:00", "12:00")
    vp = view.viewport()
    centre = QPointF(vp.width() / 2, vp.height() / 2)
    while view.view_range_secs()[1] - view.view_range_secs()[0] > 2.0:
        wheel_at(vp, centre, 3)
    labels = axis.labels()
    assert len(labels) >= 3
    assert all(len(text.split(".")[1]) == 1 for text in labels)  # 0:12.5: tenths, no more
    steps = {round(_seconds(b) - _seconds(a), 3) for a, b in itertools.pairwise(labels)}
    assert len(steps) == 1
    assert steps.pop() in (0.1, 0.2, 0.5)
