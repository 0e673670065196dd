"""Benchmark the editor window on hours-long audio: paints, drags, zooms, start-up, memory.

Not a pytest test. Run (offscreen, as CI machines have no screen)::

    python tests/benchmarks/bench_ui.py              # 1-hour files (and a 10-second one)
    python tests/benchmarks/bench_ui.py --hours 1 3  # also 3 hours: drag within 10 %

It reuses the speech-like fixtures of ``bench_audio_load.py`` (generated once, cached)
and measures, in one run on the same files:

- bare PySide6 start-up: a fresh process that imports PySide6 and shows an empty window;
  and, for scale, a bare pyqtgraph PlotWidget with a short curve;
- process start -> window shown with the file painted (the real app, no key, file given,
  its modules compiled as an install compiles them), best of three like the bare start,
  with when the imports ended and when the window was shown (the file still loading);
  and, for scale, the same with a QPainter stand-in for the pyqtgraph waveform;
- a single-thread soundfile decode of the FLAC and MP3 (the compressed references),
  best of three runs;
- open -> first partial paint, and open -> full overview painted, over three cold opens
  (peak cache emptied before each) with the test waiting in the event loop as the app
  does: the best overview (as for its reference), the slowest first partial paint;
- handle-drag repaint p50/p90 at 1600x300, whole file in view and a 10-second view: one
  frame is a mouse move handled plus the paint Qt does for it (the full-viewport paint
  mid-drag is reported too); with ``--hours 1 3``, the 3-hour/1-hour comparison drags
  both WAVs in alternating passes, both windows open;
- the worst zoom/pan repaint over a sweep from the whole file down to 1 s, frames paced
  like a hand on a wheel; three sweeps on the freshly opened file, each frame's best;
- peak RSS of the app with each file, against the app with a 10-second file.

Each figure is one JSON line; the ratios against the targets follow.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "ui"))  # ui_driver, to drive the window

import numpy as np
import soundfile as sf
from bench_audio_load import (
    COMPRESSED_RATIO_TARGET,
    FIRST_PARTIAL_TARGET_S,
    RSS_MB_PER_HOUR_TARGET,
    SAMPLERATE,
    WAV_RATIO_TARGET,
    emit,
    make_fixtures,
    proc_status_mb,
    reset_peak_rss,
    run_audio_child,
)

WIDTH, HEIGHT = 1600, 300
OPENS = 3  # cold opens per file in the window; runs of each reference decode


def short_file() -> Path:
    """A 10-second file: the memory baseline of 'the same app with a short file'."""
    path = Path(tempfile.gettempdir()) / "pvc-bench-10s.wav"
    if not path.exists():
        rng = np.random.default_rng(3)
        sf.write(
            path,
            (rng.standard_normal(10 * SAMPLERATE) * 0.2).astype(np.float32),
            SAMPLERATE,
            "PCM_16",
        )
    return path


# ---------------------------------------------------------------- child processes

BARE = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget(); w.resize(1600, 900); w.show(); app.processEvents(); w.repaint()
print(time.time() - t0, flush=True)
"""

# The floor under any pyqtgraph window: import it and paint one PlotWidget with a short
# curve (no file, none of this app's modules).
BARE_PYQTGRAPH = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtWidgets import QApplication
import numpy as np
import pyqtgraph as pg
app = QApplication([])
w = pg.PlotWidget(); w.resize(1600, 300)
x = np.arange(3200.0); w.plot(x, np.sin(x))
w.show(); app.processEvents(); w.viewport().repaint()
print(time.time() - t0, flush=True)
"""


def _peak_rss_mb() -> float:
    high_water = proc_status_mb("VmHWM")
    if high_water is not None:
        return high_water
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_app(path: str, t0: float) -> None:
    """The real app started on ``path`` (no key): report when the file is painted.

    The app runs its own event loop meanwhile; the figure is the end of the first paint
    of the waveform once the whole file is loaded (work the app defers until then, such
    as asking the keyring, comes after it and is not counted).
    """
    # A child's peak RSS starts at its parent's (the benchmark process, with its own
    # windows and pyramids); Linux lets a process reset its high-water mark.
    reset_peak_rss()
    from PySide6.QtCore import QEvent, QEventLoop, QObject
    from PySide6.QtWidgets import QApplication

    from pvc_sample_editor.cli import parse_args
    from pvc_sample_editor.ui.app import launch

    imported = time.time() - t0
    shell, notifier, _ = launch(parse_args([path]))
    shown = time.time() - t0  # the window is shown; the file is loading
    shell.window.resize(WIDTH, 900)
    c = shell.controller
    view = shell.window.waveform
    painted: list[float] = []

    class LoadedPaint(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:
            if event.type() != QEvent.Type.Paint or painted:
                return False
            audio = c.audio
            if audio is None or view.source is not audio:
                return False
            view.viewportEvent(event)  # the paint Qt asked for, done here so its end is seen
            painted.append(time.time() - t0)
            return True

    watcher = LoadedPaint()
    view.viewport().installEventFilter(watcher)
    app = QApplication.instance()
    while not painted:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    rss_mb = _peak_rss_mb()
    figures = {
        "shown_painted_s": painted[0],
        "imports_done_s": imported,
        "window_shown_s": shown,
        "peak_rss_mb": rss_mb,
    }
    print(json.dumps(figures), flush=True)
    notifier.uninstall()
    os._exit(0)  # measurement done; skip teardown


def compile_app_bytecode() -> None:
    """Compile the app's modules as installing it does (pip, PyInstaller).

    The checkout is installed editable and runs from source; with
    PYTHONDONTWRITEBYTECODE set (as on this machine) each start compiled the app's ~30
    modules again, ~45 ms that an installed app does not spend. The .pyc files go to
    the checkout's __pycache__ folders (ignored by git), where every later start finds
    them, as it finds numpy's and PySide6's.
    """
    import compileall

    import pvc_sample_editor

    compileall.compile_dir(Path(pvc_sample_editor.__file__).parent, quiet=1)


def app_start_up(path: Path, *, standin: bool = False) -> dict[str, float]:
    """The real app started on ``path``: the best of ``OPENS`` starts, as for the bare one.

    With ``standin``, its waveform is the QPainter stand-in (see install_painter_standin).
    """
    mode = "--child-standin" if standin else "--child"
    starts = [
        json.loads(run_child([__file__, mode, str(path), str(time.time())])) for _ in range(OPENS)
    ]
    return min(starts, key=lambda figures: figures["shown_painted_s"])


def install_painter_standin() -> None:
    """Put a bare QPainter waveform where the app imports its pyqtgraph one.

    For scale only: the stand-in draws the loaded overview and nothing else (no handles,
    axis, zoom or bands) and ignores every other call of the window. The app started
    with it shows how soon a first paint that did not wait for pyqtgraph could come.
    """
    import types
    from dataclasses import dataclass

    from PySide6.QtCore import QLineF, Signal
    from PySide6.QtGui import QColor, QPainter, QPen
    from PySide6.QtWidgets import QWidget

    @dataclass(frozen=True)
    class SpeakerBands:
        speaker_id: str
        color: str
        spans: tuple[tuple[float, float], ...]
        selected: bool

    @dataclass(frozen=True)
    class Marker:
        start_ms: int
        end_ms: int
        kind: str

    class PainterWaveform(QWidget):
        trims_dragging = Signal(int, int)
        trims_changed = Signal(int, int)
        cursor_moved = Signal(int)
        active_handle_changed = Signal(int)
        source_failed = Signal(str)
        interacted = Signal()

        def __init__(self, parent: Any = None) -> None:
            super().__init__(parent)
            self.source: Any = None
            self.duration = 0.0
            self.setMinimumHeight(160)

        def set_source(self, source: Any, duration_secs: float) -> None:
            self.source, self.duration = source, duration_secs
            self.repaint()  # now: a posted update came after the app's deferred start work

        def redraw(self) -> None:
            self.update()

        def viewport(self) -> QWidget:
            return self

        def viewportEvent(self, event: Any) -> bool:  # the benchmark's paint hook
            return QWidget.event(self, event)

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_"):
                raise AttributeError(name)
            return lambda *args, **kwargs: None  # trims, bands, playhead: not drawn

        def paintEvent(self, event: Any) -> None:
            painter = QPainter(self)
            painter.fillRect(self.rect(), QColor("#161a21"))
            doc = self.source
            if doc is None or doc.pyramid is None or doc.frames <= 0:
                return
            width, height = self.width(), self.height()
            t, y = doc.envelope(0, doc.frames, width)
            xs = np.asarray(t) * (doc.samplerate / doc.frames * width)
            ys = (1.0 - np.asarray(y)) * (height / 2)
            painter.setPen(QPen(QColor("#a9c4dc")))
            painter.drawLines(
                [QLineF(xs[i], ys[i], xs[i + 1], ys[i + 1]) for i in range(0, len(xs) - 1, 2)]
            )

    class NoOverview(QWidget):  # the overview strip is drawn by the real view only
        def __init__(self, view: Any, parent: Any = None) -> None:
            super().__init__(parent)
            self.setFixedHeight(34)

    module = types.ModuleType("pvc_sample_editor.ui.waveform")
    module.SpeakerBands = SpeakerBands  # type: ignore[attr-defined]
    module.Marker = Marker  # type: ignore[attr-defined]
    module.WaveformView = PainterWaveform  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    overview = types.ModuleType("pvc_sample_editor.ui.overview")
    overview.OverviewStrip = NoOverview  # type: ignore[attr-defined]
    sys.modules[overview.__name__] = overview


def run_child(args: list[str]) -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PVC_SAMPLE_EDITOR_HOME=tempfile.mkdtemp())
    env.pop("ELEVENLABS_API_KEY", None)
    out = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=600, check=True
    )
    return out.stdout.strip().splitlines()[-1]


# ---------------------------------------------------------------- in-process figures


def _first_paint_recorder(viewport: Any, first: list[float], t0: float) -> Any:
    """A progress slot that paints once and records how long after ``t0`` that was."""

    def on_progress(_fraction: float) -> None:
        # The window's own handler ran first and set up what is loaded; paint it now.
        if not first:
            viewport.repaint()
            first.append(time.perf_counter() - t0)

    return on_progress


def zoom_sweep(app: Any, view: Any) -> list[float]:
    """Frame times (ms) of a zoom from the whole file down to 1 s, panning both ways."""
    view.fit_all()
    app.processEvents()
    duration = view.duration
    span = duration
    centre = duration * 0.37
    times = []
    while span >= 1.0:
        for offset in (0.0, span * 0.25, -span * 0.25):  # zoom, then pan both ways
            deadline = time.perf_counter() + 0.011  # a wheel turned by hand, at most
            while time.perf_counter() < deadline:
                app.processEvents()
                time.sleep(0.001)
            t = time.perf_counter()
            view.set_view_range_secs(centre + offset - span / 2, centre + offset + span / 2)
            view.viewport().repaint()  # the new range's envelope was computed as it was set
            times.append((time.perf_counter() - t) * 1000)
        span *= 0.7
    return times


def paint_counter(widget: Any) -> Any:
    """An event filter counting ``widget``'s paint events and the share the last covered."""
    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        def __init__(self) -> None:
            super().__init__(widget)
            self.count = 0
            self.last_area = 0.0
            widget.installEventFilter(self)

        def eventFilter(self, obj: Any, event: Any) -> bool:
            if obj is widget and event.type() == QEvent.Type.Paint:
                self.count += 1
                area = sum(r.width() * r.height() for r in event.region())
                self.last_area = area / max(1, widget.width() * widget.height())
            return False

    return PaintCounter()


def drag_pass(app: Any, view: Any, paints: Any, moves: int) -> dict[str, Any]:
    """Drag the end handle to and fro ``moves`` times, as a hand does; time each frame.

    One frame is a mouse move handled plus the paint Qt does for it, as in the app's
    event loop; moves that change nothing paint nothing and are counted apart. Every
    third move a full-viewport repaint is also timed (paint only).
    """
    from PySide6.QtCore import QEvent, QPointF
    from ui_driver import LEFT, NO_BUTTON, send_mouse

    vp = view.viewport()
    handle = view.data_to_widget(view.trims_secs()[1])
    send_mouse(vp, QEvent.Type.MouseMove, handle, NO_BUTTON, NO_BUTTON)
    app.processEvents()
    time.sleep(0.02)
    send_mouse(vp, QEvent.Type.MouseButtonPress, handle, LEFT, LEFT)
    times, fullpaints, areas, no_frame = [], [], [], 0
    for i in range(moves):
        x = handle.x() + 40 * np.sin(i / 15.0) + 1
        # pyqtgraph takes at most 100 moves a second; between two, the app's event loop
        # runs what is due (timers, deferred work), as it does for a hand on a mouse.
        idle_until = time.perf_counter() + 0.011
        while time.perf_counter() < idle_until:
            app.processEvents()
            time.sleep(0.001)
        before = paints.count
        t = time.perf_counter()
        send_mouse(vp, QEvent.Type.MouseMove, QPointF(x, handle.y()), NO_BUTTON, LEFT)
        while paints.count == before and time.perf_counter() - t < 0.1:
            app.processEvents()
        if paints.count == before:
            no_frame += 1
            continue
        times.append((time.perf_counter() - t) * 1000)
        areas.append(paints.last_area)
        if i % 3 == 0:
            t = time.perf_counter()
            vp.repaint()
            fullpaints.append((time.perf_counter() - t) * 1000)
    send_mouse(vp, QEvent.Type.MouseButtonRelease, handle, LEFT, NO_BUTTON)
    app.processEvents()
    return {"times": times, "fullpaints": fullpaints, "areas": areas, "no_frame": no_frame}


def set_drag_view(app: Any, view: Any, span: float | None) -> None:
    """Show the whole file (``span`` None) or ``span`` seconds; trims at 30 % and 70 %."""
    if span is not None:
        view.set_view_range_secs(1800.0, 1800.0 + span)
    else:
        view.fit_all()
    app.processEvents()
    start, end = view.view_range_secs()
    view.window().controller.set_trims(
        int((start + (end - start) * 0.3) * 1000), int((start + (end - start) * 0.7) * 1000)
    )
    app.processEvents()


def open_window(app: Any, path: Path | None = None) -> tuple[Any, Any, Any]:
    """An editor window at the benchmark's size: (window, view, paint counter)."""
    from PySide6.QtCore import QEventLoop

    from pvc_sample_editor.ui.controller import EditorController
    from pvc_sample_editor.ui.main_window import MainWindow

    window = MainWindow(EditorController(None), player=None, confirm=lambda _t, _x: True)
    window.resize(WIDTH, 900)
    window.show()
    view = window.waveform
    view.setFixedSize(WIDTH, HEIGHT)
    paints = paint_counter(view.viewport())
    app.processEvents()
    if path is not None:
        window.controller.open_local_file(path)
        while window.controller.audio is None:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        app.processEvents()
    return window, view, paints


def drag_3h_vs_1h(app: Any, wav_1h: Path, wav_3h: Path, passes: int = 4) -> float:
    """p90 drag frame of the 3-hour WAV over the 1-hour one, whole file in view.

    Each file's figure in its own section is measured minutes apart from the other, and
    a 2-3 ms frame moves by more than 10 % with what else the machine does. Here both
    windows are open and the passes alternate, so machine load lands on both alike.
    """
    windows = [open_window(app, wav_1h), open_window(app, wav_3h)]
    pooled: list[list[float]] = [[], []]
    for _ in range(passes):
        for k, (_window, view, paints) in enumerate(windows):
            set_drag_view(app, view, None)
            pooled[k] += drag_pass(app, view, paints, 100)["times"]
    p90 = [float(np.percentile(times, 90)) for times in pooled]
    for hours, value, times in zip(("1h", "3h"), p90, pooled, strict=True):
        emit(figure="drag_repaint_ms_alternating", file=hours, p90=value, frames=len(times))
    for window, _view, _paints in windows:
        window.close()
    app.processEvents()
    return p90[1] / p90[0]


def in_process(paths: dict[str, Path], label: str) -> dict[str, float]:
    """Open, drag and zoom timings for one file in this process."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from pvc_sample_editor.audio.cache import default_cache_dir

    app = QApplication.instance() or QApplication([])
    figures: dict[str, float] = {}
    for fmt, path in paths.items():
        window, view, paints = open_window(app)
        c = window.controller
        # Three cold opens (peak cache emptied before each), like the three runs of the
        # reference decode: the overview figure is the best, the first partial paint
        # (a ceiling, not a race) the slowest.
        firsts, fulls = [], []
        for _ in range(OPENS):
            shutil.rmtree(default_cache_dir(), ignore_errors=True)
            old = c.audio
            if old is not None:
                # Open from an idle app, as a person does: the previous open's MP3
                # warm-up (~75 ms of a core per hour) would otherwise share the cores
                # with this load.
                old.reader.wait_background()
            first: list[float] = []
            t0 = time.perf_counter()
            on_progress = _first_paint_recorder(view.viewport(), first, t0)
            c.audio_progress.connect(on_progress)
            c.open_local_file(path)
            # Wait the way the app's event loop does: sleep until an event arrives.
            # (Spinning processEvents() here would keep a core and the GIL from the
            # loader's threads.)
            while c.audio is old:
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            app.processEvents()
            view.viewport().repaint()
            fulls.append(time.perf_counter() - t0)
            firsts.append(first[0] if first else fulls[-1])
            c.audio_progress.disconnect(on_progress)
        for figure, pick, values in (
            ("open_to_first_partial_paint_s", max, firsts),
            ("open_to_overview_painted_s", min, fulls),
        ):
            runs_s = [round(v, 4) for v in values]
            emit(figure=figure, file=label, format=fmt, value=pick(values), runs=runs_s)
        figures[f"first_{fmt}"] = max(firsts)
        figures[f"overview_{fmt}"] = min(fulls)
        if fmt == "wav":
            for view_label, span in (("whole", None), ("10s", 10.0)):
                set_drag_view(app, view, span)
                drag = drag_pass(app, view, paints, 300)
                times, fullpaints, areas = drag["times"], drag["fullpaints"], drag["areas"]
                p50, p90 = float(np.percentile(times, 50)), float(np.percentile(times, 90))
                emit(
                    figure="drag_repaint_ms",
                    file=label,
                    view=view_label,
                    p50=p50,
                    p90=p90,
                    frames=len(times),
                    moves_without_frame=drag["no_frame"],
                    painted_area_fraction_p50=float(np.percentile(areas, 50)),
                )
                emit(
                    figure="drag_full_viewport_paint_ms",
                    file=label,
                    view=view_label,
                    p50=float(np.percentile(fullpaints, 50)),
                    p90=float(np.percentile(fullpaints, 90)),
                )
                figures[f"drag_p90_{view_label}"] = p90
        # Three sweeps, each on the file freshly opened (so compressed files start with
        # nothing decoded), frames paced like a hand on a wheel with events processed
        # in between, as the app's idle event loop would. A frame's figure is its best
        # of the three (what it costs without other work on this shared machine
        # landing on it); the worst of those is the figure, the worst of all is shown.
        runs = []
        for run in range(3):
            if run:
                old = c.audio
                c.open_local_file(path)  # peak cache hit: only the reader is new
                while c.audio is old:
                    app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            runs.append(zoom_sweep(app, view))
        best = np.min(np.array(runs), axis=0)
        worst = float(best.max())
        emit(
            figure="zoom_pan_worst_repaint_ms",
            file=label,
            format=fmt,
            value=worst,
            worst_single_frame_any_run=float(np.max(runs)),
            frames_per_sweep=len(runs[0]),
        )
        figures[f"zoom_worst_{fmt}"] = worst
        window.close()
        app.processEvents()
    return figures


def main() -> int:
    """Run every figure and print the ratios against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[1.0])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-standin", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_standin:
        install_painter_standin()
        args.child = args.child_standin
    if args.child:
        child_app(args.child[0], float(args.child[1]))
        return 0
    os.environ["PVC_SAMPLE_EDITOR_HOME"] = tempfile.mkdtemp()
    compile_app_bytecode()
    bare = min(float(run_child(["-c", BARE, str(time.time())])) for _ in range(3))
    emit(figure="bare_pyside6_startup_s", value=bare)
    bare_pg = min(float(run_child(["-c", BARE_PYQTGRAPH, str(time.time())])) for _ in range(3))
    emit(figure="bare_pyqtgraph_plot_startup_s", value=bare_pg)
    short = json.loads(run_child([__file__, "--child", str(short_file()), str(time.time())]))
    emit(figure="app_10s_file", **short)
    results: dict[float, dict[str, float]] = {}
    for hours in args.hours:
        paths = make_fixtures(hours)
        label = f"{hours:g}h"
        wav = paths["wav"]
        # The audio benchmark's reference (its data only, best of three, page cache
        # warm), in a child, so this process never holds the whole file.
        fromfile = float(run_audio_child("fromfile", wav)["seconds"])
        emit(figure="numpy_fromfile_s", file=label, value=fromfile)
        decode = {  # best of as many runs as the window's opens
            fmt: min(float(run_audio_child("decode", paths[fmt])["seconds"]) for _ in range(OPENS))
            for fmt in ("flac", "mp3")
        }
        for fmt, seconds in decode.items():
            emit(figure="single_thread_decode_s", file=label, format=fmt, value=seconds)
        app = app_start_up(wav)
        emit(figure="app_start_to_file_painted", file=label, **app)
        standin = app_start_up(wav, standin=True)
        emit(figure="app_with_painter_standin_start_to_file_painted", file=label, **standin)
        figures = in_process(paths, label)
        figures.update(fromfile=fromfile, shown=app["shown_painted_s"], rss=app["peak_rss_mb"])
        figures.update(standin=standin["shown_painted_s"])
        figures.update({f"decode_{fmt}": seconds for fmt, seconds in decode.items()})
        results[hours] = figures
    print("# ratios against the targets (<= 1.0 meets the target)")
    for hours, f in results.items():
        label = f"{hours:g}h"
        ratios = {
            "wav_overview / (2 x fromfile)": f["overview_wav"] / (WAV_RATIO_TARGET * f["fromfile"]),
            "flac_overview / (0.6 x decode)": f["overview_flac"]
            / (COMPRESSED_RATIO_TARGET * f["decode_flac"]),
            "mp3_overview / (0.6 x decode)": f["overview_mp3"]
            / (COMPRESSED_RATIO_TARGET * f["decode_mp3"]),
            "first_partial_paint / 100 ms": max(f[f"first_{k}"] for k in ("wav", "flac", "mp3"))
            / FIRST_PARTIAL_TARGET_S,
            "drag_p90_whole / 4 ms": f["drag_p90_whole"] / 4.0,
            "drag_p90_10s / 4 ms": f["drag_p90_10s"] / 4.0,
            "zoom_pan_worst / 8 ms": max(f[f"zoom_worst_{k}"] for k in ("wav", "flac", "mp3"))
            / 8.0,
            "peak_rss / (10s app + 20 MB/h)": f["rss"]
            / (short["peak_rss_mb"] + RSS_MB_PER_HOUR_TARGET * hours),
            "start_to_painted / (bare + 2 x fromfile)": f["shown"]
            / (bare + WAV_RATIO_TARGET * f["fromfile"]),
            "bare_pyqtgraph_plot / (bare + 2 x fromfile)": bare_pg
            / (bare + WAV_RATIO_TARGET * f["fromfile"]),
            "app_with_painter_standin / (bare + 2 x fromfile)": f["standin"]
            / (bare + WAV_RATIO_TARGET * f["fromfile"]),
        }
        for name, value in ratios.items():
            emit(ratio=name, file=label, value=round(value, 3), meets=value <= 1.0)
    if 1.0 in results and 3.0 in results:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([])
        ratio = drag_3h_vs_1h(app, make_fixtures(1.0)["wav"], make_fixtures(3.0)["wav"])
        emit(
            ratio="drag_p90 3h / 1h (alternating passes)", value=round(ratio, 3), meets=ratio <= 1.1
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
