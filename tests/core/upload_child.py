"""Run by ``test_upload_journal.py`` in a child process: upload a batch, die by SIGKILL.

``python upload_child.py BASE_URL KEY JOURNAL VOICE_ID MODE INDEX FILE...``

MODE ``mid-body``: killed when half of file INDEX has been handed to the connection.
MODE ``after-answer``: killed when the server's answer for file INDEX has arrived but
before the journal has recorded it.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.editing.upload_checks import inspect_file
from pvc_sample_editor.editing.upload_journal import (
    JournalEntry,
    UploadJournal,
    UploadProgress,
    run_batch,
)


def main() -> int:
    base_url, key, journal_dir, voice_id, mode, index, *files = sys.argv[1:]
    kill_at = int(index)
    journal = UploadJournal(Path(journal_dir))
    batch = journal.begin(base_url, voice_id, [inspect_file(f) for f in files])

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    def progress(p: UploadProgress) -> None:
        if mode == "mid-body" and p.index == kill_at and p.file_sent > p.file_total // 2:
            die()

    def arrived(index: int, entry: JournalEntry) -> None:
        if mode == "after-answer" and index == kill_at:
            die()

    with ApiClient(base_url, key) as client:
        run_batch(client, journal, batch, on_progress=progress, on_sample=arrived)
    return 3  # not killed: the test fails on this status


if __name__ == "__main__":
    sys.exit(main())
