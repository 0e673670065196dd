"""Deleting a sample and deciding whether the voice may train (Qt-free helpers)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from noise_audio import noise_wav

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.api.errors import ServerError
from pvc_sample_editor.api.models import Sample, Voice
from pvc_sample_editor.api.training import FineTuning, ModelTraining, TrainingState
from pvc_sample_editor.editing.drafts import Draft, DraftKey, DraftStore
from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.voice_actions import (
    delete_sample,
    deletion_question,
    poll_delays,
    train_readiness,
    training_line,
)
from pvc_sample_editor.editing.voice_summary import summarise_voice


def test_delete_takes_the_draft_only_once_the_server_agreed(emulator: Any, tmp_path: Path) -> None:
    drafts = DraftStore(tmp_path / "drafts")
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        voice_id = client.create_voice("Deletes", "en")
        (sample,) = client.add_samples(voice_id, [noise_wav(tmp_path / "gone.wav", 90)])
        ref = SampleRef(voice_id, sample.sample_id)
        key = DraftKey.for_sample(ref)
        drafts.save(Draft(key, SampleEdit(1000, 61_000, False, "gone.wav")))
        row = summarise_voice(client.get_voice(voice_id), drafts).samples[0]
        question = deletion_question(row)
        assert "“gone.wav”" in question
        assert "1:30" in question  # its duration
        assert "1.0 min kept" in question  # the draft's 60 s
        assert "unsent edits" in question
        assert "cannot undo" in question
        emulator.faults.inject("delete_pvc_voice_sample", status=500, count=3)
        with pytest.raises(ServerError):
            delete_sample(client, drafts, ref)
        assert drafts.load(key) is not None
        assert client.get_voice(voice_id).samples != ()
        emulator.faults.clear()
        delete_sample(client, drafts, ref)
        assert drafts.load(key) is None
        assert client.get_voice(voice_id).samples == ()


def _voice(minutes: list[float], tuning: FineTuning | None = None) -> Voice:
    samples = tuple(
        Sample(f"s{i}", f"take{i}.wav", duration_secs=m * 60) for i, m in enumerate(minutes)
    )
    return Voice("v", "Voice", "professional", samples=samples, fine_tuning=tuning)


def test_train_is_enabled_by_the_saved_minutes_and_says_why_not(tmp_path: Path) -> None:
    drafts = DraftStore(tmp_path)
    short = train_readiness(summarise_voice(_voice([10, 12.5]), drafts))
    assert not short.enabled
    assert "7.5 min more are needed" in short.reason
    ready = train_readiness(summarise_voice(_voice([20, 10.5]), drafts))
    assert ready.enabled
    assert ready.unsent == ()
    # An unsent trim does not count toward the minimum, and is offered for sending.
    key = DraftKey.for_sample(SampleRef("v", "s0"))
    drafts.save(Draft(key, SampleEdit(0, 10 * 60_000, False, "take0.wav")))
    pending = train_readiness(summarise_voice(_voice([20, 10.5]), drafts))
    assert pending.enabled
    assert [r.sample.sample_id for r in pending.unsent] == ["s0"]
    assert "1 sample has edits not sent yet" in pending.reason
    busy = FineTuning(True, (ModelTraining("m", TrainingState.FINE_TUNING, 0.4),))
    training = train_readiness(summarise_voice(_voice([40], busy)))
    assert (training.enabled, training.reason) == (False, "The voice is already training.")


def test_the_header_line_names_each_model_state() -> None:
    tuning = FineTuning(
        True,
        (
            ModelTraining("eleven_multilingual_v2", TrainingState.FINE_TUNING, 0.45),
            ModelTraining("eleven_turbo_v2", TrainingState.FINE_TUNED, 1.0),
            ModelTraining("future_model", "warming_up"),
        ),
    )
    line = training_line(_voice([40], tuning))
    assert line == (
        "eleven_multilingual_v2: training 45%; eleven_turbo_v2: trained; "
        "future_model: state “warming_up”"
    )
    assert training_line(_voice([40])) == ""


def test_polls_back_off_to_a_ceiling() -> None:
    delays = list(itertools.islice(poll_delays(), 8))
    assert delays[0] == 1.0
    assert delays == sorted(delays)
    assert delays[-1] == 15.0
