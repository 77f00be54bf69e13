"""What's new: per release, the codes it added, deleted, reworded or changed between header and billable.

The clerk's own favorites and recent codes that changed come first; the list filters as you type and exports
to CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.engine import session_scope
from db.history import CHANGES, DiffRow, diff_releases
from db.in_force import ReleaseRef, code_set_releases
from db.queries import system_label

CHANGE_LABELS = {
    "added": "added",
    "deleted": "deleted",
    "revised": "reworded",
    "billable_changed": "header ↔ billable",
}


def release_pairs(releases: Sequence[ReleaseRef]) -> list[tuple[ReleaseRef, ReleaseRef]]:
    """Each loaded release with the one before it in its code set, newest first."""
    pairs = [(old, new) for old, new in itertools.pairwise(releases) if old.system == new.system]
    return sorted(pairs, key=lambda pair: pair[1].valid_from or dt.date.min, reverse=True)


def counts_text(rows: Sequence[DiffRow]) -> str:
    counts = {change: sum(1 for row in rows if row.change == change) for change in CHANGES}
    return ", ".join(f"{counts[change]:,} {CHANGE_LABELS[change]}" for change in CHANGES)


class WhatsNewDialog(QDialog):
    """Emits `code_chosen(system, code)` when the clerk opens a code (Enter or double-click)."""

    code_chosen = Signal(str, str)

    def __init__(self, parent: QWidget | None, engine: object, own_codes: Sequence[tuple[str, str]]) -> None:
        super().__init__(parent)
        self.setWindowTitle("What's new in each release")
        self.resize(1000, 600)
        self._engine = engine
        self._own = {pair: position for position, pair in enumerate(own_codes)}
        with session_scope(engine) as session:  # type: ignore[arg-type]
            self.pairs = release_pairs(code_set_releases(session))
        self.rows: list[DiffRow] = []
        self.release_choice = QComboBox()
        self.release_choice.setAccessibleName("Release")
        for old, new in self.pairs:
            self.release_choice.addItem(f"{new.name}  (compared with {old.name})")
        release_label = QLabel("&Release:")
        release_label.setBuddy(self.release_choice)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by code or words")
        self.filter_edit.setAccessibleName("Filter")
        filter_label = QLabel("&Filter:")
        filter_label.setBuddy(self.filter_edit)
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["", "Code", "Change", "Old title", "New title"])
        self.table.setAccessibleName("Changed codes")
        self.export_button = QPushButton("&Export CSV…")
        close_button = QPushButton("&Close")
        for button in (self.export_button, close_button):
            # Enter on a row opens its code: no button may take Enter away from the list.
            button.setAutoDefault(False)
        top = QHBoxLayout()
        top.addWidget(release_label)
        top.addWidget(self.release_choice, 1)
        top.addWidget(filter_label)
        top.addWidget(self.filter_edit, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.counts)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.release_choice.currentIndexChanged.connect(self._load)
        self.filter_edit.textChanged.connect(self._fill)
        self.table.itemActivated.connect(self._open)
        self.export_button.clicked.connect(self._choose_export)
        close_button.clicked.connect(self.close)
        if self.pairs:
            self._load(0)
        else:
            self.counts.setText("Only one release of each code set is loaded: import another to see what changed.")
            self.export_button.setEnabled(False)
        self.filter_edit.setFocus()

    def _load(self, index: int) -> None:
        if not 0 <= index < len(self.pairs):
            return
        old, new = self.pairs[index]
        with session_scope(self._engine) as session:  # type: ignore[arg-type]
            rows = diff_releases(session, new.system, old.seq, new.seq)
        # The clerk's favorites and recent codes first, in their own order; then code order.
        self.rows = sorted(rows, key=lambda row: (self._own.get((new.system, row.code), len(self._own)), row.code))
        self.system = new.system
        self.counts.setText(f"{system_label(new.system)}, {new.name} against {old.name}: {counts_text(rows)}.")
        self._fill()

    def visible_rows(self) -> list[DiffRow]:
        words = self.filter_edit.text().lower().split()

        def shown(row: DiffRow) -> bool:
            text = f"{row.code} {row.display} {row.old_title or ''} {row.new_title or ''}".lower()
            return all(word in text for word in words)

        return [row for row in self.rows if shown(row)]

    def _fill(self) -> None:
        self.table.clear()
        for row in self.visible_rows():
            mine = "★" if (self.system, row.code) in self._own else ""
            item = QTreeWidgetItem(
                [mine, row.display, CHANGE_LABELS[row.change], row.old_title or "", row.new_title or ""]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, row.code)
            if mine:
                item.setToolTip(0, "One of your favorites or recent codes")
            self.table.addTopLevelItem(item)
        for column in range(3):
            self.table.resizeColumnToContents(column)
        if self.table.topLevelItemCount():
            self.table.setCurrentItem(self.table.topLevelItem(0))

    def _open(self, item: QTreeWidgetItem, _column: int) -> None:
        self.code_chosen.emit(self.system, str(item.data(0, Qt.ItemDataRole.UserRole)))

    def _choose_export(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(self, "Export the changes", "changes.csv", "CSV files (*.csv)")
        if name:
            self.export(Path(name))

    def export(self, path: Path) -> None:
        """The rows shown (filter applied), in the `codebook-cli diff` columns."""
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["code", "display", "change", "old_title", "new_title"])
            for row in self.visible_rows():
                writer.writerow([row.code, row.display, row.change, row.old_title or "", row.new_title or ""])
