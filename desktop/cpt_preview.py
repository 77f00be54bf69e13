"""The import dialog's preview of an office's CPT list (CSV/XLSX): its first rows, the code and description columns
the import chose and why, and two combo boxes to choose others, all by keyboard."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from db.cpt_import import Columns, ListPreview

#: Rows of the list shown under its header.
SHOWN_ROWS = 6
CHOSEN = QBrush(QColor("#e4eefb"))


class CptListPreview(QWidget):
    """Hidden until the scan finds an office list. `columns()` gives the clerk's choices by file (sha256) for
    `ImportPlan.cpt_list_columns`; `problem()` says why a list cannot be read with its columns (the dialog then
    keeps Import disabled); `changed` is emitted whenever either may have changed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.previews: list[ListPreview] = []
        self._refreshing = False
        self.title = QLabel()
        self.list_combo = QComboBox()
        self.list_combo.setAccessibleName("Office list shown")
        self.list_label = QLabel("&List:")
        self.list_label.setBuddy(self.list_combo)
        self.code_combo = QComboBox()
        self.code_combo.setAccessibleName("Code column")
        code_label = QLabel("Code col&umn:")
        code_label.setBuddy(self.code_combo)
        self.description_combo = QComboBox()
        self.description_combo.setAccessibleName("Description column")
        description_label = QLabel("&Description column:")
        description_label.setBuddy(self.description_combo)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setAccessibleName("First rows of the office list")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)

        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title, 0, 0, 1, 6)
        layout.addWidget(self.list_label, 1, 0)
        layout.addWidget(self.list_combo, 1, 1)
        layout.addWidget(code_label, 1, 2)
        layout.addWidget(self.code_combo, 1, 3)
        layout.addWidget(description_label, 1, 4)
        layout.addWidget(self.description_combo, 1, 5)
        layout.setColumnStretch(1, 2)
        layout.setColumnStretch(3, 1)
        layout.setColumnStretch(5, 1)
        layout.addWidget(self.why, 2, 0, 1, 6)
        layout.addWidget(self.table, 3, 0, 1, 6)

        self.list_combo.currentIndexChanged.connect(self._show_current)
        self.code_combo.currentIndexChanged.connect(lambda _i: self._choose(code=True))
        self.description_combo.currentIndexChanged.connect(lambda _i: self._choose(code=False))
        self.setVisible(False)

    def set_previews(self, previews: list[ListPreview]) -> None:
        self.previews = list(previews)
        self._refreshing = True
        self.list_combo.clear()
        self.list_combo.addItems([preview.location for preview in self.previews])
        self._refreshing = False
        several = len(self.previews) > 1
        self.list_label.setVisible(several)
        self.list_combo.setVisible(several)
        self.setVisible(bool(self.previews))
        self._show_current()

    def columns(self) -> dict[str, Columns]:
        return {preview.sha256: preview.columns for preview in self.previews if preview.columns != Columns()}

    def problem(self) -> str:
        return next((f"{p.location}: {p.problem}" for p in self.previews if p.problem), "")

    @property
    def current(self) -> ListPreview | None:
        row = self.list_combo.currentIndex()
        return self.previews[row] if 0 <= row < len(self.previews) else None

    def _choose(self, code: bool) -> None:
        """The clerk picked a column: it is theirs from now on; the other one, unless picked too, is found again
        (the description column is chosen among the columns beside the code)."""
        preview = self.current
        if self._refreshing or preview is None:
            return
        combo = self.code_combo if code else self.description_combo
        number = combo.currentIndex() + 1
        columns = Columns(number, preview.columns.description) if code else Columns(preview.columns.code, number)
        self.previews[self.list_combo.currentIndex()] = preview.with_columns(columns)
        self._show_current()

    def _show_current(self) -> None:
        if self._refreshing:
            return
        preview = self.current
        if preview is not None:
            self._refreshing = True
            try:
                self._fill(preview)
            finally:
                self._refreshing = False
        self.changed.emit()  # also for no list at all: the dialog's summary follows the plan alone

    def _fill(self, preview: ListPreview) -> None:
        choice = preview.choice
        headers = preview.headers
        items = [f"{number}: {header}" for number, header in enumerate(headers, start=1)]
        for combo, given, chosen in (
            (self.code_combo, preview.columns.code, choice.code_column if choice else None),
            (self.description_combo, preview.columns.description, choice.description_column if choice else None),
        ):
            # Columns that cannot be read still show what was picked (or was shown before), never a blank box.
            index = chosen if chosen is not None else (given - 1 if given is not None else combo.currentIndex())
            combo.clear()
            combo.addItems(items)
            combo.setCurrentIndex(min(index, len(items) - 1))
        self.title.setText(f"<b>Office list</b> {preview.location}: the import reads these columns.")
        if choice is None:
            self.why.setText(f'<span style="color:#a00">Cannot read the list: {preview.problem}.</span> '
                             "Choose its columns (Alt+U, Alt+D).")  # fmt: skip
        else:
            self.why.setText(
                f"Chosen: {choice.why}. Every other column is kept and shown with the code. "
                "Change them with Alt+U (code) and Alt+D (description)."
            )
        rows = preview.first_rows(SHOWN_ROWS)
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setRowCount(len(rows))
        labels = list(headers)
        if choice is not None:
            labels[choice.code_column] += " (code)"
            labels[choice.description_column] += " (description)"
        self.table.setHorizontalHeaderLabels(labels)
        for row_number, cells in enumerate(rows):
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if choice is not None and column in (choice.code_column, choice.description_column):
                    item.setBackground(CHOSEN)
                self.table.setItem(row_number, column, item)
        self.table.resizeColumnsToContents()
        # As tall as its rows, no taller: the dialog's list of files keeps the room.
        height = self.table.horizontalHeader().height() + sum(self.table.rowHeight(r) for r in range(len(rows)))
        self.table.setFixedHeight(height + 2 * self.table.frameWidth() + 4)
