"""One rule for sample file names: the client's check, edits and uploads agree.

Uploads used to accept what the edit endpoint refused (a NUL, 5,000 characters,
``..``), so a sample could be created with a name it could never be saved under again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from conftest import EmulatorHttp
from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.api.file_names import MAX_FILE_NAME_BYTES, file_name_problem

BAD_NAMES = {
    "nul": "take\x00.wav",
    "5000 characters": "a" * 5000 + ".wav",
    "dot dot": "..",
    "dot": ".",
    "blank": "   ",
    "slash": "a/b.wav",
    "backslash": "a\\b.wav",
    "newline": "take\n.wav",
    "bidi override": "take\u202e.wav",
    "lone surrogate": "take\ud800.wav",
    "one byte too long": "é" * 127 + "ab",  # 256 bytes in UTF-8
}
GOOD_NAMES = ["take 1.wav", "Ünïcødé – 語.flac", "é" * 127 + "a", "..hidden.wav", "a..b.wav"]


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_the_rule_refuses_with_words(name: str) -> None:
    problem = file_name_problem(name)
    assert problem is not None
    assert problem.endswith(".")  # a sentence, not a dump
    assert len(problem) < 120


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_the_rule_accepts_ordinary_names(name: str) -> None:
    assert len(name.encode("utf-8")) <= MAX_FILE_NAME_BYTES
    assert file_name_problem(name) is None


def test_the_rule_refuses_what_is_not_text() -> None:
    assert file_name_problem(None) is not None
    assert file_name_problem(12) is not None


def _upload(http: EmulatorHttp, voice_id: str, name: str, wav: bytes) -> Any:
    """POST one file part named ``name`` (raw UTF-8 in the header, as browsers send)."""
    boundary = "xXboundaryXx"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: audio/flac\r\n\r\n"
    ).encode("utf-8", "surrogatepass")
    body = head + wav + f"\r\n--{boundary}--\r\n".encode()
    return http.post(
        f"/v1/voices/pvc/{voice_id}/samples",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


# A path is cut to its last part and a blank name replaced (browsers send both); a
# newline cannot travel inside a multipart header at all.
UPLOAD_BAD = {
    k: v for k, v in BAD_NAMES.items() if k not in ("slash", "backslash", "blank", "newline")
}


@pytest.mark.parametrize("name", UPLOAD_BAD.values(), ids=UPLOAD_BAD.keys())
def test_upload_and_edit_refuse_the_same_names(
    http: EmulatorHttp, emulator: Any, name: str
) -> None:
    """Both endpoints answer 422 at the field, and the upload stores nothing."""
    voice = emulator.demo.voice_id
    before = len(http.get(f"/v1/voices/{voice}").json()["samples"])
    upload = _upload(http, voice, name, emulator.demo.audio_path.read_bytes())
    assert upload.status_code == 422, upload.text
    [entry] = upload.json()["detail"]
    assert entry["loc"] == ["body", "files", 0]
    assert entry["msg"] == f"Value error, {file_name_problem(name)}"
    assert len(http.get(f"/v1/voices/{voice}").json()["samples"]) == before

    sample = f"/v1/voices/pvc/{voice}/samples/{emulator.demo.sample_id}"
    # ASCII JSON: a lone surrogate travels as the escape \\ud800, as a client would send it.
    body = json.dumps({"file_name": name})
    edit = http.post(sample, data=body, headers={"Content-Type": "application/json"})
    assert edit.status_code == 422, edit.text
    [entry] = edit.json()["detail"]
    assert entry["loc"] == ["body", "file_name"]
    assert entry["msg"] == f"Value error, {file_name_problem(name)}"


def test_an_uploaded_path_keeps_its_last_part(http: EmulatorHttp, emulator: Any) -> None:
    """Browsers on Windows send the whole path; the name is its last component."""
    wav = emulator.demo.audio_path.read_bytes()
    upload = _upload(http, emulator.demo.voice_id, "C:\\rec\\take 1.flac", wav)
    assert upload.status_code == 200, upload.text
    assert upload.json()[0]["file_name"] == "take 1.flac"


def test_the_client_refuses_to_upload_a_name_no_edit_could_keep(
    emulator: Any, tmp_path: Path
) -> None:
    """A right-to-left override hides the real extension: refused before anything is sent."""
    path = tmp_path / "take\u202evaw.exe"
    sf.write(path, np.zeros(800, dtype=np.float32), 8000, format="WAV")
    posts = len(emulator.requests_log.for_operation("add_pvc_voice_samples"))
    with (
        ApiClient(emulator.base_url, emulator.api_key) as client,
        pytest.raises(ValueError, match="control or invisible characters"),
    ):
        client.add_samples(emulator.demo.voice_id, [path])
    assert len(emulator.requests_log.for_operation("add_pvc_voice_samples")) == posts
