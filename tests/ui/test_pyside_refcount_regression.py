"""Guard against the PySide6 6.12.0 refcount bug coming back through an upgrade.

6.12.0 on Python 3.11 drops a reference to ``True`` on every signal emit and aborts
with ``Fatal Python error: bool_dealloc`` after about a thousand emits -- a few seconds
of dragging a trim handle. The run happens in a subprocess so a crash fails this test
instead of killing the whole suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtWidgets import QApplication
    import pyqtgraph as pg

    app = QApplication([])
    plot = pg.PlotWidget()
    region = pg.LinearRegionItem(values=(0.0, 1.0))
    plot.addItem(region)
    seen = [0]
    region.sigRegionChanged.connect(lambda *_: seen.__setitem__(0, seen[0] + 1))
    plot.resize(400, 200)
    plot.show()
    for i in range(20_000):
        region.setRegion((i % 100 / 1000.0, 1.0 + i % 7 / 100.0))
        if i % 50 == 0:
            app.processEvents()
    app.processEvents()
    print("emits", seen[0])
    """
)


def test_twenty_thousand_set_region_calls_exit_cleanly() -> None:
    """20,000 setRegion calls with events processed must end with exit code 0."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, env=env
    )
    assert proc.returncode == 0, f"crashed ({proc.returncode}): {proc.stderr[-2000:]}"
    emits = int(proc.stdout.split()[-1])
    assert emits >= 19_000, f"setRegion did not emit as expected: {emits}"
    assert "bool_dealloc" not in proc.stderr
