"""The search bar: keeps focus while arrow and page keys move through the results."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit

MOVES = {
    Qt.Key.Key_Up: -1,
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_PageUp: -10,
    Qt.Key.Key_PageDown: 10,
}


class SearchBar(QLineEdit):
    move_requested = Signal(int)
    open_requested = Signal()
    escape_pressed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setPlaceholderText("Search codes, words or abbreviations (E11.65, copd exac, lap chole, J1100)…")
        self.setClearButtonEnabled(True)
        self.setAccessibleName("Search")

    def event(self, event: QEvent) -> bool:
        # Ctrl+C with nothing selected copies the selected code (the window's action), not empty text.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Copy)
            and not self.hasSelectedText()
        ):
            event.ignore()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in MOVES and not event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.move_requested.emit(MOVES[Qt.Key(key)])
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_requested.emit()
            return
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)
