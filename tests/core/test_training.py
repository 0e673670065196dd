"""Training a voice: the emulator's states and checks, read back through the typed client.

The emulator's clock is the test's (``Api.clock``), so the states are checked at
chosen instants rather than raced against.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.api.client import KEEP, ApiClient
from pvc_sample_editor.api.errors import ClientRequestError
from pvc_sample_editor.api.models import SampleEditRequest
from pvc_sample_editor.api.training import DEFAULT_MODEL_ID, RecordingQuality, TrainingState
from pvc_sample_editor.emulator.store import SampleRecord
from pvc_sample_editor.emulator.training import TrainingSettings, kept_spans

RATE = 16_000


class Clock:
    """The emulator's time, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(emulator: Any) -> Clock:
    clock = Clock()
    emulator.api.clock = clock
    emulator.api.training = TrainingSettings(seconds=10.0, min_dataset_seconds=20.0)
    return clock


@pytest.fixture
def client(emulator: Any) -> Iterator[ApiClient]:
    with ApiClient(emulator.base_url, emulator.api_key) as api:
        yield api


def _speech(path: Path, secs: float, noise_dbfs: float, seed: int = 0) -> Path:
    """Half-second tone bursts every second over a noise floor at ``noise_dbfs`` (RMS)."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(secs * RATE)) / RATE
    bursts = (t % 1.0 < 0.5) * 0.3 * np.sin(2 * np.pi * 180 * t)
    noise = 10 ** (noise_dbfs / 20) * rng.standard_normal(t.size)
    sf.write(path, (bursts + noise).astype(np.float32), RATE, subtype="PCM_24")
    return path


def test_training_moves_through_its_states_on_enough_kept_audio(
    client: ApiClient, clock: Clock, tmp_path: Path
) -> None:
    voice_id = client.create_voice("Trainee", "en")
    a, b = (_speech(tmp_path / f"{n}.wav", 12, -65, seed=i) for i, n in enumerate("ab"))
    added = client.add_samples(voice_id, [a, b])
    # 24 s uploaded, 14 s kept: under the 20 s this emulator asks for.
    client.edit_sample(voice_id, added[1].sample_id, SampleEditRequest(0, 2000, False, "b.wav"))
    with pytest.raises(ClientRequestError, match=r"14\.0 seconds|0\.2 minutes") as refused:
        client.train_voice(voice_id)
    assert refused.value.status == 400
    assert "training needs at least" in str(refused.value)
    assert client.get_voice(voice_id).fine_tuning.models == ()  # type: ignore[union-attr]

    client.edit_sample(
        voice_id, added[1].sample_id, SampleEditRequest(1000, 10_500, False, "b.wav")
    )
    assert client.train_voice(voice_id) == "ok"
    seen = []
    for step in range(12):
        voice = client.get_voice(voice_id)
        tuning = voice.fine_tuning
        assert tuning is not None
        model = tuning.model(DEFAULT_MODEL_ID)
        assert model is not None
        seen.append((model.state, model.progress))
        assert tuning.dataset_duration_seconds == pytest.approx(12 + 9.5)
        assert tuning.changing is (model.state is not TrainingState.FINE_TUNED)
        assert model.message
        if step == 3:
            assert client.train_voice(voice_id) == "ok"  # while training: changes nothing
        clock.now += 1.0
    states = [s for s, _ in seen]
    assert states[0] is TrainingState.QUEUED
    assert TrainingState.FINE_TUNING in states
    assert states[-1] is TrainingState.FINE_TUNED
    first = states.index(TrainingState.FINE_TUNING)
    last = len(states) - 1 - states[::-1].index(TrainingState.FINE_TUNING)
    assert states[first : last + 1] == [TrainingState.FINE_TUNING] * (last - first + 1)
    progress = [p for s, p in seen if s is TrainingState.FINE_TUNING]
    assert progress == sorted(progress)
    assert progress[-1] > progress[0]
    assert seen[-1][1] == 1.0


@pytest.mark.parametrize(
    ("noise_dbfs", "quality"), [(-75.0, RecordingQuality.STUDIO), (-35.0, RecordingQuality.BAD)]
)
def test_recording_quality_follows_the_noise_floor(
    client: ApiClient, clock: Clock, tmp_path: Path, noise_dbfs: float, quality: RecordingQuality
) -> None:
    voice_id = client.create_voice("Quality", "en")
    client.add_samples(voice_id, [_speech(tmp_path / "take.wav", 25, noise_dbfs)])
    before = client.get_voice(voice_id)
    assert (before.recording_quality, before.recording_quality_reason) == (None, None)
    client.train_voice(voice_id)
    voice = client.get_voice(voice_id)
    assert voice.recording_quality is quality
    assert voice.recording_quality_reason is not None
    assert f"{noise_dbfs:.0f} dBFS" in voice.recording_quality_reason
    assert voice.verification is not None
    assert not voice.verification.needs_action


def test_update_voice_changes_only_what_is_given(client: ApiClient, clock: Clock) -> None:
    voice_id = client.create_voice("Before", "en", description="first")
    client.update_voice(voice_id, labels={"accent": "irish", "age": "old"})
    voice = client.get_voice(voice_id)
    assert (voice.name, voice.description) == ("Before", "first")
    assert voice.labels == (("accent", "irish"), ("age", "old"))
    client.update_voice(voice_id, name="After", description=KEEP)
    assert client.get_voice(voice_id).description == "first"
    client.update_voice(voice_id, description=None, labels=None)
    voice = client.get_voice(voice_id)
    assert (voice.name, voice.description, voice.labels) == ("After", None, ())


def _record(**changes: Any) -> SampleRecord:
    base: dict[str, Any] = {
        "sample_id": "s",
        "voice_id": "v",
        "file_name": "f.wav",
        "mime_type": "audio/wav",
        "size_bytes": 1,
        "hash": "h",
        "duration_secs": 60.0,
        "audio_file": "s.wav",
        "remove_background_noise": False,
        "trim_start": None,
        "trim_end": None,
        "separation_started_at": None,
        "separation_result": None,
        "selected_speaker_ids": None,
    }
    return SampleRecord(**{**base, **changes})


def test_kept_audio_is_the_trimmed_selected_speech() -> None:
    speakers = {"speaker_0": [(1.0, 5.0), (20.0, 30.0)], "speaker_1": [(4.0, 8.0), (50.0, 55.0)]}
    assert kept_spans(_record(trim_start=2000, trim_end=52_000), None) == [(2.0, 52.0)]
    chosen = _record(
        trim_start=2000, trim_end=52_000, selected_speaker_ids=["speaker_0", "speaker_1"]
    )
    assert kept_spans(chosen, speakers) == [(2.0, 8.0), (20.0, 30.0), (50.0, 52.0)]
    one = _record(selected_speaker_ids=["speaker_1"])
    assert kept_spans(one, speakers) == [(4.0, 8.0), (50.0, 55.0)]
    assert kept_spans(_record(trim_start=5000, trim_end=5000), speakers) == []
