"""The queue's core, Qt-free: what Submit all sends, how one queued edit is sent (never
twice over an edit that already landed), the journal that survives a kill, the backoff."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.api.errors import NotFoundError
from pvc_sample_editor.api.models import Sample, Voice
from pvc_sample_editor.editing.drafts import Draft, DraftKey, DraftStore
from pvc_sample_editor.editing.edit import SampleEdit, edit_from_sample
from pvc_sample_editor.editing.queue import (
    MAX_POLL_DELAY_MS,
    QueueJournal,
    edited_sample_ids,
    poll_delay_ms,
    send_queued,
)
from pvc_sample_editor.editing.session import SampleRef

A = Sample("a", "a.wav", duration_secs=10.0)
B = Sample("b", "b.wav", duration_secs=20.0, trim_start=1000, trim_end=15_000)
C = Sample("c", "c.wav", duration_secs=30.0)
VOICE = Voice("v", "Narrator", "professional", samples=(A, B, C))
EDIT_ROUTE = "edit_pvc_voice_sample"


def _draft(store: DraftStore, sample: Sample, edit: SampleEdit, *, pending: bool = False) -> None:
    key = DraftKey.for_sample(SampleRef("v", sample.sample_id))
    draft = Draft(key=key, edit=edit, baseline=edit_from_sample(sample), local_path=None)
    store.save(draft.with_submission_pending(pending))


def test_submit_all_sends_the_drafted_and_the_open_edits_in_the_voices_order(
    tmp_path: Path,
) -> None:
    store = DraftStore(tmp_path)
    _draft(store, C, SampleEdit(0, 9000, False, "c.wav"))
    _draft(store, B, edit_from_sample(B))  # a draft the server already holds: saved
    assert edited_sample_ids(VOICE, store) == ("c",)
    _draft(store, B, edit_from_sample(B), pending=True)  # an interrupted send: unsent
    assert edited_sample_ids(VOICE, store) == ("b", "c")
    # Open in the window: its own state wins over its draft.
    assert edited_sample_ids(VOICE, store, {"a": True, "c": False}) == ("a", "b")


@pytest.fixture
def client(emulator: Any) -> Iterator[ApiClient]:
    with ApiClient(emulator.base_url, emulator.api_key) as c:
        yield c


def _demo(emulator: Any, client: ApiClient) -> tuple[SampleRef, Sample]:
    ref = SampleRef(emulator.demo.voice_id, emulator.demo.sample_id)
    return ref, client.get_sample(ref.voice_id, ref.sample_id)


def test_a_queued_edit_is_sent_once_and_confirmed(emulator: Any, client: ApiClient) -> None:
    ref, sample = _demo(emulator, client)
    edit = edit_from_sample(sample).with_trims(1500, 20_000)
    emulator.requests_log.clear()
    result = send_queued(client, ref, edit, threading.Event())
    assert result.confirmed
    assert (result.sample.trim_start, result.sample.trim_end) == (1500, 20_000)
    assert len(emulator.requests_log.for_operation(EDIT_ROUTE)) == 1


def test_an_edit_that_landed_before_a_kill_is_confirmed_without_sending_it_again(
    emulator: Any, client: ApiClient
) -> None:
    ref, sample = _demo(emulator, client)
    edit = edit_from_sample(sample).with_trims(2500, 21_000)
    send_queued(client, ref, edit, threading.Event())
    emulator.requests_log.clear()
    again = send_queued(client, ref, edit, threading.Event())  # as a resumed queue does
    assert again.confirmed
    assert emulator.requests_log.for_operation(EDIT_ROUTE) == []


def test_a_sample_removed_on_the_server_is_not_found_and_nothing_is_sent(
    emulator: Any, client: ApiClient
) -> None:
    ref, sample = _demo(emulator, client)
    client.delete_sample(ref.voice_id, ref.sample_id)
    emulator.requests_log.clear()
    with pytest.raises(NotFoundError):
        send_queued(client, ref, edit_from_sample(sample).with_trims(0, 5000), threading.Event())
    assert emulator.requests_log.for_operation(EDIT_ROUTE) == []


def test_the_journal_round_trips_and_an_unreadable_one_is_an_empty_queue(
    tmp_path: Path,
) -> None:
    journal = QueueJournal(tmp_path / "sub" / "queue.json")
    assert journal.load() == ()
    refs = (SampleRef("v", "a"), SampleRef("v", "b/../x"), SampleRef("w", "é"))
    journal.save(refs)
    assert QueueJournal(journal.path).load() == refs
    journal.save(())
    assert not journal.path.exists()
    for junk in (b"{", b"[]", b'{"schema": 1, "items": [{"voice_id": 1, "sample_id": "a"}]}'):
        journal.path.write_bytes(junk)
        assert journal.load() == ()
    journal.clear()
    journal.clear()  # twice is fine
    assert not journal.path.exists()


def test_polls_back_off_doubling_up_to_a_cap() -> None:
    delays = [poll_delay_ms(500, n) for n in range(12)]
    assert delays[:4] == [500, 1000, 2000, 4000]
    assert max(delays) == MAX_POLL_DELAY_MS
    assert delays == sorted(delays)
    assert poll_delay_ms(500, 10_000) == MAX_POLL_DELAY_MS  # no overflow however long
