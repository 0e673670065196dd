"""What the editor says after a submission and before closing (Qt-free)."""

from __future__ import annotations

from pvc_sample_editor.api.errors import ValidationError
from pvc_sample_editor.api.models import Sample
from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.editing.messages import (
    close_questions,
    submit_failed_message,
    submitted_message,
)
from pvc_sample_editor.editing.workflows import ReadBackFailedError, SubmitResult

SENT = SampleEdit(1500, 61_250, True, "take.wav")
HELD = Sample(
    sample_id="s", file_name="take.wav", trim_start=1500, trim_end=61_250,
    remove_background_noise=True,
)  # fmt: skip


def test_a_confirmed_submission_says_what_the_server_holds_in_timecode() -> None:
    text = submitted_message(SubmitResult(SENT, HELD, True, ()))
    assert text == (
        "Saved. The server now holds: start 0:00:01.500, end 0:01:01.250, "
        "noise removal on, file name 'take.wav'."
    )
    differs = submitted_message(SubmitResult(SENT, HELD, False, ("noise setting differs",)))
    assert differs.startswith("Sent, but the server's read-back differs (noise setting differs)")


def test_a_failed_submission_keeps_the_edit_and_names_the_field() -> None:
    refused = ValidationError("The server refused the edit: file_name: too long.")
    message, fields = submit_failed_message(refused)
    assert message.startswith("Not saved: The server refused the edit")
    assert message.endswith("Your edit is kept and can be submitted again.")
    assert fields == {}
    sent_not_read, fields = submit_failed_message(ReadBackFailedError("timed out"))
    assert sent_not_read.startswith("Sent, but it could not be confirmed: timed out")
    assert fields == {}


def test_closing_asks_about_a_submission_in_flight_else_about_unsaved_work() -> None:
    assert close_questions(submitting=False, unsaved=False, draft_save_error="") == []
    (flight,) = close_questions(submitting=True, unsaved=True, draft_save_error="")
    assert flight.title == "Submission in progress"
    (unsaved,) = close_questions(submitting=False, unsaved=True, draft_save_error="")
    assert "kept as a draft" in unsaved.text
    (lost,) = close_questions(submitting=False, unsaved=True, draft_save_error="disk full")
    assert "could not be saved (disk full), so the edit will be lost" in lost.text
    (queue,) = close_questions(submitting=True, unsaved=True, draft_save_error="", queue_left=2)
    assert queue.title == "Submit all in progress"
    assert "2 samples still to send" in queue.text
