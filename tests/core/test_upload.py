"""Uploads streamed from disk: progress, cancel, timeouts by size, and the emulator's spool.

Real client against the real emulator over loopback; the files are generated here.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from noise_audio import noise_wav

from pvc_sample_editor.api.client import ApiClient, RetryPolicy, Timeouts, UploadFileError
from pvc_sample_editor.api.errors import CancelledError, TransportError, ValidationError
from pvc_sample_editor.api.upload import UploadFile, multipart_body
from pvc_sample_editor.emulator.multipart import parse_multipart, read_multipart
from pvc_sample_editor.emulator.server import SPOOL_DIR


@pytest.fixture
def client(emulator: Any) -> Iterator[ApiClient]:
    with ApiClient(emulator.base_url, emulator.api_key, retry=RetryPolicy(max_attempts=1)) as api:
        yield api


@pytest.fixture
def voice_id(client: ApiClient) -> str:
    return client.create_voice("Uploads", "en")


def _spooled(emulator: Any) -> list[Path]:
    folder = emulator.data_dir / SPOOL_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def test_upload_streams_with_progress_and_arrives_whole(
    client: ApiClient, emulator: Any, voice_id: str, tmp_path: Path
) -> None:
    files = [noise_wav(tmp_path / "long take.wav", 40), noise_wav(tmp_path / "b.wav", 3, seed=1)]
    seen: list[tuple[int, int]] = []
    added = client.add_samples(voice_id, files, on_progress=lambda s, t: seen.append((s, t)))
    sizes = [f.stat().st_size for f in files]
    assert [s.size_bytes for s in added] == sizes
    assert [s.hash for s in added] == [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    assert [s.duration_secs for s in added] == [40.0, 3.0]
    total = seen[-1][1]
    assert total > sum(sizes)  # the framing counts too
    assert seen[-1][0] == total
    assert all(b[0] > a[0] for a, b in itertools.pairwise(seen))
    assert len(seen) > 10  # reported as it goes, not once at the end
    assert _spooled(emulator) == []


def test_cancel_mid_upload_stores_nothing(
    client: ApiClient, emulator: Any, voice_id: str, tmp_path: Path
) -> None:
    big = noise_wav(tmp_path / "big.wav", 120)
    cancel = threading.Event()

    def progress(sent: int, total: int) -> None:
        if sent > total // 3:
            cancel.set()

    with pytest.raises(CancelledError):
        client.add_samples(voice_id, [big], on_progress=progress, cancel=cancel)
    assert client.get_voice(voice_id).samples == ()
    # The emulator notices the cut connection and removes what it spooled.
    deadline = threading.Event()
    for _ in range(100):
        if not _spooled(emulator):
            break
        deadline.wait(0.05)
    assert _spooled(emulator) == []


def test_a_file_that_changes_while_it_is_sent_stops_the_upload(
    client: ApiClient, voice_id: str, tmp_path: Path
) -> None:
    path = noise_wav(tmp_path / "growing.wav", 20)

    def progress(sent: int, total: int) -> None:
        if sent > total // 2:
            with open(path, "ab") as f:
                f.write(b"\0" * 1000)

    with pytest.raises(UploadFileError, match="changed while it was being uploaded"):
        client.add_samples(voice_id, [path], on_progress=progress)
    assert client.get_voice(voice_id).samples == ()


def test_the_answer_to_a_large_upload_is_waited_for_longer(
    emulator: Any, voice_id: str, tmp_path: Path
) -> None:
    """The server takes 1 s after the body to answer; a 0.3 s JSON read timeout would
    give up, the upload's timeout grows with its size."""
    path = noise_wav(tmp_path / "slow.wav", 5)
    size = path.stat().st_size
    timeouts = Timeouts(read=0.3, upload_processing_rate=size / 3)  # 0.3 + ~3 s
    emulator.faults.inject("add_pvc_voice_samples", latency=1.0)
    emulator.faults.inject("get_voice_by_id", latency=1.0)
    with ApiClient(
        emulator.base_url, emulator.api_key, timeouts=timeouts, retry=RetryPolicy(max_attempts=1)
    ) as client:
        assert [s.file_name for s in client.add_samples(voice_id, [path])] == ["slow.wav"]
        with pytest.raises(TransportError, match=r"did not answer within 0\.3 s"):
            client.get_voice(voice_id)
    assert timeouts.read_for_upload(size) == pytest.approx(3.3, abs=0.01)


def test_a_bad_file_in_an_upload_leaves_nothing_spooled(
    client: ApiClient, emulator: Any, voice_id: str, tmp_path: Path
) -> None:
    good = noise_wav(tmp_path / "good.wav", 2)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really" * 1000)
    with pytest.raises(ValidationError):
        client.add_samples(voice_id, [good, bad])
    assert client.get_voice(voice_id).samples == ()
    assert _spooled(emulator) == []
    assert sorted(p.name for p in (emulator.data_dir / "audio").iterdir()) == sorted(
        p.name for p in (emulator.data_dir / "audio").iterdir() if "bad" not in p.name
    )


def test_the_body_is_what_requests_would_send(tmp_path: Path) -> None:
    """Our framing parses (both ways) to the parts a plain ``requests`` upload has."""
    path = tmp_path / 'naïve "take".wav'
    path.write_bytes(bytes(range(256)) * 300 + b"\r\n--not-a-boundary\r\n")
    make = multipart_body([UploadFile.of(path)], [("remove_background_noise", "true")])
    body = make(None)
    data = body.read(7) + body.read(-1)
    assert len(data) == len(body)
    ours = parse_multipart(data, body.content_type)
    prepared = requests.Request(
        "POST",
        "http://x/",
        files=[("files", (path.name, path.read_bytes()))],
        data={"remove_background_noise": "true"},
    ).prepare()
    assert isinstance(prepared.body, bytes)
    theirs = parse_multipart(prepared.body, prepared.headers["Content-Type"])
    assert [(p.name, p.filename, p.content) for p in ours] == [
        (p.name, p.filename, p.content) for p in theirs
    ]
    spool = tmp_path / "spool"
    spool.mkdir()

    class Trickle:  # one byte at a time: every delimiter straddles a read
        def __init__(self, data: bytes) -> None:
            self.data, self.at = data, 0

        def read(self, size: int = -1) -> bytes:
            self.at += 1
            return self.data[self.at - 1 : self.at]

    streamed = read_multipart(Trickle(data), body.content_type, spool)
    assert streamed[1].file is not None
    assert streamed[1].file.read_bytes() == path.read_bytes()
    assert streamed[1].size == path.stat().st_size
    assert (streamed[0].name, streamed[0].text()) == ("remove_background_noise", "true")


def test_a_restarted_emulator_forgets_uploads_it_never_finished(tmp_path: Path) -> None:
    from pvc_sample_editor.emulator.server import EmulatorServer

    stale = tmp_path / "data" / SPOOL_DIR / "upload-abc.part"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a recording")
    with EmulatorServer(tmp_path / "data"):
        assert not stale.exists()


def test_an_upload_without_the_key_never_reaches_the_disk(
    emulator: Any, voice_id: str, tmp_path: Path
) -> None:
    path = noise_wav(tmp_path / "stranger.wav", 30)
    response = requests.post(
        f"{emulator.base_url}/v1/voices/pvc/{voice_id}/samples",
        headers={"xi-api-key": "not the key"},
        files=[("files", (path.name, path.read_bytes()))],
        timeout=30,
    )
    assert response.status_code == 401
    assert not (emulator.data_dir / SPOOL_DIR).exists()
