"""The results list model: search hits (or favorites and recent codes) as rows; data() only formats."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from db.search_index import SearchHit

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
#: Why the row's code is not valid on the date of service (None when it is).
NOT_VALID_ROLE = Qt.ItemDataRole.UserRole + 2
SYSTEM_BADGES = {"icd10cm": "ICD-10-CM", "icd10pcs": "ICD-10-PCS", "hcpcs": "HCPCS", "cpt": "CPT"}


def badge(hit: SearchHit) -> str:
    return "Modifier" if hit.kind == "modifier" else SYSTEM_BADGES.get(hit.system, hit.system)


def why_text(hit: SearchHit) -> str:
    """Why a row is in the list, in a coder's words."""
    if hit.matched == "code":
        return "code"
    if hit.matched == "correction":
        return f"corrected: showing results for {hit.via}"
    if hit.matched == "partial":
        return hit.via or "some of the words"
    if hit.matched == "synonym":
        return f"synonym: {hit.via}" if hit.via else "synonym"
    if hit.matched in ("inclusion term", "index term"):
        return f"{hit.matched}: {hit.matched_text}"
    if hit.matched == "article":
        return f"article: {hit.matched_text.split(';')[0]}"
    if hit.matched in ("favorite", "recent"):
        return hit.matched
    return "title"


class ResultsModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._hits: list[SearchHit] = []
        self._not_valid: dict[tuple[str, str], str] = {}

    def set_hits(self, hits: list[SearchHit], not_valid: dict[tuple[str, str], str] | None = None) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._not_valid = dict(not_valid or {})
        self.endResetModel()

    def hit(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{hit.display}  {hit.title}"
        not_valid = self._not_valid.get((hit.system, hit.code))
        if role == Qt.ItemDataRole.ToolTipRole:
            status = "billable" if hit.billable else ("modifier" if hit.kind == "modifier" else "header, not billable")
            warning = f"\nNot valid on the date of service: {not_valid}" if not_valid else ""
            return f"{hit.display} ({badge(hit)}, {status})\n{hit.title}\nMatched by {why_text(hit)}{warning}"
        if role == NOT_VALID_ROLE:
            return not_valid
        if role == Qt.ItemDataRole.AccessibleTextRole:
            warning = f", not valid on the date of service: {not_valid}" if not_valid else ""
            return f"{hit.display} {hit.title}{warning}"
        if role == HIT_ROLE:
            return hit
        return None
