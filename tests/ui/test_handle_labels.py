"""The Start and End labels of the trim handles never run into each other."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_driver import drag_handle_to
from view_driver import screenshot, shown_view, speech_like

from pvc_sample_editor.ui.waveform import WaveformView
from pvc_sample_editor.ui.waveform_items import label_layout

INSIDE, OUTSIDE = 1, -1


@pytest.mark.parametrize(
    ("start", "end", "layout"),
    [
        (100.0, 600.0, (INSIDE, INSIDE, False)),  # room inside
        (400.0, 420.0, (OUTSIDE, OUTSIDE, False)),  # narrow: each outside its handle
        (0.0, 20.0, (INSIDE, OUTSIDE, True)),  # at the left edge: Start stays, End below
        (0.0, 70.0, (INSIDE, OUTSIDE, False)),  # at the left edge with room for Start
        (880.0, 900.0, (OUTSIDE, INSIDE, True)),  # at the right edge
        (2.0, 898.0, (INSIDE, INSIDE, False)),
    ],
)
def test_labels_go_inside_then_outside_then_on_two_rows(
    start: float, end: float, layout: tuple[int, int, bool]
) -> None:
    assert label_layout(start, end, (0.0, 900.0), (50.0, 40.0)) == layout


def _label_rects(view: WaveformView) -> list[QRectF]:
    """Where each label is drawn, in viewport pixels."""
    QApplication.processEvents()
    rects = []
    for label in view._labels.labels:
        scene = label.mapToScene(label.boundingRect()).boundingRect()
        rects.append(view.viewportTransform().mapRect(scene))
    return rects


def _assert_readable(view: WaveformView) -> None:
    start, end = _label_rects(view)
    assert not start.intersects(end), (start, end)
    area = QRectF(view.viewport().rect())
    assert area.contains(start)
    assert area.contains(end)


def test_dragging_the_end_onto_the_start_never_reads_startend(qtbot: QtBot) -> None:
    view = shown_view(qtbot, speech_like(20.0), width=900)
    view.set_trims(2000, 15000)
    _assert_readable(view)
    start_rect, end_rect = _label_rects(view)
    assert start_rect.left() < end_rect.left()  # Start ... End, inside the region
    drag_handle_to(view, 1, 2.05)
    assert view.trims_ms()[1] - view.trims_ms()[0] < 100
    _assert_readable(view)
    start_rect, end_rect = _label_rects(view)
    x0, x1 = (view.data_to_widget(s).x() for s in view.trims_secs())
    assert start_rect.right() <= x0 + 1  # Start left of its handle, End right of its own
    assert end_rect.left() >= x1 - 1
    screenshot(view, "narrow-region")


@pytest.mark.parametrize(("start_ms", "end_ms"), [(0, 50), (19950, 20000), (0, 20000)])
def test_labels_stay_readable_at_the_files_edges(qtbot: QtBot, start_ms: int, end_ms: int) -> None:
    view = shown_view(qtbot, speech_like(20.0), width=900)
    view.set_trims(start_ms, end_ms)
    _assert_readable(view)
