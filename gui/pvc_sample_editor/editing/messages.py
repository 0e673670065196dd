"""What the editor says about a submission, a restored draft and closing: sentences, no Qt.

The window shows these; keeping them here lets the core's tests read them and keeps
the window to layout and wiring.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pvc_sample_editor.api.models import Sample, SeparationStatus
from pvc_sample_editor.editing.drafts import Draft
from pvc_sample_editor.editing.edit import EditContext, SampleEdit, validate_edit
from pvc_sample_editor.editing.workflows import ReadBackFailedError, SubmitResult, describe_error
from pvc_sample_editor.timecode import format_ms

__all__ = [
    "NO_VALUE",
    "CloseQuestion",
    "close_questions",
    "left_sample_failed_message",
    "ms_or_dash",
    "restored_draft_message",
    "speakers_summary",
    "submit_failed_message",
    "submitted_message",
    "voice_count_text",
]

#: What a table shows where the server gave no value.
NO_VALUE = "—"


def ms_or_dash(ms: int | None) -> str:
    """A time as ``h:mm:ss.mmm``, or a dash when there is none."""
    return NO_VALUE if ms is None else format_ms(ms)


def speakers_summary(sample: Sample) -> str:
    """A sample's speaker-separation state in a few words: "Completed (2 speakers)"."""
    separation = sample.speaker_separation
    if separation is None:
        return NO_VALUE
    status = separation.status
    text = status.label if isinstance(status, SeparationStatus) else str(status)
    if separation.speakers:
        count = len(separation.speakers)
        text += f" ({count} speaker{'s' if count != 1 else ''})"
    return text


def voice_count_text(shown: int, total: int, search: str | None) -> str:
    """How many voices a list shows, or why it shows none."""
    if total == 0:
        if search:
            return f"No professional voices match “{search}”."
        return "This account has no professional voices yet."
    return f"{shown} of {total} voice{'s' if total != 1 else ''}"


def submitted_message(result: SubmitResult) -> str:
    """What the server now holds, said after a submission went through."""
    s = result.sample
    speakers = ""
    sep = s.speaker_separation
    if sep is not None and sep.selected_speaker_ids is not None:
        speakers = f"; speakers {', '.join(sep.selected_speaker_ids) or 'none'}"
    values = (
        f"start {format_ms(s.trim_start or 0)}, end {format_ms(s.trim_end or 0)}, "
        f"noise removal {'on' if s.remove_background_noise else 'off'}, "
        f"file name {s.file_name!r}{speakers}"
    )
    if result.confirmed:
        return f"Saved. The server now holds: {values}."
    return (
        f"Sent, but the server's read-back differs ({'; '.join(result.differences)}). "
        f"It holds: {values}."
    )


def submit_failed_message(exc: BaseException) -> tuple[str, dict[str, str]]:
    """The sentence for a failed submission, and the message per edit field (422s)."""
    message, fields = describe_error(exc)
    if isinstance(exc, ReadBackFailedError):
        return (
            f"Sent, but it could not be confirmed: {message} The edit is kept as a draft; "
            "submit again to confirm it.",
            {},
        )
    return f"Not saved: {message} Your edit is kept and can be submitted again.", fields


def restored_draft_message(
    draft: Draft, baseline: SampleEdit | None, ctx: EditContext | None
) -> str:
    """What a restored draft banner says: when it was saved and what to do with it."""
    saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(draft.saved_at))
    text = f"Restored your unsubmitted draft of this edit (saved {saved})."
    changes = draft.server_changes(baseline) if baseline is not None else ()
    if changes:
        text += (
            f" Since then the server's sample changed: {', '.join(changes)}. Submit sends"
            " your draft over those changes; Discard Draft shows the server's version."
        )
    if ctx is not None and validate_edit(draft.edit, ctx):
        text += " It does not fit the sample as it is now: fix the marked fields."
    elif draft.submission_pending:
        text += " Its submission was interrupted: press Submit to send it again."
    return text


@dataclass(frozen=True)
class CloseQuestion:
    """One yes/no question to ask before the window closes (yes closes)."""

    title: str
    text: str


def close_questions(
    *, submitting: bool, unsaved: bool, draft_save_error: str, queue_left: int = 0
) -> list[CloseQuestion]:
    """The questions to ask, in order, before closing; closing goes on only if each is a yes.

    ``queue_left``: how many samples Submit all has still to send.
    """
    questions = []
    if queue_left:
        samples = f"{queue_left} sample{'s' if queue_left != 1 else ''}"
        questions.append(
            CloseQuestion(
                "Submit all in progress",
                f"Submit all has {samples} still to send. Close anyway? Their edits stay "
                "as drafts, and the next start offers to send them.",
            )
        )
    elif submitting:
        questions.append(
            CloseQuestion(
                "Submission in progress",
                "A submission is still being sent. Close anyway? "
                "The server may or may not apply it.",
            )
        )
    elif unsaved:
        kept = (
            "It is kept as a draft and restored when you open this sample again."
            if not draft_save_error
            else f"Its draft could not be saved ({draft_save_error}), so the edit will be lost."
        )
        questions.append(
            CloseQuestion(
                "Unsaved changes", f"This edit has not been submitted. Close anyway? {kept}"
            )
        )
    return questions


def left_sample_failed_message(sample_id: str, exc: BaseException) -> str:
    """What is said when the submission of a sample the user has left fails."""
    return (
        f"The edit of the sample you left ({sample_id}) was not saved: "
        f"{describe_error(exc)[0]} It is kept as a draft; open that sample again to submit it."
    )
