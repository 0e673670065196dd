"""Numbers past what the editor can hold are refused or set aside at the boundary, in words.

Qt keeps milliseconds in a C int (about 24.8 days): a larger figure from a server or a
file once reached a widget and crashed the window with an OverflowError.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.api.models import Sample
from pvc_sample_editor.audio.document import load_audio_document
from pvc_sample_editor.audio.errors import AudioLoadError
from pvc_sample_editor.editing.edit import edit_from_sample
from pvc_sample_editor.timecode import MAX_MS

BASE = {"sample_id": "s", "file_name": "take.wav", "duration_secs": 12.5}


@pytest.mark.parametrize("key", ["trim_start", "trim_end"])
@pytest.mark.parametrize("value", [10**12, MAX_MS + 1, -1, 2**64])
def test_a_trim_no_audio_can_have_is_read_as_the_edge_and_said(key: str, value: int) -> None:
    sample = Sample.from_json({**BASE, key: value})
    assert getattr(sample, key) is None
    assert len(sample.notes) == 1
    assert f"({value} ms) cannot be right" in sample.notes[0]
    edit = edit_from_sample(sample)
    assert (edit.trim_start_ms, edit.trim_end_ms) == (0, 12_500)


def test_trims_inside_the_range_are_kept_without_a_note() -> None:
    sample = Sample.from_json({**BASE, "trim_start": 0, "trim_end": MAX_MS})
    assert (sample.trim_start, sample.trim_end, sample.notes) == (0, MAX_MS, ())


def test_a_small_file_claiming_weeks_is_refused_with_its_reason(tmp_path: Path) -> None:
    """3 MB of 8-bit samples at 1 Hz: a valid WAV that would last 35 days."""
    path = tmp_path / "one hertz.wav"
    sf.write(path, np.zeros(3_000_000, dtype=np.float32), 1, subtype="PCM_U8")
    with pytest.raises(AudioLoadError) as caught:
        load_audio_document(path)
    message = str(caught.value)
    assert message.startswith("one hertz.wav says it lasts 35 days (3,000,000 samples at 1 Hz)")
    assert "convert it to WAV or FLAC" in message
