"""UI-test settings: every TaskRunner must be idle when a test ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _no_busy_runners(qapp: object) -> Iterator[None]:
    """Fail a test that leaves background work running on any TaskRunner."""
    from pvc_sample_editor.ui.tasks import live_runners

    yield
    busy = live_runners()
    for runner in busy:
        runner.shutdown()
    assert not busy, f"test left busy task runners: {[r.name for r in busy]}"
