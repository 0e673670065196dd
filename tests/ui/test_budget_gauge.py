"""The budget gauge as painted: its marks sit where the bar reaches 30 min, 1 h, 2 h and 3 h."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from pvc_sample_editor.editing.budget import BEST_MAX_MS, BEST_MIN_MS, MINIMUM_MS, RECOMMENDED_MS
from pvc_sample_editor.ui.workspace_panel import BudgetGauge

WIDTH = 661
MARK_ROW = 15  # below the bar (y 2-14) only the marks' lines are drawn


def _painted(qtbot: QtBot, total_ms: int) -> QImage:
    gauge = BudgetGauge()
    qtbot.addWidget(gauge)
    gauge.resize(WIDTH, 40)
    gauge.set_total(total_ms)
    return gauge.grab().toImage()


def _expected_x(ms: int) -> float:
    """Where ``ms`` falls on the bar, computed here from its span (3 h and a tenth)."""
    return 1 + (WIDTH - 2) * ms / (BEST_MAX_MS * 1.1)


def _runs(xs: list[int]) -> list[float]:
    """Runs of neighbouring pixels, as the line each draws: its centre in the widget's
    coordinates (pixel x covers x to x + 1; an antialiased line on a pixel edge fills two)."""
    runs: list[list[int]] = []
    for x in xs:
        if runs and x == runs[-1][-1] + 1:
            runs[-1].append(x)
        else:
            runs.append([x])
    return [(run[0] + run[-1] + 1) / 2 for run in runs]


def test_the_marks_stand_at_30_minutes_1_2_and_3_hours(qtbot: QtBot) -> None:
    image = _painted(qtbot, 0)
    background = image.pixelColor(WIDTH // 2 + 7, MARK_ROW)
    dark = [
        x
        for x in range(WIDTH)
        if image.pixelColor(x, MARK_ROW).lightness() < background.lightness() - 60
    ]
    lines = _runs(dark)
    marks = (MINIMUM_MS, RECOMMENDED_MS, BEST_MIN_MS, BEST_MAX_MS)
    assert len(lines) == len(marks), dark  # one line each
    for centre, ms in zip(lines, marks, strict=True):
        assert abs(centre - _expected_x(ms)) <= 1.0, (centre, ms)  # drawn at a whole pixel


def test_thirty_minutes_fill_the_bar_up_to_the_first_mark(qtbot: QtBot) -> None:
    image = _painted(qtbot, MINIMUM_MS)
    mark = round(_expected_x(MINIMUM_MS))
    inside, outside = image.pixelColor(mark - 3, 8), image.pixelColor(mark + 3, 8)
    assert inside == QColor("#d9a400")  # enough to train, short of the hour: amber
    assert outside != inside
    below = _painted(qtbot, MINIMUM_MS - 60_000)
    assert below.pixelColor(mark - 6, 8) == QColor("#e5484d")  # not enough yet: red
