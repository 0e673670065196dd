"""Audio loading, min/max peak pyramids and sample reads (no Qt).

The UI uses :func:`load_pyramid` on a worker thread to get a :class:`PeakPyramid`
(filled progressively, cached on disk), draws ``PeakPyramid.envelope()`` for the visible
range, and switches to :class:`SampleReader` samples (through :func:`sample_envelope`)
when ``PeakPyramid.needs_samples()`` says the view is zoomed in past the finest level.
"""

from pvc_sample_editor.audio.errors import AudioLoadError, LoadCancelled
from pvc_sample_editor.audio.loader import load_pyramid
from pvc_sample_editor.audio.peaks import BUCKET_SIZES, PeakPyramid, sample_envelope
from pvc_sample_editor.audio.source import AudioInfo, SampleReader, probe

__all__ = [
    "BUCKET_SIZES",
    "AudioInfo",
    "AudioLoadError",
    "LoadCancelled",
    "PeakPyramid",
    "SampleReader",
    "load_pyramid",
    "probe",
    "sample_envelope",
]
