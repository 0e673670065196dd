"""The headless verbs read the server the window saved, from the file QSettings wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pvc_sample_editor.api.regions import REGIONS
from pvc_sample_editor.system.settings_file import read_setting, remembered_base_url
from pvc_sample_editor.ui.settings import Settings, open_qsettings


@pytest.mark.parametrize(
    "url",
    [REGIONS["EU residency"], "http://127.0.0.1:8765", 'https://proxy.example/a b,c;d"e\\f'],
)
def test_the_window_saves_and_the_verb_reads_the_same_server(url: str) -> None:
    assert remembered_base_url() is None
    q = open_qsettings()
    Settings(q).base_url = url
    q.setValue("other/base_url", "https://not-this-one")
    q.sync()
    assert remembered_base_url() == url


def test_the_default_location_is_the_one_qsettings_uses(tmp_path: Path) -> None:
    # QSettings fixes its default folders once per process: ask a fresh one.
    env = {k: v for k, v in os.environ.items() if k != "PVC_SAMPLE_EDITOR_HOME"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    probe = (
        "import json\n"
        "from pvc_sample_editor.system.settings_file import settings_path\n"
        "from pvc_sample_editor.ui.settings import open_qsettings\n"
        "print(json.dumps([open_qsettings().fileName(), str(settings_path())]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    qt_path, our_path = json.loads(done.stdout)
    assert qt_path == our_path
    assert our_path.startswith(str(tmp_path))


def test_a_missing_file_or_key_is_none(tmp_path: Path) -> None:
    assert read_setting(tmp_path / "absent.ini", "api/base_url") is None
    path = tmp_path / "s.ini"
    path.write_text("[General]\nbase_url=x\n[api]\nother=y\n")
    assert read_setting(path, "api/base_url") is None
    assert read_setting(path, "base_url") == "x"
