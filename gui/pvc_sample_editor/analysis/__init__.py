"""Audio insight with no Qt: a quality report per region, speech detection, trim hints.

:func:`analyse_file` streams one region of a file once and returns a frozen
:class:`Report`: RMS, true peak, integrated loudness, noise floor, SNR, clipping, DC
offset, speech ratio, long pauses, suggested trims, and a :class:`Finding` (verdict and
what to do) per figure. ``pvc-sample-editor check`` prints it; the editor can run it in
the background (``should_stop``, ``on_progress`` with partial reports).
"""

from pvc_sample_editor.analysis.report import Finding, Limits, Report, Verdict
from pvc_sample_editor.analysis.scan import (
    Analyser,
    AnalysisCancelled,
    AnalysisOptions,
    analyse_file,
    analyse_samples,
)

__all__ = [
    "Analyser",
    "AnalysisCancelled",
    "AnalysisOptions",
    "Finding",
    "Limits",
    "Report",
    "Verdict",
    "analyse_file",
    "analyse_samples",
]
