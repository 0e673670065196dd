"""Each sample's edit and undo history, kept while the user moves between a voice's samples.

One ``QUndoStack`` per sample in one ``QUndoGroup``: the window's Undo and Redo follow the
sample shown. Leaving a sample parks its session and stack here; opening it again takes
them back, so its edit and its undo steps are as they were. The oldest are dropped past
:data:`KEPT`.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.editing.session import EditSession, SampleRef

__all__ = ["KEPT", "EditCommand", "Histories"]

#: How many samples left behind keep their session and undo history.
KEPT = 50


class EditCommand(QUndoCommand):
    """Replace a session's edit; undo puts the previous one back."""

    def __init__(self, session: EditSession, old: SampleEdit, new: SampleEdit, text: str) -> None:
        super().__init__(text)
        self._session = session
        self._old = old
        self._new = new

    def redo(self) -> None:
        self._session.set_edit(self._new)

    def undo(self) -> None:
        self._session.set_edit(self._old)


class Histories(QObject):
    """The shown sample's undo stack, and the parked sessions of the others."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.group = QUndoGroup(self)
        self.stack = self._new_stack()
        self._parked: OrderedDict[SampleRef, tuple[EditSession, QUndoStack]] = OrderedDict()

    def _new_stack(self) -> QUndoStack:
        stack = QUndoStack(self)
        self.group.addStack(stack)
        self.group.setActiveStack(stack)
        return stack

    def _drop(self, stack: QUndoStack) -> None:
        self.group.removeStack(stack)
        stack.deleteLater()

    def switch(self, old: EditSession | None, new: EditSession, stack: QUndoStack | None) -> None:
        """Leave ``old`` (parked if it is a server sample other than ``new``'s) for ``new``,
        with its parked ``stack`` or a fresh one."""
        if old is not None and old.ref is not None and old.ref != new.ref:
            self._park(old)
        else:
            self._drop(self.stack)
        if stack is None:
            self.stack = self._new_stack()
        else:
            self.stack = stack
            self.group.setActiveStack(stack)

    def close(self, old: EditSession | None = None) -> None:
        """Show no sample: park ``old``'s session and stack to come back to (a server
        sample that still exists), or forget the history (its sample has gone); then a
        fresh, empty stack."""
        if old is not None and old.ref is not None:
            self._park(old)
        else:
            self._drop(self.stack)
        self.stack = self._new_stack()

    def _park(self, old: EditSession) -> None:
        """Keep ``old`` (a server sample) and the shown stack, dropping the oldest parked."""
        assert old.ref is not None
        self._parked[old.ref] = (old, self.stack)
        self._parked.move_to_end(old.ref)
        while len(self._parked) > KEPT:
            _ref, (_session, dropped) = self._parked.popitem(last=False)
            self._drop(dropped)

    def take(self, ref: SampleRef) -> tuple[EditSession, QUndoStack] | None:
        """The parked session and stack of ``ref``, no longer parked; None if none."""
        return self._parked.pop(ref, None)

    def parked(self, ref: SampleRef) -> tuple[EditSession, QUndoStack] | None:
        """The parked session and stack of ``ref``, left parked; None if none."""
        return self._parked.get(ref)

    def items(self) -> list[tuple[SampleRef, tuple[EditSession, QUndoStack]]]:
        """Every parked sample with its session and stack, oldest first."""
        return list(self._parked.items())
