"""What the audio libraries print on stderr goes to the log, not to the terminal, where
it reads like a failure (and in a test run escapes pytest's capture when a worker
thread prints between two tests).

- PortAudio's device scan opens ALSA devices, among them alsa-plugins' "jack" device;
  with no JACK server running (the normal case) libjack prints "Cannot connect to server
  socket…". These cases run in a fresh interpreter, so the libraries' process-wide
  handlers start at their defaults, and compare the same open without the app's.
- libmpg123 warns opening an MP3 that was cut short ("Xing stream size off…"), which
  the app says in its own words.

Each case first checks that the library does print here, so it cannot pass vacuously.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.audio.source import open_sound_file, probe
from pvc_sample_editor.system.native_output import library_output_to_log

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="ALSA and libjack are Linux's"
)

OPEN_DEVICE = """
import ctypes, logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s: %(message)s")
from pvc_sample_editor.audio import output
if sys.argv[1] == "app":
    output._quiet_audio_libraries()
asound = ctypes.CDLL("libasound.so.2")
pcm = ctypes.c_void_p()
print("opened", asound.snd_pcm_open(ctypes.byref(pcm), sys.argv[2].encode(), 0, 1))
"""


def open_device(device: str, handlers: str) -> subprocess.CompletedProcess[str]:
    """Open ALSA's ``device`` for playback as PortAudio's scan does, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-c", OPEN_DEVICE, handlers, device],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def open_quietly(device: str, printed: str) -> str:
    """What opening ``device`` with the app's handlers logged, once it is seen that the
    same open without them prints ``printed`` (else the case is skipped). The open still
    fails, and nothing reaches stderr."""
    bare = open_device(device, "bare")
    if printed not in bare.stderr:
        pytest.skip(f"{device}: nothing like {printed!r} is printed here: {bare.stderr[:200]!r}")
    quiet = open_device(device, "app")
    assert quiet.stderr == ""
    assert "opened -" in quiet.stdout  # a negative error code, as without the handlers
    return quiet.stdout


@linux_only
def test_libjack_complaining_of_no_jack_server_is_logged_not_printed() -> None:
    logged = open_quietly("jack", "Cannot connect to server").splitlines()
    assert any("libjack: Cannot connect to server socket" in line for line in logged), logged
    assert any("libjack: jack server is not running" in line for line in logged), logged


@linux_only
def test_alsa_naming_a_device_it_does_not_have_prints_nothing() -> None:
    open_quietly("no_such_device", "ALSA lib")


def cut_mp3(path: Path) -> Path:
    """An MP3 whose copy stopped halfway: its Xing header claims twice what is there."""
    t = np.arange(16_000 * 4) / 16_000
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16_000, format="MP3")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path


def test_libmpg123_warning_on_a_cut_mp3_is_logged_not_printed(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    path = cut_mp3(tmp_path / "cut.mp3")
    with sf.SoundFile(str(path)) as bare:  # what libsndfile alone does
        assert bare.frames > 0
    said = capfd.readouterr().err
    if "Xing" not in said:
        pytest.skip(f"this libmpg123 says nothing of the cut: {said!r}")
    caplog.set_level(logging.DEBUG, logger="pvc_sample_editor.system.native_output")
    with open_sound_file(path) as handle:
        assert handle.frames > 0
    info = probe(path)  # every open of the app's goes the same way
    assert info.frames > 0
    assert capfd.readouterr().err == ""
    logged = [r.getMessage() for r in caplog.records]
    assert sum("libmpg123: Warning: Xing stream size off" in m for m in logged) == 2, logged


@pytest.mark.skipif(os.name != "posix", reason="descriptor 2 is swapped on POSIX only")
def test_what_else_is_printed_meanwhile_still_reaches_stderr(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pvc_sample_editor.system.native_output")
    with library_output_to_log("libdemo", re.compile(r"demo: ")):
        os.write(2, b"demo: chatter\n")
        os.write(2, b"Traceback of another thread\n")
        print("python text", file=sys.stderr, flush=True)
    err = capfd.readouterr().err
    assert "demo: chatter" not in err
    assert "Traceback of another thread\n" in err
    assert "python text\n" in err
    assert [r.getMessage() for r in caplog.records] == ["libdemo: demo: chatter"]
