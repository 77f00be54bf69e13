"""The date-of-service field: typed dates (11/15/2026, 2026-11-15), a calendar popup, today by default."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCalendarWidget, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from db.dates import DateOfServiceError, parse_date_of_service

#: How the field shows a date: the way US claim forms write it.
DISPLAY_FORMAT = "%m/%d/%Y"


class _DateEdit(QLineEdit):
    """Enter applies, Esc reverts, Alt+Down / F4 open the calendar."""

    popup_requested = Signal()
    escape_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        alt_down = event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier
        if alt_down or event.key() == Qt.Key.Key_F4:
            self.popup_requested.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)


class DateOfServiceField(QWidget):
    """Emits `day_changed` with a complete date; a text that is not one is shown as an error and not applied."""

    day_changed = Signal(object)
    #: Enter or Esc: the clerk is done with the field (the window puts focus back in the search bar).
    finished = Signal()

    def __init__(self, day: dt.date | None = None) -> None:
        super().__init__()
        self._day = day or dt.date.today()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Date of &service:")
        self.edit = _DateEdit()
        self.edit.setAccessibleName("Date of service")
        self.edit.setToolTip("Type a date (11/15/2026, 2026-11-15, today) and press Enter; Alt+Down opens a calendar")
        self.edit.setMaximumWidth(110)
        self.label.setBuddy(self.edit)
        self.calendar_button = QToolButton()
        self.calendar_button.setText("▾")
        self.calendar_button.setToolTip("Pick the date of service from a calendar (Alt+Down)")
        self.calendar_button.setAccessibleName("Open calendar")
        self.message = QLabel()
        self.message.setStyleSheet("color:#b00020")
        layout.addWidget(self.label)
        layout.addWidget(self.edit)
        layout.addWidget(self.calendar_button)
        layout.addWidget(self.message)
        self.calendar = QCalendarWidget()
        self.calendar.setWindowFlags(Qt.WindowType.Popup)
        self.calendar.setGridVisible(True)
        self.calendar.activated.connect(self._picked)
        self.calendar.clicked.connect(self._picked)
        self.edit.returnPressed.connect(self.apply_text)
        self.edit.escape_pressed.connect(self._revert)
        self.edit.popup_requested.connect(self.open_calendar)
        self.calendar_button.clicked.connect(self.open_calendar)
        self._show_day()

    @property
    def day(self) -> dt.date:
        return self._day

    def set_day(self, day: dt.date) -> None:
        changed = day != self._day
        self._day = day
        self._show_day()
        if changed:
            self.day_changed.emit(day)

    def apply_text(self) -> None:
        try:
            day = parse_date_of_service(self.edit.text())
        except DateOfServiceError as error:
            self.message.setText(str(error))
            self.edit.selectAll()
            return
        self.set_day(day)
        self.finished.emit()

    def open_calendar(self) -> None:
        self.calendar.setSelectedDate(QDate(self._day.year, self._day.month, self._day.day))
        self.calendar.move(self.edit.mapToGlobal(self.edit.rect().bottomLeft()))
        self.calendar.show()
        self.calendar.setFocus()

    def _picked(self, date: QDate) -> None:
        self.calendar.hide()
        self.set_day(dt.date(date.year(), date.month(), date.day()))
        self.finished.emit()

    def _revert(self) -> None:
        self._show_day()
        self.finished.emit()

    def _show_day(self) -> None:
        self.message.clear()
        self.edit.setText(self._day.strftime(DISPLAY_FORMAT))
