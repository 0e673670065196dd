"""Audio loading, min/max peak pyramids and sample reads (no Qt).

The app reaches it through ``pvc_sample_editor.audio.document``: an ``AudioDocument``
opens a :class:`SampleReader` and gets a :class:`PeakPyramid` from :func:`load_pyramid`
on a worker thread (filled progressively, cached on disk); its ``envelope()`` draws the
pyramid for the visible range and switches to the reader's samples (through
:func:`sample_envelope`) when the view is zoomed in past the finest level.
"""

from pvc_sample_editor.audio.errors import AudioFileChangedError, AudioLoadError, LoadCancelled
from pvc_sample_editor.audio.loader import load_pyramid
from pvc_sample_editor.audio.peaks import BUCKET_SIZES, PeakPyramid, sample_envelope
from pvc_sample_editor.audio.source import AudioInfo, SampleReader, probe

__all__ = [
    "BUCKET_SIZES",
    "AudioFileChangedError",
    "AudioInfo",
    "AudioLoadError",
    "LoadCancelled",
    "PeakPyramid",
    "SampleReader",
    "load_pyramid",
    "probe",
    "sample_envelope",
]
