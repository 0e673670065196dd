"""The demo voice is a workspace: the interview plus generated samples of different lengths.

And a voice may hold hundreds of samples: the spec lists a voice's samples whole in
``GET /v1/voices/{voice_id}`` (no paging or sorting parameters for samples), so the
emulator returns all of them, in upload order, quickly.
"""

from __future__ import annotations

import base64
import io
import json
import time
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from conftest import EmulatorHttp
from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.emulator.demo import (
    DEMO_EXTRA_SAMPLES,
    DEMO_SAMPLE_ID,
    DEMO_VOICE_ID,
)
from pvc_sample_editor.emulator.demo_audio import RATE, Recording, render
from pvc_sample_editor.emulator.segmentation import segment

VOICE = f"/v1/voices/{DEMO_VOICE_ID}"
PVC = f"/v1/voices/pvc/{DEMO_VOICE_ID}"


def stored_audio(emulator: Any, sample_id: str) -> np.ndarray:
    [path] = [
        p
        for p in (emulator.data_dir / "audio").iterdir()
        if p.name.startswith(sample_id) and not p.name.endswith(".json")
    ]
    data, rate = sf.read(str(path), dtype="float32")
    assert rate == RATE
    return np.asarray(data)


def test_demo_voice_holds_the_interview_and_four_generated_samples(http: EmulatorHttp) -> None:
    samples = http.get(VOICE).json()["samples"]
    assert [s["sample_id"] for s in samples] == [
        DEMO_SAMPLE_ID,
        *(g.sample_id for g in DEMO_EXTRA_SAMPLES),
    ]
    generated = samples[1:]
    minutes = [s["duration_secs"] / 60 for s in generated]
    assert minutes == pytest.approx([2, 5, 9, 14], abs=0.25)
    assert all(s["mime_type"] == "audio/flac" for s in generated)
    assert all(s["file_name"].endswith(".flac") and " " in s["file_name"] for s in generated)
    assert len({s["file_name"] for s in samples}) == len(samples)
    warmup, podcast, chapter_1, chapter_2 = generated
    assert (warmup["trim_start"], warmup["trim_end"]) == (2400, None)
    assert (chapter_1["trim_start"], chapter_1["trim_end"]) == (
        3150,
        round(chapter_1["duration_secs"] * 1000) - 8420,
    )
    assert chapter_2["remove_background_noise"] is True
    separation = podcast["speaker_separation"]
    assert separation["status"] == "completed"
    assert sorted(separation["speakers"]) == ["speaker_0", "speaker_1"]
    assert separation["selected_speaker_ids"] == ["speaker_0"]
    for untouched in (warmup, chapter_1, chapter_2):
        assert untouched["speaker_separation"]["status"] == "not_started"


def test_generated_samples_decode_whole_and_speak_where_their_sidecar_says(
    emulator: Any, http: EmulatorHttp
) -> None:
    by_id = {s["sample_id"]: s for s in http.get(VOICE).json()["samples"]}
    for generated in DEMO_EXTRA_SAMPLES:
        audio = stored_audio(emulator, generated.sample_id)
        assert audio.size == generated.recording.duration_ms * RATE // 1000
        assert by_id[generated.sample_id]["duration_secs"] == audio.size / RATE
        speech = np.zeros(audio.size, bool)
        for spans in render(generated.recording).utterances_ms.values():
            for start, end in spans:
                speech[start * RATE // 1000 : end * RATE // 1000] = True
        # Silence between sentences is digital silence; every sentence is loud.
        assert not np.any(audio[~speech])
        assert float(np.sqrt(np.mean(audio[speech] ** 2))) > 0.05
        assert 0.5 < speech.mean() < 0.95  # speech-like: mostly talk, with pauses
    # The server's 30-second preview of a generated sample is audio too.
    clip = http.get(f"{PVC}/samples/{DEMO_EXTRA_SAMPLES[3].sample_id}/audio").json()
    preview, rate = sf.read(io.BytesIO(base64.b64decode(clip["audio_base_64"])))
    assert (rate, len(preview)) == (RATE, 30 * RATE)


def test_the_sidecar_agrees_with_the_emulators_own_segmentation(emulator: Any) -> None:
    # An independent reading of the same audio: the energy and pitch segmentation that
    # separates uploads finds the sidecar's sentences and its two speakers.
    podcast = DEMO_EXTRA_SAMPLES[1]
    phrase_frames = podcast.recording.phrase_ms * RATE // 1000
    audio = stored_audio(emulator, podcast.sample_id)[:phrase_frames].astype(np.float64)
    found = {s.speaker_id: s.utterances for s in segment(audio, RATE)}
    truth = render(podcast.recording).utterances_ms
    assert sorted(found) == sorted(truth)
    for speaker_id, spans in found.items():
        expected = [
            (a / 1000, b / 1000) for a, b in truth[speaker_id] if b <= podcast.recording.phrase_ms
        ]
        assert len(spans) == len(expected)
        for (start, end), (true_start, true_end) in zip(spans, expected, strict=True):
            assert start == pytest.approx(true_start, abs=0.06)
            assert end == pytest.approx(true_end, abs=0.06)


def test_separating_a_generated_sample_gives_its_sidecar_speakers(
    http: EmulatorHttp,
) -> None:
    warmup = DEMO_EXTRA_SAMPLES[0]
    body = http.separate(f"{PVC}/samples/{warmup.sample_id}")
    assert body["status"] == "completed"
    [(speaker_id, speaker)] = body["speakers"].items()
    truth = render(warmup.recording).utterances_ms[speaker_id]
    assert [(u["start"], u["end"]) for u in speaker["utterances"]] == [
        (a / 1000, b / 1000) for a, b in truth
    ]


def test_generation_is_deterministic() -> None:
    recording = Recording("x.flac", 12_000, 2, (120.0, 200.0), seed=11)
    first = render(recording)
    second = render.__wrapped__(recording)  # past the cache
    assert first is not second
    assert (first.flac, first.sidecar) == (second.flac, second.sidecar)
    sidecar = json.loads(first.sidecar)
    assert [s["speaker_id"] for s in sidecar["speakers"]] == ["speaker_0", "speaker_1"]


def test_a_voice_holds_300_samples_listed_whole_in_upload_order(
    emulator: Any, http: EmulatorHttp
) -> None:
    voice_id = http.post("/v1/voices/pvc", json={"name": "Big", "language": "en"}).json()[
        "voice_id"
    ]
    names = [f"take {n:03d}.wav" for n in range(300)]
    files = []
    for n, name in enumerate(names):
        buffer = io.BytesIO()
        tone = 0.2 * np.sin(2 * np.pi * 150 * np.arange(800 + n) / 8000)
        sf.write(buffer, tone, 8000, format="WAV", subtype="PCM_16")
        files.append(("files", (name, buffer.getvalue(), "audio/wav")))
    # Three uploads of a hundred, as a person adding a folder would.
    for batch in range(3):
        posted = http.post(
            f"/v1/voices/pvc/{voice_id}/samples", files=files[batch * 100 : (batch + 1) * 100]
        )
        assert posted.status_code == 200, posted.text
    started = time.perf_counter()
    listed = http.get(f"/v1/voices/{voice_id}", check=False).json()["samples"]
    elapsed = time.perf_counter() - started
    assert [s["file_name"] for s in listed] == names
    assert [s["duration_secs"] for s in listed] == [round((800 + n) / 8000, 3) for n in range(300)]
    assert elapsed < 1.0, f"listing 300 samples took {elapsed:.3f} s"
    # The real client reads them all, and edits and deletes in the middle land.
    middle = listed[150]["sample_id"]
    http.post(f"/v1/voices/pvc/{voice_id}/samples/{middle}", json={"trim_start_time": 20})
    http.delete(f"/v1/voices/pvc/{voice_id}/samples/{listed[10]['sample_id']}")
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        voice = client.get_voice(voice_id)
    assert len(voice.samples) == 299
    assert voice.samples[10].file_name == names[11]
    edited = voice.sample(middle)
    assert edited is not None
    assert edited.trim_start == 20
