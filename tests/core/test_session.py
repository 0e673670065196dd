"""The edit session: how server news (a separation completing) meets the user's edit."""

from __future__ import annotations

from pvc_sample_editor.api.models import Sample, SeparationStatus, Speaker, SpeakerSeparation
from pvc_sample_editor.editing.session import EditSession, SampleRef

SPEAKERS = (Speaker("speaker_0", 12.0), Speaker("speaker_1", 8.0))


def _completed(selected: tuple[str, ...] | None = None) -> SpeakerSeparation:
    return SpeakerSeparation(
        "v", "s", SeparationStatus.COMPLETED, speakers=SPEAKERS, selected_speaker_ids=selected
    )


def _session() -> EditSession:
    """A sample read without its separation (the server left it out of the voice)."""
    sample = Sample(sample_id="s", file_name="take.wav", duration_secs=30.0)
    return EditSession(ref=SampleRef("v", "s"), sample=sample, local_duration_ms=None)


def test_a_fresh_completion_selects_the_servers_choice_or_every_speaker() -> None:
    session = _session()
    session.set_separation(_completed())
    assert session.edit.selected_speaker_ids == ("speaker_0", "speaker_1")
    assert session.baseline.selected_speaker_ids == ("speaker_0", "speaker_1")
    other = _session()
    other.set_separation(_completed(("speaker_1",)))
    assert other.edit.selected_speaker_ids == ("speaker_1",)


def test_a_restored_selection_survives_the_separation_arriving_after_it() -> None:
    """A draft keeping only speaker_1 is restored before the speakers are read; their
    arrival must not replace the user's choice with "every speaker"."""
    session = _session()
    session.set_edit(session.edit.with_speakers(["speaker_1"]))  # the restored draft
    session.set_separation(_completed())
    assert session.edit.selected_speaker_ids == ("speaker_1",)
    assert session.baseline.selected_speaker_ids == ("speaker_0", "speaker_1")
    assert session.dirty


def test_a_selection_naming_speakers_not_found_gets_the_default() -> None:
    session = _session()
    session.set_edit(session.edit.with_speakers(["speaker_7"]))
    session.set_separation(_completed())
    assert session.edit.selected_speaker_ids == ("speaker_0", "speaker_1")
