"""The draft of the open edit: written at every change, offered on reopen, removed once confirmed.

Qt-free. The controller calls it at each step of a session's life; it decides where the
draft lives, builds it, and turns a disk failure into a sentence for the user instead of
an exception (the edit itself is never lost: it is still in the window).
"""

from __future__ import annotations

from pathlib import Path

from pvc_sample_editor.editing.drafts import Draft, DraftKey, DraftStore
from pvc_sample_editor.editing.session import EditSession

__all__ = ["Autosave"]


class Autosave:
    """Keeps the open session's draft on disk, through a :class:`DraftStore`."""

    def __init__(self, store: DraftStore) -> None:
        self.store = store
        #: Set while a submission has not been confirmed: a draft saved then says so.
        self.pending = False
        #: Why the last save failed ("" when it worked).
        self.save_error = ""
        #: The draft last offered back on open, if any.
        self.restored_last: Draft | None = None

    @staticmethod
    def key(session: EditSession | None, local_path: Path | None) -> DraftKey | None:
        """Where a session's draft lives: by sample, or by local file when unattached."""
        if session is None:
            return None
        if session.ref is not None:
            return DraftKey.for_sample(session.ref)
        if local_path is not None:
            return DraftKey.for_local_file(local_path)
        return None

    def save(self, session: EditSession | None, local_path: Path | None) -> str:
        """Write the session's edit at once, atomically; a failure comes back in words."""
        key = self.key(session, local_path)
        if key is None or session is None:
            return ""
        draft = Draft(
            key=key,
            edit=session.edit,
            baseline=session.baseline,
            local_path=str(local_path) if local_path else None,
            submission_pending=self.pending,
        )
        try:
            self.store.save(draft)
        except OSError as exc:
            self.save_error = str(exc)
            return f"Could not save the draft of this edit: {exc}. Keep the app open."
        self.save_error = ""
        return ""

    def restorable(self, session: EditSession, local_path: Path | None) -> Draft | None:
        """The draft to put back over a newly opened session, if it holds anything new.

        Returned as it is, even when it no longer fits the sample or was left invalid:
        its fields then say what to fix (see the drafts module's policy).
        """
        self.pending = False
        key = self.key(session, local_path)
        draft = self.store.load(key) if key is not None else None
        if draft is None or draft.edit == session.baseline:
            return None
        self.pending = draft.submission_pending
        self.restored_last = draft
        return draft

    def remove(self, session: EditSession | None, local_path: Path | None) -> str:
        """Delete the session's draft; a failure comes back in words, never raised."""
        key = self.key(session, local_path)
        if key is None:
            return ""
        try:
            self.store.discard(key)
        except OSError as exc:
            return (
                f"The saved draft could not be removed ({exc}). It holds what the server "
                f"now has, so it is harmless; you can delete {self.store.path_for(key)}."
            )
        return ""
