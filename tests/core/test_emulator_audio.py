"""Uploads, the waveform, audio previews, speaker audio and the speaker segmentation."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from conftest import (
    TWO_VOICE_DURATION,
    TWO_VOICE_RATE,
    EmulatorHttp,
    two_voice_signal,
)
from pvc_sample_editor.emulator.audio import load_mono, visual_waveform
from pvc_sample_editor.emulator.demo import (
    DEMO_EXTRA_SAMPLES,
    DEMO_SAMPLE_ID,
    DEMO_VOICE_ID,
    find_demo_audio,
)
from pvc_sample_editor.emulator.multipart import MultipartError, parse_multipart
from pvc_sample_editor.emulator.segmentation import SidecarError, load_sidecar, segment

PVC = f"/v1/voices/pvc/{DEMO_VOICE_ID}"
SAMPLE = f"{PVC}/samples/{DEMO_SAMPLE_ID}"


def decode(body: dict[str, Any]) -> tuple[np.ndarray, int]:
    """The audio of an ``audio_base_64`` response, as float samples and rate."""
    data, rate = sf.read(io.BytesIO(base64.b64decode(body["audio_base_64"])), always_2d=True)
    return data, int(rate)


def upload(http: EmulatorHttp, *files: tuple[str, bytes], noise: str | None = None) -> Any:
    """POST files as multipart ``files`` parts."""
    data = {} if noise is None else {"remove_background_noise": noise}
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    return http.post(f"{PVC}/samples", files=parts, data=data)


# ---------------------------------------------------------------- uploads


def test_upload_stores_real_metadata(
    http: EmulatorHttp, make_audio: Callable[..., Path], emulator: Any
) -> None:
    wav = make_audio("take one.wav").read_bytes()
    flac = make_audio("take2.flac").read_bytes()
    response = upload(http, ("C:\\rec\\take one.wav", wav), ("take2.flac", flac), noise="true")
    assert response.status_code == 200
    first, second = response.json()
    assert (first["file_name"], first["mime_type"]) == ("take one.wav", "audio/wav")
    assert (second["file_name"], second["mime_type"]) == ("take2.flac", "audio/flac")
    assert first["size_bytes"] == len(wav)
    assert first["hash"] == hashlib.sha256(wav).hexdigest()
    assert second["hash"] == hashlib.sha256(flac).hexdigest()
    assert first["duration_secs"] == pytest.approx(TWO_VOICE_DURATION, abs=0.001)
    assert first["remove_background_noise"] is True
    assert (first["trim_start"], first["trim_end"]) == (None, None)
    assert first["speaker_separation"]["status"] == "not_started"
    voice = http.get(f"/v1/voices/{DEMO_VOICE_ID}").json()
    assert [s["sample_id"] for s in voice["samples"]][1 + len(DEMO_EXTRA_SAMPLES) :] == [
        first["sample_id"],
        second["sample_id"],
    ]
    stored = list((emulator.data_dir / "audio").iterdir())
    assert any(p.name.startswith(first["sample_id"]) for p in stored)


def test_unreadable_upload_is_422_and_stores_nothing(
    http: EmulatorHttp, make_audio: Callable[..., Path], emulator: Any
) -> None:
    before = http.get(f"/v1/voices/{DEMO_VOICE_ID}").json()["samples"]
    files_before = sorted((emulator.data_dir / "audio").iterdir())
    good = make_audio("good.wav").read_bytes()
    response = upload(http, ("good.wav", good), ("notes.mp3", b"this is not audio at all"))
    assert response.status_code == 422
    [entry] = response.json()["detail"]
    assert entry["loc"] == ["body", "files", 1]
    assert entry["type"] == "value_error"
    assert "notes.mp3" in entry["msg"]
    assert "not a readable audio file" in entry["msg"]
    assert http.get(f"/v1/voices/{DEMO_VOICE_ID}").json()["samples"] == before
    assert sorted((emulator.data_dir / "audio").iterdir()) == files_before


def test_upload_without_files_is_422(http: EmulatorHttp) -> None:
    response = http.post(f"{PVC}/samples", files={"remove_background_noise": (None, "false")})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "files"]
    assert http.post(f"{PVC}/samples", json={"files": []}).status_code == 422


def test_delete_removes_the_sample_and_its_files(http: EmulatorHttp, emulator: Any) -> None:
    others = {s.sample_id for s in DEMO_EXTRA_SAMPLES}
    assert http.delete(SAMPLE).json() == {"status": "ok"}
    remaining = http.get(f"/v1/voices/{DEMO_VOICE_ID}").json()["samples"]
    assert {s["sample_id"] for s in remaining} == others
    assert http.get(f"{SAMPLE}/waveform").status_code == 404
    stored = {p.name.split(".")[0] for p in (emulator.data_dir / "audio").iterdir()}
    assert stored == others, "the sample's audio and its sidecar are gone, the rest stay"
    assert http.delete(SAMPLE).status_code == 404


def test_uploaded_sample_is_separated_by_segmentation(
    http: EmulatorHttp, make_audio: Callable[..., Path]
) -> None:
    [sample] = upload(http, ("talk.wav", make_audio("talk.wav").read_bytes())).json()
    body = http.separate(f"{PVC}/samples/{sample['sample_id']}")
    assert body["status"] == "completed"
    got = {
        k: [(u["start"], u["end"]) for u in v["utterances"]] for k, v in body["speakers"].items()
    }
    assert got == {"speaker_0": [(0.5, 1.7), (3.7, 4.5)], "speaker_1": [(2.2, 3.2)]}
    assert body["speakers"]["speaker_0"]["duration_secs"] == pytest.approx(2.0)


def test_separation_of_silence_fails(http: EmulatorHttp, make_audio: Callable[..., Path]) -> None:
    silence = make_audio("quiet.wav", np.zeros(TWO_VOICE_RATE, dtype=np.float32))
    [sample] = upload(http, ("quiet.wav", silence.read_bytes())).json()
    path = f"{PVC}/samples/{sample['sample_id']}"
    body = http.separate(path)
    assert (body["status"], body["speakers"]) == ("failed", None)
    # After failed, a new POST starts over (and fails again, deterministically).
    http.post(f"{path}/separate-speakers")
    assert http.get(f"{path}/speakers").json()["status"] == "pending"


# ---------------------------------------------------------------- waveform


def test_waveform_is_the_peak_of_each_100_ms(
    http: EmulatorHttp, make_audio: Callable[..., Path]
) -> None:
    rate = 8000
    # 1.25 s: window k holds a constant level k/20, so each peak is known exactly.
    levels = np.repeat(np.arange(13) / 20, rate // 10)[: int(1.25 * rate)]
    signs = np.where(np.arange(levels.size) % 2, -1.0, 1.0)
    path = make_audio("steps.wav", (levels * signs).astype(np.float32), rate)
    [sample] = upload(http, ("steps.wav", path.read_bytes())).json()
    body = http.get(f"{PVC}/samples/{sample['sample_id']}/waveform").json()
    assert body["sample_id"] == sample["sample_id"]
    assert len(body["visual_waveform"]) == math.ceil(1.25 * 10) == 13
    assert body["visual_waveform"] == pytest.approx([k / 20 for k in range(13)], abs=1e-4)


def test_waveform_of_a_long_stereo_file_is_each_windows_peak(tmp_path: Path) -> None:
    # Longer than one read block (256 windows), stereo, a short last window: every
    # value is the loudest sample of either channel in its 100 ms, as numpy says.
    rate = 8000
    data = np.random.default_rng(3).uniform(-1, 1, (int(61.23 * rate), 2)).astype(np.float32)
    data *= np.linspace(0.05, 0.9, data.shape[0], dtype=np.float32)[:, None]
    path = tmp_path / "long.wav"
    sf.write(str(path), data, rate, subtype="FLOAT")
    window = rate // 10
    expected = [
        round(float(np.abs(data[k : k + window]).max()), 4) for k in range(0, len(data), window)
    ]
    assert len(expected) == 613
    assert visual_waveform(path) == expected


def test_demo_waveform_length_follows_the_duration(http: EmulatorHttp) -> None:
    values = http.get(f"{SAMPLE}/waveform").json()["visual_waveform"]
    assert len(values) == math.ceil(38.657 * 10)
    assert all(0.0 <= v <= 1.0 for v in values)
    assert max(values) > 0.5, "speech peaks near -3 dBFS"
    assert values[0] < 0.05, "the demo starts with 1.5 s of room noise"


# ----------------------------------------------------------------- previews


def test_preview_is_the_first_30_seconds_as_wav(http: EmulatorHttp, emulator: Any) -> None:
    body = http.get(f"{SAMPLE}/audio").json()
    assert body["media_type"] == "audio/wav"
    assert (body["voice_id"], body["sample_id"]) == (DEMO_VOICE_ID, DEMO_SAMPLE_ID)
    assert body["duration_secs"] == 30.0
    preview, rate = decode(body)
    original, original_rate = sf.read(str(emulator.demo.audio_path), always_2d=True)
    assert rate == original_rate
    assert preview.shape == (30 * rate, 1)
    np.testing.assert_allclose(preview, original[: 30 * rate], atol=1 / 32768)


def test_preview_ignores_trims(http: EmulatorHttp) -> None:
    untrimmed = http.get(f"{SAMPLE}/audio").json()["audio_base_64"]
    http.post(SAMPLE, json={"trim_start_time": 5000, "trim_end_time": 9000})
    assert http.get(f"{SAMPLE}/audio").json()["audio_base_64"] == untrimmed


def test_short_sample_preview_is_the_whole_file(
    http: EmulatorHttp, make_audio: Callable[..., Path]
) -> None:
    [sample] = upload(http, ("short.wav", make_audio("short.wav").read_bytes())).json()
    body = http.get(f"{PVC}/samples/{sample['sample_id']}/audio").json()
    assert body["duration_secs"] == TWO_VOICE_DURATION
    data, _ = decode(body)
    np.testing.assert_allclose(data[:, 0], two_voice_signal(), atol=1 / 32768)


def test_noise_removal_preview_quietens_only_the_pauses(http: EmulatorHttp) -> None:
    plain, rate = decode(http.get(f"{SAMPLE}/audio").json())
    gated, _ = decode(
        http.get(f"{SAMPLE}/audio", params={"remove_background_noise": "true"}).json()
    )

    def level_db(x: np.ndarray) -> float:
        return float(20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-12))

    lead_in = slice(int(0.2 * rate), int(1.3 * rate))  # room noise before the first word
    speech = slice(int(2.0 * rate), int(5.0 * rate))  # inside speaker_0's first turn
    assert level_db(plain[lead_in]) - level_db(gated[lead_in]) > 15
    assert abs(level_db(plain[speech]) - level_db(gated[speech])) < 1
    assert http.get(f"{SAMPLE}/audio", params={"remove_background_noise": "x"}).status_code == 422


def test_speaker_audio_is_that_speakers_utterances(http: EmulatorHttp, emulator: Any) -> None:
    speakers = http.separate(SAMPLE)["speakers"]
    original, rate = sf.read(str(emulator.demo.audio_path))
    for speaker_id, speaker in speakers.items():
        body = http.get(f"{SAMPLE}/speakers/{speaker_id}/audio").json()
        assert body["media_type"] == "audio/wav"
        data, got_rate = decode(body)
        assert got_rate == rate
        expected = np.concatenate(
            [
                original[round(u["start"] * rate) : round(u["end"] * rate)]
                for u in speaker["utterances"]
            ]
        )
        np.testing.assert_allclose(data[:, 0], expected, atol=1 / 32768)
        assert body["duration_secs"] == pytest.approx(speaker["duration_secs"], abs=0.005)
    assert http.get(f"{SAMPLE}/speakers/speaker_7/audio").status_code == 404


# ------------------------------------------------------------- segmentation


def test_segmentation_of_the_demo_agrees_with_its_sidecar() -> None:
    audio = find_demo_audio()
    truth = {s.speaker_id: s.utterances for s in load_sidecar(Path(f"{audio}.speakers.json"))}
    found = segment(*load_mono(audio))
    assert [s.speaker_id for s in found] == ["speaker_0", "speaker_1"]
    for speaker in found:
        for start, end in speaker.utterances:
            middle = (start + end) / 2
            owners = [
                sid for sid, spans in truth.items() if any(a <= middle <= b for a, b in spans)
            ]
            assert owners == [speaker.speaker_id], (speaker.speaker_id, start, end)
    for speaker_id, spans in truth.items():
        total = sum(b - a for a, b in spans)
        mine = next(s for s in found if s.speaker_id == speaker_id).duration_secs
        assert mine == pytest.approx(total, rel=0.1)


def test_segmentation_is_deterministic_and_one_voice_is_one_speaker() -> None:
    signal = two_voice_signal().astype(np.float64)
    assert segment(signal, TWO_VOICE_RATE) == segment(signal.copy(), TWO_VOICE_RATE)
    t = np.arange(3 * TWO_VOICE_RATE) / TWO_VOICE_RATE
    one = 0.3 * np.sin(2 * np.pi * 150 * t) * ((t % 1.0) < 0.6)
    [speaker] = segment(one, TWO_VOICE_RATE)
    assert speaker.utterances == ((0.0, 0.6), (1.0, 1.6), (2.0, 2.6))
    assert segment(np.zeros(TWO_VOICE_RATE), TWO_VOICE_RATE) == ()


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"speakers": [{"speaker_id": "a"}]}),
        json.dumps({"speakers": [{"speaker_id": "a", "utterances": [{"start": 2, "end": 1}]}]}),
        json.dumps({"speakers": [{"speaker_id": "a", "utterances": []}] * 2}),
    ],
)
def test_a_malformed_sidecar_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.wav.speakers.json"
    path.write_text(content)
    with pytest.raises(SidecarError, match=r"x\.wav\.speakers\.json"):
        load_sidecar(path)


# ---------------------------------------------------------------- multipart


def test_multipart_keeps_binary_content_and_utf8_names() -> None:
    payload = b"\r\n--not-the-boundary\r\n\x00\xff\r\n\r\n"
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="files"; filename="na\xc3\xafve.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\n" + payload + b"\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="remove_background_noise"\r\n\r\n'
        b"true\r\n"
        b"--XyZ--\r\n"
    )
    files, flag = parse_multipart(body, 'multipart/form-data; boundary="XyZ"')
    assert (files.name, files.filename, files.content) == ("files", "naïve.wav", payload)
    assert (flag.name, flag.filename, flag.text()) == ("remove_background_noise", None, "true")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx",
            "multipart/form-data; boundary=b",
        ),
        (b"anything", "application/json"),
        (b"no boundary here", "multipart/form-data; boundary=b"),
        (b"--b\r\nX-Other: 1\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b"),
    ],
)
def test_malformed_multipart_is_refused(body: bytes, content_type: str) -> None:
    with pytest.raises(MultipartError):
        parse_multipart(body, content_type)
