"""The official SDK, pointed at the emulator, sees what the app uploaded.

The ``elevenlabs`` package (test extra only) reads the voice the app's client filled:
the same samples, names, sizes and durations, and the training state once started.
Offline: the SDK takes the emulator's loopback address as its ``base_url``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile as sf
from elevenlabs import ElevenLabs
from noise_audio import noise_wav

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.editing.upload_checks import inspect_file
from pvc_sample_editor.editing.upload_journal import UploadJournal, run_batch
from pvc_sample_editor.emulator.training import TrainingSettings


def test_the_sdk_sees_the_uploaded_samples_with_their_durations(
    emulator: Any, tmp_path: Path
) -> None:
    files = [
        noise_wav(tmp_path / "first take.wav", 7.25, seed=1, rate=44_100),
        noise_wav(tmp_path / "second.wav", 3.5, seed=2, rate=16_000),
    ]
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        voice_id = client.create_voice("Seen by the SDK", "en")
        journal = UploadJournal(tmp_path / "journal")
        batch = journal.begin(client.base_url, voice_id, [inspect_file(f) for f in files])
        outcome = run_batch(client, journal, batch)
        assert outcome.batch.finished
        emulator.api.training = TrainingSettings(seconds=600, min_dataset_seconds=0)
        client.train_voice(voice_id)

    # The SDK's own connection pool would be left open (a ResourceWarning): lend it one.
    with httpx.Client(timeout=30) as http:
        sdk = ElevenLabs(api_key=emulator.api_key, base_url=emulator.base_url, httpx_client=http)
        voice = sdk.voices.get(voice_id)
    assert voice.name == "Seen by the SDK"
    assert voice.samples is not None
    seen = {s.sample_id: s for s in voice.samples}
    assert set(seen) == {e.sample_id for e in outcome.batch.entries}
    for entry, path in zip(outcome.batch.entries, files, strict=True):
        sample = seen[entry.sample_id]
        info = sf.info(str(path))
        assert sample.file_name == path.name
        assert sample.size_bytes == path.stat().st_size
        assert sample.duration_secs == pytest.approx(info.frames / info.samplerate, abs=0.001)
    assert voice.fine_tuning is not None
    assert voice.fine_tuning.state == {"eleven_multilingual_v2": "queued"}
    assert voice.fine_tuning.dataset_duration_seconds == pytest.approx(7.25 + 3.5, abs=0.002)
