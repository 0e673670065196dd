"""The waveform view's picture: what caching and skipped work must never change on screen."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_driver import NO_BUTTON, drag_handle_to, handle_pos, pause, send_mouse

from pvc_sample_editor.audio.document import AudioDocument, document_from_bytes
from pvc_sample_editor.ui.waveform import SpeakerBands, WaveformView

RATE = 16_000
SECONDS = 20.0


def _quiet_tone(seconds: float = SECONDS) -> AudioDocument:
    """20 s of a tone at 0.3 whose loudness changes every second (so zooms differ)."""
    t = np.arange(int(seconds * RATE)) / RATE
    loudness = 0.1 + 0.2 * (np.floor(t) % 3) / 2
    data = (loudness * np.sin(2 * np.pi * 180 * t)).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, data, RATE, format="WAV", subtype="FLOAT")
    return document_from_bytes(buffer.getvalue(), "audio/wav", label="tone")


def _view(qtbot: QtBot) -> WaveformView:
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(900, 260)
    view.show()
    qtbot.waitExposed(view)
    doc = _quiet_tone()
    view.set_source(doc, doc.duration_secs)
    view.set_trims(2000, 15000)
    QApplication.processEvents()
    return view


def _picture(view: WaveformView) -> QImage:
    """What is on screen: the window's backing store, painted by Qt's own (partial)
    updates. QWidget.grab() would repaint everything and hide stale strips."""
    for _ in range(3):  # pending redraws, then the paints they ask for
        QApplication.processEvents()
    vp = view.viewport()
    origin = vp.mapTo(view.window(), vp.rect().topLeft())
    shot = view.screen().grabWindow(
        view.window().winId(), origin.x(), origin.y(), vp.width(), vp.height()
    )
    return shot.toImage().convertToFormat(QImage.Format.Format_RGB32)


def _top_pixel(view: WaveformView, seconds: float) -> QColor:
    """The colour near the top of the plot at ``seconds`` (above a tone at 0.3)."""
    x = view.data_to_widget(seconds).x()
    top = view.getPlotItem().getViewBox().sceneBoundingRect().top()
    return _picture(view).pixelColor(int(x), int(top) + 12)


def test_speaker_bands_are_drawn_and_nothing_is_drawn_without_them(qtbot: QtBot) -> None:
    view = _view(qtbot)  # kept region 2-15 s: the same tint everywhere in 3-6 s
    background = _top_pixel(view, 3.0)
    assert background == _top_pixel(view, 5.5)
    view.set_speaker_bands(
        [SpeakerBands("speaker_1", "#e0a030", ((2.5, 3.5), (8.0, 9.0)), selected=True)]
    )
    shaded = _top_pixel(view, 3.0)
    assert shaded != background
    assert shaded.red() > background.red() + 20  # an orange tint
    assert _top_pixel(view, 5.5) == background  # between the utterances
    view.set_speaker_bands([SpeakerBands("speaker_1", "#e0a030", (), selected=True)])
    assert _top_pixel(view, 3.0) == background
    view.set_speaker_bands([])
    assert _top_pixel(view, 3.0) == background


def test_after_a_handle_drag_a_zoom_shows_the_new_envelope(qtbot: QtBot) -> None:
    """The envelope is kept as a pixmap while a handle moves; a zoom after the drag
    must draw the zoomed envelope, exactly as a view that was never dragged does."""
    dragged, fresh = _view(qtbot), _view(qtbot)
    before = _picture(dragged)
    drag_handle_to(dragged, 1, 12.0)
    pause()
    send_mouse(dragged.viewport(), QEvent.Type.MouseMove, QPointF(5, 5), NO_BUTTON, NO_BUTTON)
    pause()
    start_ms, end_ms = dragged.trims_ms()
    assert abs(end_ms - 12_000) < 100
    fresh.set_trims(start_ms, end_ms)
    fresh.select_handle(1)
    for view in (dragged, fresh):
        view.set_view_range_secs(3.0, 9.0)
    # Painted before any event is processed: the envelope must already be the new one,
    # not the old one stretched to the new range.
    immediate = dragged.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    zoomed = _picture(dragged)
    assert zoomed != before
    assert zoomed == _picture(fresh)
    assert immediate == zoomed


def test_the_handle_under_the_cursor_is_highlighted_after_a_drag(qtbot: QtBot) -> None:
    """Hover work is skipped mid-drag; the release must still leave the hover right."""
    view = _view(qtbot)
    line = view._region.lines[1]
    drag_handle_to(view, 1, 12.0)
    assert line.mouseHovering  # the drag ended with the cursor on the handle
    pause()
    away = handle_pos(view, 1) + QPointF(-150, 0)
    send_mouse(view.viewport(), QEvent.Type.MouseMove, away, NO_BUTTON, NO_BUTTON)
    assert not line.mouseHovering
    pause()
    send_mouse(view.viewport(), QEvent.Type.MouseMove, handle_pos(view, 1), NO_BUTTON, NO_BUTTON)
    assert line.mouseHovering


def test_a_dragged_view_looks_exactly_like_one_given_the_same_trims(qtbot: QtBot) -> None:
    """A drag repaints only the strips its handles swept; nothing stale may remain."""
    dragged, fresh = _view(qtbot), _view(qtbot)
    drag_handle_to(dragged, 0, 6.5)  # the tint and shade move with both handles
    drag_handle_to(dragged, 1, 11.0)
    drag_handle_to(dragged, 1, 17.5)
    pause()
    send_mouse(dragged.viewport(), QEvent.Type.MouseMove, QPointF(5, 5), NO_BUTTON, NO_BUTTON)
    pause()
    trims = dragged.trims_ms()
    dragged.set_trims(*trims)  # as the window's model does: handles land on whole ms
    fresh.set_trims(*trims)
    fresh.select_handle(1)
    assert _picture(dragged) == _picture(fresh)
    assert _picture(dragged) != _picture(_view(qtbot))  # the trims did change the picture


def test_showing_a_file_computes_its_envelope_once(qtbot: QtBot) -> None:
    """Each envelope of a file hours long costs milliseconds: set_source asks for one."""
    view = _view(qtbot)
    for seconds in (7.0, 7.0, SECONDS):  # a new length (the view refits), the same, longer
        doc = _quiet_tone(seconds)
        calls: list[tuple[int, int, int]] = []
        real = doc.envelope

        def counting(start: int, stop: int, columns: int, real=real, calls=calls):  # type: ignore[no-untyped-def]
            calls.append((start, stop, columns))
            return real(start, stop, columns)

        doc.envelope = counting  # type: ignore[method-assign]
        view.set_source(doc, doc.duration_secs)
        assert len(calls) == 1, calls
        assert view.view_range_secs() == (0.0, doc.duration_secs)
        QApplication.processEvents()
        assert len(calls) == 1, calls
